//! The generic faults the harness injects into any system, one row each
//! of one table ([`FAULT_TABLE`]), in the manner of TigerBeetle's simulated
//! storage: what strikes, which scenario key sets its rate, and its exact
//! effect. Their rates ([`Rates`]) become a seed's plan ([`plan`]).
//!
//! The atlas: storage faults of one seed strike the disks of one failure
//! domain only (drawn per seed), so some other domain keeps its copies;
//! `faults.unbounded = true` lifts it.

use crate::scenario::{ensure, number, Check, KeyPath};
use crate::system::OwnFault;
use serde::{Deserialize, Serialize};
use sim::plan::{Plan, PlannedFault};
use sim::rng::Seeds;
use sim::time::SimTime;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// A kind of generic fault (named in plans by its table name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// A node loses power.
    PowerLoss,
    /// A node loses power mid-write.
    TornWrite,
    /// Bits flip in a written sector.
    BitRot,
    /// A written sector becomes unreadable.
    LatentSectorError,
    /// A disk's next sync fails.
    SyncFailure,
    /// A disk's next sync silently skips its last write.
    LostWrite,
    /// A disk is replaced by a blank one.
    DeviceLoss,
    /// Two nodes cannot reach each other.
    Partition,
    /// The user edits a record while the node pushes it, then the node
    /// loses power or is reset (see [`crate::world::race`]).
    EditRace,
    /// A node's process crashes and restarts; its disks keep every write.
    Crash,
    /// A node's wall clock jumps.
    ClockSkew,
    /// A node's wall clock goes back to the run's start.
    ClockReset,
}

/// What part of a system a fault strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultClass {
    /// A node's power.
    Power,
    /// A disk.
    Storage,
    /// A link between two nodes.
    Network,
    /// A node's process.
    Process,
    /// A node's wall clock.
    Clock,
}

impl fmt::Display for FaultClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultClass::Power => "power",
            FaultClass::Storage => "storage",
            FaultClass::Network => "network",
            FaultClass::Process => "process",
            FaultClass::Clock => "clock",
        })
    }
}

/// One row of the fault table.
#[derive(Clone, Copy, Debug)]
pub struct FaultRow {
    /// The fault.
    pub kind: FaultKind,
    /// Its name in traces, plans and reports.
    pub name: &'static str,
    /// What it strikes.
    pub class: FaultClass,
    /// The scenario key of its rate, under `[faults]`.
    pub key: &'static str,
    /// Its exact effect.
    pub effect: &'static str,
}

const fn row(
    kind: FaultKind,
    name: &'static str,
    class: FaultClass,
    key: &'static str,
    effect: &'static str,
) -> FaultRow {
    FaultRow {
        kind,
        name,
        class,
        key,
        effect,
    }
}

/// Every generic fault, in [`FaultKind`] order.
pub const FAULT_TABLE: &[FaultRow] = &[
    row(FaultKind::PowerLoss, "power-loss", FaultClass::Power, "power_loss_per_node_day",
        "the node's unsynced writes are dropped and it is down for `down_for`, then boots from its disks"),
    row(FaultKind::TornWrite, "torn-write", FaultClass::Power, "torn_write_per_node_day",
        "a power loss in which each unsynced write keeps a prefix of its sectors"),
    row(FaultKind::BitRot, "bit-rot", FaultClass::Storage, "bit_rot_per_disk_day",
        "1 to 3 bits flip in one written sector; reads return the wrong bytes"),
    row(FaultKind::LatentSectorError, "latent-sector-error", FaultClass::Storage, "latent_sector_error_per_disk_day",
        "one written sector fails every read from the medium until rewritten"),
    row(FaultKind::SyncFailure, "sync-failure", FaultClass::Storage, "sync_failure_per_disk_day",
        "the disk's next sync fails and drops every unsynced write"),
    row(FaultKind::LostWrite, "lost-write", FaultClass::Storage, "lost_write_per_disk_day",
        "the disk's next sync reports success but does not persist its last write"),
    row(FaultKind::DeviceLoss, "device-loss", FaultClass::Storage, "device_loss_per_disk_day",
        "the disk is replaced by a blank one and its node goes down for `down_for`"),
    row(FaultKind::Partition, "partition", FaultClass::Network, "partition_per_link_day",
        "the two nodes cannot reach each other for `partition_for`"),
    row(FaultKind::EditRace, "edit-race", FaultClass::Power, "edit_race_per_node_day",
        "armed for `edit_race_window`: at the node's next push, the user edits a pushed record; after a drawn delay (up to `edit_race_delay_max`) the node loses power or every disk of it is replaced by a blank one, and it is down for `down_for`; skipped if no push comes"),
    row(FaultKind::Crash, "crash", FaultClass::Process, "crash_per_node_day",
        "the node's process dies (nothing more of it runs or writes) and restarts after `restart_after`; its disks keep every write, unsynced ones too, as the operating system holds them"),
    row(FaultKind::ClockSkew, "clock-skew", FaultClass::Clock, "clock_skew_per_node_day",
        "the node's wall clock jumps by an offset drawn uniformly from `[-clock_skew_max, clock_skew_max]` (never 0) and runs on from there"),
    row(FaultKind::ClockReset, "clock-reset", FaultClass::Clock, "clock_reset_per_node_day",
        "the node's wall clock goes back to the run's start, as a dead clock battery leaves it, and runs on from there"),
];

