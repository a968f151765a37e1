//! One seed's run of a user's system on the engine, in three phases.
//!
//! Safety: the system's nodes boot on blank disks; users act as its
//! workload says and the fault model's steps strike ([`FaultModel`]).
//! Heal: no more actions or faults; the network heals, every node shuts
//! down cleanly and boots from its own disks (its wall clock keeps whatever
//! clock faults did to it, as a device's clock stays wrong until someone
//! sets it), and the world waits until every user's places agree or the
//! heal bound passes. Check: what each place serves is read. The world
//! repairs nothing itself; what it hands on is the trace, the ledger the
//! nodes acknowledged into, and the final state.

mod model;
pub mod race;
mod table;

pub use model::FaultModel;
pub use table::{TableFaults, TableStep};

use crate::checker::places::{self, FinalState};
use crate::checker::Evidence;
use crate::plan::faults::Fault;
use crate::scenario::Scenario;
use crate::system::{Input, NodeSpec, System, UserAction};
use sim::buggify::{Buggify, SiteCount};
use sim::fields;
use sim::host::{lock_disk, Addr, Boot, Clock, Cluster, DiskHandle};
use sim::ledger::Ledger;
use sim::lineage::Lineage;
use sim::plan::Plan;
use sim::rng::Seeds;
use sim::time::SimTime;
use sim::trace::{EngineEvent, Event, RunPhase, Trace, Tracer, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The node the harness's own trace events are on (`run.phase`,
/// `fault.atlas`).
pub const HARNESS_NODE: &str = "harness";

/// Everything one seed's run produced, before it is judged.
pub struct Output {
    /// The trace.
    pub trace: Trace,
    /// What every user was told.
    pub ledger: Ledger,
    /// What each place serves at the check.
    pub final_state: FinalState,
    /// The plan's faults that fired, by id, in firing order.
    pub fired: Vec<u32>,
    /// The plan's faults that ended or spoiled a copy, by id.
    pub effective: Vec<u32>,
    /// Messages delivered.
    pub messages: u64,
    /// User actions skipped because their node was down.
    pub inputs_skipped: u64,
    /// Per buggify site reached, in name order: whether it was active and
    /// how often it fired (empty when the scenario leaves buggify off).
    pub buggify: BTreeMap<&'static str, SiteCount>,
    /// Per disk (by device name), a hash of its bytes when the run ended
    /// (`sim::disk::Disk::contents_hash`): what a read sees and what is
    /// durable. Not part of the trace; the same seed gives the same hashes
    /// whatever ran before it or beside it.
    pub disks: BTreeMap<String, u64>,
    /// How often each situation that matters happened, by name, as the
    /// run's fault model counted them while it ran (a [`crate::rig::Rig`]
    /// whose situations need watching the run); empty when situations are
    /// counted from the output afterwards ([`crate::checker::situation`]) or not
    /// asked for.
    pub situations: BTreeMap<String, u64>,
}

impl Output {
    /// The planned faults (by id) that the trace's events of `kind` name
    /// in their `fault` field, of those events `keep` accepts.
    pub fn faults_named(&self, kind: EngineEvent, keep: impl Fn(&Event) -> bool) -> BTreeSet<u32> {
        self.trace
            .events()
            .iter()
            .filter(|e| e.kind == kind && keep(e))
            .filter_map(|e| e.field("fault").and_then(Value::as_u64))
            .filter_map(|id| u32::try_from(id).ok())
            .collect()
    }

    /// What the checker reads of this run.
    pub fn evidence(&self) -> Evidence<'_> {
        Evidence {
            trace: &self.trace,
            ledger: &self.ledger,
            final_state: &self.final_state,
            messages: self.messages,
            edits_skipped: self.inputs_skipped,
        }
    }
}

/// How one run goes, whatever the system: how long each phase may last,
/// whether buggify's sites may fire, and madsim's configuration.
#[derive(Clone)]
pub struct Setup {
    /// How long users act and faults strike (the safety phase).
    pub duration: Duration,
    /// How long heal may take for every user's places to agree.
    pub heal_bound: Duration,
    /// How often heal checks whether they agree.
    pub converge_check: Duration,
    /// Whether buggify's sites may fire (the scenario's `buggify`).
    pub buggify: bool,
    /// madsim's configuration (network latency); its default unless the
    /// system's scenario changes it.
    pub madsim: madsim::Config,
}

impl Setup {
    /// The setup a generic scenario describes.
    pub fn of<S: System>(scenario: &Scenario<S>) -> Self {
        Setup {
            duration: scenario.run.duration,
            heal_bound: scenario.run.heal_bound,
            converge_check: scenario.run.converge_check,
            buggify: scenario.buggify,
            madsim: madsim::Config::default(),
        }
    }
}

