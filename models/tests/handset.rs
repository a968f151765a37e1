//! The handset's state machine, driven step by step without madsim: when the
//! user is told `saved` and `synced`, what a sync pushes, and how each design
//! comes back from a crash, a reset or a server that lost data.

extern crate lastcopy_models as models;

mod common;

use common::*;
use models::clock::Rtc;
use models::design::Design;
use models::engine::sqlite::HandsetEngine;
use models::event::SidekickEvent;
use models::handset::{Handset, HandsetConfig};
use models::msg::{Msg, SyncResult};
use models::record::{RecordId, Row, VersionId};
use sim::buggify::Buggify;
use sim::disk::{CrashMode, DiskFault};
use sim::host::{lock_disk, Boot, DiskHandle, Io, Outputs};
use sim::ledger::Entry;
use sim::trace::EngineEvent;
use std::time::Duration;

const TIMER_SYNC: u64 = 1;
const TIMER_TIMEOUT: u64 = 2;
const TIMER_SCRUB: u64 = 3;
const USER: u32 = 0;
const SYNC_AFTER_EDIT: Duration = Duration::from_secs(10);

fn r(n: u32) -> RecordId {
    rec(USER, n)
}

fn v(seq: u32) -> VersionId {
    ver(USER, seq)
}

/// What a handset's `Msg::Sync` asked.
#[derive(Debug)]
struct Ask {
    req: u64,
    epoch: u64,
    cursor: u64,
    full: bool,
    digest: Option<u64>,
    push: Vec<Row>,
}

/// One handset with its flash and the user's ledger.
struct Phone {
    env: Env,
    design: Design,
    engine: HandsetEngine,
    disk: DiskHandle,
    rtc: Rtc,
    h: Handset,
}

impl Phone {
    /// A handset of `design`, first boot on a blank flash.
    fn new(design: Design) -> Self {
        Self::on(design, HandsetEngine::default())
    }

    /// A handset of `design` whose store is `engine`, first boot on a blank flash.
    fn on(design: Design, engine: HandsetEngine) -> Self {
        Self::on_disk(design, engine, blank_disk())
    }

    /// A handset of `design` whose store is `engine`, first boot on `disk`.
    fn on_disk(design: Design, engine: HandsetEngine, disk: DiskHandle) -> Self {
        let rtc = Rtc::new();
        let h = Self::machine(&design, engine, &disk, &rtc);
        let mut p = Phone {
            env: Env::new(),
            design,
            engine,
            disk,
            rtc,
            h,
        };
        p.step(|h, io| h.boot(Boot::First, io));
        p
    }

    fn machine(design: &Design, engine: HandsetEngine, disk: &DiskHandle, rtc: &Rtc) -> Handset {
        let cfg = HandsetConfig {
            user: USER,
            server: SERVER,
            store: "handset-0/flash".into(),
            sync_interval: Duration::from_secs(1800),
            sync_after_edit: SYNC_AFTER_EDIT,
            exchange_timeout: models::handset::EXCHANGE_TIMEOUT,
            rtc: rtc.clone(),
            engine,
        };
        Handset::new(cfg, design.clone(), disk.clone())
    }

