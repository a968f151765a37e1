//! A handset's store on SQLite (the real engine, bundled, through
//! [`sim::sqlite`]) on the handset's simulated flash, instead of the log
//! store: chosen with the scenario key `handset_engine = "sqlite"`, run
//! with the design's [`crate::design::Design::sqlite_journal_mode`] and
//! [`crate::design::Design::sqlite_synchronous`].
//!
//! What it promises the handset: the changes made since the last
//! [`SqliteStore::commit`] form one SQLite transaction, committed by it
//! (durable as far as the settings make it, and no further); opening
//! reads back what SQLite serves, after `PRAGMA integrity_check`. A
//! database that fails to open or its integrity check is returned as
//! [`Opened::Unusable`], never a panic: the handset decides. SQLite has no
//! page checksums, so rows keep their end-to-end checksum, checked by the
//! handset when its design verifies reads. At a power loss the host fences
//! the disk before the handset (and this store) is dropped, so the close
//! SQLite does on drop (a rollback, a WAL checkpoint) never reaches it.

use crate::record::{RecordId, Row, VersionId};
use serde::{Deserialize, Serialize};
use sim::files::{Files, FilesConfig};
use sim::host::{lock_disk, DiskHandle};
use sim::sqlite::{lock_files, share, JournalMode, SqliteError, SqliteOnDisk, Synchronous};
use std::fmt;

/// Which store a handset keeps its records in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HandsetEngine {
    /// The project's own log store.
    #[default]
    Log,
    /// SQLite, with the design's journal mode and synchronous level.
    Sqlite,
}

impl HandsetEngine {
    /// Every handset engine, in the order a swarm draws from them.
    pub const ALL: [HandsetEngine; 2] = [HandsetEngine::Log, HandsetEngine::Sqlite];
}

impl fmt::Display for HandsetEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HandsetEngine::Log => "log",
            HandsetEngine::Sqlite => "sqlite",
        })
    }
}

/// The database's file name on the handset's flash.
pub const NAME: &str = "handset.db";
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS rows(record BLOB PRIMARY KEY, row BLOB NOT NULL, synced INTEGER NOT NULL);
     CREATE TABLE IF NOT EXISTS meta(k INTEGER PRIMARY KEY, epoch INTEGER NOT NULL, cursor INTEGER NOT NULL);";

/// What a handset's store read back.
#[derive(Debug, Default)]
pub struct Stored {
    /// Every row that decoded, with whether it was synced.
    pub rows: Vec<(Row, bool)>,
    /// The server epoch and sync cursor last stored.
    pub epoch: u64,
    /// See `epoch`.
    pub cursor: u64,
    /// Whether the flash was blank (never written, wiped or replaced).
    pub blank: bool,
}

/// Opening the store.
#[derive(Debug)]
pub enum Opened {
    /// It opened and passed its integrity check.
    Ok(SqliteStore, Stored),
    /// It did not open, or failed its integrity check: why.
    Unusable(String),
}

/// A handset's SQLite database.
#[derive(Debug)]
pub struct SqliteStore {
    db: SqliteOnDisk,
    in_txn: bool,
}

/// How the handset's flash is divided into files: four slots of an eighth
/// of the disk each (the database, its journal or WAL, spares).
pub fn files_config(disk: &DiskHandle) -> FilesConfig {
    let sectors = lock_disk(disk).config().sectors;
    FilesConfig {
        slots: 4,
        slot_sectors: sectors / 8,
    }
}

fn key(record: RecordId) -> Vec<u8> {
    postcard::to_allocvec(&record).expect("record ids encode")
}

impl SqliteStore {
    /// Opens (creating it on a blank flash) the database on `disk` and
    /// reads it back; `seed` seeds SQLite's randomness.
    pub fn open(disk: &DiskHandle, settings: (JournalMode, Synchronous), seed: u64) -> Opened {
        let blank = lock_disk(disk).is_blank();
        let files = match Files::mount(disk.clone(), files_config(disk)) {
            Ok(f) => share(f),
            Err(e) => return Opened::Unusable(format!("files do not mount: {e}")),
        };
        let (jm, sync) = settings;
        let mut db = match SqliteOnDisk::open(files, NAME, jm, sync, seed) {
            Ok(db) => db,
            Err(e) => return Opened::Unusable(e.to_string()),
        };
        let read = (|| {
            db.execute_batch(SCHEMA)?;
            db.integrity_check()?;
            read_all(&mut db)
        })();
        match read {
            Ok((rows, epoch, cursor)) => Opened::Ok(
                SqliteStore { db, in_txn: false },
                Stored {
                    rows,
                    epoch,
                    cursor,
                    blank,
                },
            ),
            Err(e) => Opened::Unusable(e.to_string()),
        }
    }

