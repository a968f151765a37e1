//! The on-disk layout every node of the system uses: a checksummed log of
//! entries, one per sector, at the front of its disk, and blobs' bytes
//! behind it.
//!
//! Each log sector holds a magic word, a checksum (of the rest of the
//! sector, seeded with its number, so a write that lands in the wrong
//! sector fails it) and one entry. A boot scans from the first sector until
//! [`BLANK_RUN`] blank sectors in a row; an entry that cannot be read or
//! fails its checksum is skipped, so what a crash, a torn write or bit rot
//! damaged is simply absent. Blobs are written whole from [`BLOB_REGION`]
//! on, each after the last, and found through their log entry; their bytes
//! are checked against their content address when read.

use crate::row::{Row, ENCODED};
use lastcopy_harness::sim::disk::{Disk, DiskConfig};
use lastcopy_harness::sim::host::{disk_handle, lock_disk, DiskHandle};
use lastcopy_harness::sim::record::VersionId;
use xxhash_rust::xxh3::xxh3_64_with_seed;

const MAGIC: u32 = 0x7068_6f74;
/// The sector size of every disk of the system.
pub const SECTOR: usize = 512;
/// How many never-written sectors in a row end the scan.
pub const BLANK_RUN: u64 = 16;
/// The first sector of the blob region (the log lies before it).
pub const BLOB_REGION: u64 = 1 << 15;
/// Every disk's size in sectors (sparse until written).
pub const SECTORS: u64 = 1 << 21;

/// A blank disk of the system's size.
pub fn blank_disk() -> DiskHandle {
    disk_handle(Disk::new(DiskConfig {
        sector_size: SECTOR,
        sectors: SECTORS,
    }))
}

/// One log entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A photo's metadata row, as this node holds it.
    Row {
        /// The row.
        row: Row,
        /// Device: the service confirmed it (the user was told backed up).
        acked: bool,
        /// Device: the service's version this unconfirmed row was made over.
        base: Option<VersionId>,
        /// When this node stored it, on the service's clock (ms).
        at_ms: u64,
        /// Device: what the user changed in this unconfirmed version (a
        /// bit set of [`crate::device::Changed`]), for a rebase if the
        /// service refuses it as stale; 0 elsewhere.
        changed: u8,
    },
    /// A blob's bytes lie at sector `at`.
    Blob {
        /// Its content address.
        id: u64,
        /// Its length in bytes.
        len: u32,
        /// Its first sector.
        at: u64,
        /// The photo it was uploaded for: (owner, photo, version).
        of: (u32, u32, VersionId),
    },
    /// The blob `id` is no longer kept here.
    Unblob {
        /// Its content address.
        id: u64,
    },
    /// The photo `photo` is no longer in this library at all.
    Forget {
        /// The photo's number.
        photo: u32,
    },
    /// A setting of the node: the library's schema version, the device's
    /// generation (a replaced device writes a higher one).
    Mark {
        /// The schema version the library was migrated to.
        schema: u32,
        /// The device's generation.
        generation: u32,
        /// The device's wall clock offset from true time, in milliseconds.
        offset_ms: i64,
        /// Since when (ms) the device has been offline, if it is.
        offline_since_ms: Option<u64>,
        /// The planned fault of the last incident that struck the device.
        incident: Option<u32>,
    },
}

fn encode(entry: &Entry, sector: u64) -> Vec<u8> {
    let mut p = Vec::with_capacity(ENCODED + 32);
    match entry {
        Entry::Row {
            row,
            acked,
            base,
            at_ms,
            changed,
        } => {
            p.push(1);
            p.extend_from_slice(&row.encode());
            p.push(u8::from(*acked));
            p.push(u8::from(base.is_some()));
            let b = base.unwrap_or(VersionId { writer: 0, seq: 0 });
            p.extend_from_slice(&b.writer.to_le_bytes());
            p.extend_from_slice(&b.seq.to_le_bytes());
            p.extend_from_slice(&at_ms.to_le_bytes());
            p.push(*changed);
        }
        Entry::Blob { id, len, at, of } => {
            p.push(2);
            p.extend_from_slice(&id.to_le_bytes());
            p.extend_from_slice(&len.to_le_bytes());
            p.extend_from_slice(&at.to_le_bytes());
            for n in [of.0, of.1, of.2.writer, of.2.seq] {
                p.extend_from_slice(&n.to_le_bytes());
            }
        }
        Entry::Unblob { id } => {
            p.push(3);
            p.extend_from_slice(&id.to_le_bytes());
        }
        Entry::Forget { photo } => {
            p.push(5);
            p.extend_from_slice(&photo.to_le_bytes());
        }
        Entry::Mark {
            schema,
            generation,
            offset_ms,
            offline_since_ms,
            incident,
        } => {
            p.push(4);
            p.extend_from_slice(&schema.to_le_bytes());
            p.extend_from_slice(&generation.to_le_bytes());
            p.extend_from_slice(&offset_ms.to_le_bytes());
            p.extend_from_slice(&offline_since_ms.unwrap_or(u64::MAX).to_le_bytes());
            p.extend_from_slice(&incident.unwrap_or(u32::MAX).to_le_bytes());
        }
    }
    let mut buf = Vec::with_capacity(SECTOR);
    buf.extend_from_slice(&MAGIC.to_le_bytes());
    buf.extend_from_slice(&[0; 8]);
    buf.extend_from_slice(&p);
    buf.resize(SECTOR, 0);
    let sum = xxh3_64_with_seed(&buf[12..], sector);
    buf[4..12].copy_from_slice(&sum.to_le_bytes());
    buf
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("four bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes"))
}