impl FaultKind {
    /// This kind's row of [`FAULT_TABLE`].
    pub fn row(self) -> &'static FaultRow {
        &FAULT_TABLE[self as usize]
    }

    /// The kind named `name`, if any (an unknown name is no fault).
    pub fn parse(name: &str) -> Option<FaultKind> {
        FAULT_TABLE.iter().find(|r| r.name == name).map(|r| r.kind)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.row().name)
    }
}

/// The rates of the generic faults (`[faults]` of a scenario), per day per
/// node, disk or link, and how long their outages last.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Rates {
    /// Power losses per node per day.
    pub power_loss_per_node_day: f64,
    /// Torn writes per node per day.
    pub torn_write_per_node_day: f64,
    /// Bit rot per disk per day.
    pub bit_rot_per_disk_day: f64,
    /// Latent sector errors per disk per day.
    pub latent_sector_error_per_disk_day: f64,
    /// Sync failures per disk per day.
    pub sync_failure_per_disk_day: f64,
    /// Lost writes per disk per day.
    pub lost_write_per_disk_day: f64,
    /// Device losses per disk per day.
    pub device_loss_per_disk_day: f64,
    /// Partitions per link (pair of nodes) per day.
    pub partition_per_link_day: f64,
    /// Edit races per node per day.
    pub edit_race_per_node_day: f64,
    /// How long an edit race waits for its node's push.
    #[serde(deserialize_with = "crate::scenario::duration::as_text::deserialize")]
    pub edit_race_window: Duration,
    /// The longest delay from a race's edit to its power loss or reset.
    #[serde(deserialize_with = "crate::scenario::duration::as_text::deserialize")]
    pub edit_race_delay_max: Duration,
    /// Process crashes per node per day.
    pub crash_per_node_day: f64,
    /// Clock skews per node per day.
    pub clock_skew_per_node_day: f64,
    /// Clock resets per node per day.
    pub clock_reset_per_node_day: f64,
    /// How long a node stays down after a power loss or device loss.
    #[serde(deserialize_with = "crate::scenario::duration::as_text::deserialize")]
    pub down_for: Duration,
    /// How long a partition lasts.
    #[serde(deserialize_with = "crate::scenario::duration::as_text::deserialize")]
    pub partition_for: Duration,
    /// How long a crashed process takes to restart.
    #[serde(deserialize_with = "crate::scenario::duration::as_text::deserialize")]
    pub restart_after: Duration,
    /// The largest clock skew, either way; more than 0.
    #[serde(deserialize_with = "crate::scenario::duration::as_text::deserialize")]
    pub clock_skew_max: Duration,
    /// The system's own faults' rates per day, by their rows' keys
    /// (`[faults.system]`).
    pub system: BTreeMap<String, f64>,
    /// Storage faults strike the disks of every failure domain, not only
    /// the one the atlas draws for the seed (`run --swarm --unbounded`
    /// sets it): some seeds then leave no domain's copies whole.
    pub unbounded: bool,
}

