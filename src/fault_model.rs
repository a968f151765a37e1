//! The Sidekick's fault model on the harness's world
//! ([`harness::world::FaultModel`]): its planned faults struck by its own
//! injector ([`crate::inject`]), the faults that wait for a step of a sync
//! exchange armed by its triggers ([`crate::trigger`]), a botched upgrade's
//! notice sent to the operator ahead of it, the survivable atlas
//! ([`crate::survivable`]) when the scenario asks for it, and the
//! situations coverage counts ([`crate::situations`]), which watch the same
//! steps without changing the run.

use crate::inject::{FollowUp, Injector, Volume};
use crate::scenario::Scenario;
use crate::situations::{Situation, Watcher};
use crate::survivable::Survivable;
use crate::system::{self, OPERATOR};
use crate::trigger::{Context, Triggers};
use harness::world::FaultModel;
use models::clock::Rtc;
use models::design::Design;
use models::fault::Fault;
use models::msg::{Input, Msg};
use models::node::Node;
use sim::fields;
use sim::host::{Cluster, StepSeen};
use sim::ledger::Ledger;
use sim::plan::Plan;
use sim::time::SimTime;
use sim::trace::{EngineEvent, Trace};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// One thing the Sidekick's faults do at a moment of the safety phase.
#[derive(Clone, Debug)]
pub enum FaultStep {
    /// A timed fault strikes (by plan index).
    Fault(usize),
    /// A triggered fault is armed (by plan index): it strikes when its
    /// step comes.
    Arm(usize),
    /// A triggered fault's window is over (by plan id).
    Expire(u32),
    /// The operator is told of an upgrade of `array` planned at `at_ms`.
    Notice {
        /// The array to be upgraded.
        array: String,
        /// When the upgrade is planned, in ms from the run's start.
        at_ms: u64,
    },
    /// What a fault set in motion comes due.
    Then(FollowUp),
}

/// The Sidekick's faults on one run's cluster.
pub struct SidekickFaults {
    /// What faults act on: the cluster, the ledger, the volumes and the
    /// handsets' clocks.
    ctx: Context,
    triggers: Triggers,
    /// Counts the situations coverage reports, when asked to.
    situations: Option<Watcher>,
    /// The survivable atlas, when the scenario asks for it.
    atlas: Option<Survivable>,
    plan: Plan<Fault>,
    /// Plan ids of timed faults that fired, in firing order.
    fired: Vec<u32>,
}

/// What the Sidekick's model needs besides the cluster, gathered when its
/// nodes are built.
pub struct Parts {
    /// Every volume faults can hit: databases first, then handsets.
    pub volumes: Vec<Volume>,
    /// Each handset's clock, in handset order.
    pub clocks: Vec<Rtc>,
}

impl SidekickFaults {
    /// The model of `plan` for `scenario` and `design` on `cluster`; with
    /// `situations`, it also counts the situations coverage reports.
    /// Watches the cluster's steps when some fault waits for a step or
    /// situations are counted.
    pub fn new(
        cluster: &Cluster<Node>,
        parts: Parts,
        scenario: &Scenario,
        design: &Design,
        plan: Plan<Fault>,
        situations: bool,
    ) -> Self {
        cluster.set_sealed_frames(design.wire_checksum);
        let ctx = Context {
            cluster: cluster.clone(),
            ledger: cluster.ledger().clone(),
            volumes: parts.volumes,
            clocks: parts.clocks,
            handsets: scenario.topology.handsets,
            operator: OPERATOR,
        };
        let mut model = SidekickFaults {
            triggers: Triggers::new(ctx.clone()),
            situations: situations
                .then(|| Watcher::new(cluster.clone(), scenario.workload.exchange_timeout)),
            atlas: scenario.faults.survivable.then(Survivable::new),
            ctx,
            plan,
            fired: Vec::new(),
        };
        model.watch_steps();
        model
    }

    /// Steps are watched for the situations coverage counts (when asked)
    /// and, when some fault waits for a step, for the triggers first (a
    /// step they crash sends nothing); else not at all. Edit races strike
    /// only when the plan has them.
    fn watch_steps(&mut self) {
        let faults = &self.plan.faults;
        if faults
            .iter()
            .any(|f| matches!(f.kind, Fault::EditRace { .. }))
        {
            self.triggers = self.triggers.clone().with_races();
        }
        let armed = faults
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

    /// The injector of the safety phase: under the atlas, when it is on.
    fn injector(&self) -> Injector<'_> {
        Injector {
            atlas: self.atlas.as_ref(),
            ..self.ctx.injector()
        }
    }
}

impl FaultModel<Scenario> for SidekickFaults {
    type Step = FaultStep;
    type Report = BTreeMap<Situation, u64>;

