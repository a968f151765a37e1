//! Hosts: state machines run as madsim nodes, with a crash-faithful lifecycle.
//!
//! A model is a [`Machine`]: a state machine apart from its I/O. Messages,
//! timer firings and external inputs go in; messages, timers, trace events
//! and copy lineage come out through [`Io`]. Its disks are [`DiskHandle`]s it
//! was given when it was made, so that the engine can fence and crash them.
//!
//! A [`Cluster`] runs one machine per madsim node and promises:
//! - **Crash** (power loss): the node's disks are fenced first, so no code of
//!   the node can write again; then unsynced writes are dropped (or torn, as
//!   the plan says); then the madsim node is killed. Nothing the node had in
//!   memory survives. It comes back only through [`Cluster::boot`].
//! - **Process crash** ([`Cluster::crash_process`]): the node's disks are
//!   fenced while its machine is dropped, so nothing more of it runs or
//!   writes; then they are unfenced untouched, every write kept (unsynced
//!   ones too, as the operating system holds them). Nothing the node had in
//!   memory survives. It comes back only through [`Cluster::boot`].
//! - **Clean shutdown**: disks are synced, then the node stops. Nothing is lost.
//! - **Wall clocks**: each node has a clock of its own that clock faults may
//!   skew or reset and that outlives its machine (see `clock.rs`);
//!   [`Io::now`] stays the true simulated time.
//! - **Boot**: the machine is rebuilt by its factory, told whether this is a
//!   [`Boot::Crash`], [`Boot::Clean`] or [`Boot::First`] boot, and reads its
//!   state back from its own disks.
//! - **Panics** inside a machine are caught, written to the trace as a
//!   finding ([`EngineEvent::NodePanic`]) and handled as a crash of that node, which
//!   reboots after [`PANIC_REBOOT_DELAY`]. A node that panics on
//!   [`MAX_BOOT_PANICS`] boots in a row stays down ([`EngineEvent::NodeGaveUp`]);
//!   the harness itself never crashes.
//! - [`Cluster::partition`] and [`Cluster::isolate`] use madsim's network
//!   clogging, never pause/resume; the project's own network faults ([`crate::net`]:
//!   partitions, loss, duplication, reordering, long delays, corruption in
//!   transit) act on every encoded frame a node sends, and every effect goes
//!   into the trace. Frames a fault holds in transit are delivered later by
//!   the cluster's supervisor, so they outlive a crash of their sender.
//! - A **step watch** ([`Cluster::watch_steps`]) sees every step's trace
//!   events and messages before the messages leave, and may crash the node
//!   right there (a fault triggered by what the node just did): then the
//!   step's messages never leave.
//!
//! Everything runs on the simulation's one thread; the mutexes here are never
//! contended and exist only to satisfy madsim's `Send` bounds.

use crate::buggify::Buggify;
use crate::disk::{CrashMode, Disk, FaultEffect};
use crate::ledger::{LedgerHandle, Write};
use crate::lineage::{CopyOf, EndCause, Lineage};
use crate::net::{Counts, Effect, Impairment, Links, NetFaults};
use crate::record::{RecordId, VersionId};
use crate::time::SimTime;
use crate::trace::{EngineEvent, Kind, Tracer, Value};
use futures::channel::mpsc;
use futures::StreamExt;
use madsim::net::{Endpoint, NetSim};
use madsim::runtime::Handle;
use madsim::task::NodeId;
use serde::{de::DeserializeOwned, Serialize};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once, OnceLock, PoisonError};
use std::time::Duration;

/// How long a node that panicked stays down before it reboots.
pub const PANIC_REBOOT_DELAY: Duration = Duration::from_secs(60);
/// After this many boots in a row that panic, a node stays down.
pub const MAX_BOOT_PANICS: u32 = 5;

const TAG: u64 = 0x1a57;
const PORT: u16 = 700;

/// A simulated disk shared between its node and the engine.
pub type DiskHandle = Arc<Mutex<Disk>>;

/// Makes a shared handle to a new disk.
pub fn disk_handle(disk: Disk) -> DiskHandle {
    Arc::new(Mutex::new(disk))
}

/// Locks a disk. A panic caught while a machine held the lock leaves the
/// disk as the panic found it, which is what a crash would: the lock is
/// taken anyway, never poisoned for good.
pub fn lock_disk(disk: &DiskHandle) -> MutexGuard<'_, Disk> {
    disk.lock().unwrap_or_else(PoisonError::into_inner)
}

mod clock;
mod lifecycle;
mod machine;
mod network;
mod step;
mod wire;