/// Runs one seed of `scenario` under `design` with `plan`, its faults
/// struck by the harness's fault table ([`TableFaults`]). The seed draws
/// the workload and madsim's own draws (scheduling, latency).
pub fn run<S: System>(
    scenario: &Scenario<S>,
    design: &S::Design,
    plan: &Plan<Fault>,
    seed: u64,
) -> Output {
    let nodes = scenario.system.nodes(design);
    let disks: Vec<(String, Addr, DiskHandle)> = nodes
        .iter()
        .enumerate()
        .flat_map(|(i, spec)| {
            let addr = Addr(i as u32);
            spec.disks
                .iter()
                .map(move |(name, d)| (name.clone(), addr, d.clone()))
        })
        .collect();
    let workload = scenario
        .system
        .workload(&Seeds::new(seed), scenario.run.duration);
    let (system, rates, plan) = (
        scenario.system.clone(),
        scenario.faults.clone(),
        plan.clone(),
    );
    let model =
        move |cluster: &Cluster<S::Node>| TableFaults::new(cluster, &system, &rates, &plan, disks);
    let (output, ()) = run_with(
        &Setup::of(scenario),
        &scenario.system,
        nodes,
        workload,
        model,
        seed,
    );
    output
}

/// Runs one seed of `system` on `nodes` (node `i` at `Addr(i)`, on blank
/// disks) with the users' `workload`, its faults struck by the model
/// `model` builds once every node is on the cluster. The seed drives
/// madsim's own draws (scheduling, latency). Returns the run's output and
/// the model's report.
pub fn run_with<S: System, M: FaultModel<S>>(
    setup: &Setup,
    system: &S,
    nodes: Vec<NodeSpec<S::Node>>,
    workload: Vec<UserAction<Input<S>>>,
    model: impl FnOnce(&Cluster<S::Node>) -> M + Send + 'static,
    seed: u64,
) -> (Output, M::Report) {
    let mut rt = madsim::runtime::Runtime::with_seed_and_config(seed, setup.madsim.clone());
    let limit = setup.duration + setup.heal_bound + Duration::from_secs(7 * 86_400);
    rt.set_time_limit(limit);
    let (setup, places) = (setup.clone(), system.places());
    rt.block_on(async move {
        let mut world = World::<S>::build(&setup, nodes, places, seed);
        let mut model = model(&world.cluster);
        let left = world.safety(&setup, workload, &mut model).await;
        world.heal(left, &mut model).await;
        let after = world.converge(&setup).await;
        world.finish(after, model)
    })
}

/// What happens at one moment of the safety phase.
enum Step<I, F> {
    /// A user acts.
    Act(Addr, I),
    /// The fault model does something.
    Fault(F),
}

struct World<S: System> {
    cluster: Cluster<S::Node>,
    /// Every node's disks, by device name, in node order.
    disks: Vec<(String, DiskHandle)>,
    places: Vec<(places::Place, Addr)>,
    skipped: u64,
    buggify: Buggify,
}

impl<S: System> World<S> {
    /// A new cluster holding every node of `nodes`, booted on blank disks.
    fn build(
        setup: &Setup,
        nodes: Vec<NodeSpec<S::Node>>,
        places: Vec<(places::Place, Addr)>,
        seed: u64,
    ) -> Self {
        let tracer = Tracer::new();
        let lineage = Lineage::new(tracer.clone());
        let cluster = Cluster::new(Clock::start(), tracer, lineage);
        // Sites draw from streams keyed by the seed and their names; off,
        // they draw nothing and the run is the plain one.
        let buggify = if setup.buggify {
            let b = Buggify::enabled(seed);
            cluster.set_buggify(b.clone());
            b
        } else {
            Buggify::disabled()
        };
        let mut disks = Vec::new();
        for spec in nodes {
            disks.extend(spec.disks.iter().cloned());
            let addr = cluster.add(&spec.name, spec.disks, spec.factory);
            debug_assert_eq!(cluster.name_of(addr), spec.name);
        }
        World {
            cluster,
            disks,
            places,
            skipped: 0,
            buggify,
        }
    }

