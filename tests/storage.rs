//! Storage faults: every variant of the fault table fires and takes effect
//! somewhere in the storage scenarios, and a replay names the fault, the
//! device and the sector.

mod common;

use lastcopy::runner::Replay;
use models::fault::{FaultClass, FaultKind};
use sim::trace::EngineEvent;
use std::collections::BTreeMap;

const STORAGE_SCENARIOS: [&str; 3] = ["disk-rot", "torn-writes", "lying-disk"];

#[test]
fn every_storage_fault_variant_fires_effectively() {
    let seeds = common::sweep(6);
    let mut effective: BTreeMap<String, u64> = BTreeMap::new();
    for scenario in STORAGE_SCENARIOS {
        for design in ["fragile-2009", "hardened"] {
            for o in common::case(scenario, design, &[]).sweep(0..seeds, common::jobs()) {
                for (k, c) in o.faults {
                    *effective.entry(k).or_default() += c.effective;
                }
            }
        }
    }
    for name in FaultKind::of_class(FaultClass::Storage).map(FaultKind::name) {
        assert!(
            effective.get(name).copied().unwrap_or(0) > 0,
            "{name} never took effect: {effective:?}"
        );
    }
}

#[test]
fn a_replay_names_the_fault_the_device_and_the_sector() {
    let case = common::case("disk-rot", "fragile-2009", &[]);
    let failing = (0..common::sweep(10))
        .map(|seed| case.run_seed(seed))
        .find(|run| !run.outcome.kept_promise())
        .expect("disk-rot breaks fragile-2009 within ten seeds");
    let events = failing.output.trace.events();
    let resolved: Vec<_> = events
        .iter()
        .filter(|e| e.kind == EngineEvent::FaultResolved && e.field("sector").is_some())
        .collect();
    assert!(
        !resolved.is_empty(),
        "no storage fault was resolved to a sector"
    );
    for e in resolved {
        let fault = e.field("fault").and_then(|v| v.as_u64()).expect("fault id");
        let device = e.str("device").expect("device");
        assert!(
            device.ends_with("/flash") || device.starts_with("array-"),
            "{e}"
        );
        let fired = events.iter().any(|f| {
            f.kind == EngineEvent::FaultFired
                && f.field("fault").and_then(|v| v.as_u64()) == Some(fault)
        });
        assert!(fired, "fault {fault} resolved but never fired");
        let on_disk = events.iter().any(|d| {
            d.kind == EngineEvent::DiskFault
                && d.str("sectors").is_some()
                && d.field("fault").and_then(|v| v.as_u64()) == Some(fault)
        });
        assert!(on_disk, "the disk did not report fault {fault}");
    }
}

#[test]
fn on_redb_hardened_keeps_the_promise_and_the_2009_design_breaks_it() {
    let seeds = common::sweep(4);
    for scenario in STORAGE_SCENARIOS {
        let hardened = common::case(scenario, "hardened", &["engine=redb"]);
        for o in hardened.sweep(0..seeds, common::jobs()) {
            assert!(
                o.kept_promise(),
                "{scenario} on redb, seed {}: {:?}; replay: {}",
                o.seed,
                o.verdicts,
                hardened.replay_command(o.seed)
            );
        }
    }
    for scenario in ["disk-rot", "lying-disk"] {
        let fragile = common::case(scenario, "fragile-2009", &["engine=redb"]);
        let broke = fragile
            .sweep(0..seeds * 2, common::jobs())
            .iter()
            .filter(|o| !o.kept_promise())
            .count();
        assert!(broke > 0, "{scenario} on redb never broke fragile-2009");
    }
}