    fn step<R>(
        &mut self,
        f: impl FnOnce(&mut Handset, &mut Io<'_, Msg>) -> R,
    ) -> (R, Outputs<Msg>) {
        self.env.advance(Duration::from_secs(1));
        let h = &mut self.h;
        self.env.step("handset-0", HANDSET_0, |io| f(h, io))
    }

    fn edit(&mut self, record: RecordId, version: VersionId, creates: bool) -> Outputs<Msg> {
        self.step(|h, io| h.edit(record, version, creates, false, io))
            .1
    }

    fn delete(&mut self, record: RecordId, version: VersionId) -> Outputs<Msg> {
        self.step(|h, io| h.edit(record, version, false, true, io))
            .1
    }

    /// The row the handset holds of `record`.
    fn row(&self, record: RecordId) -> Option<Row> {
        self.h.view().remove(&record)
    }

    /// Fires the sync timer and returns the `Sync` it sent.
    fn sync(&mut self) -> Ask {
        let (_, out) = self.step(|h, io| h.on_timer(TIMER_SYNC, io));
        match only_send(&out) {
            (
                to,
                Msg::Sync {
                    req,
                    user,
                    epoch,
                    cursor,
                    full,
                    digest,
                    push,
                },
            ) => {
                assert_eq!((to, user), (SERVER, USER));
                Ask {
                    req,
                    epoch,
                    cursor,
                    full,
                    digest,
                    push,
                }
            }
            other => panic!("expected a Sync, got {other:?}"),
        }
    }

    fn reply(&mut self, req: u64, result: SyncResult) -> Outputs<Msg> {
        self.step(|h, io| h.on_message(Msg::SyncReply { req, result }, io))
            .1
    }

    /// Power loss (if `boot` is `Crash`), then a new machine boots from the flash.
    fn reboot(&mut self, boot: Boot) -> Outputs<Msg> {
        if boot == Boot::Crash {
            lock_disk(&self.disk).crash(CrashMode::DropUnsynced);
        }
        self.h = Self::machine(&self.design, self.engine, &self.disk, &self.rtc);
        self.step(|h, io| h.boot(boot, io)).1
    }

    /// Rots the flash sector that holds `record`'s entry.
    fn rot(&self, record: RecordId) {
        let (sector, _) = self
            .h
            .sector_records()
            .expect("the log store keeps a sector map")
            .into_iter()
            .find(|(_, rec)| *rec == record)
            .expect("the record's sector");
        lock_disk(&self.disk).inject(DiskFault::BitRot { sector, seed: 3 });
    }

    /// A factory reset: the handset stops (its last writes refused, as the
    /// harness fences a node it takes down), its flash is wiped, and it
    /// boots again.
    fn factory_reset(&mut self) -> Outputs<Msg> {
        lock_disk(&self.disk).fence();
        self.h = Self::machine(&self.design, self.engine, &self.disk, &self.rtc);
        lock_disk(&self.disk).replace_blank();
        self.step(|h, io| h.boot(Boot::Clean, io)).1
    }

    fn entry(&self, record: RecordId, version: VersionId) -> Entry {
        self.env
            .ledger
            .snapshot()
            .get(record.into(), version)
            .cloned()
            .expect("written to the ledger")
    }

    /// The version the handset shows of `record`.
    fn shows(&self, record: RecordId) -> Option<VersionId> {
        self.h.view().get(&record).map(|row| row.version)
    }

    fn records(&self) -> Vec<RecordId> {
        self.h.view().into_keys().collect()
    }
}

#[test]
fn hardened_tells_saved_only_once_the_edit_is_durable() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    assert!(p.entry(r(1), v(1)).saved_at.is_some());
    assert_eq!(unsynced(&p.disk), 0, "saved before the flash was synced");
    p.reboot(Boot::Crash);
    assert_eq!(p.shows(r(1)), Some(v(1)));
}

#[test]
fn hardened_does_not_tell_saved_when_the_flash_sync_fails() {
    let mut p = Phone::new(Design::hardened());
    lock_disk(&p.disk).inject(DiskFault::SyncFailure);
    p.edit(r(1), v(1), true);
    assert_eq!(p.entry(r(1), v(1)).saved_at, None);
    assert_eq!(p.env.events(SidekickEvent::EditFailed).len(), 1);
}

#[test]
fn fragile_tells_saved_on_write_before_the_edit_is_durable() {
    let mut p = Phone::new(Design::fragile_2009());
    p.edit(r(1), v(1), true);
    assert!(p.entry(r(1), v(1)).saved_at.is_some());
    assert!(unsynced(&p.disk) > 0, "the edit was already durable");
    p.reboot(Boot::Crash);
    assert_eq!(p.shows(r(1)), None, "an unsynced write survived power loss");
}

#[test]
fn an_edit_schedules_a_sync_shortly_after() {
    let mut p = Phone::new(Design::hardened());
    let out = p.edit(r(1), v(1), true);
    assert!(sets_timer(
        &out,
        TIMER_SYNC,
        p.env.now.after(SYNC_AFTER_EDIT)
    ));
}

#[test]
fn a_sync_pushes_unsynced_rows_and_marks_them_synced_once_committed() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    p.edit(r(2), v(2), true);
    let ask = p.sync();
    assert_eq!(ids(&ask.push), [(r(1), v(1)), (r(2), v(2))]);
    assert!(!ask.full);
    p.reply(ask.req, ok(7, 2, vec![(r(1), v(1))], vec![], false));
    assert!(p.entry(r(1), v(1)).synced_at.is_some());
    assert_eq!(p.entry(r(2), v(2)).synced_at, None, "not committed yet");
    let again = p.sync();
    assert_eq!(ids(&again.push), [(r(2), v(2))]);
    assert_eq!((again.epoch, again.cursor), (7, 2));
}

#[test]
fn a_reply_to_a_request_not_in_flight_is_ignored() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    let ask = p.sync();
    p.reply(ask.req + 1, ok(7, 1, vec![(r(1), v(1))], vec![], false));
    assert_eq!(p.entry(r(1), v(1)).synced_at, None);
}

#[test]
fn an_unavailable_server_leaves_rows_to_push_again() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    let ask = p.sync();
    p.reply(ask.req, SyncResult::Unavailable);
    assert_eq!(p.env.events(SidekickEvent::SyncUnavailable).len(), 1);
    assert_eq!(ids(&p.sync().push), [(r(1), v(1))]);
}

