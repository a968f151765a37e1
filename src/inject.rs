//! The fault injector: applies one planned fault to the running system.
//!
//! Each fault kind of `models::fault` maps to engine actions on hosts,
//! disks and the network: power loss, wipes, device replacement, disk
//! faults, and network faults (`sim::net`) on the links of the target. What is left
//! open by the plan (which live sector, how far a write is misdirected) is
//! resolved here from the fault's own resolve seed, and the resolution goes
//! into the trace (`fault.resolved`). The injector never looks at what a
//! design does; it returns the follow-ups a fault sets in motion (reboots,
//! an array coming back), which the world schedules.

use crate::survivable::{Copies, Reach, Survivable};
use crate::topology;
use models::clock::Rtc;
use models::fault::Fault;
use models::incident::{Dropped, Incident};
use models::msg::Input;
use models::node::Node;
use models::record::RecordKind;
use rand::RngExt;
use sim::disk::{CrashMode, DiskFault};
use sim::fields;
use sim::host::{lock_disk, Addr, Boot, Cluster, DiskHandle};
use sim::ledger::LedgerHandle;
use sim::lineage::{EndCause, Lineage};
use sim::net::{Impairment, Links};
use sim::plan::PlannedFault;
use sim::time::SimTime;
use sim::trace::EngineEvent;
use std::time::Duration;

/// A volume: a disk that belongs to a node and lives in a failure domain.
#[derive(Clone)]
pub struct Volume {
    /// The device's name in the trace (`array-a/primary`, `handset-3/flash`).
    pub device: String,
    /// The failure domain (`array-a`, `array-b`, `handset-3`).
    pub domain: String,
    /// The disk.
    pub disk: DiskHandle,
    /// The node that uses it.
    pub node: Addr,
    /// The node's name.
    pub node_name: String,
}

/// What a fault sets in motion, for the world to schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowUp {
    /// Boot the node (a crash boot) at the given time.
    Reboot {
        /// The node.
        addr: Addr,
        /// When.
        at: SimTime,
    },
    /// The array's storage is back: boot its nodes and tell the operator.
    StorageBack {
        /// The array (failure domain).
        array: String,
        /// The fault that took it away.
        fault: u32,
        /// The nodes to boot.
        nodes: Vec<Addr>,
        /// When.
        at: SimTime,
    },
    /// Space is freed on a full disk.
    FreeSpace {
        /// The volume's device name.
        device: String,
        /// When.
        at: SimTime,
    },
    /// A network fault (partition, offline period, bad-network window) ends.
    NetEnd {
        /// The fault's plan id.
        fault: u32,
        /// When.
        at: SimTime,
    },
}

impl FollowUp {
    /// When the follow-up is due.
    pub fn at(&self) -> SimTime {
        match self {
            FollowUp::Reboot { at, .. }
            | FollowUp::StorageBack { at, .. }
            | FollowUp::FreeSpace { at, .. }
            | FollowUp::NetEnd { at, .. } => *at,
        }
    }
}

/// Applies planned faults to one run's cluster.
pub struct Injector<'a> {
    /// The cluster.
    pub cluster: &'a Cluster<Node>,
    /// The ghost ledger (resets forfeit unsynced versions).
    pub ledger: &'a LedgerHandle,
    /// Every volume, databases first, then handsets in order.
    pub volumes: &'a [Volume],
    /// The number of handsets.
    pub handsets: u32,
    /// The operator, told when storage comes back.
    pub operator: Addr,
    /// Each handset's clock, in handset order.
    pub clocks: &'a [Rtc],
    /// The survivable atlas, when the scenario turns it on
    /// (`faults.survivable`): faults land only where a copy survives.
    pub atlas: Option<&'a Survivable>,
}

