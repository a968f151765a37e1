//! The world: one seed's run of the sidekick-2009 system on the engine.
//!
//! It builds the topology a scenario and design call for, drives the users'
//! workload and the fault plan on simulated time, then heals: the workload
//! stops, no new faults are injected, every node shuts down cleanly and
//! boots from its own disk (the operator is told again of storage that came
//! back at heal), and the world waits until every handset (and web portal)
//! and the server serve the same versions, or the heal bound passes. It repairs
//! nothing itself. What it hands on is the trace, the ledger and the final
//! state: what each place serves.

use crate::inject::{FollowUp, Injector};
use crate::places;
use crate::scenario::Scenario;
use crate::situations::{Situation, Watcher};
use crate::survivable::Survivable;
use crate::system::{self, System};
use crate::trigger::{Context, Triggers};
use models::design::Design;
use models::fault::Fault;
use models::msg::{Input, Msg};
use models::node::Node;
use models::record::{RecordId, VersionId};
use models::workload::Workload;
use sim::buggify::{Buggify, SiteCount};
use sim::fields;
use sim::host::{lock_disk, Addr, Boot, Clock, Cluster, DiskHandle, StepSeen};
use sim::ledger::Ledger;
use sim::lineage::Lineage;
use sim::place::Place;
use sim::plan::Plan;
use sim::rng::Seeds;
use sim::time::SimTime;
use sim::trace::{EngineEvent, Trace, Tracer};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub use crate::places::FinalState;

/// Everything one seed's run produced, before it is judged.
pub struct RunOutput {
    /// The trace.
    pub trace: Trace,
    /// The ghost ledger.
    pub ledger: Ledger,
    /// What each place serves at the end.
    pub final_state: FinalState,
    /// Faults fired per plan id.
    pub fired: Vec<u32>,
    /// Faults marked effective, by plan id.
    pub effective: Vec<u32>,
    /// Messages delivered.
    pub messages: u64,
    /// Edits the users could not make because their handset was off.
    pub edits_skipped: u64,
    /// Per buggify site reached (in name order): whether it was active and
    /// how often it fired; empty when the scenario leaves buggify off.
    pub buggify: BTreeMap<&'static str, SiteCount>,
    /// How often each situation that matters happened (those that never
    /// did are left out; see [`crate::situations`]).
    pub situations: BTreeMap<Situation, u64>,
    /// Per disk (by device name, such as `handset-3/flash`), a hash of its
    /// bytes when the run ended (`sim::disk::Disk::contents_hash`): what a
    /// read sees and what is durable. Not part of the trace hash; the same
    /// seed gives the same hashes whatever ran before it or beside it.
    pub disks: BTreeMap<String, u64>,
}

impl RunOutput {
    /// What the checker reads of this run.
    pub fn evidence(&self) -> crate::checker::Evidence<'_> {
        crate::checker::Evidence {
            trace: &self.trace,
            ledger: &self.ledger,
            final_state: &self.final_state,
            messages: self.messages,
            edits_skipped: self.edits_skipped,
        }
    }
}

#[derive(Clone, Debug)]
enum Action {
    Edit {
        addr: Addr,
        record: RecordId,
        version: VersionId,
        creates: bool,
        deletes: bool,
    },
    Fault(usize),
    /// Arm a triggered fault (by plan index): it strikes when its step comes.
    Arm(usize),
    /// A triggered fault's window is over (by plan id).
    Expire(u32),
    Notice {
        array: String,
        at_ms: u64,
    },
    Then(FollowUp),
}

/// The workload `scenario` draws for `seed`.
pub fn draw_workload(scenario: &Scenario, seed: u64) -> Workload {
    Workload::draw(
        &Seeds::new(seed),
        scenario.topology.handsets,
        &scenario.workload.config(),
        scenario.run.duration,
    )
}

/// Runs one seed of `scenario` under `design` with `plan` and `workload`.
/// The seed drives madsim's own draws (scheduling, latency). With
/// `situations`, the run also counts the situations coverage reports
/// ([`RunOutput::situations`]; empty without), which never changes its trace.
pub fn run(
    scenario: &Scenario,
    design: &Design,
    plan: &Plan<Fault>,
    workload: &Workload,
    seed: u64,
    situations: bool,
) -> RunOutput {
    let mut config = madsim::Config::default();
    if scenario.system.network_latency != crate::scenario::System::DEFAULT_LATENCY {
        // Only a latency the scenario changed touches madsim's config, so
        // plain runs keep madsim's own (and their traces).
        config.net.send_latency = Duration::from_millis(1)..scenario.system.network_latency;
    }
    let mut rt = madsim::runtime::Runtime::with_seed_and_config(seed, config);
    let limit = scenario.run.duration + scenario.run.heal_bound + Duration::from_secs(7 * 86_400);
    rt.set_time_limit(limit);
    rt.block_on(simulate(
        scenario.clone(),
        design.clone(),
        plan.clone(),
        workload.clone(),
        seed,
        situations,
    ))
}

