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
//! Nothing here reads a model's internals: only what a step wrote to the
//! trace and sent. Firing goes through the injector, as for timed faults.
//! Once the safety phase ends ([`Triggers::close`]), nothing fires.

use crate::inject::{Injector, Volume};
use crate::topology;
use models::clock::Rtc;
use models::fault::{Fault, SyncStep};
use models::ledger::LedgerHandle;
use models::msg::{Msg, SyncResult};
use models::node::Node;
use sim::fields;
use sim::host::{Addr, Cluster, StepSeen, StepWatch};
use sim::plan::PlannedFault;
use sim::trace::EngineEvent;
use std::collections::BTreeMap;
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

/// The triggered faults of one run.
#[derive(Clone)]
pub struct Triggers {
    ctx: Context,
    state: Arc<Mutex<State>>,
    open: Arc<AtomicBool>,
}

impl Triggers {
    /// No fault armed yet; faults fire only while open (until [`Triggers::close`]).
    pub fn new(ctx: Context) -> Self {
        Triggers {
            ctx,
            state: Arc::default(),
            open: Arc::new(AtomicBool::new(true)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("trigger lock")
    }

    /// Arms `fault` (a [`Fault::MidSyncPull`] aimed at a handset); other
    /// faults, or a target that is no handset, are skipped.
    pub fn arm(&self, fault: &PlannedFault<Fault>) {
        let handset = (0..self.ctx.handsets).find(|&h| topology::handset(h) == fault.target);
        match (&fault.kind, handset) {
            (Fault::MidSyncPull { .. }, Some(h)) => {
                self.lock().armed.insert(fault.id, (fault.clone(), h));
            }
            _ => self.skip(&fault.target, fault.id, "not a handset's mid-sync pull"),
        }
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

    fn on_step(&self, seen: &StepSeen<'_, Msg>) {
        if !self.open.load(Ordering::Relaxed) {
            return;
        }
        let hits: Vec<PlannedFault<Fault>> = {
            let mut st = self.lock();
            let ids: Vec<u32> = st
                .armed
                .iter()
                .filter(|(_, (f, h))| strikes(f, *h, seen))
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| st.armed.remove(&id).map(|(f, _)| f))
                .collect()
        };
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
        for next in self.ctx.injector().apply(f) {
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
