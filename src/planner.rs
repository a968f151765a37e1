//! The planner: turns a scenario's fault rates into an explicit fault plan.
//!
//! The plan is a pure function of (seed, scenario), the same for every
//! design. Faults aimed at one handset are drawn from that handset's own
//! stream and server-side faults from the plan stream, so that dropping a
//! handset changes no other fault. Every event gets its own resolve seed.

use crate::scenario::{LinkClass, Scenario, StorageTarget};
use crate::topology;
use models::fault::{Fault, FaultKind, SyncStep};
use models::stream::Stream;
use rand::RngExt;
use sim::plan::{Plan, PlannedFault};
use sim::rng::{Rng, Seeds};
use sim::time::SimTime;
use std::cell::Cell;
use std::time::Duration;

/// The plan of `scenario` for root seed `seed`: at most
/// [`MAX_PLANNED_FAULTS`] faults (and its upgrades), whatever the scenario.
pub fn plan(scenario: &Scenario, seed: u64) -> Plan<Fault> {
    plan_within(scenario, seed, &Quota::new(MAX_PLANNED_FAULTS))
}

fn plan_within(scenario: &Scenario, seed: u64, quota: &Quota) -> Plan<Fault> {
    let seeds = Seeds::new(seed);
    let mut rng = seeds.stream(Stream::Plan);
    let mut out = node_crashes(scenario, &mut rng, quota);
    out.extend(upgrades(scenario, &mut rng));
    let incidents = incidents(scenario, &mut rng, quota);
    let atlas = atlas(scenario, &seeds, incidents, quota);
    let reacted = reacted(scenario, &atlas);
    for h in 0..scenario.topology.handsets {
        out.extend(handset_faults(scenario, &seeds, h, &reacted, quota));
    }
    for h in 0..scenario.topology.handsets {
        out.extend(mid_sync_pulls(scenario, &seeds, h, quota));
    }
    out.extend(atlas);
    out.extend(network_faults(scenario, &seeds, quota));
    out.extend(clock_faults(scenario, &seeds, quota));
    out.extend(edit_races(scenario, &seeds, quota));
    numbered(out, scenario.run.duration)
}

/// Crashes of the sync server, then of each database, from the plan stream.
fn node_crashes(scenario: &Scenario, rng: &mut Rng, quota: &Quota) -> Vec<Drawn> {
    let f = &scenario.faults;
    let run = scenario.run.duration;
    let down = f.node_down_for.as_millis() as u64;
    let crash = Fault::NodeCrash { down_for_ms: down };
    let mut out = Vec::new();
    for (target, per_day) in [
        (topology::SERVER, f.server_crash_per_day),
        (topology::DB_PRIMARY, f.db_crash_per_day),
        (topology::DB_BACKUP, f.db_crash_per_day),
    ] {
        for at in poisson(rng, per_day, Duration::ZERO, run, quota) {
            out.push((at, target.into(), crash.clone(), rng.random()));
        }
    }
    out
}

/// The scenario's upgrades, each a botched one at its time.
fn upgrades(scenario: &Scenario, rng: &mut Rng) -> Vec<Drawn> {
    let f = &scenario.faults;
    let notice_ms = f.maintenance_notice.as_millis() as u64;
    f.upgrades
        .iter()
        .map(|u| {
            let fault = Fault::BotchedUpgrade {
                downtime_ms: u.downtime.as_millis() as u64,
                notice_ms,
            };
            (SimTime::from(u.at), u.array.clone(), fault, rng.random())
        })
        .collect()
}

/// When the incidents (and device losses of database volumes) the atlas
/// kept happen, for those the scenario's aftermath follows.
fn reacted(scenario: &Scenario, atlas: &[Drawn]) -> Vec<SimTime> {
    let aftermath = &scenario.faults.incidents.aftermath;
    atlas
        .iter()
        .filter(|(_, target, kind, _)| {
            let db = [topology::DB_PRIMARY, topology::DB_BACKUP].contains(&target.as_str());
            (kind.is_incident() || db)
                && aftermath
                    .iter()
                    .any(|k| FaultKind::parse(k) == Some(kind.kind()))
        })
        .map(|(at, ..)| *at)
        .collect()
}