#[test]
fn after_a_crash_a_hardened_handset_keeps_its_durable_rows_and_repushes_the_unconfirmed_ones() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    p.edit(r(2), v(2), true);
    let ask = p.sync();
    p.reply(ask.req, ok(7, 1, vec![(r(1), v(1))], vec![], false));
    let out = p.reboot(Boot::Crash);
    assert_eq!(p.records(), [r(1), r(2)]);
    assert!(
        sets_timer(&out, TIMER_SYNC, p.env.now.after(SYNC_AFTER_EDIT)),
        "unconfirmed rows should be pushed soon after boot"
    );
    let ask = p.sync();
    assert!(!ask.full);
    assert_eq!(ids(&ask.push), [(r(2), v(2))]);
}

#[test]
fn after_a_crash_a_cache_handset_refetches_everything_and_drops_what_the_server_lacks() {
    let mut p = Phone::new(Design::fragile_2009());
    p.edit(r(1), v(1), true);
    p.edit(r(2), v(2), true);
    p.edit(r(3), v(3), true);
    let ask = p.sync(); // makes all three durable on flash
    p.reply(ask.req, ok(7, 1, vec![(r(1), v(1))], vec![], false));
    p.reboot(Boot::Crash);
    assert_eq!(p.records(), [r(1), r(2), r(3)], "all three were durable");
    let ask = p.sync();
    assert!(ask.full, "a cache asks for everything after a crash");
    p.reply(ask.req, ok(7, 1, vec![], vec![row(r(1), 1)], true));
    assert_eq!(p.records(), [r(1)], "the server's rows replace the store");
    // `--explain` tells it: "1 records kept, 2 dropped".
    let refetch = p.env.event(SidekickEvent::CacheRefetch);
    let count = |k| refetch.field(k).and_then(|v| v.as_u64());
    assert_eq!((count("records"), count("dropped")), (Some(1), Some(2)));
    p.reboot(Boot::Crash);
    assert_eq!(p.records(), [r(1)], "the overwrite was made durable");
}

#[test]
fn a_hardened_handset_reuploads_a_synced_record_missing_from_a_full_reply() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    let ask = p.sync();
    p.reply(ask.req, ok(7, 1, vec![(r(1), v(1))], vec![], false));
    let ask = p.sync();
    assert!(ask.push.is_empty());
    p.reply(ask.req, ok(9, 0, vec![], vec![], true)); // the server lost it
    let ev = p.env.event(SidekickEvent::RecoverReupload);
    assert_eq!(ev.str("record"), Some("u0/contact-1"));
    assert_eq!(p.shows(r(1)), Some(v(1)));
    assert_eq!(ids(&p.sync().push), [(r(1), v(1))]);
}

#[test]
fn without_digest_sync_a_record_missing_from_a_full_reply_is_not_reuploaded() {
    let mut design = Design::hardened();
    design.digest_sync = false;
    let mut p = Phone::new(design);
    p.edit(r(1), v(1), true);
    let ask = p.sync();
    p.reply(ask.req, ok(7, 1, vec![(r(1), v(1))], vec![], false));
    let ask = p.sync();
    assert_eq!(ask.digest, None);
    p.reply(ask.req, ok(9, 0, vec![], vec![], true));
    assert!(p.env.events(SidekickEvent::RecoverReupload).is_empty());
    assert!(p.sync().push.is_empty());
}

#[test]
fn a_newer_version_from_the_server_replaces_the_local_one() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    let ask = p.sync();
    let newer = Row::new(r(1), ver(9, 5), Some(v(1)));
    p.reply(ask.req, ok(7, 2, vec![(r(1), v(1))], vec![newer], false));
    assert_eq!(p.shows(r(1)), Some(ver(9, 5)));
    assert!(
        p.sync().push.is_empty(),
        "a version from the server is synced"
    );
}

#[test]
fn an_epoch_change_resets_the_cursor_only_when_epoch_resets_cursor() {
    for resets in [true, false] {
        let mut design = Design::hardened();
        design.epoch_resets_cursor = resets;
        let mut p = Phone::new(design);
        let ask = p.sync();
        p.reply(ask.req, ok(5, 3, vec![], vec![], false));
        let ask = p.sync();
        assert!(!ask.full, "learning the first epoch is no change");
        assert_eq!((ask.epoch, ask.cursor), (5, 3));
        p.reply(ask.req, ok(9, 0, vec![], vec![], false));
        let ask = p.sync();
        assert_eq!(ask.full, resets, "epoch_resets_cursor = {resets}");
        assert_eq!(ask.epoch, 9);
        assert_eq!(
            p.env.events(SidekickEvent::SyncEpochChanged).len(),
            usize::from(resets)
        );
    }
}

