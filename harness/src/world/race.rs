//! Edit races on demand (`edit-race` in [`crate::plan::faults::FAULT_TABLE`]):
//! the user edits a record while the node's push of its previous version
//! is in flight, and then, after a drawn delay, the node loses power or is
//! reset. Clock-driven faults almost never land in that window; bugs that
//! mark the wrong version synced, or drop an edit made mid-push, live
//! there.
//!
//! A race is armed at its planned time and strikes the first time, within
//! its window (`edit_race_window`), that its node's step sends a message
//! the system says pushes records ([`System::pushed`]). What the plan
//! leaves open is resolved from the fault's own resolve seed, in this
//! order: which pushed record is edited, the delay (0 to
//! `edit_race_delay_max`) and whether a power loss or a reset (every disk
//! of the node replaced by a blank one) follows. The edit is the system's
//! own input ([`System::race_edit`]), so the node writes and acknowledges
//! it as it does every edit. Everything goes into the trace: `fault.fired`
//! (kind `edit-race`), `fault.resolved` (record, `then`, `after_ms`), and
//! at its time the power loss or reset under the same fault id. A race
//! whose push never comes in its window, or that the system cannot edit,
//! is `fault.skipped`. Nothing here reads a node's state: only the
//! messages its step sends.

use crate::plan::faults::Fault;
use crate::system::System;
use futures::channel::mpsc::UnboundedSender;
use futures::StreamExt;
use rand::RngExt;
use sim::disk::CrashMode;
use sim::fields;
use sim::host::{Addr, Boot, Cluster, DiskHandle, Machine, StepSeen, StepWatch};
use sim::plan::PlannedFault;
use sim::record::RecordId;
use sim::trace::EngineEvent;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What follows a race's edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The node loses power.
    PowerLoss,
    /// Every disk of the node is replaced by a blank one.
    Reset,
}

impl End {
    fn name(self) -> &'static str {
        match self {
            End::PowerLoss => "power-loss",
            End::Reset => "reset",
        }
    }
}

/// How a race's delay and end are bounded, from the scenario.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    /// The longest delay from the edit to its end.
    pub delay_max: Duration,
    /// How long the node stays down after its end.
    pub down_for: Duration,
}

#[derive(Default)]
struct State {
    /// Armed races by plan id.
    armed: BTreeMap<u32, PlannedFault<Fault>>,
    /// Plan ids of races that struck, in order.
    fired: Vec<u32>,
    /// Whether races may still strike (the safety phase runs).
    open: bool,
}

/// A task to run on the world's own simulated node.
type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The races of one run.
pub(crate) struct Races<S: System> {
    cluster: Cluster<S::Node>,
    /// Every node's disks, which a reset replaces.
    disks: Arc<BTreeMap<Addr, Vec<(String, DiskHandle)>>>,
    system: S,
    bounds: Bounds,
    state: Arc<Mutex<State>>,
    /// Runs what follows an edit on the world's node: a task a step watch
    /// spawned would belong to the stepping node and die with its crash.
    world: UnboundedSender<Job>,
}

impl<S: System> Clone for Races<S> {
    fn clone(&self) -> Self {
        Races {
            cluster: self.cluster.clone(),
            disks: self.disks.clone(),
            system: self.system.clone(),
            bounds: self.bounds,
            state: self.state.clone(),
            world: self.world.clone(),
        }
    }
}

