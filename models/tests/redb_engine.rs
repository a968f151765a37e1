//! redb on the simulated volume behaves as ../shared/notes/redb.md measured
//! it inside madsim: these are the rows of that table lastcopy can reach,
//! driven through the engine the databases use.

extern crate lastcopy_models as models;

use models::engine::redb::RedbEngine;
use models::engine::{Engine, Meta};
use models::record::{RecordId, RecordKind, Row, VersionId};
use sim::disk::{CrashMode, Disk, DiskConfig, DiskFault};
use sim::host::{disk_handle, lock_disk, DiskHandle};

fn volume() -> DiskHandle {
    disk_handle(Disk::new(DiskConfig {
        sector_size: 4096,
        sectors: 1 << 14,
    }))
}

fn row(n: u32, seq: u32) -> (Row, u64) {
    let record = RecordId {
        owner: 0,
        kind: RecordKind::Todo,
        n,
    };
    (
        Row::new(record, VersionId { writer: 0, seq }, None),
        u64::from(seq),
    )
}

fn rows_of(engine: &mut RedbEngine, verify: bool) -> Vec<Row> {
    let loaded = engine.load(verify).expect("opens");
    loaded
        .rows
        .values()
        .flat_map(|m| m.values().map(|(r, _)| r.clone()))
        .collect()
}

/// A database with `commits` committed transactions of one row each.
fn committed(commits: u32) -> (DiskHandle, RedbEngine) {
    let disk = volume();
    let mut engine = RedbEngine::new(disk.clone());
    engine.format(Meta::default()).expect("formats");
    for n in 0..commits {
        engine.commit(&[row(n, 1)]).expect("commits");
    }
    (disk, engine)
}

#[test]
fn a_crash_after_commit_k_reopens_at_exactly_commit_k() {
    for k in [1, 3, 8] {
        let (disk, engine) = committed(k);
        lock_disk(&disk).fence();
        drop(engine); // what redb writes while closing fails: the disk is fenced
        lock_disk(&disk).crash(CrashMode::DropUnsynced);
        let mut reopened = RedbEngine::new(disk);
        assert_eq!(rows_of(&mut reopened, false).len() as u32, k, "commit {k}");
    }
}

#[test]
fn a_lost_write_in_the_last_commit_silently_rolls_it_back() {
    let (disk, mut engine) = committed(3);
    lock_disk(&disk).inject(DiskFault::LostWrite);
    engine
        .commit(&[row(3, 1)])
        .expect("the lying disk reports success");
    lock_disk(&disk).fence();
    drop(engine);
    lock_disk(&disk).crash(CrashMode::DropUnsynced);
    let mut reopened = RedbEngine::new(disk);
    let rows = rows_of(&mut reopened, false);
    assert_eq!(
        rows.len(),
        3,
        "the fourth commit is silently gone, no error"
    );
}

#[test]
fn a_failed_store_formats_anew_over_an_unreadable_header() {
    let (disk, engine) = committed(2);
    drop(engine);
    lock_disk(&disk).inject(DiskFault::LatentSectorError { sector: 1 });
    let mut reopened = RedbEngine::new(disk.clone());
    assert!(
        reopened.load(true).is_err(),
        "an unreadable header cannot be opened"
    );
    reopened
        .format(Meta::default())
        .expect("formatting rewrites the header");
    assert!(rows_of(&mut reopened, true).is_empty());
}

/// What opening a bit-flipped image and reading every row gave.
#[derive(Debug, Default)]
struct Outcomes {
    fine: u32,
    wrong: u32,
    errors: u32,
    panics: u32,
}

/// Flips bits in one sector of a cleanly closed database, `trials` times
/// (each on a fresh copy), then opens it and reads every row back.
fn bit_flips(check_on_open: bool, trials: u64) -> Outcomes {
    let mut out = Outcomes::default();
    let expected: Vec<Row> = (0..20).map(|n| row(n, 1).0).collect();
    for trial in 0..trials {
        let (disk, engine) = committed(20);
        drop(engine); // a clean close
        let live = lock_disk(&disk).live_sectors();
        let sector = live[(trial as usize * 7 + 3) % live.len()];
        lock_disk(&disk).inject(DiskFault::BitRot {
            sector,
            seed: trial,
        });
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut engine = RedbEngine::new(disk.clone());
            engine.load(check_on_open).map(|l| {
                let mut rows: Vec<Row> = l
                    .rows
                    .values()
                    .flat_map(|m| m.values().map(|(r, _)| r.clone()))
                    .collect();
                rows.sort_by_key(|r| r.record);
                rows
            })
        }));
        match result {
            Err(_) => out.panics += 1,
            Ok(Err(_)) => out.errors += 1,
            Ok(Ok(rows)) if rows == expected => out.fine += 1,
            Ok(Ok(_)) => out.wrong += 1,
        }
    }
    out
}

#[test]
fn bit_flips_after_a_clean_close_are_caught_by_check_on_open() {
    // The plain opens that panic print redb's panic message: expected.
    let checked = bit_flips(true, 40);
    assert_eq!(checked.panics, 0, "{checked:?}");
    assert!(
        checked.errors > 0,
        "check-on-open reports corruption: {checked:?}"
    );
    let plain = bit_flips(false, 40);
    assert!(
        plain.fine + plain.wrong + plain.errors + plain.panics == 40,
        "{plain:?}"
    );
    // As the notes measured: a plain open serves silently wrong data or
    // panics (here 2 and 2 of 40); check-on-open turns every one of those
    // into an error (here 9 errors, no wrong data, no panic).
    assert!(plain.wrong + plain.panics > 0, "{plain:?}");
    assert_eq!(checked.wrong, 0, "{checked:?}");
    assert!(
        plain.errors < checked.errors,
        "plain {plain:?} vs checked {checked:?}"
    );
}
