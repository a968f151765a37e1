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

/// The log ends after `END_GAP` empty sectors in a row, whether they were
/// never written or hold zeros: an entry past such a run is not the log's
/// (a run one sector shorter is a hole inside the log, read past).
#[test]
fn the_log_ends_after_end_gap_empty_sectors_in_a_row() {
    use models::logstore::END_GAP;
    for zeros in [END_GAP - 1, END_GAP] {
        let mut d = disk(256);
        let (mut log, _) = LogStore::open(&d).unwrap();
        let entries: Vec<Vec<u8>> = (0..=zeros + 1).map(|i| vec![i as u8 | 1; 16]).collect();
        for e in &entries {
            log.append(&mut d, e).unwrap();
        }
        for sector in 1..=zeros {
            d.write(sector, &[0; 512]).unwrap();
        }
        d.sync().unwrap();
        let (_, opened) = LogStore::open(&d).unwrap();
        let after: &[Vec<u8>] = if zeros < END_GAP {
            &entries[1 + zeros as usize..]
        } else {
            &[]
        };
        let want: Vec<Vec<u8>> = std::iter::once(entries[0].clone())
            .chain(after.iter().cloned())
            .collect();
        assert_eq!(opened.entries, want, "{zeros} empty sectors");
    }
}

/// An entry that cannot be read is damaged, not free: the log goes on
/// after it, and the next append never overwrites it.
#[test]
fn an_unreadable_last_entry_is_damaged_and_the_log_appends_after_it() {
    let mut d = disk(256);
    let (mut log, _) = LogStore::open(&d).unwrap();
    for i in 1..=2u8 {
        log.append(&mut d, &[i; 16]).unwrap();
    }
    d.sync().unwrap();
    d.inject(sim::disk::DiskFault::LatentSectorError { sector: 1 });
    let (mut log, opened) = LogStore::open(&d).unwrap();
    assert_eq!((opened.entries.len(), opened.damaged.clone()), (1, vec![1]));
    assert_eq!(log.end_sector(), 2, "the log ends after the damaged entry");
    assert_eq!(log.append(&mut d, &[3; 16]).unwrap(), 2);
    assert_eq!(log.end_sector(), 3);
}

/// The log ends at the first [`models::logstore::END_GAP`] empty sectors
/// in a row, never-written sectors included: whatever lies beyond (stray
/// bytes, a copy of an old entry) is neither an entry nor damage, and the
/// next append goes right after the last entry. (Mutation sitting 6's
/// `logstore.rs:67:39`: counting never-written sectors as no gap read
/// the whole disk and took the stray copy for damage.)
#[test]
fn nothing_beyond_the_end_gap_belongs_to_the_log() {
    let mut d = disk(256);
    let (mut log, _) = LogStore::open(&d).unwrap();
    let first = log.append(&mut d, b"only entry").unwrap();
    let raw = d.read(first, 1).unwrap();
    let beyond = first + 1 + models::logstore::END_GAP;
    d.write(beyond, &raw).unwrap();
    d.write(beyond + 1, &[0xAB; 512]).unwrap();
    d.sync().unwrap();
    let (log2, opened) = LogStore::open(&d).unwrap();
    assert_eq!(opened.entries, [b"only entry".to_vec()]);
    assert!(opened.damaged.is_empty(), "{:?}", opened.damaged);
    assert_eq!(log2.end_sector(), first + 1);
}
