//! The engine-level durability experiment of issue #15: SQLite's durability
//! settings measured against its documentation.
//!
//! A database is set up (a table with an index, `setup_txns` committed
//! transactions of `rows` rows, closed cleanly, the disk shut down so that
//! all of it is durable). Then, for one `(journal_mode, synchronous)` pair
//! and one kind of crash, the measured workload (`txns` more transactions
//! of `rows` rows, each `COMMIT` recorded when acknowledged) is run once per
//! *crash point*: the crash strikes just before the n-th mutation (write,
//! sync, truncate, delete, directory sync) SQLite issues, or after the
//! last. A power loss fences the disk, drops the connection, crashes the
//! disk (dropping every unsynced write, and again for each of `tear_seeds`
//! seeds keeping a random subset of them) and mounts the files again; a
//! process crash drops the connection and keeps the files. The database is
//! then opened again and each run classified:
//!
//! - **corrupt**: it fails to open, fails `PRAGMA integrity_check`, or
//!   holds a row no transaction wrote;
//! - **partial**: some transaction is half applied;
//! - **rolled back**: some acknowledged transaction (or a setup one) is
//!   missing;
//! - **clean**: otherwise (the transaction in flight may or may not be
//!   there, whole).

use super::{share, Crash, IoOp, JournalMode, SqliteError, SqliteOnDisk, Synchronous};
use crate::disk::{CrashMode, Disk, DiskConfig};
use crate::files::{Files, FilesConfig};
use crate::host::{disk_handle, lock_disk};
use std::collections::BTreeMap;
use std::fmt;

/// The workload and how hard to look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Experiment {
    /// Transactions committed (durably) before the measured ones.
    pub setup_txns: u32,
    /// Measured transactions: every mutation they issue is a crash point.
    pub txns: u32,
    /// Rows per transaction.
    pub rows: u32,
    /// Bytes of payload per row (an index covers it, so that a commit
    /// writes several pages).
    pub payload: usize,
    /// At each power-loss point, besides dropping every unsynced write, so
    /// many torn crashes keeping random subsets (seeds 0..tear_seeds).
    pub tear_seeds: u64,
    /// The databases' seed.
    pub seed: u64,
}

impl Default for Experiment {
    fn default() -> Self {
        Experiment {
            setup_txns: 8,
            txns: 2,
            rows: 4,
            payload: 300,
            tear_seeds: 2,
            seed: 15,
        }
    }
}

/// How a run ended, worst last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Every acknowledged transaction whole, nothing half applied.
    Clean,
    /// An acknowledged (or setup) transaction is missing.
    RolledBack,
    /// A transaction is half applied.
    Partial,
    /// The database fails to open or its integrity check, or holds rows
    /// nobody wrote.
    Corrupt,
}

impl Outcome {
    /// Every outcome, best first.
    pub const ALL: [Outcome; 4] = [
        Outcome::Clean,
        Outcome::RolledBack,
        Outcome::Partial,
        Outcome::Corrupt,
    ];

    /// Its name in the table.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Clean => "clean",
            Outcome::RolledBack => "rolled back",
            Outcome::Partial => "partial",
            Outcome::Corrupt => "corrupt",
        }
    }
}

/// The first run that ended in some outcome: where it crashed and what was
/// found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    /// The crash point: how many mutations of the measured workload were
    /// done.
    pub point: u64,
    /// The mutation it crashed before (`None`: after the last).
    pub at: Option<IoOp>,
    /// How the disk crashed (`None` for a process crash).
    pub mode: Option<CrashMode>,
    /// What was found.
    pub detail: String,
}

/// One row of the table: one setting pair under one kind of crash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The journal mode.
    pub journal_mode: JournalMode,
    /// The synchronous level.
    pub synchronous: Synchronous,
    /// The kind of crash.
    pub crash: Crash,
    /// Crash points (mutations of the measured workload, plus one after
    /// the last).
    pub points: u64,
    /// Runs per outcome (a power-loss point is `1 + tear_seeds` runs).
    pub counts: BTreeMap<Outcome, u64>,
    /// The first run of each outcome other than clean.
    pub examples: BTreeMap<Outcome, Example>,
}

impl Row {
    /// Runs that ended in `outcome`.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.counts.get(&outcome).copied().unwrap_or(0)
    }
}

/// Why the experiment could not run (the setup failed: a bug, not a
/// finding).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("durability experiment setup failed: {0}")]
pub struct SetupError(String);

const NAME: &str = "main.db";
const FILES: FilesConfig = FilesConfig {
    slots: 8,
    slot_sectors: 4096,
};

