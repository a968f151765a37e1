//! The databases' state machine, driven step by step without madsim: commits
//! are durable before they are reported, pulls, blank volumes under each
//! design, restores and backup images that survive crashes.

extern crate lastcopy_models as models;

mod common;

use common::*;
use models::database::{Database, Role};
use models::design::Design;
use models::engine::EngineKind;
use models::event::SidekickEvent;
use models::handset::{Handset, HandsetConfig};
use models::msg::{DbHealth, Msg, SyncResult};
use models::record::{RecordId, Row, VersionId};
use sim::buggify::Buggify;
use sim::disk::{CrashMode, DiskFault};
use sim::host::{lock_disk, Boot, DiskHandle, Io, Outputs};
use sim::time::SimTime;
use sim::trace::EngineEvent;
use std::time::Duration;

const TIMER_BACKUP: u64 = 1;
const HOUR: Duration = Duration::from_secs(3600);

/// What an `OpReply` said.
#[derive(Debug, PartialEq)]
struct OpAnswer {
    req: u64,
    health: DbHealth,
    rows: Option<Vec<Row>>,
    done: bool,
}

/// One database node with its volume.
struct Db {
    env: Env,
    role: Role,
    design: Design,
    engine: EngineKind,
    disk: DiskHandle,
    db: Database,
}

impl Db {
    fn primary(design: Design) -> Self {
        Self::primary_on(design, EngineKind::Log)
    }

    /// A primary whose store is `engine`.
    fn primary_on(design: Design, engine: EngineKind) -> Self {
        let role = Role::Primary {
            backup: BACKUP,
            interval: 24 * HOUR,
            offset: 3 * HOUR,
        };
        Self::first_boot(role, design, engine)
    }

    fn backup(design: Design) -> Self {
        Self::first_boot(Role::Backup, design, EngineKind::Log)
    }

    fn first_boot(role: Role, design: Design, engine: EngineKind) -> Self {
        let disk = blank_disk();
        let db = Database::new(
            role.clone(),
            design.clone(),
            "vol".into(),
            disk.clone(),
            engine,
        );
        let mut d = Db {
            env: Env::new(),
            role,
            design,
            engine,
            disk,
            db,
        };
        d.step(|db, io| db.boot(Boot::First, io));
        d
    }

    fn me(&self) -> sim::host::Addr {
        match self.role {
            Role::Primary { .. } => PRIMARY,
            Role::Backup => BACKUP,
        }
    }

