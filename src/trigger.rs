//! Faults triggered by what the system does rather than by the clock: a
//! [`Fault::MidSyncPull`] is armed at its planned time and strikes the first
//! time, within its window, that its handset reaches its step of a sync
//! exchange. The cluster's step watch shows every machine step (its trace
//! events and the messages it is about to send) to [`Triggers::watch`],
//! which fires armed faults whose step it recognizes:
//! - `before-send`: the handset's step sends a `Sync`: the handset is pulled
//!   before the request leaves;
//! - `after-commit`: the primary's step commits rows of the handset's user
//!   and answers: the handset is pulled while the answer is on its way;
//! - `mid-restore`: the handset's step sends a `Sync` asking for its whole
//!   state: the handset is pulled just after the request left, while the
//!   rows are on their way.
//!
//! An [`Fault::EditRace`] is armed the same way and strikes when its
//! handset's step sends a push carrying a record it shows ([`crate::race`]):
//! the user edits that record at once, and the reset or power loss follows
//! at its drawn delay.
//!
//! Nothing here reads a model's internals: only what a step wrote to the
//! trace and sent. Firing goes through the injector, as for timed faults.
//! Once the safety phase ends ([`Triggers::close`]), nothing fires.

use crate::inject::{Injector, Volume};
use crate::race::{self, Race};
use crate::topology;
use futures::channel::mpsc::UnboundedSender;
use futures::StreamExt;
use models::clock::Rtc;
use models::fault::{Fault, SyncStep};
use models::msg::{Msg, SyncResult};
use models::node::Node;
use sim::fields;
use sim::host::{Addr, Cluster, StepSeen, StepWatch};
use sim::ledger::LedgerHandle;
use sim::plan::PlannedFault;
use sim::trace::EngineEvent;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long after a `mid-restore` request leaves the handset is pulled: less
/// than one network hop, so the rows are still on their way.
const AFTER_REQUEST: Duration = Duration::from_millis(1);

/// What the injector needs, owned, so that a trigger can fire from any step.
#[derive(Clone)]
pub struct Context {
    /// The cluster.
    pub cluster: Cluster<Node>,
    /// The ghost ledger.
    pub ledger: LedgerHandle,
    /// Every volume.
    pub volumes: Vec<Volume>,
    /// Every handset's clock, by handset index.
    pub clocks: Vec<Rtc>,
    /// The number of handsets.
    pub handsets: u32,
    /// The operator.
    pub operator: Addr,
}

impl Context {
    /// An injector over this context.
    pub fn injector(&self) -> Injector<'_> {
        Injector {
            cluster: &self.cluster,
            ledger: &self.ledger,
            volumes: &self.volumes,
            clocks: &self.clocks,
            handsets: self.handsets,
            operator: self.operator,
            atlas: None,
        }
    }
}

#[derive(Default)]
struct State {
    /// Armed faults by plan id, with their handset.
    armed: BTreeMap<u32, (PlannedFault<Fault>, u32)>,
    /// Plan ids of triggered faults that fired, in firing order.
    fired: Vec<u32>,
}

/// A task to run on the world's own simulated node.
type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs jobs on the node of the task that made it (the world's): a task a
/// step watch spawns belongs to the stepping node and dies with it when
/// that node is crashed or rebooted, so what must outlive the node (a
/// race's reset after its delay, a reboot) is handed over here.
#[derive(Clone)]
struct World(UnboundedSender<Job>);

impl World {
    /// Call on the world's own task.
    fn here() -> Self {
        let (tx, mut rx) = futures::channel::mpsc::unbounded::<Job>();
        madsim::task::spawn(async move {
            while let Some(job) = rx.next().await {
                madsim::task::spawn(job);
            }
        });
        World(tx)
    }

    fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        let _ = self.0.unbounded_send(Box::pin(job));
    }
}

/// The triggered faults of one run.
#[derive(Clone)]
pub struct Triggers {
    ctx: Context,
    state: Arc<Mutex<State>>,
    open: Arc<AtomicBool>,
    world: Option<World>,
}

