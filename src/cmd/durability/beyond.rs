//! The "beyond the documentation" experiment: SQLite under the simulated
//! disk's storage faults, which it does not claim to survive.
//!
//! A database is set up as in [`sim::sqlite::durability`] (a table with an
//! index over its payload, [`SETUP_TXNS`] durable transactions of [`ROWS`]
//! rows). Then, per setting pair and fault:
//!
//! - **lost write** and **misdirected write** (offsets -8, -1, +1, +8
//!   sectors) are armed on the disk just before each of the [`TXNS`]
//!   measured transactions in turn; after the workload the node loses power
//!   (the disk fenced before the connection drops, every unsynced write
//!   dropped) and the database is opened again;
//! - **bit rot** strikes, after the whole workload and a power loss, each
//!   sector holding a byte of one of the database's files in turn (seed 0
//!   of the bit positions), and the database is opened again.
//!
//! Each run is classified as the documented experiment classifies it:
//! corrupt (fails to open, fails `PRAGMA integrity_check`, or holds a row
//! nobody wrote), partial, rolled back (an acknowledged or setup
//! transaction missing) or clean. Runs where the fault had no effect (bit
//! rot of a sector past every file's end is skipped before it runs; an
//! armed fault that never fired still counts) are clean by construction.

use sim::disk::{CrashMode, Disk, DiskConfig, DiskFault};
use sim::files::{Files, FilesConfig};
use sim::host::{disk_handle, lock_disk, DiskHandle};
use sim::sqlite::durability::Outcome;
use sim::sqlite::{lock_files, share, JournalMode, SharedFiles, SqliteOnDisk, Synchronous};
use std::collections::BTreeMap;
use std::fmt;

/// Transactions committed durably before the measured ones.
pub const SETUP_TXNS: u32 = 8;
/// Measured transactions: a fault is armed before each in turn.
pub const TXNS: u32 = 4;
/// Rows per transaction.
pub const ROWS: u32 = 4;
const PAYLOAD: usize = 300;
const SEED: u64 = 15;
const NAME: &str = "main.db";
const FILES: FilesConfig = FilesConfig {
    slots: 8,
    slot_sectors: 4096,
};
const MISDIRECT_OFFSETS: [i64; 4] = [-8, -1, 1, 8];

/// The settings measured: those SQLite documents as keeping every
/// acknowledged commit through a power loss.
pub const SETTINGS: [(JournalMode, Synchronous); 4] = [
    (JournalMode::Delete, Synchronous::Extra),
    (JournalMode::Truncate, Synchronous::Full),
    (JournalMode::Persist, Synchronous::Full),
    (JournalMode::Wal, Synchronous::Full),
];

/// A storage fault of the experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StorageFault {
    /// A sync reports success without persisting its latest write.
    LostWrite,
    /// A write lands on other sectors than its target.
    MisdirectedWrite,
    /// Bits flip in a durable sector; reads return the wrong bytes.
    BitRot,
}

impl StorageFault {
    /// Every fault, in table order.
    pub const ALL: [StorageFault; 3] = [
        StorageFault::LostWrite,
        StorageFault::MisdirectedWrite,
        StorageFault::BitRot,
    ];
}

impl fmt::Display for StorageFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StorageFault::LostWrite => "lost write",
            StorageFault::MisdirectedWrite => "misdirected write",
            StorageFault::BitRot => "bit rot",
        })
    }
}

/// One row: a fault under one setting pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The fault.
    pub fault: StorageFault,
    /// The journal mode.
    pub journal_mode: JournalMode,
    /// The synchronous level.
    pub synchronous: Synchronous,
    /// Runs per outcome.
    pub counts: BTreeMap<Outcome, u64>,
    /// What the first run of the worst outcome found.
    pub example: Option<(Outcome, String)>,
}

impl Row {
    fn add(&mut self, outcome: Outcome, detail: String) {
        *self.counts.entry(outcome).or_default() += 1;
        if outcome != Outcome::Clean && self.example.as_ref().is_none_or(|(o, _)| outcome > *o) {
            self.example = Some((outcome, detail));
        }
    }

    /// Runs that ended in `outcome`.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.counts.get(&outcome).copied().unwrap_or(0)
    }
}