async fn simulate(
    scenario: Scenario,
    design: Design,
    plan: Plan<Fault>,
    workload: Workload,
    seed: u64,
    situations: bool,
) -> RunOutput {
    let mut world = World::build(&scenario, &design, seed, situations);
    let mut timeline = Timeline::of(&workload, &plan, world.ctx.handsets, world.portals);
    world.watch_triggers(&plan);
    world
        .safety(&mut timeline, &plan, scenario.run.duration)
        .await;
    world.heal(timeline).await;
    let converged_after = world.converge(&scenario).await;
    world.finish(converged_after)
}

/// The timeline of the safety phase: edits, faults and what they set in
/// motion, in time order (ties in the order they were added).
struct Timeline {
    queue: BTreeMap<(SimTime, u64), Action>,
    order: u64,
}

impl Timeline {
    /// Every edit of the workload's writers (each handset, and each portal
    /// when the run has portals), then every planned fault (a botched
    /// upgrade's notice first; a triggered fault armed and expired).
    fn of(workload: &Workload, plan: &Plan<Fault>, handsets: u32, portals: bool) -> Self {
        let mut t = Timeline {
            queue: BTreeMap::new(),
            order: 0,
        };
        let writers = workload
            .handsets
            .iter()
            .map(|hw| (system::handset_addr(hw.handset), hw))
            .chain(
                workload
                    .portals
                    .iter()
                    .filter(|_| portals)
                    .map(|hw| (system::portal_addr(handsets, hw.handset), hw)),
            );
        for (addr, hw) in writers.filter(|(_, hw)| hw.handset < handsets) {
            for e in &hw.edits {
                let edit = Action::Edit {
                    addr,
                    record: e.record,
                    version: e.version,
                    creates: e.creates,
                    deletes: e.deletes,
                };
                t.push(e.at, edit);
            }
        }
        for (i, f) in plan.faults.iter().enumerate() {
            if let Fault::BotchedUpgrade { notice_ms, .. } = f.kind {
                let at = SimTime(f.at.as_millis().saturating_sub(notice_ms));
                let notice = Action::Notice {
                    array: f.target.clone(),
                    at_ms: f.at.as_millis(),
                };
                t.push(at, notice);
            }
            match f.kind {
                Fault::MidSyncPull { window_ms, .. } | Fault::EditRace { window_ms, .. } => {
                    t.push(f.at, Action::Arm(i));
                    let end = f.at.after(Duration::from_millis(window_ms));
                    t.push(end, Action::Expire(f.id));
                }
                _ => t.push(f.at, Action::Fault(i)),
            }
        }
        t
    }

    fn push(&mut self, at: SimTime, action: Action) {
        self.order += 1;
        self.queue.insert((at, self.order), action);
    }
}

/// One seed's world on the engine: the cluster of the system's nodes, what
/// the injector and the triggers act on, and what the run has counted.
struct World {
    /// The cluster, the ledger, the volumes and the handsets' clocks: what
    /// faults act on (the injector's and the triggers' context).
    ctx: Context,
    triggers: Triggers,
    /// Counts the situations coverage reports, when asked to.
    situations: Option<Watcher>,
    /// The survivable atlas, when the scenario asks for it.
    atlas: Option<Survivable>,
    buggify: Buggify,
    portals: bool,
    /// Every node's disks, by device name, in node order.
    disks: Vec<(String, DiskHandle)>,
    /// Plan ids of timed faults that fired, in firing order.
    fired: Vec<u32>,
    edits_skipped: u64,
}

