//! The operator's state machine, driven step by step without madsim: the
//! verified snapshot before an upgrade, and the restore of a primary that
//! lost its data, from the snapshot or from the backup's image.

extern crate lastcopy_models as models;

mod common;

use common::*;
use models::design::Design;
use models::event::SidekickEvent;
use models::incident::Incident;
use models::logstore::LogStore;
use models::msg::{DbHealth, Input, Msg};
use models::operator::{Operator, OperatorConfig};
use models::record::Row;
use sim::host::{lock_disk, Addr, Boot, DiskHandle, Io, Outputs};
use std::time::Duration;

const TIMER_RETRY: u64 = 1;
const ARRAY: &str = "array-a";
const SERVING: DbHealth = DbHealth::Serving {
    epoch: 5,
    rebuilt: false,
};

struct Ops {
    env: Env,
    snapshot_disk: DiskHandle,
    op: Operator,
}

impl Ops {
    fn new(design: Design) -> Self {
        let snapshot_disk = blank_disk();
        let cfg = OperatorConfig {
            primary: PRIMARY,
            backup: BACKUP,
            primary_array: ARRAY.into(),
            snapshot_store: "snapshots/operator".into(),
        };
        let mut o = Ops {
            env: Env::new(),
            op: Operator::new(cfg, design, snapshot_disk.clone()),
            snapshot_disk,
        };
        o.step(|op, io| op.boot(Boot::First, io));
        o
    }