impl Default for Rates {
    fn default() -> Self {
        Rates {
            power_loss_per_node_day: 0.0,
            torn_write_per_node_day: 0.0,
            bit_rot_per_disk_day: 0.0,
            latent_sector_error_per_disk_day: 0.0,
            sync_failure_per_disk_day: 0.0,
            lost_write_per_disk_day: 0.0,
            device_loss_per_disk_day: 0.0,
            partition_per_link_day: 0.0,
            edit_race_per_node_day: 0.0,
            edit_race_window: Duration::from_secs(3600),
            edit_race_delay_max: Duration::from_secs(600),
            crash_per_node_day: 0.0,
            clock_skew_per_node_day: 0.0,
            clock_reset_per_node_day: 0.0,
            down_for: Duration::from_secs(600),
            partition_for: Duration::from_secs(1800),
            restart_after: Duration::from_secs(10),
            clock_skew_max: Duration::from_secs(3600),
            system: BTreeMap::new(),
            unbounded: false,
        }
    }
}

/// The most faults of one kind a day may ask for on one target: a bound,
/// so that no accepted rate can exhaust memory.
pub const MAX_RATE: f64 = 1000.0;

impl Rates {
    /// The rate of `kind`.
    pub fn of(&self, kind: FaultKind) -> f64 {
        match kind {
            FaultKind::PowerLoss => self.power_loss_per_node_day,
            FaultKind::TornWrite => self.torn_write_per_node_day,
            FaultKind::BitRot => self.bit_rot_per_disk_day,
            FaultKind::LatentSectorError => self.latent_sector_error_per_disk_day,
            FaultKind::SyncFailure => self.sync_failure_per_disk_day,
            FaultKind::LostWrite => self.lost_write_per_disk_day,
            FaultKind::DeviceLoss => self.device_loss_per_disk_day,
            FaultKind::Partition => self.partition_per_link_day,
            FaultKind::EditRace => self.edit_race_per_node_day,
            FaultKind::Crash => self.crash_per_node_day,
            FaultKind::ClockSkew => self.clock_skew_per_node_day,
            FaultKind::ClockReset => self.clock_reset_per_node_day,
        }
    }

    /// Every rate finite, from 0 to 1000 a day, each `[faults.system]` key
    /// one of `own`'s; outages, restarts and race windows at most 30 days;
    /// a clock skew bound above 0 and at most a year. Keys are named from the
    /// `[faults]` section down.
    pub fn check(&self, own: &[OwnFault]) -> Check {
        let in_range = |key: KeyPath, v: f64| {
            ensure((0.0..=MAX_RATE).contains(&v), key, || {
                format!("{} is not a rate from 0 to {MAX_RATE} a day", number(v))
            })
        };
        for r in FAULT_TABLE {
            in_range(KeyPath::of(&[r.key]), self.of(r.kind))?;
        }
        for (key, v) in &self.system {
            let path = KeyPath::of(&["system", key]);
            ensure(
                own.iter().any(|r| r.key == key.as_str()),
                path.clone(),
                || {
                    let keys: Vec<&str> = own.iter().map(|r| r.key).collect();
                    let keys = if keys.is_empty() {
                        "none".to_string()
                    } else {
                        keys.join(", ")
                    };
                    format!("no fault of this system has that key (its keys: {keys})")
                },
            )?;
            in_range(path, *v)?;
        }
        for (key, d) in [
            ("down_for", self.down_for),
            ("partition_for", self.partition_for),
            ("edit_race_window", self.edit_race_window),
            ("edit_race_delay_max", self.edit_race_delay_max),
            ("restart_after", self.restart_after),
        ] {
            ensure(
                d <= Duration::from_secs(30 * 86_400),
                KeyPath::of(&[key]),
                || "at most 30 days".to_string(),
            )?;
        }
        let skew = self.clock_skew_max;
        ensure(
            !skew.is_zero() && skew <= Duration::from_secs(366 * 86_400),
            KeyPath::of(&["clock_skew_max"]),
            || "must be more than 0 and at most 366 days".to_string(),
        )
    }
}

/// What strikes: one of the harness's generic faults, or one of the
/// system's own (by its row's name, see [`crate::system::OwnFault`]).
/// Written in plans as the name alone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FaultName {
    /// A row of [`FAULT_TABLE`].
    Generic(FaultKind),
    /// A row of the system's own table.
    Own(String),
}

