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
//!
//! One file per class of fault: `power.rs`, `storage.rs`, `network.rs`,
//! `clock.rs`, `incident.rs`.

mod clock;
mod incident;
mod network;
mod power;
mod storage;

use crate::survivable::{Copies, Reach, Survivable};
use crate::topology;
use models::clock::Rtc;
use models::fault::Fault;
use models::incident::Incident;
use models::node::Node;
use sim::disk::CrashMode;
use sim::fields;
use sim::host::{Addr, Boot, Cluster, DiskHandle};
use sim::ledger::LedgerHandle;
use sim::lineage::{EndCause, Lineage};
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
}
