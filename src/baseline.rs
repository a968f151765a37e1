//! The baseline: a minimal hand-written discrete-event loop that drives the
//! very same models as the harness, for an honest measure of what the engine
//! costs.
//!
//! It builds the topology [`crate::world`] builds (sync server, primary and
//! backup databases, operator, one handset per user, each on its own
//! simulated disk), feeds the users' edits from the same drawn [`Workload`]
//! through [`Machine::on_input`], and carries every message the models send
//! encoded with postcard, as the engine does, with a latency drawn uniformly
//! from 1 to 10 ms (madsim's default) by a ChaCha8 generator. Timers replace
//! each other per key, as the engine's do. After the safety phase every node
//! shuts down cleanly and boots from its disk, and the loop runs until every
//! handset and the server agree or the heal bound passes, as the world does.
//!
//! What it leaves out is what it is a baseline for: no faults, no madsim (no
//! tasks, no futures, no endpoints, no per-node executors), no panics caught.
//! The trace, the copy lineage and the ledger are the same objects the
//! harness uses, so the models do the same work per step in both.

use crate::places;
use crate::scenario::Scenario;
use crate::system;
use models::design::Design;
use models::msg::{Input, Msg};
use models::node::Node;
use models::record::{RecordId, VersionId};
use models::workload::Workload;
use rand::RngExt;
use sim::host::{lock_disk, Addr, Boot, DiskHandle, Io, Machine};
use sim::ledger::LedgerHandle;
use sim::lineage::Lineage;
use sim::rng::Rng;
use sim::time::SimTime;
use sim::trace::{Trace, Tracer};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

/// Message latency, in nanoseconds: madsim's default range, 1 ms to 10 ms.
const LATENCY_NS: std::ops::Range<u64> = 1_000_000..10_000_000;
const NS_PER_MS: u64 = 1_000_000;

/// What a baseline run did.
#[derive(Clone, Debug)]
pub struct BaselineOutput {
    /// Messages delivered to machines.
    pub messages: u64,
    /// Events popped off the queue (deliveries, timers, edits, checks).
    pub events: u64,
    /// The trace the models wrote.
    pub trace: Trace,
    /// Whether every handset and the server converged during heal.
    pub converged: bool,
    /// Simulated time when the run stopped.
    pub end: SimTime,
}

enum Event {
    Deliver {
        to: Addr,
        from: Addr,
        bytes: Vec<u8>,
    },
    Timer {
        node: Addr,
        key: u64,
        at: SimTime,
        life: u32,
    },
    Edit {
        addr: Addr,
        record: RecordId,
        version: VersionId,
        creates: bool,
        deletes: bool,
    },
    Check,
}

struct Scheduled {
    at_ns: u64,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at_ns, self.seq) == (other.at_ns, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    /// Reversed: the max-heap pops the earliest event, ties in push order.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at_ns, other.seq).cmp(&(self.at_ns, self.seq))
    }
}

type Factory = Box<dyn Fn() -> Node + Send + Sync>;

struct Host {
    name: String,
    disks: Vec<DiskHandle>,
    factory: Factory,
    machine: Node,
    timers: BTreeMap<u64, SimTime>,
    /// Bumped at every boot: timers of an earlier life never fire.
    life: u32,
}

struct Loop {
    now_ns: u64,
    seq: u64,
    queue: BinaryHeap<Scheduled>,
    hosts: Vec<Host>,
    rng: Rng,
    tracer: Tracer,
    lineage: Lineage,
    ledger: LedgerHandle,
    messages: u64,
    events: u64,
}

impl Loop {
    fn now(&self) -> SimTime {
        SimTime(self.now_ns / NS_PER_MS)
    }

    fn push(&mut self, at_ns: u64, event: Event) {
        self.seq += 1;
        self.queue.push(Scheduled {
            at_ns,
            seq: self.seq,
            event,
        });
    }

    fn add(&mut self, name: String, disks: Vec<DiskHandle>, factory: Factory) -> Addr {
        let addr = Addr(self.hosts.len() as u32);
        self.hosts.push(Host {
            name,
            disks,
            machine: factory(),
            factory,
            timers: BTreeMap::new(),
            life: 0,
        });
        addr
    }