impl Triggers {
    /// No fault armed yet; faults fire only while open (until [`Triggers::close`]).
    pub fn new(ctx: Context) -> Self {
        Triggers {
            ctx,
            state: Arc::default(),
            open: Arc::new(AtomicBool::new(true)),
            world: None,
        }
    }

    /// Lets edit races strike: what follows a race runs on the calling
    /// task's node (call it on the world's task, only when the plan has
    /// races, so that runs without them schedule exactly as before).
    pub fn with_races(mut self) -> Self {
        self.world = Some(World::here());
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("trigger lock")
    }

    /// Arms `fault` (a [`Fault::MidSyncPull`] or [`Fault::EditRace`] aimed
    /// at a handset); other faults, or a target that is no handset, are
    /// skipped.
    pub fn arm(&self, fault: &PlannedFault<Fault>) {
        let handset = (0..self.ctx.handsets).find(|&h| topology::handset(h) == fault.target);
        match (&fault.kind, handset) {
            (Fault::MidSyncPull { .. } | Fault::EditRace { .. }, Some(h)) => {
                self.lock().armed.insert(fault.id, (fault.clone(), h));
            }
            _ => self.skip(
                &fault.target,
                fault.id,
                "not a handset's mid-sync pull or edit race",
            ),
        }
    }

    /// Whether `fault` is one that waits for a step (armed, not fired at
    /// its time).
    pub fn is_triggered(fault: &Fault) -> bool {
        matches!(fault, Fault::MidSyncPull { .. } | Fault::EditRace { .. })
    }

    /// The window of fault `id` has passed: if it is still armed, it is
    /// skipped, its step never having come.
    pub fn expire(&self, id: u32) {
        let expired = self.lock().armed.remove(&id);
        if let Some((f, _)) = expired {
            self.skip(&f.target, id, "its sync step never came in its window");
        }
    }

    /// The safety phase is over: every fault still armed is skipped and
    /// nothing fires any more.
    pub fn close(&self) {
        self.open.store(false, Ordering::Relaxed);
        let armed = std::mem::take(&mut self.lock().armed);
        for (id, (f, _)) in armed {
            self.skip(&f.target, id, "the safety phase ended before its sync step");
        }
    }

    /// Plan ids of the triggered faults that fired, in firing order.
    pub fn fired(&self) -> Vec<u32> {
        self.lock().fired.clone()
    }

    fn skip(&self, target: &str, id: u32, why: &str) {
        let now = self.ctx.cluster.clock().now();
        self.ctx.cluster.tracer().emit(
            now,
            target,
            EngineEvent::FaultSkipped,
            fields!["fault" => id, "why" => why],
        );
    }