fn decode(buf: &[u8], sector: u64) -> Option<Entry> {
    if buf.len() < SECTOR
        || u32_at(buf, 0) != MAGIC
        || u64_at(buf, 4) != xxh3_64_with_seed(&buf[12..], sector)
    {
        return None;
    }
    let p = &buf[13..];
    Some(match buf[12] {
        1 => {
            let row = Row::decode(&p[..ENCODED])?;
            let q = &p[ENCODED..];
            let base = VersionId {
                writer: u32_at(q, 2),
                seq: u32_at(q, 6),
            };
            Entry::Row {
                row,
                acked: q[0] == 1,
                base: (q[1] == 1).then_some(base),
                at_ms: u64_at(q, 10),
                changed: q[18],
            }
        }
        2 => Entry::Blob {
            id: u64_at(p, 0),
            len: u32_at(p, 8),
            at: u64_at(p, 12),
            of: (
                u32_at(p, 20),
                u32_at(p, 24),
                VersionId {
                    writer: u32_at(p, 28),
                    seq: u32_at(p, 32),
                },
            ),
        },
        3 => Entry::Unblob { id: u64_at(p, 0) },
        4 => Entry::Mark {
            schema: u32_at(p, 0),
            generation: u32_at(p, 4),
            offset_ms: u64_at(p, 8) as i64,
            offline_since_ms: Some(u64_at(p, 16)).filter(|&t| t != u64::MAX),
            incident: Some(u32_at(p, 24)).filter(|&f| f != u32::MAX),
        },
        5 => Entry::Forget {
            photo: u32_at(p, 0),
        },
        _ => return None,
    })
}

/// A node's log and blob region on its disk.
pub struct Log {
    disk: DiskHandle,
    next: u64,
    blob_next: u64,
    dirty: bool,
}

/// A disk error, by name.
pub type DiskErr = String;

impl Log {
    /// The log on `disk` as a scan finds it, and every entry that verifies,
    /// in log order.
    pub fn open(disk: DiskHandle) -> (Log, Vec<Entry>) {
        let mut log = Log {
            disk,
            next: 0,
            blob_next: BLOB_REGION,
            dirty: false,
        };
        let entries = log.scan();
        (log, entries)
    }