pub use clock::Clock;
use clock::WallClock;
use lifecycle::{install_quiet_panic_hook, panic_message, QUIET_PANICS};
pub use lifecycle::{Boot, CrashSummary};
pub use machine::{Io, Machine, Outputs};
pub use step::{StepSeen, StepWatch};
pub use wire::{decode, encode, seal, unseal, Addr};

enum Inbound<I> {
    Net(Addr, Vec<u8>),
    Input(I),
}

struct SlotState<M: Machine> {
    machine: Option<M>,
    up: bool,
    next_boot: Boot,
    inbox: Option<mpsc::UnboundedSender<Inbound<M::Input>>>,
    boot_panics: u32,
    gave_up: bool,
}

type Factory<M> = Box<dyn Fn() -> M + Send + Sync>;

struct Slot<M: Machine> {
    name: String,
    addr: Addr,
    disks: Vec<(String, DiskHandle)>,
    factory: Factory<M>,
    /// The node's own clock: outlives its machine.
    wall: WallClock,
    node: Mutex<Option<NodeId>>,
    state: Mutex<SlotState<M>>,
}

impl<M: Machine> Slot<M> {
    fn state(&self) -> MutexGuard<'_, SlotState<M>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the cluster's supervisor is asked to do.
enum Control {
    /// A machine panicked: crash the node and reboot it later.
    Panic(Addr),
    /// A frame held in transit: deliver it after `after`, unless the network
    /// faults were healed (their generation changed) meanwhile.
    Hold {
        after: Duration,
        from: Addr,
        to: Addr,
        frame: Vec<u8>,
        generation: u64,
    },
}

struct Shared<M: Machine> {
    clock: Clock,
    tracer: Tracer,
    lineage: Lineage,
    ledger: LedgerHandle,
    slots: Mutex<Vec<Arc<Slot<M>>>>,
    /// Tells the supervisor of panics and of frames held in transit.
    control: mpsc::UnboundedSender<Control>,
    messages: AtomicU64,
    watch: Mutex<Option<StepWatch<M::Msg>>>,
    net: Mutex<NetFaults>,
    /// Bumped when every network fault is healed: frames still held in
    /// transit from before are dropped.
    net_generation: AtomicU64,
    sealed: AtomicBool,
    buggify: OnceLock<Buggify>,
}

/// A set of hosts running machines of type `M` on one madsim runtime.
/// Cheap to clone; every clone controls the same cluster.
pub struct Cluster<M: Machine> {
    shared: Arc<Shared<M>>,
}

impl<M: Machine> Clone for Cluster<M> {
    fn clone(&self) -> Self {
        Cluster {
            shared: self.shared.clone(),
        }
    }
}

impl<M: Machine> Cluster<M> {
    /// An empty cluster with an empty ledger that `lineage` consults (see
    /// [`LedgerHandle::inform`]). Call inside the simulation
    /// (`Runtime::block_on`); it spawns the supervisor that reboots nodes
    /// whose machines panicked.
    pub fn new(clock: Clock, tracer: Tracer, lineage: Lineage) -> Self {
        install_quiet_panic_hook();
        let ledger = LedgerHandle::new();
        ledger.inform(&lineage);
        let (tx, mut rx) = mpsc::unbounded::<Control>();
        let cluster = Cluster {
            shared: Arc::new(Shared {
                clock,
                tracer,
                lineage,
                ledger,
                slots: Mutex::new(Vec::new()),
                control: tx,
                messages: AtomicU64::new(0),
                watch: Mutex::new(None),
                net: Mutex::new(NetFaults::new()),
                net_generation: AtomicU64::new(0),
                sealed: AtomicBool::new(false),
                buggify: OnceLock::new(),
            }),
        };
        let supervisor = cluster.clone();
        madsim::task::spawn(async move {
            while let Some(control) = rx.next().await {
                match control {
                    Control::Panic(addr) => supervisor.handle_panic(addr),
                    Control::Hold {
                        after,
                        from,
                        to,
                        frame,
                        generation,
                    } => {
                        let courier = supervisor.clone();
                        madsim::task::spawn(async move {
                            madsim::time::sleep(after).await;
                            courier.deliver_held(from, to, frame, generation);
                        });
                    }
                }
            }
        });
        cluster
    }
    /// Gives every machine step `buggify` for [`Io::sometimes`]. A cluster
    /// takes one buggify for its whole run; a second call changes nothing
    /// and returns false.
    pub fn set_buggify(&self, buggify: Buggify) -> bool {
        self.shared.buggify.set(buggify).is_ok()
    }
    /// From now on, `watch` sees every machine step (see [`StepSeen`]);
    /// `None` stops watching. If the watch crashes the node it is shown, the
    /// step's messages are never sent.
    pub fn watch_steps(&self, watch: Option<StepWatch<M::Msg>>) {
        *self
            .shared
            .watch
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = watch;
    }
    /// The clock of this cluster.
    pub fn clock(&self) -> Clock {
        self.shared.clock
    }
    /// The trace this cluster writes to.
    pub fn tracer(&self) -> &Tracer {
        &self.shared.tracer
    }
    /// The copy lineage registry of this cluster.
    pub fn lineage(&self) -> &Lineage {
        &self.shared.lineage
    }
    /// The run's ledger: what every user was told, written only through
    /// the acknowledgements of machine steps ([`Io::wrote`],
    /// [`Io::told_saved`], [`Io::told_synced`]) and the harness.
    pub fn ledger(&self) -> &LedgerHandle {
        &self.shared.ledger
    }
    /// How many messages were delivered to machines so far.
    pub fn messages_delivered(&self) -> u64 {
        self.shared.messages.load(Ordering::Relaxed)
    }
    fn now(&self) -> SimTime {
        self.shared.clock.now()
    }
    fn slot(&self, addr: Addr) -> Arc<Slot<M>> {
        self.shared.slots.lock().expect("slots lock")[addr.0 as usize].clone()
    }
    fn slots(&self) -> Vec<Arc<Slot<M>>> {
        self.shared.slots.lock().expect("slots lock").clone()
    }
    /// Adds a node named `name` whose machine `factory` makes, with `disks`
    /// (name, handle) that crash with it, and boots it (`Boot::First`).
    pub fn add(
        &self,
        name: &str,
        disks: Vec<(String, DiskHandle)>,
        factory: impl Fn() -> M + Send + Sync + 'static,
    ) -> Addr {
        let addr = {
            let slots = self.shared.slots.lock().expect("slots lock");
            Addr(slots.len() as u32)
        };
        let slot = Arc::new(Slot {
            name: name.to_string(),
            addr,
            disks,
            factory: Box::new(factory),
            wall: WallClock::default(),
            node: Mutex::new(None),
            state: Mutex::new(SlotState {
                machine: None,
                up: true,
                next_boot: Boot::First,
                inbox: None,
                boot_panics: 0,
                gave_up: false,
            }),
        });
        self.shared
            .slots
            .lock()
            .expect("slots lock")
            .push(slot.clone());
        let cluster = self.clone();
        let init_slot = slot.clone();
        let node = Handle::current()
            .create_node()
            .name(name)
            .ip(addr.socket().ip())
            .init(move || {
                let cluster = cluster.clone();
                let slot = init_slot.clone();
                async move { cluster.node_main(slot).await }
            })
            .build();
        *slot.node.lock().expect("node lock") = Some(node.id());
        addr
    }
    /// The address of the node named `name`, if there is one.
    pub fn addr_of(&self, name: &str) -> Option<Addr> {
        self.slots().iter().find(|s| s.name == name).map(|s| s.addr)
    }
    /// The name of the node at `addr`.
    pub fn name_of(&self, addr: Addr) -> String {
        self.slot(addr).name.clone()
    }
    /// Every node's address, in the order they were added.
    pub fn addrs(&self) -> Vec<Addr> {
        self.slots().iter().map(|s| s.addr).collect()
    }
    /// Whether the node is running.
    pub fn is_up(&self, addr: Addr) -> bool {
        self.slot(addr).state().up
    }
    /// Runs `f` on the node's machine if it is up, and returns what `f` returns.
    /// For inspection by the harness (convergence checks, final state).
    pub fn with_machine<R>(&self, addr: Addr, f: impl FnOnce(&M) -> R) -> Option<R> {
        let slot = self.slot(addr);
        let st = slot.state();
        st.machine.as_ref().map(f)
    }
    /// Delivers an external input to the node. Returns false (and drops the
    /// input) if the node is down.
    pub fn input(&self, addr: Addr, input: M::Input) -> bool {
        let slot = self.slot(addr);
        let st = slot.state();
        match (&st.inbox, st.up) {
            (Some(tx), true) => tx.unbounded_send(Inbound::Input(input)).is_ok(),
            _ => false,
        }
    }
    fn node_id(&self, slot: &Slot<M>) -> NodeId {
        slot.node.lock().expect("node lock").expect("node built")
    }
}
