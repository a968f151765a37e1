//! What a system provides: the one trait a user implements to run their
//! own sync or backup design under the harness.
//!
//! A system is its scenario section (`[system]` of a scenario file,
//! deserialized into the implementing type), its named designs, its nodes
//! (state machines with their disks and failure domains), what its users
//! do, and where each user reads their records. Its nodes acknowledge into
//! the harness's ledger through their step I/O
//! ([`sim::host::Io::wrote`], [`sim::host::Io::told_saved`],
//! [`sim::host::Io::told_synced`]); the harness plans and injects faults,
//! runs the safety and heal phases, and judges each run from the ledger
//! and the places alone.
//!
//! ```
//! use lastcopy_harness::sim::host::{Addr, Boot, Io, Machine};
//! use lastcopy_harness::sim::place::{Place, PlaceKind, View};
//! use lastcopy_harness::sim::rng::Seeds;
//! use lastcopy_harness::system::{NodeSpec, System, UserAction};
//! use std::time::Duration;
//!
//! /// A system of one node that serves nothing: the smallest there is.
//! #[derive(Clone, Debug, serde::Deserialize)]
//! struct Nothing {}
//!
//! struct Idle;
//! impl Machine for Idle {
//!     type Msg = ();
//!     type Input = ();
//!     fn boot(&mut self, _: Boot, _: &mut Io<'_, ()>) {}
//!     fn on_message(&mut self, _: Addr, _: (), _: &mut Io<'_, ()>) {}
//!     fn on_timer(&mut self, _: u64, _: &mut Io<'_, ()>) {}
//!     fn on_input(&mut self, _: (), _: &mut Io<'_, ()>) {}
//! }
//!
//! const SERVER: PlaceKind = PlaceKind { code: 0, name: "server", reference: true };
//!
//! impl System for Nothing {
//!     type Node = Idle;
//!     type Design = ();
//!     fn designs() -> Vec<(&'static str, ())> {
//!         vec![("plain", ())]
//!     }
//!     fn nodes(&self, _: &()) -> Vec<NodeSpec<Idle>> {
//!         vec![NodeSpec::new("server", "rack-a", vec![], || Idle)]
//!     }
//!     fn workload(&self, _: &Seeds, _: Duration) -> Vec<UserAction<()>> {
//!         Vec::new()
//!     }
//!     fn places(&self) -> Vec<(Place, Addr)> {
//!         vec![(Place { user: 0, kind: SERVER, index: 0 }, Addr(0))]
//!     }
//!     fn served(_: &Idle, _: Place) -> Option<View> {
//!         Some(View::new())
//!     }
//! }
//! # assert_eq!(Nothing::designs()[0].0, "plain");
//! ```

use crate::checker::places;
use crate::checker::situation::OwnSituation;
use crate::plan::swarm::SwarmKey;
use crate::scenario::Check;
use serde::de::DeserializeOwned;
use sim::disk::{Disk, DiskConfig};
use sim::host::{disk_handle, Addr, DiskHandle, Machine};
use sim::lineage::CopyOf;
use sim::place::{Place, View};
use sim::record::RecordId;
use sim::rng::Seeds;
use sim::trace::Event;
use std::fmt::Debug;
use std::time::Duration;