#[test]
fn an_edit_of_a_record_the_handset_does_not_show_is_skipped() {
    let mut p = Phone::new(Design::hardened());
    let out = p.edit(r(1), v(1), false);
    let ev = p.env.event(SidekickEvent::EditSkipped);
    assert_eq!(ev.str("record"), Some("u0/contact-1"));
    assert_eq!(p.env.ledger.snapshot().entries().count(), 0);
    assert!(lock_disk(&p.disk).is_blank(), "nothing written");
    assert!(out.timers.is_empty() && out.sends.is_empty());
    assert_eq!(p.shows(r(1)), None);
}

#[test]
fn a_blank_flash_after_a_non_first_boot_restores_from_the_server() {
    let engines = [HandsetEngine::Log, HandsetEngine::Sqlite];
    for (design, engine) in [Design::hardened(), Design::fragile_2009()]
        .into_iter()
        .flat_map(|d| engines.map(|e| (d.clone(), e)))
    {
        let mut p = Phone::on(design.clone(), engine);
        p.factory_reset();
        let ask = p.sync();
        assert!(
            ask.full,
            "{} on {engine:?}: a wiped handset asks for everything",
            design.name()
        );
        let server = vec![row(r(1), 1), row(r(2), 3)];
        p.reply(ask.req, ok(7, 2, vec![], server, true));
        let ev = p.env.event(SidekickEvent::RecoverRestore);
        assert_eq!(ev.field("records").and_then(|v| v.as_u64()), Some(2));
        assert_eq!(p.records(), [r(1), r(2)]);
        assert!(p.sync().push.is_empty(), "restored rows are already synced");
    }
}

/// A failed flash sync drops the entries it covered; an edit told `saved`
/// after it must still survive a battery pull (the log must not leave the
/// later entry behind a hole the next boot's scan stops at).
#[test]
fn an_edit_saved_after_a_failed_flash_sync_survives_a_crash() {
    let mut p = Phone::new(Design::hardened());
    lock_disk(&p.disk).inject(DiskFault::SyncFailure);
    p.edit(r(1), v(1), true); // not saved: the flash sync failed
    p.edit(r(2), v(2), true);
    assert!(p.entry(r(2), v(2)).saved_at.is_some());
    assert_eq!(unsynced(&p.disk), 0);
    p.reboot(Boot::Crash);
    assert_eq!(p.shows(r(2)), Some(v(2)), "a version told `saved` was lost");
}

#[test]
fn a_reset_clock_stamps_the_epoch_unless_the_clock_is_hybrid() {
    for (hlc, expect_newer) in [(false, false), (true, true)] {
        let mut design = Design::hardened();
        design.hlc = hlc;
        let mut p = Phone::new(design);
        p.env.advance(Duration::from_secs(3600));
        p.edit(r(1), v(1), true);
        let first = p.row(r(1)).expect("created").stamp;
        assert!(first >= 3_600_000, "the wall clock is right: {first}");
        p.rtc.reset(p.env.now);
        p.edit(r(1), v(2), false);
        let second = p.row(r(1)).expect("edited");
        assert_eq!(second.parent, Some(v(1)));
        assert_eq!(second.stamp > first, expect_newer, "hlc {hlc}: {second:?}");
        assert!(second.verifies(), "the checksum covers the stamp");
    }
}

#[test]
fn a_concurrent_server_version_replaces_an_unsynced_edit_only_under_last_writer_wins() {
    for copies in [false, true] {
        let mut design = Design::hardened();
        design.conflict_copies = copies;
        let mut p = Phone::new(design);
        p.edit(r(1), v(1), true);
        let ask = p.sync();
        p.reply(ask.req, ok(7, 1, vec![(r(1), v(1))], vec![], false));
        p.edit(r(1), v(2), false);
        // The portal (writer 9) edited v1 concurrently, later by its clock.
        let portal = Row::make(r(1), ver(9, 1), Some(v(1)), u64::MAX / 2, false);
        let ask = p.sync();
        p.reply(ask.req, ok(7, 2, vec![], vec![portal], false));
        let expect = if copies { v(2) } else { ver(9, 1) };
        assert_eq!(p.shows(r(1)), Some(expect), "conflict copies {copies}");
    }
}

