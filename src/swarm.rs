//! Swarm testing: each seed draws its own configuration (which fault classes
//! are on, at what rates, how many handsets) from the scenario's, so that a
//! sweep explores mixes no one wrote down (Groce et al., "Swarm Testing",
//! ISSTA 2012; FoundationDB's buggify does the same per run).
//!
//! A drawn configuration is a list of `--set` overrides, a pure function of
//! (seed, scenario): replaying a swarm seed is replaying the scenario with
//! those overrides, so every failure's replay command names them and needs
//! no swarm flag. What is drawn:
//! - every fault rate or probability that the fault table names
//!   ([`FAULT_TABLE`]'s `rates`) and the scenario sets above zero is switched off with probability 1/2, else
//!   scaled by a factor drawn log-uniformly from 1/4 to 4 (probabilities
//!   capped at 1); at least one stays on. Rates the scenario leaves at zero
//!   stay at zero: the scenario bounds which classes a swarm may mix.
//! - the number of handsets, uniformly from a quarter of the scenario's
//!   (at least 1) up to the scenario's.
//! - every key of the workload table ([`WORKLOAD_TABLE`]: edit rate, new
//!   record and delete shares, record count, portal rate, sync interval,
//!   delay from an edit to its sync, network latency) the scenario sets
//!   above zero, scaled
//!   by a factor drawn log-uniformly within the row's bounds or the
//!   scenario's narrower `[swarm] factors`.
//! - the heal bound: the scenario's, times the sync interval's factor when
//!   that is above 1 (a handset syncing less often needs longer to
//!   converge), plus what the drawn exchange timeout adds to the
//!   scenario's, so that a design that converges is never cut short.
//! - the databases' engine, uniformly among `[swarm] engines` (default
//!   every engine), buggify (on or off with probability 1/2, unless
//!   `[swarm] buggify` fixes it), and the handsets' store, uniformly among
//!   `[swarm] handset_engines` (default the log store and SQLite).
//! - then the workload table's later rows: the burstiness of the edits, a
//!   level drawn uniformly from 0 (Poisson) to 4 whatever the scenario's,
//!   and the handsets' exchange timeout, scaled like the rows above. They
//!   come last so that every dimension above keeps the value a seed drew
//!   before they existed.
//!
//! Never a design knob: a sweep tests one design. A scenario's
//! `faults.survivable` stays as it is: the swarm of `offline-media` or
//! `restore-resets` draws mixes of the hard classes under the atlas.
//! - with `unbounded`, the storage atlas is switched off
//!   (`faults.storage.unbounded = true`); otherwise it bounds the drawn
//!   storage faults as it bounds the scenario's.

use crate::rig::Sidekick;
use crate::runner::{parallel_map, Case};
use crate::scenario::{Scenario, CATALOGUE};
use crate::workload_table::{
    Row, DRAWN_BEFORE_ENGINES, HEAL_SCALES_WITH, HEAL_WAITS_FOR, WORKLOAD_TABLE,
};
use harness::plan::swarm::Swarm;
use harness::rig::Rig;
use harness::scenario::Source;
use models::engine::sqlite::HandsetEngine;
use models::engine::EngineKind;
use models::fault::FAULT_TABLE;
use models::stream::Stream;
use rand::RngExt;
use sim::outcome::SeedOutcome;
use sim::rng::Seeds;
use std::time::Duration;