impl Injector<'_> {
    fn lineage(&self) -> &Lineage {
        self.cluster.lineage()
    }

    fn now(&self) -> SimTime {
        self.cluster.clock().now()
    }

    fn emit(
        &self,
        node: &str,
        kind: impl Into<sim::trace::Kind>,
        fields: Vec<(&'static str, sim::trace::Value)>,
    ) {
        self.cluster.tracer().emit(self.now(), node, kind, fields);
    }

    /// The volume a node uses, by node name.
    fn volume_of(&self, node: &str) -> Option<&Volume> {
        self.volumes.iter().find(|v| v.node_name == node)
    }

    /// The volume with device name `device`.
    pub fn volume(&self, device: &str) -> Option<&Volume> {
        self.volumes.iter().find(|v| v.device == device)
    }

    /// The handset index of node `addr`, if it is a handset.
    fn user_of(&self, addr: Addr) -> Option<u32> {
        crate::system::handset_of(addr, self.handsets)
    }

    /// What the lineage and the ledger say of copies, for the atlas.
    fn copies(&self) -> Copies<'_> {
        Copies {
            lineage: self.lineage(),
            ledger: self.ledger,
        }
    }

    /// The stores `target` holds: an array's volumes, or a node's.
    fn stores_of(&self, target: &str) -> Vec<&str> {
        let is_array = [topology::ARRAY_A, topology::ARRAY_B].contains(&target);
        self.volumes
            .iter()
            .filter(|v| {
                if is_array {
                    v.domain == target
                } else {
                    v.node_name == target
                }
            })
            .map(|v| v.device.as_str())
            .collect()
    }

    /// Whether `f` is its user's own wipe of a handset, which forfeits what
    /// never synced: a factory reset, or the loss of a handset.
    fn forfeits(&self, f: &PlannedFault<Fault>) -> bool {
        let node = self.cluster.addr_of(&f.target);
        matches!(f.kind, Fault::FactoryReset)
            || (matches!(f.kind, Fault::DeviceLoss { .. })
                && node.is_some_and(|a| self.user_of(a).is_some()))
    }

    /// The sectors a sector fault on `v` may land on: those holding data
    /// its node serves, or any written sector when the node is down.
    fn fault_sectors(&self, v: &Volume) -> Vec<u64> {
        let serving = self
            .cluster
            .with_machine(v.node, Node::live_sectors)
            .unwrap_or_default();
        if serving.is_empty() {
            lock_disk(&v.disk).live_sectors()
        } else {
            serving
        }
    }

    /// Which record each sector of `v` holds, if its node keeps a map.
    fn sector_map(&self, v: &Volume) -> Option<Vec<(u64, models::record::RecordId)>> {
        self.cluster
            .with_machine(v.node, Node::sector_records)
            .flatten()
    }

    /// With the survivable atlas on: whether it skips `f` as it fires (the
    /// fault would strike the last copy of acknowledged data), tracing the
    /// skip. Always false with the atlas off.
    pub fn atlas_skips(&self, f: &PlannedFault<Fault>) -> bool {
        let Some(atlas) = self.atlas else {
            return false;
        };
        let stores = self.stores_of(&f.target);
        let reach = Reach::of(&f.kind);
        let copies = self.copies();
        let skip = match (reach, self.volume_of(&f.target)) {
            (Reach::Sector, Some(v)) => {
                let map = self.sector_map(v);
                let live = self.fault_sectors(v);
                atlas.judge_sector(&copies, &v.device, &live, map.as_deref())
            }
            (Reach::Sector, None) => None,
            _ => {
                let first = self
                    .cluster
                    .addr_of(&f.target)
                    .is_some_and(|a| self.user_of(a).is_some());
                atlas.judge(&copies, reach, &stores, self.forfeits(f), first)
            }
        };
        let Some(skip) = skip else {
            if reach != Reach::Sector {
                atlas.struck(&copies, reach, &stores);
            }
            return false;
        };
        let mut fields = fields![
            "fault" => f.id,
            "why" => skip.reason.why(),
            "atlas" => skip.reason.name()
        ];
        if skip.versions > 0 {
            fields.push(("record", skip.record.as_str().into()));
            fields.push(("version", skip.version.as_str().into()));
            fields.push(("versions", skip.versions.into()));
        }
        self.emit(&f.target, EngineEvent::FaultSkipped, fields);
        true
    }

    /// Applies `f` now, and returns what it sets in motion.
    pub fn apply(&self, f: &PlannedFault<Fault>) -> Vec<FollowUp> {
        let target = f.target.as_str();
        let is_array = [topology::ARRAY_A, topology::ARRAY_B].contains(&target);
        let node = self.cluster.addr_of(target);
        if !self.fire(f, node.is_some() || is_array) {
            return Vec::new();
        }
        let later = |ms: u64| self.now().after(Duration::from_millis(ms));
        match (&f.kind, node) {
            (Fault::BotchedUpgrade { downtime_ms, .. }, _) if is_array => {
                let nodes = self.destroy_domain(target, f.id);
                vec![FollowUp::StorageBack {
                    array: target.to_string(),
                    fault: f.id,
                    nodes,
                    at: later(*downtime_ms),
                }]
            }
            (
                Fault::BatteryPull { down_for_ms }
                | Fault::NodeCrash { down_for_ms }
                | Fault::MidSyncPull { down_for_ms, .. },
                Some(addr),
            ) => self.power_loss(
                addr,
                target,
                f.id,
                CrashMode::DropUnsynced,
                later(*down_for_ms),
            ),
            (Fault::TornWrite { down_for_ms }, Some(addr)) => {
                let mode = CrashMode::Tear {
                    seed: f.resolve_seed,
                };
                self.power_loss(addr, target, f.id, mode, later(*down_for_ms))
            }
            (Fault::ClockReset { down_for_ms }, Some(addr)) if self.user_of(addr).is_some() => {
                self.clock_reset(f, addr, later(*down_for_ms))
            }
            (Fault::ClockSkew { skew_ms }, Some(addr)) if self.user_of(addr).is_some() => {
                self.clock_skew(f, addr, *skew_ms);
                Vec::new()
            }
            (Fault::FactoryReset, Some(addr)) if self.user_of(addr).is_some() => {
                self.replace_handset(addr, target, f.id, EndCause::Wiped, "factory reset");
                Vec::new()
            }
            (Fault::DeviceLoss { down_for_ms }, Some(addr)) => {
                self.lose_volume(addr, target, f.id, later(*down_for_ms))
            }
            (Fault::DiskFull { for_ms }, Some(_)) => {
                self.disk_fault(f, target).map_or_else(Vec::new, |device| {
                    vec![FollowUp::FreeSpace {
                        device,
                        at: later(*for_ms),
                    }]
                })
            }
            (Fault::Failover { down_for_ms }, Some(addr)) => {
                self.input_incident(self.operator, target, f.id, Incident::Failover);
                self.lose_volume(addr, target, f.id, later(*down_for_ms))
            }
            (kind, Some(_)) if kind.is_incident() => {
                self.incident(f, target);
                Vec::new()
            }
            (
                Fault::BitRot
                | Fault::LatentSectorError
                | Fault::LostWrite
                | Fault::MisdirectedWrite
                | Fault::SyncFailure,
                Some(_),
            ) => {
                self.disk_fault(f, target);
                Vec::new()
            }
            (kind, Some(addr)) if kind.is_network() => self.network_fault(f, addr),
            _ => {
                self.emit(
                    target,
                    EngineEvent::FaultSkipped,
                    fields!["fault" => f.id, "why" => "kind does not apply to target"],
                );
                Vec::new()
            }
        }
    }

    /// Traces fault `f` as fired (and a near miss, if it is one) when its
    /// target `exists`, and says so; else traces it skipped.
    fn fire(&self, f: &PlannedFault<Fault>, exists: bool) -> bool {
        let target = f.target.as_str();
        if !exists {
            self.emit(
                target,
                EngineEvent::FaultSkipped,
                fields!["fault" => f.id, "why" => "no such target"],
            );
            return false;
        }
        self.emit(
            target,
            EngineEvent::FaultFired,
            fields!["fault" => f.id, "fault_kind" => f.kind.name()],
        );
        // A user's own wipe forfeits what never synced: only synced
        // versions count towards its near misses.
        self.near_miss(f.id, target, self.forfeits(f));
        true
    }

    /// A device's clock is reset to zero by a power loss that takes it down
    /// until `back` (no reset if the device was already down).
    fn clock_reset(&self, f: &PlannedFault<Fault>, addr: Addr, back: SimTime) -> Vec<FollowUp> {
        let target = f.target.as_str();
        let next = self.power_loss(addr, target, f.id, CrashMode::DropUnsynced, back);
        if !next.is_empty() {
            self.clock_of(addr).reset(self.now());
            self.emit(
                target,
                EngineEvent::FaultResolved,
                fields!["fault" => f.id, "clock_ms" => 0u64],
            );
        }
        next
    }

    /// A device's clock jumps by `skew_ms` (back if negative).
    fn clock_skew(&self, f: &PlannedFault<Fault>, addr: Addr, skew_ms: i64) {
        let clock = self.clock_of(addr);
        clock.step(skew_ms);
        let direction = if skew_ms < 0 { "back" } else { "forward" };
        self.emit(
            &f.target,
            EngineEvent::FaultResolved,
            fields![
                "fault" => f.id,
                "skew_ms" => skew_ms.unsigned_abs(),
                "direction" => direction,
                "clock_ms" => clock.read(self.now())
            ],
        );
    }

    /// Traces a near miss if the stores `target` holds (an array's volumes,
    /// or a node's) hold every live copy of some record's latest
    /// acknowledged version as the fault strikes (only synced versions if
    /// the fault `forfeits` the rest).
    fn near_miss(&self, fault: u32, target: &str, forfeits: bool) {
        let stores = self.stores_of(target);
        if stores.is_empty() {
            return;
        }
        let last = self
            .copies()
            .last_on(&stores, forfeits, &Default::default());
        if let Some((record, version)) = last.first() {
            self.emit(
                target,
                EngineEvent::FaultNearMiss,
                fields![
                    "fault" => fault,
                    "record" => record.as_str(),
                    "version" => version.as_str(),
                    "records" => last.len()
                ],
            );
        }
    }

    /// Carries out what a fault set in motion, now.
    pub fn carry_out(&self, next: FollowUp) {
        match next {
            FollowUp::Reboot { addr, .. } => self.cluster.boot(addr, Boot::Crash, false),
            FollowUp::StorageBack {
                array,
                fault,
                nodes,
                ..
            } => self.storage_back(&array, fault, &nodes),
            FollowUp::FreeSpace { device, .. } => self.free_space(&device),
            FollowUp::NetEnd { fault, .. } => self.cluster.end_net_fault(fault),
        }
    }

    /// Puts a network fault in force on the target's links until its end:
    /// a handset's link to the server (every link of it when offline), or
    /// the server's links to the databases. The link set is resolved now
    /// and traced; the fault's resolve seed drives every per-message draw.
    /// The links network fault `kind` strikes at node `addr`, the name of
    /// their class (empty if the kind does not apply there) and the peers
    /// at their other ends; none without a server and both databases.
    fn links_of(&self, kind: &Fault, addr: Addr) -> Option<(Links, &'static str, Vec<Addr>)> {
        let addr_of = |name: &str| self.cluster.addr_of(name);
        let (Some(server), Some(primary), Some(backup)) = (
            addr_of(topology::SERVER),
            addr_of(topology::DB_PRIMARY),
            addr_of(topology::DB_BACKUP),
        ) else {
            return None;
        };
        let handset = self.user_of(addr).is_some();
        Some(match (kind, handset) {
            (Fault::Offline { .. }, true) => {
                let others: Vec<Addr> = self
                    .cluster
                    .addrs()
                    .into_iter()
                    .filter(|a| *a != addr)
                    .collect();
                (Links::between(vec![addr], others), "every link", vec![])
            }
            (Fault::Offline { .. }, false) => (Links::between(vec![], vec![]), "", vec![]),
            (_, true) => (
                Links::between(vec![addr], vec![server]),
                "handset-server",
                vec![server],
            ),
            (_, false) if addr == server => (
                Links::between(vec![server], vec![primary, backup]),
                "server-database",
                vec![primary, backup],
            ),
            _ => (Links::between(vec![], vec![]), "", vec![]),
        })
    }

    fn network_fault(&self, f: &PlannedFault<Fault>, addr: Addr) -> Vec<FollowUp> {
        let node = f.target.as_str();
        let Some((links, class, peers)) = self.links_of(&f.kind, addr) else {
            return Vec::new();
        };
        if class.is_empty() {
            self.emit(
                node,
                EngineEvent::FaultSkipped,
                fields!["fault" => f.id, "why" => "kind does not apply to target"],
            );
            return Vec::new();
        }
        let (imp, for_ms) = impairment(&f.kind);
        let mut resolution = fields!["fault" => f.id, "links" => class];
        if !peers.is_empty() {
            let names: Vec<String> = peers.iter().map(|a| self.cluster.name_of(*a)).collect();
            resolution.push(("peers", names.join(",").into()));
        }
        self.emit(node, EngineEvent::FaultResolved, resolution);
        self.cluster.net_fault(f.id, links, imp, f.resolve_seed);
        vec![FollowUp::NetEnd {
            fault: f.id,
            at: self.now().after(Duration::from_millis(for_ms)),
        }]
    }

    /// The clock of handset node `addr`.
    fn clock_of(&self, addr: Addr) -> &Rtc {
        let user = self.user_of(addr).expect("a handset");
        &self.clocks[user as usize]
    }

    /// Power loss of a node; it reboots at `back`.
    fn power_loss(
        &self,
        addr: Addr,
        node: &str,
        fault: u32,
        mode: CrashMode,
        back: SimTime,
    ) -> Vec<FollowUp> {
        if !self.cluster.is_up(addr) {
            self.emit(
                node,
                EngineEvent::FaultSkipped,
                fields!["fault" => fault, "why" => "already down"],
            );
            return Vec::new();
        }
        let stake = self.cluster.with_machine(addr, Node::at_stake).unwrap_or(0);
        self.lineage().set_blame(node, Some(fault));
        let lost = self.cluster.crash(addr, mode, Some(fault));
        if stake > 0 || lost.torn > 0 {
            self.lineage().mark_effective(
                self.now(),
                node,
                fault,
                "aborted a sync, dropped or tore acknowledged writes",
            );
        }
        vec![FollowUp::Reboot { addr, at: back }]
    }

    /// A handset's flash is wiped or replaced by its user: saved versions
    /// it never synced are forfeited; it boots blank and restores.
    fn replace_handset(&self, addr: Addr, node: &str, fault: u32, cause: EndCause, why: &str) {
        let Some(user) = self.user_of(addr) else {
            return;
        };
        let now = self.now();
        let forfeited = self.ledger.forfeit_unsynced(user, now);
        if forfeited > 0 {
            self.emit(
                node,
                EngineEvent::AckForfeited,
                fields!["versions" => forfeited],
            );
        }
        self.lineage().set_blame(node, Some(fault));
        self.cluster
            .crash(addr, CrashMode::DropUnsynced, Some(fault));
        let flash = &self
            .volumes
            .iter()
            .find(|v| v.node == addr)
            .expect("handsets have flash");
        lock_disk(&flash.disk).replace_blank();
        self.emit(
            &flash.device,
            EngineEvent::DiskReplaced,
            fields!["device" => &flash.device, "fault" => fault, "why" => why],
        );
        let ended =
            self.lineage()
                .store_ended(now, &flash.device, &flash.device, cause, Some(fault));
        if !ended.is_empty() {
            self.lineage()
                .mark_effective(now, node, fault, "wiped copies");
        }
        self.cluster.boot(addr, Boot::Clean, false);
    }

    /// Every volume of the failure domain is destroyed; its nodes go down.
    fn destroy_domain(&self, domain: &str, fault: u32) -> Vec<Addr> {
        let mut nodes = Vec::new();
        for v in self.volumes.iter().filter(|v| v.domain == domain) {
            self.lineage().set_blame(&v.node_name, Some(fault));
            self.cluster
                .crash(v.node, CrashMode::DropUnsynced, Some(fault));
            self.cluster.lose_device(&v.device, &v.disk, Some(fault));
            nodes.push(v.node);
        }
        nodes
    }

    /// One volume is lost: a handset is replaced (its user forfeits what
    /// never synced); a database node comes back blank at `back`.
    fn lose_volume(&self, addr: Addr, node: &str, fault: u32, back: SimTime) -> Vec<FollowUp> {
        if self.user_of(addr).is_some() {
            self.replace_handset(
                addr,
                node,
                fault,
                EndCause::DeviceLost,
                "device lost: handset replaced",
            );
            return Vec::new();
        }
        let Some(v) = self.volume_of(node) else {
            self.emit(
                node,
                EngineEvent::FaultSkipped,
                fields!["fault" => fault, "why" => "node has no volume"],
            );
            return Vec::new();
        };
        self.lineage().set_blame(node, Some(fault));
        self.cluster
            .crash(addr, CrashMode::DropUnsynced, Some(fault));
        self.cluster.lose_device(&v.device, &v.disk, Some(fault));
        vec![FollowUp::StorageBack {
            array: v.domain.clone(),
            fault,
            nodes: vec![addr],
            at: back,
        }]
    }

    /// A disk fault on the target node's volume, resolved now from the
    /// fault's resolve seed. Returns the device it landed on.
    fn disk_fault(&self, f: &PlannedFault<Fault>, node: &str) -> Option<String> {
        let Some(v) = self.volume_of(node) else {
            self.emit(
                node,
                EngineEvent::FaultSkipped,
                fields!["fault" => f.id, "why" => "node has no volume"],
            );
            return None;
        };
        let mut rng = sim::rng::from_seed(f.resolve_seed);
        // Faults land on sectors that hold data the node serves, so that
        // they are effective; a node that is down falls back to any
        // written sector. The survivable atlas keeps only sectors whose
        // records have another live copy.
        let mut live = self.fault_sectors(v);
        let map = self.atlas.and_then(|_| self.sector_map(v));
        if let Some(atlas) = self.atlas {
            live = atlas.safe_sectors(&self.copies(), &v.device, &live, map.as_deref());
        }
        let mut disk = lock_disk(&v.disk);
        let mut resolution = fields!["fault" => f.id, "device" => &v.device];
        let fault = match f.kind {
            Fault::BitRot | Fault::LatentSectorError => {
                if live.is_empty() {
                    drop(disk);
                    self.emit(
                        node,
                        EngineEvent::FaultSkipped,
                        fields!["fault" => f.id, "why" => "no live sector"],
                    );
                    return None;
                }
                let sector = live[rng.random_range(0..live.len())];
                if let Some(atlas) = self.atlas {
                    atlas.struck_sector(&self.copies(), &v.device, sector, map.as_deref());
                }
                resolution.push(("sector", sector.into()));
                if f.kind == Fault::BitRot {
                    DiskFault::BitRot {
                        sector,
                        seed: rng.random(),
                    }
                } else {
                    DiskFault::LatentSectorError { sector }
                }
            }
            Fault::LostWrite => DiskFault::LostWrite,
            Fault::SyncFailure => DiskFault::SyncFailure,
            Fault::MisdirectedWrite => {
                let offset: i64 =
                    if rng.random_bool(0.5) { 1 } else { -1 } * rng.random_range(1..=4);
                resolution.push(("offset", (offset.unsigned_abs()).into()));
                resolution.push((
                    "direction",
                    if offset > 0 { "forward" } else { "back" }.into(),
                ));
                DiskFault::MisdirectedWrite { offset }
            }
            Fault::DiskFull { .. } => {
                let free: u64 = rng.random_range(0..4);
                resolution.push(("free_sectors", free.into()));
                DiskFault::DiskFull { free_sectors: free }
            }
            _ => unreachable!("only disk faults come here"),
        };
        let effect = disk.inject(fault);
        drop(disk);
        self.emit(node, EngineEvent::FaultResolved, resolution);
        self.lineage().set_blame(node, Some(f.id));
        self.cluster
            .trace_disk_effect(self.now(), &v.device, &effect, Some(f.id));
        Some(v.device.clone())
    }

    /// An operator, backup or upgrade incident: resolved now from the
    /// fault's resolve seed, then handed to the node that carries it out
    /// (the operator for restores, the primary for backup jobs and schema
    /// changes, the backup for retention, the server for version skew).
    /// Copies the target's store loses from here on are blamed on it.
    fn incident(&self, f: &PlannedFault<Fault>, target: &str) {
        let mut rng = sim::rng::from_seed(f.resolve_seed);
        let mut resolution = fields!["fault" => f.id];
        let primary = topology::DB_PRIMARY;
        let (to, incident) = match f.kind {
            Fault::StaleRestore => (topology::OPERATOR, Incident::StaleRestore),
            Fault::WrongAccountRestore => {
                if self.handsets < 2 {
                    self.emit(
                        target,
                        EngineEvent::FaultSkipped,
                        fields!["fault" => f.id, "why" => "fewer than two accounts"],
                    );
                    return;
                }
                let from = rng.random_range(0..self.handsets);
                let to = (from + 1 + rng.random_range(0..self.handsets - 1)) % self.handsets;
                resolution.push(("from", from.into()));
                resolution.push(("to", to.into()));
                (
                    topology::OPERATOR,
                    Incident::WrongAccountRestore { from, to },
                )
            }
            Fault::BackupStopped => {
                let keep_permille = rng.random_range(0..1000u32);
                resolution.push(("keep_permille", keep_permille.into()));
                (primary, Incident::BackupStopped { keep_permille })
            }
            Fault::BackupSilentFailure => (primary, Incident::BackupSilentFailure),
            Fault::RetentionPurge => (topology::DB_BACKUP, Incident::RetentionPurge),
            Fault::SchemaMigration => {
                let dropped = if rng.random_bool(0.5) {
                    resolution.push(("drops", "photo".into()));
                    Dropped::Kind(RecordKind::Photo)
                } else {
                    resolution.push(("drops", "field".into()));
                    Dropped::Field
                };
                (primary, Incident::SchemaMigration { dropped })
            }
            Fault::UpgradeRollback => {
                let seed: u64 = rng.random();
                (primary, Incident::UpgradeRollback { seed })
            }
            Fault::VersionSkew { for_ms } => (topology::SERVER, Incident::VersionSkew { for_ms }),
            _ => unreachable!("only incidents come here"),
        };
        self.emit(target, EngineEvent::FaultResolved, resolution);
        let Some(addr) = self.cluster.addr_of(to) else {
            return;
        };
        self.input_incident(addr, target, f.id, incident);
    }

    /// Hands `incident` (fault `fault`, aimed at `target`) to the node at `addr`.
    fn input_incident(&self, addr: Addr, target: &str, fault: u32, incident: Incident) {
        self.lineage().set_blame(target, Some(fault));
        if !self
            .cluster
            .input(addr, Input::Incident { fault, incident })
        {
            self.emit(
                target,
                EngineEvent::FaultSkipped,
                fields!["fault" => fault, "why" => "the node in charge is down"],
            );
        }
    }

    /// Space is freed on a full disk.
    pub fn free_space(&self, device: &str) {
        if let Some(v) = self.volume(device) {
            lock_disk(&v.disk).inject(DiskFault::DiskFull {
                free_sectors: u64::MAX,
            });
            self.emit(device, EngineEvent::DiskSpaceFreed, vec![]);
        }
    }

    /// Storage of `array` is back: its nodes boot and the operator checks.
    pub fn storage_back(&self, array: &str, fault: u32, nodes: &[Addr]) {
        self.emit(array, EngineEvent::StorageBack, fields!["fault" => fault]);
        for addr in nodes {
            self.cluster.boot(*addr, Boot::Crash, false);
        }
        self.cluster.input(
            self.operator,
            Input::StorageBack {
                array: array.to_string(),
            },
        );
    }
}