/// A sync or backup system the harness can run. The implementing type is
/// the system's own scenario section, `[system]` in a scenario file.
pub trait System: DeserializeOwned + Clone + Debug + Send + Sync + 'static {
    /// Every node's state machine (an enum when nodes differ).
    type Node: Machine;
    /// A design: the knobs one sweep holds fixed.
    type Design: Clone + Debug + Send + Sync + 'static;

    /// The designs it ships, by name; the first is the default.
    fn designs() -> Vec<(&'static str, Self::Design)>;

    /// Its nodes under `design`, in address order (node `i` is `Addr(i)`),
    /// each on blank disks.
    fn nodes(&self, design: &Self::Design) -> Vec<NodeSpec<Self::Node>>;

    /// What users do during the safety phase, in any order, drawn only
    /// from `seeds` (use [`Seeds::keyed`] streams) and lasting `duration`.
    fn workload(&self, seeds: &Seeds, duration: Duration) -> Vec<UserAction<Input<Self>>>;

    /// Every place a user reads at the check, user by user (one of each
    /// user's places is the reference the others converge to), with the
    /// node that serves it.
    fn places(&self) -> Vec<(Place, Addr)>;

    /// What `node` serves at `place` now (`None`: not serving).
    fn served(node: &Self::Node, place: Place) -> Option<View>;

    /// What `node` shows at `place` now: all that convergence compares,
    /// [`places::shown`] of [`System::served`] (the default). A system
    /// whose views are costly to build may read its rows directly; the
    /// answer must be the same.
    fn shows(node: &Self::Node, place: Place) -> Option<places::Shows> {
        Self::served(node, place).map(|v| places::shown(&v))
    }

    /// The rules of its `[system]` section that serde cannot say (a count
    /// in range, one key no larger than another): the problem at the key,
    /// named from the section down (`KeyPath::of(&["devices"])`); the
    /// harness names the file's line or the `--set` that put it there.
    /// Fine by default.
    fn check(&self) -> Check {
        Ok(())
    }

    /// The records `msg` pushes toward the reference place (a sync's
    /// upload), so that the harness's edit races (`edit-race`) can strike
    /// while a push is in flight. None by default: no race ever strikes.
    fn pushed(msg: &<Self::Node as Machine>::Msg) -> Vec<RecordId> {
        let _ = msg;
        Vec::new()
    }

    /// The user's edit of `record` at the node at `node`, as an edit race
    /// makes it: a new version the node writes and acknowledges like any
    /// edit, distinct for each `race` (its plan id) and from every
    /// workload edit. `None` (the default): the race is skipped.
    fn race_edit(&self, node: Addr, record: RecordId, race: u32) -> Option<Input<Self>> {
        let _ = (node, record, race);
        None
    }

    /// The system's own faults beyond the harness's generic ones (an
    /// operator's restore, a garbage collection that races uploads), one
    /// row each; their rates are `[faults.system]` keys. None by default.
    fn own_faults() -> &'static [OwnFault] {
        &[]
    }

    /// What the own fault `name` does when it strikes now: an input to a
    /// node, drawn only from `resolve_seed` (`None`: nothing to do). The
    /// harness traces it fired and blames what follows on it.
    fn own_fault(&self, name: &str, resolve_seed: u64) -> Option<(Addr, Input<Self>)> {
        let _ = (name, resolve_seed);
        None
    }

    /// The `[system]` keys `run --swarm` may draw per seed, each within its
    /// bounds ([`crate::plan::swarm`]): the workload's shape and timing, a count
    /// of nodes; never a design knob (a sweep tests one design). None by
    /// default.
    fn swarm_keys() -> &'static [SwarmKey] {
        &[]
    }

    /// The system's own situations that matter, beyond the harness's
    /// generic ones ([`crate::checker::situation`]): each counted after a run from
    /// its output alone, listed by coverage when no seed reached it, and
    /// steered toward by `run --swarm --guided` through its levers. None
    /// by default.
    fn situations() -> &'static [OwnSituation] {
        &[]
    }

    /// How `--explain` names `copy` (a version of a record on one of the
    /// system's stores) in the system's own words, looking up what it
    /// needs in the run's `trace`: "blob b3fa2c1d (w1.4) on volume-0"
    /// rather than "w1.4 on volume-0". `None` (the default): the
    /// harness's words, `{version} on {store}`.
    fn copy_words(copy: CopyOf<'_>, trace: &[Event]) -> Option<String> {
        let _ = (copy, trace);
        None
    }

    /// Which parts of a record's version a copy on `store` keeps, as a bit
    /// set, when a version lives in parts on different stores (a photo's
    /// metadata on the metadata nodes, its blob on the volumes, both on a
    /// device): a near miss ([`crate::checker::near_miss`]) is a fault on the node
    /// holding every live copy of some part. All bits (the default): a
    /// copy is the whole version.
    fn copy_parts(store: &str) -> u8 {
        let _ = store;
        u8::MAX
    }
}

/// One row of a system's own fault table.
#[derive(Clone, Copy, Debug)]
pub struct OwnFault {
    /// Its name in plans, traces and reports (`stale-restore`).
    pub name: &'static str,
    /// The scenario key of its rate per day, under `[faults.system]`.
    pub key: &'static str,
    /// The node it strikes (by name).
    pub node: &'static str,
    /// Its exact effect.
    pub effect: &'static str,
}

/// The input a system's nodes take from outside the network.
pub type Input<S> = <<S as System>::Node as Machine>::Input;

/// One node: its name, its failure domain, its disks and the factory that
/// makes its machine at each boot.
pub struct NodeSpec<M> {
    /// The node's name (`client-0`), unique in the system and not the
    /// harness's own ([`crate::world::HARNESS_NODE`]): a scenario whose
    /// nodes repeat one is refused.
    pub name: String,
    /// The failure domain its disks live in (`rack-a`): the fault atlas
    /// never takes out two domains' disks at once.
    pub domain: String,
    /// Its disks: (name, handle). A disk's name is unique in the system
    /// (`client-0/flash`): storage faults and plans name disks by it, and
    /// a scenario whose nodes repeat one is refused.
    pub disks: Vec<(String, DiskHandle)>,
    /// Makes the node's machine; called at every boot.
    pub factory: Box<dyn Fn() -> M + Send + Sync>,
}

impl<M> NodeSpec<M> {
    /// A node named `name` in `domain` with `disks`, whose machine
    /// `factory` makes at each boot.
    pub fn new(
        name: impl Into<String>,
        domain: impl Into<String>,
        disks: Vec<(String, DiskHandle)>,
        factory: impl Fn() -> M + Send + Sync + 'static,
    ) -> Self {
        NodeSpec {
            name: name.into(),
            domain: domain.into(),
            disks,
            factory: Box::new(factory),
        }
    }
}

/// A blank simulated disk of 4 MiB in 512-byte sectors: enough for a small
/// system's store, sparse until written.
pub fn blank_disk() -> DiskHandle {
    disk_handle(Disk::new(DiskConfig {
        sector_size: 512,
        sectors: 8192,
    }))
}

/// One thing a user does: `input` to the node at `node`, `at` after the
/// run starts. An input to a node that is down is skipped and counted.
#[derive(Clone, Debug)]
pub struct UserAction<I> {
    /// When, from the start of the run.
    pub at: Duration,
    /// The node the user acts on.
    pub node: Addr,
    /// What the user does.
    pub input: I,
}
