//! A fleet of clients that edit notes in bursts and push them to one
//! server, written only against the harness's public API, with one bug
//! planted per swarm dimension (each a design of its own). Each bug shows
//! only when that dimension takes a value its scenario does not set:
//!
//! - `burst-bug` (workload shape, `system.burst`): the client's write
//!   buffer holds five edits of a burst; a sixth is acknowledged and
//!   dropped.
//! - `timing-bug` (timing, `system.sync_interval_s`): the server commits
//!   pushes every 30 s into one slot per client, so a client's second push
//!   within one window replaces its first's rows, though both are
//!   acknowledged.
//! - `topology-bug` (topology, `system.clients`): the server's table was
//!   sized for two clients; the third's rows are acknowledged and dropped.
//! - `crash-bug` (a generic fault rate, `faults.crash_per_node_day`): the
//!   server's store counts its recoveries in two bits; the third recovery
//!   from a crash wraps it and opens an empty store.
//!
//! `careful` has none of them. A client keeps every edit until the server
//! acknowledges that very edit, then trusts the server's copy (an
//! acknowledgement carries the user's rows as the server holds them).
//! Shared cells stand in for disks no fault here strikes.
#![allow(dead_code)] // each test crate uses part of it

use lastcopy_harness::case::Case;
use lastcopy_harness::checker::situation::OwnSituation;
use lastcopy_harness::plan::swarm::{SwarmKey, SwarmRange};
use lastcopy_harness::scenario::Source;
use lastcopy_harness::sim::host::{Addr, Boot, Io, Machine};
use lastcopy_harness::sim::ledger::Write;
use lastcopy_harness::sim::place::{Place, PlaceKind, Served, View};
use lastcopy_harness::sim::record::{RecordId, RecordKind, VersionId};
use lastcopy_harness::sim::rng::Seeds;
use lastcopy_harness::sim::time::SimTime;
use lastcopy_harness::system::{NodeSpec, System, UserAction};
use lastcopy_harness::world::Output;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NOTE: RecordKind = RecordKind::new(0, "note");
/// The client's sync timer.
const SYNC: u64 = 0;
/// The server's commit timer.
const COMMIT: u64 = 1;
/// How often the server commits what was pushed.
const COMMIT_EVERY: Duration = Duration::from_secs(30);
/// How long a client waits for an acknowledgement before it pushes again.
const RETRY_AFTER: Duration = Duration::from_secs(90);
/// Seconds between the edits of one burst.
const EDIT_GAP_S: u64 = 10;
/// Bursts per client per day.
const BURSTS_PER_DAY: f64 = 8.0;

fn record(user: u32, n: u32) -> RecordId {
    RecordId {
        owner: user,
        kind: NOTE,
        n,
    }
}

/// Note `n` of `user`'s content: distinct for every note of every user.
fn content(user: u32, n: u32) -> u64 {
    (u64::from(user) << 32) | u64::from(n)
}

fn version(user: u32, n: u32) -> VersionId {
    VersionId {
        writer: user,
        seq: n + 1,
    }
}

/// The `[system]` section.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fleet {
    /// Clients, one user each.
    pub clients: u32,
    /// Edits per burst.
    pub burst: u32,
    /// Seconds between a client's pushes.
    pub sync_interval_s: u64,
}

/// Which bug the fleet carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Design {
    /// None.
    Careful,
    /// The sixth edit of a burst is dropped.
    BurstBug,
    /// A second push within a commit window replaces the first's rows.
    TimingBug,
    /// The third client's rows are dropped.
    TopologyBug,
    /// The server's third recovery from a crash opens an empty store.
    CrashBug,
}