/// Handset `h`'s own faults, from its stream: battery pulls, factory
/// resets, then the aftermath of each upgrade and of each incident it
/// reacts to.
fn handset_faults(
    scenario: &Scenario,
    seeds: &Seeds,
    h: u32,
    reacted: &[SimTime],
    quota: &Quota,
) -> Vec<Drawn> {
    let f = &scenario.faults;
    let run = scenario.run.duration;
    let mut rng = seeds.stream(Stream::PlanFor(h));
    let name = topology::handset(h);
    let pull = Fault::BatteryPull {
        down_for_ms: f.battery_pull_down_for.as_millis() as u64,
    };
    let mut out = Vec::new();
    let per_day = f.battery_pull_per_handset_day;
    for at in poisson(&mut rng, per_day, Duration::ZERO, run, quota) {
        out.push((at, name.clone(), pull.clone(), rng.random()));
    }
    let per_day = f.reset_per_handset_day;
    for at in poisson(&mut rng, per_day, Duration::ZERO, run, quota) {
        out.push((at, name.clone(), Fault::FactoryReset, rng.random()));
    }
    let a = &f.aftermath;
    let span = a.window.as_millis().max(1) as u64;
    for u in &f.upgrades {
        if quota.is_spent() {
            break;
        }
        let start = u.at + u.downtime.min(a.window);
        if rng.random_bool(a.reset_probability) {
            let at = SimTime::from(u.at).after(Duration::from_millis(rng.random_range(0..span)));
            let at = at.max(SimTime::from(start));
            out.push((at, name.clone(), Fault::FactoryReset, rng.random()));
        }
        if rng.random_bool(a.battery_pull_probability) {
            let at = SimTime::from(u.at).after(Duration::from_millis(rng.random_range(0..span)));
            out.push((at, name.clone(), pull.clone(), rng.random()));
        }
        quota.spend(2);
    }
    for &start in reacted {
        if quota.is_spent() {
            break;
        }
        if rng.random_bool(a.reset_probability) {
            let at = start.after(Duration::from_millis(rng.random_range(0..span)));
            out.push((at, name.clone(), Fault::FactoryReset, rng.random()));
        }
        if rng.random_bool(a.battery_pull_probability) {
            let at = start.after(Duration::from_millis(rng.random_range(0..span)));
            out.push((at, name.clone(), pull.clone(), rng.random()));
        }
        quota.spend(2);
    }
    out
}

/// Handset `h`'s battery pulls in the middle of a sync, each at a step
/// drawn from [`SyncStep::ALL`], from its own stream.
fn mid_sync_pulls(scenario: &Scenario, seeds: &Seeds, h: u32, quota: &Quota) -> Vec<Drawn> {
    let f = &scenario.faults;
    let mut rng = seeds.stream(Stream::MidSyncFor(h));
    let down_for_ms = f.battery_pull_down_for.as_millis() as u64;
    let window_ms = f.mid_sync_pull_window.as_millis() as u64;
    let per_day = f.mid_sync_pull_per_handset_day;
    let mut out = Vec::new();
    for at in poisson(
        &mut rng,
        per_day,
        Duration::ZERO,
        scenario.run.duration,
        quota,
    ) {
        let step = SyncStep::ALL[rng.random_range(0..SyncStep::ALL.len())];
        let fault = Fault::MidSyncPull {
            step,
            down_for_ms,
            window_ms,
        };
        out.push((at, topology::handset(h), fault, rng.random()));
    }
    out
}

/// The plan of everything drawn that falls within the run, numbered from 1
/// in the order drawn.
fn numbered(out: Vec<Drawn>, run: Duration) -> Plan<Fault> {
    let faults = out
        .into_iter()
        .filter(|(at, ..)| at.as_duration() < run)
        .enumerate()
        .map(|(i, (at, target, kind, resolve_seed))| PlannedFault {
            id: i as u32 + 1,
            at,
            target,
            kind,
            resolve_seed,
        })
        .collect();
    Plan::new(faults)
}

type Drawn = (SimTime, String, Fault, u64);