#[test]
fn tombstones_are_purged_once_committed_unless_kept() {
    for keep in [false, true] {
        let mut design = Design::hardened();
        design.keep_tombstones = keep;
        let mut p = Phone::new(design);
        p.edit(r(1), v(1), true);
        p.delete(r(1), v(2));
        assert!(p.entry(r(1), v(2)).deleted);
        assert!(p.row(r(1)).expect("a tombstone").deleted);
        let ask = p.sync();
        assert_eq!(ids(&ask.push), [(r(1), v(2))]);
        p.reply(ask.req, ok(7, 2, vec![(r(1), v(2))], vec![], false));
        assert_eq!(p.row(r(1)).is_some(), keep, "keep tombstones {keep}");
        // Either way the user no longer sees it and cannot edit it.
        p.edit(r(1), v(3), false);
        assert!(p.env.ledger.snapshot().get(r(1).into(), v(3)).is_none());
    }
}

#[test]
fn absence_from_a_full_reply_deletes_a_synced_record_only_when_the_design_says() {
    for absence in [false, true] {
        let mut design = Design::hardened();
        design.absence_deletes = absence;
        let mut p = Phone::new(design);
        p.edit(r(1), v(1), true);
        let ask = p.sync();
        p.reply(ask.req, ok(7, 1, vec![(r(1), v(1))], vec![], false));
        p.edit(r(2), v(2), true);
        let ask = p.sync();
        p.reply(ask.req, ok(9, 0, vec![], vec![], true)); // the server lost both
        assert_eq!(
            p.shows(r(1)).is_none(),
            absence,
            "absence deletes {absence}"
        );
        assert_eq!(
            p.shows(r(2)),
            Some(v(2)),
            "an unsynced edit is never dropped"
        );
    }
}

#[test]
fn a_conflict_copy_the_server_lost_under_the_same_version_is_kept_and_pushed_again() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    let ask = p.sync();
    p.reply(ask.req, ok(5, 1, vec![(r(1), v(1))], vec![], false));
    // Another writer's concurrent version, kept by the server as a
    // conflict copy of the handset's version.
    let local = p.row(r(1)).expect("the edit is held");
    let other = Row::make(r(1), ver(9, 1), None, 1, false);
    let ask = p.sync();
    let with_copy = local.clone().keeping(other.clone());
    p.reply(ask.req, ok(5, 2, vec![], vec![with_copy], false));
    assert!(p.row(r(1)).expect("held").holds(other.version));
    // The server restored from an image older than the merge: the same
    // version, without the copy.
    let ask = p.sync();
    p.reply(ask.req, ok(6, 0, vec![], vec![local], true));
    assert!(
        p.row(r(1)).expect("held").holds(other.version),
        "the handset keeps the copy the server lost"
    );
    assert!(
        p.sync().push.iter().any(|row| row.holds(other.version)),
        "and pushes it again"
    );
}

/// A SQLite handset keeps where it was in the server's history across a
/// reboot: it asks from its epoch and cursor, and so notices when the
/// server's epoch changed (a restore) and asks for everything.
#[test]
fn a_sqlite_handset_keeps_its_epoch_and_cursor_across_a_reboot() {
    let mut p = Phone::on(Design::hardened(), HandsetEngine::Sqlite);
    let ask = p.sync();
    p.reply(ask.req, ok(5, 3, vec![], vec![], false));
    p.reboot(Boot::Clean);
    let ask = p.sync();
    assert_eq!((ask.epoch, ask.cursor, ask.full), (5, 3, false));
    p.reply(ask.req, ok(9, 0, vec![], vec![], false));
    p.env.event(SidekickEvent::SyncEpochChanged);
    assert!(p.sync().full, "a new epoch asks for everything");
}

/// With `verify_reads`, a handset that reads its flash back at boot leaves
/// out every row whose checksum fails (the server has it, and the next
/// full sync brings it back), and keeps the others.
#[test]
fn a_row_that_rotted_on_flash_is_left_out_at_boot_with_verify_reads() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    p.edit(r(2), v(2), true);
    let ask = p.sync();
    p.reply(ask.req, ok(7, 2, ids(&ask.push), vec![], false));
    p.rot(r(1));
    p.reboot(Boot::Crash);
    assert_eq!((p.shows(r(1)), p.shows(r(2))), (None, Some(v(2))));
}

/// A design with `offline_refresh` treats its session as expired only
/// after twelve hours without a successful sync: then it asks for
/// everything and pushes nothing (the server wins); before, it syncs as
/// usual.
#[test]
fn an_offline_refresh_comes_only_after_twelve_hours_without_a_sync() {
    let mut p = Phone::new(Design::fragile_2009());
    p.edit(r(1), v(1), true);
    let ask = p.sync();
    p.reply(ask.req, ok(7, 1, ids(&ask.push), vec![], false));
    p.edit(r(2), v(2), true);
    p.env.advance(Duration::from_secs(11 * 3600));
    let ask = p.sync();
    assert_eq!((ask.full, ids(&ask.push)), (false, vec![(r(2), v(2))]));
    assert!(p.env.events(SidekickEvent::SyncRefresh).is_empty());
    p.reply(ask.req, SyncResult::Unavailable);
    p.env.advance(Duration::from_secs(2 * 3600));
    let ask = p.sync();
    assert_eq!((ask.full, ask.push.len()), (true, 0));
    p.env.event(SidekickEvent::SyncRefresh);
}

