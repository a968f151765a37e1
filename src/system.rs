//! The system a scenario and a design describe: every node with its disks
//! and the factory that rebuilds its machine at each boot, every volume and
//! the failure domain it lives in, and the ghost ledger the users write.
//!
//! The world runs these nodes on madsim; the baseline event loop runs the
//! very same ones. Nodes come in a fixed order, which is their address:
//! the sync server, the primary, the backup, the operator, then handsets,
//! then (when the workload has portal edits) each user's web portal.

use crate::inject::Volume;
use crate::places;
use crate::scenario::Scenario;
use crate::topology;
use models::clock::Rtc;
use models::database::{Database, Role};
use models::design::Design;
use models::handset::{Handset, HandsetConfig};
use models::node::Node;
use models::operator::{Operator, OperatorConfig};
use models::record::{served_view, RecordId, Row};
use models::server::Server;
use sim::disk::{Disk, DiskConfig};
use sim::host::{disk_handle, Addr, DiskHandle};
use sim::place::{Place, PlaceKind, View};

pub use harness::system::NodeSpec;

/// The sync server's address.
pub const SERVER: Addr = Addr(0);
/// The primary database's address.
pub const PRIMARY: Addr = Addr(1);
/// The backup database's address.
pub const BACKUP: Addr = Addr(2);
/// The operator's address.
pub const OPERATOR: Addr = Addr(3);

/// The address of the first handset; handset `i` is at `FIRST_HANDSET + i`.
const FIRST_HANDSET: u32 = 4;

/// Handset `i`'s address.
pub fn handset_addr(i: u32) -> Addr {
    Addr(FIRST_HANDSET + i)
}

/// The address of user `u`'s web portal in a run of `handsets` handsets.
pub fn portal_addr(handsets: u32, u: u32) -> Addr {
    Addr(FIRST_HANDSET + handsets + u)
}

/// Whether `scenario` runs web portals (its workload has portal edits).
pub fn has_portals(scenario: &Scenario) -> bool {
    scenario.workload.portal_edits_per_user_day > 0.0
}

/// The handset index at `addr`, if `addr` is one of `handsets` handsets.
pub fn handset_of(addr: Addr, handsets: u32) -> Option<u32> {
    addr.0.checked_sub(FIRST_HANDSET).filter(|u| *u < handsets)
}

/// Every simulated device's size in bytes: 256 MiB. Disks are sparse, so
/// size costs nothing until written; a bound keeps a corrupted length field
/// (say, redb's) from asking for more memory than a run can have.
const DEVICE_BYTES: u64 = 256 << 20;

/// The whole system of one run.
pub struct System {
    /// Every node, in address order.
    pub nodes: Vec<NodeSpec<Node>>,
    /// Every volume faults can hit: databases first, then handsets in order.
    pub volumes: Vec<Volume>,
    /// Each handset's clock, in handset order (faults move them).
    pub clocks: Vec<Rtc>,
}

fn disk(scenario: &Scenario) -> DiskHandle {
    let sector_size = scenario.system.sector_size;
    disk_handle(Disk::new(DiskConfig {
        sector_size,
        sectors: DEVICE_BYTES / sector_size as u64,
    }))
}

fn volume(device: String, domain: &str, disk: &DiskHandle, node: Addr, name: &str) -> Volume {
    Volume {
        device,
        domain: domain.to_string(),
        disk: disk.clone(),
        node,
        node_name: name.to_string(),
    }
}

/// Builds the system `scenario` and `design` describe, on blank disks: the
/// sync server, the databases, the operator, the handsets, then the
/// portals, in address order.
pub fn build(scenario: &Scenario, design: &Design) -> System {
    let mut system = System {
        nodes: vec![server(design)],
        volumes: Vec::new(),
        clocks: Vec::new(),
    };
    add_databases(&mut system, scenario, design);
    system.nodes.push(operator(scenario, design));
    add_handsets(&mut system, scenario, design);
    if has_portals(scenario) {
        for u in 0..scenario.topology.handsets {
            system.nodes.push(portal(scenario, design, u));
        }
    }
    system
}