/// Operator, backup and upgrade incidents: per kind, a Poisson process of
/// the kind's rate on its fixed target, from the plan stream (a kind whose
/// rate is 0 draws nothing, so scenarios without incidents keep their plans).
fn incidents(scenario: &Scenario, rng: &mut Rng, quota: &Quota) -> Vec<Drawn> {
    let inc = &scenario.faults.incidents;
    let down = scenario.faults.node_down_for.as_millis() as u64;
    let mut out = Vec::new();
    for (k, _, rate) in inc.rates() {
        let (target, kind) = match k {
            FaultKind::StaleRestore => (topology::DB_PRIMARY, Fault::StaleRestore),
            FaultKind::WrongAccountRestore => (topology::DB_PRIMARY, Fault::WrongAccountRestore),
            FaultKind::Failover => (topology::DB_PRIMARY, Fault::Failover { down_for_ms: down }),
            FaultKind::BackupStopped => (topology::DB_BACKUP, Fault::BackupStopped),
            FaultKind::BackupSilentFailure => (topology::DB_BACKUP, Fault::BackupSilentFailure),
            FaultKind::RetentionPurge => (topology::DB_BACKUP, Fault::RetentionPurge),
            FaultKind::SchemaMigration => (topology::DB_PRIMARY, Fault::SchemaMigration),
            FaultKind::UpgradeRollback => (topology::DB_PRIMARY, Fault::UpgradeRollback),
            FaultKind::VersionSkew => (
                topology::SERVER,
                Fault::VersionSkew {
                    for_ms: inc.version_skew_for.as_millis() as u64,
                },
            ),
            _ => continue,
        };
        for at in poisson(rng, rate, Duration::ZERO, scenario.run.duration, quota) {
            out.push((at, target.to_string(), kind.clone(), rng.random()));
        }
    }
    out
}

/// Storage faults: per target volume and kind, a Poisson process of the
/// kind's rate, each volume from its own stream. Then the fault atlas, over
/// these and the `incidents` together (one atlas: an operator, backup or
/// upgrade incident is a hit on its target's failure domain, like a storage
/// fault on a volume), keeps only faults whose failure domain is among the
/// first `max_domains` distinct domains hit in their window (unless the
/// scenario asks for unbounded faults). The atlas is part of the plan, so
/// every design meets it.
fn atlas(scenario: &Scenario, seeds: &Seeds, incidents: Vec<Drawn>, quota: &Quota) -> Vec<Drawn> {
    let st = &scenario.faults.storage;
    let run = scenario.run.duration;
    let down = scenario.faults.node_down_for.as_millis() as u64;
    let kind = |kind: FaultKind| match kind {
        FaultKind::BitRot => Some(Fault::BitRot),
        FaultKind::LatentSectorError => Some(Fault::LatentSectorError),
        FaultKind::TornWrite => Some(Fault::TornWrite { down_for_ms: down }),
        FaultKind::LostWrite => Some(Fault::LostWrite),
        FaultKind::MisdirectedWrite => Some(Fault::MisdirectedWrite),
        FaultKind::SyncFailure => Some(Fault::SyncFailure),
        FaultKind::DiskFull => Some(Fault::DiskFull {
            for_ms: st.disk_full_for.as_millis() as u64,
        }),
        FaultKind::DeviceLoss => Some(Fault::DeviceLoss { down_for_ms: down }),
        _ => None,
    };
    let mut volumes: Vec<(String, Stream)> = Vec::new();
    for t in st.volumes() {
        match t {
            StorageTarget::Handsets => volumes.extend(
                (0..scenario.topology.handsets)
                    .map(|h| (topology::handset(h), Stream::StorageFor(h))),
            ),
            StorageTarget::DbBackup => {
                volumes.push((topology::DB_BACKUP.into(), Stream::StorageDb(1)))
            }
            StorageTarget::DbPrimary => {
                volumes.push((topology::DB_PRIMARY.into(), Stream::StorageDb(0)))
            }
        }
    }
    let mut drawn = incidents;
    for (volume, stream) in volumes {
        let mut rng = seeds.stream(stream);
        for (k, rate) in st.rates() {
            let Some(fault) = kind(k) else { continue };
            for at in poisson(&mut rng, rate, Duration::ZERO, run, quota) {
                drawn.push((at, volume.clone(), fault.clone(), rng.random()));
            }
        }
    }
    drawn.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    if st.unbounded {
        return drawn;
    }
    let window = st.window.as_millis().max(1) as u64;
    let mut hit: std::collections::BTreeMap<u64, Vec<String>> = Default::default();
    drawn
        .into_iter()
        .filter(|(at, volume, ..)| {
            let domains = hit.entry(at.as_millis() / window).or_default();
            if domains.contains(volume) {
                return true;
            }
            if domains.len() < st.max_domains as usize {
                domains.push(volume.clone());
                return true;
            }
            false
        })
        .collect()
}