/// What a power loss would cost a handset now (the harness marks a power
/// loss effective when it is not zero): nothing at rest, one for a sync
/// exchange in flight, one per version not yet durable on flash.
#[test]
fn at_stake_counts_the_exchange_in_flight_and_each_version_not_yet_durable() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    assert_eq!(p.h.at_stake(), 0, "a hardened edit is durable once saved");
    let ask = p.sync();
    assert_eq!(p.h.at_stake(), 1, "the exchange in flight");
    p.reply(ask.req, ok(7, 1, ids(&ask.push), vec![], false));
    assert_eq!(p.h.at_stake(), 0);
    let mut f = Phone::new(Design::fragile_2009());
    f.edit(r(1), v(1), true);
    f.edit(r(2), v(2), true);
    assert_eq!(
        f.h.at_stake(),
        2,
        "two edits told saved before they are durable"
    );
}

/// A scrub reads back every durable row and rewrites, from the verified
/// copy in memory, each one whose entry rotted on flash, so a crash after
/// it still finds the row; a scrub of an intact flash rewrites nothing.
#[test]
fn a_scrub_rewrites_a_durable_row_that_rotted_on_flash() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    p.edit(r(2), v(2), true);
    p.rot(r(1));
    p.step(|h, io| h.on_timer(TIMER_SCRUB, io));
    let scrub = p.env.event(SidekickEvent::StoreScrub);
    let read = |k| scrub.field(k).map(ToString::to_string);
    assert_eq!(
        (read("rows"), read("repaired")),
        (Some("1".into()), Some("true".into()))
    );
    p.reboot(Boot::Crash);
    assert_eq!((p.shows(r(1)), p.shows(r(2))), (Some(v(1)), Some(v(2))));
}

/// Each engine scrubs its own store: a scrub of an intact flash finds
/// nothing to rewrite (no `store-scrub` event) and keeps every row.
#[test]
fn a_scrub_of_an_intact_flash_rewrites_nothing_on_either_engine() {
    for engine in [HandsetEngine::Log, HandsetEngine::Sqlite] {
        let mut p = Phone::on(Design::hardened(), engine);
        p.edit(r(1), v(1), true);
        p.step(|h, io| h.on_timer(TIMER_SCRUB, io));
        assert!(
            p.env.events(SidekickEvent::StoreScrub).is_empty(),
            "{engine:?}"
        );
        p.reboot(Boot::Crash);
        assert_eq!(p.shows(r(1)), Some(v(1)), "{engine:?}");
    }
}

/// A SQLite handset that checks what it reads (`verify_reads`) keeps every
/// row that verifies across a reboot.
#[test]
fn a_sqlite_handset_that_verifies_reads_keeps_its_rows_across_a_reboot() {
    let mut p = Phone::on(Design::hardened(), HandsetEngine::Sqlite);
    assert!(p.design.verify_reads);
    p.edit(r(1), v(1), true);
    p.edit(r(2), v(2), true);
    p.reboot(Boot::Crash);
    assert_eq!(p.records(), vec![r(1), r(2)]);
}

/// A SQLite handset whose flash refuses even a fresh store (full before the
/// first boot) has no store: it tells no edit `saved`, and it does not sync
/// (it could keep nothing the server sends) but aborts each sync.
#[test]
fn a_sqlite_handset_without_a_usable_store_tells_nothing_saved_and_does_not_sync() {
    let disk = blank_disk();
    lock_disk(&disk).inject(DiskFault::DiskFull { free_sectors: 0 });
    let mut p = Phone::on_disk(Design::hardened(), HandsetEngine::Sqlite, disk);
    p.env.event(SidekickEvent::StoreUnusable);
    p.edit(r(1), v(1), true);
    assert_eq!(p.entry(r(1), v(1)).saved_at, None);
    let (_, out) = p.step(|h, io| h.on_timer(TIMER_SYNC, io));
    assert!(
        out.sends.is_empty(),
        "synced without a store: {:?}",
        out.sends
    );
    p.env.event(SidekickEvent::SyncAborted);
}

