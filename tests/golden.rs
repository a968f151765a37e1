//! The golden record of behaviour: for seeds 0..3 of every catalogue
//! scenario under both presets, the trace hash of each seed and the
//! summary line of the three. A refactor must leave this snapshot as it
//! is; a change that must move it (a bug fixed in a model or the checker)
//! updates it in the same commit and says why.

mod common;

use lastcopy::runner::Summary;
use lastcopy::scenario::CATALOGUE;
use models::design::Design;
use std::fmt::Write;

#[test]
fn trace_hashes_and_summaries_of_the_catalogue() {
    let mut golden = String::new();
    for (name, _) in CATALOGUE {
        for design in Design::PRESETS {
            let outcomes = common::case(name, design, &[]).sweep(0..3, common::jobs());
            let hashes: Vec<&str> = outcomes.iter().map(|o| o.trace_hash.as_str()).collect();
            let _ = writeln!(
                golden,
                "{name} / {design}: {}\n  {}",
                hashes.join(" "),
                Summary::of(&outcomes)
            );
        }
    }
    insta::assert_snapshot!(golden);
}

/// The harness's own case, driving the Sidekick through its rig
/// (`lastcopy::rig::Sidekick`), runs each catalogue scenario as the
/// Sidekick's runner does: the same outcome (situations watched, near
/// misses and atlas skips too), seed for seed.
#[test]
fn the_harness_case_runs_the_sidekick_as_its_runner_does() {
    use harness::case::Case;
    use harness::scenario::Source;
    use lastcopy::rig::Sidekick;
    for (name, _) in CATALOGUE {
        let source = Source::find(name, CATALOGUE).expect("catalogue scenarios are found");
        for design in Design::PRESETS {
            let ours =
                Case::<Sidekick>::load(&source, &[], design).expect("catalogue scenarios load");
            let mut theirs = common::case(name, design, &[]);
            theirs.situations = false;
            for seed in 0..2 {
                let (a, b) = (ours.run_seed(seed).outcome, theirs.run_seed(seed).outcome);
                assert_eq!(a, b, "{name} / {design} seed {seed}");
            }
        }
    }
}

/// A saved workload (a regression's, a shrunk case's) runs through the
/// harness's case as through the Sidekick's runner: the same outcome, and
/// not the seed's own workload's.
#[test]
fn a_saved_workload_runs_through_the_harness_case_as_through_the_runner() {
    use harness::case::Case;
    use harness::scenario::Source;
    use lastcopy::rig::Sidekick;
    let source = Source::find("sidekick-2009", CATALOGUE).expect("in the catalogue");
    let mut ours = Case::<Sidekick>::load(&source, &[], "hardened").expect("loads");
    let mut theirs = common::case("sidekick-2009", "hardened", &[]);
    theirs.situations = false;
    let own = ours.run_seed(0).outcome;
    let saved = ours.workload(5);
    ours.workload = Some(saved.clone());
    theirs.workload = Some(saved);
    let (a, b) = (ours.run_seed(0).outcome, theirs.run_seed(0).outcome);
    assert_eq!(a, b);
    assert_ne!(a.trace_hash, own.trace_hash, "the saved workload ran");
}
