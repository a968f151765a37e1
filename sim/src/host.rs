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
//! - **Clean shutdown**: disks are synced, then the node stops. Nothing is lost.
//! - **Boot**: the machine is rebuilt by its factory, told whether this is a
//!   [`Boot::Crash`], [`Boot::Clean`] or [`Boot::First`] boot, and reads its
//!   state back from its own disks.
//! - **Panics** inside a machine are caught, written to the trace as a
//!   finding ([`kind::NODE_PANIC`]) and handled as a crash of that node, which
//!   reboots after [`PANIC_REBOOT_DELAY`]. A node that panics on
//!   [`MAX_BOOT_PANICS`] boots in a row stays down ([`kind::NODE_GAVE_UP`]);
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
use crate::lineage::{CopyOf, EndCause, Lineage};
use crate::net::{Counts, Effect, Impairment, Links, NetFaults};
use crate::time::SimTime;
use crate::trace::{kind, Tracer, Value};
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// Encodes a message as the engine sends it over the simulated network.
pub fn encode<M: Serialize>(msg: &M) -> Vec<u8> {
    postcard::to_allocvec(msg).expect("messages always encode")
}

/// Decodes a message the engine received; `None` if the bytes were garbled
/// (the message is then dropped, as a checksum would drop it).
pub fn decode<M: DeserializeOwned>(bytes: &[u8]) -> Option<M> {
    postcard::from_bytes(bytes).ok()
}

/// Seals an encoded frame with an end-to-end checksum (8 bytes appended).
pub fn seal(mut frame: Vec<u8>) -> Vec<u8> {
    let sum = xxhash_rust::xxh3::xxh3_64(&frame);
    frame.extend_from_slice(&sum.to_le_bytes());
    frame
}

/// The payload of a sealed frame, or `None` if its checksum fails (the
/// frame was garbled in transit).
pub fn unseal(frame: &[u8]) -> Option<&[u8]> {
    let split = frame.len().checked_sub(8)?;
    let (payload, sum) = frame.split_at(split);
    let sum = u64::from_le_bytes(sum.try_into().ok()?);
    (xxhash_rust::xxh3::xxh3_64(payload) == sum).then_some(payload)
}

/// The address of a node in a cluster: its index, stable for the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr(pub u32);

impl Addr {
    fn socket(self) -> SocketAddr {
        let i = self.0 + 1;
        let ip = Ipv4Addr::new(10, (i >> 16) as u8, (i >> 8) as u8, i as u8);
        SocketAddr::new(IpAddr::V4(ip), PORT)
    }

    fn from_socket(s: SocketAddr) -> Option<Addr> {
        match s.ip() {
            IpAddr::V4(ip) => {
                let [_, a, b, c] = ip.octets();
                let i = (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c);
                i.checked_sub(1).map(Addr)
            }
            IpAddr::V6(_) => None,
        }
    }
}

/// What a power loss destroyed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrashSummary {
    /// Unsynced writes dropped whole.
    pub dropped: usize,
    /// Unsynced writes torn (a prefix of their sectors kept).
    pub torn: usize,
}

/// Why a machine is booting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boot {
    /// The first boot of the run, on disks prepared before faults start.
    First,
    /// After a clean shutdown: every write the node made is on its disks.
    Clean,
    /// After a crash or a caught panic: unsynced writes are gone.
    Crash,
}

impl Boot {
    /// The stable name used in the trace.
    pub fn name(self) -> &'static str {
        match self {
            Boot::First => "first",
            Boot::Clean => "clean",
            Boot::Crash => "crash",
        }
    }
}

/// The simulation clock, relative to the start of the run.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: madsim::time::Instant,
}

impl Clock {
    /// A clock whose zero is now. Call inside the simulation.
    pub fn start() -> Self {
        Clock {
            start: madsim::time::Instant::now(),
        }
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        SimTime::from(madsim::time::Instant::now().duration_since(self.start))
    }

    /// The runtime's instant of simulated time `t`, to the millisecond.
    pub fn instant(&self, t: SimTime) -> madsim::time::Instant {
        self.start + t.as_duration()
    }

