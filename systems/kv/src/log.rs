//! The on-disk log both node kinds keep: append-only, one entry per sector.
//!
//! Each sector holds a magic number, a checksum of the rest of the sector
//! (seeded with the sector's number, so an entry written to the wrong
//! sector fails it) and the entry:
//! whose record, which key, which version and the content fingerprint. A
//! boot scans the sectors from the first until [`BLANK_RUN`] blank sectors
//! in a row; an entry that cannot be read or fails its checksum is skipped,
//! so what a crash, a torn write or bit rot damaged is simply absent.

use lastcopy_harness::sim::host::{lock_disk, DiskHandle};
use lastcopy_harness::sim::record::VersionId;
use xxhash_rust::xxh3::xxh3_64_with_seed;

const MAGIC: u32 = 0x6b76_6c67;
const PAYLOAD: usize = 24;
/// How many never-written sectors in a row end the scan.
pub const BLANK_RUN: u64 = 16;

/// One entry: `owner`'s key `key` is now at `version`, whose content
/// fingerprint is `content`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The user who owns the record.
    pub owner: u32,
    /// The key's number among the owner's keys.
    pub key: u32,
    /// The version this entry holds.
    pub version: VersionId,
    /// The fingerprint of the bytes stored for it.
    pub content: u64,
}

/// An entry a scan found intact, with the sector it lies in.
#[derive(Clone, Copy, Debug)]
pub struct Found {
    /// The entry.
    pub entry: Entry,
    /// The sector it was read from.
    pub sector: u64,
}

/// The result of a scan: the entries that verify, in log order, and the
/// sector the next append goes to.
pub struct Scan {
    /// Entries whose checksum verifies, in sector order.
    pub entries: Vec<Found>,
    /// The first sector after everything the scan saw written.
    pub next: u64,
}

fn encode(entry: &Entry, sector: u64, size: usize) -> Vec<u8> {
    let mut payload = Vec::with_capacity(PAYLOAD);
    for n in [
        entry.owner,
        entry.key,
        entry.version.writer,
        entry.version.seq,
    ] {
        payload.extend_from_slice(&n.to_le_bytes());
    }
    payload.extend_from_slice(&entry.content.to_le_bytes());
    let mut buf = Vec::with_capacity(size);
    buf.extend_from_slice(&MAGIC.to_le_bytes());
    buf.extend_from_slice(&[0; 8]);
    buf.extend_from_slice(&payload);
    buf.resize(size, 0);
    let sum = xxh3_64_with_seed(&buf[12..], sector);
    buf[4..12].copy_from_slice(&sum.to_le_bytes());
    buf
}

fn word(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("four bytes"))
}

fn long(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes"))
}

fn decode(buf: &[u8], sector: u64) -> Option<Entry> {
    let payload = &buf[12..12 + PAYLOAD];
    if word(buf, 0) != MAGIC || long(buf, 4) != xxh3_64_with_seed(&buf[12..], sector) {
        return None;
    }
    Some(Entry {
        owner: word(payload, 0),
        key: word(payload, 4),
        version: VersionId {
            writer: word(payload, 8),
            seq: word(payload, 12),
        },
        content: long(payload, 16),
    })
}

/// Appends `entry` at sector `at`, without syncing. Errors are the disk's,
/// by name.
pub fn append(disk: &DiskHandle, at: u64, entry: &Entry) -> Result<(), String> {
    let mut d = lock_disk(disk);
    let size = d.config().sector_size;
    d.write(at, &encode(entry, at, size))
        .map_err(|e| format!("{e:?}"))
}

/// Makes every append so far durable. Errors are the disk's, by name.
pub fn sync(disk: &DiskHandle) -> Result<(), String> {
    lock_disk(disk).sync().map_err(|e| format!("{e:?}"))
}

/// Reads the log back: every entry that verifies, and where to append.
pub fn scan(disk: &DiskHandle) -> Scan {
    let d = lock_disk(disk);
    let sectors = d.config().sectors;
    let (mut entries, mut next, mut blank) = (Vec::new(), 0, 0);
    let mut sector = 0;
    while sector < sectors && blank < BLANK_RUN {
        match d.read(sector, 1) {
            Ok(buf) if buf.iter().all(|&b| b == 0) => blank += 1,
            Ok(buf) => {
                blank = 0;
                next = sector + 1;
                if let Some(entry) = decode(&buf, sector) {
                    entries.push(Found { entry, sector });
                }
            }
            Err(_) => {
                blank = 0;
                next = sector + 1;
            }
        }
        sector += 1;
    }
    Scan { entries, next }
}