impl World {
    /// The system `scenario` and `design` describe, every node added to a
    /// new cluster (not yet booted).
    fn build(scenario: &Scenario, design: &Design, seed: u64, situations: bool) -> World {
        let tracer = Tracer::new();
        let lineage = Lineage::new(tracer.clone());
        let System {
            nodes,
            volumes,
            clocks,
        } = system::build(scenario, design);
        let cluster: Cluster<Node> = Cluster::new(Clock::start(), tracer.clone(), lineage.clone());
        let ledger = cluster.ledger().clone();
        cluster.set_sealed_frames(design.wire_checksum);
        // Buggify's sites draw from streams keyed by the seed and their names;
        // off, they draw nothing and the run is the plain one.
        let buggify = if scenario.buggify {
            let b = Buggify::enabled(seed);
            cluster.set_buggify(b.clone());
            b
        } else {
            Buggify::disabled()
        };
        let mut disks: Vec<(String, DiskHandle)> = Vec::new();
        for spec in nodes {
            disks.extend(spec.disks.iter().cloned());
            let addr = cluster.add(&spec.name, spec.disks, spec.factory);
            debug_assert_eq!(cluster.name_of(addr), spec.name);
        }
        let ctx = Context {
            cluster: cluster.clone(),
            ledger,
            volumes,
            clocks,
            handsets: scenario.topology.handsets,
            operator: system::OPERATOR,
        };
        World {
            triggers: Triggers::new(ctx.clone()),
            situations: situations
                .then(|| Watcher::new(cluster, scenario.workload.exchange_timeout)),
            atlas: scenario.faults.survivable.then(Survivable::new),
            ctx,
            buggify,
            portals: system::has_portals(scenario),
            disks,
            fired: Vec::new(),
            edits_skipped: 0,
        }
    }

