//! SQLite on the simulated files: every journal mode round-trips through a
//! power loss, the same seed writes the same bytes (after other seeds, and
//! on two threads at once), time is simulated, directories are synced where
//! the unix VFS syncs them, a power loss writes nothing after the fence, and
//! a corrupt database is an error value.

use lastcopy_sim::disk::{CrashMode, Disk, DiskConfig, DiskFault};
use lastcopy_sim::files::{Files, FilesConfig};
use lastcopy_sim::host::{disk_handle, lock_disk, DiskHandle};
use lastcopy_sim::sqlite::{
    lock_files, share, Clock, IoKind, JournalMode, SharedFiles, SqliteError, SqliteOnDisk,
    Synchronous,
};
use lastcopy_sim::time::SimTime;
use std::sync::Arc;

const FILES: FilesConfig = FilesConfig {
    slots: 8,
    slot_sectors: 4096,
};

fn new_disk() -> DiskHandle {
    disk_handle(Disk::new(DiskConfig {
        sector_size: 512,
        sectors: 1 << 16,
    }))
}

fn mount(disk: &DiskHandle) -> SharedFiles {
    share(Files::mount(disk.clone(), FILES).unwrap())
}

fn count(db: &mut SqliteOnDisk) -> i64 {
    db.with(|c| c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)))
        .unwrap()
}

#[test]
fn every_journal_mode_round_trips_through_a_power_loss() {
    for jm in JournalMode::ALL {
        let disk = new_disk();
        let mut db = SqliteOnDisk::open(mount(&disk), "main.db", jm, Synchronous::Full, 1).unwrap();
        db.execute_batch("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)")
            .unwrap();
        for i in 0..20 {
            db.execute_batch(&format!("INSERT INTO t(b) VALUES ('row {i}')"))
                .unwrap();
        }
        db.close().unwrap();
        lock_disk(&disk).shutdown().unwrap();
        lock_disk(&disk).crash(CrashMode::DropUnsynced);
        let mut db = SqliteOnDisk::open(mount(&disk), "main.db", jm, Synchronous::Full, 2).unwrap();
        db.integrity_check().unwrap();
        assert_eq!(count(&mut db), 20, "{jm:?}");
        assert_eq!(db.settings(), (jm, Synchronous::Full));
    }
}

/// A seeded workload: every byte it leaves on the disk, and the disk's
/// history.
fn workload(seed: u64, jm: JournalMode) -> (Vec<Vec<u8>>, u64) {
    let disk = new_disk();
    let mut db =
        SqliteOnDisk::open(mount(&disk), "main.db", jm, Synchronous::Normal, seed).unwrap();
    db.execute_batch("CREATE TABLE t(a INTEGER PRIMARY KEY, b BLOB); CREATE INDEX tb ON t(b);")
        .unwrap();
    for i in 0..30 {
        db.execute_batch(&format!(
            "BEGIN; INSERT INTO t(b) VALUES (randomblob(64)); INSERT INTO t(b) VALUES (zeroblob({i})); COMMIT;"
        ))
        .unwrap();
    }
    let disk = db.power_loss();
    let mut d = lock_disk(&disk);
    d.crash(CrashMode::Tear { seed: 1 });
    let bytes = d
        .live_sectors()
        .into_iter()
        .map(|s| d.read(s, 1).unwrap())
        .collect();
    (bytes, d.history_hash())
}

#[test]
fn same_seed_same_bytes_whatever_ran_before_and_beside() {
    for jm in [JournalMode::Delete, JournalMode::Wal] {
        let first = workload(7, jm);
        let other = workload(8, jm);
        // Journal nonces, WAL salts and randomblob() come from the seed.
        assert_ne!(first, other, "{jm:?}: the seed must matter");
        assert_eq!(workload(7, jm), first, "{jm:?}: after another seed");
        let threads: Vec<_> = (0..2)
            .map(|_| std::thread::spawn(move || workload(7, jm)))
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), first, "{jm:?}: on two threads at once");
        }
    }
}

#[test]
fn time_is_simulated() {
    let disk = new_disk();
    let now = |db: &mut SqliteOnDisk| -> String {
        db.with(|c| c.query_row("SELECT datetime('now')", [], |r| r.get(0)))
            .unwrap()
    };
    let mut db = SqliteOnDisk::open(
        mount(&disk),
        "a.db",
        JournalMode::Delete,
        Synchronous::Full,
        1,
    )
    .unwrap();
    assert_eq!(now(&mut db), "2009-10-01 00:00:00");
    let clock: Clock = Arc::new(|| SimTime::from_millis(86_400_000 + 5_000));
    let mut db = SqliteOnDisk::open_with_clock(
        mount(&disk),
        "b.db",
        JournalMode::Delete,
        Synchronous::Full,
        1,
        Some(clock),
    )
    .unwrap();
    assert_eq!(now(&mut db), "2009-10-02 00:00:05");
}

/// The mutations of creating a table (`.0`), then of one committed insert
/// (`.1`).
fn commit_log(jm: JournalMode, sync: Synchronous) -> (Vec<String>, Vec<String>) {
    let disk = new_disk();
    let mut db = SqliteOnDisk::open(mount(&disk), "main.db", jm, sync, 1).unwrap();
    db.execute_batch("CREATE TABLE t(x)").unwrap();
    let from = db.mutations() as usize;
    db.execute_batch("INSERT INTO t VALUES (1)").unwrap();
    let log: Vec<String> = db.io_log().iter().map(|op| op.to_string()).collect();
    (log[..from].to_vec(), log[from..].to_vec())
}