/// A handset that read back a damaged flash at boot ends, on the media,
/// exactly the copies it no longer holds, and keeps the lineage of the
/// others.
#[test]
fn a_boot_on_a_damaged_flash_ends_only_the_copies_it_lost() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    p.edit(r(2), v(2), true);
    p.rot(r(1));
    p.reboot(Boot::Crash);
    let ended: Vec<_> = p
        .env
        .events(EngineEvent::CopyEnded)
        .iter()
        .map(|e| {
            (
                e.str("record").map(str::to_owned),
                e.str("cause").map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(ended, [(Some(r(1).to_string()), Some("corrupted".into()))]);
    let held = p.env.lineage.on_store("handset-0/flash");
    assert_eq!(held, vec![(r(2).to_string(), v(2).to_string())]);
}

/// The first sync after a boot with nothing to push comes at the user's
/// phase within the sync interval (users spread over it, 7.919 s apart,
/// wrapping), one millisecond on; a handset with a row not yet synced
/// syncs `sync_after_edit` after the boot instead.
#[test]
fn the_first_sync_after_a_boot_is_spread_by_user_unless_a_row_waits() {
    let interval = Duration::from_secs(1800);
    for (user, phase_ms) in [(0, 0), (1, 7_919), (300, 575_700)] {
        let env = Env::new();
        let cfg = HandsetConfig {
            user,
            server: SERVER,
            store: "handset-0/flash".into(),
            sync_interval: interval,
            sync_after_edit: SYNC_AFTER_EDIT,
            exchange_timeout: models::handset::EXCHANGE_TIMEOUT,
            rtc: Rtc::new(),
            engine: HandsetEngine::default(),
        };
        let mut h = Handset::new(cfg, Design::hardened(), blank_disk());
        let (_, out) = env.step("handset-0", HANDSET_0, |io| h.boot(Boot::First, io));
        let at = env.now.after(Duration::from_millis(phase_ms + 1));
        assert!(
            sets_timer(&out, TIMER_SYNC, at),
            "user {user}: {:?}",
            out.timers
        );
    }
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    let out = p.reboot(Boot::Crash);
    let soon = p.env.now.after(SYNC_AFTER_EDIT);
    assert!(sets_timer(&out, TIMER_SYNC, soon), "{:?}", out.timers);
}

/// A user who makes a record again after deleting it makes a version that
/// descends from the deletion (the record's tombstone on the handset), not
/// a new root concurrent with it.
#[test]
fn a_record_made_again_after_its_deletion_descends_from_the_tombstone() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    p.delete(r(1), v(2));
    p.edit(r(1), v(3), true);
    assert_eq!(p.entry(r(1), v(3)).parents, vec![v(2)]);
    assert_eq!(p.shows(r(1)), Some(v(3)));
}

/// An exchange that timed out is tried again after the back-off (five
/// minutes), not at once.
#[test]
fn a_timed_out_exchange_is_tried_again_after_the_back_off() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    p.sync();
    let (_, out) = p.step(|h, io| h.on_timer(TIMER_TIMEOUT, io));
    p.env.event(SidekickEvent::SyncTimeout);
    let later = p.env.now.after(Duration::from_secs(300));
    assert!(sets_timer(&out, TIMER_SYNC, later), "{:?}", out.timers);
}

/// Twelve hours offline is still within the session: the 2009 refresh
/// comes only once a handset has gone *more* than twelve hours without a
/// successful sync.
#[test]
fn a_session_expires_only_after_more_than_twelve_hours() {
    let mut p = Phone::new(Design::fragile_2009());
    let ask = p.sync();
    p.reply(ask.req, ok(7, 0, vec![], vec![], false));
    // The next step comes a second after this advance: exactly twelve
    // hours after the successful reply.
    p.env
        .advance(models::handset::SESSION_TTL - Duration::from_secs(1));
    let ask = p.sync();
    assert!(p.env.events(SidekickEvent::SyncRefresh).is_empty());
    p.reply(ask.req, SyncResult::Unavailable);
    p.sync();
    p.env.event(SidekickEvent::SyncRefresh);
}

/// The rare path `handset.reorder-push` sends a push of two or more rows
/// in reverse order; a push of one row is never reordered.
#[test]
fn the_reorder_push_site_reverses_a_push_of_two_rows_and_never_one() {
    let push_of = |rows: u32, root: u64| {
        let mut p = Phone::new(Design::fragile_2009());
        for n in 1..=rows {
            p.edit(r(n), v(n), true);
        }
        let b = Buggify::enabled(root);
        let h = &mut p.h;
        let (_, out) = p
            .env
            .step_buggified("handset-0", HANDSET_0, &b, |io| h.on_timer(TIMER_SYNC, io));
        let reordered = !p.env.events(SidekickEvent::SyncReorderedPush).is_empty();
        match only_send(&out) {
            (_, Msg::Sync { push, .. }) => (ids(&push), reordered),
            other => panic!("expected a Sync, got {other:?}"),
        }
    };
    let reversed = (0..64)
        .map(|root| push_of(2, root))
        .find(|(_, reordered)| *reordered)
        .expect("the site reorders some push within 64 roots");
    assert_eq!(reversed.0, vec![(r(2), v(2)), (r(1), v(1))]);
    for root in 0..64 {
        assert_eq!(push_of(1, root), (vec![(r(1), v(1))], false), "root {root}");
    }
}

