//! The flagship scenario: the 2009 design breaks the promise, the hardened
//! one keeps it, and the checker really sees the difference.

mod common;

use common::{case, jobs, sweep};
use harness::checker::Count;
use lastcopy::runner::Summary;
use models::event::SidekickEvent;
use sim::outcome::SeedOutcome;
use std::collections::BTreeMap;

fn outcomes(design: &str, overrides: &[&str], seeds: u64) -> Vec<SeedOutcome> {
    case("sidekick-2009", design, overrides).sweep(0..seeds, jobs())
}

#[test]
fn fragile_2009_breaks_the_promise_and_the_upgrade_is_why() {
    let n = sweep(12);
    let with = outcomes("fragile-2009", &[], n);
    let s = Summary::of(&with);
    assert!(
        s.failed * 10 >= n * 9,
        "fragile-2009 must break on >= 90% of seeds: {s}"
    );
    assert!(s.lost > 0, "records are lost for good: {s}");
    let without = outcomes("fragile-2009", &["faults.upgrades=[]"], n);
    let s2 = Summary::of(&without);
    assert!(
        s2.lost * 10 <= s.lost,
        "without the upgrade fragile-2009 loses at least ten times fewer records: with {s}; without {s2}"
    );
}

#[test]
fn hardened_keeps_the_promise_and_acknowledges_what_it_syncs() {
    let n = sweep(12);
    let all = outcomes("hardened", &[], n);
    for o in &all {
        assert!(
            o.kept_promise(),
            "seed {} broke the promise: {:?}",
            o.seed,
            o.verdicts
        );
        let (synced, versions) = (
            o.count(Count::Synced.name()),
            o.count(Count::Versions.name()),
        );
        assert!(
            synced * 100 >= versions * 95,
            "seed {}: only {synced} of {versions} versions acknowledged synced",
            o.seed
        );
    }
}

#[test]
fn every_fault_kind_fires_effectively_and_hardened_uses_every_recovery_path() {
    let n = sweep(3);
    let mut effective: BTreeMap<String, u64> = BTreeMap::new();
    for o in outcomes("fragile-2009", &[], n)
        .iter()
        .chain(outcomes("hardened", &[], n).iter())
    {
        for (k, c) in &o.faults {
            *effective.entry(k.clone()).or_default() += c.effective;
        }
    }
    // Every kind sidekick-2009 plans takes effect (every kind of the table
    // does somewhere in the catalogue: tests/catalogue.rs).
    for kind in [
        "battery-pull",
        "factory-reset",
        "botched-upgrade",
        "node-crash",
    ] {
        assert!(
            effective.get(kind).copied().unwrap_or(0) > 0,
            "{kind} never effective: {effective:?}"
        );
    }
    // On sidekick-2009 the verified snapshot leaves the restored server
    // nothing to miss; re-upload is what repairs a server whose storage lied
    // (lying-disk), and what fills in when the operator must fall back on the
    // older, independent backup (the same design with its snapshot off).
    let paths = |scenario: &str, overrides: &[&str]| {
        let case = case(scenario, "hardened", overrides);
        let mut paths: BTreeMap<&str, u64> = BTreeMap::new();
        for seed in 0..n {
            for e in case.run_seed(seed).output.trace.events() {
                if let Some(k) = e.kind.system::<SidekickEvent>() {
                    if k.is_recovery() {
                        *paths.entry(k.name()).or_default() += 1;
                    }
                }
            }
        }
        paths
    };
    let hardened = paths("sidekick-2009", &[]);
    for k in ["recover.restore", "recover.snapshot"] {
        assert!(
            hardened.get(k).copied().unwrap_or(0) > 0,
            "hardened never used {k}: {hardened:?}"
        );
    }
    let lying = paths("lying-disk", &[]);
    assert!(
        lying.get("recover.reupload").copied().unwrap_or(0) > 0,
        "hardened never re-uploaded on lying-disk: {lying:?}"
    );
    let fallback = paths("sidekick-2009", &["design.upgrade_snapshot=false"]);
    for k in ["recover.backup", "recover.reupload"] {
        assert!(
            fallback.get(k).copied().unwrap_or(0) > 0,
            "the backup fallback never used {k}: {fallback:?}"
        );
    }
}

#[test]
fn one_job_and_two_jobs_print_the_same_summary() {
    let c = case("sidekick-2009", "fragile-2009", &["topology.handsets=8"]);
    let one = c.sweep(0..4, 1);
    let two = c.sweep(0..4, 2);
    assert_eq!(one, two);
    assert_eq!(Summary::of(&one).to_string(), Summary::of(&two).to_string());
}
