//! A small key-value system written only against lastcopy's public harness
//! API: one client per user and one server, each with a disk of its own.
//!
//! Users put new versions of their keys on their client; the client keeps
//! them in an append-only log ([`log`]) and syncs them with the server
//! ([`msg`]), which keeps every user's rows in a log of its own. Two
//! designs: `hardened` syncs before it acknowledges and keeps the client's
//! copy until the server shows it; `naive` acknowledges before its writes
//! are durable and then trusts the server.
//!
//! Addresses: client `U` is `Addr(U)` (node `client-U`, failure domain
//! `client-U`); the server is `Addr(clients)` (node `server`, domain
//! `rack-a`).
#![deny(missing_docs)]

pub mod client;
pub mod log;
pub mod msg;
pub mod server;
pub mod store;

use client::Client;
use lastcopy_harness::plan::swarm::{SwarmKey, SwarmRange};
use lastcopy_harness::scenario::{ensure, Check, KeyPath};
use lastcopy_harness::sim::host::{Addr, Boot, Io, Machine};
use lastcopy_harness::sim::place::{Place, PlaceKind, View};
use lastcopy_harness::sim::record::{RecordId, RecordKind, VersionId};
use lastcopy_harness::sim::rng::Seeds;
use lastcopy_harness::system::{blank_disk, NodeSpec, System, UserAction};
use msg::Msg;
use rand::RngExt;
use serde::Deserialize;
use server::Server;
use std::time::Duration;

/// The one kind of record: a user's key.
pub const KEY: RecordKind = RecordKind::new(0, "key");
/// A user's client, as a place.
pub const CLIENT_PLACE: PlaceKind = PlaceKind {
    code: 0,
    name: "client",
    reference: false,
};
/// The server's rows of a user, as a place: the reference.
pub const SERVER_PLACE: PlaceKind = PlaceKind {
    code: 1,
    name: "server",
    reference: true,
};
/// The timer key of a node's periodic sync.
pub const SYNC_TIMER: u64 = 1;

/// Record `u{owner}/key-{key}`.
pub fn record(owner: u32, key: u32) -> RecordId {
    RecordId {
        owner,
        kind: KEY,
        n: key,
    }
}

/// The content fingerprint of `version` of `record`: what its writer wrote,
/// the same wherever it is stored.
pub fn fingerprint(record: RecordId, version: VersionId) -> u64 {
    let mut bytes = Vec::with_capacity(16);
    for n in [record.owner, record.n, version.writer, version.seq] {
        bytes.extend_from_slice(&n.to_le_bytes());
    }
    xxhash_rust::xxh3::xxh3_64_with_seed(&bytes, u64::from(record.kind.code))
}

/// The `[system]` section of a scenario.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KvStore {
    /// How many users, each with one client.
    pub clients: u32,
    /// Puts per client per simulated day, on average (Poisson arrivals).
    pub writes_per_client_day: f64,
    /// How many keys each user puts to (drawn uniformly).
    pub keys_per_client: u32,
    /// Seconds between a client's syncs (and the naive server's flushes).
    pub sync_interval_s: u64,
}

impl Default for KvStore {
    /// 3 clients, 40 puts a day over 8 keys, syncing every 30 s.
    fn default() -> Self {
        KvStore {
            clients: 3,
            writes_per_client_day: 40.0,
            keys_per_client: 8,
            sync_interval_s: 30,
        }
    }
}

/// How the system acknowledges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Design {
    /// Durable before acknowledged; the client keeps its copy and re-pushes.
    Hardened,
    /// Acknowledged before durable; the client then trusts the server.
    Naive,
}

/// A user's put of a new version of key `key`.
#[derive(Clone, Copy, Debug)]
pub struct Put {
    /// The key's number, below `keys_per_client`.
    pub key: u32,
}

/// A node of the system.
pub enum KvNode {
    /// A user's client.
    Client(Client),
    /// The server.
    Server(Server),
}

impl Machine for KvNode {
    type Msg = Msg;
    type Input = Put;

    fn boot(&mut self, boot: Boot, io: &mut Io<'_, Msg>) {
        match self {
            KvNode::Client(c) => c.boot(boot, io),
            KvNode::Server(s) => s.boot(io),
        }
    }

    fn on_message(&mut self, from: Addr, msg: Msg, io: &mut Io<'_, Msg>) {
        match (self, msg) {
            (KvNode::Server(s), Msg::Sync { user, rows }) => s.on_sync(from, user, rows, io),
            (KvNode::Client(c), Msg::State { committed, all }) => c.on_state(committed, all, io),
            _ => {}
        }
    }

    fn on_timer(&mut self, _key: u64, io: &mut Io<'_, Msg>) {
        match self {
            KvNode::Client(c) => c.tick(io),
            KvNode::Server(s) => s.tick(io),
        }
    }

