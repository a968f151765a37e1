//! The project's own log store: an append-only log of entries on a disk.
//!
//! Each entry starts on a sector boundary: a 24-byte header (magic, payload
//! length, chained checksum) then the payload. The checksum of entry *i*
//! covers its payload and is seeded with the checksum of entry *i-1*, so an
//! entry left over from before a crash, or a torn one, never passes for part
//! of the log. Opening scans from sector 0 and stops at the first entry that
//! does not verify: what it returns is always a prefix of what was appended,
//! and it includes every entry appended before the last successful sync.

use sim::disk::{Disk, DiskError};
use xxhash_rust::xxh3::xxh3_64_with_seed;

const MAGIC: u32 = 0x4c43_4c47;
const HEADER: usize = 16;
const GENESIS: u64 = 0x6c61_7374_636f_7079;

/// An append-only log on one disk.
#[derive(Clone, Debug)]
pub struct LogStore {
    next_sector: u64,
    last_sum: u64,
    sector_size: usize,
}

/// What opening a log found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The payloads of every entry that verified, in order.
    pub entries: Vec<Vec<u8>>,
    /// Whether the disk was blank (never written, wiped or replaced).
    pub blank: bool,
    /// Whether the scan stopped at data that did not verify (a torn or
    /// corrupt entry), rather than at clean empty space.
    pub stopped_at_damage: bool,
}

impl LogStore {
    /// Opens the log on `disk`, returning the store positioned after the
    /// last entry that verifies, and what it found.
    pub fn open(disk: &Disk) -> Result<(LogStore, Opened), DiskError> {
        let sector_size = disk.config().sector_size;
        let mut store = LogStore {
            next_sector: 0,
            last_sum: GENESIS,
            sector_size,
        };
        let mut opened = Opened {
            entries: Vec::new(),
            blank: disk.is_blank(),
            stopped_at_damage: false,
        };
        let sectors = disk.config().sectors;
        let mut buf = Vec::new();
        while store.next_sector < sectors {
            buf.clear();
            disk.read_into(store.next_sector, 1, &mut buf)?;
            let magic = u32::from_le_bytes(buf[0..4].try_into().expect("4 bytes"));
            if magic != MAGIC {
                opened.stopped_at_damage = buf.iter().any(|&b| b != 0);
                break;
            }
            let len = u32::from_le_bytes(buf[4..8].try_into().expect("4 bytes")) as usize;
            let sum = u64::from_le_bytes(buf[8..16].try_into().expect("8 bytes"));
            let span = store.span(len);
            if store.next_sector + span > sectors {
                opened.stopped_at_damage = true;
                break;
            }
            if span > 1 {
                disk.read_into(store.next_sector + 1, span - 1, &mut buf)?;
            }
            let payload = &buf[HEADER..HEADER + len];
            if xxh3_64_with_seed(payload, store.last_sum) != sum {
                opened.stopped_at_damage = true;
                break;
            }
            opened.entries.push(payload.to_vec());
            store.last_sum = sum;
            store.next_sector += span;
        }
        Ok((store, opened))
    }

    fn span(&self, len: usize) -> u64 {
        (HEADER + len).div_ceil(self.sector_size) as u64
    }

    /// Appends one entry. It is visible at once and durable after the
    /// disk's next successful sync. On error nothing is appended.
    pub fn append(&mut self, disk: &mut Disk, payload: &[u8]) -> Result<(), DiskError> {
        let sum = xxh3_64_with_seed(payload, self.last_sum);
        let mut buf = Vec::with_capacity(HEADER + payload.len());
        buf.extend_from_slice(&MAGIC.to_le_bytes());
        buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        buf.extend_from_slice(&sum.to_le_bytes());
        buf.extend_from_slice(payload);
        disk.write(self.next_sector, &buf)?;
        self.next_sector += self.span(payload.len());
        self.last_sum = sum;
        Ok(())
    }

    /// The first sector after the log's last entry.
    pub fn end_sector(&self) -> u64 {
        self.next_sector
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sim::disk::{CrashMode, DiskConfig};

    fn disk() -> Disk {
        Disk::new(DiskConfig {
            sector_size: 512,
            sectors: 4096,
        })
    }

    #[test]
    fn blank_disk_opens_empty() {
        let d = disk();
        let (_, o) = LogStore::open(&d).unwrap();
        assert!(o.blank && o.entries.is_empty() && !o.stopped_at_damage);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// After a crash, opening returns a prefix of what was appended that
        /// includes everything appended before the last sync.
        #[test]
        fn crash_keeps_a_prefix_with_every_synced_entry(
            ops in proptest::collection::vec((1usize..1500, any::<bool>()), 1..30),
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
            prop_assert!(o.entries.len() >= synced);
            prop_assert_eq!(&o.entries[..], &appended[..o.entries.len()]);
            // Appending after recovery never resurrects stale entries.
            log2.append(&mut d, b"after").unwrap();
            d.sync().unwrap();
            let (_, o2) = LogStore::open(&d).unwrap();
            prop_assert_eq!(o2.entries.len(), o.entries.len() + 1);
        }
    }
}