/// Network faults: a handset's offline periods and the partitions and
/// bad-network windows of its link to the server come from that handset's
/// own stream; those of the server-database links from their own stream.
/// Within a stream the draw order is fixed: offline periods (handsets only),
/// then each per-link kind in [`crate::scenario::NetworkFaults::rates`] order.
fn network_faults(scenario: &Scenario, seeds: &Seeds, quota: &Quota) -> Vec<Drawn> {
    let n = &scenario.faults.network;
    let run = scenario.run.duration;
    let ms = |d: Duration| d.as_millis() as u64;
    let per_mille = |share: f64| (share * 1000.0).round() as u32;
    let window = ms(n.window);
    let kind = |kind: FaultKind| match kind {
        FaultKind::Partition => Some(Fault::Partition {
            for_ms: ms(n.partition_for),
        }),
        FaultKind::PacketLoss => Some(Fault::PacketLoss {
            for_ms: window,
            per_mille: per_mille(n.loss_share),
        }),
        FaultKind::Duplication => Some(Fault::Duplication {
            for_ms: window,
            per_mille: per_mille(n.duplicate_share),
            lag_ms: ms(n.hold_for),
        }),
        FaultKind::Reordering => Some(Fault::Reordering {
            for_ms: window,
            per_mille: per_mille(n.reorder_share),
            hold_ms: ms(n.hold_for),
        }),
        FaultKind::LongDelay => Some(Fault::LongDelay {
            for_ms: window,
            per_mille: per_mille(n.delay_share),
            delay_ms: ms(n.delay_for),
        }),
        FaultKind::TransitCorruption => Some(Fault::TransitCorruption {
            for_ms: window,
            per_mille: per_mille(n.corrupt_share),
        }),
        _ => None,
    };
    let mut out = Vec::new();
    let links = |rng: &mut Rng, target: &str, out: &mut Vec<_>| {
        for (k, rate) in n.rates() {
            let Some(fault) = kind(k) else { continue };
            for at in poisson(rng, rate, Duration::ZERO, run, quota) {
                out.push((at, target.to_string(), fault.clone(), rng.random()));
            }
        }
    };
    let to_server = n.hits(LinkClass::HandsetServer);
    for h in 0..scenario.topology.handsets {
        let mut rng = seeds.stream(Stream::NetFor(h));
        let name = topology::handset(h);
        for at in poisson(
            &mut rng,
            n.offline_per_handset_day,
            Duration::ZERO,
            run,
            quota,
        ) {
            let fault = Fault::Offline {
                for_ms: ms(n.offline_for),
            };
            out.push((at, name.clone(), fault, rng.random()));
        }
        if to_server {
            links(&mut rng, &name, &mut out);
        }
    }
    if n.hits(LinkClass::ServerDatabase) {
        let mut rng = seeds.stream(Stream::NetServer);
        links(&mut rng, topology::SERVER, &mut out);
    }
    out
}

/// Clock faults: per handset, from its own clock stream, resets (a battery
/// pull that drains the clock) and skews of a size drawn uniformly from
/// `[-clock_skew_max, clock_skew_max]` (never 0).
fn clock_faults(scenario: &Scenario, seeds: &Seeds, quota: &Quota) -> Vec<Drawn> {
    let f = &scenario.faults;
    let run = scenario.run.duration;
    let pull = f.battery_pull_down_for.as_millis() as u64;
    let max = f.clock_skew_max.as_millis().max(1) as i64;
    let mut out = Vec::new();
    for h in 0..scenario.topology.handsets {
        let mut rng = seeds.stream(Stream::ClockFor(h));
        let name = topology::handset(h);
        for at in poisson(
            &mut rng,
            f.clock_reset_per_handset_day,
            Duration::ZERO,
            run,
            quota,
        ) {
            let kind = Fault::ClockReset { down_for_ms: pull };
            out.push((at, name.clone(), kind, rng.random()));
        }
        for at in poisson(
            &mut rng,
            f.clock_skew_per_handset_day,
            Duration::ZERO,
            run,
            quota,
        ) {
            let skew_ms = rng.random_range(1..=max) * if rng.random_bool(0.5) { 1 } else { -1 };
            out.push((at, name.clone(), Fault::ClockSkew { skew_ms }, rng.random()));
        }
    }
    out
}