    fn step<R>(
        &mut self,
        f: impl FnOnce(&mut Database, &mut Io<'_, Msg>) -> R,
    ) -> (R, Outputs<Msg>) {
        self.env.advance(Duration::from_secs(1));
        let (me, db) = (self.me(), &mut self.db);
        self.env.step("db", me, |io| f(db, io))
    }

    fn deliver(&mut self, from: sim::host::Addr, msg: Msg) -> Outputs<Msg> {
        self.step(|db, io| db.on_message(from, msg, io)).1
    }

    /// A sync on behalf of `user`; returns the result.
    fn sync(
        &mut self,
        user: u32,
        cursor: u64,
        full: bool,
        digest: Option<u64>,
        push: Vec<Row>,
    ) -> SyncResult {
        let msg = Msg::DbSync {
            req: 11,
            user,
            epoch: 0,
            cursor,
            full,
            digest,
            push,
        };
        match only_send(&self.deliver(SERVER, msg)) {
            (SERVER, Msg::DbSyncReply { req: 11, result }) => result,
            other => panic!("expected a DbSyncReply to the server, got {other:?}"),
        }
    }

    fn push(&mut self, rows: Vec<Row>) -> SyncResult {
        let user = rows[0].record.owner;
        self.sync(user, 0, false, None, rows)
    }

    /// An operator request; returns the answer.
    fn ask(&mut self, msg: Msg) -> OpAnswer {
        match only_send(&self.deliver(OPERATOR, msg)) {
            (
                OPERATOR,
                Msg::OpReply {
                    req,
                    health,
                    rows,
                    done,
                },
            ) => OpAnswer {
                req,
                health,
                rows,
                done,
            },
            other => panic!("expected an OpReply to the operator, got {other:?}"),
        }
    }

    /// Power loss (`Crash`) or clean shutdown, then a new machine boots from the volume.
    /// Returns what the boot produced.
    fn reboot(&mut self, boot: Boot) -> Outputs<Msg> {
        match boot {
            Boot::Crash => {
                lock_disk(&self.disk).crash(CrashMode::DropUnsynced);
            }
            _ => lock_disk(&self.disk).shutdown().expect("clean shutdown"),
        }
        self.reboot_as_is(boot)
    }

    /// A new machine boots from the volume as it is now; returns what the
    /// boot produced.
    fn reboot_as_is(&mut self, boot: Boot) -> Outputs<Msg> {
        self.db = self.machine();
        self.step(|db, io| db.boot(boot, io)).1
    }

    /// Power loss while the machine runs (what its engine writes as it goes
    /// down fails: the disk is fenced), then `fault` hits the volume and a
    /// new machine boots from it.
    fn power_loss_with(&mut self, fault: DiskFault) {
        lock_disk(&self.disk).fence();
        self.db = self.machine();
        lock_disk(&self.disk).crash(CrashMode::DropUnsynced);
        lock_disk(&self.disk).inject(fault);
        self.step(|db, io| db.boot(Boot::Crash, io));
    }

    /// A new database machine on the volume, not yet booted.
    fn machine(&self) -> Database {
        Database::new(
            self.role.clone(),
            self.design.clone(),
            "vol".into(),
            self.disk.clone(),
            self.engine,
        )
    }

    /// The volume is destroyed; the node comes back on a blank one.
    fn lose_volume_and_boot(&mut self) {
        lock_disk(&self.disk).replace_blank();
        self.env.advance(HOUR);
        self.reboot_as_is(Boot::Crash);
    }

    fn versions(&self, user: u32) -> Vec<(RecordId, VersionId)> {
        self.db
            .view(user)
            .values()
            .map(|r| (r.record, r.version))
            .collect()
    }

    fn dump(&mut self) -> Option<Vec<Row>> {
        self.ask(Msg::Dump { req: 5 }).rows
    }
}

fn parts(result: SyncResult) -> (u64, u64, Vec<(RecordId, VersionId)>, Vec<Row>, bool) {
    match result {
        SyncResult::Ok {
            epoch,
            cursor,
            committed,
            rows,
            full,
        } => (epoch, cursor, committed, rows, full),
        SyncResult::Unavailable => panic!("expected Ok, got Unavailable"),
    }
}

fn committed(result: SyncResult) -> Vec<(RecordId, VersionId)> {
    parts(result).2
}

#[test]
fn a_push_is_committed_only_once_it_is_durable() {
    let mut db = Db::primary(Design::hardened());
    let a = row(rec(0, 1), 1);
    assert_eq!(committed(db.push(vec![a.clone()])), vec![id(&a)]);
    assert_eq!(unsynced(&db.disk), 0, "committed before it was durable");
    db.reboot(Boot::Crash);
    assert_eq!(db.versions(0), ids(&[a]));
}

#[test]
fn a_push_of_an_older_version_is_not_committed_again_but_reported_covered() {
    let mut db = Db::primary(Design::hardened());
    let (r1, r2) = (
        row(rec(0, 1), 1),
        Row::new(rec(0, 1), ver(0, 2), Some(ver(0, 1))),
    );
    db.push(vec![r2.clone()]);
    let writes = lock_disk(&db.disk).stats().writes;
    assert_eq!(committed(db.push(vec![r1.clone()])), ids(&[r1]));
    assert_eq!(
        lock_disk(&db.disk).stats().writes,
        writes,
        "nothing new to write"
    );
    assert_eq!(db.versions(0), ids(&[r2]));
}

#[test]
fn a_push_for_another_users_record_is_not_committed() {
    let mut db = Db::primary(Design::hardened());
    let theirs = row(rec(1, 1), 1);
    let result = db.sync(0, 0, false, None, vec![theirs]);
    assert!(committed(result).is_empty());
    assert!(db.versions(1).is_empty());
}

#[test]
fn a_quiesced_primary_commits_nothing_until_resumed() {
    let mut db = Db::primary(Design::hardened());
    assert!(db.ask(Msg::Quiesce { req: 1, on: true }).done);
    db.reboot(Boot::Crash); // read-only is durable
    let a = row(rec(0, 1), 1);
    assert!(committed(db.push(vec![a.clone()])).is_empty());
    assert!(db.ask(Msg::Quiesce { req: 2, on: false }).done);
    db.reboot(Boot::Crash); // and so is resuming
    assert_eq!(committed(db.push(vec![a.clone()])), ids(&[a]));
}

#[test]
fn a_pull_returns_rows_since_the_cursor_or_all_of_them_when_full() {
    let mut db = Db::primary(Design::hardened());
    let (a, b) = (row(rec(0, 1), 1), row(rec(0, 2), 2));
    let (_, c1, ..) = parts(db.push(vec![a.clone()]));
    let (_, c2, ..) = parts(db.push(vec![b.clone()]));
    db.push(vec![row(rec(1, 1), 1)]); // another user's
    assert!(c2 > c1);
    let (_, _, _, rows, full) = parts(db.sync(0, c1, false, None, vec![]));
    assert_eq!((ids(&rows), full), (vec![id(&b)], false));
    let (_, _, _, rows, full) = parts(db.sync(0, c1, true, None, vec![]));
    assert_eq!((ids(&rows), full), (ids(&[a, b]), true));
}

#[test]
fn a_digest_mismatch_gives_a_full_reply_and_a_match_does_not() {
    // The handset computes the digest; the database must agree with it.
    let env = Env::new();
    let flash = blank_disk();
    let cfg = HandsetConfig {
        user: 0,
        server: SERVER,
        store: "handset-0/flash".into(),
        sync_interval: HOUR,
        sync_after_edit: Duration::from_secs(10),
        exchange_timeout: models::handset::EXCHANGE_TIMEOUT,
        rtc: models::clock::Rtc::new(),
        engine: Default::default(),
    };
    let mut h = Handset::new(cfg, Design::hardened(), flash);
    env.step("handset-0", HANDSET_0, |io| {
        h.boot(Boot::First, io);
        h.edit(rec(0, 1), ver(0, 1), true, false, io);
    });
    let (_, out) = env.step("handset-0", HANDSET_0, |io| h.on_timer(1, io));
    let Msg::Sync {
        digest: Some(digest),
        push,
        ..
    } = only_send(&out).1
    else {
        panic!("a hardened handset sends its digest");
    };

    let mut db = Db::primary(Design::hardened());
    let (_, cursor, committed, _, full) = parts(db.sync(0, 0, false, Some(digest), push));
    assert_eq!(committed, [(rec(0, 1), ver(0, 1))]);
    assert!(!full, "same versions, same digest");
    let (_, _, _, rows, full) = parts(db.sync(0, cursor, false, Some(digest ^ 1), vec![]));
    assert!(full, "a different digest asks for everything");
    assert_eq!(ids(&rows), [(rec(0, 1), ver(0, 1))]);
}

#[test]
fn a_first_boot_on_a_blank_volume_formats_without_calling_it_a_rebuild() {
    let mut db = Db::primary(Design::hardened());
    assert!(db.env.events(SidekickEvent::DbRebuilt).is_empty());
    let answer = db.ask(Msg::Status { req: 1 });
    assert!(matches!(answer.health, DbHealth::Serving { rebuilt: false, epoch } if epoch > 0));
}

#[test]
fn a_blank_volume_on_a_non_first_boot_formats_a_new_epoch_under_fragile() {
    let mut db = Db::primary(Design::fragile_2009());
    db.push(vec![row(rec(0, 1), 1)]);
    let (old_epoch, ..) = parts(db.sync(0, 0, false, None, vec![]));
    db.lose_volume_and_boot();
    let ev = db.env.event(SidekickEvent::DbRebuilt);
    let epoch = ev.field("epoch").and_then(|v| v.as_u64()).unwrap();
    assert_ne!(epoch, old_epoch);
    assert_eq!(
        db.ask(Msg::Status { req: 1 }).health,
        DbHealth::Serving {
            epoch,
            rebuilt: true
        }
    );
    let (e, _, _, rows, _) = parts(db.sync(0, 0, true, None, vec![]));
    assert_eq!((e, rows.len()), (epoch, 0), "serves the empty result");
}

#[test]
fn a_blank_volume_on_a_non_first_boot_awaits_a_restore_under_hardened() {
    let mut db = Db::primary(Design::hardened());
    db.push(vec![row(rec(0, 1), 1)]);
    db.lose_volume_and_boot();
    db.env.event(SidekickEvent::DbAwaitingRestore);
    assert!(db.env.events(SidekickEvent::DbRebuilt).is_empty());
    assert!(!db.db.serving());
    assert_eq!(
        db.sync(0, 0, true, None, vec![row(rec(0, 2), 1)]),
        SyncResult::Unavailable
    );
    assert_eq!(
        db.ask(Msg::Status { req: 1 }).health,
        DbHealth::AwaitingRestore
    );
    assert_eq!(db.dump(), None);
    assert!(
        lock_disk(&db.disk).is_blank(),
        "nothing written while waiting"
    );
}

/// redb cannot open a store whose header sector became unreadable: the
/// primary formats it anew, and must say so (a new epoch, `rebuilt`), or the
/// operator sees an intact primary and never restores the backup over it.
#[test]
fn a_store_redb_cannot_open_is_rebuilt_and_reported_rebuilt_under_a_new_epoch() {
    let mut db = Db::primary_on(Design::hardened(), EngineKind::Redb);
    let (old_epoch, ..) = parts(db.push(vec![row(rec(0, 1), 1)]));
    db.env.advance(HOUR);
    db.power_loss_with(DiskFault::LatentSectorError { sector: 1 });
    db.env.event(SidekickEvent::StoreFailed);
    let ev = db.env.event(SidekickEvent::DbRebuilt);
    let epoch = ev.field("epoch").and_then(|v| v.as_u64()).unwrap();
    assert!(epoch != 0 && epoch != old_epoch, "epoch {epoch}");
    assert_eq!(
        db.ask(Msg::Status { req: 1 }).health,
        DbHealth::Serving {
            epoch,
            rebuilt: true
        }
    );
    assert!(db.versions(0).is_empty(), "the store came back blank");
}

/// The rows a store that failed to open held are gone with it: the lineage
/// must call them corrupted (damage found), not silently lost.
#[test]
fn the_rows_of_a_store_redb_cannot_open_end_as_corrupted() {
    let mut db = Db::primary_on(Design::hardened(), EngineKind::Redb);
    let a = row(rec(0, 1), 1);
    db.push(vec![a.clone()]);
    db.power_loss_with(DiskFault::LatentSectorError { sector: 1 });
    db.env.event(SidekickEvent::StoreDamage);
    let ended: Vec<_> = db
        .env
        .events(EngineEvent::CopyEnded)
        .into_iter()
        .filter(|e| e.str("record") == Some(&*a.record.to_string()))
        .map(|e| e.str("cause").map(str::to_string))
        .collect();
    assert_eq!(ended, [Some("corrupted".to_string())]);
}

/// After a rebuild the sequence restarts at 1: a commit made then is sent to
/// a handset that syncs from the start of the new epoch (cursor 0).
#[test]
fn a_commit_after_a_store_rebuild_reaches_a_handset_syncing_from_cursor_zero() {
    let mut db = Db::primary_on(Design::hardened(), EngineKind::Redb);
    db.push(vec![row(rec(0, 1), 1)]);
    db.power_loss_with(DiskFault::LatentSectorError { sector: 1 });
    db.env.event(SidekickEvent::DbRebuilt);
    let b = row(rec(0, 2), 2);
    assert_eq!(committed(db.push(vec![b.clone()])), vec![id(&b)]);
    let (_, cursor, _, rows, full) = parts(db.sync(0, 0, false, None, vec![]));
    assert_eq!((ids(&rows), full), (ids(&[b]), false));
    assert!(cursor > 0, "cursor {cursor}");
}

#[test]
fn a_restore_replaces_the_contents_under_a_new_epoch_and_survives_a_crash() {
    let mut db = Db::primary(Design::hardened());
    db.push(vec![row(rec(0, 9), 1)]);
    db.lose_volume_and_boot();
    let (a, b) = (row(rec(0, 1), 1), row(rec(0, 2), 2));
    let answer = db.ask(Msg::Restore {
        req: 4,
        epoch: 77,
        rows: vec![a.clone(), b.clone()],
    });
    assert_eq!(
        answer,
        OpAnswer {
            req: 4,
            health: DbHealth::Serving {
                epoch: 77,
                rebuilt: false
            },
            rows: None,
            done: true
        }
    );
    db.env.event(SidekickEvent::DbRestored);
    db.reboot(Boot::Crash);
    let (epoch, _, _, rows, _) = parts(db.sync(0, 0, true, None, vec![]));
    assert_eq!((epoch, ids(&rows)), (77, ids(&[a, b])));
}

#[test]
fn a_restore_drops_rows_not_in_the_copy_and_resumes_commits() {
    let mut db = Db::primary(Design::hardened());
    db.push(vec![row(rec(0, 9), 1)]);
    db.ask(Msg::Quiesce { req: 1, on: true });
    let a = row(rec(0, 1), 1);
    db.ask(Msg::Restore {
        req: 2,
        epoch: 77,
        rows: vec![a.clone()],
    });
    db.reboot(Boot::Crash);
    assert_eq!(db.versions(0), ids(&[a]));
    let c = row(rec(0, 3), 3);
    assert_eq!(
        committed(db.push(vec![c.clone()])),
        ids(&[c]),
        "still read-only"
    );
}

#[test]
fn the_backup_job_sends_every_row_to_the_backup_every_interval() {
    let mut db = Db::primary(Design::fragile_2009());
    let (a, b) = (row(rec(0, 1), 1), row(rec(1, 1), 1));
    db.push(vec![a.clone()]);
    db.push(vec![b.clone()]);
    let (_, out) = db.step(|db, io| db.on_timer(TIMER_BACKUP, io));
    let (to, msg) = only_send(&out);
    let Msg::BackupImage { rows, .. } = msg else {
        panic!("expected a BackupImage, got {msg:?}");
    };
    assert_eq!((to, ids(&rows)), (BACKUP, ids(&[a, b])));
    let now = db.env.now;
    assert!(out
        .timers
        .iter()
        .any(|(k, at)| *k == TIMER_BACKUP && at.is_some_and(|t| t > now)));
}

/// The backup job runs at the offset of each day (the primary's interval
/// is a day, its offset three hours): fired at the offset, it schedules
/// the next one a whole interval later, and so on, never again at once;
/// a primary booted late in a day waits for the next day's offset.
#[test]
fn the_backup_job_fires_at_the_offset_and_then_every_interval() {
    let mut db = Db::primary(Design::hardened());
    db.push(vec![row(rec(0, 1), 1)]);
    for k in 0..3u32 {
        let at = SimTime::from(3 * HOUR + k * 24 * HOUR);
        db.env.now = SimTime::from(at.as_duration() - Duration::from_secs(1));
        let (_, out) = db.step(|db, io| db.on_timer(TIMER_BACKUP, io));
        assert_eq!(db.env.now, at);
        let next = SimTime::from(at.as_duration() + 24 * HOUR);
        assert!(sets_timer(&out, TIMER_BACKUP, next), "{:?}", out.timers);
    }
    // Booted late in a day (22h), it waits for that day's offset (27h).
    db.env.now = SimTime::from(3 * 24 * HOUR + 22 * HOUR - Duration::from_secs(1));
    let out = db.reboot(Boot::Crash);
    let next = SimTime::from(3 * 24 * HOUR + 27 * HOUR);
    assert!(sets_timer(&out, TIMER_BACKUP, next), "{:?}", out.timers);
}

/// An account restore replaces that account's rows with the copy's and
/// keeps every other account's rows as they are.
#[test]
fn an_account_restore_replaces_only_that_accounts_rows() {
    let mut db = Db::primary(Design::hardened());
    let (mine, other) = (row(rec(0, 1), 1), row(rec(1, 1), 1));
    db.push(vec![mine.clone()]);
    db.push(vec![other.clone()]);
    let restored = row(rec(0, 2), 2);
    db.ask(Msg::RestoreAccount {
        req: 3,
        epoch: 78,
        account: 0,
        rows: vec![restored.clone()],
    });
    assert_eq!(db.versions(0), ids(&[restored]));
    assert_eq!(db.versions(1), ids(&[other]));
}

#[test]
fn a_backup_without_an_image_has_nothing_to_dump() {
    let mut db = Db::backup(Design::fragile_2009());
    assert_eq!(db.dump(), None);
}

#[test]
fn a_sealed_backup_image_survives_a_crash() {
    let mut db = Db::backup(Design::fragile_2009());
    let (a, b) = (row(rec(0, 1), 1), row(rec(1, 1), 1));
    db.deliver(
        PRIMARY,
        Msg::BackupImage {
            epoch: 5,
            rows: vec![a.clone(), b.clone()],
        },
    );
    db.env.event(SidekickEvent::BackupStored);
    db.reboot(Boot::Crash);
    assert_eq!(db.dump().map(|r| ids(&r)), Some(ids(&[a, b])));
}

/// The disk acknowledges the sync of a new image but loses its last write,
/// the seal: after power loss the image is unsealed and the previous one
/// must still be served.
#[test]
fn a_crash_before_the_seal_of_a_backup_image_keeps_the_previous_image() {
    let mut db = Db::backup(Design::fragile_2009());
    let old = row(rec(0, 1), 1);
    db.deliver(
        PRIMARY,
        Msg::BackupImage {
            epoch: 5,
            rows: vec![old.clone()],
        },
    );
    lock_disk(&db.disk).inject(DiskFault::LostWrite);
    let new = vec![row(rec(0, 2), 2), row(rec(0, 3), 3)];
    db.deliver(
        PRIMARY,
        Msg::BackupImage {
            epoch: 6,
            rows: new.clone(),
        },
    );
    assert_eq!(
        db.dump().map(|r| ids(&r)),
        Some(ids(&new)),
        "before the crash"
    );
    db.reboot(Boot::Crash);
    assert_eq!(db.dump().map(|r| ids(&r)), Some(ids(&[old])));
}

/// An image that could not be written whole (the volume filled up) is torn
/// by a power loss at every possible point: the previous image survives.
/// (Passes with the committed prefix-only log store; fails with the log
/// store that reads past holes, where a torn crash can keep a later entry of
/// the image and drop its `Clear`, so unsealed rows go live.)
#[test]
fn a_torn_backup_image_keeps_the_previous_image() {
    let mut db = Db::backup(Design::fragile_2009());
    let old = row(rec(0, 1), 1);
    db.deliver(
        PRIMARY,
        Msg::BackupImage {
            epoch: 5,
            rows: vec![old.clone()],
        },
    );
    lock_disk(&db.disk).inject(DiskFault::DiskFull { free_sectors: 3 });
    let new: Vec<Row> = (2..8).map(|n| row(rec(0, n), n)).collect();
    db.deliver(
        PRIMARY,
        Msg::BackupImage {
            epoch: 6,
            rows: new,
        },
    );
    db.env.event(SidekickEvent::BackupFailed);
    assert!(unsynced(&db.disk) > 0, "part of the image is in the cache");
    let before = lock_disk(&db.disk).clone();
    for seed in 0..16 {
        *lock_disk(&db.disk) = before.clone();
        lock_disk(&db.disk).crash(CrashMode::Tear { seed });
        db.reboot_as_is(Boot::Crash);
        assert_eq!(
            db.dump().map(|r| ids(&r)),
            Some(vec![id(&old)]),
            "tear seed {seed}"
        );
    }
}

/// A restore that fails part-way (the volume filled up) leaves an unsealed
/// `Clear` in the log. Once space is back, later commits are appended after
/// it, and the next boot's replay stages them with the aborted restore and
/// throws them away: a version reported committed is lost.
#[test]
fn a_commit_after_a_failed_restore_survives_a_crash() {
    let mut db = Db::primary(Design::hardened());
    db.push(vec![row(rec(0, 1), 1)]);
    lock_disk(&db.disk).inject(DiskFault::DiskFull { free_sectors: 2 });
    let copy: Vec<Row> = (2..6).map(|n| row(rec(0, n), n)).collect();
    assert!(
        !db.ask(Msg::Restore {
            req: 1,
            epoch: 77,
            rows: copy
        })
        .done
    );
    lock_disk(&db.disk).inject(DiskFault::DiskFull { free_sectors: 1000 }); // space freed
    let e = row(rec(0, 9), 1);
    assert_eq!(committed(db.push(vec![e.clone()])), vec![id(&e)]);
    db.reboot(Boot::Crash);
    assert!(
        db.versions(0).contains(&(e.record, e.version)),
        "committed, then lost"
    );
}

/// A sync of the volume that fails drops the commit it covered (and the
/// database says Unavailable); a later commit must still be durable.
#[test]
fn a_commit_after_a_failed_volume_sync_survives_a_crash() {
    let mut db = Db::primary(Design::hardened());
    lock_disk(&db.disk).inject(DiskFault::SyncFailure);
    let (b, c) = (row(rec(0, 2), 2), row(rec(0, 3), 3));
    assert_eq!(db.push(vec![b]), SyncResult::Unavailable);
    assert_eq!(committed(db.push(vec![c.clone()])), vec![id(&c)]);
    db.reboot(Boot::Crash);
    assert_eq!(db.versions(0), ids(&[c]));
}

/// A failed sync drops a whole restore (more entries than the log store's
/// end-of-log gap); the database keeps appending after the dropped entries,
/// so the next boot's scan stops in the gap and never sees the commits made
/// after it.
#[test]
fn a_commit_after_a_failed_sync_of_a_large_restore_survives_a_crash() {
    let mut db = Db::primary(Design::fragile_2009());
    lock_disk(&db.disk).inject(DiskFault::SyncFailure);
    let copy: Vec<Row> = (1..=100).map(|n| row(rec(0, n), 1)).collect();
    assert!(
        !db.ask(Msg::Restore {
            req: 1,
            epoch: 77,
            rows: copy
        })
        .done
    );
    let c = row(rec(0, 200), 1);
    assert_eq!(committed(db.push(vec![c.clone()])), vec![id(&c)]);
    db.reboot(Boot::Crash);
    assert_eq!(db.versions(0), ids(&[c]), "committed, then lost");
}

/// The backup image the primary's backup job sends now, if it sends one.
fn backup_job(db: &mut Db) -> Option<Vec<Row>> {
    let (_, out) = db.step(|db, io| db.on_timer(TIMER_BACKUP, io));
    out.sends.into_iter().find_map(|(_, m)| match m {
        Msg::BackupImage { rows, .. } => Some(rows),
        _ => None,
    })
}

#[test]
fn a_backup_job_that_stops_part_way_sends_a_prefix_unless_backups_are_verified() {
    use models::incident::Incident;
    for (design, whole) in [(Design::fragile_2009(), false), (Design::hardened(), true)] {
        let mut db = Db::primary(design);
        let rows: Vec<Row> = (0..4).map(|n| row(rec(0, n), n + 1)).collect();
        db.push(rows.clone());
        let stop = Incident::BackupStopped { keep_permille: 500 };
        db.step(|db, io| db.on_incident(7, stop, io));
        let sent = backup_job(&mut db).expect("the job sends an image");
        assert_eq!(sent.len(), if whole { 4 } else { 2 });
        db.step(|db, io| db.on_incident(8, Incident::BackupSilentFailure, io));
        assert_eq!(backup_job(&mut db).is_some(), whole);
    }
}

/// The nightly export carries deletions (tombstones) under
/// `keep_tombstones`, live records only without: a backup without the
/// tombstone of a deleted record lets a restore forget the deletion, and a
/// device still holding the record brings it back.
#[test]
fn the_backup_image_keeps_tombstones_only_under_keep_tombstones() {
    let live = row(rec(0, 1), 1);
    let gone = Row::make(rec(0, 2), ver(0, 2), None, 0, true);
    for (design, with_tombstone) in [(Design::fragile_2009(), false), (Design::hardened(), true)] {
        let mut db = Db::primary(design);
        db.push(vec![live.clone(), gone.clone()]);
        let sent = backup_job(&mut db).expect("the job sends an image");
        let expected = match with_tombstone {
            true => ids(&[live.clone(), gone.clone()]),
            false => ids(std::slice::from_ref(&live)),
        };
        assert_eq!(ids(&sent), expected);
    }
}

#[test]
fn retention_deletes_the_last_image_unless_it_keeps_the_last_verified_one() {
    use models::incident::Incident;
    for (design, kept) in [(Design::fragile_2009(), false), (Design::hardened(), true)] {
        let mut db = Db::backup(design);
        let a = row(rec(0, 1), 1);
        db.deliver(
            PRIMARY,
            Msg::BackupImage {
                epoch: 5,
                rows: vec![a.clone()],
            },
        );
        db.step(|db, io| db.on_incident(3, Incident::RetentionPurge, io));
        db.reboot(Boot::Crash);
        assert_eq!(db.dump().is_some(), kept);
    }
}

#[test]
fn a_migration_that_drops_photos_is_aborted_only_when_checked() {
    use models::incident::{Dropped, Incident};
    use models::record::RecordKind;
    for (design, aborted) in [(Design::fragile_2009(), false), (Design::hardened(), true)] {
        let mut db = Db::primary(design);
        let photo = RecordId {
            kind: RecordKind::Photo,
            ..rec(0, 1)
        };
        let (a, p) = (row(rec(0, 1), 1), row(photo, 2));
        db.push(vec![a.clone(), p.clone()]);
        let migration = Incident::SchemaMigration {
            dropped: Dropped::Kind(RecordKind::Photo),
        };
        db.step(|db, io| db.on_incident(4, migration, io));
        db.reboot(Boot::Crash);
        let want = if aborted { ids(&[a, p]) } else { ids(&[a]) };
        assert_eq!(db.versions(0), want);
    }
}

/// An upgrade rolled back half-way leaves the old version unable to read
/// the rows the new one rewrote: without `migration_checked` the primary
/// goes on with the others only (the rewritten rows are gone); with it the
/// row counts differ and the rollback is aborted, every row kept.
#[test]
fn an_upgrade_rollback_drops_the_rewritten_rows_unless_checked() {
    use models::database::rewritten;
    use models::incident::Incident;
    const SEED: u64 = 11;
    let rows: Vec<Row> = (1..=8).map(|n| row(rec(0, n), n)).collect();
    let kept: Vec<Row> = rows
        .iter()
        .filter(|r| !rewritten(SEED, r.record))
        .cloned()
        .collect();
    assert!(
        !kept.is_empty() && kept.len() < rows.len(),
        "{}",
        kept.len()
    );
    for (design, want) in [(Design::fragile_2009(), &kept), (Design::hardened(), &rows)] {
        let mut db = Db::primary(design);
        db.push(rows.clone());
        let rollback = Incident::UpgradeRollback { seed: SEED };
        db.step(|db, io| db.on_incident(4, rollback, io));
        db.reboot(Boot::Crash);
        assert_eq!(db.versions(0), ids(want));
    }
}

#[test]
fn a_push_that_fails_its_checksum_is_committed_only_without_verify_reads() {
    // The 2009 design trusts what arrives; the hardened one verifies it.
    for (design, stored) in [(Design::fragile_2009(), true), (Design::hardened(), false)] {
        let mut db = Db::primary(design);
        let bad = corrupt(&row(rec(0, 1), 1));
        assert_eq!(!committed(db.push(vec![bad])).is_empty(), stored);
        assert_eq!(db.versions(0).len(), usize::from(stored));
    }
}

#[test]
fn without_idempotent_commits_a_late_push_of_an_older_version_replaces_the_newer() {
    // The 2009 design applies a writer's pushes as they arrive: a late
    // or repeated push of an older version rolls its newer one back.
    let older = row(rec(0, 1), 1);
    let newer = Row::new(rec(0, 1), ver(0, 2), Some(ver(0, 1)));
    for (design, served) in [
        (Design::fragile_2009(), older.version),
        (Design::hardened(), newer.version),
    ] {
        let mut db = Db::primary(design);
        db.push(vec![newer.clone()]);
        db.push(vec![older.clone()]);
        assert_eq!(db.versions(0), vec![(rec(0, 1), served)]);
    }
}

/// Only a writer's own late pushes replay (the 2009 way): a late push of
/// an older version by another writer (here the current version's parent)
/// meets the current one as any push does, so the newer version, with the
/// later stamp, stays served under every design.
#[test]
fn a_late_push_of_another_writers_older_version_does_not_replace_the_newer() {
    let current = Row::make(rec(0, 1), ver(1, 2), Some(ver(0, 1)), 20, false);
    let late = Row::make(rec(0, 1), ver(0, 1), None, 10, false);
    for design in [Design::fragile_2009(), Design::hardened()] {
        let mut db = Db::primary(design);
        db.push(vec![current.clone()]);
        db.push(vec![late.clone()]);
        assert_eq!(db.versions(0), vec![id(&current)]);
    }
}

/// A pull of user 0's rows from `cursor`, answered with `buggify` on (the
/// split-reply site may take its rare path); the reply's cursor and rows.
fn pull_buggified(db: &mut Db, cursor: u64, buggify: &Buggify) -> (u64, Vec<Row>) {
    let msg = Msg::DbSync {
        req: 11,
        user: 0,
        epoch: 0,
        cursor,
        full: false,
        digest: None,
        push: vec![],
    };
    let me = db.me();
    let (_, out) = db
        .env
        .step_buggified("db", me, buggify, |io| db.db.on_message(SERVER, msg, io));
    match only_send(&out) {
        (SERVER, Msg::DbSyncReply { result, .. }) => {
            let (_, cursor, _, rows, _) = parts(result);
            (cursor, rows)
        }
        other => panic!("expected a DbSyncReply, got {other:?}"),
    }
}

/// The rare path `database.split-reply` answers an incremental pull with
/// the rows up to the median sequence number and a cursor saying exactly
/// that: every row up to the cursor is in the reply, the next pull from it
/// brings the rest, and a reply of one row is never split (an empty reply
/// under a cursor past that row would hide it).
#[test]
fn a_split_reply_holds_every_row_up_to_its_cursor() {
    let mut db = Db::primary(Design::hardened());
    let rows: Vec<Row> = (1..=4).map(|n| row(rec(0, n), n)).collect();
    db.push(rows.clone());
    let mut split = None;
    for root in 0..64 {
        let before = db.env.events(SidekickEvent::DbSplitReply).len();
        let reply = pull_buggified(&mut db, 0, &Buggify::enabled(root));
        if db.env.events(SidekickEvent::DbSplitReply).len() > before {
            split = Some(reply);
            break;
        }
    }
    let (cursor, held) = split.expect("the site splits some pull within 64 roots");
    assert_eq!(ids(&held), ids(&rows[..2]), "the rows up to the median");
    assert_eq!(cursor, 2);
    let (_, _, _, rest, _) = parts(db.sync(0, cursor, false, None, vec![]));
    assert_eq!(ids(&rest), ids(&rows[2..]));
    for root in 0..64 {
        let (cursor, held) = pull_buggified(&mut db, 3, &Buggify::enabled(root));
        assert_eq!((cursor, ids(&held)), (4, ids(&rows[3..])), "root {root}");
    }
}

/// A restore logs its rows under fresh sequence numbers: a handset whose
/// cursor reset with the new epoch pulls every restored row from cursor 0.
/// In the lineage it ends only the copies it replaced or dropped, not the
/// ones it restored as they were.
#[test]
fn a_restore_is_pulled_from_cursor_zero_and_ends_only_what_it_replaced() {
    let mut db = Db::primary(Design::hardened());
    let (a, b) = (row(rec(0, 1), 1), row(rec(0, 2), 2));
    let b2 = Row::new(rec(0, 2), ver(0, 3), Some(b.version));
    db.push(vec![a.clone(), b.clone()]);
    let ended_before = db.env.events(EngineEvent::CopyEnded).len();
    db.ask(Msg::Restore {
        req: 2,
        epoch: 77,
        rows: vec![a.clone(), b2.clone()],
    });
    let ended: Vec<(Option<String>, Option<String>)> = db.env.events(EngineEvent::CopyEnded)
        [ended_before..]
        .iter()
        .map(|e| {
            (
                e.str("record").map(str::to_string),
                e.str("version").map(str::to_string),
            )
        })
        .collect();
    let replaced = (Some(b.record.to_string()), Some(b.version.to_string()));
    assert_eq!(ended, vec![replaced]);
    let (epoch, _, _, rows, full) = parts(db.sync(0, 0, false, None, vec![]));
    assert_eq!((epoch, full), (77, false));
    assert_eq!(ids(&rows), ids(&[a, b2]));
}

const TIMER_SCRUB: u64 = 2;

/// A handset that has never heard from a server holds epoch 0, so a server
/// never serves it: a primary first booted at time zero still serves a
/// non-zero epoch, or a later rebuild's new epoch would look to every
/// handset like its first contact and no cursor would reset.
#[test]
fn a_primary_first_booted_at_time_zero_serves_a_non_zero_epoch() {
    let env = Env::new();
    let role = Role::Primary {
        backup: BACKUP,
        interval: 24 * HOUR,
        offset: 3 * HOUR,
    };
    let (disk, design) = (blank_disk(), Design::hardened());
    let mut db = Database::new(role, design, "vol".into(), disk, EngineKind::Log);
    env.step("db", PRIMARY, |io| db.boot(Boot::First, io));
    let (_, out) = env.step("db", PRIMARY, |io| {
        db.on_message(OPERATOR, Msg::Status { req: 1 }, io)
    });
    match only_send(&out) {
        (OPERATOR, Msg::OpReply { health, .. }) => assert!(
            matches!(health, DbHealth::Serving { epoch, .. } if epoch != 0),
            "{health:?}"
        ),
        other => panic!("expected an OpReply, got {other:?}"),
    }
}

/// A primary formatted anew keeps its epoch and its `rebuilt` mark on its
/// volume: after a crash before the operator restored it, it still says
/// rebuilt under the same epoch (else the operator would see an intact
/// primary and never restore the backup, and handsets no new epoch).
#[test]
fn a_rebuilt_primary_still_says_rebuilt_under_its_epoch_after_a_crash() {
    let mut db = Db::primary(Design::fragile_2009());
    db.push(vec![row(rec(0, 1), 1)]);
    db.lose_volume_and_boot();
    let ev = db.env.event(SidekickEvent::DbRebuilt);
    let epoch = ev.field("epoch").and_then(|v| v.as_u64()).unwrap();
    db.reboot(Boot::Crash);
    assert_eq!(
        db.ask(Msg::Status { req: 1 }).health,
        DbHealth::Serving {
            epoch,
            rebuilt: true
        }
    );
}

/// A scrub rewrites each spoiled row as a new entry of the log, each under
/// a sequence number of its own: a commit after the repair still comes
/// after every cursor handed out before it (a sequence that went back
/// would hide it from every handset's next pull), and after a crash the
/// log replays every row, repaired ones included, to a handset pulling
/// from the start.
#[test]
fn a_commit_after_a_scrub_repair_comes_after_earlier_cursors() {
    let mut db = Db::primary(Design::hardened());
    let (a, b) = (row(rec(0, 1), 1), row(rec(0, 2), 2));
    let (_, before, ..) = parts(db.push(vec![a.clone(), b.clone()]));
    for (sector, _) in db.db.sector_records() {
        lock_disk(&db.disk).inject(DiskFault::BitRot { sector, seed: 7 });
    }
    db.step(|db, io| db.on_timer(TIMER_SCRUB, io));
    let scrub = db.env.event(SidekickEvent::StoreScrub);
    assert_eq!(scrub.field("rows").and_then(|v| v.as_u64()), Some(2));
    let c = row(rec(0, 3), 3);
    db.push(vec![c.clone()]);
    let (_, _, _, rows, _) = parts(db.sync(0, before, false, None, vec![]));
    assert_eq!(
        ids(&rows),
        ids(std::slice::from_ref(&c)),
        "the commit after cursor {before}"
    );
    db.reboot(Boot::Crash);
    let (_, _, _, rows, _) = parts(db.sync(0, 0, false, None, vec![]));
    let mut got = ids(&rows);
    got.sort();
    assert_eq!(got, ids(&[a, b, c]), "every row after cursor 0");
}

/// A reload of rows the volume still holds ends none of their copies: the
/// lineage calls a copy ended only when the store lost it, or `--explain`
/// would blame a fault for a copy that is still there.
#[test]
fn a_reboot_ends_no_copy_the_volume_still_holds() {
    let mut db = Db::primary(Design::hardened());
    db.push(vec![row(rec(0, 1), 1), row(rec(0, 2), 2)]);
    db.reboot(Boot::Crash);
    assert_eq!(db.env.events(EngineEvent::CopyEnded), vec![]);
    assert_eq!(db.versions(0).len(), 2);
}

/// `sector_records` names, for every row served, the sector holding it:
/// the sectors are exactly `live_sectors`, each row's record once (the
/// survivable atlas reads it to put a sector fault only where another copy
/// remains).
#[test]
fn sector_records_name_the_sector_of_every_row_served() {
    let mut db = Db::primary(Design::hardened());
    let rows = [row(rec(0, 1), 1), row(rec(0, 2), 2), row(rec(1, 1), 3)];
    db.push(rows[..2].to_vec());
    db.push(rows[2..].to_vec());
    let map = db.db.sector_records();
    let mut records: Vec<RecordId> = map.iter().map(|(_, r)| *r).collect();
    records.sort();
    assert_eq!(records, rows.iter().map(|r| r.record).collect::<Vec<_>>());
    let mut sectors: Vec<u64> = map.iter().map(|(s, _)| *s).collect();
    let mut live = db.db.live_sectors();
    sectors.sort();
    live.sort();
    assert_eq!(sectors, live);
}