/// The sync server: no disk of its own.
fn server(design: &Design) -> NodeSpec<Node> {
    let design = design.clone();
    NodeSpec {
        name: topology::SERVER.into(),
        domain: topology::SERVER.into(),
        disks: vec![],
        factory: Box::new(move || Node::Server(Server::new(PRIMARY, design.clone()))),
    }
}

/// The primary database on array A and the backup on the design's array,
/// each with its volume.
fn add_databases(system: &mut System, scenario: &Scenario, design: &Design) {
    let engine = scenario.engine;
    let databases = [
        (
            topology::DB_PRIMARY,
            PRIMARY,
            topology::primary_volume(),
            topology::ARRAY_A,
            Role::Primary {
                backup: BACKUP,
                interval: scenario.system.backup_interval,
                offset: scenario.system.backup_offset,
            },
        ),
        (
            topology::DB_BACKUP,
            BACKUP,
            topology::backup_volume(design),
            topology::backup_array(design),
            Role::Backup,
        ),
    ];
    for (name, addr, device, array, role) in databases {
        let (d, dk) = (design.clone(), disk(scenario));
        system
            .volumes
            .push(volume(device.clone(), array, &dk, addr, name));
        let store = device.clone();
        system.nodes.push(NodeSpec {
            name: name.into(),
            domain: array.into(),
            disks: vec![(device, dk.clone())],
            factory: Box::new(move || {
                Node::Database(Database::new(
                    role.clone(),
                    d.clone(),
                    store.clone(),
                    dk.clone(),
                    engine,
                ))
            }),
        });
    }
}

/// The operator, who keeps snapshots on a disk of its own.
fn operator(scenario: &Scenario, design: &Design) -> NodeSpec<Node> {
    let cfg = OperatorConfig {
        primary: PRIMARY,
        backup: BACKUP,
        primary_array: topology::ARRAY_A.to_string(),
        snapshot_store: topology::SNAPSHOTS.to_string(),
    };
    let (d, sd) = (design.clone(), disk(scenario));
    NodeSpec {
        name: topology::OPERATOR.into(),
        domain: topology::OPERATOR.into(),
        disks: vec![(topology::SNAPSHOTS.to_string(), sd.clone())],
        factory: Box::new(move || {
            Node::Operator(Operator::new(cfg.clone(), d.clone(), sd.clone()))
        }),
    }
}

/// One handset per user, each with its flash volume and its clock.
fn add_handsets(system: &mut System, scenario: &Scenario, design: &Design) {
    for i in 0..scenario.topology.handsets {
        let rtc = Rtc::new();
        system.clocks.push(rtc.clone());
        let cfg = handset_config(scenario, i, topology::flash(i), rtc);
        let (name, dk) = (topology::handset(i), disk(scenario));
        let store = cfg.store.clone();
        system
            .volumes
            .push(volume(store, &name, &dk, handset_addr(i), &name));
        system.nodes.push(handset_node(name, cfg, design, dk));
    }
}

/// User `u`'s web portal: a handset-like client with its own store, out of
/// reach of the faults (no volume, a clock no fault moves).
fn portal(scenario: &Scenario, design: &Design, u: u32) -> NodeSpec<Node> {
    let cfg = handset_config(scenario, u, topology::portal_store(u), Rtc::new());
    let name = topology::portal(u);
    handset_node(name, cfg, design, disk(scenario))
}

/// The configuration of user `user`'s client storing into `store`.
fn handset_config(scenario: &Scenario, user: u32, store: String, rtc: Rtc) -> HandsetConfig {
    HandsetConfig {
        user,
        server: SERVER,
        store,
        sync_interval: scenario.workload.sync_interval,
        sync_after_edit: scenario.workload.sync_after_edit,
        exchange_timeout: scenario.workload.exchange_timeout,
        rtc,
        engine: scenario.handset_engine,
    }
}

