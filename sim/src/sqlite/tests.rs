use super::*;
use crate::disk::{Disk, DiskConfig};
use crate::files::FilesConfig;
use crate::host::disk_handle;

fn db(jm: JournalMode) -> SqliteOnDisk {
    let disk = disk_handle(Disk::new(DiskConfig {
        sector_size: 512,
        sectors: 1 << 16,
    }));
    let files = share(
        Files::mount(
            disk,
            FilesConfig {
                slots: 8,
                slot_sectors: 4096,
            },
        )
        .unwrap(),
    );
    SqliteOnDisk::open(files, "main.db", jm, Synchronous::Full, 3).unwrap()
}

#[test]
fn a_panic_in_a_callback_is_an_io_error() {
    let mut db = db(JournalMode::Delete);
    db.execute_batch("CREATE TABLE t(x)").unwrap();
    let next = db.mutations();
    lock_ctx(&db.ctx).panic_at = Some(next + 1);
    let r = db.execute_batch("INSERT INTO t VALUES (1)");
    assert!(
        matches!(r, Err(SqliteError::Sql(ref m)) if m.contains("disk I/O error")),
        "{r:?}"
    );
    // The process is still alive and the database still works.
    db.execute_batch("INSERT INTO t VALUES (2)").unwrap();
    let n: i64 = db
        .with(|c| c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(n, 1);
    db.integrity_check().unwrap();
}

#[test]
fn a_dead_process_touches_nothing() {
    let mut db = db(JournalMode::Wal);
    db.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    let next = db.mutations();
    db.crash_at(next, Crash::Process);
    assert!(db.execute_batch("INSERT INTO t VALUES (2)").is_err());
    assert!(db.is_dead());
    assert_eq!(db.crashed_before().map(|op| op.kind), Some(IoKind::Write));
    // Reads fail too: nothing runs in a dead process.
    assert!(db
        .with(|c| c.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)))
        .is_err());
    assert_eq!(db.mutations(), next);
}
