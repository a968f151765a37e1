//! Every catalogue scenario states, per design, whether it must keep the
//! promise or is expected to break it; `cargo test` checks each statement
//! over the scenario's `[test] seeds` (times `LASTCOPY_SWEEP`), and that
//! every kind of the fault table takes effect somewhere in those sweeps.

mod common;

use lastcopy::scenario::{Scenario, CATALOGUE};
use std::collections::BTreeMap;

#[test]
fn every_catalogue_expectation_holds_and_every_fault_kind_takes_effect() {
    let mut failures = Vec::new();
    let mut effective: BTreeMap<String, u64> = BTreeMap::new();
    let mut fired: BTreeMap<String, u64> = BTreeMap::new();
    for (name, _) in CATALOGUE {
        let scenario = Scenario::load(name, &[]).expect("catalogue scenarios load");
        let seeds = common::sweep(u64::from(scenario.test.seeds));
        for (design, expectation) in &scenario.expect {
            let (outcomes, held) = common::check_expectation(name, design, expectation, seeds);
            for o in &outcomes {
                for (k, c) in &o.faults {
                    *effective.entry(k.clone()).or_default() += c.effective;
                    *fired.entry(k.clone()).or_default() += c.fired;
                }
            }
            failures.extend(held.err());
        }
    }
    // A clock skew only moves a clock: whether it hurt shows later, in the
    // stamps it gave (tests/writers.rs), so it is never marked effective.
    const JUDGED_LATER: [&str; 1] = ["clock-skew"];
    for kind in models::fault::FAULT_TABLE.iter().map(|row| &row.name) {
        if fired.get(*kind).copied().unwrap_or(0) == 0 {
            failures.push(format!(
                "fault kind {kind} never fired in the catalogue's sweeps"
            ));
        } else if !JUDGED_LATER.contains(kind) && effective.get(*kind).copied().unwrap_or(0) == 0 {
            failures.push(format!(
                "fault kind {kind} never took effect in the catalogue's sweeps"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
