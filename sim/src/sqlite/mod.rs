//! SQLite (the real engine, bundled) on the simulated flash: a VFS over the
//! crash-faithful file layer ([`crate::files`]), and a small safe API to
//! open a database, run SQL, crash it and open it again.
//!
//! # What the VFS promises SQLite
//!
//! Exactly the file layer's model (see [`crate::files`]), and the device
//! characteristics the simulated disk guarantees: `POWERSAFE_OVERWRITE`
//! only, sector size the disk's. `xDelete` honours SQLite's sync-directory
//! flag and `xSync` syncs the directory on the first sync of a journal or
//! WAL opened with `SQLITE_OPEN_CREATE`, as SQLite's own unix VFS does; so
//! `synchronous=EXTRA` in DELETE mode is what makes a journal's unlink
//! durable. See `vfs.rs` and `io.rs` for each callback.
//!
//! # Determinism
//!
//! The same seed, files and calls give the same bytes on the disk, whatever
//! ran before in the process and on other threads: every call into SQLite
//! holds one process-wide lock and first reseeds SQLite's process-wide PRNG
//! from the database's own seeded stream (see `lock.rs`); the VFS's
//! randomness, time and sleep come from that stream and the simulated
//! clock, never the OS. WAL runs with `locking_mode=EXCLUSIVE` (its index on
//! the heap), rollback-journal modes with `locking_mode=NORMAL` (in
//! exclusive mode SQLite would never delete or truncate the journal), and
//! every connection with `temp_store=MEMORY`.
//!
//! # Crashes and errors
//!
//! Errors are values: a database that fails to open is
//! [`SqliteError::Open`], one that fails `PRAGMA integrity_check` (or that
//! SQLite reports corrupt) is [`SqliteError::Corrupt`]; a panic inside a VFS
//! callback is caught and returned to SQLite as `SQLITE_IOERR`. A power loss
//! ([`SqliteOnDisk::power_loss`]) fences the disk *before* the connection is
//! dropped, so SQLite's clean-up on close (a rollback, a WAL checkpoint)
//! never reaches the disk; a process crash ([`SqliteOnDisk::process_crash`])
//! stops every callback instead and leaves the files (the operating system's
//! state) as they were. [`SqliteOnDisk::crash_at`] injects either at the
//! n-th mutation (write, sync, truncate, delete or directory sync) SQLite
//! issues.

pub mod durability;
mod io;
mod lock;
mod vfs;

pub use vfs::{Clock, EPOCH_JULIAN_MS};

use crate::files::Files;
use crate::host::DiskHandle;
use crate::rng::{from_seed, Rng};
use rand::Rng as _;
use rusqlite::{Connection, OpenFlags};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use vfs::{lock_ctx, Ctx, Registered, SharedCtx};

/// How many databases are open in this process: each [`SqliteOnDisk`]
/// registers a VFS of its own with SQLite until it is closed, crashed or
/// dropped. A simulation that ends with databases still open has leaked
/// them (their connection, page cache, files and disk, and a VFS SQLite
/// keeps looking through at every open).
pub fn open_databases() -> u64 {
    vfs::live()
}

/// Files shared between a database's VFS and its owner.
pub type SharedFiles = Arc<Mutex<Files>>;

/// Shares `files` for [`SqliteOnDisk::open`].
pub fn share(files: Files) -> SharedFiles {
    Arc::new(Mutex::new(files))
}

/// Locks shared files, whatever a panic left in them (as a crash would).
pub fn lock_files(files: &SharedFiles) -> MutexGuard<'_, Files> {
    files.lock().unwrap_or_else(PoisonError::into_inner)
}

/// SQLite's `journal_mode` (serialized as its kebab-case name: `wal`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum JournalMode {
    /// Rollback journal, deleted at commit.
    Delete,
    /// Rollback journal, truncated to zero at commit.
    Truncate,
    /// Rollback journal, its header zeroed at commit.
    Persist,
    /// Rollback journal in memory.
    Memory,
    /// Write-ahead log.
    Wal,
    /// No journal.
    Off,
}

