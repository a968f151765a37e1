//! Two writers, bad clocks and deletes (`scenarios/two-writers.toml`): each
//! class breaks a design in a real run, and each hardened knob of the class,
//! flipped alone, breaks the scenario.

mod common;

use sim::outcome::VerdictKind;

use common::case;
use lastcopy::runner::SeedRun;

/// Quiets every fault class of two-writers but the ones a test keeps.
const NO_PORTAL: &str = "workload.portal_edits_per_user_day=0";
const NO_DELETES: &str = "workload.delete_probability=0";
const NO_RESETS: &str = "faults.clock_reset_per_handset_day=0";
const NO_SKEW: &str = "faults.clock_skew_per_handset_day=0";
const NO_PULLS: &str = "faults.battery_pull_per_handset_day=0";
const NO_SERVER_LOSS: &str = "faults.storage.device_loss_per_day=0";

/// The first seed below `limit` whose run of two-writers under `design`
/// with `overrides` has a `kind` verdict.
fn first_with(design: &str, overrides: &[&str], kind: VerdictKind, limit: u64) -> Option<SeedRun> {
    let c = case("two-writers", design, overrides);
    (0..limit)
        .map(|seed| c.run_seed(seed))
        .find(|run| run.outcome.verdict_count(kind) > 0)
}

fn kept(design: &str, overrides: &[&str], seed: u64) -> bool {
    case("two-writers", design, overrides)
        .run_seed(seed)
        .outcome
        .kept_promise()
}

#[test]
fn a_second_writer_under_last_writer_wins_loses_acknowledged_updates() {
    // Only the portal and the handsets editing the same records: no clock
    // faults, no deletes, no server loss.
    let quiet = [NO_DELETES, NO_RESETS, NO_SKEW, NO_PULLS, NO_SERVER_LOSS];
    let run = first_with("fragile-2009", &quiet, VerdictKind::LostUpdate, 3)
        .expect("last-writer-wins loses a concurrent edit within three seeds");
    let v = run
        .outcome
        .verdicts
        .iter()
        .find(|v| v.kind == VerdictKind::LostUpdate)
        .expect("found");
    assert!(v.detail.contains("no conflict copy kept"), "{v:?}");
    assert!(
        kept("hardened", &quiet, run.outcome.seed),
        "conflict copies keep seed {}",
        run.outcome.seed
    );
}

#[test]
fn a_reset_clock_under_wall_clock_stamps_rolls_back_acknowledged_edits() {
    // One writer per record; only clock resets (battery pulls that drain
    // the clock): a version stamped near the epoch loses to its own parent.
    let resets = [
        NO_PORTAL,
        NO_DELETES,
        NO_SKEW,
        NO_PULLS,
        NO_SERVER_LOSS,
        "faults.clock_reset_per_handset_day=1",
    ];
    let run = first_with("fragile-2009", &resets, VerdictKind::RolledBack, 4)
        .expect("a reset clock rolls back an edit within four seeds");
    let mut hybrid = resets.to_vec();
    hybrid.push("design.hlc=true");
    assert!(
        kept("fragile-2009", &hybrid, run.outcome.seed),
        "the same seed with a hybrid logical clock keeps the promise"
    );
    let events = run.output.trace.events();
    assert!(
        events
            .iter()
            .any(|e| e.kind == sim::trace::EngineEvent::FaultResolved
                && e.field("clock_ms").is_some())
    );
}

#[test]
fn purged_tombstones_let_a_stale_restore_resurrect_deleted_records() {
    let run = first_with("fragile-2009", &[], VerdictKind::Resurrected, 3)
        .expect("fragile-2009 resurrects a deleted record within three seeds");
    let restored = run
        .output
        .trace
        .events()
        .iter()
        .any(|e| e.kind == models::event::SidekickEvent::RecoverBackup);
    assert!(restored, "the primary was restored from the backup");
}

#[test]
fn hardened_keeps_the_promise_on_two_writers() {
    for seed in 0..3 {
        let run = case("two-writers", "hardened", &[]).run_seed(seed);
        assert!(run.outcome.kept_promise(), "{:?}", run.outcome.verdicts);
        let copies = run
            .output
            .final_state
            .places()
            .into_iter()
            .filter(|(p, _)| p.kind.reference)
            .flat_map(|(_, v)| v)
            .flat_map(|m| m.values())
            .any(|row| !row.conflicts.is_empty());
        if seed == 0 {
            assert!(copies, "concurrent edits are kept as conflict copies");
        }
    }
}

#[test]
fn hardened_without_conflict_copies_loses_updates() {
    let run = first_with(
        "hardened",
        &["design.conflict_copies=false"],
        VerdictKind::LostUpdate,
        3,
    );
    assert!(
        run.is_some(),
        "last-writer-wins on hardened loses an update"
    );
}

#[test]
fn hardened_without_a_hybrid_clock_resurrects_deleted_records() {
    // A reset clock stamps a re-uploaded deletion older than the stale
    // version the restore brought back, which then wins.
    let run = first_with(
        "hardened",
        &["design.hlc=false"],
        VerdictKind::Resurrected,
        12,
    );
    assert!(
        run.is_some(),
        "wall-clock stamps on hardened resurrect a record"
    );
}

#[test]
fn hardened_without_long_lived_tombstones_resurrects_deleted_records() {
    let run = first_with(
        "hardened",
        &["design.keep_tombstones=false"],
        VerdictKind::Resurrected,
        6,
    );
    assert!(
        run.is_some(),
        "purged tombstones on hardened resurrect a record"
    );
}

#[test]
fn hardened_taking_absence_as_deletion_loses_records_after_the_server_lost_them() {
    let run = first_with(
        "hardened",
        &["design.absence_deletes=true"],
        VerdictKind::Lost,
        4,
    )
    .expect("absence taken as deletion on hardened loses records");
    let dropped = run
        .output
        .trace
        .events()
        .iter()
        .any(|e| e.kind == models::event::SidekickEvent::SyncAbsentDeleted);
    assert!(dropped, "a handset took the server's loss as a deletion");
}

#[test]
fn clock_faults_fire_and_a_clock_reset_takes_effect() {
    let c = case("two-writers", "fragile-2009", &[]);
    let mut fired = std::collections::BTreeMap::<String, (u64, u64)>::new();
    for o in c.sweep(0..3, common::jobs()) {
        for (k, f) in o.faults {
            let e = fired.entry(k).or_default();
            e.0 += f.fired;
            e.1 += f.effective;
        }
    }
    let count = |k: &str| fired.get(k).copied().unwrap_or_default();
    assert!(count("clock-skew").0 > 0, "{fired:?}");
    assert!(count("clock-reset").0 > 0, "{fired:?}");
    assert!(count("clock-reset").1 > 0, "{fired:?}");
}