impl fmt::Display for FaultName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultName::Generic(k) => write!(f, "{k}"),
            FaultName::Own(n) => f.write_str(n),
        }
    }
}

impl Serialize for FaultName {
    fn serialize<Ser: serde::Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FaultName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(FaultKind::parse(&name).map_or(FaultName::Own(name), FaultName::Generic))
    }
}

/// One planned fault: what strikes, and the peer of a partition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// What strikes.
    pub name: FaultName,
    /// The other node of a partition.
    pub peer: Option<String>,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.peer {
            Some(p) => write!(f, "{} with {p}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// What the planner sees of a system: each node's name, failure domain
/// and disks.
#[derive(Clone, Debug)]
pub struct Target {
    /// The node's name.
    pub node: String,
    /// Its failure domain.
    pub domain: String,
    /// Its disks' device names.
    pub disks: Vec<String>,
}

/// The faults `rates` draw for seed `seed` over `duration` on `targets`:
/// power, process and clock faults on every node, storage faults on the
/// disks of one failure domain (drawn for the seed; every domain's if
/// `rates.unbounded`), partitions on every
/// pair of nodes, and each of the system's `own` faults on its row's node.
/// Each kind on each target draws from its own stream, so adding a node
/// leaves the others' faults alone, and a kind's times and targets do not
/// depend on the other kinds' rates (a kind at rate 0 draws nothing). Ids
/// follow time order.
pub fn plan(
    rates: &Rates,
    targets: &[Target],
    own: &[OwnFault],
    seed: u64,
    duration: Duration,
) -> Plan<Fault> {
    let seeds = Seeds::new(seed);
    let mut raw: Vec<(SimTime, String, Fault, u64)> = Vec::new();
    // Each domain once, in the order nodes first name it.
    let mut domains: Vec<&str> = Vec::new();
    for t in targets {
        if !domains.contains(&t.domain.as_str()) {
            domains.push(&t.domain);
        }
    }
    let struck = {
        use rand::RngExt;
        let mut rng = seeds.keyed("faults/atlas", 0);
        domains
            .get(rng.random_range(0..domains.len().max(1)))
            .copied()
            .unwrap_or_default()
    };
    for r in FAULT_TABLE {
        let rate = rates.of(r.kind);
        if rate == 0.0 {
            continue;
        }
        let fault = |peer: Option<String>| Fault {
            name: FaultName::Generic(r.kind),
            peer,
        };
        match r.class {
            FaultClass::Power | FaultClass::Process | FaultClass::Clock => {
                for (i, t) in targets.iter().enumerate() {
                    for (at, s) in arrivals(&seeds, r.name, i, rate, duration) {
                        raw.push((at, t.node.clone(), fault(None), s));
                    }
                }
            }
            FaultClass::Storage => {
                let disks = targets
                    .iter()
                    .filter(|t| rates.unbounded || t.domain == struck)
                    .flat_map(|t| t.disks.iter());
                for (i, d) in disks.enumerate() {
                    for (at, s) in arrivals(&seeds, r.name, i, rate, duration) {
                        raw.push((at, d.clone(), fault(None), s));
                    }
                }
            }
            FaultClass::Network => {
                let mut link = 0;
                for (i, a) in targets.iter().enumerate() {
                    for b in &targets[i + 1..] {
                        for (at, s) in arrivals(&seeds, r.name, link, rate, duration) {
                            raw.push((at, a.node.clone(), fault(Some(b.node.clone())), s));
                        }
                        link += 1;
                    }
                }
            }
        }
    }
    for row in own {
        let rate = rates.system.get(row.key).copied().unwrap_or(0.0);
        if rate == 0.0 {
            continue;
        }
        for (at, s) in arrivals(&seeds, &format!("own/{}", row.name), 0, rate, duration) {
            let fault = Fault {
                name: FaultName::Own(row.name.to_string()),
                peer: None,
            };
            raw.push((at, row.node.to_string(), fault, s));
        }
    }
    raw.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let faults = raw
        .into_iter()
        .enumerate()
        .map(|(i, (at, target, kind, resolve_seed))| PlannedFault {
            id: i as u32,
            at,
            target,
            kind,
            resolve_seed,
        })
        .collect();
    Plan::new(faults)
}

/// Times of a Poisson process of `rate` a day over `duration`, from the
/// stream of fault `name` on target `index`, each with a resolve seed.
fn arrivals(
    seeds: &Seeds,
    name: &str,
    index: usize,
    rate: f64,
    duration: Duration,
) -> Vec<(SimTime, u64)> {
    use rand::RngExt;
    let mut rng = seeds.keyed(&format!("faults/{name}"), index as u32);
    let mean_ms = 86_400_000.0 / rate;
    let end = duration.as_millis() as f64;
    let mut out = Vec::new();
    let mut t = 0.0;
    loop {
        let u: f64 = rng.random_range(f64::EPSILON..1.0);
        t += -u.ln() * mean_ms;
        if t >= end {
            return out;
        }
        out.push((SimTime(t as u64), rng.random()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Node `node` of failure domain `domain`, with one disk.
    fn target(node: &str, domain: &str) -> Target {
        Target {
            node: node.into(),
            domain: domain.into(),
            disks: vec![format!("{node}/disk")],
        }
    }

    #[test]
    fn rows_follow_kind_order_and_names_parse_back() {
        for (i, r) in FAULT_TABLE.iter().enumerate() {
            assert_eq!(r.kind as usize, i, "{}", r.name);
            assert_eq!(FaultKind::parse(r.name), Some(r.kind));
        }
        assert_eq!(FaultKind::parse("meteor"), None);
    }

    #[test]
    fn storage_faults_strike_one_domain_and_plans_are_per_seed() {
        let targets = [target("a", "x"), target("b", "y"), target("c", "z")];
        let rates = Rates {
            bit_rot_per_disk_day: 20.0,
            power_loss_per_node_day: 1.0,
            ..Rates::default()
        };
        let day = Duration::from_secs(86_400);
        for seed in 0..20 {
            let p = plan(&rates, &targets, &[], seed, day);
            assert_eq!(
                p,
                plan(&rates, &targets, &[], seed, day),
                "same seed, same plan"
            );
            let hit: std::collections::BTreeSet<&str> = p
                .faults
                .iter()
                .filter(|f| f.kind.name == FaultName::Generic(FaultKind::BitRot))
                .map(|f| f.target.as_str())
                .collect();
            assert!(hit.len() <= 1, "one domain's disks only: {hit:?}");
            assert!(p.faults.windows(2).all(|w| w[0].at <= w[1].at));
        }
    }

    #[test]
    fn unbounded_storage_faults_strike_every_domain() {
        let targets = [target("a", "x"), target("b", "y"), target("c", "z")];
        let rates = Rates {
            bit_rot_per_disk_day: 20.0,
            unbounded: true,
            ..Rates::default()
        };
        let day = Duration::from_secs(86_400);
        let p = plan(&rates, &targets, &[], 7, day);
        let hit: std::collections::BTreeSet<&str> =
            p.faults.iter().map(|f| f.target.as_str()).collect();
        assert_eq!(hit.len(), 3, "every domain's disk: {hit:?}");
        let bounded = Rates {
            unbounded: false,
            ..rates
        };
        let within = plan(&bounded, &targets, &[], 7, day);
        let strike = |f: &PlannedFault<Fault>| (f.at, f.target.clone(), f.resolve_seed);
        let all: Vec<_> = p.faults.iter().map(strike).collect();
        assert!(
            within.faults.iter().all(|f| all.contains(&strike(f))),
            "the atlas's domain draws the same faults either way"
        );
    }

    #[test]
    fn every_failure_domain_is_as_likely_to_be_struck_wherever_its_nodes_stand() {
        // Domain x has two nodes that do not stand together: it must still
        // be drawn as one domain of two, not two of three.
        let targets = [target("a", "x"), target("b", "y"), target("c", "x")];
        let rates = Rates {
            bit_rot_per_disk_day: 50.0,
            ..Rates::default()
        };
        let day = Duration::from_secs(86_400);
        let on_x = (0..400)
            .filter(|&seed| {
                let p = plan(&rates, &targets, &[], seed, day);
                p.faults.iter().any(|f| f.target != "b/disk")
            })
            .count();
        assert!(
            (160..=240).contains(&on_x),
            "x struck on {on_x} of 400 seeds"
        );
    }
}
