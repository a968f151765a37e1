//! Edit races on demand (`edit-race`) and the situations coverage counts:
//! a race fires inside an in-flight push of the record it edits, then the
//! handset is reset or loses power at the drawn delay; each situation is
//! counted on a seed that reaches it.

mod common;

use lastcopy::situations::Situation;
use models::fault::FaultKind;
use models::record::VersionId;
use sim::trace::EngineEvent;

#[test]
fn an_edit_race_edits_a_record_in_flight_then_resets_or_pulls_the_handset() {
    let case = common::case("edit-races", "hardened", &["topology.handsets=3"]);
    let run = case.run_seed(0);
    let events = run.output.trace.events();
    let ledger = &run.output.ledger;
    let mut ends = std::collections::BTreeSet::new();
    let mut checked = 0;
    for fired in events
        .iter()
        .filter(|e| fired_kind(e) == Some(FaultKind::EditRace))
    {
        let id = fired.field("fault").and_then(|v| v.as_u64()).unwrap();
        let same = |e: &&sim::trace::Event| e.field("fault").and_then(|v| v.as_u64()) == Some(id);
        let resolved = events
            .iter()
            .filter(same)
            .find(|e| e.kind == EngineEvent::FaultResolved)
            .expect("a race is resolved as it fires");
        let record = ledger
            .record_named(resolved.str("record").unwrap())
            .unwrap();
        let version: VersionId = resolved.str("version").unwrap().parse().unwrap();
        // The edit went through the handset like any edit: the ledger has
        // it, made at once, on top of a version whose push was in flight
        // (written before, told synced only after the edit).
        let edit = ledger
            .get(record, version)
            .expect("the ledger records the edit");
        assert!(
            edit.written_at.since(fired.at).as_millis() <= 5,
            "{fired:?}"
        );
        let [parent] = edit.parents[..] else {
            panic!("an edit of a record the handset shows has one parent");
        };
        let pushed = ledger.get(record, parent).unwrap();
        assert!(pushed.written_at < fired.at);
        if let Some(synced) = pushed.synced_at {
            assert!(synced >= edit.written_at, "the push was still in flight");
        }
        // Then the reset or power loss, at the drawn delay, under the same id.
        let after = resolved.field("after_ms").and_then(|v| v.as_u64()).unwrap();
        let then = resolved.str("then").unwrap();
        let end_kind = if then == "reset" {
            FaultKind::FactoryReset
        } else {
            FaultKind::BatteryPull
        };
        let end = events
            .iter()
            .filter(same)
            .find(|e| fired_kind(e) == Some(end_kind));
        let skipped = events
            .iter()
            .filter(same)
            .any(|e| e.kind == EngineEvent::FaultSkipped);
        match end {
            Some(end) => {
                assert_eq!(end.at.since(fired.at).as_millis() as u64, after);
                assert_eq!(end.node, fired.node);
                ends.insert(then.to_string());
            }
            None => assert!(skipped, "race {id} neither ended nor was skipped"),
        }
        checked += 1;
    }
    assert!(checked >= 5, "races fire: {checked}");
    assert_eq!(
        ends.len(),
        2,
        "resets and power losses both follow: {ends:?}"
    );
    assert!(run.outcome.kept_promise(), "{:?}", run.outcome.verdicts);
}

#[test]
fn a_plain_run_has_no_race_and_its_plan_is_unchanged_by_the_new_key() {
    let plain = common::case("battery-pulls", "hardened", &[]);
    let zero = common::case(
        "battery-pulls",
        "hardened",
        &["faults.edit_race_per_handset_day=0"],
    );
    assert_eq!(plain.plan(3), zero.plan(3));
    assert!(!plain
        .plan(3)
        .faults
        .iter()
        .any(|f| f.kind.name() == "edit-race"));
}

/// The count of `s` in the outcome of `seed` of `case`.
fn count(case: &lastcopy::runner::Case, seed: u64, s: Situation) -> u64 {
    let o = case.run_seed(seed).outcome;
    o.situations.get(s.name()).copied().unwrap_or(0)
}

#[test]
fn an_edit_during_a_push_of_its_record_is_counted() {
    let races = common::case("edit-races", "hardened", &["topology.handsets=3"]);
    assert!(count(&races, 0, Situation::EditDuringPush) > 0);
    // Without races, edits rarely fall inside a push's few milliseconds.
    let quiet = common::case(
        "edit-races",
        "hardened",
        &["topology.handsets=3", "faults.edit_race_per_handset_day=0"],
    );
    assert_eq!(count(&quiet, 0, Situation::EditDuringPush), 0);
}

#[test]
fn three_concurrent_versions_and_a_restore_during_a_sync_are_counted() {
    let case = common::case("two-writers", "fragile-2009", &[]);
    let outcomes = case.sweep(0..2, common::jobs());
    let seen = |s: Situation| {
        outcomes
            .iter()
            .map(|o| o.situations.get(s.name()).copied().unwrap_or(0))
            .sum::<u64>()
    };
    assert!(seen(Situation::ThreeConcurrentVersions) > 0);
    assert!(seen(Situation::RestoreDuringSync) > 0);
}

#[test]
fn equal_stamps_are_counted() {
    // A clock stepped back past the epoch reads 0: versions made then tie.
    let case = common::case(
        "two-writers",
        "fragile-2009",
        &["faults.clock_skew_max=30d"],
    );
    assert!(count(&case, 0, Situation::EqualStamps) > 0);
    let plain = common::case("two-writers", "fragile-2009", &[]);
    assert_eq!(count(&plain, 0, Situation::EqualStamps), 0);
}

#[test]
fn an_exchange_is_in_flight_until_the_handset_gives_it_up() {
    // No races; edits every few minutes of two records, and answers that
    // take seconds (10 s latency): with the default minute, some edits
    // fall while a push is waiting for its answer...
    let slow = [
        "topology.handsets=3",
        "run.duration=1d",
        "run.heal_bound=1h",
        "faults.edit_race_per_handset_day=0",
        "workload.edits_per_handset_day=500",
        "workload.max_records_per_handset=2",
        "system.network_latency=10s",
    ];
    let patient = common::case("edit-races", "hardened", &slow);
    assert!(count(&patient, 0, Situation::EditDuringPush) > 0);
    // ...but a handset that gives its exchange up after 10 ms has nothing
    // in flight after that, whenever the server answers.
    let sets: Vec<&str> = slow
        .into_iter()
        .chain(["workload.exchange_timeout=10ms"])
        .collect();
    let impatient = common::case("edit-races", "hardened", &sets);
    assert_eq!(count(&impatient, 0, Situation::EditDuringPush), 0);
}

/// The kind of fault `e` says fired, if it is a fault firing.
fn fired_kind(e: &sim::trace::Event) -> Option<FaultKind> {
    (e.kind == EngineEvent::FaultFired)
        .then(|| e.str("fault_kind").and_then(FaultKind::parse))
        .flatten()
}