    /// One step of the machine at `addr`, then its sends and timers.
    fn step(&mut self, addr: Addr, f: impl FnOnce(&mut Node, &mut Io<'_, Msg>)) {
        let now = self.now();
        let host = &mut self.hosts[addr.0 as usize];
        let mut io = Io::new(
            now,
            &host.name,
            addr,
            &self.tracer,
            &self.lineage,
            &self.ledger,
        );
        f(&mut host.machine, &mut io);
        let out = io.into_outputs();
        let life = host.life;
        for (key, at) in out.timers {
            match at {
                Some(at) => {
                    host.timers.insert(key, at);
                    self.seq += 1;
                    self.queue.push(Scheduled {
                        at_ns: at.as_millis() * NS_PER_MS,
                        seq: self.seq,
                        event: Event::Timer {
                            node: addr,
                            key,
                            at,
                            life,
                        },
                    });
                }
                None => {
                    host.timers.remove(&key);
                }
            }
        }
        for (to, msg) in out.sends {
            let bytes = sim::host::encode(&msg);
            let at = self.now_ns + self.rng.random_range(LATENCY_NS);
            self.push(
                at,
                Event::Deliver {
                    to,
                    from: addr,
                    bytes,
                },
            );
        }
    }

    fn boot(&mut self, addr: Addr, boot: Boot) {
        let host = &mut self.hosts[addr.0 as usize];
        host.life += 1;
        host.timers.clear();
        host.machine = (host.factory)();
        self.step(addr, |m, io| m.boot(boot, io));
    }

    /// Handles one event.
    fn handle(&mut self, event: Event) {
        match event {
            Event::Deliver { to, from, bytes } => {
                let Some(msg) = sim::host::decode::<Msg>(&bytes) else {
                    return;
                };
                self.messages += 1;
                self.step(to, |m, io| m.on_message(from, msg, io));
            }
            Event::Timer {
                node,
                key,
                at,
                life,
            } => {
                let host = &mut self.hosts[node.0 as usize];
                if host.life != life || host.timers.get(&key) != Some(&at) {
                    return;
                }
                host.timers.remove(&key);
                self.step(node, |m, io| m.on_timer(key, io));
            }
            Event::Edit {
                addr,
                record,
                version,
                creates,
                deletes,
            } => {
                let input = Input::Edit {
                    record,
                    version,
                    creates,
                    deletes,
                };
                self.step(addr, |m, io| m.on_input(input, io));
            }
            Event::Check => {}
        }
    }
}

/// Runs `workload` on the system `scenario` and `design` describe, with no
/// faults, on the hand-written loop; `seed` drives the message latencies.
pub fn run(scenario: &Scenario, design: &Design, workload: &Workload, seed: u64) -> BaselineOutput {
    let tracer = Tracer::new();
    let lineage = Lineage::new(tracer.clone());
    let system = system::build(scenario, design);
    let ledger = LedgerHandle::new();
    ledger.inform(&lineage);
    let mut ev = Loop {
        now_ns: 0,
        seq: 0,
        queue: BinaryHeap::new(),
        hosts: Vec::new(),
        rng: sim::rng::from_seed(seed),
        tracer: tracer.clone(),
        lineage,
        ledger,
        messages: 0,
        events: 0,
    };
    let handsets = scenario.topology.handsets;
    for spec in system.nodes {
        let disks = spec.disks.into_iter().map(|(_, d)| d).collect();
        ev.add(spec.name, disks, spec.factory);
    }
    for a in 0..ev.hosts.len() as u32 {
        ev.boot(Addr(a), Boot::First);
    }
    let end_ns = scenario.run.duration.as_nanos() as u64;
    let portals = workload
        .portals
        .iter()
        .filter(|_| system::has_portals(scenario))
        .map(|hw| (system::portal_addr(handsets, hw.handset), hw));
    let writers = workload
        .handsets
        .iter()
        .map(|hw| (system::handset_addr(hw.handset), hw))
        .chain(portals);
    for (addr, hw) in writers.filter(|(_, hw)| hw.handset < handsets) {
        for e in hw
            .edits
            .iter()
            .filter(|e| e.at.as_millis() * NS_PER_MS < end_ns)
        {
            let edit = Event::Edit {
                addr,
                record: e.record,
                version: e.version,
                creates: e.creates,
                deletes: e.deletes,
            };
            ev.push(e.at.as_millis() * NS_PER_MS, edit);
        }
    }

    // Safety phase: the workload, no faults.
    while ev.queue.peek().is_some_and(|s| s.at_ns < end_ns) {
        let s = ev.queue.pop().expect("peeked");
        ev.now_ns = s.at_ns;
        ev.events += 1;
        ev.handle(s.event);
    }
    ev.now_ns = end_ns;

    // Heal: every node shuts down cleanly and boots from its disk; then
    // wait for convergence, checking every `converge_check`.
    for a in 0..ev.hosts.len() as u32 {
        for d in &ev.hosts[a as usize].disks {
            let _ = lock_disk(d).shutdown();
        }
        ev.boot(Addr(a), Boot::Clean);
    }
    let check_ns = (scenario.run.converge_check.as_nanos() as u64).max(1);
    let deadline_ns = end_ns + scenario.run.heal_bound.as_nanos() as u64;
    ev.push(end_ns + check_ns, Event::Check);
    let mut converged = false;
    while let Some(s) = ev.queue.pop() {
        ev.now_ns = s.at_ns;
        ev.events += 1;
        if matches!(s.event, Event::Check) {
            if is_converged(&ev.hosts, handsets, system::has_portals(scenario)) {
                converged = true;
                break;
            }
            if ev.now_ns >= deadline_ns {
                break;
            }
            ev.push(ev.now_ns + check_ns, Event::Check);
        } else {
            ev.handle(s.event);
        }
    }
    BaselineOutput {
        messages: ev.messages,
        events: ev.events,
        trace: tracer.snapshot(),
        converged,
        end: ev.now(),
    }
}

/// Whether every user's places agree, as the world judges it
/// ([`places::all_agree`]).
fn is_converged(hosts: &[Host], handsets: u32, portals: bool) -> bool {
    places::all_agree(&system::places(handsets, portals), |p, a| {
        system::shows(&hosts[a.0 as usize].machine, p)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world;

    #[test]
    fn drives_the_same_models_and_workload_to_convergence() {
        let scenario = Scenario::load("sidekick-2009", &["topology.handsets=4".into()])
            .expect("catalogue scenario");
        let design = scenario.design(Some("hardened")).expect("preset");
        let workload = world::draw_workload(&scenario, 1);
        let a = run(&scenario, &design, &workload, 1);
        assert!(a.converged, "no faults: handsets and server agree");
        assert!(a.messages > 0);
        let saved = a
            .trace
            .events()
            .iter()
            .filter(|e| e.kind == sim::trace::EngineEvent::AckSaved)
            .count();
        let edits: usize = workload.handsets.iter().map(|h| h.edits.len()).sum();
        assert!(
            saved > 0 && saved <= edits,
            "{saved} saved of {edits} edits"
        );
        let b = run(&scenario, &design, &workload, 1);
        assert_eq!(a.trace.hash(), b.trace.hash(), "deterministic");
        assert_eq!(a.messages, b.messages);
    }
}