/// Rots the flash under `p`'s record `record`: its entry's sector on the
/// log store; every written sector on SQLite (whose pages have no map).
fn rot_store_of(p: &Phone, record: RecordId) {
    match p.engine {
        HandsetEngine::Log => p.rot(record),
        HandsetEngine::Sqlite => {
            let mut disk = lock_disk(&p.disk);
            for sector in disk.live_sectors() {
                disk.inject(DiskFault::BitRot { sector, seed: 3 });
            }
        }
    }
}

/// On either engine, a scrub rebuilds what rotted on flash from the
/// verified rows it holds in memory, so a crash after it still finds them.
#[test]
fn a_scrub_rebuilds_a_rotted_store_from_the_verified_rows_on_either_engine() {
    for engine in [HandsetEngine::Log, HandsetEngine::Sqlite] {
        let mut p = Phone::on(Design::hardened(), engine);
        p.edit(r(1), v(1), true);
        rot_store_of(&p, r(1));
        p.step(|h, io| h.on_timer(TIMER_SCRUB, io));
        p.env.event(SidekickEvent::StoreScrub);
        p.reboot(Boot::Crash);
        assert_eq!(p.shows(r(1)), Some(v(1)), "{engine:?}");
    }
}

/// A scrub rewrites only from a copy that verifies: a row that came in
/// spoiled (a design that does not verify what it reads) is never written
/// back over its rotted entry as if it were a repair.
#[test]
fn a_scrub_never_writes_back_a_row_that_does_not_verify() {
    let design = Design {
        verify_reads: false,
        ..Design::hardened()
    };
    for engine in [HandsetEngine::Log, HandsetEngine::Sqlite] {
        let mut p = Phone::on(design.clone(), engine);
        let ask = p.sync();
        let spoiled = corrupt(&row(r(1), 1));
        p.reply(ask.req, ok(7, 1, vec![], vec![spoiled], false));
        assert_eq!(p.shows(r(1)), Some(v(1)), "{engine:?}: kept unverified");
        rot_store_of(&p, r(1));
        p.step(|h, io| h.on_timer(TIMER_SCRUB, io));
        assert!(
            p.env.events(SidekickEvent::StoreScrub).is_empty(),
            "{engine:?}: rewrote a row that does not verify"
        );
    }
}

/// Each exchange has a request number of its own: a reply to an earlier
/// exchange that timed out, arriving while a later one is in flight, is
/// not taken for the later one's.
#[test]
fn a_late_reply_to_an_exchange_that_timed_out_is_ignored() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    let first = p.sync();
    p.step(|h, io| h.on_timer(TIMER_TIMEOUT, io));
    let second = p.sync();
    assert_ne!(first.req, second.req);
    p.reply(first.req, ok(7, 1, vec![(r(1), v(1))], vec![], false));
    assert_eq!(p.entry(r(1), v(1)).synced_at, None);
    p.reply(second.req, ok(7, 1, vec![(r(1), v(1))], vec![], false));
    assert!(p.entry(r(1), v(1)).synced_at.is_some());
}

/// A reply that leaves a row still to push (an edit made while the
/// exchange was in flight) brings the next sync a second later, not at the
/// next interval.
#[test]
fn a_row_edited_during_an_exchange_is_pushed_a_second_after_the_reply() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    let ask = p.sync();
    p.edit(r(2), v(2), true);
    let out = p.reply(ask.req, ok(7, 1, vec![(r(1), v(1))], vec![], false));
    let soon = p.env.now.after(Duration::from_secs(1));
    assert!(sets_timer(&out, TIMER_SYNC, soon), "{:?}", out.timers);
    assert_eq!(ids(&p.sync().push), vec![(r(2), v(2))]);
}

/// Only a handset that came back blank tells of a restore: a full reply
/// to one that kept its store (here after the server's epoch changed) is
/// no restore, and `--explain` must not tell one.
#[test]
fn a_full_reply_is_a_restore_only_for_a_handset_that_came_back_blank() {
    let mut p = Phone::new(Design::hardened());
    p.edit(r(1), v(1), true);
    let ask = p.sync();
    p.reply(ask.req, ok(5, 1, vec![(r(1), v(1))], vec![], false));
    let ask = p.sync();
    p.reply(ask.req, ok(9, 0, vec![], vec![], false));
    let ask = p.sync();
    assert!(ask.full, "a new epoch asks for everything");
    p.reply(ask.req, ok(9, 1, vec![], vec![row(r(1), 1)], true));
    assert!(p.env.events(SidekickEvent::RecoverRestore).is_empty());
}