    /// Deletes the database's files (durably), so that the next open
    /// starts empty: what a handset does with an unusable database. If the
    /// files themselves no longer mount, the flash is formatted anew.
    pub fn discard(disk: &DiskHandle) -> Result<(), String> {
        let files = match Files::mount(disk.clone(), files_config(disk)) {
            Ok(f) => f,
            // The file system itself no longer mounts: format it anew.
            Err(_) => Files::format(disk.clone(), files_config(disk)).map_err(|e| e.to_string())?,
        };
        let files = share(files);
        let mut f = lock_files(&files);
        for name in f.names() {
            f.delete(&name).map_err(|e| e.to_string())?;
        }
        f.sync_dir().map_err(|e| e.to_string())
    }

    fn begin(&mut self) -> Result<(), SqliteError> {
        if !self.in_txn {
            self.db.execute_batch("BEGIN")?;
            self.in_txn = true;
        }
        Ok(())
    }

    /// Stores `row` (replacing the record's row), as synced or not.
    pub fn put(&mut self, row: &Row, synced: bool) -> Result<(), SqliteError> {
        self.begin()?;
        let bytes = postcard::to_allocvec(row).expect("rows encode");
        let k = key(row.record);
        self.db.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO rows(record, row, synced) VALUES (?1, ?2, ?3)",
                (k, bytes, i64::from(synced)),
            )
        })?;
        Ok(())
    }

    /// Marks `record` synced if its row is `version`.
    pub fn synced(&mut self, record: RecordId, version: VersionId) -> Result<(), SqliteError> {
        self.begin()?;
        let row: Option<Vec<u8>> = self.db.with(|c| {
            let mut stmt = c.prepare("SELECT row FROM rows WHERE record = ?1")?;
            let mut rows = stmt.query([key(record)])?;
            match rows.next()? {
                Some(r) => r.get(0).map(Some),
                None => Ok(None),
            }
        })?;
        let is_version = row
            .and_then(|b| postcard::from_bytes::<Row>(&b).ok())
            .is_some_and(|r| r.version == version);
        if is_version {
            self.db.with(|c| {
                c.execute(
                    "UPDATE rows SET synced = 1 WHERE record = ?1",
                    [key(record)],
                )
            })?;
        }
        Ok(())
    }

    /// Stores the server epoch and sync cursor.
    pub fn cursor(&mut self, epoch: u64, cursor: u64) -> Result<(), SqliteError> {
        self.begin()?;
        self.db.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO meta(k, epoch, cursor) VALUES (0, ?1, ?2)",
                (epoch as i64, cursor as i64),
            )
        })?;
        Ok(())
    }

    /// Forgets every row.
    pub fn clear(&mut self) -> Result<(), SqliteError> {
        self.begin()?;
        self.db.execute_batch("DELETE FROM rows")
    }

    /// Forgets `record`.
    pub fn forget(&mut self, record: RecordId) -> Result<(), SqliteError> {
        self.begin()?;
        self.db
            .with(|c| c.execute("DELETE FROM rows WHERE record = ?1", [key(record)]))?;
        Ok(())
    }

    /// Commits the changes since the last commit as one transaction
    /// (nothing to do if there are none).
    pub fn commit(&mut self) -> Result<(), SqliteError> {
        if self.in_txn {
            self.in_txn = false;
            self.db.execute_batch("COMMIT")?;
        }
        Ok(())
    }

    /// Whether changes wait for a commit.
    pub fn pending(&self) -> bool {
        self.in_txn
    }

    /// The sectors holding a byte of the database's files: where a storage
    /// fault does harm.
    pub fn live_sectors(&self) -> Vec<u64> {
        let files = self.db.files();
        let files = lock_files(&files);
        let sector = files.sector_size() as u64;
        let mut out = Vec::new();
        for name in files.names() {
            let Ok(id) = files.open(&name) else { continue };
            let (Ok(size), Ok(range)) = (files.size(id), files.data_sectors(id)) else {
                continue;
            };
            out.extend(range.start..range.start + size.div_ceil(sector));
        }
        out
    }
}

impl Drop for SqliteStore {
    /// A handset that shuts down cleanly commits what it has written, as
    /// an application closing its database does. At a power loss the disk
    /// is already fenced, so the commit writes nothing.
    fn drop(&mut self) {
        if self.in_txn {
            self.in_txn = false;
            let _ = self.db.execute_batch("COMMIT");
        }
    }
}

type ReadBack = (Vec<(Row, bool)>, u64, u64);

fn read_all(db: &mut SqliteOnDisk) -> Result<ReadBack, SqliteError> {
    let raw: Vec<(Vec<u8>, i64)> = db.with(|c| {
        let mut stmt = c.prepare("SELECT row, synced FROM rows ORDER BY record")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    })?;
    let meta: Vec<(i64, i64)> = db.with(|c| {
        let mut stmt = c.prepare("SELECT epoch, cursor FROM meta WHERE k = 0")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    })?;
    let rows = raw
        .into_iter()
        .filter_map(|(b, s)| postcard::from_bytes::<Row>(&b).ok().map(|r| (r, s != 0)))
        .collect();
    let (epoch, cursor) = meta.first().copied().unwrap_or((0, 0));
    Ok((rows, epoch as u64, cursor as u64))
}