/// The experiment could not run (a bug, not a finding).
#[derive(Debug)]
pub struct SetupError(String);

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage-fault experiment setup failed: {}", self.0)
    }
}

fn err(e: impl fmt::Display) -> SetupError {
    SetupError(e.to_string())
}

fn payload(txn: u32, row: u32) -> Vec<u8> {
    let tag = format!("t{txn}r{row};");
    tag.bytes().cycle().take(PAYLOAD).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn commit(db: &mut SqliteOnDisk, txn: u32) -> Result<(), sim::sqlite::SqliteError> {
    let mut sql = String::from("BEGIN;");
    for row in 0..ROWS {
        sql.push_str(&format!(
            "INSERT INTO t(txn, row, payload) VALUES ({txn}, {row}, X'{}');",
            hex(&payload(txn, row))
        ));
    }
    sql.push_str("COMMIT;");
    db.execute_batch(&sql)
}

fn mount(disk: DiskHandle) -> Result<SharedFiles, String> {
    Files::mount(disk, FILES)
        .map(share)
        .map_err(|e| format!("files do not mount: {e}"))
}

/// The durable disk the measured workload starts from.
fn setup(jm: JournalMode, sync: Synchronous) -> Result<Disk, SetupError> {
    let disk = disk_handle(Disk::new(DiskConfig {
        sector_size: 512,
        sectors: 1 << 16,
    }));
    let files = mount(disk.clone()).map_err(err)?;
    let mut db = SqliteOnDisk::open(files, NAME, jm, sync, SEED).map_err(err)?;
    db.execute_batch(
        "CREATE TABLE t(txn INTEGER, row INTEGER, payload BLOB, PRIMARY KEY(txn, row));
         CREATE INDEX t_payload ON t(payload);",
    )
    .map_err(err)?;
    for txn in 0..SETUP_TXNS {
        commit(&mut db, txn).map_err(err)?;
    }
    db.close().map_err(err)?;
    let mut d = lock_disk(&disk);
    d.shutdown().map_err(err)?;
    Ok(d.clone())
}

/// Runs the measured workload on a copy of `base`, injecting `fault` just
/// before transaction `at` (if any), then loses power. Returns the disk
/// after the crash and how many transactions were acknowledged.
fn workload(
    base: &Disk,
    (jm, sync): (JournalMode, Synchronous),
    fault: Option<(u32, DiskFault)>,
) -> Result<(DiskHandle, u32), SetupError> {
    let disk = disk_handle(base.clone());
    let files = mount(disk.clone()).map_err(err)?;
    let mut db = SqliteOnDisk::open(files, NAME, jm, sync, SEED).map_err(err)?;
    let mut acked = SETUP_TXNS;
    for txn in SETUP_TXNS..SETUP_TXNS + TXNS {
        if let Some((at, f)) = fault.filter(|(at, _)| *at == txn) {
            debug_assert_eq!(at, txn);
            lock_disk(&disk).inject(f);
        }
        if commit(&mut db, txn).is_err() {
            break;
        }
        acked += 1;
    }
    let disk = db.power_loss();
    lock_disk(&disk).crash(CrashMode::DropUnsynced);
    Ok((disk, acked))
}

/// Opens the database on `disk` again and says what it holds, given that
/// the first `acked` transactions were acknowledged.
fn classify(
    disk: DiskHandle,
    (jm, sync): (JournalMode, Synchronous),
    acked: u32,
) -> (Outcome, String) {
    let files = match mount(disk) {
        Ok(f) => f,
        Err(e) => return (Outcome::Corrupt, e),
    };
    let mut db = match SqliteOnDisk::open(files, NAME, jm, sync, SEED + 1) {
        Ok(db) => db,
        Err(e) => return (Outcome::Corrupt, e.to_string()),
    };
    if let Err(e) = db.integrity_check() {
        return (Outcome::Corrupt, e.to_string());
    }
    let rows = db.with(|c| {
        let mut stmt = c.prepare("SELECT txn, row, payload FROM t")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<Result<Vec<(u32, u32, Vec<u8>)>, _>>()
    });
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => return (Outcome::Corrupt, e.to_string()),
    };
    let mut per_txn: BTreeMap<u32, u32> = BTreeMap::new();
    for (txn, row, bytes) in rows {
        if txn >= SETUP_TXNS + TXNS || row >= ROWS || bytes != payload(txn, row) {
            return (
                Outcome::Corrupt,
                format!("row ({txn}, {row}) holds what no transaction wrote"),
            );
        }
        *per_txn.entry(txn).or_default() += 1;
    }
    if let Some((txn, n)) = per_txn.iter().find(|(_, &n)| n < ROWS) {
        return (
            Outcome::Partial,
            format!("transaction {txn} has {n} of {ROWS} rows"),
        );
    }
    if let Some(txn) = (0..acked).find(|t| !per_txn.contains_key(t)) {
        return (
            Outcome::RolledBack,
            format!("acknowledged transaction {txn} is missing"),
        );
    }
    (Outcome::Clean, String::new())
}

