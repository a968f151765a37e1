//! The world: one seed's run of the sidekick-2009 system on the harness's
//! world ([`harness::world`]), its faults struck by its own model
//! ([`crate::fault_model`]).
//!
//! The harness builds the topology a scenario and design call for, drives
//! the users' workload and the fault plan on simulated time, then heals:
//! the workload stops, no new faults are injected, every node shuts down
//! cleanly and boots from its own disk (the operator is told again of
//! storage that came back at heal), and the world waits until every handset
//! (and web portal) and the server serve the same versions, or the heal
//! bound passes. It repairs nothing itself. What it hands on is the trace,
//! the ledger and the final state: what each place serves.

use crate::fault_model::{self, Parts, SidekickFaults};
use crate::scenario::Scenario;
use crate::system;
use harness::world::{Output, Setup};
use models::design::Design;
use models::fault::Fault;
use models::workload::Workload;
use sim::plan::Plan;
use sim::rng::Seeds;
use std::time::Duration;

pub use crate::places::FinalState;

/// The workload `scenario` draws for `seed`.
pub fn draw_workload(scenario: &Scenario, seed: u64) -> Workload {
    Workload::draw(
        &Seeds::new(seed),
        scenario.topology.handsets,
        &scenario.workload.config(),
        scenario.run.duration,
    )
}

/// The harness's setup of a run of `scenario`: its phases, buggify, and
/// madsim's network latency when the scenario changes it.
fn setup(scenario: &Scenario) -> Setup {
    let mut config = madsim::Config::default();
    if scenario.system.network_latency != crate::scenario::System::DEFAULT_LATENCY {
        // Only a latency the scenario changed touches madsim's config, so
        // plain runs keep madsim's own (and their traces).
        config.net.send_latency = Duration::from_millis(1)..scenario.system.network_latency;
    }
    Setup {
        duration: scenario.run.duration,
        heal_bound: scenario.run.heal_bound,
        converge_check: scenario.run.converge_check,
        buggify: scenario.buggify,
        madsim: config,
    }
}

/// Runs one seed of `scenario` under `design` with `plan` and `workload`.
/// The seed drives madsim's own draws (scheduling, latency). With
/// `situations`, the run also counts the situations coverage reports
/// ([`Output::situations`], by [`crate::situations::Situation`] name; those that never
/// happened are left out, and it is empty without), which never changes
/// its trace.
pub fn run(
    scenario: &Scenario,
    design: &Design,
    plan: &Plan<Fault>,
    workload: &Workload,
    seed: u64,
    situations: bool,
) -> Output {
    let built = system::build(scenario, design);
    let parts = Parts {
        volumes: built.volumes,
        clocks: built.clocks,
    };
    let handsets = scenario.topology.handsets;
    let actions = fault_model::actions(workload, handsets, system::has_portals(scenario));
    let (s, d, p) = (scenario.clone(), design.clone(), plan.clone());
    let model = move |cluster: &_| SidekickFaults::new(cluster, parts, &s, &d, p, situations);
    let (mut run, situations) = harness::world::run_with(
        &setup(scenario),
        scenario,
        built.nodes,
        actions,
        model,
        seed,
    );
    run.situations = situations
        .iter()
        .map(|(s, n)| (s.name().to_string(), *n))
        .collect();
    run
}
