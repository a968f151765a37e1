//! The log store's public contract, through its public API: what one entry
//! may hold.

extern crate lastcopy_models as models;

use models::logstore::LogStore;
use sim::disk::{Disk, DiskConfig};

/// A disk of `sectors` sectors of 512 bytes.
fn disk(sectors: u64) -> Disk {
    Disk::new(DiskConfig {
        sector_size: 512,
        sectors,
    })
}

/// `max_payload` is what a caller sizes its entries by: an entry of exactly
/// that size must be kept whole, and one byte more must be refused, never
/// written truncated.
#[test]
fn an_entry_of_max_payload_bytes_round_trips_and_one_byte_more_is_refused() {
    let mut d = disk(256);
    let max = LogStore::max_payload(&d);
    let (mut log, _) = LogStore::open(&d).unwrap();
    let entry: Vec<u8> = (0..max).map(|i| i as u8 | 1).collect();
    let sector = log.append(&mut d, &entry).unwrap();
    d.sync().unwrap();
    assert_eq!(LogStore::read_entry(&d, sector), Some(entry.clone()));
    let (_, opened) = LogStore::open(&d).unwrap();
    assert_eq!(opened.entries, [entry]);
    let too_big = vec![7u8; max + 1];
    let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        log.append(&mut d, &too_big)
    }));
    assert!(refused.is_err(), "an entry of {} bytes was taken", max + 1);
}

/// A log that fills its disk to the last sector still opens, with every
/// entry: the scan stops at the disk's end, never reading past it.
#[test]
fn a_log_that_fills_its_disk_opens_with_every_entry() {
    let mut d = disk(8);
    let (mut log, _) = LogStore::open(&d).unwrap();
    let entries: Vec<Vec<u8>> = (1..=8u8).map(|i| vec![i; 16]).collect();
    for e in &entries {
        log.append(&mut d, e).unwrap();
    }
    d.sync().unwrap();
    let (_, opened) = LogStore::open(&d).expect("a full log opens");
    assert_eq!(opened.entries, entries);
}