/// The value of the dotted `key` (starting `faults.`) in `faults`, if it
/// is a number.
fn number_at(faults: &toml::Table, key: &str) -> Option<f64> {
    let mut parts = key.strip_prefix("faults.")?.split('.');
    let last = parts.next_back()?;
    let mut table = faults;
    for part in parts {
        table = table.get(part)?.as_table()?;
    }
    match table.get(last)? {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// Every rate or probability key of the fault table, with its value in
/// `faults`, in table order: what a swarm may scale or switch off.
pub fn rate_keys(faults: &toml::Table) -> Vec<(&'static str, f64)> {
    FAULT_TABLE
        .iter()
        .flat_map(|row| row.rates.iter())
        .map(|&key| {
            let v = number_at(faults, key)
                .unwrap_or_else(|| panic!("fault table key {key} is a number of [faults]"));
            (key, v)
        })
        .collect()
}

/// The configuration seed `seed` draws from `scenario`, as `--set`
/// overrides in a fixed order.
pub fn draw(scenario: &Scenario, seed: u64, unbounded: bool) -> Vec<String> {
    let mut rng = Seeds::new(seed).stream(Stream::Swarm);
    let faults = toml::Table::try_from(&scenario.faults).expect("faults serialize to a table");
    let on: Vec<(&str, f64)> = rate_keys(&faults)
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .collect();
    let mut drawn: Vec<(&str, Option<f64>)> = on
        .iter()
        .map(|&(key, v)| {
            let keep = rng.random_bool(0.5);
            let factor = 4f64.powf(rng.random_range(-1.0..=1.0));
            (key, keep.then_some(v * factor))
        })
        .collect();
    if !on.is_empty() && drawn.iter().all(|(_, v)| v.is_none()) {
        let i = rng.random_range(0..on.len());
        drawn[i].1 = Some(on[i].1);
    }
    let mut out: Vec<String> = drawn
        .into_iter()
        .map(|(key, v)| {
            let v = v.unwrap_or(0.0);
            let v = if key.ends_with("_probability") {
                v.min(1.0)
            } else {
                v
            };
            format!("{key}={}", round(v))
        })
        .collect();
    let n = scenario.topology.handsets;
    let handsets = rng.random_range((n / 4).max(1)..=n);
    out.push(format!("topology.handsets={handsets}"));
    out.extend(draw_workload(scenario, &mut rng));
    if unbounded {
        out.push("faults.storage.unbounded=true".into());
    }
    out
}

/// The scenario as a TOML table, to read any key's value by its dotted name.
fn as_table(scenario: &Scenario) -> toml::Table {
    toml::Table::try_from(scenario).expect("a scenario serializes to a table")
}

/// The value of `key` in `table`: a number as it is, a duration in
/// milliseconds.
fn value_at(table: &toml::Table, key: &str) -> Option<f64> {
    let (path, last) = key.rsplit_once('.').unwrap_or(("", key));
    let mut t = table;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        t = t.get(part)?.as_table()?;
    }
    match t.get(last)? {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::String(d) => crate::duration::parse(d).ok().map(|d| d.as_millis() as f64),
        _ => None,
    }
}

/// The value of a key the scenario leaves out of its TOML when it holds
/// its default.
fn unserialized_default(scenario: &Scenario, key: &str) -> Option<f64> {
    match key {
        "system.network_latency" => Some(scenario.system.network_latency.as_millis() as f64),
        "workload.burstiness" => Some(scenario.workload.burstiness),
        "workload.exchange_timeout" => Some(scenario.workload.exchange_timeout.as_millis() as f64),
        _ => None,
    }
}

/// A factor drawn log-uniformly from `min` to `max`.
fn factor(rng: &mut sim::rng::Rng, (min, max): (f64, f64)) -> f64 {
    let u: f64 = rng.random_range(0.0..=1.0);
    min * (max / min).powf(u)
}

/// One row drawn: its value, and the factor it was scaled by (1 for a
/// level).
struct Drawn {
    row: &'static Row,
    value: f64,
    factor: f64,
}

/// Draws `rows` from `scenario`, one draw each in order, keeping those
/// the scenario does not leave at zero (levels are always kept).
fn draw_rows(
    scenario: &Scenario,
    table: &toml::Table,
    rows: &'static [Row],
    rng: &mut sim::rng::Rng,
) -> Vec<Drawn> {
    rows.iter()
        .filter_map(|row| {
            let bounds = scenario.swarm.bounds(row.key);
            if !row.kind.scales() {
                let (min, max) = bounds;
                let value = min + (max - min) * rng.random_range(0.0..=1.0);
                return Some(Drawn {
                    row,
                    value,
                    factor: 1.0,
                });
            }
            let base = value_at(table, row.key)
                .or_else(|| unserialized_default(scenario, row.key))
                .unwrap_or_else(|| {
                    panic!("workload table key {} is a value of the scenario", row.key)
                });
            let f = factor(rng, bounds);
            (base != 0.0).then_some(Drawn {
                row,
                value: base * f,
                factor: f,
            })
        })
        .collect()
}

/// The workload's shape and timing ([`WORKLOAD_TABLE`], keys the scenario
/// leaves at zero stay so), the heal bound scaled with the drawn sync
/// interval and lengthened by the drawn exchange timeout, the databases'
/// engine, buggify and the handsets' store, as overrides.
fn draw_workload(scenario: &Scenario, rng: &mut sim::rng::Rng) -> Vec<String> {
    let table = as_table(scenario);
    let (first, later) = WORKLOAD_TABLE.split_at(DRAWN_BEFORE_ENGINES);
    let mut rows = draw_rows(scenario, &table, first, rng);
    let engines = scenario.swarm.engines();
    let engine = engines[rng.random_range(0..engines.len())];
    let buggify = match scenario.swarm.buggify {
        Some(fixed) => fixed,
        None => rng.random_bool(0.5),
    };
    let stores = scenario.swarm.handset_engines();
    let store = stores[rng.random_range(0..stores.len())];
    // Drawn last, so every earlier dimension keeps the value it drew
    // before these were dimensions.
    let late = draw_rows(scenario, &table, later, rng);
    let heal = heal_bound(scenario, rows.iter().chain(&late));
    let mut out: Vec<String> = rows
        .drain(..)
        .map(|d| format!("{}={}", d.row.key, d.row.kind.write(d.value)))
        .collect();
    out.push(format!("run.heal_bound={}ms", heal.as_millis()));
    out.push(format!("engine={}", engine_name(engine)));
    out.push(format!("buggify={buggify}"));
    out.push(format!("handset_engine={store}"));
    out.extend(
        late.iter()
            .map(|d| format!("{}={}", d.row.key, d.row.kind.write(d.value))),
    );
    out
}

/// The heal bound of a draw: the scenario's, times the sync interval's
/// factor when that is above 1 (a handset syncing k times less often needs
/// k times as long to converge), plus what the drawn exchange timeout adds
/// to the scenario's; never shorter than the scenario's.
fn heal_bound<'a>(scenario: &Scenario, drawn: impl Iterator<Item = &'a Drawn>) -> Duration {
    let mut heal = scenario.run.heal_bound.as_millis() as f64;
    let mut waits = 0.0f64;
    for d in drawn {
        if d.row.key == HEAL_SCALES_WITH {
            heal *= d.factor.max(1.0);
        }
        if d.row.key == HEAL_WAITS_FOR {
            let base = d.value / d.factor;
            waits = (d.value.round() - base.round()).max(0.0);
        }
    }
    Duration::from_millis((heal.round() + waits) as u64)
}