    /// Sleeps until simulated time `t` (returns at once if it has passed).
    pub async fn sleep_until(&self, t: SimTime) {
        let now = self.now();
        if t > now {
            madsim::time::sleep(t.since(now)).await;
        }
    }
}

/// A model of one node: a state machine apart from its I/O.
pub trait Machine: Send + 'static {
    /// The messages nodes of this cluster exchange.
    type Msg: Serialize + DeserializeOwned + Send + 'static;
    /// Inputs from outside the network (a user's action, an operator's command).
    type Input: Send + 'static;

    /// The node booted; its state must come from its disks.
    fn boot(&mut self, boot: Boot, io: &mut Io<'_, Self::Msg>);
    /// A message arrived from `from`.
    fn on_message(&mut self, from: Addr, msg: Self::Msg, io: &mut Io<'_, Self::Msg>);
    /// The timer set under `key` fired.
    fn on_timer(&mut self, key: u64, io: &mut Io<'_, Self::Msg>);
    /// An external input arrived.
    fn on_input(&mut self, input: Self::Input, io: &mut Io<'_, Self::Msg>);
}

/// What one step of a machine may do: read the time, send, set timers, and
/// write to the trace and the copy lineage.
pub struct Io<'a, M> {
    now: SimTime,
    node: &'a str,
    me: Addr,
    tracer: &'a Tracer,
    lineage: &'a Lineage,
    sends: Vec<(Addr, M)>,
    timers: Vec<(u64, Option<SimTime>)>,
    buggify: Option<&'a Buggify>,
}

impl<'a, M> Io<'a, M> {
    /// An I/O context for a step at `now` of the node `node` (`me`). The
    /// engine makes these; tests of a machine make them directly.
    pub fn new(
        now: SimTime,
        node: &'a str,
        me: Addr,
        tracer: &'a Tracer,
        lineage: &'a Lineage,
    ) -> Self {
        Io {
            now,
            node,
            me,
            tracer,
            lineage,
            sends: Vec::new(),
            timers: Vec::new(),
            buggify: None,
        }
    }

    /// This context with `buggify` answering [`Io::sometimes`].
    pub fn with_buggify(mut self, buggify: &'a Buggify) -> Self {
        self.buggify = Some(buggify);
        self
    }

    /// Whether the rare path at `site` is taken now (see [`Buggify`]):
    /// never when the run has no buggify or the site is inactive this run,
    /// and then nothing is drawn; else with probability `p`.
    pub fn sometimes(&self, site: &'static str, p: f64) -> bool {
        self.buggify.is_some_and(|b| b.sometimes(site, p))
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        self.node
    }

    /// This node's address.
    pub fn me(&self) -> Addr {
        self.me
    }

    /// Sends `msg` to `to` once the step ends. Delivery is up to the network.
    pub fn send(&mut self, to: Addr, msg: M) {
        self.sends.push((to, msg));
    }

    /// Fires `on_timer(key)` after `after`, replacing any timer under `key`.
    pub fn set_timer(&mut self, key: u64, after: Duration) {
        self.timers.push((key, Some(self.now.after(after))));
    }

    /// Cancels the timer under `key`, if any.
    pub fn cancel_timer(&mut self, key: u64) {
        self.timers.push((key, None));
    }

    /// Writes an event about this node to the trace.
    pub fn trace(&self, kind: &'static str, fields: Vec<(&'static str, Value)>) {
        self.tracer.emit(self.now, self.node, kind, fields);
    }

    /// The copy lineage registry, to record copies created and ended.
    pub fn lineage(&self) -> &Lineage {
        self.lineage
    }

    /// Records that a durable copy of `version` of `record` now exists on `store`.
    pub fn copy_created(&self, store: &str, record: &str, version: &str) {
        self.lineage
            .created(self.now, self.node, store, record, version);
    }

    /// Records that the copy of `version` of `record` on `store` ended.
    pub fn copy_ended(&self, store: &str, record: &str, version: &str, cause: EndCause) {
        self.lineage.ended(
            self.now,
            self.node,
            CopyOf {
                store,
                record,
                version,
            },
            cause,
            None,
        );
    }

    /// The messages and timers this step produced (for tests of machines).
    pub fn into_outputs(self) -> Outputs<M> {
        Outputs {
            sends: self.sends,
            timers: self.timers,
        }
    }
}

/// What one machine step produced.
pub struct Outputs<M> {
    /// Messages to send, in order: (destination, message).
    pub sends: Vec<(Addr, M)>,
    /// Timer changes, in order: (key, new deadline, or None to cancel).
    pub timers: Vec<(u64, Option<SimTime>)>,
}

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

/// What a step watch is shown of one machine step: the node, the trace
/// events the step wrote (its own and its lineage's) and the messages it is
/// about to send.
pub struct StepSeen<'a, Msg> {
    /// The node's name.
    pub node: &'a str,
    /// The node's address.
    pub addr: Addr,
    tracer: &'a Tracer,
    first_event: usize,
    /// The messages the step sends, in order, not yet sent.
    pub sends: &'a [(Addr, Msg)],
}

