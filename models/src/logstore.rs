//! The project's own log store: an append-only log of entries on a disk.
//!
//! Each entry fills exactly one sector: a 16-byte header (magic, payload
//! length, checksum) then the payload. The checksum covers the payload and
//! is seeded with the entry's own sector number, so an entry that a
//! misdirected write put in the wrong place never passes for the entry
//! there. One entry per sector means a fault spoils at most the entries in
//! the sectors it hits: opening the log reads past a corrupt, unreadable or
//! missing entry and reports it as damage, rather than losing everything
//! after it. The log ends after [`END_GAP`] empty sectors in a row.
//!
//! What opening promises: every entry whose sector holds what was appended
//! there is returned, in append order; every sector that holds something
//! else (or cannot be read) is listed as damaged. It never returns bytes
//! that were not appended at that position.

use sim::disk::{Disk, DiskError};
use xxhash_rust::xxh3::xxh3_64_with_seed;

const MAGIC: u32 = 0x4c43_4c47;
const HEADER: usize = 16;

/// How many empty sectors in a row end the log.
pub const END_GAP: u64 = 64;

/// An append-only log on one disk.
#[derive(Clone, Debug)]
pub struct LogStore {
    next_sector: u64,
    sector_size: usize,
}

/// What opening a log found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Opened {
    /// The payloads of every entry that verified, in append order.
    pub entries: Vec<Vec<u8>>,
    /// The sector of each entry in `entries`.
    pub positions: Vec<u64>,
    /// Whether the disk was blank (never written, wiped or replaced).
    pub blank: bool,
    /// Sectors inside the log that held no valid entry: corrupt, misplaced
    /// or unreadable (a hole left by a lost write is not visible as damage).
    pub damaged: Vec<u64>,
}

impl LogStore {
    /// The largest payload one entry can hold on `disk`.
    pub fn max_payload(disk: &Disk) -> usize {
        disk.config().sector_size - HEADER
    }

    /// Opens the log on `disk`: the store is positioned after the last
    /// sector that holds anything, and `Opened` says what was found.
    /// Fails only if the disk is fenced.
    pub fn open(disk: &Disk) -> Result<(LogStore, Opened), DiskError> {
        let sector_size = disk.config().sector_size;
        let mut opened = Opened {
            blank: disk.is_blank(),
            ..Opened::default()
        };
        let (mut pos, mut end, mut empty) = (0u64, 0u64, 0u64);
        let mut buf = Vec::with_capacity(sector_size);
        while pos < disk.config().sectors && empty < END_GAP {
            // A sector never written is empty without reading its zeros.
            if disk.reads_unwritten(pos)? {
                (empty, pos) = (empty + 1, pos + 1);
                continue;
            }
            buf.clear();
            match disk.read_into(pos, 1, &mut buf) {
                Err(DiskError::Unreadable { .. }) => {
                    opened.damaged.push(pos);
                    (end, empty) = (pos + 1, 0);
                }
                Err(e) => return Err(e),
                Ok(()) if buf.iter().all(|&b| b == 0) => empty += 1,
                Ok(()) => {
                    match decode(&buf, pos) {
                        Some(payload) => {
                            opened.entries.push(payload.to_vec());
                            opened.positions.push(pos);
                        }
                        None => opened.damaged.push(pos),
                    }
                    (end, empty) = (pos + 1, 0);
                }
            }
            pos += 1;
        }
        let store = LogStore {
            next_sector: end,
            sector_size,
        };
        Ok((store, opened))
    }

    /// Appends one entry (at most [`LogStore::max_payload`] bytes). It is
    /// visible at once and durable after the disk's next successful sync.
    /// Returns the sector it went to. On error nothing is appended.
    pub fn append(&mut self, disk: &mut Disk, payload: &[u8]) -> Result<u64, DiskError> {
        assert!(
            payload.len() <= self.sector_size - HEADER,
            "log entries fit one sector: {} bytes",
            payload.len()
        );
        let mut buf = Vec::with_capacity(HEADER + payload.len());
        buf.extend_from_slice(&MAGIC.to_le_bytes());
        buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        buf.extend_from_slice(&xxh3_64_with_seed(payload, self.next_sector).to_le_bytes());
        buf.extend_from_slice(payload);
        disk.write(self.next_sector, &buf)?;
        self.next_sector += 1;
        Ok(self.next_sector - 1)
    }

    /// The payload of the entry in `sector`, if that sector holds a valid
    /// entry appended there; `None` if it holds anything else or cannot be
    /// read. Reads one sector: what a scrub of live entries needs.
    pub fn read_entry(disk: &Disk, sector: u64) -> Option<Vec<u8>> {
        let mut buf = Vec::with_capacity(disk.config().sector_size);
        disk.read_into(sector, 1, &mut buf).ok()?;
        decode(&buf, sector).map(<[u8]>::to_vec)
    }