    fn step(&mut self, f: impl FnOnce(&mut Operator, &mut Io<'_, Msg>)) -> Outputs<Msg> {
        self.env.advance(Duration::from_secs(1));
        let op = &mut self.op;
        self.env.step("operator", OPERATOR, |io| f(op, io)).1
    }

    fn input(&mut self, input: Input) -> Outputs<Msg> {
        self.step(|op, io| op.on_input(input, io))
    }

    fn notice(&mut self, array: &str) -> Outputs<Msg> {
        self.input(Input::UpgradeNotice {
            array: array.into(),
            at_ms: 3_600_000,
        })
    }

    fn storage_back(&mut self, array: &str) -> Outputs<Msg> {
        self.input(Input::StorageBack {
            array: array.into(),
        })
    }

    fn answer(&mut self, req: u64, health: DbHealth, rows: Option<Vec<Row>>) -> Outputs<Msg> {
        let msg = Msg::OpReply {
            req,
            health,
            rows,
            done: true,
        };
        self.step(|op, io| op.on_message(msg, io))
    }
}

/// The one request a step sent: (to, request number, the message).
fn request(out: &Outputs<Msg>) -> (Addr, u64, Msg) {
    let (to, msg) = only_send(out);
    let req = match &msg {
        Msg::Quiesce { req, .. }
        | Msg::Dump { req }
        | Msg::Status { req }
        | Msg::Restore { req, .. }
        | Msg::RestoreAccount { req, .. } => *req,
        other => panic!("not an operator request: {other:?}"),
    };
    (to, req, msg)
}

fn rows_ab() -> Vec<Row> {
    vec![row(rec(0, 1), 1), row(rec(1, 1), 2)]
}

/// Notice, quiesce, dump, snapshot: returns the operator with a verified snapshot of `rows`.
fn snapshotted(rows: Vec<Row>) -> Ops {
    let mut o = Ops::new(Design::hardened());
    let (to, req, msg) = request(&o.notice(ARRAY));
    assert_eq!((to, &msg), (PRIMARY, &Msg::Quiesce { req, on: true }));
    let (to, req, msg) = request(&o.answer(req, SERVING, None));
    assert_eq!((to, msg), (PRIMARY, Msg::Dump { req }));
    let out = o.answer(req, SERVING, Some(rows));
    assert!(out.sends.is_empty(), "nothing more to ask: {:?}", out.sends);
    assert!(
        out.timers.contains(&(TIMER_RETRY, None)),
        "retry timer cancelled"
    );
    o
}

#[test]
fn with_a_snapshot_an_upgrade_notice_quiesces_dumps_and_writes_a_verified_snapshot() {
    let o = snapshotted(rows_ab());
    let ev = o.env.event(SidekickEvent::OperatorSnapshot);
    assert_eq!(ev.field("verified"), Some(&true.into()));
    assert_eq!(ev.field("rows").and_then(|v| v.as_u64()), Some(2));
    let disk = lock_disk(&o.snapshot_disk);
    assert_eq!(disk.unsynced_writes(), 0, "the snapshot is durable");
    let (_, opened) = LogStore::open(&disk).unwrap();
    assert_eq!(opened.entries.len(), 3, "two rows and a seal");
}

#[test]
fn after_the_upgrade_a_primary_awaiting_restore_gets_the_snapshots_rows() {
    let mut o = snapshotted(rows_ab());
    let (to, req, msg) = request(&o.storage_back(ARRAY));
    assert_eq!((to, msg), (PRIMARY, Msg::Status { req }));
    let (to, req, msg) = request(&o.answer(req, DbHealth::AwaitingRestore, None));
    let Msg::Restore { rows, epoch, .. } = msg else {
        panic!("expected a Restore, got {msg:?}");
    };
    assert_eq!((to, rows), (PRIMARY, rows_ab()));
    assert!(epoch > 0);
    o.answer(
        req,
        DbHealth::Serving {
            epoch,
            rebuilt: false,
        },
        None,
    );
    let ev = o.env.event(SidekickEvent::RecoverSnapshot);
    assert_eq!(ev.field("rows").and_then(|v| v.as_u64()), Some(2));
}

#[test]
fn an_upgrade_notice_for_another_array_is_ignored() {
    let mut o = Ops::new(Design::hardened());
    let out = o.notice("array-b");
    assert!(out.sends.is_empty() && out.timers.is_empty());
    assert!(o.storage_back("array-b").sends.is_empty());
}

#[test]
fn without_upgrade_snapshot_a_notice_does_nothing() {
    let mut o = Ops::new(Design::fragile_2009());
    assert!(o.notice(ARRAY).sends.is_empty());
}

#[test]
fn without_a_snapshot_the_operator_restores_from_the_backups_image() {
    let mut o = Ops::new(Design::fragile_2009());
    o.notice(ARRAY);
    let (to, req, _) = request(&o.storage_back(ARRAY));
    assert_eq!(to, PRIMARY);
    let rebuilt = DbHealth::Serving {
        epoch: 9,
        rebuilt: true,
    };
    let (to, req, msg) = request(&o.answer(req, rebuilt, None));
    assert_eq!((to, msg), (BACKUP, Msg::Dump { req }));
    let (to, req, msg) = request(&o.answer(req, SERVING, Some(rows_ab())));
    let Msg::Restore { rows, .. } = msg else {
        panic!("expected a Restore, got {msg:?}");
    };
    assert_eq!((to, rows), (PRIMARY, rows_ab()));
    o.answer(req, SERVING, None);
    o.env.event(SidekickEvent::RecoverBackup);
}

#[test]
fn with_verified_restore_rows_whose_checksum_fails_are_dropped() {
    for (design, kept) in [(Design::hardened(), 1), (Design::fragile_2009(), 2)] {
        let mut o = Ops::new(design.clone());
        let (_, req, _) = request(&o.storage_back(ARRAY));
        let (_, req, _) = request(&o.answer(req, DbHealth::AwaitingRestore, None));
        let good = row(rec(0, 1), 1);
        let bad = corrupt(&row(rec(0, 2), 2));
        let (_, _, msg) = request(&o.answer(req, SERVING, Some(vec![good.clone(), bad])));
        let Msg::Restore { rows, .. } = msg else {
            panic!("expected a Restore, got {msg:?}");
        };
        assert_eq!(rows.len(), kept, "{}", design.name());
        assert!(rows.contains(&good));
        let rejected = o.env.events(SidekickEvent::OperatorRejectedRows);
        assert_eq!(rejected.len(), usize::from(design.verified_restore));
    }
}

/// The primary awaits a restore and the backup has no image: the operator
/// means to restore the primary empty (so that handsets re-upload), but it
/// decides on the health in the *backup's* answer, which is never
/// `AwaitingRestore`: the primary waits for good.
#[test]
fn a_primary_awaiting_restore_with_no_backup_image_is_restored_empty() {
    let mut o = Ops::new(Design::hardened());
    let (_, req, _) = request(&o.storage_back(ARRAY));
    let (to, req, _) = request(&o.answer(req, DbHealth::AwaitingRestore, None));
    assert_eq!(to, BACKUP);
    let backup_without_image = DbHealth::Serving {
        epoch: 0,
        rebuilt: false,
    };
    let out = o.answer(req, backup_without_image, None);
    o.env.event(SidekickEvent::OperatorRestoreFailed);
    let (to, _, msg) = request(&out);
    let Msg::Restore { rows, .. } = msg else {
        panic!("expected a Restore, got {msg:?}");
    };
    assert_eq!((to, rows.len()), (PRIMARY, 0));
}

#[test]
fn an_intact_primary_is_not_restored() {
    let mut o = Ops::new(Design::fragile_2009());
    let (_, req, _) = request(&o.storage_back(ARRAY));
    assert!(o.answer(req, SERVING, None).sends.is_empty());
    o.env.event(SidekickEvent::OperatorPrimaryIntact);
}

#[test]
fn an_unanswered_request_is_retried_and_a_stale_answer_ignored() {
    let mut o = Ops::new(Design::hardened());
    let (_, first, _) = request(&o.notice(ARRAY));
    let (to, second, msg) = request(&o.step(|op, io| op.on_timer(TIMER_RETRY, io)));
    assert_eq!(
        (to, &msg),
        (
            PRIMARY,
            &Msg::Quiesce {
                req: second,
                on: true
            }
        )
    );
    assert_ne!(first, second);
    assert!(
        o.answer(first, SERVING, None).sends.is_empty(),
        "stale answer"
    );
    let (_, _, msg) = request(&o.answer(second, SERVING, None));
    assert!(matches!(msg, Msg::Dump { .. }));
}

/// With `upgrade_snapshot` the operator quiesces the primary before the
/// upgrade; if the primary comes through intact it is left read-only for
/// good: nothing resumes it, and no handset edit is ever committed again.
#[test]
fn an_intact_primary_is_resumed_after_a_snapshot_upgrade() {
    let mut o = snapshotted(rows_ab());
    let (_, req, _) = request(&o.storage_back(ARRAY));
    let out = o.answer(req, SERVING, None);
    assert!(
        out.sends
            .iter()
            .any(|(to, m)| *to == PRIMARY && matches!(m, Msg::Quiesce { on: false, .. })),
        "the primary was never resumed: {:?}",
        out.sends
    );
}

/// A snapshot is trusted only if every row read back passes its checksum:
/// one written from a dump holding a corrupt row is reported unverified and
/// never restored from; a primary that lost its data gets the backup's
/// image instead.
#[test]
fn a_snapshot_holding_a_row_that_fails_its_checksum_is_not_trusted() {
    let mut o = Ops::new(Design::hardened());
    let (_, req, _) = request(&o.notice(ARRAY));
    let (_, req, _) = request(&o.answer(req, SERVING, None));
    let dump = vec![row(rec(0, 1), 1), corrupt(&row(rec(0, 2), 2))];
    o.answer(req, SERVING, Some(dump));
    let ev = o.env.event(SidekickEvent::OperatorSnapshot);
    assert_eq!(ev.field("verified"), Some(&false.into()));
    let (_, req, _) = request(&o.storage_back(ARRAY));
    let (to, req, msg) = request(&o.answer(req, DbHealth::AwaitingRestore, None));
    assert_eq!(
        (to, msg),
        (BACKUP, Msg::Dump { req }),
        "not restored from the backup"
    );
    assert!(o.env.events(SidekickEvent::RecoverSnapshot).is_empty());
}

/// Fails over to the backup after fault 7: the primary comes back lost and
/// the backup answers with its image of epoch 5. Returns the epoch the
/// primary is restored under.
fn failover_epoch(o: &mut Ops) -> u64 {
    let failover = Input::Incident {
        fault: 7,
        incident: Incident::Failover,
    };
    assert!(o.input(failover).sends.is_empty(), "waits for the storage");
    let (_, req, _) = request(&o.storage_back(ARRAY));
    let lost = DbHealth::Serving {
        epoch: 9,
        rebuilt: true,
    };
    let (to, req, msg) = request(&o.answer(req, lost, None));
    assert_eq!((to, msg), (BACKUP, Msg::Dump { req }));
    let (to, _, msg) = request(&o.answer(req, SERVING, Some(rows_ab())));
    let Msg::Restore { rows, epoch, .. } = msg else {
        panic!("expected a Restore, got {msg:?}");
    };
    assert_eq!((to, rows), (PRIMARY, rows_ab()));
    epoch
}

/// With `failover_bumps_epoch` the copy promoted from the backup's image
/// serves under a new epoch, not the image's, so every handset sees the
/// change and resyncs in full.
#[test]
fn with_failover_bumps_epoch_a_failover_promotes_the_image_under_a_new_epoch() {
    let mut o = Ops::new(Design::hardened());
    let epoch = failover_epoch(&mut o);
    assert_ne!(epoch, 5, "the promoted copy kept the image's epoch");
    assert!(epoch > 0);
}

/// Without `failover_bumps_epoch` (the 2009 failover) the promoted copy
/// keeps the epoch of the image it was made from: a handset that saw that
/// epoch notices nothing.
#[test]
fn without_failover_bumps_epoch_a_failover_keeps_the_images_epoch() {
    let mut o = Ops::new(Design::fragile_2009());
    assert_eq!(failover_epoch(&mut o), 5);
}

/// A failover is reported as a step of the recovery, naming its fault and
/// whether the promoted copy got a new epoch, whatever the design.
#[test]
fn a_failover_is_reported_with_its_fault_and_whether_the_epoch_is_new() {
    for (design, new_epoch) in [(Design::hardened(), true), (Design::fragile_2009(), false)] {
        let mut o = Ops::new(design.clone());
        failover_epoch(&mut o);
        let ev = o.env.event(SidekickEvent::OperatorFailover);
        assert_eq!(ev.field("fault").and_then(|v| v.as_u64()), Some(7));
        assert_eq!(
            ev.field("new_epoch"),
            Some(&new_epoch.into()),
            "{}",
            design.name()
        );
    }
}

/// Restores account `from` from the backup's image, which holds rows of
/// accounts 0 and 1, into account `to`: what the step after the image sent.
fn account_restore(design: Design, from: u32, to: u32) -> (Ops, Outputs<Msg>) {
    let mut o = Ops::new(design);
    let incident = Input::Incident {
        fault: 3,
        incident: Incident::WrongAccountRestore { from, to },
    };
    let (to_addr, req, msg) = request(&o.input(incident));
    assert_eq!((to_addr, msg), (BACKUP, Msg::Dump { req }));
    let image = vec![row(rec(0, 1), 1), row(rec(1, 1), 2), row(rec(0, 2), 3)];
    let out = o.answer(req, SERVING, Some(image));
    (o, out)
}

/// An account restore writes the backed-up rows of that account, and only
/// those, into it.
#[test]
fn an_account_restore_writes_only_that_accounts_rows() {
    for design in [Design::hardened(), Design::fragile_2009()] {
        let (_, out) = account_restore(design.clone(), 0, 0);
        let (to, _, msg) = request(&out);
        let Msg::RestoreAccount { account, rows, .. } = msg else {
            panic!("expected a RestoreAccount, got {msg:?}");
        };
        assert_eq!((to, account), (PRIMARY, 0), "{}", design.name());
        assert_eq!(
            rows,
            vec![row(rec(0, 1), 1), row(rec(0, 2), 3)],
            "{}",
            design.name()
        );
    }
}

/// With `restore_checks_account` an account restore into another user's
/// account is caught: nothing is written into that account.
#[test]
fn with_restore_checks_account_a_restore_into_another_account_is_refused() {
    let (o, out) = account_restore(Design::hardened(), 1, 0);
    assert!(
        !out.sends
            .iter()
            .any(|(_, m)| matches!(m, Msg::RestoreAccount { account: 0, .. })),
        "account 1's rows written into account 0: {:?}",
        out.sends
    );
    o.env.event(SidekickEvent::OperatorRestoreRefused);
}