impl<S: System> Races<S> {
    /// Races on `cluster`'s nodes, whose disks are `disks`; call it on
    /// the world's own task.
    pub(crate) fn new(
        cluster: Cluster<S::Node>,
        disks: BTreeMap<Addr, Vec<(String, DiskHandle)>>,
        system: S,
        bounds: Bounds,
    ) -> Self {
        let (world, mut jobs) = futures::channel::mpsc::unbounded::<Job>();
        madsim::task::spawn(async move {
            while let Some(job) = jobs.next().await {
                madsim::task::spawn(job);
            }
        });
        let state = State {
            open: true,
            ..State::default()
        };
        Races {
            cluster,
            disks: Arc::new(disks),
            system,
            bounds,
            state: Arc::new(Mutex::new(state)),
            world,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("race lock")
    }

    /// The step watch to give the cluster.
    pub(crate) fn watch(&self) -> StepWatch<<S::Node as Machine>::Msg> {
        let this = self.clone();
        Arc::new(move |seen| this.on_step(&seen))
    }

    /// Arms race `f`: it strikes at its node's next push.
    pub(crate) fn arm(&self, f: &PlannedFault<Fault>) {
        self.lock().armed.insert(f.id, f.clone());
    }

    /// The window of race `id` has passed: still armed, it is skipped.
    pub(crate) fn expire(&self, id: u32) {
        let expired = self.lock().armed.remove(&id);
        if let Some(f) = expired {
            self.skip(&f.target, id, "no push came in its window");
        }
    }

    /// The safety phase is over: every race still armed is skipped and
    /// none strikes any more.
    pub(crate) fn close(&self) {
        let armed = {
            let mut st = self.lock();
            st.open = false;
            std::mem::take(&mut st.armed)
        };
        for (id, f) in armed {
            self.skip(&f.target, id, "the safety phase ended before a push");
        }
    }

    /// Plan ids of the races that struck, in order.
    pub(crate) fn fired(&self) -> Vec<u32> {
        self.lock().fired.clone()
    }

    fn skip(&self, target: &str, id: u32, why: &str) {
        let now = self.cluster.clock().now();
        let why = fields!["fault" => id, "why" => why];
        self.cluster
            .tracer()
            .emit(now, target, EngineEvent::FaultSkipped, why);
    }

    /// Strikes the first armed race of the stepping node whose step pushes
    /// records (one race per push; others wait for the next).
    fn on_step(&self, seen: &StepSeen<'_, <S::Node as Machine>::Msg>) {
        let mut pushed: Vec<RecordId> = seen.sends.iter().flat_map(|(_, m)| S::pushed(m)).collect();
        if pushed.is_empty() {
            return;
        }
        pushed.sort_unstable();
        pushed.dedup();
        let race = {
            let mut st = self.lock();
            let id = st
                .armed
                .iter()
                .find(|(_, f)| st.open && f.target == seen.node)
                .map(|(id, _)| *id);
            let race = id.and_then(|id| st.armed.remove(&id));
            if let Some(f) = &race {
                st.fired.push(f.id);
            }
            race
        };
        if let Some(f) = race {
            self.strike(&f, seen.addr, &pushed);
        }
    }

    /// Race `f` strikes on the node at `addr`, whose step pushes `pushed`.
    fn strike(&self, f: &PlannedFault<Fault>, addr: Addr, pushed: &[RecordId]) {
        let mut rng = sim::rng::from_seed(f.resolve_seed);
        let record = pushed[rng.random_range(0..pushed.len())];
        let after =
            Duration::from_millis(rng.random_range(0..=self.bounds.delay_max.as_millis() as u64));
        let end = if rng.random_bool(0.5) {
            End::Reset
        } else {
            End::PowerLoss
        };
        let now = self.cluster.clock().now();
        let tracer = self.cluster.tracer();
        let fired = fields!["fault" => f.id, "fault_kind" => f.kind.name.to_string()];
        tracer.emit(now, &f.target, EngineEvent::FaultFired, fired);
        let resolved = fields![
            "fault" => f.id,
            "record" => record.to_string(),
            "then" => end.name(),
            "after_ms" => after.as_millis() as u64
        ];
        tracer.emit(now, &f.target, EngineEvent::FaultResolved, resolved);
        let Some(edit) = self.system.race_edit(addr, record, f.id) else {
            return self.skip(&f.target, f.id, "the system makes no race edit");
        };
        self.cluster.input(addr, edit);
        let this = self.clone();
        let (id, target) = (f.id, f.target.clone());
        let _ = self.world.unbounded_send(Box::pin(async move {
            madsim::time::sleep(after).await;
            this.end(id, &target, addr, end).await;
        }));
    }

    /// The race's end strikes its node, which boots `down_for` later.
    async fn end(&self, id: u32, target: &str, addr: Addr, end: End) {
        if !self.lock().open {
            return self.skip(target, id, "the safety phase ended before the race's end");
        }
        self.cluster.lineage().set_blame(target, Some(id));
        self.cluster.crash(addr, CrashMode::DropUnsynced, Some(id));
        if end == End::Reset {
            for (device, disk) in self.disks.get(&addr).into_iter().flatten() {
                self.cluster.lose_device(device, disk, Some(id));
            }
        }
        madsim::time::sleep(self.bounds.down_for).await;
        if self.lock().open {
            self.cluster.boot(addr, Boot::Crash, false);
        }
    }
}