    /// Steps are watched for the situations coverage counts (when asked)
    /// and, when some fault waits for a step, for the triggers first (a
    /// step they crash sends nothing); else not at all. Edit races strike
    /// only when the plan has them.
    fn watch_triggers(&mut self, plan: &Plan<Fault>) {
        if plan
            .faults
            .iter()
            .any(|f| matches!(f.kind, Fault::EditRace { .. }))
        {
            self.triggers = self.triggers.clone().with_races();
        }
        let armed = plan
            .faults
            .iter()
            .any(|f| Triggers::is_triggered(&f.kind))
            .then(|| self.triggers.clone());
        let seen = self.situations.clone();
        if armed.is_none() && seen.is_none() {
            return;
        }
        self.ctx
            .cluster
            .watch_steps(Some(Arc::new(move |step: StepSeen<'_, Msg>| {
                if let Some(t) = &armed {
                    t.on_step(&step);
                }
                if let Some(s) = &seen {
                    s.on_step(&step);
                }
            })));
    }

    /// Writes one of the harness's own events (node `harness`) at the
    /// current simulated time.
    fn harness(&self, kind: EngineEvent, fields: Vec<(&'static str, sim::trace::Value)>) {
        let now = self.ctx.cluster.clock().now();
        self.ctx.cluster.tracer().emit(now, "harness", kind, fields);
    }

    /// The safety phase: the timeline up to the end of the run; what is
    /// due later stays in it.
    async fn safety(&mut self, timeline: &mut Timeline, plan: &Plan<Fault>, run: Duration) {
        let end = SimTime::from(run);
        let clock = self.ctx.cluster.clock();
        self.harness(EngineEvent::Phase, fields!["phase" => "safety"]);
        if self.atlas.is_some() {
            self.harness(EngineEvent::FaultAtlas, fields!["mode" => "survivable"]);
        }
        while let Some(((at, _), action)) = timeline.queue.pop_first() {
            if at >= end {
                timeline.queue.insert((at, 0), action);
                break;
            }
            clock.sleep_until(at).await;
            self.act(action, timeline, plan);
        }
        clock.sleep_until(end).await;
    }

    /// Carries out one action of the timeline.
    fn act(&mut self, action: Action, timeline: &mut Timeline, plan: &Plan<Fault>) {
        let injector = Injector {
            atlas: self.atlas.as_ref(),
            ..self.ctx.injector()
        };
        match action {
            Action::Edit {
                addr,
                record,
                version,
                creates,
                deletes,
            } => {
                let edit = Input::Edit {
                    record,
                    version,
                    creates,
                    deletes,
                };
                if !self.ctx.cluster.input(addr, edit) {
                    self.edits_skipped += 1;
                }
            }
            Action::Notice { array, at_ms } => {
                self.ctx
                    .cluster
                    .input(system::OPERATOR, Input::UpgradeNotice { array, at_ms });
            }
            Action::Then(next) => injector.carry_out(next),
            Action::Arm(i) => self.triggers.arm(&plan.faults[i]),
            Action::Expire(id) => self.triggers.expire(id),
            Action::Fault(i) if injector.atlas_skips(&plan.faults[i]) => {}
            Action::Fault(i) => {
                self.fired.push(plan.faults[i].id);
                for next in injector.apply(&plan.faults[i]) {
                    timeline.push(next.at(), Action::Then(next));
                }
            }
        }
    }

    /// Heal: no new faults; what faults set in motion completes at once
    /// (arrays come back, full disks get space, network faults end and
    /// frames held in transit are dropped); every node shuts down cleanly
    /// and boots from its own disk.
    async fn heal(&mut self, timeline: Timeline) {
        self.harness(EngineEvent::Phase, fields!["phase" => "heal"]);
        self.triggers.close();
        self.ctx.cluster.watch_steps(None);
        let injector = self.ctx.injector();
        // Storage that comes back is announced to the operator only after the
        // clean reboot, so that the reboot does not make it forget the restore.
        let mut back_after_reboot = Vec::new();
        for (_, action) in timeline.queue {
            match action {
                Action::Then(next @ FollowUp::StorageBack { .. }) => back_after_reboot.push(next),
                Action::Then(next) => injector.carry_out(next),
                _ => {}
            }
        }
        self.ctx.cluster.heal_net_faults();
        for addr in self.ctx.cluster.addrs() {
            self.ctx.cluster.heal_network(addr);
            self.ctx.cluster.shutdown(addr);
            self.ctx
                .cluster
                .lineage()
                .set_blame(&self.ctx.cluster.name_of(addr), None);
            self.ctx.cluster.boot(addr, Boot::Clean, true);
        }
        if !back_after_reboot.is_empty() {
            // Boots happen asynchronously: let the operator come up first.
            madsim::time::sleep(Duration::from_secs(1)).await;
            for next in back_after_reboot {
                injector.carry_out(next);
            }
        }
    }

    /// Waits until every user's places agree or the heal bound passes;
    /// how long after heal began they agreed, if they did.
    async fn converge(&self, scenario: &Scenario) -> Option<Duration> {
        let clock = self.ctx.cluster.clock();
        let heal_start = clock.now();
        let deadline = heal_start.after(scenario.run.heal_bound);
        loop {
            madsim::time::sleep(scenario.run.converge_check).await;
            if converged(&self.ctx.cluster, self.ctx.handsets, self.portals) {
                return Some(clock.now().since(heal_start));
            }
            if clock.now() >= deadline {
                return None;
            }
        }
    }

    /// The check: what the run hands on to the checker.
    fn finish(mut self, converged_after: Option<Duration>) -> RunOutput {
        self.harness(
            EngineEvent::Phase,
            fields!["phase" => "check", "converged" => converged_after.is_some()],
        );
        let final_state = FinalState {
            converged: converged_after.is_some(),
            converged_after,
            ..views(&self.ctx.cluster, self.ctx.handsets, self.portals)
        };
        self.fired.extend(self.triggers.fired());
        let mut effective: Vec<u32> = self.ctx.cluster.lineage().effective().into_iter().collect();
        effective.sort_unstable();
        let (trace, ledger) = (
            self.ctx.cluster.tracer().snapshot(),
            self.ctx.ledger.snapshot(),
        );
        let disks = self
            .disks
            .iter()
            .map(|(name, d)| (name.clone(), lock_disk(d).contents_hash()))
            .collect();
        let output = RunOutput {
            disks,
            situations: self
                .situations
                .as_ref()
                .map(|s| s.count(&ledger, &trace))
                .unwrap_or_default(),
            trace,
            ledger,
            final_state,
            fired: self.fired,
            effective,
            messages: self.ctx.cluster.messages_delivered(),
            edits_skipped: self.edits_skipped,
            buggify: self.buggify.counts(),
        };
        // Nothing of the run may outlive it (see `Cluster::end`).
        self.ctx.cluster.end();
        output
    }
}

/// Whether every user's places agree now ([`places::all_agree`]),
/// stopping at the first user apart.
fn converged(cluster: &Cluster<Node>, handsets: u32, portals: bool) -> bool {
    places::all_agree(&system::places(handsets, portals), |p, a| {
        cluster.with_machine(*a, |n| system::shows(n, p)).flatten()
    })
}

/// What the node at `addr` serves at `place` now (None: down).
fn serve(cluster: &Cluster<Node>, place: Place, addr: Addr) -> Option<places::View> {
    cluster
        .with_machine(addr, |n| system::served(n, place))
        .flatten()
}

/// What each place serves now (see [`places`]), with no convergence yet.
fn views(cluster: &Cluster<Node>, handsets: u32, portals: bool) -> FinalState {
    let places = system::places(handsets, portals)
        .into_iter()
        .map(|(p, a)| (p, serve(cluster, p, a)))
        .collect();
    FinalState {
        places,
        ..FinalState::default()
    }
}