#[test]
fn directories_are_synced_where_the_unix_vfs_syncs_them() {
    let (_, full) = commit_log(JournalMode::Delete, Synchronous::Full);
    // The new journal's first sync syncs the directory; its unlink does not.
    let first_sync = full
        .iter()
        .position(|op| op == "sync main.db-journal")
        .unwrap();
    assert_eq!(full[first_sync + 1], "sync-dir main.db-journal");
    assert_eq!(full.last().unwrap(), "delete main.db-journal");
    assert_eq!(
        full.iter().filter(|op| op.starts_with("sync-dir")).count(),
        1
    );
    // EXTRA syncs the directory after the unlink.
    let (_, extra) = commit_log(JournalMode::Delete, Synchronous::Extra);
    assert_eq!(
        &extra[extra.len() - 2..],
        ["delete main.db-journal", "sync-dir main.db-journal"]
    );
    // OFF syncs nothing at all.
    let (_, off) = commit_log(JournalMode::Delete, Synchronous::Off);
    assert!(off.iter().all(|op| !op.starts_with("sync")), "{off:?}");
    // WAL: the new log's first sync syncs the directory, and only that one.
    let (create, insert) = commit_log(JournalMode::Wal, Synchronous::Full);
    let first_sync = create
        .iter()
        .position(|op| op == "sync main.db-wal")
        .unwrap();
    assert_eq!(create[first_sync + 1], "sync-dir main.db-wal");
    assert_eq!(
        insert,
        ["write main.db-wal", "write main.db-wal", "sync main.db-wal"]
    );
}

#[test]
fn power_loss_writes_nothing_after_the_fence() {
    let disk = new_disk();
    let mut db = SqliteOnDisk::open(
        mount(&disk),
        "main.db",
        JournalMode::Wal,
        Synchronous::Full,
        1,
    )
    .unwrap();
    db.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    let writes = lock_disk(&disk).stats().writes;
    let disk = db.power_loss();
    assert!(lock_disk(&disk).is_fenced());
    assert_eq!(lock_disk(&disk).stats().writes, writes);
    lock_disk(&disk).crash(CrashMode::DropUnsynced);
    // The WAL was never checkpointed: it is still there, and replays.
    let files = mount(&disk);
    assert!(lock_files(&files).exists("main.db-wal"));
    let mut db =
        SqliteOnDisk::open(files, "main.db", JournalMode::Wal, Synchronous::Full, 2).unwrap();
    assert_eq!(count(&mut db), 1);
    // A clean close, by contrast, checkpoints: it writes.
    let writes = lock_disk(&disk).stats().writes;
    db.close().unwrap();
    assert!(lock_disk(&disk).stats().writes > writes);
}

#[test]
fn a_process_crash_keeps_what_the_os_holds() {
    let disk = new_disk();
    let mut db = SqliteOnDisk::open(
        mount(&disk),
        "main.db",
        JournalMode::Delete,
        Synchronous::Off,
        1,
    )
    .unwrap();
    db.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    let unsynced = lock_disk(&disk).unsynced_writes();
    assert!(unsynced > 0);
    let files = db.process_crash();
    assert_eq!(lock_disk(&disk).unsynced_writes(), unsynced);
    let mut db =
        SqliteOnDisk::open(files, "main.db", JournalMode::Delete, Synchronous::Off, 2).unwrap();
    assert_eq!(count(&mut db), 1);
}

#[test]
fn a_corrupt_database_is_an_error_value() {
    let disk = new_disk();
    let files = mount(&disk);
    {
        let mut f = lock_files(&files);
        let id = f.create("garbage.db").unwrap();
        f.write(id, 0, &[0xa5; 4096]).unwrap();
    }
    let r = SqliteOnDisk::open(
        files.clone(),
        "garbage.db",
        JournalMode::Delete,
        Synchronous::Full,
        1,
    );
    assert!(matches!(r, Err(SqliteError::Open(_))), "{r:?}");

    let mut db = SqliteOnDisk::open(
        files.clone(),
        "main.db",
        JournalMode::Delete,
        Synchronous::Full,
        1,
    )
    .unwrap();
    db.execute_batch("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT); CREATE INDEX tb ON t(b);")
        .unwrap();
    for i in 0..200 {
        db.execute_batch(&format!(
            "INSERT INTO t(b) VALUES ('value {i} {}')",
            "x".repeat(100)
        ))
        .unwrap();
    }
    db.close().unwrap();
    // Rot every sector of the database past its header page.
    let sectors = {
        let f = lock_files(&files);
        f.data_sectors(f.open("main.db").unwrap()).unwrap()
    };
    for (i, sector) in sectors.skip(8).enumerate() {
        lock_disk(&disk).inject(DiskFault::BitRot {
            sector,
            seed: i as u64,
        });
    }
    let mut db =
        SqliteOnDisk::open(files, "main.db", JournalMode::Delete, Synchronous::Full, 2).unwrap();
    let r = db.integrity_check();
    assert!(matches!(r, Err(SqliteError::Corrupt(_))), "{r:?}");
}

#[test]
fn calls_from_inside_a_call_are_refused() {
    let disk = new_disk();
    let mut a = SqliteOnDisk::open(
        mount(&disk),
        "a.db",
        JournalMode::Delete,
        Synchronous::Full,
        1,
    )
    .unwrap();
    let mut b = SqliteOnDisk::open(
        mount(&disk),
        "b.db",
        JournalMode::Delete,
        Synchronous::Full,
        1,
    )
    .unwrap();
    let inner = a
        .with(|_| Ok(b.execute_batch("CREATE TABLE t(x)")))
        .unwrap();
    assert_eq!(inner, Err(SqliteError::Reentrant));
    assert_eq!(
        b.io_log()
            .iter()
            .filter(|op| op.kind == IoKind::Write)
            .count(),
        0
    );
}