fn disk_config() -> DiskConfig {
    DiskConfig {
        sector_size: 512,
        sectors: 1 << 16,
    }
}

fn payload(exp: &Experiment, txn: u32, row: u32) -> Vec<u8> {
    let tag = format!("t{txn}r{row};");
    tag.bytes().cycle().take(exp.payload).collect()
}

/// Commits transaction `txn` of the workload.
fn commit(db: &mut SqliteOnDisk, exp: &Experiment, txn: u32) -> Result<(), SqliteError> {
    db.with(|c| {
        let tx = c.unchecked_transaction()?;
        for row in 0..exp.rows {
            tx.execute(
                "INSERT INTO t(txn, row, payload) VALUES (?1, ?2, ?3)",
                rusqlite::params![txn, row, payload(exp, txn, row)],
            )?;
        }
        tx.commit()
    })
}

/// The durable disk the measured workload starts from.
fn setup(exp: &Experiment, jm: JournalMode, sync: Synchronous) -> Result<Disk, SetupError> {
    let err = |e: &dyn fmt::Display| SetupError(e.to_string());
    let disk = disk_handle(Disk::new(disk_config()));
    let files = share(Files::mount(disk.clone(), FILES).map_err(|e| err(&e))?);
    let mut db = SqliteOnDisk::open(files, NAME, jm, sync, exp.seed).map_err(|e| err(&e))?;
    db.execute_batch(
        "CREATE TABLE t(txn INTEGER, row INTEGER, payload BLOB, PRIMARY KEY(txn, row));
         CREATE INDEX t_payload ON t(payload);",
    )
    .map_err(|e| err(&e))?;
    for txn in 0..exp.setup_txns {
        commit(&mut db, exp, txn).map_err(|e| err(&e))?;
    }
    db.close().map_err(|e| err(&e))?;
    let mut d = lock_disk(&disk);
    d.shutdown().map_err(|e| err(&e))?;
    Ok(d.clone())
}

/// Runs the measured workload on a copy of `base`, crashing before
/// mutation `point` (counted from the workload's first), and classifies
/// what the database holds afterwards.
fn run_point(
    exp: &Experiment,
    base: &Disk,
    (jm, sync): (JournalMode, Synchronous),
    crash: Crash,
    point: u64,
    mode: Option<CrashMode>,
) -> Result<(Outcome, String, Option<IoOp>), SetupError> {
    let setup_err = |e: &dyn fmt::Display| SetupError(e.to_string());
    let disk = disk_handle(base.clone());
    let files = share(Files::mount(disk.clone(), FILES).map_err(|e| setup_err(&e))?);
    let mut db = SqliteOnDisk::open(files, NAME, jm, sync, exp.seed).map_err(|e| setup_err(&e))?;
    let start = db.mutations();
    db.crash_at(start + point, crash);
    let mut acked = 0;
    for txn in exp.setup_txns..exp.setup_txns + exp.txns {
        if commit(&mut db, exp, txn).is_err() {
            break;
        }
        acked += 1;
    }
    let at = db.crashed_before();
    let files = match crash {
        Crash::PowerLoss => {
            let disk = db.power_loss();
            lock_disk(&disk).crash(mode.clone().unwrap_or(CrashMode::DropUnsynced));
            match Files::mount(disk, FILES) {
                Ok(f) => share(f),
                Err(e) => return Ok((Outcome::Corrupt, format!("files do not mount: {e}"), at)),
            }
        }
        Crash::Process => db.process_crash(),
    };
    let (outcome, detail) = classify(exp, files, (jm, sync), exp.setup_txns + acked);
    Ok((outcome, detail, at))
}

