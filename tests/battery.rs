//! Battery pulls at a step of a sync exchange (`mid-sync-pull`): each step
//! is reached and struck, a pull whose step never comes is skipped and says
//! so, the 2009 cache design loses records to these pulls alone, and the
//! hardened design keeps the promise under them.

mod common;

use lastcopy::runner::Summary;
use models::fault::{Fault, SyncStep};
use sim::trace::EngineEvent;
use std::collections::BTreeSet;

/// battery-pulls with the random pulls off: only mid-sync pulls strike handsets.
const ONLY_MID_SYNC: &[&str] = &["faults.battery_pull_per_handset_day=0"];

#[test]
fn every_step_is_struck_and_pulls_whose_step_never_comes_are_skipped() {
    let case = common::case("battery-pulls", "hardened", ONLY_MID_SYNC);
    let mut struck: BTreeSet<String> = BTreeSet::new();
    let mut skipped = 0;
    for seed in 0..common::sweep(2) {
        let run = case.run_seed(seed);
        for f in &run.plan.faults {
            let Fault::MidSyncPull { step, .. } = f.kind else {
                continue;
            };
            if run.output.fired.contains(&f.id) {
                struck.insert(format!("{step:?}"));
            }
        }
        skipped += run
            .output
            .trace
            .events()
            .iter()
            .filter(|e| e.kind == EngineEvent::FaultSkipped)
            .filter(|e| e.str("why").is_some_and(|w| w.contains("sync step")))
            .count();
    }
    let all: BTreeSet<String> = SyncStep::ALL.iter().map(|s| format!("{s:?}")).collect();
    assert_eq!(struck, all, "every step of a sync exchange is struck");
    assert!(skipped > 0, "some pulls wait in vain and are skipped");
}

#[test]
fn a_struck_handset_loses_power_at_once_and_reboots() {
    let case = common::case("battery-pulls", "hardened", ONLY_MID_SYNC);
    let run = case.run_seed(0);
    let events = run.output.trace.events();
    let fired: Vec<_> = events
        .iter()
        .filter(|e| {
            e.kind == EngineEvent::FaultFired
                && e.str("fault_kind")
                    .and_then(models::fault::FaultKind::parse)
                    == Some(models::fault::FaultKind::MidSyncPull)
        })
        .collect();
    assert!(!fired.is_empty());
    for f in fired.iter().take(20) {
        let crashed = events
            .iter()
            .any(|e| e.kind == EngineEvent::NodeCrash && e.node == f.node && e.at == f.at);
        let was_down = events
            .iter()
            .any(|e| e.kind == EngineEvent::FaultSkipped && e.node == f.node && e.at == f.at);
        assert!(
            crashed || was_down,
            "{f:?} crashed its handset there and then"
        );
    }
}

#[test]
fn mid_sync_pulls_alone_break_the_cache_design_and_not_the_hardened_one() {
    let seeds = common::sweep(8);
    let fragile = common::case("battery-pulls", "fragile-2009", ONLY_MID_SYNC);
    let broke = Summary::of(&fragile.sweep(0..seeds, common::jobs()));
    assert!(
        broke.failed > 0 && broke.lost + broke.rolled_back > 0,
        "the cache design loses records to mid-sync pulls: {broke}"
    );
    let hardened = common::case("battery-pulls", "hardened", ONLY_MID_SYNC);
    let kept = Summary::of(&hardened.sweep(0..seeds, common::jobs()));
    assert_eq!(kept.failed, 0, "{kept}");
}
