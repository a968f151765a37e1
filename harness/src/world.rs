//! One seed's run of a user's system on the engine, in three phases.
//!
//! Safety: the system's nodes boot on blank disks; users act as its
//! workload says and the plan's faults strike. Heal: no more actions or
//! faults; the network heals, every node shuts down cleanly and boots from
//! its own disks (its wall clock keeps whatever clock faults did to it, as
//! a device's clock stays wrong until someone sets it), and the world waits
//! until every user's places agree or the heal bound passes. Check: what each place serves is read. The world
//! repairs nothing itself; what it hands on is the trace, the ledger the
//! nodes acknowledged into, and the final state.

use crate::checker::Evidence;
use crate::faults::{Fault, FaultKind, FaultName};
use crate::places::{self, FinalState};
use crate::race::{self, Races};
use crate::scenario::Scenario;
use crate::system::{Input, System, UserAction};
use rand::RngExt;
use sim::buggify::{Buggify, SiteCount};
use sim::disk::{CrashMode, DiskFault};
use sim::fields;
use sim::host::{lock_disk, Addr, Boot, Clock, Cluster, DiskHandle};
use sim::ledger::Ledger;
use sim::lineage::Lineage;
use sim::plan::{Plan, PlannedFault};
use sim::rng::Seeds;
use sim::time::SimTime;
use sim::trace::{EngineEvent, Trace, Tracer, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Everything one seed's run produced, before it is judged.
pub struct Output {
    /// The trace.
    pub trace: Trace,
    /// What every user was told.
    pub ledger: Ledger,
    /// What each place serves at the check.
    pub final_state: FinalState,
    /// The plan's faults that fired, by id.
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
}

impl Output {
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

/// Runs one seed of `scenario` under `design` with `plan`. The seed draws
/// the workload and madsim's own draws (scheduling, latency).
pub fn run<S: System>(
    scenario: &Scenario<S>,
    design: &S::Design,
    plan: &Plan<Fault>,
    seed: u64,
) -> Output {
    let mut rt = madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default());
    let limit = scenario.run.duration + scenario.run.heal_bound + Duration::from_secs(7 * 86_400);
    rt.set_time_limit(limit);
    let (scenario, design, plan) = (scenario.clone(), design.clone(), plan.clone());
    rt.block_on(async move {
        let mut world = World::<S>::build(&scenario, &design, &plan, seed);
        let workload = scenario
            .system
            .workload(&Seeds::new(seed), scenario.run.duration);
        world.safety(&scenario, workload, &plan).await;
        world.heal();
        let after = world.converge(&scenario).await;
        world.finish(after)
    })
}

/// What happens at one moment of the safety phase.
enum Step<I> {
    /// A user acts.
    Act(Addr, I),
    /// A planned fault strikes (by plan index).
    Strike(usize),
    /// A node comes back after a fault.
    Boot(Addr),
    /// A partition of a node ends.
    Reconnect(Addr),
    /// An edit race's window ends (by plan id).
    Expire(u32),
}

struct World<S: System> {
    cluster: Cluster<S::Node>,
    disks: BTreeMap<String, (Addr, DiskHandle)>,
    places: Vec<(places::Place, Addr)>,
    fired: Vec<u32>,
    skipped: u64,
    buggify: Buggify,
    /// The plan's edit races, when it has any.
    races: Option<Races<S>>,
}

impl<S: System> World<S> {
    fn build(scenario: &Scenario<S>, design: &S::Design, plan: &Plan<Fault>, seed: u64) -> Self {
        let tracer = Tracer::new();
        let lineage = Lineage::new(tracer.clone());
        let cluster = Cluster::new(Clock::start(), tracer, lineage);
        // Sites draw from streams keyed by the seed and their names; off,
        // they draw nothing and the run is the plain one.
        let buggify = if scenario.buggify {
            let b = Buggify::enabled(seed);
            cluster.set_buggify(b.clone());
            b
        } else {
            Buggify::disabled()
        };
        let mut disks = BTreeMap::new();
        for spec in scenario.system.nodes(design) {
            let owned = spec.disks.clone();
            let addr = cluster.add(&spec.name, spec.disks, spec.factory);
            for (device, d) in owned {
                disks.insert(device, (addr, d));
            }
        }
        for addr in cluster.addrs() {
            cluster.boot(addr, Boot::First, false);
        }
        let races = plan.faults.iter().any(is_race).then(|| {
            let mut by_node: BTreeMap<Addr, Vec<(String, DiskHandle)>> = BTreeMap::new();
            for (device, (addr, d)) in &disks {
                by_node
                    .entry(*addr)
                    .or_default()
                    .push((device.clone(), d.clone()));
            }
            let bounds = race::Bounds {
                delay_max: scenario.faults.edit_race_delay_max,
                down_for: scenario.faults.down_for,
            };
            let races = Races::new(cluster.clone(), by_node, scenario.system.clone(), bounds);
            cluster.watch_steps(Some(races.watch()));
            races
        });
        World {
            cluster,
            disks,
            places: scenario.system.places(),
            fired: Vec::new(),
            skipped: 0,
            buggify,
            races,
        }
    }

    fn now(&self) -> SimTime {
        self.cluster.clock().now()
    }

    fn emit(&self, node: &str, kind: EngineEvent, fields: Vec<(&'static str, Value)>) {
        self.cluster.tracer().emit(self.now(), node, kind, fields);
    }

    /// Users act and faults strike, in time order, until the run's end.
    async fn safety(
        &mut self,
        scenario: &Scenario<S>,
        workload: Vec<UserAction<Input<S>>>,
        plan: &Plan<Fault>,
    ) {
        self.emit("harness", EngineEvent::Phase, fields!["phase" => "safety"]);
        let end = SimTime(scenario.run.duration.as_millis() as u64);
        let mut queue: BTreeMap<(SimTime, u64), Step<Input<S>>> = BTreeMap::new();
        let mut order = 0u64;
        let mut push = |q: &mut BTreeMap<_, _>, at: SimTime, step| {
            order += 1;
            q.insert((at, order), step);
        };
        for a in workload {
            push(
                &mut queue,
                SimTime(a.at.as_millis() as u64),
                Step::Act(a.node, a.input),
            );
        }
        for (i, f) in plan.faults.iter().enumerate() {
            push(&mut queue, f.at, Step::Strike(i));
        }
        let clock = self.cluster.clock();
        while let Some(((at, _), step)) = queue.pop_first() {
            if at >= end {
                break;
            }
            clock.sleep_until(at).await;
            for (later, next) in self.take(step, scenario, plan) {
                push(&mut queue, at.after(later), next);
            }
        }
        clock.sleep_until(end).await;
    }

    /// Carries out one step; returns what it sets in motion, by delay.
    fn take(
        &mut self,
        step: Step<Input<S>>,
        scenario: &Scenario<S>,
        plan: &Plan<Fault>,
    ) -> Vec<(Duration, Step<Input<S>>)> {
        match step {
            Step::Act(addr, input) => {
                if !self.cluster.input(addr, input) {
                    self.skipped += 1;
                }
                Vec::new()
            }
            Step::Strike(i) if is_race(&plan.faults[i]) => {
                let f = &plan.faults[i];
                if let Some(races) = &self.races {
                    races.arm(f);
                }
                vec![(scenario.faults.edit_race_window, Step::Expire(f.id))]
            }
            Step::Strike(i) => self.strike(&plan.faults[i], scenario),
            Step::Expire(id) => {
                if let Some(races) = &self.races {
                    races.expire(id);
                }
                Vec::new()
            }
            Step::Boot(addr) => {
                self.cluster.boot(addr, Boot::Crash, false);
                Vec::new()
            }
            Step::Reconnect(addr) => {
                self.cluster.heal_network(addr);
                Vec::new()
            }
        }
    }

    /// Fires planned fault `f`: resolves it now from its own seed.
    fn strike(
        &mut self,
        f: &PlannedFault<Fault>,
        scenario: &Scenario<S>,
    ) -> Vec<(Duration, Step<Input<S>>)> {
        let rates = &scenario.faults;
        let node_addr = self.cluster.addr_of(&f.target);
        let disk = self.disks.get(&f.target).cloned();
        let Some(addr) = node_addr.or(disk.as_ref().map(|(a, _)| *a)) else {
            self.skip(f, &f.target, "no such target");
            return Vec::new();
        };
        let node = self.cluster.name_of(addr);
        self.fired.push(f.id);
        let fired = fields!["fault" => f.id, "fault_kind" => f.kind.name.to_string()];
        self.emit(&node, EngineEvent::FaultFired, fired);
        self.cluster.lineage().set_blame(&node, Some(f.id));
        let kind = match &f.kind.name {
            FaultName::Generic(kind) => *kind,
            FaultName::Own(name) => {
                self.own_fault(f, name, &node, scenario);
                return Vec::new();
            }
        };
        let back = |d: Duration| vec![(d, Step::Boot(addr))];
        match (kind, disk) {
            (FaultKind::PowerLoss, _) => {
                self.cluster
                    .crash(addr, CrashMode::DropUnsynced, Some(f.id));
                back(rates.down_for)
            }
            (FaultKind::TornWrite, _) => {
                let tear = CrashMode::Tear {
                    seed: f.resolve_seed,
                };
                self.cluster.crash(addr, tear, Some(f.id));
                back(rates.down_for)
            }
            (FaultKind::Partition, _) => {
                let Some(peer) = f.kind.peer.as_deref().and_then(|p| self.cluster.addr_of(p))
                else {
                    return Vec::new();
                };
                self.cluster.partition(addr, peer);
                vec![(rates.partition_for, Step::Reconnect(addr))]
            }
            (FaultKind::Crash, _) => {
                if !self.cluster.is_up(addr) {
                    self.skip(f, &node, "its node is down");
                    return Vec::new();
                }
                self.cluster.crash_process(addr, Some(f.id));
                back(rates.restart_after)
            }
            (FaultKind::ClockSkew | FaultKind::ClockReset, _) => {
                self.clock_fault(f, kind, addr, &node, rates.clock_skew_max);
                Vec::new()
            }
            (FaultKind::DeviceLoss, Some((_, d))) => {
                self.cluster
                    .crash(addr, CrashMode::DropUnsynced, Some(f.id));
                self.cluster.lose_device(&f.target, &d, Some(f.id));
                back(rates.down_for)
            }
            (kind, Some((_, d))) => {
                self.disk_fault(f, kind, &node, &d);
                Vec::new()
            }
            (_, None) => Vec::new(),
        }
    }

    /// A clock fault on the node at `addr`: its wall clock jumps by a skew
    /// drawn from the fault's seed (at most `skew_max` either way, never
    /// 0), or goes back to the run's start. Up or down, the clock moves.
    fn clock_fault(
        &self,
        f: &PlannedFault<Fault>,
        kind: FaultKind,
        addr: Addr,
        node: &str,
        skew_max: Duration,
    ) {
        let mut resolution = fields!["fault" => f.id];
        if kind == FaultKind::ClockSkew {
            let mut rng = sim::rng::from_seed(f.resolve_seed);
            let max = skew_max.as_millis().clamp(1, i64::MAX as u128) as i64;
            let skew_ms = rng.random_range(1..=max) * if rng.random_bool(0.5) { 1 } else { -1 };
            self.cluster.skew_clock(addr, skew_ms);
            let direction = if skew_ms < 0 { "back" } else { "forward" };
            resolution.push(("skew_ms", skew_ms.unsigned_abs().into()));
            resolution.push(("direction", direction.into()));
        } else {
            self.cluster.reset_clock(addr);
        }
        let clock_ms = self.cluster.wall_clock(addr).as_millis();
        resolution.push(("clock_ms", clock_ms.into()));
        self.emit(node, EngineEvent::FaultResolved, resolution);
    }

    /// Traces that fault `f` fired on `node` but did nothing, and why.
    fn skip(&self, f: &PlannedFault<Fault>, node: &str, why: &str) {
        let fields = fields!["fault" => f.id, "why" => why];
        self.emit(node, EngineEvent::FaultSkipped, fields);
    }

    /// The system's own fault `name`: the input it says, to its node.
    fn own_fault(&self, f: &PlannedFault<Fault>, name: &str, node: &str, scenario: &Scenario<S>) {
        let why = match scenario.system.own_fault(name, f.resolve_seed) {
            None => "nothing to do",
            Some((to, input)) => {
                if self.cluster.input(to, input) {
                    return;
                }
                "its node is down"
            }
        };
        self.skip(f, node, why);
    }

    /// A storage fault on one disk, onto a written sector where it needs one.
    fn disk_fault(&self, f: &PlannedFault<Fault>, kind: FaultKind, node: &str, d: &DiskHandle) {
        let mut rng = sim::rng::from_seed(f.resolve_seed);
        let mut resolution = fields!["fault" => f.id, "device" => &f.target];
        let mut disk = lock_disk(d);
        let fault = match kind {
            FaultKind::BitRot | FaultKind::LatentSectorError => {
                let live = disk.live_sectors();
                if live.is_empty() {
                    drop(disk);
                    self.skip(f, node, "no live sector");
                    return;
                }
                let sector = live[rng.random_range(0..live.len())];
                resolution.push(("sector", sector.into()));
                if kind == FaultKind::BitRot {
                    DiskFault::BitRot {
                        sector,
                        seed: rng.random(),
                    }
                } else {
                    DiskFault::LatentSectorError { sector }
                }
            }
            FaultKind::SyncFailure => DiskFault::SyncFailure,
            _ => DiskFault::LostWrite,
        };
        let effect = disk.inject(fault);
        drop(disk);
        self.emit(node, EngineEvent::FaultResolved, resolution);
        let now = self.now();
        self.cluster
            .trace_disk_effect(now, &f.target, &effect, Some(f.id));
    }

    /// No more actions or faults: the network heals, every node shuts
    /// down cleanly and boots from its own disks.
    fn heal(&mut self) {
        self.emit("harness", EngineEvent::Phase, fields!["phase" => "heal"]);
        if let Some(races) = &self.races {
            races.close();
            self.cluster.watch_steps(None);
        }
        self.cluster.heal_net_faults();
        for addr in self.cluster.addrs() {
            self.cluster.heal_network(addr);
            self.cluster.shutdown(addr);
            let name = self.cluster.name_of(addr);
            self.cluster.lineage().set_blame(&name, None);
            self.cluster.boot(addr, Boot::Clean, true);
        }
    }

    /// Waits until every user's places agree or the heal bound passes;
    /// how long after heal began they agreed, if they did.
    async fn converge(&self, scenario: &Scenario<S>) -> Option<Duration> {
        let clock = self.cluster.clock();
        let start = clock.now();
        let deadline = start.after(scenario.run.heal_bound);
        loop {
            madsim::time::sleep(scenario.run.converge_check).await;
            if places::all_agree(&self.places, |p, a| {
                self.serve(p, *a).map(|v| places::shown(&v))
            }) {
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
    fn finish(self, converged_after: Option<Duration>) -> Output {
        let phase = fields!["phase" => "check", "converged" => converged_after.is_some()];
        self.emit("harness", EngineEvent::Phase, phase);
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
        let mut fired = self.fired;
        fired.extend(self.races.iter().flat_map(|r| r.fired()));
        let mut effective: Vec<u32> = self.cluster.lineage().effective().into_iter().collect();
        effective.sort_unstable();
        let output = Output {
            trace: self.cluster.tracer().snapshot(),
            ledger: self.cluster.ledger().snapshot(),
            final_state,
            fired,
            effective,
            messages: self.cluster.messages_delivered(),
            inputs_skipped: self.skipped,
            buggify: self.buggify.counts(),
        };
        // Nothing of the run may outlive it (see `Cluster::end`).
        self.cluster.end();
        output
    }
}

/// Whether planned fault `f` is an edit race (armed, not struck, at its time).
fn is_race(f: &PlannedFault<Fault>) -> bool {
    f.kind.name == FaultName::Generic(FaultKind::EditRace)
}
