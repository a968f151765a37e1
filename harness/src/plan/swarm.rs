//! `run --swarm`: swarm testing (Groce et al., "Swarm Testing", ISSTA
//! 2012). Each seed draws its own configuration from the scenario's, so a
//! sweep explores mixes no one wrote down.
//!
//! A draw is a list of `--set` overrides, a pure function of (seed,
//! scenario), so a swarm seed replays as the scenario with those overrides
//! and needs no swarm flag. What is drawn, in this order, from the seed's
//! own stream (`swarm`):
//! - every generic fault rate ([`FAULT_TABLE`] order) and every own-fault
//!   rate (`[faults.system]`, in key order) the scenario sets above zero is
//!   switched off with probability 1/2, else scaled by a factor drawn
//!   log-uniformly from 1/4 to 4 (at most [`MAX_RATE`]); if all were
//!   switched off, one drawn at random keeps the scenario's rate. Rates the
//!   scenario leaves at zero stay at zero: the scenario bounds the mix.
//! - every `[system]` key the system declares swarmable
//!   ([`System::swarm_keys`]), within its row's bounds.
//!
//! Never a design knob: a sweep tests one design.

use crate::case::Case;
use crate::plan::faults::{FAULT_TABLE, MAX_RATE};
use crate::plan::guided::Bias;
use crate::rig::Rig;
use crate::scenario::{Scenario, ScenarioError, Source};
use crate::system::System;
use rand::RngExt;
use sim::rng::{Rng, Seeds};

/// One `[system]` key a swarm may draw per seed: a workload's shape or
/// timing, a count of nodes, never a design knob.
#[derive(Clone, Copy, Debug)]
pub struct SwarmKey {
    /// The key under `[system]` (`sync_interval_s`).
    pub key: &'static str,
    /// What values it may take.
    pub range: SwarmRange,
}

/// The values a [`SwarmKey`] is drawn from.
#[derive(Clone, Copy, Debug)]
pub enum SwarmRange {
    /// An integer drawn uniformly from `min` to `max`, both included.
    Integer {
        /// The least value.
        min: i64,
        /// The greatest value.
        max: i64,
    },
    /// A number drawn log-uniformly from `min` to `max` (both finite,
    /// `0 < min <= max`): each factor of 2 in the range is as likely.
    Real {
        /// The least value.
        min: f64,
        /// The greatest value.
        max: f64,
    },
}

/// Checks a system's swarm keys: bounds in order, reals finite and above
/// zero; an error names the key.
pub fn check_keys(keys: &[SwarmKey]) -> Result<(), String> {
    for k in keys {
        let ok = match k.range {
            SwarmRange::Integer { min, max } => min <= max,
            SwarmRange::Real { min, max } => {
                min.is_finite() && max.is_finite() && 0.0 < min && min <= max
            }
        };
        if !ok || k.key.is_empty() {
            return Err(format!(
                "swarm key system.{}: bounds {:?} are not a range (min <= max; reals finite and above 0)",
                k.key, k.range
            ));
        }
    }
    Ok(())
}

/// The configuration seed `seed` draws from `scenario`, as `--set`
/// overrides in a fixed order (see the module's doc).
pub fn draw<S: System>(scenario: &Scenario<S>, seed: u64) -> Vec<String> {
    let mut rng = Seeds::new(seed).keyed("swarm", 0);
    let on: Vec<(String, f64)> = rates(scenario)
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .collect();
    let mut rates: Vec<Option<f64>> = on
        .iter()
        .map(|(_, v)| {
            let keep = rng.random_bool(0.5);
            let factor = 4f64.powf(rng.random_range(-1.0..=1.0));
            keep.then_some((v * factor).min(MAX_RATE))
        })
        .collect();
    if !on.is_empty() && rates.iter().all(Option::is_none) {
        let i = rng.random_range(0..on.len());
        rates[i] = Some(on[i].1);
    }
    let mut out: Vec<String> = on
        .iter()
        .zip(rates)
        .map(|((key, _), v)| format!("{key}={}", real(v.unwrap_or(0.0))))
        .collect();
    out.extend(
        S::swarm_keys()
            .iter()
            .map(|k| format!("system.{}={}", k.key, value(&mut rng, k.range))),
    );
    out
}

/// Every fault rate of `scenario` as a `--set` key with the scenario's
/// value: the generic ones in [`FAULT_TABLE`] order
/// (`faults.power_loss_per_node_day`), then the system's own in key order
/// (`faults.system.stale_restore_per_day`). Swarm scales those above zero
/// by a factor from 1/4 to 4.
pub fn rates<S: System>(scenario: &Scenario<S>) -> Vec<(String, f64)> {
    let generic = FAULT_TABLE
        .iter()
        .map(|r| (format!("faults.{}", r.key), scenario.faults.of(r.kind)));
    let own = scenario
        .faults
        .system
        .iter()
        .map(|(k, v)| (format!("faults.system.{k}"), *v));
    generic.chain(own).collect()
}