    /// The first sector after the log's last entry.
    pub fn end_sector(&self) -> u64 {
        self.next_sector
    }
}

/// The payload of the entry in `sector`, if the bytes are a valid entry
/// appended at that position.
fn decode(sector: &[u8], pos: u64) -> Option<&[u8]> {
    let magic = u32::from_le_bytes(sector[0..4].try_into().ok()?);
    let len = u32::from_le_bytes(sector[4..8].try_into().ok()?) as usize;
    let sum = u64::from_le_bytes(sector[8..16].try_into().ok()?);
    let payload = sector.get(HEADER..HEADER.checked_add(len)?)?;
    (magic == MAGIC && xxh3_64_with_seed(payload, pos) == sum).then_some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sim::disk::{CrashMode, DiskConfig, DiskFault};

    fn disk() -> Disk {
        Disk::new(DiskConfig {
            sector_size: 512,
            sectors: 4096,
        })
    }

    fn append_all(d: &mut Disk, n: u8) -> LogStore {
        let (mut log, _) = LogStore::open(d).unwrap();
        for i in 0..n {
            log.append(d, &[i; 40]).unwrap();
        }
        d.sync().unwrap();
        log
    }

    #[test]
    fn blank_disk_opens_empty() {
        let d = disk();
        let (log, o) = LogStore::open(&d).unwrap();
        assert!(o.blank && o.entries.is_empty() && o.damaged.is_empty());
        assert_eq!(log.end_sector(), 0);
    }

    #[test]
    fn bit_rot_spoils_one_entry_and_the_rest_survive() {
        let mut d = disk();
        append_all(&mut d, 5);
        d.inject(DiskFault::BitRot { sector: 2, seed: 9 });
        let (_, o) = LogStore::open(&d).unwrap();
        assert_eq!(o.damaged, vec![2]);
        assert_eq!(
            o.entries,
            vec![vec![0; 40], vec![1; 40], vec![3; 40], vec![4; 40]]
        );
    }

    #[test]
    fn an_unreadable_sector_is_damage_and_the_log_goes_on() {
        let mut d = disk();
        let log = append_all(&mut d, 3);
        d.inject(DiskFault::LatentSectorError { sector: 1 });
        let (log2, o) = LogStore::open(&d).unwrap();
        assert_eq!((o.damaged, o.entries.len()), (vec![1], 2));
        assert_eq!(log2.end_sector(), log.end_sector());
    }

    #[test]
    fn a_misdirected_entry_is_not_taken_for_the_one_it_overwrote() {
        let mut d = disk();
        let (mut log, _) = LogStore::open(&d).unwrap();
        log.append(&mut d, b"zero").unwrap();
        log.append(&mut d, b"one").unwrap();
        d.sync().unwrap();
        d.inject(DiskFault::MisdirectedWrite { offset: -1 });
        log.append(&mut d, b"two").unwrap();
        d.sync().unwrap();
        let (_, o) = LogStore::open(&d).unwrap();
        assert_eq!(o.entries, vec![b"zero".to_vec()]);
        assert_eq!(o.damaged, vec![1]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// After a crash, opening returns every synced entry in order, and
        /// only entries that were appended; appending after recovery never
        /// resurrects anything.
        #[test]
        fn crash_keeps_every_synced_entry_and_invents_none(
            ops in proptest::collection::vec((1usize..400, any::<bool>()), 1..40),
            tear in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let mut d = disk();
            let (mut log, _) = LogStore::open(&d).unwrap();
            let mut appended = Vec::new();
            let mut synced = 0;
            for (i, (len, sync)) in ops.iter().enumerate() {
                let payload = vec![i as u8; *len];
                log.append(&mut d, &payload).unwrap();
                appended.push(payload);
                if *sync {
                    d.sync().unwrap();
                    synced = appended.len();
                }
            }
            d.crash(if tear { CrashMode::Tear { seed } } else { CrashMode::DropUnsynced });
            let (mut log2, o) = LogStore::open(&d).unwrap();
            prop_assert!(o.damaged.is_empty());
            prop_assert_eq!(&o.entries[..synced], &appended[..synced]);
            for e in &o.entries[synced..] {
                prop_assert!(appended[synced..].contains(e));
            }
            log2.append(&mut d, b"after").unwrap();
            d.sync().unwrap();
            let (_, o2) = LogStore::open(&d).unwrap();
            prop_assert_eq!(o2.entries.len(), o.entries.len() + 1);
        }
    }
}
