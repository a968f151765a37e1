//! Promise checks only, cheap enough to judge a mutant: every catalogue
//! scenario's `[expect]` per preset on its first few seeds, and a short
//! swarm sweep of `chaos` on hardened; in none of them may a machine panic
//! or the quick view of convergence disagree with what is served. This is the test cargo-mutants runs
//! (`scripts/mutants.sh`, docs/mutants.md); run it alone with
//! `cargo test --release --test promise_checks` (under a minute warm).
//! tests/catalogue.rs checks the same statements over more seeds.

mod common;

use lastcopy::runner::Summary;
use lastcopy::scenario::{Scenario, CATALOGUE};
use lastcopy::swarm;
use models::fault::FaultKind;
use sim::outcome::SeedOutcome;

/// Seeds per scenario and preset: few enough to stay fast, enough for every
/// `breaks` share in the catalogue to be met.
const SEEDS: u64 = 6;

/// Seeds of the chaos swarm sweep on hardened.
const SWARM_SEEDS: u64 = 24;

#[test]
fn every_catalogue_expectation_holds_on_fixed_seeds() {
    let mut failures = Vec::new();
    for (name, _) in CATALOGUE {
        let scenario = Scenario::load(name, &[]).expect("catalogue scenarios load");
        let seeds = SEEDS.min(u64::from(scenario.test.seeds));
        for (design, expectation) in &scenario.expect {
            let (outcomes, held) = common::check_expectation(name, design, expectation, seeds);
            failures.extend(held.err());
            failures.extend(findings(&outcomes, &format!("{name} / {design}")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn hardened_keeps_the_promise_under_a_short_chaos_swarm() {
    let hardened = common::case("chaos", "hardened", &[]);
    let outcomes = swarm::sweep(&hardened, (0..SWARM_SEEDS).collect(), common::jobs(), false)
        .expect("every drawn configuration loads");
    let mut broke: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.kept_promise())
        .map(|o| format!("seed {} drew {}", o.seed, o.drawn.join(" ")))
        .collect();
    broke.extend(findings(&outcomes, "chaos --swarm / hardened"));
    assert!(
        broke.is_empty(),
        "{}\n{}",
        Summary::of(&outcomes),
        broke.join("\n")
    );
}

/// A line per seed of `outcomes` with a finding: a machine panicked (the
/// harness catches a step's panic and reboots the node; no design's code
/// should ever panic), or the system's quick view of convergence disagreed
/// with what its places served.
fn findings(outcomes: &[SeedOutcome], case: &str) -> Vec<String> {
    outcomes
        .iter()
        .filter(|o| !o.findings.is_empty())
        .map(|o| format!("{case}: seed {} found {:?}", o.seed, o.findings))
        .collect()
}

/// The adversary reaches what it aims at: media faults on the databases'
/// volumes land on sectors holding rows the database serves (a node that
/// is down excepted), so nearly every one ends a copy of acknowledged
/// data. Faults that landed on dead sectors would leave every check above
/// vacuous for the databases' media (on seeds 0..4 all 18 are effective;
/// aimed at one fixed sector, 3 were).
#[test]
fn media_faults_on_the_databases_strike_rows_they_serve() {
    let case = common::case(
        "disk-rot",
        "hardened",
        &["faults.storage.targets=[\"db-primary\", \"db-backup\"]"],
    );
    let media = [FaultKind::BitRot, FaultKind::LatentSectorError];
    let is_media = |k: &String| FaultKind::parse(k).is_some_and(|k| media.contains(&k));
    let (mut fired, mut effective) = (0, 0);
    for seed in 0..4 {
        let faults = case.run_seed(seed).outcome.faults;
        for (_, c) in faults.iter().filter(|(k, _)| is_media(k)) {
            fired += c.fired;
            effective += c.effective;
        }
    }
    assert!(fired > 0, "no media fault fired");
    assert!(
        4 * effective >= 3 * fired,
        "{effective} of {fired} media faults on the databases ended a copy"
    );
}