    /// Every planned fault in plan order: a botched upgrade's notice
    /// first; a triggered fault armed at its time and expired at the end
    /// of its window; any other struck at its time.
    fn steps(&mut self) -> Vec<(SimTime, FaultStep)> {
        let mut steps = Vec::new();
        for (i, f) in self.plan.faults.iter().enumerate() {
            if let Fault::BotchedUpgrade { notice_ms, .. } = f.kind {
                let at = SimTime(f.at.as_millis().saturating_sub(notice_ms));
                let notice = FaultStep::Notice {
                    array: f.target.clone(),
                    at_ms: f.at.as_millis(),
                };
                steps.push((at, notice));
            }
            match f.kind {
                Fault::MidSyncPull { window_ms, .. } | Fault::EditRace { window_ms, .. } => {
                    steps.push((f.at, FaultStep::Arm(i)));
                    let end = f.at.after(Duration::from_millis(window_ms));
                    steps.push((end, FaultStep::Expire(f.id)));
                }
                _ => steps.push((f.at, FaultStep::Fault(i))),
            }
        }
        steps
    }

    fn safety_begins(&mut self) {
        if self.atlas.is_some() {
            let now = self.ctx.cluster.clock().now();
            let mode = fields!["mode" => "survivable"];
            let tracer = self.ctx.cluster.tracer();
            tracer.emit(
                now,
                harness::world::HARNESS_NODE,
                EngineEvent::FaultAtlas,
                mode,
            );
        }
    }

    fn take(&mut self, step: FaultStep, _now: SimTime) -> Vec<(SimTime, FaultStep)> {
        let injector = self.injector();
        match step {
            FaultStep::Notice { array, at_ms } => {
                let notice = Input::UpgradeNotice { array, at_ms };
                self.ctx.cluster.input(OPERATOR, notice);
                Vec::new()
            }
            FaultStep::Then(next) => {
                injector.carry_out(next);
                Vec::new()
            }
            FaultStep::Arm(i) => {
                self.triggers.arm(&self.plan.faults[i]);
                Vec::new()
            }
            FaultStep::Expire(id) => {
                self.triggers.expire(id);
                Vec::new()
            }
            FaultStep::Fault(i) if injector.atlas_skips(&self.plan.faults[i]) => Vec::new(),
            FaultStep::Fault(i) => {
                let next = injector.apply(&self.plan.faults[i]);
                self.fired.push(self.plan.faults[i].id);
                let then = |n: FollowUp| (n.at(), FaultStep::Then(n));
                next.into_iter().map(then).collect()
            }
        }
    }

    /// What faults set in motion completes at once (arrays come back, full
    /// disks get space, network faults end and frames held in transit are
    /// dropped); storage that comes back is announced to the operator only
    /// after the clean reboot, so that the reboot does not make it forget
    /// the restore.
    fn heal(&mut self, left: Vec<FaultStep>) -> Vec<FaultStep> {
        self.triggers.close();
        self.ctx.cluster.watch_steps(None);
        let injector = self.ctx.injector();
        let mut back_after_reboot = Vec::new();
        for step in left {
            match step {
                FaultStep::Then(next @ FollowUp::StorageBack { .. }) => {
                    back_after_reboot.push(FaultStep::Then(next))
                }
                FaultStep::Then(next) => injector.carry_out(next),
                _ => {}
            }
        }
        back_after_reboot
    }

    fn rebooted(&mut self, due: Vec<FaultStep>) {
        let injector = self.ctx.injector();
        for step in due {
            if let FaultStep::Then(next) = step {
                injector.carry_out(next);
            }
        }
    }

    fn finish(self, trace: &Trace, ledger: &Ledger) -> (Vec<u32>, BTreeMap<Situation, u64>) {
        let mut fired = self.fired;
        fired.extend(self.triggers.fired());
        let situations = self
            .situations
            .as_ref()
            .map(|s| s.count(ledger, trace))
            .unwrap_or_default();
        (fired, situations)
    }
}

/// The Sidekick's workload as the users' actions on the harness's world:
/// each handset's edits, then each portal's (when the run has portals),
/// in the workload's order.
pub fn actions(
    workload: &models::workload::Workload,
    handsets: u32,
    portals: bool,
) -> Vec<harness::system::UserAction<Input>> {
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
    let mut out = Vec::new();
    for (addr, hw) in writers.filter(|(_, hw)| hw.handset < handsets) {
        for e in &hw.edits {
            out.push(harness::system::UserAction {
                at: Duration::from_millis(e.at.as_millis()),
                node: addr,
                input: Input::Edit {
                    record: e.record,
                    version: e.version,
                    creates: e.creates,
                    deletes: e.deletes,
                },
            });
        }
    }
    out
}
