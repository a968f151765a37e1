//! Helpers shared by the integration tests.
#![allow(dead_code)]

use lastcopy::runner::Case;
use lastcopy::scenario::Scenario;

/// The case of catalogue scenario `name` under design `design`, with overrides.
pub fn case(name: &str, design: &str, overrides: &[&str]) -> Case {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let scenario = Scenario::load(name, &overrides).expect("catalogue scenarios load");
    let design_knobs = scenario.design(Some(design)).expect("preset exists");
    Case {
        spec: name.to_string(),
        scenario,
        design_arg: Some(design.to_string()),
        design: design_knobs,
        overrides,
        plan: None,
        workload: None,
        situations: true,
    }
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