    /// The log in `log`, opened from `disk` first if it is not yet.
    pub fn opened<'a>(log: &'a mut Option<Log>, disk: &DiskHandle) -> &'a mut Log {
        log.get_or_insert_with(|| Log::open(disk.clone()).0)
    }

    fn scan(&mut self) -> Vec<Entry> {
        let d = lock_disk(&self.disk);
        let (mut entries, mut blank, mut sector) = (Vec::new(), 0, 0);
        self.next = 0;
        while sector < BLOB_REGION && blank < BLANK_RUN {
            match d.read(sector, 1) {
                Ok(buf) if buf.iter().all(|&b| b == 0) => blank += 1,
                Ok(buf) => {
                    blank = 0;
                    self.next = sector + 1;
                    if let Some(e) = decode(&buf, sector) {
                        if let Entry::Blob { len, at, .. } = e {
                            self.blob_next = self.blob_next.max(at + sectors_of(len));
                        }
                        entries.push(e);
                    }
                }
                Err(_) => {
                    blank = 0;
                    self.next = sector + 1;
                }
            }
            sector += 1;
        }
        entries
    }

    /// Appends `entry`, unsynced. On a disk error (or a full log) nothing
    /// is appended.
    pub fn append(&mut self, entry: &Entry) -> Result<(), DiskErr> {
        if self.next >= BLOB_REGION {
            return Err("log full".into());
        }
        let at = self.next;
        lock_disk(&self.disk)
            .write(at, &encode(entry, at))
            .map_err(|e| format!("{e:?}"))?;
        self.next += 1;
        self.dirty = true;
        Ok(())
    }

    /// Writes `bytes` behind the last blob, unsynced, and appends its
    /// entry; returns where it lies.
    pub fn put_blob(
        &mut self,
        id: u64,
        bytes: &[u8],
        of: (u32, u32, VersionId),
    ) -> Result<u64, DiskErr> {
        let at = self.blob_next;
        let len = bytes.len() as u32;
        if at + sectors_of(len) > SECTORS {
            return Err("disk full".into());
        }
        lock_disk(&self.disk)
            .write(at, bytes)
            .map_err(|e| format!("{e:?}"))?;
        self.blob_next = at + sectors_of(len);
        self.append(&Entry::Blob { id, len, at, of })?;
        Ok(at)
    }

    /// The `len` bytes at sector `at` as the disk returns them now (`None`:
    /// unreadable).
    pub fn read_blob(&self, at: u64, len: u32) -> Option<Vec<u8>> {
        let mut b = lock_disk(&self.disk).read(at, sectors_of(len)).ok()?;
        b.truncate(len as usize);
        Some(b)
    }

    /// Whether the blob `id`, `len` bytes at sector `at`, reads back as
    /// exactly its bytes now.
    pub fn blob_intact(&self, id: u64, at: u64, len: u32) -> bool {
        self.read_blob(at, len)
            .is_some_and(|b| crate::blob::intact(id, &b))
    }

    /// Makes every write so far durable.
    pub fn sync(&mut self) -> Result<(), DiskErr> {
        self.dirty = false;
        lock_disk(&self.disk).sync().map_err(|e| format!("{e:?}"))
    }

    /// Syncs; if that fails (the unsynced writes are gone), reads the log
    /// back: `None` when it synced, else every entry that verifies now.
    pub fn sync_or_reread(&mut self) -> Option<Vec<Entry>> {
        match self.sync() {
            Ok(()) => None,
            Err(_) => Some(self.reread()),
        }
    }

    /// Whether anything was written (or wiped) since the last sync.
    pub fn dirty(&self) -> bool {
        self.dirty
    }

    /// Replaces the disk by a blank one (a replaced device, a lost volume,
    /// a restore that rewrites the log): every sector is gone.
    pub fn wipe(&mut self) {
        lock_disk(&self.disk).replace_blank();
        self.dirty = true;
        self.next = 0;
        self.blob_next = BLOB_REGION;
    }

    /// Reads the log back from the disk (after a failed sync dropped
    /// unsynced writes): every entry that verifies.
    pub fn reread(&mut self) -> Vec<Entry> {
        self.blob_next = BLOB_REGION;
        self.scan()
    }
}

fn sectors_of(len: u32) -> u64 {
    u64::from(len).div_ceil(SECTOR as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::Life;

    #[test]
    fn entries_and_blobs_read_back_and_a_rotten_entry_is_skipped() {
        let row = Row {
            owner: 0,
            photo: 1,
            version: VersionId { writer: 1, seq: 4 },
            parent: None,
            album: 1,
            caption: 2,
            favourite: false,
            life: Life::Live,
            blob: 9,
            blob_len: 4096,
            stamp_ms: 5,
            trashed_ms: 0,
            content: 0,
        }
        .sealed();
        let disk = blank_disk();
        let (mut log, found) = Log::open(disk.clone());
        assert!(found.is_empty());
        let e = Entry::Row {
            row,
            acked: true,
            base: Some(VersionId { writer: 3, seq: 2 }),
            at_ms: 77,
            changed: 3,
        };
        log.append(&e).unwrap();
        let bytes = crate::blob::bytes(3, 5000);
        let of = (0, 1, VersionId { writer: 1, seq: 4 });
        let at = log.put_blob(1, &bytes, of).unwrap();
        log.append(&Entry::Mark {
            schema: 2,
            generation: 1,
            offset_ms: -5,
            offline_since_ms: Some(3),
            incident: None,
        })
        .unwrap();
        log.sync().unwrap();
        let (log2, found) = Log::open(disk.clone());
        assert_eq!(found[0], e);
        assert_eq!(
            found[1],
            Entry::Blob {
                id: 1,
                len: 5000,
                at,
                of
            }
        );
        assert_eq!(log2.read_blob(at, 5000).unwrap(), bytes);
        assert_eq!(found.len(), 3);
        let mut d = lock_disk(&disk);
        d.inject(lastcopy_harness::sim::disk::DiskFault::BitRot { sector: 0, seed: 1 });
        drop(d);
        let (_, found) = Log::open(disk);
        assert_eq!(found.len(), 2, "the rotten row is skipped");
    }
}
