//! Each swarm dimension through the public trait catches a bug planted
//! where only that dimension goes: a fleet ([`fleet`]) whose scenario
//! fixes two clients, bursts of three and a push every two minutes carries
//! one bug per design that needs a longer burst, a shorter sync interval,
//! a third client or more crashes than the scenario's rate brings. A plain
//! sweep never catches it; `--swarm` (through [`Swarm`]) does on some
//! seed; that seed's `drew` overrides replay the failure without swarm;
//! and the careful design keeps the promise under the same draws.

use crate::fleet;

use lastcopy_harness::plan::swarm::Swarm;
use lastcopy_harness::scenario::Source;

/// Seeds each sweep runs.
const SEEDS: u64 = 40;

/// The seeds of `0..SEEDS` on which `design` breaks the promise, plainly
/// and under swarm, and for each swarm failure what it drew.
struct Sweeps {
    plain: Vec<u64>,
    swarm: Vec<(u64, Vec<String>)>,
}

fn sweeps(source: &Source, design: &str) -> Sweeps {
    let base = fleet::case(source, design, &[]);
    let plain = (0..SEEDS)
        .filter(|&s| !base.run_seed(s).outcome.kept_promise())
        .collect();
    let swarm = Swarm::new(&base, source, false).unwrap();
    let failed = (0..SEEDS)
        .filter_map(|s| {
            let case = swarm.case(s).unwrap();
            let run = case.run_seed(s);
            (!run.outcome.kept_promise()).then(|| (s, case.drawn.clone()))
        })
        .collect();
    Sweeps {
        plain,
        swarm: failed,
    }
}

/// Checks that `design` is caught only by swarm, that each failing swarm
/// seed's draw sets `key` to a value `bad` says the bug needs, and that
/// the first one replays without swarm; returns the caught seeds.
fn caught_only_by_swarm(
    source: &Source,
    design: &str,
    key: &str,
    bad: impl Fn(f64) -> bool,
) -> Vec<u64> {
    let s = sweeps(source, design);
    assert!(
        s.plain.is_empty(),
        "{design}: plain seeds {:?} broke",
        s.plain
    );
    assert!(!s.swarm.is_empty(), "{design}: swarm never caught the bug");
    for (seed, drawn) in &s.swarm {
        let value = drawn
            .iter()
            .find_map(|o| o.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("seed {seed} drew no {key}: {drawn:?}"));
        assert!(bad(value.parse().unwrap()), "seed {seed}: {key}={value}");
    }
    let (seed, drawn) = &s.swarm[0];
    let swarmed = Swarm::new(&fleet::case(source, design, &[]), source, false)
        .unwrap()
        .case(*seed)
        .unwrap()
        .run_seed(*seed);
    let replayed = fleet::case(source, design, drawn).run_seed(*seed);
    assert!(!replayed.outcome.kept_promise(), "seed {seed} replayed");
    assert_eq!(replayed.outcome.trace_hash, swarmed.outcome.trace_hash);
    assert_eq!(replayed.outcome.verdicts, swarmed.outcome.verdicts);
    s.swarm.iter().map(|(seed, _)| *seed).collect()
}

fn careful_keeps_the_promise_under_swarm(source: &Source) {
    let s = sweeps(source, "careful");
    assert!(s.plain.is_empty() && s.swarm.is_empty(), "careful broke");
}

#[test]
fn a_longer_burst_than_the_scenario_sets_is_drawn_and_caught() {
    let source = fleet::source("", "");
    caught_only_by_swarm(&source, "burst-bug", "system.burst", |b| b > 5.0);
    careful_keeps_the_promise_under_swarm(&source);
}

#[test]
fn a_shorter_sync_interval_than_the_scenario_sets_is_drawn_and_caught() {
    let source = fleet::source("", "");
    caught_only_by_swarm(&source, "timing-bug", "system.sync_interval_s", |s| {
        s < 30.0
    });
}

#[test]
fn a_third_client_the_scenario_does_not_have_is_drawn_and_caught() {
    let source = fleet::source("", "");
    caught_only_by_swarm(&source, "topology-bug", "system.clients", |c| c > 2.0);
}

#[test]
fn a_higher_fault_rate_than_the_scenario_sets_is_drawn_and_caught() {
    let rate = 0.2;
    let source = fleet::source(&format!("crash_per_node_day = {rate}"), "");
    caught_only_by_swarm(&source, "crash-bug", "faults.crash_per_node_day", |r| {
        r > rate
    });
    careful_keeps_the_promise_under_swarm(&source);
}
