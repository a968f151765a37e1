//! The harness's own fault model: the generic fault table
//! ([`crate::plan::faults::FAULT_TABLE`]) and a system's own fault rows, struck
//! at their planned times. Each fault resolves what the plan left open
//! (which sector, how far a clock jumps) from its own resolve seed, and
//! traces its resolution; edit races are armed at their time and strike at
//! the node's next push ([`crate::world::race`]).

use super::model::FaultModel;
use crate::plan::faults::{Fault, FaultKind, FaultName, Rates};
use crate::system::System;
use crate::world::race::{self, Races};
use rand::RngExt;
use sim::disk::{CrashMode, DiskFault};
use sim::fields;
use sim::host::{lock_disk, Addr, Boot, Cluster, DiskHandle};
use sim::ledger::Ledger;
use sim::plan::{Plan, PlannedFault};
use sim::time::SimTime;
use sim::trace::{EngineEvent, Trace, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// A step of the table's faults on the safety timeline.
pub enum TableStep {
    /// A planned fault strikes (by plan index).
    Strike(usize),
    /// A node comes back after a fault.
    Boot(Addr),
    /// A partition of a node ends.
    Reconnect(Addr),
    /// An edit race's window ends (by plan id).
    Expire(u32),
}

/// The generic fault table and a system's own rows, on one run's cluster.
pub struct TableFaults<S: System> {
    cluster: Cluster<S::Node>,
    system: S,
    rates: Rates,
    plan: Plan<Fault>,
    /// Every node's disks, by device name.
    disks: BTreeMap<String, (Addr, DiskHandle)>,
    fired: Vec<u32>,
    /// The plan's edit races, when it has any.
    races: Option<Races<S>>,
}

impl<S: System> TableFaults<S> {
    /// The model of `plan` on `cluster`, whose nodes hold `disks` (device
    /// name, node, handle); `rates` bound what the faults do (how long a
    /// node stays down, how far a clock jumps). Watches the cluster's steps
    /// when the plan has edit races.
    pub fn new(
        cluster: &Cluster<S::Node>,
        system: &S,
        rates: &Rates,
        plan: &Plan<Fault>,
        disks: Vec<(String, Addr, DiskHandle)>,
    ) -> Self {
        let disks: BTreeMap<_, _> = disks.into_iter().map(|(n, a, d)| (n, (a, d))).collect();
        let races = plan.faults.iter().any(is_race).then(|| {
            let mut by_node: BTreeMap<Addr, Vec<(String, DiskHandle)>> = BTreeMap::new();
            for (device, (addr, d)) in &disks {
                by_node
                    .entry(*addr)
                    .or_default()
                    .push((device.clone(), d.clone()));
            }
            let bounds = race::Bounds {
                delay_max: rates.edit_race_delay_max,
                down_for: rates.down_for,
            };
            let races = Races::new(cluster.clone(), by_node, system.clone(), bounds);
            cluster.watch_steps(Some(races.watch()));
            races
        });
        TableFaults {
            cluster: cluster.clone(),
            system: system.clone(),
            rates: rates.clone(),
            plan: plan.clone(),
            disks,
            fired: Vec::new(),
            races,
        }
    }

    fn emit(&self, node: &str, kind: EngineEvent, fields: Vec<(&'static str, Value)>) {
        let now = self.cluster.clock().now();
        self.cluster.tracer().emit(now, node, kind, fields);
    }

    /// Fires planned fault `i`: resolves it now from its own seed.
    fn strike(&mut self, i: usize, now: SimTime) -> Vec<(SimTime, TableStep)> {
        let f = &self.plan.faults[i];
        let rates = &self.rates;
        let node_addr = self.cluster.addr_of(&f.target);
        let disk = self.disks.get(&f.target).cloned();
        let Some(addr) = node_addr.or(disk.as_ref().map(|(a, _)| *a)) else {
            self.skip(f, &f.target, "no such target");
            return Vec::new();
        };
        let node = self.cluster.name_of(addr);
        self.fired.push(f.id);
        let fired = fields!["fault" => f.id, "fault_kind" => f.kind.name.to_string()];
        self.emit(&node, EngineEvent::FaultFired, fired);
        self.cluster.lineage().set_blame(&node, Some(f.id));
        let kind = match &f.kind.name {
            FaultName::Generic(kind) => *kind,
            FaultName::Own(name) => {
                self.own_fault(f, name, &node);
                return Vec::new();
            }
        };
        let back = |d: Duration| vec![(now.after(d), TableStep::Boot(addr))];
        match (kind, disk) {
            (FaultKind::PowerLoss, _) => {
                self.cluster
                    .crash(addr, CrashMode::DropUnsynced, Some(f.id));
                back(rates.down_for)
            }
            (FaultKind::TornWrite, _) => {
                let tear = CrashMode::Tear {
                    seed: f.resolve_seed,
                };
                self.cluster.crash(addr, tear, Some(f.id));
                back(rates.down_for)
            }
            (FaultKind::Partition, _) => {
                let Some(peer) = f.kind.peer.as_deref().and_then(|p| self.cluster.addr_of(p))
                else {
                    return Vec::new();
                };
                self.cluster.partition(addr, peer);
                vec![(now.after(rates.partition_for), TableStep::Reconnect(addr))]
            }
            (FaultKind::Crash, _) => {
                if !self.cluster.is_up(addr) {
                    self.skip(f, &node, "its node is down");
                    return Vec::new();
                }
                self.cluster.crash_process(addr, Some(f.id));
                back(rates.restart_after)
            }
            (FaultKind::ClockSkew | FaultKind::ClockReset, _) => {
                self.clock_fault(f, kind, addr, &node, rates.clock_skew_max);
                Vec::new()
            }
            (FaultKind::DeviceLoss, Some((_, d))) => {
                self.cluster
                    .crash(addr, CrashMode::DropUnsynced, Some(f.id));
                self.cluster.lose_device(&f.target, &d, Some(f.id));
                back(rates.down_for)
            }
            (kind, Some((_, d))) => {
                self.disk_fault(f, kind, &node, &d);
                Vec::new()
            }
            (_, None) => Vec::new(),
        }
    }

    /// A clock fault on the node at `addr`: its wall clock jumps by a skew
    /// drawn from the fault's seed (at most `skew_max` either way, never
    /// 0), or goes back to the run's start. Up or down, the clock moves.
    fn clock_fault(
        &self,
        f: &PlannedFault<Fault>,
        kind: FaultKind,
        addr: Addr,
        node: &str,
        skew_max: Duration,
    ) {
        let mut resolution = fields!["fault" => f.id];
        if kind == FaultKind::ClockSkew {
            let mut rng = sim::rng::from_seed(f.resolve_seed);
            let max = skew_max.as_millis().clamp(1, i64::MAX as u128) as i64;
            let skew_ms = rng.random_range(1..=max) * if rng.random_bool(0.5) { 1 } else { -1 };
            self.cluster.skew_clock(addr, skew_ms);
            let direction = if skew_ms < 0 { "back" } else { "forward" };
            resolution.push(("skew_ms", skew_ms.unsigned_abs().into()));
            resolution.push(("direction", direction.into()));
        } else {
            self.cluster.reset_clock(addr);
        }
        let clock_ms = self.cluster.wall_clock(addr).as_millis();
        resolution.push(("clock_ms", clock_ms.into()));
        self.emit(node, EngineEvent::FaultResolved, resolution);
    }

    /// Traces that fault `f` fired on `node` but did nothing, and why.
    fn skip(&self, f: &PlannedFault<Fault>, node: &str, why: &str) {
        let fields = fields!["fault" => f.id, "why" => why];
        self.emit(node, EngineEvent::FaultSkipped, fields);
    }

    /// The system's own fault `name`: the input it says, to its node.
    fn own_fault(&self, f: &PlannedFault<Fault>, name: &str, node: &str) {
        let why = match self.system.own_fault(name, f.resolve_seed) {
            None => "nothing to do",
            Some((to, input)) => {
                if self.cluster.input(to, input) {
                    return;
                }
                "its node is down"
            }
        };
        self.skip(f, node, why);
    }

    /// A storage fault on one disk, onto a written sector where it needs one.
    fn disk_fault(&self, f: &PlannedFault<Fault>, kind: FaultKind, node: &str, d: &DiskHandle) {
        let mut rng = sim::rng::from_seed(f.resolve_seed);
        let mut resolution = fields!["fault" => f.id, "device" => &f.target];
        let mut disk = lock_disk(d);
        let fault = match kind {
            FaultKind::BitRot | FaultKind::LatentSectorError => {
                let live = disk.live_sectors();
                if live.is_empty() {
                    drop(disk);
                    self.skip(f, node, "no live sector");
                    return;
                }
                let sector = live[rng.random_range(0..live.len())];
                resolution.push(("sector", sector.into()));
                if kind == FaultKind::BitRot {
                    DiskFault::BitRot {
                        sector,
                        seed: rng.random(),
                    }
                } else {
                    DiskFault::LatentSectorError { sector }
                }
            }
            FaultKind::SyncFailure => DiskFault::SyncFailure,
            _ => DiskFault::LostWrite,
        };
        let effect = disk.inject(fault);
        drop(disk);
        self.emit(node, EngineEvent::FaultResolved, resolution);
        let now = self.cluster.clock().now();
        self.cluster
            .trace_disk_effect(now, &f.target, &effect, Some(f.id));
    }
}

impl<S: System> FaultModel<S> for TableFaults<S> {
    type Step = TableStep;
    type Report = ();

    fn steps(&mut self) -> Vec<(SimTime, TableStep)> {
        let strike = |(i, f): (usize, &PlannedFault<Fault>)| (f.at, TableStep::Strike(i));
        self.plan.faults.iter().enumerate().map(strike).collect()
    }

    fn take(&mut self, step: TableStep, now: SimTime) -> Vec<(SimTime, TableStep)> {
        match step {
            TableStep::Strike(i) if is_race(&self.plan.faults[i]) => {
                let f = &self.plan.faults[i];
                if let Some(races) = &self.races {
                    races.arm(f);
                }
                let end = now.after(self.rates.edit_race_window);
                vec![(end, TableStep::Expire(f.id))]
            }
            TableStep::Strike(i) => self.strike(i, now),
            TableStep::Expire(id) => {
                if let Some(races) = &self.races {
                    races.expire(id);
                }
                Vec::new()
            }
            TableStep::Boot(addr) => {
                self.cluster.boot(addr, Boot::Crash, false);
                Vec::new()
            }
            TableStep::Reconnect(addr) => {
                self.cluster.heal_network(addr);
                Vec::new()
            }
        }
    }

    fn heal(&mut self, _left: Vec<TableStep>) -> Vec<TableStep> {
        if let Some(races) = &self.races {
            races.close();
            self.cluster.watch_steps(None);
        }
        Vec::new()
    }

    fn finish(self, _trace: &Trace, _ledger: &Ledger) -> (Vec<u32>, ()) {
        let mut fired = self.fired;
        fired.extend(self.races.iter().flat_map(|r| r.fired()));
        (fired, ())
    }
}

/// Whether planned fault `f` is an edit race (armed, not struck, at its time).
fn is_race(f: &PlannedFault<Fault>) -> bool {
    f.kind.name == FaultName::Generic(FaultKind::EditRace)
}