impl JournalMode {
    /// Every mode, in SQLite's documentation order.
    pub const ALL: [JournalMode; 6] = [
        JournalMode::Delete,
        JournalMode::Truncate,
        JournalMode::Persist,
        JournalMode::Memory,
        JournalMode::Wal,
        JournalMode::Off,
    ];

    /// The pragma's value (`delete`, `wal`, ...), as SQLite reports it.
    pub fn name(self) -> &'static str {
        match self {
            JournalMode::Delete => "delete",
            JournalMode::Truncate => "truncate",
            JournalMode::Persist => "persist",
            JournalMode::Memory => "memory",
            JournalMode::Wal => "wal",
            JournalMode::Off => "off",
        }
    }
}

/// SQLite's `synchronous` (serialized as its kebab-case name: `full`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Synchronous {
    /// No syncs.
    Off,
    /// Syncs at the most critical moments.
    Normal,
    /// Syncs before every commit is acknowledged.
    Full,
    /// As full, and syncs the directory after a journal's unlink.
    Extra,
}

impl Synchronous {
    /// Every level, weakest first.
    pub const ALL: [Synchronous; 4] = [
        Synchronous::Off,
        Synchronous::Normal,
        Synchronous::Full,
        Synchronous::Extra,
    ];

    /// The pragma's value (`off`, `normal`, `full`, `extra`).
    pub fn name(self) -> &'static str {
        match self {
            Synchronous::Off => "off",
            Synchronous::Normal => "normal",
            Synchronous::Full => "full",
            Synchronous::Extra => "extra",
        }
    }
}

/// How a database's process stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Crash {
    /// The node loses power: the disk is fenced, and the caller then
    /// crashes it ([`crate::disk::Disk::crash`]) and mounts the files again.
    PowerLoss,
    /// The process dies; the operating system (the files, the disk's
    /// cache) carries on.
    Process,
}

/// What a mutation was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IoKind {
    /// `xWrite`.
    Write,
    /// `xSync` of a file.
    Sync,
    /// The directory sync of an `xSync` or `xDelete`.
    SyncDir,
    /// `xTruncate`.
    Truncate,
    /// `xDelete`.
    Delete,
}

/// One mutation SQLite issued: what, and on which file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoOp {
    /// What it was.
    pub kind: IoKind,
    /// The file's name.
    pub file: String,
}

impl fmt::Display for IoOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            IoKind::Write => "write",
            IoKind::Sync => "sync",
            IoKind::SyncDir => "sync-dir",
            IoKind::Truncate => "truncate",
            IoKind::Delete => "delete",
        };
        write!(f, "{kind} {}", self.file)
    }
}

/// Why a database call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SqliteError {
    /// The database could not be opened or set up.
    #[error("open failed: {0}")]
    Open(String),
    /// The database is corrupt: `PRAGMA integrity_check` failed, or SQLite
    /// said so.
    #[error("database corrupt: {0}")]
    Corrupt(String),
    /// A statement failed (I/O errors included).
    #[error("sqlite: {0}")]
    Sql(String),
    /// A database call was made from inside another on the same thread.
    #[error("a SQLite call was made from inside another")]
    Reentrant,
}

impl From<rusqlite::Error> for SqliteError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
        match e.sqlite_error_code() {
            Some(DatabaseCorrupt | NotADatabase) => SqliteError::Corrupt(e.to_string()),
            _ => SqliteError::Sql(e.to_string()),
        }
    }
}

/// A SQLite database on the simulated files, with its own VFS and seeded
/// stream. One connection per database: the VFS grants every lock, so two
/// open on the same file would corrupt it. Dropping it closes the
/// connection cleanly (under the SQLite lock), which writes; to model a
/// crash use [`SqliteOnDisk::power_loss`] or [`SqliteOnDisk::process_crash`].
/// It is `Send`: a model may own it on any thread.
pub struct SqliteOnDisk {
    conn: Option<Connection>,
    vfs: Registered,
    ctx: SharedCtx,
    journal_mode: JournalMode,
    synchronous: Synchronous,
}