    /// The step watch to give the cluster.
    pub fn watch(&self) -> StepWatch<Msg> {
        let this = self.clone();
        Arc::new(move |seen: StepSeen<'_, Msg>| this.on_step(&seen))
    }

    /// Fires every armed fault whose step `seen` is (the step watch of
    /// [`Triggers::watch`] calls it; a watch of several parts may too).
    pub fn on_step(&self, seen: &StepSeen<'_, Msg>) {
        if !self.open.load(Ordering::Relaxed) {
            return;
        }
        let (hits, races) = {
            let mut st = self.lock();
            let mut races: Vec<(PlannedFault<Fault>, Race)> = Vec::new();
            let mut ids: Vec<u32> = Vec::new();
            for (id, (f, h)) in &st.armed {
                if let Fault::EditRace { .. } = f.kind {
                    // One race per push: the others wait for the next.
                    if races.iter().any(|(r, _)| r.target == f.target) {
                        continue;
                    }
                    let pushed = race::pushed_records(&f.target, seen);
                    if let Some(r) = race::resolve(f, *h, &pushed) {
                        races.push((f.clone(), r));
                    }
                } else if strikes(f, *h, seen) {
                    ids.push(*id);
                }
            }
            for (f, _) in &races {
                st.armed.remove(&f.id);
            }
            let hits: Vec<PlannedFault<Fault>> = ids
                .into_iter()
                .filter_map(|id| st.armed.remove(&id).map(|(f, _)| f))
                .collect();
            (hits, races)
        };
        for (f, r) in races {
            self.race(&f, r);
        }
        for f in hits {
            if matches!(
                f.kind,
                Fault::MidSyncPull {
                    step: SyncStep::MidRestore,
                    ..
                }
            ) {
                let this = self.clone();
                madsim::task::spawn(async move {
                    madsim::time::sleep(AFTER_REQUEST).await;
                    this.fire(&f);
                });
            } else {
                self.fire(&f);
            }
        }
    }

    /// Fires `f` now through the injector and carries out what it sets in
    /// motion at its time.
    fn fire(&self, f: &PlannedFault<Fault>) {
        if !self.open.load(Ordering::Relaxed) {
            return self.skip(&f.target, f.id, "the safety phase ended before it struck");
        }
        self.lock().fired.push(f.id);
        self.carry_out(self.ctx.injector().apply(f));
    }
}

impl Triggers {
    /// Race `f` strikes: the user edits its record now, through the same
    /// input as every workload edit, and its reset or power loss follows
    /// at its delay (unless the safety phase is over by then).
    fn race(&self, f: &PlannedFault<Fault>, r: Race) {
        let tracer = self.ctx.cluster.tracer();
        let now = self.ctx.cluster.clock().now();
        let fired = fields!["fault" => f.id, "fault_kind" => f.kind.name()];
        tracer.emit(now, &f.target, EngineEvent::FaultFired, fired);
        tracer.emit(
            now,
            &f.target,
            EngineEvent::FaultResolved,
            r.resolution(f.id),
        );
        self.lock().fired.push(f.id);
        if let Some(addr) = self.ctx.cluster.addr_of(&f.target) {
            self.ctx.cluster.input(addr, r.edit());
        }
        let Some(world) = &self.world else {
            return self.skip(&f.target, f.id, "races are not enabled in this run");
        };
        let this = self.clone();
        let end = r.end_fault(f);
        world.spawn(async move {
            madsim::time::sleep(r.after).await;
            if !this.open.load(Ordering::Relaxed) {
                return this.skip(
                    &end.target,
                    end.id,
                    "the safety phase ended before the race's reset or power loss",
                );
            }
            this.carry_out(this.ctx.injector().apply(&end));
        });
    }

    /// Schedules what a fault set in motion, each at its time.
    fn carry_out(&self, next: Vec<crate::inject::FollowUp>) {
        for next in next {
            let ctx = self.ctx.clone();
            let at = next.at();
            madsim::task::spawn(async move {
                ctx.cluster.clock().sleep_until(at).await;
                ctx.injector().carry_out(next);
            });
        }
    }
}

/// Whether the step `seen` is the step that armed fault `f` on handset
/// `handset` waits for.
fn strikes(f: &PlannedFault<Fault>, handset: u32, seen: &StepSeen<'_, Msg>) -> bool {
    let Fault::MidSyncPull { step, .. } = f.kind else {
        return false;
    };
    let sends_sync = |full_only: bool| {
        seen.node == f.target
            && seen
                .sends
                .iter()
                .any(|(_, m)| matches!(m, Msg::Sync { full, .. } if *full || !full_only))
    };
    match step {
        SyncStep::BeforeSend => sends_sync(false),
        SyncStep::MidRestore => sends_sync(true),
        SyncStep::AfterCommit => {
            let prefix = format!("u{handset}/");
            seen.node == topology::DB_PRIMARY
                && seen.sends.iter().any(|(_, m)| {
                    matches!(m, Msg::DbSyncReply { result: SyncResult::Ok { committed, .. }, .. }
                        if !committed.is_empty())
                })
                && seen.events().iter().any(|e| {
                    e.kind == EngineEvent::CopyCreated
                        && e.str("record").is_some_and(|r| r.starts_with(&prefix))
                })
        }
    }
}