/// A handset node named `name` (its own failure domain), on disk `dk`.
fn handset_node(
    name: String,
    cfg: HandsetConfig,
    design: &Design,
    dk: DiskHandle,
) -> NodeSpec<Node> {
    let d = design.clone();
    NodeSpec {
        domain: name.clone(),
        name,
        disks: vec![(cfg.store.clone(), dk.clone())],
        factory: Box::new(move || Node::Handset(Handset::new(cfg.clone(), d.clone(), dk.clone()))),
    }
}

/// A user's handset: what the user reads on the phone.
pub const HANDSET_PLACE: PlaceKind = PlaceKind {
    code: 0,
    name: "handset",
    reference: false,
};
/// The server's rows of a user: the place every other converges to.
pub const SERVER_PLACE: PlaceKind = PlaceKind {
    code: 1,
    name: "server",
    reference: true,
};
/// A user's web portal (runs whose workload has portal edits).
pub const PORTAL_PLACE: PlaceKind = PlaceKind {
    code: 2,
    name: "portal",
    reference: false,
};

/// Where each of `handsets` users reads, in the order verdicts list them:
/// handset, server, then portal (when `portals`), user by user, each with
/// the address of the node serving it.
pub fn places(handsets: u32, portals: bool) -> Vec<(Place, Addr)> {
    let mut out = Vec::new();
    for user in 0..handsets {
        let at = |kind| Place {
            user,
            kind,
            index: user,
        };
        out.push((at(HANDSET_PLACE), handset_addr(user)));
        out.push((at(SERVER_PLACE), PRIMARY));
        if portals {
            out.push((at(PORTAL_PLACE), portal_addr(handsets, user)));
        }
    }
    out
}

/// What `node` shows at `place` now, all that convergence compares
/// ([`places::shown`] of [`served`], read without copying or verifying a
/// row; `None`: down, or a primary that is not serving).
pub fn shows(node: &Node, place: Place) -> Option<places::Shows> {
    fn of<'a>(rows: impl Iterator<Item = (&'a RecordId, &'a Row)>) -> places::Shows {
        rows.filter(|(_, row)| !row.deleted)
            .map(|(r, row)| {
                let copies = row.conflicts.iter().map(|c| c.version).collect();
                ((*r).into(), (row.version, copies))
            })
            .collect()
    }
    match node {
        Node::Handset(h) if !place.kind.reference => Some(of(h.rows())),
        Node::Database(d) if place.kind.reference && d.serving() => Some(of(d.rows_of(place.user))),
        _ => None,
    }
}

/// What `node` serves at `place` now, in the harness's terms (`None`:
/// down, or a primary that is not serving).
pub fn served(node: &Node, place: Place) -> Option<View> {
    match node {
        Node::Handset(h) if !place.kind.reference => Some(served_view(&h.view())),
        Node::Database(d) if place.kind.reference && d.serving() => {
            Some(served_view(&d.view(place.user)))
        }
        _ => None,
    }
}

/// The Sidekick system through the harness's trait: the scenario is its
/// own section, its designs are the presets, and its nodes, workload and
/// places are the ones above.
impl harness::system::System for Scenario {
    type Node = Node;
    type Design = Design;

    fn designs() -> Vec<(&'static str, Design)> {
        Design::PRESETS
            .into_iter()
            .filter_map(|p| Some((p, Design::preset(p)?)))
            .collect()
    }

    fn nodes(&self, design: &Design) -> Vec<NodeSpec<Node>> {
        build(self, design).nodes
    }

    fn workload(
        &self,
        seeds: &sim::rng::Seeds,
        duration: std::time::Duration,
    ) -> Vec<harness::system::UserAction<models::msg::Input>> {
        let cfg = self.workload.config();
        let drawn = models::workload::Workload::draw(seeds, self.topology.handsets, &cfg, duration);
        crate::fault_model::actions(&drawn, self.topology.handsets, has_portals(self))
    }

    fn places(&self) -> Vec<(Place, Addr)> {
        places(self.topology.handsets, has_portals(self))
    }

    fn served(node: &Node, place: Place) -> Option<View> {
        served(node, place)
    }

    fn shows(node: &Node, place: Place) -> Option<places::Shows> {
        shows(node, place)
    }
}