impl fmt::Debug for SqliteOnDisk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteOnDisk")
            .field("vfs", &self.vfs.name())
            .field("journal_mode", &self.journal_mode)
            .field("synchronous", &self.synchronous)
            .finish_non_exhaustive()
    }
}

impl SqliteOnDisk {
    /// Opens (creating it if needed) the database `name` on `files` with
    /// the given durability settings, its randomness drawn from `seed` and
    /// its clock at simulated time zero. Fails with [`SqliteError::Open`]
    /// if SQLite cannot open it or refuses a setting (for example a
    /// corrupt header).
    pub fn open(
        files: SharedFiles,
        name: &str,
        journal_mode: JournalMode,
        synchronous: Synchronous,
        seed: u64,
    ) -> Result<SqliteOnDisk, SqliteError> {
        SqliteOnDisk::open_with_clock(files, name, journal_mode, synchronous, seed, None)
    }

    /// As [`SqliteOnDisk::open`], with SQLite's clock (`xCurrentTime`)
    /// reading `clock`.
    pub fn open_with_clock(
        files: SharedFiles,
        name: &str,
        journal_mode: JournalMode,
        synchronous: Synchronous,
        seed: u64,
        clock: Option<Clock>,
    ) -> Result<SqliteOnDisk, SqliteError> {
        let mut rng: Rng = from_seed(seed);
        let prng_seed = rng.next_u32();
        let ctx: SharedCtx = Arc::new(Mutex::new(Ctx {
            files,
            rng,
            clock,
            slept_us: 0,
            dead: false,
            mutations: 0,
            crash_at: None,
            log: Vec::new(),
            crashed_before: None,
            temp_files: 0,
            panic_at: None,
        }));
        lock::with_sqlite(prng_seed, || {
            let mut vfs = Registered::new(ctx.clone()).map_err(SqliteError::Open)?;
            match connect(name, vfs.name(), journal_mode, synchronous) {
                Ok(conn) => Ok(SqliteOnDisk {
                    conn: Some(conn),
                    vfs,
                    ctx: ctx.clone(),
                    journal_mode,
                    synchronous,
                }),
                Err(e) => {
                    vfs.unregister();
                    Err(e)
                }
            }
        })?
    }