/// Measures `fault` under one setting pair.
pub fn measure(
    fault: StorageFault,
    settings: (JournalMode, Synchronous),
) -> Result<Row, SetupError> {
    let base = setup(settings.0, settings.1)?;
    let mut row = Row {
        fault,
        journal_mode: settings.0,
        synchronous: settings.1,
        counts: BTreeMap::new(),
        example: None,
    };
    let armed: Vec<DiskFault> = match fault {
        StorageFault::LostWrite => vec![DiskFault::LostWrite],
        StorageFault::MisdirectedWrite => MISDIRECT_OFFSETS
            .iter()
            .map(|&offset| DiskFault::MisdirectedWrite { offset })
            .collect(),
        StorageFault::BitRot => Vec::new(),
    };
    for at in SETUP_TXNS..SETUP_TXNS + TXNS {
        for f in &armed {
            let (disk, acked) = workload(&base, settings, Some((at, *f)))?;
            let (outcome, detail) = classify(disk, settings, acked);
            row.add(
                outcome,
                format!("{} before transaction {at}: {detail}", f.kind()),
            );
        }
    }
    if fault == StorageFault::BitRot {
        let (after, acked) = workload(&base, settings, None)?;
        let after = lock_disk(&after).clone();
        for sector in file_sectors(&after)? {
            let disk = disk_handle(after.clone());
            let effect = lock_disk(&disk).inject(DiskFault::BitRot { sector, seed: 0 });
            if effect.is_none() {
                continue;
            }
            let (outcome, detail) = classify(disk, settings, acked);
            row.add(outcome, format!("bit rot of sector {sector}: {detail}"));
        }
    }
    Ok(row)
}

/// The sectors holding a byte of some file on `disk`, ascending.
fn file_sectors(disk: &Disk) -> Result<Vec<u64>, SetupError> {
    let files = mount(disk_handle(disk.clone())).map_err(err)?;
    let files = lock_files(&files);
    let sector = files.sector_size() as u64;
    let mut out = Vec::new();
    for name in files.names() {
        let id = files.open(&name).map_err(err)?;
        let size = files.size(id).map_err(err)?;
        let range = files.data_sectors(id).map_err(err)?;
        out.extend(range.start..range.start + size.div_ceil(sector));
    }
    out.sort_unstable();
    Ok(out)
}

/// Every fault under every setting of [`SETTINGS`], fault by fault.
pub fn measure_all() -> Result<Vec<Row>, SetupError> {
    let mut rows = Vec::new();
    for fault in StorageFault::ALL {
        for settings in SETTINGS {
            rows.push(measure(fault, settings)?);
        }
    }
    Ok(rows)
}

/// The rows as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| fault | journal_mode | synchronous | runs | clean | rolled back | partial | corrupt | worst, first seen |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let runs: u64 = r.counts.values().sum();
        let example = r
            .example
            .as_ref()
            .map(|(o, d)| format!("{}: {d}", o.name()))
            .unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {} | {runs} | {} | {} | {} | {} | {example} |\n",
            r.fault,
            r.journal_mode.name(),
            r.synchronous.name(),
            r.count(Outcome::Clean),
            r.count(Outcome::RolledBack),
            r.count(Outcome::Partial),
            r.count(Outcome::Corrupt),
        ));
    }
    out
}
