//! A fault model: how one run's faults strike. The world runs the users'
//! actions and the model's steps on one timeline and owns the phases; the
//! model decides what its planned faults do to the cluster.
//!
//! The harness ships one model, [`crate::world::TableFaults`]: the generic
//! fault table ([`crate::plan::faults::FAULT_TABLE`]) plus a system's own fault
//! rows. A system with a planner and injector of its own (faults triggered
//! by what its nodes do, operators' upgrades, an atlas that only strikes
//! where a copy survives) implements this trait and runs on the same world
//! through [`crate::world::run_with`].
//!
//! ```
//! use lastcopy_harness::sim::disk::CrashMode;
//! use lastcopy_harness::sim::host::{Addr, Boot, Cluster, Io, Machine};
//! use lastcopy_harness::sim::ledger::Ledger;
//! use lastcopy_harness::sim::place::{Place, PlaceKind, View};
//! use lastcopy_harness::sim::rng::Seeds;
//! use lastcopy_harness::sim::time::SimTime;
//! use lastcopy_harness::sim::trace::Trace;
//! use lastcopy_harness::system::{NodeSpec, System, UserAction};
//! use lastcopy_harness::world::{run_with, FaultModel, Setup};
//! use std::time::Duration;
//!
//! # #[derive(Clone, Debug, serde::Deserialize)]
//! # struct Nothing {}
//! # struct Idle;
//! # impl Machine for Idle {
//! #     type Msg = ();
//! #     type Input = ();
//! #     fn boot(&mut self, _: Boot, _: &mut Io<'_, ()>) {}
//! #     fn on_message(&mut self, _: Addr, _: (), _: &mut Io<'_, ()>) {}
//! #     fn on_timer(&mut self, _: u64, _: &mut Io<'_, ()>) {}
//! #     fn on_input(&mut self, _: (), _: &mut Io<'_, ()>) {}
//! # }
//! # const SERVER: PlaceKind = PlaceKind { code: 0, name: "server", reference: true };
//! # impl System for Nothing {
//! #     type Node = Idle;
//! #     type Design = ();
//! #     fn designs() -> Vec<(&'static str, ())> { vec![("plain", ())] }
//! #     fn nodes(&self, _: &()) -> Vec<NodeSpec<Idle>> {
//! #         vec![NodeSpec::new("server", "rack-a", vec![], || Idle)]
//! #     }
//! #     fn workload(&self, _: &Seeds, _: Duration) -> Vec<UserAction<()>> { Vec::new() }
//! #     fn places(&self) -> Vec<(Place, Addr)> {
//! #         vec![(Place { user: 0, kind: SERVER, index: 0 }, Addr(0))]
//! #     }
//! #     fn served(_: &Idle, _: Place) -> Option<View> { Some(View::new()) }
//! # }
//! /// Pulls the plug of node 0 an hour in; it boots ten minutes later.
//! struct OnePull(Cluster<Idle>);
//!
//! enum Pull {
//!     Off,
//!     On,
//! }
//!
//! impl FaultModel<Nothing> for OnePull {
//!     type Step = Pull;
//!     type Report = ();
//!     fn steps(&mut self) -> Vec<(SimTime, Pull)> {
//!         vec![(SimTime::from(Duration::from_secs(3600)), Pull::Off)]
//!     }
//!     fn take(&mut self, step: Pull, now: SimTime) -> Vec<(SimTime, Pull)> {
//!         match step {
//!             Pull::Off => {
//!                 self.0.crash(Addr(0), CrashMode::DropUnsynced, None);
//!                 vec![(now.after(Duration::from_secs(600)), Pull::On)]
//!             }
//!             Pull::On => {
//!                 self.0.boot(Addr(0), Boot::Crash, false);
//!                 Vec::new()
//!             }
//!         }
//!     }
//!     fn heal(&mut self, _left: Vec<Pull>) -> Vec<Pull> {
//!         Vec::new()
//!     }
//!     fn finish(self, _: &Trace, _: &Ledger) -> (Vec<u32>, ()) {
//!         (Vec::new(), ())
//!     }
//! }
//!
//! let system = Nothing {};
//! let setup = Setup {
//!     duration: Duration::from_secs(86_400),
//!     heal_bound: Duration::from_secs(3600),
//!     converge_check: Duration::from_secs(60),
//!     buggify: false,
//!     madsim: Default::default(),
//! };
//! let nodes = system.nodes(&());
//! let pull = |cluster: &Cluster<Idle>| OnePull(cluster.clone());
//! let (output, ()) = run_with(&setup, &system, nodes, Vec::new(), pull, 7);
//! assert!(output.final_state.converged);
//! assert!(output.trace.events().iter().any(|e| e.node == "server"));
//! ```

use crate::system::System;
use sim::ledger::Ledger;
use sim::time::SimTime;
use sim::trace::Trace;

/// How one run's faults strike. Built once every node is on the cluster
/// and before anything runs; the world calls it in this order:
/// [`FaultModel::steps`], [`FaultModel::safety_begins`], then
/// [`FaultModel::take`] for each step as its time comes, [`FaultModel::heal`]
/// when the safety phase ends, [`FaultModel::rebooted`] once every node
/// has booted again, and [`FaultModel::finish`] after the check.
pub trait FaultModel<S: System>: Send + 'static {
    /// One thing the model does at a moment of the safety phase (strike a
    /// planned fault, boot a node it took down, end a partition).
    type Step: Send + 'static;
    /// What the model hands on besides the faults that fired (counts the
    /// system's coverage reads); `()` when nothing.
    type Report: Send + 'static;

    /// Its first steps, each with its time, in the order they join the
    /// timeline (after every user action; at equal times, earlier added
    /// goes first).
    fn steps(&mut self) -> Vec<(SimTime, Self::Step)>;

    /// The safety phase has begun (its phase event is in the trace).
    /// Nothing by default.
    fn safety_begins(&mut self) {}

    /// Carries out `step`, due `now`; returns what it sets in motion, each
    /// with its time (at or after `now`).
    fn take(&mut self, step: Self::Step, now: SimTime) -> Vec<(SimTime, Self::Step)>;

    /// The safety phase is over: nothing new may strike. `left` holds the
    /// steps that were still due, in time order. Returns the steps to carry
    /// out once every node has shut down cleanly and booted again.
    fn heal(&mut self, left: Vec<Self::Step>) -> Vec<Self::Step>;

    /// Every node has booted again (a second ago): carries out what
    /// [`FaultModel::heal`] kept for this moment. Nothing by default.
    fn rebooted(&mut self, due: Vec<Self::Step>) {
        let _ = due;
    }

    /// After the check: the plan ids of the faults that fired, in firing
    /// order, and the model's report, read from the run's trace and ledger.
    fn finish(self, trace: &Trace, ledger: &Ledger) -> (Vec<u32>, Self::Report);
}