/// The scenario at the costly corner of every workload dimension a swarm
/// draws from it: edit and portal rates at their largest factor, the sync
/// interval at its smallest, the heal bound at its largest (with the
/// longest exchange timeout's wait), the handsets on SQLite if a swarm may
/// draw it (it costs more per flush). Burstiness and the exchange timeout
/// cost nothing more: bursts keep the mean edit rate, and a timeout is one
/// timer per exchange whatever its length. The work
/// budget's bound on every draw (`Work::swarm_bound`) is this one's, with
/// the fault rates scaled as [`draw`] scales them.
pub fn costliest(scenario: &Scenario) -> Scenario {
    let mut s = scenario.clone();
    let b = &scenario.swarm;
    let w = &mut s.workload;
    w.edits_per_handset_day *= b.bounds("workload.edits_per_handset_day").1;
    w.portal_edits_per_user_day *= b.bounds("workload.portal_edits_per_user_day").1;
    let (fastest, slowest) = b.bounds(HEAL_SCALES_WITH);
    w.sync_interval = w.sync_interval.mul_f64(fastest);
    s.run.heal_bound = s.run.heal_bound.mul_f64(slowest.max(1.0));
    let longest = b.bounds(HEAL_WAITS_FOR).1;
    let timeout = scenario.workload.exchange_timeout;
    s.run.heal_bound += timeout.mul_f64(longest).saturating_sub(timeout);
    if b.handset_engines().contains(&HandsetEngine::Sqlite) {
        s.handset_engine = HandsetEngine::Sqlite;
    }
    s
}

/// The name a scenario file gives `engine`.
fn engine_name(engine: EngineKind) -> &'static str {
    match engine {
        EngineKind::Log => "log",
        EngineKind::Redb => "redb",
    }
}