    fn emit(&self, kind: EngineEvent, fields: Vec<(&'static str, Value)>) {
        let now = self.cluster.clock().now();
        self.cluster.tracer().emit(now, HARNESS_NODE, kind, fields);
    }

    /// Users act and the model's steps strike, in time order (ties in the
    /// order they were added), until the run's end; returns the model's
    /// steps still due then, in time order.
    async fn safety<M: FaultModel<S>>(
        &mut self,
        setup: &Setup,
        workload: Vec<UserAction<Input<S>>>,
        model: &mut M,
    ) -> Vec<M::Step> {
        self.emit(
            EngineEvent::Phase,
            fields!["phase" => RunPhase::Safety.name()],
        );
        model.safety_begins();
        let end = SimTime::from(setup.duration);
        let mut queue: BTreeMap<(SimTime, u64), Step<Input<S>, M::Step>> = BTreeMap::new();
        let mut order = 0u64;
        let mut push = |q: &mut BTreeMap<_, _>, at: SimTime, step| {
            order += 1;
            q.insert((at, order), step);
        };
        for a in workload {
            let at = SimTime::from(a.at);
            push(&mut queue, at, Step::Act(a.node, a.input));
        }
        for (at, step) in model.steps() {
            push(&mut queue, at, Step::Fault(step));
        }
        let clock = self.cluster.clock();
        while let Some(entry) = queue.first_entry() {
            let at = entry.key().0;
            if at >= end {
                break;
            }
            let step = entry.remove();
            clock.sleep_until(at).await;
            match step {
                Step::Act(addr, input) => {
                    if !self.cluster.input(addr, input) {
                        self.skipped += 1;
                    }
                }
                Step::Fault(step) => {
                    for (later, next) in model.take(step, at) {
                        push(&mut queue, later, Step::Fault(next));
                    }
                }
            }
        }
        clock.sleep_until(end).await;
        let left = queue.into_values().filter_map(|step| match step {
            Step::Fault(f) => Some(f),
            Step::Act(..) => None,
        });
        left.collect()
    }

    /// No more actions or faults: the model closes what it had open, the
    /// network heals, every node shuts down cleanly and boots from its own
    /// disks; a second later the model carries out what waited for that.
    async fn heal<M: FaultModel<S>>(&mut self, left: Vec<M::Step>, model: &mut M) {
        self.emit(
            EngineEvent::Phase,
            fields!["phase" => RunPhase::Heal.name()],
        );
        let after_reboot = model.heal(left);
        self.cluster.heal_net_faults();
        for addr in self.cluster.addrs() {
            self.cluster.heal_network(addr);
            self.cluster.shutdown(addr);
            let name = self.cluster.name_of(addr);
            self.cluster.lineage().set_blame(&name, None);
            self.cluster.boot(addr, Boot::Clean, true);
        }
        if !after_reboot.is_empty() {
            // Boots happen asynchronously: let the nodes come up first.
            madsim::time::sleep(Duration::from_secs(1)).await;
            model.rebooted(after_reboot);
        }
    }

    /// Waits until every user's places agree or the heal bound passes;
    /// how long after heal began they agreed, if they did.
    async fn converge(&self, setup: &Setup) -> Option<Duration> {
        let clock = self.cluster.clock();
        let start = clock.now();
        let deadline = start.after(setup.heal_bound);
        loop {
            madsim::time::sleep(setup.converge_check).await;
            let shows = |p: places::Place, a: &Addr| {
                self.cluster.with_machine(*a, |n| S::shows(n, p)).flatten()
            };
            if places::all_agree(&self.places, shows) {
                return Some(clock.now().since(start));
            }
            if clock.now() >= deadline {
                return None;
            }
        }
    }

    fn serve(&self, place: places::Place, addr: Addr) -> Option<places::View> {
        self.cluster
            .with_machine(addr, |n| S::served(n, place))
            .flatten()
    }

    /// The check: what each place serves, and what the run hands on.
    fn finish<M: FaultModel<S>>(
        self,
        converged_after: Option<Duration>,
        model: M,
    ) -> (Output, M::Report) {
        let phase =
            fields!["phase" => RunPhase::Check.name(), "converged" => converged_after.is_some()];
        self.emit(EngineEvent::Phase, phase);
        let mut places: Vec<_> = self
            .places
            .iter()
            .map(|(p, a)| (*p, self.serve(*p, *a)))
            .collect();
        // User by user in user order, each user's in the system's order.
        places.sort_by_key(|(p, _)| p.user);
        let final_state = FinalState {
            places,
            converged: converged_after.is_some(),
            converged_after,
        };
        let (trace, ledger) = (
            self.cluster.tracer().take(),
            self.cluster.ledger().snapshot(),
        );
        let (fired, report) = model.finish(&trace, &ledger);
        let mut effective: Vec<u32> = self.cluster.lineage().effective().into_iter().collect();
        effective.sort_unstable();
        let disks = self
            .disks
            .iter()
            .map(|(name, d)| (name.clone(), lock_disk(d).contents_hash()))
            .collect();
        let output = Output {
            trace,
            ledger,
            final_state,
            fired,
            effective,
            messages: self.cluster.messages_delivered(),
            inputs_skipped: self.skipped,
            buggify: self.buggify.counts(),
            disks,
            situations: BTreeMap::new(),
        };
        // Nothing of the run may outlive it (see `Cluster::end`).
        self.cluster.end();
        (output, report)
    }
}
