//! The redb engine: a database kept by redb 4, unpatched, on the simulated
//! volume.
//!
//! redb's file maps linearly onto the volume after sector 0, which holds the
//! file's length; a write past the volume's end is disk full. Every disk
//! fault of the volume reaches redb exactly as it would a real file: redb
//! runs its own recovery after a crash, and checks its structures on every
//! open only when the design verifies reads (redb's check-on-open). The
//! cache is small, so that reads reach the volume. A panic inside redb
//! unwinds out of the database's step, where the engine's host catches it
//! as a finding and handles it as a crash of the node.

use super::{Engine, EngineError, Loaded, Meta, Rows};
use crate::record::{RecordId, Row};
use redb::{ReadableDatabase, ReadableTable, StorageBackend, TableDefinition};
use sim::disk::DiskError;
use sim::host::{lock_disk, DiskHandle};
use std::io;

const ROWS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("rows");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// redb's page cache: small, so reads reach the volume.
const CACHE_BYTES: usize = 64 * 1024;

/// redb's file on a volume: sector 0 holds the length, the file starts at sector 1.
#[derive(Debug)]
struct VolumeFile {
    disk: DiskHandle,
}

fn io_error(e: DiskError) -> io::Error {
    let kind = match e {
        DiskError::NoSpace | DiskError::OutOfRange { .. } => io::ErrorKind::StorageFull,
        DiskError::Fenced => io::ErrorKind::BrokenPipe,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e)
}

impl VolumeFile {
    fn sector_size(&self) -> u64 {
        lock_disk(&self.disk).config().sector_size as u64
    }

    /// Reads `count` sectors of the file starting at file sector `first`.
    fn read_sectors(&self, first: u64, count: u64) -> io::Result<Vec<u8>> {
        lock_disk(&self.disk)
            .read(1 + first, count)
            .map_err(io_error)
    }
}

impl StorageBackend for VolumeFile {
    fn len(&self) -> io::Result<u64> {
        let disk = lock_disk(&self.disk);
        let head = disk.read(0, 1).map_err(io_error)?;
        let len = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
        let capacity = (disk.config().sectors - 1) * disk.config().sector_size as u64;
        if len > capacity {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("file length {len} is past the volume's end: sector 0 is corrupt"),
            ));
        }
        Ok(len)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        if offset + out.len() as u64 > self.len()? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read past the end of the file",
            ));
        }
        let ss = self.sector_size();
        let first = offset / ss;
        let last = (offset + out.len() as u64).div_ceil(ss);
        let bytes = self.read_sectors(first, last - first)?;
        let start = (offset - first * ss) as usize;
        out.copy_from_slice(&bytes[start..start + out.len()]);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let old = self.len()?;
        let ss = self.sector_size();
        if len < old && !len.is_multiple_of(ss) {
            // Zero the tail of the last sector so a later growth reads zeros.
            let sector = len / ss;
            let mut bytes = self.read_sectors(sector, 1)?;
            bytes[(len % ss) as usize..].fill(0);
            lock_disk(&self.disk)
                .write(1 + sector, &bytes)
                .map_err(io_error)?;
        }
        let mut disk = lock_disk(&self.disk);
        if len > 0 && 1 + (len - 1) / ss >= disk.config().sectors {
            return Err(io_error(DiskError::NoSpace));
        }
        disk.write(0, &len.to_le_bytes()).map_err(io_error)
    }

    fn sync_data(&self) -> io::Result<()> {
        lock_disk(&self.disk).sync().map_err(io_error)
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let ss = self.sector_size();
        let first = offset / ss;
        let last = (offset + data.len() as u64).div_ceil(ss);
        let start = (offset - first * ss) as usize;
        let mut bytes = if start == 0 && (data.len() as u64).is_multiple_of(ss) {
            Vec::with_capacity(data.len())
        } else {
            self.read_sectors(first, last - first)?
        };
        if bytes.is_empty() {
            bytes.extend_from_slice(data);
        } else {
            bytes[start..start + data.len()].copy_from_slice(data);
        }
        lock_disk(&self.disk)
            .write(1 + first, &bytes)
            .map_err(io_error)
    }
}

/// A database kept by redb on a volume.
pub struct RedbEngine {
    disk: DiskHandle,
    db: Option<redb::Database>,
    check_on_open: bool,
}

fn engine_error(e: impl std::fmt::Display) -> EngineError {
    EngineError::Engine(e.to_string())
}

fn key(record: RecordId) -> Vec<u8> {
    postcard::to_allocvec(&record).expect("record ids encode")
}

impl RedbEngine {
    /// The engine for the database on `disk`.
    pub fn new(disk: DiskHandle) -> Self {
        RedbEngine {
            disk,
            db: None,
            check_on_open: false,
        }
    }

    fn open(&mut self) -> Result<&redb::Database, EngineError> {
        if self.db.is_none() {
            let db = redb::Builder::new()
                .set_cache_size(CACHE_BYTES)
                .set_check_integrity_on_open(self.check_on_open)
                .create_with_backend(VolumeFile {
                    disk: self.disk.clone(),
                })
                .map_err(engine_error)?;
            self.db = Some(db);
        }
        Ok(self.db.as_ref().expect("opened above"))
    }