/// What network fault `kind` does to the links it strikes, and for how
/// many milliseconds: the table of network faults.
fn impairment(kind: &Fault) -> (Impairment, u64) {
    let share = |per_mille: u32| f64::from(per_mille.min(1000)) / 1000.0;
    let ms = Duration::from_millis;
    match *kind {
        Fault::Partition { for_ms } | Fault::Offline { for_ms } => (Impairment::cut(), for_ms),
        Fault::PacketLoss { for_ms, per_mille } => (
            Impairment {
                loss: share(per_mille),
                ..Impairment::default()
            },
            for_ms,
        ),
        Fault::Duplication {
            for_ms,
            per_mille,
            lag_ms,
        } => (
            Impairment {
                duplicate: share(per_mille),
                hold_for: ms(lag_ms),
                ..Impairment::default()
            },
            for_ms,
        ),
        Fault::Reordering {
            for_ms,
            per_mille,
            hold_ms,
        } => (
            Impairment {
                reorder: share(per_mille),
                hold_for: ms(hold_ms),
                ..Impairment::default()
            },
            for_ms,
        ),
        Fault::LongDelay {
            for_ms,
            per_mille,
            delay_ms,
        } => (
            Impairment {
                delay: share(per_mille),
                delay_for: ms(delay_ms),
                ..Impairment::default()
            },
            for_ms,
        ),
        Fault::TransitCorruption { for_ms, per_mille } => (
            Impairment {
                corrupt: share(per_mille),
                ..Impairment::default()
            },
            for_ms,
        ),
        _ => unreachable!("only network faults come here"),
    }
}