    fn on_input(&mut self, input: Put, io: &mut Io<'_, Msg>) {
        if let KvNode::Client(c) = self {
            c.put(input, io);
        }
    }
}

impl System for KvStore {
    type Node = KvNode;
    type Design = Design;

    fn designs() -> Vec<(&'static str, Design)> {
        vec![("hardened", Design::Hardened), ("naive", Design::Naive)]
    }

    /// Bounds that keep every run finite and every value meaningful: 1 to
    /// 64 clients, at most 10,000 puts a client-day (a year of them
    /// stays in memory), 1 to 10,000 keys, a sync every 1 s to 1 day (a
    /// sync every 0 s would never let time pass).
    fn check(&self) -> Check {
        let at = |key: &str| KeyPath::of(&[key]);
        ensure((1..=64).contains(&self.clients), at("clients"), || {
            format!("{} is not from 1 to 64", self.clients)
        })?;
        let w = self.writes_per_client_day;
        ensure(
            (0.0..=10_000.0).contains(&w),
            at("writes_per_client_day"),
            || format!("{w} is not from 0 to 10000"),
        )?;
        let keys = self.keys_per_client;
        ensure((1..=10_000).contains(&keys), at("keys_per_client"), || {
            format!("{keys} is not from 1 to 10000")
        })?;
        let every = self.sync_interval_s;
        ensure((1..=86_400).contains(&every), at("sync_interval_s"), || {
            format!("{every} is not from 1 to 86400 seconds")
        })
    }

    fn nodes(&self, design: &Design) -> Vec<NodeSpec<KvNode>> {
        let (design, every) = (*design, Duration::from_secs(self.sync_interval_s));
        let server = Addr(self.clients);
        let mut nodes: Vec<NodeSpec<KvNode>> = (0..self.clients)
            .map(|u| {
                let disk = blank_disk();
                let name = format!("client-{u}");
                let d = disk.clone();
                NodeSpec::new(
                    &name,
                    &name,
                    vec![(format!("{name}/flash"), disk)],
                    move || KvNode::Client(Client::new(u, server, design, every, d.clone())),
                )
            })
            .collect();
        let disk = blank_disk();
        let d = disk.clone();
        nodes.push(NodeSpec::new(
            "server",
            "rack-a",
            vec![("server/disk".into(), disk)],
            move || KvNode::Server(Server::new(design, every, d.clone())),
        ));
        nodes
    }

    fn workload(&self, seeds: &Seeds, duration: Duration) -> Vec<UserAction<Put>> {
        let mut actions = Vec::new();
        let mean_gap_s = 86_400.0 / self.writes_per_client_day.max(f64::MIN_POSITIVE);
        for u in 0..self.clients {
            let mut rng = seeds.keyed("kv-workload", u);
            let mut at = 0.0;
            loop {
                let draw: f64 = rng.random_range(f64::EPSILON..1.0);
                at += -draw.ln() * mean_gap_s;
                if at >= duration.as_secs_f64() {
                    break;
                }
                let key = rng.random_range(0..self.keys_per_client.max(1));
                actions.push(UserAction {
                    at: Duration::from_secs_f64(at),
                    node: Addr(u),
                    input: Put { key },
                });
            }
        }
        actions
    }

    fn places(&self) -> Vec<(Place, Addr)> {
        (0..self.clients)
            .flat_map(|u| {
                let at = |kind| Place {
                    user: u,
                    kind,
                    index: u,
                };
                [
                    (at(CLIENT_PLACE), Addr(u)),
                    (at(SERVER_PLACE), Addr(self.clients)),
                ]
            })
            .collect()
    }

    /// A swarm draws the workload's rate and spread and the sync timing;
    /// the number of clients and the design stay the scenario's.
    fn swarm_keys() -> &'static [SwarmKey] {
        &[
            SwarmKey {
                key: "writes_per_client_day",
                range: SwarmRange::Real {
                    min: 5.0,
                    max: 200.0,
                },
            },
            SwarmKey {
                key: "keys_per_client",
                range: SwarmRange::Integer { min: 1, max: 16 },
            },
            SwarmKey {
                key: "sync_interval_s",
                range: SwarmRange::Integer { min: 5, max: 300 },
            },
        ]
    }

    fn served(node: &KvNode, place: Place) -> Option<View> {
        match node {
            KvNode::Client(c) if place.kind == CLIENT_PLACE => Some(c.view()),
            KvNode::Server(s) if place.kind == SERVER_PLACE => Some(s.view(place.user)),
            _ => None,
        }
    }
}

/// The guide to bringing your own system, whose code blocks `cargo test`
/// compiles and runs against this crate.
#[doc = include_str!("../../../docs/your-own-system.md")]
pub mod guide {}