    /// Runs `f` on the connection, holding the SQLite lock, after reseeding
    /// SQLite's PRNG from this database's stream. SQLite's errors come back
    /// as [`SqliteError::Sql`] or [`SqliteError::Corrupt`].
    pub fn with<R>(
        &mut self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> Result<R, SqliteError> {
        let seed = lock_ctx(&self.ctx).rng.next_u32();
        let conn = self.conn.as_ref().expect("open until consumed");
        Ok(lock::with_sqlite(seed, || f(conn))??)
    }

    /// Runs `sql` (one or more statements, no results).
    pub fn execute_batch(&mut self, sql: &str) -> Result<(), SqliteError> {
        self.with(|c| c.execute_batch(sql))
    }

    /// Runs `PRAGMA integrity_check`: [`SqliteError::Corrupt`] with what it
    /// found unless it says `ok`.
    pub fn integrity_check(&mut self) -> Result<(), SqliteError> {
        let rows = self.with(|c| {
            let mut stmt = c.prepare("PRAGMA integrity_check")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<Vec<String>>>()
        })?;
        if rows == ["ok"] {
            Ok(())
        } else {
            Err(SqliteError::Corrupt(rows.join("; ")))
        }
    }

    /// The files the database lives on.
    pub fn files(&self) -> SharedFiles {
        lock_ctx(&self.ctx).files.clone()
    }

    /// The durability settings it was opened with.
    pub fn settings(&self) -> (JournalMode, Synchronous) {
        (self.journal_mode, self.synchronous)
    }

    /// Arms a crash just before mutation number `mutation` (counted from 0
    /// at open; see [`SqliteOnDisk::mutations`]): that mutation and every
    /// callback after it fail, and a power loss fences the disk.
    pub fn crash_at(&mut self, mutation: u64, crash: Crash) {
        lock_ctx(&self.ctx).crash_at = Some((mutation, crash));
    }

    /// How many mutations SQLite has issued since open.
    pub fn mutations(&self) -> u64 {
        lock_ctx(&self.ctx).mutations
    }

    /// Every mutation SQLite has issued since open, in order.
    pub fn io_log(&self) -> Vec<IoOp> {
        lock_ctx(&self.ctx).log.clone()
    }

    /// The mutation an armed crash struck before (which never happened),
    /// once it fired.
    pub fn crashed_before(&self) -> Option<IoOp> {
        lock_ctx(&self.ctx).crashed_before.clone()
    }

    /// Whether the process is dead (an armed crash fired).
    pub fn is_dead(&self) -> bool {
        lock_ctx(&self.ctx).dead
    }

    /// Power loss: fences the disk, then drops the connection (nothing it
    /// does on close reaches the disk). Returns the disk, for the caller to
    /// crash ([`crate::disk::Disk::crash`]) and mount again.
    pub fn power_loss(mut self) -> DiskHandle {
        lock_ctx(&self.ctx).die(Crash::PowerLoss);
        let disk = lock_files(&self.files()).disk().clone();
        self.shut();
        disk
    }

    /// Process crash: every callback fails from now on, then the connection
    /// is dropped; the files stay as the process left them (unsynced writes
    /// included). Returns them, to open the database again.
    pub fn process_crash(mut self) -> SharedFiles {
        lock_ctx(&self.ctx).die(Crash::Process);
        let files = self.files();
        self.shut();
        files
    }

    /// Closes the connection cleanly and returns the files.
    pub fn close(mut self) -> Result<SharedFiles, SqliteError> {
        let files = self.files();
        let conn = self.conn.take().expect("open until consumed");
        let seed = lock_ctx(&self.ctx).rng.next_u32();
        let r = lock::with_sqlite(seed, || {
            let r = conn.close().map_err(|(_, e)| SqliteError::from(e));
            self.vfs.unregister();
            r
        });
        r??;
        Ok(files)
    }

    /// Drops the connection and unregisters the VFS, under the SQLite lock.
    fn shut(&mut self) {
        let seed = lock_ctx(&self.ctx).rng.next_u32();
        let conn = self.conn.take();
        let vfs = &mut self.vfs;
        let shut = || {
            drop(conn);
            vfs.unregister();
        };
        if lock::held() {
            // Only a misuse gets here (a database dropped inside another's
            // call): this thread already holds the lock.
            shut();
        } else {
            lock::with_sqlite(seed, shut).expect("the lock is not held");
        }
    }
}

const _: () = {
    const fn send<T: Send>() {}
    send::<SqliteOnDisk>();
};

#[cfg(test)]
mod tests;

impl Drop for SqliteOnDisk {
    fn drop(&mut self) {
        if self.conn.is_some() {
            self.shut();
        }
    }
}

/// Opens the connection and applies the settings, under the SQLite lock.
fn connect(
    name: &str,
    vfs: &str,
    journal_mode: JournalMode,
    synchronous: Synchronous,
) -> Result<Connection, SqliteError> {
    let open = |e: rusqlite::Error| SqliteError::Open(e.to_string());
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags_and_vfs(name, flags, vfs).map_err(open)?;
    let locking = if journal_mode == JournalMode::Wal {
        "exclusive"
    } else {
        "normal"
    };
    conn.execute_batch(&format!(
        "PRAGMA locking_mode={locking}; PRAGMA temp_store=MEMORY;"
    ))
    .map_err(open)?;
    let mode: String = conn
        .query_row(
            &format!("PRAGMA journal_mode={}", journal_mode.name()),
            [],
            |r| r.get(0),
        )
        .map_err(open)?;
    if mode != journal_mode.name() {
        return Err(SqliteError::Open(format!(
            "journal_mode={} was refused (still {mode})",
            journal_mode.name()
        )));
    }
    conn.execute_batch(&format!("PRAGMA synchronous={};", synchronous.name()))
        .map_err(open)?;
    Ok(conn)
}