impl<Msg> StepSeen<'_, Msg> {
    /// The events the step wrote, in order (copied when asked for, so a
    /// watch that needs only the messages costs nothing more).
    pub fn events(&self) -> Vec<crate::trace::Event> {
        self.tracer.with(|t| {
            t.events()
                .get(self.first_event..)
                .unwrap_or_default()
                .to_vec()
        })
    }
}

/// A step watch: called after every machine step, outside every lock.
pub type StepWatch<Msg> = Arc<dyn Fn(StepSeen<'_, Msg>) + Send + Sync>;

struct Slot<M: Machine> {
    name: String,
    addr: Addr,
    disks: Vec<(String, DiskHandle)>,
    factory: Factory<M>,
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

thread_local! {
    static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// Installs (once per process) a panic hook that stays silent for panics
/// caught inside machine steps and defers to the previous hook otherwise.
fn install_quiet_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

impl<M: Machine> Cluster<M> {
    /// An empty cluster. Call inside the simulation (`Runtime::block_on`);
    /// it spawns the supervisor that reboots nodes whose machines panicked.
    pub fn new(clock: Clock, tracer: Tracer, lineage: Lineage) -> Self {
        install_quiet_panic_hook();
        let (tx, mut rx) = mpsc::unbounded::<Control>();
        let cluster = Cluster {
            shared: Arc::new(Shared {
                clock,
                tracer,
                lineage,
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

    /// Power loss: fence the node's disks, drop (or tear) their unsynced
    /// writes, kill the node. `fault` names the planned fault, if any.
    /// No-op if the node is already down. Returns how many unsynced writes
    /// were dropped and torn.
    pub fn crash(&self, addr: Addr, mode: CrashMode, fault: Option<u32>) -> CrashSummary {
        let slot = self.slot(addr);
        let mut summary = CrashSummary::default();
        if !slot.state().up {
            return summary;
        }
        for (_, d) in &slot.disks {
            lock_disk(d).fence();
        }
        let now = self.now();
        // The machine goes while its disks are fenced: whatever its drop
        // tries to write (an engine's clean close) fails, as after a power cut.
        self.drop_machine(&slot);
        for (name, d) in &slot.disks {
            let mut disk = lock_disk(d);
            let report = disk.crash(mode.clone());
            summary.dropped += report.dropped_writes();
            summary.torn += report.torn_writes();
            for effect in disk.take_effects() {
                self.trace_disk_effect(now, name, &effect, fault);
            }
        }
        Handle::current().kill(self.node_id(&slot));
        {
            let mut st = slot.state();
            st.machine = None;
            st.up = false;
            st.inbox = None;
        }
        let mut fields =
            crate::fields!["dropped_writes" => summary.dropped, "torn_writes" => summary.torn];
        if let Some(f) = fault {
            fields.push(("fault", f.into()));
        }
        self.shared
            .tracer
            .emit(now, &slot.name, kind::NODE_CRASH, fields);
        summary
    }

    /// Writes to the trace the disk faults that took effect during a step
    /// of the node, blaming the planned fault that last struck it, and marks
    /// that fault effective.
    fn trace_step_effects(&self, slot: &Slot<M>, now: SimTime) {
        for (name, d) in &slot.disks {
            let effects = lock_disk(d).take_effects();
            if effects.is_empty() {
                continue;
            }
            let blame = self.shared.lineage.blame_of(&slot.name);
            for effect in &effects {
                self.trace_disk_effect(now, name, effect, blame);
                if let (Some(f), Some(k)) = (blame, effect.kind()) {
                    let why = format!("{k} took effect on {name}");
                    self.shared.lineage.mark_effective(now, &slot.name, f, &why);
                }
            }
        }
    }

    /// Clean shutdown: sync the node's disks and stop it. Nothing is lost.
    /// No-op if the node is down.
    pub fn shutdown(&self, addr: Addr) {
        let slot = self.slot(addr);
        if !slot.state().up {
            return;
        }
        // The machine goes first, so that an engine closes cleanly; then the
        // disks are synced.
        self.drop_machine(&slot);
        for (_, d) in &slot.disks {
            // A failed sync at shutdown is a disk fault already in the trace.
            let _ = lock_disk(d).shutdown();
        }
        Handle::current().kill(self.node_id(&slot));
        {
            let mut st = slot.state();
            st.machine = None;
            st.up = false;
            st.inbox = None;
        }
        self.shared
            .tracer
            .emit(self.now(), &slot.name, kind::NODE_SHUTDOWN, vec![]);
    }

    /// Ends the run, once everything its output needs has been read: every
    /// node's disks are fenced and its machine dropped (as at a power cut,
    /// so nothing a machine's drop would write, such as an engine's clean
    /// close, reaches a disk), and the nodes' inboxes and the supervisor's
    /// channel are closed. Nothing is traced. Without it the machines
    /// outlive the simulation: madsim does not drop the tasks still
    /// pending when its runtime ends, and the cluster's tasks hold the
    /// cluster, so every seed would leak its machines (a handset's SQLite
    /// connection, page cache and registered VFS among them). What those
    /// tasks still hold (the disks' handles, the tracer) is not released
    /// here. Afterwards the cluster runs nothing.
    pub fn end(&self) {
        let slots: Vec<Arc<Slot<M>>> = self
            .shared
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for slot in &slots {
            for (_, d) in &slot.disks {
                lock_disk(d).fence();
            }
            let (machine, inbox) = {
                let mut st = slot.state();
                st.up = false;
                (st.machine.take(), st.inbox.take())
            };
            drop(inbox);
            QUIET_PANICS.with(|q| q.set(true));
            // A panic while closing is the machine's last act: the run's
            // output is already taken, so it has nowhere to go.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop(machine)));
            QUIET_PANICS.with(|q| q.set(false));
        }
        self.shared.control.close_channel();
    }

    /// Boots a node that is down; `boot` tells its machine why. No-op if up,
    /// or if it gave up after panicking on every boot (unless `force`).
    pub fn boot(&self, addr: Addr, boot: Boot, force: bool) {
        let slot = self.slot(addr);
        {
            let mut st = slot.state();
            if st.up || (st.gave_up && !force) {
                return;
            }
            if force {
                st.gave_up = false;
                st.boot_panics = 0;
            }
            st.up = true;
            st.next_boot = boot;
        }
        Handle::current().restart(self.node_id(&slot));
    }

    /// Cuts the node off the network in both directions (an offline handset).
    pub fn isolate(&self, addr: Addr) {
        let slot = self.slot(addr);
        NetSim::current().clog_node(self.node_id(&slot));
        self.shared.tracer.emit(
            self.now(),
            &slot.name,
            kind::NET_PARTITION,
            crate::fields!["scope" => "node"],
        );
    }

    /// Cuts the links between `a` and `b`, both directions.
    pub fn partition(&self, a: Addr, b: Addr) {
        let (sa, sb) = (self.slot(a), self.slot(b));
        let (ia, ib) = (self.node_id(&sa), self.node_id(&sb));
        let net = NetSim::current();
        net.clog_link(ia, ib);
        net.clog_link(ib, ia);
        self.shared.tracer.emit(
            self.now(),
            &sa.name,
            kind::NET_PARTITION,
            crate::fields!["scope" => "link", "peer" => &sb.name],
        );
    }

    /// Lifts every partition and isolation involving the node, and every
    /// network fault ([`Cluster::net_fault`]) on a link of the node.
    pub fn heal_network(&self, addr: Addr) {
        let slot = self.slot(addr);
        let id = self.node_id(&slot);
        let net = NetSim::current();
        net.unclog_node(id);
        let lifted = self.net().clear_node(addr);
        for (fault, c) in lifted {
            self.trace_net_end(fault, c, "healed");
        }
        for other in self.slots() {
            let oid = self.node_id(&other);
            if oid != id {
                net.unclog_link(id, oid);
                net.unclog_link(oid, id);
            }
        }
        self.shared
            .tracer
            .emit(self.now(), &slot.name, kind::NET_HEAL, vec![]);
    }

    /// Replaces a device with a blank one (device loss). Ends every copy on
    /// it in the lineage, naming `fault`. The node using it is not crashed
    /// here: callers crash it first when the loss takes the node down.
    pub fn lose_device(&self, device: &str, disk: &DiskHandle, fault: Option<u32>) -> usize {
        let now = self.now();
        lock_disk(disk).replace_blank();
        let mut fields = crate::fields!["device" => device];
        if let Some(f) = fault {
            fields.push(("fault", f.into()));
        }
        self.shared
            .tracer
            .emit(now, device, kind::DISK_REPLACED, fields);
        self.shared
            .lineage
            .store_ended(now, device, device, EndCause::DeviceLost, fault)
            .len()
    }

    /// Writes a disk fault effect to the trace.
    pub fn trace_disk_effect(
        &self,
        at: SimTime,
        device: &str,
        effect: &FaultEffect,
        fault: Option<u32>,
    ) {
        let (name, sectors) = match effect {
            FaultEffect::None => return,
            FaultEffect::Applied { kind, sectors } => (*kind, Some(sectors)),
            FaultEffect::Armed { kind } => (*kind, None),
        };
        let mut fields = crate::fields!["fault_kind" => name];
        if let Some(sectors) = sectors {
            let list: Vec<String> = sectors.iter().map(u64::to_string).collect();
            fields.push(("sectors", list.join(",").into()));
        }
        if matches!(effect, FaultEffect::Armed { .. }) {
            fields.push(("armed", true.into()));
        }
        if let Some(f) = fault {
            fields.push(("fault", f.into()));
        }
        self.shared
            .tracer
            .emit(at, device, kind::DISK_FAULT, fields);
    }

    /// Drops the node's machine with panics caught: an engine that panics
    /// while closing is a finding, never a crash of the harness.
    fn drop_machine(&self, slot: &Slot<M>) {
        let Some(machine) = slot.state().machine.take() else {
            return;
        };
        QUIET_PANICS.with(|q| q.set(true));
        let result = std::panic::catch_unwind(AssertUnwindSafe(move || drop(machine)));
        QUIET_PANICS.with(|q| q.set(false));
        if let Err(p) = result {
            let message = format!("while closing: {}", panic_message(p.as_ref()));
            self.shared.tracer.emit(
                self.now(),
                &slot.name,
                kind::NODE_PANIC,
                crate::fields!["message" => message],
            );
        }
    }

    /// Seals every frame sent from now on with an end-to-end checksum (or
    /// stops sealing): a sealed frame garbled in transit is dropped on
    /// receipt (`net.frame-rejected`), never decoded.
    pub fn set_sealed_frames(&self, sealed: bool) {
        self.shared.sealed.store(sealed, Ordering::Relaxed);
    }

    /// Puts a network fault in force: `imp` on every frame crossing `links`,
    /// drawing from `seed`, under plan id `fault`, until [`Cluster::end_net_fault`]
    /// or [`Cluster::heal_net_faults`].
    pub fn net_fault(&self, fault: u32, links: Links, imp: Impairment, seed: u64) {
        self.net().add(fault, links, imp, seed);
    }

    /// Lifts the network fault `fault`; traces what it did (`net.fault-ended`).
    pub fn end_net_fault(&self, fault: u32) {
        let counts = self.net().remove(fault);
        if let Some(c) = counts {
            self.trace_net_end(fault, c, "ended");
        }
    }

    /// Lifts every network fault and drops every frame still held in
    /// transit; traces what each fault did (`net.fault-ended`).
    pub fn heal_net_faults(&self) {
        self.shared.net_generation.fetch_add(1, Ordering::Relaxed);
        let ended = self.net().clear();
        for (fault, c) in ended {
            self.trace_net_end(fault, c, "healed");
        }
    }

    fn net(&self) -> MutexGuard<'_, NetFaults> {
        self.shared
            .net
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn trace_net_end(&self, fault: u32, c: Counts, how: &str) {
        self.shared.tracer.emit(
            self.now(),
            "network",
            kind::NET_FAULT_ENDED,
            crate::fields![
                "fault" => fault,
                "how" => how,
                "dropped" => c.dropped,
                "duplicated" => c.duplicated,
                "held" => c.held,
                "delayed" => c.delayed,
                "corrupted" => c.corrupted
            ],
        );
    }

    /// Passes a frame `slot` sends to `to` through the network faults:
    /// returns the copies to send now; copies held in transit go to the
    /// supervisor. Every effect but a partition's drop is traced; every
    /// fault that changed a frame is marked effective.
    fn route(&self, slot: &Slot<M>, to: Addr, frame: Vec<u8>) -> Vec<Vec<u8>> {
        let route = {
            let mut net = self.net();
            if net.is_empty() {
                return vec![frame];
            }
            net.route(slot.addr, to, frame)
        };
        let now = self.now();
        let peer = self.slot(to).name.clone();
        for e in &route.effects {
            let (kind, mut fields) = match e {
                Effect::Cut { .. } => (None, Vec::new()),
                Effect::Dropped { .. } => (Some(kind::NET_DROPPED), Vec::new()),
                Effect::Duplicated { lag, .. } => (
                    Some(kind::NET_DUPLICATED),
                    crate::fields!["lag_ms" => lag.as_millis() as u64],
                ),
                Effect::Held { hold, .. } => (
                    Some(kind::NET_HELD),
                    crate::fields!["hold_ms" => hold.as_millis() as u64],
                ),
                Effect::Delayed { delay, .. } => (
                    Some(kind::NET_DELAYED),
                    crate::fields!["delay_ms" => delay.as_millis() as u64],
                ),
                Effect::Corrupted { bytes, .. } => {
                    (Some(kind::NET_CORRUPTED), crate::fields!["bytes" => *bytes])
                }
            };
            if let Some(kind) = kind {
                fields.push(("to", peer.as_str().into()));
                fields.push(("fault", e.fault().into()));
                self.shared.tracer.emit(now, &slot.name, kind, fields);
            }
            let why = match e {
                Effect::Cut { .. } => "cut a link a message was sent on",
                _ => "changed a message in transit",
            };
            self.shared
                .lineage
                .mark_effective(now, &slot.name, e.fault(), why);
        }
        let generation = self.shared.net_generation.load(Ordering::Relaxed);
        let mut now_frames = Vec::new();
        for (after, frame) in route.deliveries {
            if after.is_zero() {
                now_frames.push(frame);
            } else {
                let _ = self.shared.control.unbounded_send(Control::Hold {
                    after,
                    from: slot.addr,
                    to,
                    frame,
                    generation,
                });
            }
        }
        now_frames
    }

    /// Delivers a frame held in transit, unless the faults were healed since
    /// it was held, a partition now cuts its link, or its receiver is down.
    fn deliver_held(&self, from: Addr, to: Addr, frame: Vec<u8>, generation: u64) {
        if self.shared.net_generation.load(Ordering::Relaxed) != generation {
            return;
        }
        if self.net().cut_by(from, to).is_some() {
            return;
        }
        let slot = self.slot(to);
        let st = slot.state();
        if let (Some(tx), true) = (&st.inbox, st.up) {
            let _ = tx.unbounded_send(Inbound::Net(from, frame));
        }
    }

    /// Decodes a frame `slot` received from `from`; a sealed frame whose
    /// checksum fails, or a frame that does not decode, is dropped and traced.
    fn unframe<T: DeserializeOwned>(&self, slot: &Slot<M>, from: Addr, frame: &[u8]) -> Option<T> {
        let reject = |why: &str| {
            let peer = self.slot(from).name.clone();
            self.shared.tracer.emit(
                self.now(),
                &slot.name,
                kind::NET_FRAME_REJECTED,
                crate::fields!["from" => peer, "why" => why],
            );
        };
        let payload = if self.shared.sealed.load(Ordering::Relaxed) {
            let Some(p) = unseal(frame) else {
                reject("checksum");
                return None;
            };
            p
        } else {
            frame
        };
        let msg = decode::<T>(payload);
        if msg.is_none() {
            reject("does not decode");
        }
        msg
    }

    fn handle_panic(&self, addr: Addr) {
        let slot = self.slot(addr);
        self.crash(addr, CrashMode::DropUnsynced, None);
        let give_up = slot.state().boot_panics >= MAX_BOOT_PANICS;
        if give_up {
            slot.state().gave_up = true;
            self.shared
                .tracer
                .emit(self.now(), &slot.name, kind::NODE_GAVE_UP, vec![]);
            return;
        }
        let cluster = self.clone();
        madsim::task::spawn(async move {
            madsim::time::sleep(PANIC_REBOOT_DELAY).await;
            cluster.boot(addr, Boot::Crash, false);
        });
    }

    /// Runs one machine step with panics caught, then shows it to the step
    /// watch. Returns false if it panicked (the panic is in the trace and
    /// the supervisor has been told) or the watch crashed the node.
    fn step(
        &self,
        slot: &Slot<M>,
        timers: &mut BTreeMap<u64, SimTime>,
        sends: &mut Vec<(Addr, M::Msg)>,
        f: impl FnOnce(&mut M, &mut Io<'_, M::Msg>),
    ) -> bool {
        let now = self.now();
        let watch = self
            .shared
            .watch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let first_event = if watch.is_some() {
            self.shared.tracer.len()
        } else {
            0
        };
        let mut st = slot.state();
        let Some(machine) = st.machine.as_mut() else {
            return true;
        };
        let mut io = Io::new(
            now,
            &slot.name,
            slot.addr,
            &self.shared.tracer,
            &self.shared.lineage,
        );
        if let Some(b) = self.shared.buggify.get() {
            io = io.with_buggify(b);
        }
        QUIET_PANICS.with(|q| q.set(true));
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(machine, &mut io)));
        QUIET_PANICS.with(|q| q.set(false));
        if !slot.disks.is_empty() {
            self.trace_step_effects(slot, now);
        }
        match result {
            Ok(()) => {
                let out = io.into_outputs();
                drop(st);
                if let Some(watch) = watch {
                    watch(StepSeen {
                        node: &slot.name,
                        addr: slot.addr,
                        tracer: &self.shared.tracer,
                        first_event,
                        sends: &out.sends,
                    });
                    if !slot.state().up {
                        // Crashed by the watch: nothing of the step leaves.
                        return false;
                    }
                }
                sends.extend(out.sends);
                for (key, at) in out.timers {
                    match at {
                        Some(at) => timers.insert(key, at),
                        None => timers.remove(&key),
                    };
                }
                true
            }
            Err(p) => {
                drop(st);
                for (_, d) in &slot.disks {
                    lock_disk(d).fence();
                }
                self.drop_machine(slot);
                self.shared.tracer.emit(
                    now,
                    &slot.name,
                    kind::NODE_PANIC,
                    crate::fields!["message" => panic_message(p.as_ref())],
                );
                let _ = self
                    .shared
                    .control
                    .unbounded_send(Control::Panic(slot.addr));
                false
            }
        }
    }

    async fn node_main(&self, slot: Arc<Slot<M>>) {
        let ep = match Endpoint::bind(slot.addr.socket()).await {
            Ok(ep) => Arc::new(ep),
            Err(e) => panic!("{}: cannot bind {}: {e}", slot.name, slot.addr.socket()),
        };
        let (tx, mut rx) = mpsc::unbounded();
        let boot = {
            let mut st = slot.state();
            st.inbox = Some(tx.clone());
            st.machine = Some((slot.factory)());
            st.next_boot
        };
        let receiver = ep.clone();
        madsim::task::spawn(async move {
            while let Ok((payload, from)) = receiver.recv_from_raw(TAG).await {
                let (Ok(bytes), Some(from)) =
                    (payload.downcast::<Vec<u8>>(), Addr::from_socket(from))
                else {
                    continue;
                };
                if tx.unbounded_send(Inbound::Net(from, *bytes)).is_err() {
                    break;
                }
            }
        });
        self.shared.tracer.emit(
            self.now(),
            &slot.name,
            kind::NODE_BOOT,
            crate::fields!["boot" => boot.name()],
        );
        let mut timers: BTreeMap<u64, SimTime> = BTreeMap::new();
        let mut sends = Vec::new();
        if !self.step(&slot, &mut timers, &mut sends, |m, io| m.boot(boot, io)) {
            {
                let mut st = slot.state();
                if st.up {
                    // A panic (a crash by the step watch leaves it down instead).
                    st.boot_panics += 1;
                }
            }
            return futures::future::pending().await;
        }
        slot.state().boot_panics = 0;
        // The sleep for the earliest timer, kept across wake-ups while that
        // timer stays the earliest, so that a message does not register a
        // new timer with the runtime every time it arrives. A timer fires at
        // its simulated millisecond exactly.
        let mut armed: Option<(SimTime, u64, std::pin::Pin<Box<madsim::time::Sleep>>)> = None;
        loop {
            for (to, msg) in sends.drain(..) {
                let mut frame = encode(&msg);
                if self.shared.sealed.load(Ordering::Relaxed) {
                    frame = seal(frame);
                }
                for frame in self.route(&slot, to, frame) {
                    // A send to a node that is down or cut off is simply lost.
                    let _ = ep.send_to_raw(to.socket(), TAG, Box::new(frame)).await;
                }
            }
            let next = timers
                .iter()
                .min_by_key(|(k, t)| (**t, **k))
                .map(|(k, t)| (*k, *t));
            let inbound = match next {
                Some((key, at)) => {
                    if armed.as_ref().map(|(t, k, _)| (*t, *k)) != Some((at, key)) {
                        let deadline = self.shared.clock.instant(at);
                        armed = Some((at, key, Box::pin(madsim::time::sleep_until(deadline))));
                    }
                    let (_, _, sleep) = armed.as_mut().expect("armed just above");
                    // Messages first, as a timeout around the receive would.
                    match futures::future::select(rx.next(), sleep.as_mut()).await {
                        futures::future::Either::Left((x, _)) => x,
                        futures::future::Either::Right(_) => {
                            armed = None;
                            timers.remove(&key);
                            if !self
                                .step(&slot, &mut timers, &mut sends, |m, io| m.on_timer(key, io))
                            {
                                return futures::future::pending().await;
                            }
                            continue;
                        }
                    }
                }
                None => rx.next().await,
            };
            let ok = match inbound {
                None => return futures::future::pending().await,
                Some(Inbound::Net(from, bytes)) => {
                    let Some(msg) = self.unframe::<M::Msg>(&slot, from, &bytes) else {
                        continue;
                    };
                    self.shared.messages.fetch_add(1, Ordering::Relaxed);
                    self.step(&slot, &mut timers, &mut sends, |m, io| {
                        m.on_message(from, msg, io)
                    })
                }
                Some(Inbound::Input(input)) => {
                    self.step(&slot, &mut timers, &mut sends, |m, io| {
                        m.on_input(input, io)
                    })
                }
            };
            if !ok {
                return futures::future::pending().await;
            }
        }
    }
}
