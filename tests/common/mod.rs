//! Helpers shared by the integration tests.
#![allow(dead_code)]

use lastcopy::runner::{self, Case, Replay, Summary};
use lastcopy::scenario::Expectation;
use sim::outcome::SeedOutcome;

/// The case of catalogue scenario `name` under design `design`, with overrides.
pub fn case(name: &str, design: &str, overrides: &[&str]) -> Case {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let mut case =
        runner::case(name, Some(design), &overrides).expect("catalogue scenarios and presets load");
    case.watch_situations = true;
    case
}

/// Runs catalogue scenario `name` under `design` over seeds `0..seeds` and
/// judges `expectation` on them: the outcomes, and `Err` with a line naming
/// the scenario, the design, the summary and a replay command when it does
/// not hold.
pub fn check_expectation(
    name: &str,
    design: &str,
    expectation: &Expectation,
    seeds: u64,
) -> (Vec<SeedOutcome>, Result<(), String>) {
    let case = case(name, design, &[]);
    let outcomes = case.sweep(0..seeds, jobs());
    let s = Summary::of(&outcomes);
    let holds = match expectation {
        Expectation::Keeps => s.failed == 0,
        Expectation::Breaks { min_share } => s.failed as f64 >= min_share * seeds as f64,
    };
    if holds {
        return (outcomes, Ok(()));
    }
    let first = outcomes
        .iter()
        .find(|o| o.kept_promise() != matches!(expectation, Expectation::Keeps));
    let replay = first
        .map(|o| case.replay_command(o.seed))
        .unwrap_or_default();
    let line = format!("{name} / {design}: expected {expectation:?}, got {s}; e.g. {replay}");
    (outcomes, Err(line))
}

/// How many seeds a sweep of `base` seeds runs: `base` times LASTCOPY_SWEEP.
pub fn sweep(base: u64) -> u64 {
    let k: u64 = std::env::var("LASTCOPY_SWEEP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    base * k.max(1)
}

/// Worker threads for test sweeps.
pub fn jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Overrides that turn off every fault of `partitions` (and take it down to
/// four handsets), for tests that add only the network faults they need.
pub const QUIET_NETWORK: [&str; 9] = [
    "topology.handsets=4",
    "faults.battery_pull_per_handset_day=0",
    "faults.network.partition_per_link_day=0",
    "faults.network.offline_per_handset_day=0",
    "faults.network.packet_loss_per_link_day=0",
    "faults.network.duplication_per_link_day=0",
    "faults.network.reordering_per_link_day=0",
    "faults.network.long_delay_per_link_day=0",
    "faults.network.transit_corruption_per_link_day=0",
];