/// Opens the database again and says what it holds, given that the first
/// `acked` transactions were acknowledged.
fn classify(
    exp: &Experiment,
    files: super::SharedFiles,
    (jm, sync): (JournalMode, Synchronous),
    acked: u32,
) -> (Outcome, String) {
    let mut db = match SqliteOnDisk::open(files, NAME, jm, sync, exp.seed + 1) {
        Ok(db) => db,
        Err(e) => return (Outcome::Corrupt, e.to_string()),
    };
    if let Err(e) = db.integrity_check() {
        return (Outcome::Corrupt, e.to_string());
    }
    let rows = db.with(|c| {
        let mut stmt = c.prepare("SELECT txn, row, payload FROM t")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
    });
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => return (Outcome::Corrupt, e.to_string()),
    };
    let mut per_txn: BTreeMap<u32, u32> = BTreeMap::new();
    for (txn, row, bytes) in rows {
        if txn >= exp.setup_txns + exp.txns || row >= exp.rows || bytes != payload(exp, txn, row) {
            return (
                Outcome::Corrupt,
                format!("row ({txn}, {row}) holds what no transaction wrote"),
            );
        }
        *per_txn.entry(txn).or_default() += 1;
    }
    if let Some((txn, n)) = per_txn.iter().find(|(_, &n)| n < exp.rows) {
        return (
            Outcome::Partial,
            format!("transaction {txn} has {n} of {} rows", exp.rows),
        );
    }
    if let Some(txn) = (0..acked).find(|t| !per_txn.contains_key(t)) {
        let first_missing = if txn < exp.setup_txns {
            "setup"
        } else {
            "acknowledged"
        };
        return (
            Outcome::RolledBack,
            format!(
                "{first_missing} transaction {txn} is missing ({} of {acked} acknowledged present)",
                per_txn.range(..acked).count()
            ),
        );
    }
    (Outcome::Clean, String::new())
}

/// Measures one setting pair under one kind of crash.
pub fn measure(
    exp: &Experiment,
    jm: JournalMode,
    sync: Synchronous,
    crash: Crash,
) -> Result<Row, SetupError> {
    let base = setup(exp, jm, sync)?;
    // A run without a crash counts the workload's mutations.
    let points = {
        let files = share(
            Files::mount(disk_handle(base.clone()), FILES)
                .map_err(|e| SetupError(e.to_string()))?,
        );
        let mut db = SqliteOnDisk::open(files, NAME, jm, sync, exp.seed)
            .map_err(|e| SetupError(e.to_string()))?;
        let start = db.mutations();
        for txn in exp.setup_txns..exp.setup_txns + exp.txns {
            commit(&mut db, exp, txn).map_err(|e| SetupError(e.to_string()))?;
        }
        let n = db.mutations() - start;
        drop(db.process_crash());
        n + 1
    };
    let modes: Vec<Option<CrashMode>> = match crash {
        Crash::Process => vec![None],
        Crash::PowerLoss => std::iter::once(Some(CrashMode::DropUnsynced))
            .chain((0..exp.tear_seeds).map(|seed| Some(CrashMode::Tear { seed })))
            .collect(),
    };
    let mut row = Row {
        journal_mode: jm,
        synchronous: sync,
        crash,
        points,
        counts: BTreeMap::new(),
        examples: BTreeMap::new(),
    };
    for point in 0..points {
        for mode in &modes {
            let (outcome, detail, at) =
                run_point(exp, &base, (jm, sync), crash, point, mode.clone())?;
            *row.counts.entry(outcome).or_default() += 1;
            if outcome != Outcome::Clean {
                row.examples.entry(outcome).or_insert(Example {
                    point,
                    at,
                    mode: mode.clone(),
                    detail,
                });
            }
        }
    }
    Ok(row)
}

/// Measures every `(journal_mode, synchronous)` pair under power loss and
/// under a process crash: 48 rows, in the order of [`JournalMode::ALL`],
/// [`Synchronous::ALL`], power loss first.
pub fn measure_all(exp: &Experiment) -> Result<Vec<Row>, SetupError> {
    let mut rows = Vec::new();
    for jm in JournalMode::ALL {
        for sync in Synchronous::ALL {
            for crash in [Crash::PowerLoss, Crash::Process] {
                rows.push(measure(exp, jm, sync, crash)?);
            }
        }
    }
    Ok(rows)
}

/// The rows as a Markdown table: runs per outcome, and for each outcome
/// other than clean where it first happened.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| journal_mode | synchronous | crash | points | clean | rolled back | partial | corrupt | first non-clean |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let crash = match r.crash {
            Crash::PowerLoss => "power loss",
            Crash::Process => "process",
        };
        let example = r
            .examples
            .iter()
            .next_back()
            .map(|(o, e)| {
                let at =
                    e.at.as_ref()
                        .map_or("after the last mutation".to_string(), |op| {
                            format!("before mutation {} ({op})", e.point)
                        });
                format!("{}: {at}: {}", o.name(), e.detail)
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {crash} | {} | {} | {} | {} | {} | {example} |\n",
            r.journal_mode.name(),
            r.synchronous.name(),
            r.points,
            r.count(Outcome::Clean),
            r.count(Outcome::RolledBack),
            r.count(Outcome::Partial),
            r.count(Outcome::Corrupt),
        ));
    }
    out
}