/// `v` to 4 significant digits, so that drawn overrides read well and
/// parse back to the same value.
pub(crate) fn round(v: f64) -> f64 {
    if v == 0.0 {
        return 0.0;
    }
    let digits = 3 - v.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

/// `base` with the `drawn` overrides after its own: the case one swarm
/// seed runs, and replays.
pub fn case_with(base: &Case, drawn: &[String]) -> Result<Case, String> {
    let overrides: Vec<String> = base.overrides.iter().chain(drawn).cloned().collect();
    let scenario = Scenario::load(&base.spec, &overrides).map_err(|e| e.to_string())?;
    let chosen = Sidekick::design(&scenario, Some(&base.design_name)).map_err(|e| e.to_string())?;
    Ok(Case {
        scenario,
        design_name: chosen.name,
        design_shown: chosen.shown,
        design: chosen.design,
        overrides,
        ..base.clone()
    })
}

/// The scenario `case` was loaded from.
fn source_of(case: &Case) -> Result<Source, String> {
    Source::find(&case.spec, CATALOGUE).map_err(|e| e.to_string())
}

/// Runs one seed under the configuration it draws from `case`'s scenario,
/// as `run --swarm` runs it ([`Swarm::case`]). The outcome keeps `case`'s
/// own overrides and names what the seed drew. Errors, naming the seed
/// and its draw, if the drawn configuration does not load.
pub fn run_seed(case: &Case, seed: u64, unbounded: bool) -> Result<SeedOutcome, String> {
    let source = source_of(case)?;
    let swarm = Swarm::new(case, &source, unbounded)?;
    Ok(swarm.case(seed)?.run_seed(seed).outcome)
}

/// Runs every seed of `seeds` under the configuration it draws from
/// `case`'s scenario, on `jobs` threads, and returns the outcomes in seed
/// order. Every drawn configuration is checked before any seed runs: one
/// that does not load is an error.
pub fn sweep(
    case: &Case,
    seeds: Vec<u64>,
    jobs: usize,
    unbounded: bool,
) -> Result<Vec<SeedOutcome>, String> {
    let source = source_of(case)?;
    let swarm = Swarm::new(case, &source, unbounded)?;
    for &seed in &seeds {
        swarm.case(seed)?;
    }
    parallel_map(&seeds, jobs, |&seed| {
        swarm.case(seed).map(|c| c.run_seed(seed).outcome)
    })
    .into_iter()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_per_seed_within_the_scenario() {
        let s = Scenario::load("sidekick-2009", &[]).unwrap();
        let a = draw(&s, 7, false);
        assert_eq!(a, draw(&s, 7, false), "a pure function of the seed");
        assert_ne!(a, draw(&s, 8, false));
        assert!(a.iter().any(|o| o.starts_with("topology.handsets=")));
        assert!(!a.iter().any(|o| o.contains("storage")), "{a:?}");
        assert!(draw(&s, 7, true).contains(&"faults.storage.unbounded=true".to_string()));
        for seed in 0..50 {
            let d = draw(&s, seed, false);
            // Every drawn configuration loads, and at least one class stays on.
            Scenario::load("sidekick-2009", &d).unwrap();
            assert!(
                d.iter()
                    .filter(|o| o.starts_with("faults."))
                    .any(|o| !o.ends_with("=0")),
                "{d:?}"
            );
        }
    }

    /// Every numeric leaf of `table` under `prefix`, as dotted keys.
    fn numbers(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
        for (k, v) in table {
            let key = format!("{prefix}.{k}");
            match v {
                toml::Value::Table(t) => numbers(&key, t, out),
                toml::Value::Float(_) | toml::Value::Integer(_) => out.push(key),
                _ => {}
            }
        }
    }

    #[test]
    fn the_fault_table_names_every_number_of_the_faults_schema() {
        let s = Scenario::load("chaos", &[]).unwrap();
        let faults = toml::Table::try_from(&s.faults).unwrap();
        // Every rate key of the table is a number of [faults] (else this panics).
        let rates = rate_keys(&faults);
        let mut all = Vec::new();
        numbers("faults", &faults, &mut all);
        // The atlas's bound is the harness's, shared by every storage kind.
        const ATLAS: &str = "faults.storage.max_domains";
        let unnamed: Vec<&String> = all
            .iter()
            .filter(|key| *key != ATLAS)
            .filter(|key| !FAULT_TABLE.iter().any(|row| row.keys().any(|k| k == *key)))
            .collect();
        assert!(
            unnamed.is_empty(),
            "numbers of [faults] no fault table row names: {unnamed:?}"
        );
        assert!(rates.iter().any(|(k, _)| k.ends_with("_per_link_day")));
    }

    #[test]
    fn every_rate_key_of_chaos_can_be_drawn_off_and_scaled() {
        let s = Scenario::load("chaos", &[]).unwrap();
        let faults = toml::Table::try_from(&s.faults).unwrap();
        let on: Vec<(&str, f64)> = rate_keys(&faults)
            .into_iter()
            .filter(|(_, v)| *v > 0.0)
            .collect();
        assert!(on.len() >= 20, "chaos sets most rates: {on:?}");
        let draws: Vec<Vec<String>> = (0..200).map(|seed| draw(&s, seed, false)).collect();
        for (key, base) in on {
            let values: Vec<f64> = draws
                .iter()
                .filter_map(|d| d.iter().find_map(|o| o.strip_prefix(&format!("{key}="))))
                .map(|v| v.parse().unwrap())
                .collect();
            assert_eq!(values.len(), 200, "{key} is drawn by every seed");
            assert!(values.contains(&0.0), "{key} is never switched off");
            assert!(
                values.iter().any(|v| *v != 0.0 && *v != base),
                "{key} is never scaled"
            );
        }
    }

    #[test]
    fn rounding_keeps_four_digits() {
        assert_eq!(round(0.123456), 0.1235);
        assert_eq!(round(12.3456), 12.35);
        assert_eq!(round(0.0), 0.0);
    }
}