/// An edit: note `n` of the client's user, the `nth` of its burst.
pub struct Edit {
    n: u32,
    nth: u32,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Msg {
    /// A client's new notes.
    Push { user: u32, rows: Vec<u32> },
    /// The server committed `rows`; `all` is every note of the user it holds.
    Ack { rows: Vec<u32>, all: Vec<u32> },
}

/// A client's notes: those it holds, and those the server has not
/// acknowledged.
#[derive(Default)]
pub struct Notes {
    held: BTreeSet<u32>,
    dirty: BTreeSet<u32>,
}

/// The server's store, and how often it recovered from a crash.
#[derive(Default)]
pub struct Store {
    rows: BTreeSet<(u32, u32)>,
    recoveries: u32,
}

pub enum Node {
    Client {
        user: u32,
        server: Addr,
        every: Duration,
        design: Design,
        notes: Arc<Mutex<Notes>>,
        in_flight: BTreeMap<u32, SimTime>,
    },
    Server {
        design: Design,
        store: Arc<Mutex<Store>>,
        pending: Vec<(Addr, u32, Vec<u32>)>,
    },
}

impl Machine for Node {
    type Msg = Msg;
    type Input = Edit;
    fn boot(&mut self, boot: Boot, io: &mut Io<'_, Msg>) {
        match self {
            Node::Client { every, .. } => io.set_timer(SYNC, *every),
            Node::Server { design, store, .. } => {
                let mut store = store.lock().unwrap();
                store.recoveries += u32::from(boot == Boot::Crash);
                if *design == Design::CrashBug && store.recoveries == 3 {
                    store.rows.clear();
                }
                io.set_timer(COMMIT, COMMIT_EVERY);
            }
        }
    }
    fn on_message(&mut self, from: Addr, msg: Msg, io: &mut Io<'_, Msg>) {
        match (self, msg) {
            (Node::Server { pending, .. }, Msg::Push { user, rows }) => {
                pending.push((from, user, rows));
            }
            (
                Node::Client {
                    user,
                    notes,
                    in_flight,
                    ..
                },
                Msg::Ack { rows, all },
            ) => {
                let mut notes = notes.lock().unwrap();
                for n in rows {
                    in_flight.remove(&n);
                    if notes.dirty.remove(&n) {
                        io.told_synced(record(*user, n), version(*user, n));
                    }
                }
                let dirty = notes.dirty.clone();
                notes.held = all.into_iter().chain(dirty).collect();
            }
            _ => {}
        }
    }
    fn on_timer(&mut self, _: u64, io: &mut Io<'_, Msg>) {
        match self {
            Node::Client {
                user,
                server,
                every,
                notes,
                in_flight,
                ..
            } => {
                let now = io.now();
                let rows: Vec<u32> = notes
                    .lock()
                    .unwrap()
                    .dirty
                    .iter()
                    .copied()
                    .filter(|n| {
                        in_flight
                            .get(n)
                            .is_none_or(|at| now >= at.after(RETRY_AFTER))
                    })
                    .collect();
                if !rows.is_empty() {
                    rows.iter().for_each(|n| {
                        in_flight.insert(*n, now);
                    });
                    io.send(*server, Msg::Push { user: *user, rows });
                }
                io.set_timer(SYNC, *every);
            }
            Node::Server {
                design,
                store,
                pending,
            } => {
                let mut store = store.lock().unwrap();
                for (i, (from, user, rows)) in pending.iter().enumerate() {
                    let replaced = pending[i + 1..].iter().any(|(f, _, _)| f == from);
                    if *design == Design::TimingBug && replaced {
                        continue;
                    }
                    if *design == Design::TopologyBug && *user >= 2 {
                        continue;
                    }
                    store.rows.extend(rows.iter().map(|n| (*user, *n)));
                }
                for (from, user, rows) in pending.drain(..) {
                    let all = store
                        .rows
                        .range((user, 0)..=(user, u32::MAX))
                        .map(|(_, n)| *n)
                        .collect();
                    io.send(from, Msg::Ack { rows, all });
                }
                io.set_timer(COMMIT, COMMIT_EVERY);
            }
        }
    }
    fn on_input(&mut self, e: Edit, io: &mut Io<'_, Msg>) {
        let Node::Client {
            user,
            design,
            notes,
            ..
        } = self
        else {
            return;
        };
        let (r, v) = (record(*user, e.n), version(*user, e.n));
        io.wrote(r, v, Write::edit(None, content(*user, e.n)));
        io.told_saved(r, v);
        if *design == Design::BurstBug && e.nth > 5 {
            return;
        }
        let mut notes = notes.lock().unwrap();
        notes.held.insert(e.n);
        notes.dirty.insert(e.n);
    }
}

fn view(user: u32, notes: impl Iterator<Item = u32>) -> View {
    notes
        .map(|n| {
            let served = Served {
                version: version(user, n),
                deleted: false,
                content: content(user, n),
                genuine: true,
                conflicts: vec![],
            };
            (record(user, n), served)
        })
        .collect()
}

const CLIENT: PlaceKind = PlaceKind {
    code: 0,
    name: "client",
    reference: false,
};
const SERVER: PlaceKind = PlaceKind {
    code: 1,
    name: "server",
    reference: true,
};

/// A client that wrote six notes within a minute: a burst long enough to
/// overflow a buffer of five. Read from the ledger alone.
fn long_burst(output: &Output) -> u64 {
    let mut by_writer: BTreeMap<u32, Vec<SimTime>> = BTreeMap::new();
    for ((_, v), e) in output.ledger.entries() {
        by_writer.entry(v.writer).or_default().push(e.written_at);
    }
    by_writer
        .values_mut()
        .map(|times| {
            times.sort();
            times
                .windows(6)
                .filter(|w| w[5] <= w[0].after(Duration::from_secs(60)))
                .count() as u64
        })
        .sum()
}

/// Swarm key `key`, an integer from `min` to `max`.
const fn integer(key: &'static str, min: i64, max: i64) -> SwarmKey {
    SwarmKey {
        key,
        range: SwarmRange::Integer { min, max },
    }
}

impl System for Fleet {
    type Node = Node;
    type Design = Design;
    fn designs() -> Vec<(&'static str, Design)> {
        vec![
            ("careful", Design::Careful),
            ("burst-bug", Design::BurstBug),
            ("timing-bug", Design::TimingBug),
            ("topology-bug", Design::TopologyBug),
            ("crash-bug", Design::CrashBug),
        ]
    }
    fn nodes(&self, design: &Design) -> Vec<NodeSpec<Node>> {
        let (design, server) = (*design, Addr(self.clients));
        let every = Duration::from_secs(self.sync_interval_s);
        let mut nodes: Vec<NodeSpec<Node>> = (0..self.clients)
            .map(|user| {
                let notes = Arc::new(Mutex::new(Notes::default()));
                let name = format!("client-{user}");
                NodeSpec::new(&name, &name, vec![], move || Node::Client {
                    user,
                    server,
                    every,
                    design,
                    notes: notes.clone(),
                    in_flight: BTreeMap::new(),
                })
            })
            .collect();
        let store = Arc::new(Mutex::new(Store::default()));
        nodes.push(NodeSpec::new("server", "rack", vec![], move || {
            Node::Server {
                design,
                store: store.clone(),
                pending: Vec::new(),
            }
        }));
        nodes
    }
    fn workload(&self, seeds: &Seeds, duration: Duration) -> Vec<UserAction<Edit>> {
        let mut actions = Vec::new();
        for user in 0..self.clients {
            let mut rng = seeds.keyed("fleet/bursts", user);
            let (mut at, mut n) = (0.0, 0);
            loop {
                let u: f64 = rng.random_range(f64::EPSILON..1.0);
                at += -u.ln() * 86_400.0 / BURSTS_PER_DAY;
                if at >= duration.as_secs_f64() {
                    break;
                }
                for nth in 1..=self.burst {
                    let gap = Duration::from_secs(EDIT_GAP_S * u64::from(nth - 1));
                    actions.push(UserAction {
                        at: Duration::from_secs_f64(at) + gap,
                        node: Addr(user),
                        input: Edit { n, nth },
                    });
                    n += 1;
                }
            }
        }
        actions
    }
    fn places(&self) -> Vec<(Place, Addr)> {
        let at = |user, kind| Place {
            user,
            kind,
            index: user,
        };
        (0..self.clients)
            .flat_map(|u| {
                [
                    (at(u, CLIENT), Addr(u)),
                    (at(u, SERVER), Addr(self.clients)),
                ]
            })
            .collect()
    }
    fn served(node: &Node, place: Place) -> Option<View> {
        match node {
            Node::Client { user, notes, .. } if place.kind == CLIENT => {
                Some(view(*user, notes.lock().unwrap().held.iter().copied()))
            }
            Node::Server { store, .. } if place.kind == SERVER => {
                let user = place.user;
                let store = store.lock().unwrap();
                let rows = store.rows.range((user, 0)..=(user, u32::MAX));
                Some(view(user, rows.map(|(_, n)| *n)))
            }
            _ => None,
        }
    }
    fn swarm_keys() -> &'static [SwarmKey] {
        const KEYS: [SwarmKey; 3] = [
            integer("clients", 1, 4),
            integer("burst", 1, 8),
            integer("sync_interval_s", 5, 300),
        ];
        &KEYS
    }
    fn situations() -> &'static [OwnSituation] {
        &[OwnSituation {
            name: "long-burst",
            levers: &["system.burst"],
            count: long_burst,
        }]
    }
}

/// The fleet's scenario: two clients, bursts of three, a push every two
/// minutes, for two days; `faults` and `more` are added to its sections.
pub fn source(faults: &str, more: &str) -> Source {
    Source::new(
        "fleet.toml",
        format!(
            "name = \"fleet\"\n{more}\n[run]\nduration = \"2d\"\nheal_bound = \"6h\"\n\
             [faults]\n{faults}\n[system]\nclients = 2\nburst = 3\nsync_interval_s = 120\n"
        ),
    )
}

/// The fleet's scenario under `design`, with `overrides`.
pub fn case(source: &Source, design: &str, overrides: &[String]) -> Case<Fleet> {
    Case::load(source, overrides, design).unwrap()
}
