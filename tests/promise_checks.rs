//! Promise checks only, cheap enough to judge a mutant: every catalogue
//! scenario's `[expect]` per preset on its first few seeds, and a short
//! swarm sweep of `chaos` on hardened. This is the test cargo-mutants runs
//! (`scripts/mutants.sh`, docs/mutants.md); run it alone with
//! `cargo test --release --test promise_checks` (under a minute warm).
//! tests/catalogue.rs checks the same statements over more seeds.

mod common;

use lastcopy::runner::Summary;
use lastcopy::scenario::{Scenario, CATALOGUE};
use lastcopy::swarm;

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
            let (_, held) = common::check_expectation(name, design, expectation, seeds);
            failures.extend(held.err());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn hardened_keeps_the_promise_under_a_short_chaos_swarm() {
    let hardened = common::case("chaos", "hardened", &[]);
    let outcomes = swarm::sweep(&hardened, (0..SWARM_SEEDS).collect(), common::jobs(), false)
        .expect("every drawn configuration loads");
    let broke: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.kept_promise())
        .map(|o| format!("seed {} drew {}", o.seed, o.drawn.join(" ")))
        .collect();
    assert!(
        broke.is_empty(),
        "{}\n{}",
        Summary::of(&outcomes),
        broke.join("\n")
    );
}