/// Edit races: per handset, from its own stream, a Poisson process of the
/// scenario's rate (0 draws nothing, so plans without races are unchanged);
/// the record, the delay and the reset or power loss are resolved when it
/// fires ([`crate::race`]).
fn edit_races(scenario: &Scenario, seeds: &Seeds, quota: &Quota) -> Vec<Drawn> {
    let f = &scenario.faults;
    let ms = |d: Duration| d.as_millis() as u64;
    let kind = Fault::EditRace {
        window_ms: ms(f.edit_race_window),
        delay_max_ms: ms(f.edit_race_delay_max),
        down_for_ms: ms(f.battery_pull_down_for),
    };
    let mut out = Vec::new();
    for h in 0..scenario.topology.handsets {
        let mut rng = seeds.stream(Stream::EditRaceFor(h));
        let run = scenario.run.duration;
        for at in poisson(
            &mut rng,
            f.edit_race_per_handset_day,
            Duration::ZERO,
            run,
            quota,
        ) {
            out.push((at, topology::handset(h), kind.clone(), rng.random()));
        }
    }
    out
}

/// The most faults one plan draws: twice what the work budget's ceiling
/// (`crate::budget::Budget::CEILING`, 100 units a fault) lets a run plan,
/// so no run the budget accepts comes near it.
pub const MAX_PLANNED_FAULTS: usize = 20_000_000;

/// How many more faults a plan may draw: shared by every draw of one plan,
/// so that no scenario, however far past the budget, makes the planner
/// loop or allocate without bound.
struct Quota(Cell<usize>);

impl Quota {
    fn new(n: usize) -> Self {
        Quota(Cell::new(n))
    }

    fn left(&self) -> usize {
        self.0.get()
    }

    fn is_spent(&self) -> bool {
        self.left() == 0
    }

    fn spend(&self, n: usize) {
        self.0.set(self.left().saturating_sub(n));
    }
}

/// Times of a Poisson process with `per_day` events a day in [from, to).
///
/// Never more than [`most_events`] of its expected count, nor than the
/// plan's `quota` has left: bounds no real draw of a run the work budget
/// accepts reaches (so they change no plan), which keep any rate, however
/// high, from looping or allocating without bound.
fn poisson(
    rng: &mut Rng,
    per_day: f64,
    from: Duration,
    to: Duration,
    quota: &Quota,
) -> Vec<SimTime> {
    let mut out = Vec::new();
    if per_day.is_nan() || per_day <= 0.0 {
        return out;
    }
    let mean_ms = 86_400_000.0 / per_day;
    let span_ms = to.saturating_sub(from).as_millis() as f64;
    let most = most_events(span_ms / mean_ms).min(quota.left());
    let mut t = from.as_millis() as f64;
    while out.len() < most {
        let u: f64 = rng.random_range(f64::EPSILON..1.0);
        t += -u.ln() * mean_ms;
        if t >= to.as_millis() as f64 {
            break;
        }
        out.push(SimTime(t as u64));
    }
    quota.spend(out.len());
    out
}

/// The most events a Poisson process whose expected count is `mean` may
/// draw: `mean + 10 * sqrt(mean) + 100` (ten standard deviations and then
/// some, beyond any real draw), saturating; 0 for a mean that is not a
/// number.
pub fn most_events(mean: f64) -> usize {
    let bound = mean + 10.0 * mean.sqrt() + 100.0;
    if bound.is_nan() {
        0
    } else {
        // `as` saturates: +inf and anything past usize::MAX become usize::MAX.
        bound as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_stops_at_its_quota_whatever_the_scenario_says() {
        // Rates no scenario file may hold (they bypass the loader here):
        // a Poisson loop at 1e308 a day never advances time, so only the
        // quota ends it.
        let mut s = Scenario::load("sidekick-2009", &[]).expect("loads");
        s.topology.handsets = 10_000;
        s.faults.reset_per_handset_day = 1e308;
        s.faults.server_crash_per_day = f64::INFINITY;
        s.faults.incidents.failover_per_day = 1e300;
        s.faults.incidents.aftermath = vec!["failover".into()];
        let plan = plan_within(&s, 7, &Quota::new(5_000));
        assert!(plan.faults.len() <= 5_000 + 2 + s.faults.upgrades.len());
        assert!(plan.faults.len() > 4_000, "{}", plan.faults.len());
    }

    #[test]
    fn the_quota_leaves_every_catalogue_plan_as_it_was() {
        for name in crate::scenario::catalogue_names() {
            let s = Scenario::load(name, &[]).expect("loads");
            for seed in 0..3 {
                let unbounded = plan_within(&s, seed, &Quota::new(usize::MAX));
                assert_eq!(plan(&s, seed), unbounded, "{name} seed {seed}");
            }
        }
    }
}