/// One value of `range`, as TOML.
fn value(rng: &mut Rng, range: SwarmRange) -> String {
    match range {
        SwarmRange::Integer { min, max } => rng.random_range(min..=max).to_string(),
        SwarmRange::Real { min, max } => {
            let u: f64 = rng.random_range(0.0..=1.0);
            real((min * (max / min).powf(u)).clamp(min, max))
        }
    }
}

/// `v` as a TOML float of at most 4 decimals (`0.5`, `12.0`).
pub(crate) fn real(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0');
    if s.ends_with('.') {
        format!("{s}0")
    } else {
        s.to_string()
    }
}

/// How a swarm seed draws ([`Rig::swarm_draw`]): as the scenario bounds
/// it, or leaned, or past the fault atlas.
#[derive(Clone, Copy, Debug, Default)]
pub struct Draw<'a> {
    /// `--guided`: how this generation's draws lean.
    pub bias: Option<&'a Bias>,
    /// `--unbounded`: storage faults may fall outside the fault atlas (a
    /// [`System`]'s draw then ends `faults.unbounded=true`).
    pub unbounded: bool,
}

/// The draw of seed `seed` of a [`System`]'s scenario: [`draw`], leaned
/// by `how.bias`, then `faults.unbounded=true` if `how.unbounded`.
pub fn draw_as<S: System>(scenario: &Scenario<S>, seed: u64, how: &Draw<'_>) -> Vec<String> {
    let drawn = draw(scenario, seed);
    let mut drawn = match how.bias {
        Some(b) => b.apply(scenario, drawn),
        None => drawn,
    };
    if how.unbounded {
        drawn.push("faults.unbounded=true".into());
    }
    drawn
}

/// Why swarm seed `seed`, which drew `drawn`, cannot run: `--swarm: seed
/// N drew KEY=VALUE ...: WHY`.
pub fn refused(seed: u64, drawn: &[String], why: impl std::fmt::Display) -> String {
    format!("--swarm: seed {seed} drew {}: {why}", drawn.join(" "))
}

/// A scenario swept with `--swarm`: what each seed's case is made from.
pub struct Swarm<'a, R: Rig> {
    base: &'a Case<R>,
    source: &'a Source,
    unbounded: bool,
}

impl<'a, R: Rig> Swarm<'a, R> {
    /// A swarm over `base`, loaded from the scenario in `source`, its
    /// storage faults past the fault atlas if `unbounded`; refuses a
    /// scenario whose draws could not run ([`Rig::swarm_check`]: for a
    /// [`System`], swarm keys that are not ranges).
    pub fn new(base: &'a Case<R>, source: &'a Source, unbounded: bool) -> Result<Self, String> {
        R::swarm_check(&base.scenario)?;
        Ok(Swarm {
            base,
            source,
            unbounded,
        })
    }

    /// Seed `seed`'s case: the base's overrides, then what the seed drew
    /// (in [`Case::drawn`]); an error names the seed and its draw.
    pub fn case(&self, seed: u64) -> Result<Case<R>, String> {
        self.draw(seed, None)
    }

    /// Seed `seed`'s case with its draws leaned by `bias` (`--guided`).
    pub fn leaned(&self, seed: u64, bias: &Bias) -> Result<Case<R>, String> {
        self.draw(seed, Some(bias))
    }

    fn draw(&self, seed: u64, bias: Option<&Bias>) -> Result<Case<R>, String> {
        let how = Draw {
            bias,
            unbounded: self.unbounded,
        };
        let drawn = R::swarm_draw(&self.base.scenario, seed, &how);
        let refusal = |e: ScenarioError| refused(seed, &drawn, e);
        self.case_with(drawn.clone()).map_err(refusal)
    }

    /// The case of the base's overrides, then `drawn` (kept in
    /// [`Case::drawn`]): what a seed that drew `drawn` runs.
    pub fn case_with(&self, drawn: Vec<String>) -> Result<Case<R>, ScenarioError> {
        let mut overrides = self.base.overrides.clone();
        overrides.extend(drawn.iter().cloned());
        let mut case = Case::load(self.source, &overrides, &self.base.design_name)?;
        case.overrides.truncate(self.base.overrides.len());
        case.drawn = drawn;
        case.watch_situations = self.base.watch_situations;
        Ok(case)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_print_as_toml_floats() {
        assert_eq!(real(0.5), "0.5");
        assert_eq!(real(12.0), "12.0");
        assert_eq!(real(1.23456), "1.2346");
        assert_eq!(real(0.0), "0.0");
    }

    #[test]
    fn bad_bounds_are_refused_by_name() {
        let bad = [SwarmKey {
            key: "clients",
            range: SwarmRange::Integer { min: 3, max: 1 },
        }];
        assert!(check_keys(&bad).unwrap_err().contains("system.clients"));
        let zero = [SwarmKey {
            key: "rate",
            range: SwarmRange::Real { min: 0.0, max: 1.0 },
        }];
        assert!(check_keys(&zero).is_err());
    }
}