    /// Runs `f` in one write transaction and commits it durably. On any
    /// error the handle is dropped, so that the next use reopens the file.
    fn write(
        &mut self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>,
    ) -> Result<(), EngineError> {
        let result = (|| {
            let db = self.open()?;
            let txn = db.begin_write().map_err(engine_error)?;
            f(&txn).map_err(engine_error)?;
            txn.commit().map_err(engine_error)
        })();
        if result.is_err() {
            self.db = None;
        }
        result
    }
}

fn put_meta(
    txn: &redb::WriteTransaction,
    meta: Meta,
    next_seq: Option<u64>,
) -> Result<(), redb::Error> {
    let mut t = txn.open_table(META)?;
    t.insert("epoch", meta.epoch)?;
    t.insert("rebuilt", u64::from(meta.rebuilt))?;
    t.insert("read_only", u64::from(meta.read_only))?;
    if let Some(n) = next_seq {
        t.insert("next_seq", n)?;
    }
    Ok(())
}

fn put_rows(txn: &redb::WriteTransaction, rows: &[(Row, u64)]) -> Result<(), redb::Error> {
    let mut t = txn.open_table(ROWS)?;
    for (row, seq) in rows {
        let value = postcard::to_allocvec(&(row, seq)).expect("rows encode");
        t.insert(key(row.record).as_slice(), value.as_slice())?;
    }
    Ok(())
}

impl Engine for RedbEngine {
    fn load(&mut self, verify: bool) -> Result<Loaded, EngineError> {
        self.db = None;
        if lock_disk(&self.disk).is_blank() {
            return Ok(Loaded {
                blank: true,
                next_seq: 1,
                ..Loaded::default()
            });
        }
        self.check_on_open = verify;
        let db = self.open()?;
        let txn = db.begin_read().map_err(engine_error)?;
        let mut loaded = Loaded {
            next_seq: 1,
            ..Loaded::default()
        };
        let meta = txn.open_table(META).map_err(engine_error)?;
        let get = |k: &str| -> Result<u64, EngineError> {
            Ok(meta
                .get(k)
                .map_err(engine_error)?
                .map(|v| v.value())
                .unwrap_or(0))
        };
        loaded.meta = Meta {
            epoch: get("epoch")?,
            rebuilt: get("rebuilt")? != 0,
            read_only: get("read_only")? != 0,
        };
        loaded.next_seq = get("next_seq")?.max(1);
        let rows = txn.open_table(ROWS).map_err(engine_error)?;
        let mut by_user = Rows::new();
        for item in rows.iter().map_err(engine_error)? {
            let (_, value) = item.map_err(engine_error)?;
            let Ok((row, seq)) = postcard::from_bytes::<(Row, u64)>(value.value()) else {
                continue;
            };
            if verify && !row.verifies() {
                continue;
            }
            loaded.next_seq = loaded.next_seq.max(seq + 1);
            by_user
                .entry(row.record.owner)
                .or_default()
                .insert(row.record, (row, seq));
        }
        loaded.rows = by_user;
        Ok(loaded)
    }

    fn format(&mut self, meta: Meta) -> Result<(), EngineError> {
        self.db = None;
        // Overwrite the old file with zeros (rewriting clears unreadable
        // sectors), then start an empty one.
        let file = VolumeFile {
            disk: self.disk.clone(),
        };
        let old = file.len().unwrap_or(0);
        let mut disk = lock_disk(&self.disk);
        let ss = disk.config().sector_size as u64;
        let sectors = old.div_ceil(ss).max(1);
        disk.write(1, &vec![0; (sectors * ss) as usize])?;
        disk.write(0, &0u64.to_le_bytes())?;
        drop(disk);
        self.write(|txn| {
            txn.open_table(ROWS)?;
            put_meta(txn, meta, Some(1))
        })
    }

    fn commit(&mut self, rows: &[(Row, u64)]) -> Result<Vec<Option<u64>>, EngineError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let next = rows.iter().map(|(_, s)| s + 1).max();
        self.write(|txn| {
            put_rows(txn, rows)?;
            if let Some(n) = next {
                txn.open_table(META)?.insert("next_seq", n)?;
            }
            Ok(())
        })?;
        Ok(vec![None; rows.len()])
    }

    fn set_meta(&mut self, meta: Meta) -> Result<(), EngineError> {
        self.write(|txn| put_meta(txn, meta, None))
    }

    fn replace_all(
        &mut self,
        rows: &[(Row, u64)],
        meta: Meta,
    ) -> Result<Vec<Option<u64>>, EngineError> {
        let next = rows.iter().map(|(_, s)| s + 1).max();
        self.write(|txn| {
            txn.delete_table(ROWS)?;
            put_rows(txn, rows)?;
            put_meta(txn, meta, next)
        })?;
        Ok(vec![None; rows.len()])
    }

    fn spoiled(&mut self, rows: &[(Row, Option<u64>)]) -> Vec<bool> {
        let read = (|| {
            let db = self.open()?;
            let txn = db.begin_read().map_err(engine_error)?;
            let table = txn.open_table(ROWS).map_err(engine_error)?;
            rows.iter()
                .map(|(row, _)| {
                    let stored = table
                        .get(key(row.record).as_slice())
                        .map_err(engine_error)?;
                    let same = stored
                        .and_then(|v| postcard::from_bytes::<(Row, u64)>(v.value()).ok())
                        .is_some_and(|(r, _)| r == *row);
                    Ok(!same)
                })
                .collect::<Result<Vec<bool>, EngineError>>()
        })();
        read.unwrap_or_else(|_| vec![true; rows.len()])
    }
}
