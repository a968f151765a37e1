//! Guided swarm (`run --swarm --guided`): swarm draws biased toward the
//! situations a sweep has not reached yet, as Antithesis steers runs toward
//! states it has rarely seen.
//!
//! Seeds run in fixed generations of [`GENERATION`] seeds, in seed order.
//! Generation 0 draws as plain swarm does. Before generation g starts,
//! every seed of generations 0..g has run; what none of them reached (the
//! situations of [`crate::situations`], and the buggify sites that never
//! fired) sets the bias of generation g ([`Bias::toward`]). So generation
//! g's draws depend only on the seeds of the generations before it, never
//! on how many jobs ran them: the output is the same for any `--jobs`. A
//! shard cannot know what the other shards' seeds reached, so `--shard`
//! is refused.
//!
//! The bias changes only what swarm already draws, and stays within the
//! bounds swarm draws from ([`crate::swarm`]): a favoured rate the seed
//! switched off is switched on at the scenario's value, and a favoured
//! rate or workload key whose factor fell in the lower half of its bounds
//! gets the mirrored factor in the upper half; buggify is switched on when
//! a site never fired (unless the scenario fixes it). A rate the scenario
//! leaves at zero stays zero. The drawn overrides are still the whole
//! configuration: a failing seed replays without `--guided`.

use crate::rig::Sidekick;
use crate::runner::Case;
use crate::scenario::Scenario;
use crate::situations::{Situation, BUGGIFY_SITES};
use crate::swarm;
use crate::workload_table::{row_of, Kind};
use harness::rig::Rig;
use std::collections::BTreeSet;

/// Seeds per generation.
pub const GENERATION: usize = 50;

/// The keys whose larger values make each situation likelier: rates of
/// the fault table and keys of the workload table.
pub const LEVERS: &[(Situation, &[&str])] = &[
    (
        Situation::EditDuringPush,
        &[
            "faults.edit_race_per_handset_day",
            "workload.edits_per_handset_day",
            "system.network_latency",
        ],
    ),
    (
        Situation::ThreeConcurrentVersions,
        &[
            "workload.portal_edits_per_user_day",
            "faults.reset_per_handset_day",
            "faults.network.offline_per_handset_day",
            "workload.edits_per_handset_day",
        ],
    ),
    (
        Situation::EqualStamps,
        &[
            "faults.clock_reset_per_handset_day",
            "faults.clock_skew_per_handset_day",
        ],
    ),
    (
        Situation::RestoreDuringSync,
        &[
            "faults.incidents.stale_restore_per_day",
            "faults.incidents.wrong_account_restore_per_day",
            "faults.incidents.failover_per_day",
            "workload.edits_per_handset_day",
        ],
    ),
];

/// What the seeds of a sweep reached so far: the harness's, counted into
/// the Sidekick's coverage ([`crate::rig::Sidekick`]'s `Rig::coverage`).
pub use harness::plan::guided::Reached;

/// Nothing reached yet.
pub fn nothing_reached() -> Reached {
    Reached::of(<Sidekick as Rig>::coverage())
}

/// The situations no seed of `reached` reached, in [`Situation::ALL`]
/// order.
pub fn unreached(reached: &Reached) -> Vec<Situation> {
    Situation::ALL
        .iter()
        .copied()
        .filter(|s| (reached.coverage.situation(s.name())).is_none_or(|c| c.seeds == 0))
        .collect()
}

/// Whether some buggify site never fired in `reached`.
fn site_unreached(reached: &Reached) -> bool {
    BUGGIFY_SITES
        .iter()
        .any(|s| reached.coverage.site(s).is_none_or(|c| c.seeds_fired == 0))
}

/// How one generation's draws lean.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bias {
    /// The keys favoured.
    pub keys: BTreeSet<&'static str>,
    /// Whether buggify is switched on.
    pub buggify: bool,
}

impl Bias {
    /// No bias: the draws are plain swarm's.
    pub fn none() -> Self {
        Bias::default()
    }

    /// The bias toward what `reached` lacks: the levers of every situation
    /// not reached, and buggify if some site never fired; none before any
    /// seed ran (generation 0 draws as plain swarm does).
    pub fn toward(reached: &Reached) -> Self {
        if reached.coverage.seeds == 0 {
            return Bias::none();
        }
        let unreached = unreached(reached);
        let keys = LEVERS
            .iter()
            .filter(|(s, _)| unreached.contains(s))
            .flat_map(|(_, keys)| keys.iter().copied())
            .collect();
        Bias {
            keys,
            buggify: site_unreached(reached),
        }
    }

    /// The bias that favours those of `keys` that lean a situation (the
    /// others are no lever of the Sidekick's), and buggify if `buggify`.
    pub fn of_keys<'a>(keys: impl IntoIterator<Item = &'a str>, buggify: bool) -> Self {
        let levers = || LEVERS.iter().flat_map(|(_, keys)| keys.iter().copied());
        Bias {
            keys: keys
                .into_iter()
                .filter_map(|k| levers().find(|l| *l == k))
                .collect(),
            buggify,
        }
    }

    /// Whether it changes nothing.
    pub fn is_none(&self) -> bool {
        self.keys.is_empty() && !self.buggify
    }

    /// `drawn` (swarm's overrides for one seed of `scenario`), leaned.
    pub fn apply(&self, scenario: &Scenario, drawn: Vec<String>) -> Vec<String> {
        if self.is_none() {
            return drawn;
        }
        drawn
            .into_iter()
            .map(|o| self.lean(scenario, &o).unwrap_or(o))
            .collect()
    }

    /// One override leaned, or None if the bias leaves it.
    fn lean(&self, scenario: &Scenario, o: &str) -> Option<String> {
        let (key, value) = o.split_once('=')?;
        if key == "buggify" {
            let on = self.buggify && scenario.swarm.buggify.is_none();
            return on.then(|| "buggify=true".to_string());
        }
        let key = *self.keys.get(key)?;
        let (base, bounds, kind) = base_of(scenario, key)?;
        let drawn: f64 = match kind {
            Kind::Duration => value.strip_suffix("ms")?.parse().ok()?,
            _ => value.parse().ok()?,
        };
        if base <= 0.0 {
            return None;
        }
        let (min, max) = bounds;
        let middle = (min * max).sqrt();
        let f = if drawn <= 0.0 { 1.0 } else { drawn / base };
        let f = if f < middle { min * max / f } else { f };
        let f = f.clamp(min, max);
        Some(format!("{key}={}", kind.write(base * f)))
    }
}

/// The scenario's value of `key`, the bounds of the factor swarm draws
/// for it, and how it is written: a rate of the fault table (swarm scales
/// it by 1/4 to 4) or a key of the workload table.
fn base_of(scenario: &Scenario, key: &str) -> Option<(f64, (f64, f64), Kind)> {
    if let Some(row) = row_of(key) {
        let w = &scenario.workload;
        let base = match key {
            "workload.edits_per_handset_day" => w.edits_per_handset_day,
            "workload.portal_edits_per_user_day" => w.portal_edits_per_user_day,
            "system.network_latency" => scenario.system.network_latency.as_millis() as f64,
            _ => return None,
        };
        return Some((base, scenario.swarm.bounds(key), row.kind));
    }
    let faults = toml::Table::try_from(&scenario.faults).ok()?;
    let (_, base) = swarm::rate_keys(&faults)
        .into_iter()
        .find(|(k, _)| *k == key)?;
    let kind = if key.ends_with("_probability") {
        Kind::Probability
    } else {
        Kind::Rate
    };
    Some((base, (0.25, 4.0), kind))
}

/// The configuration seed `seed` draws from `case`'s scenario under
/// `bias`, and the case with it; an error naming the seed and its draw if
/// that does not load.
pub fn seed_case(
    case: &Case,
    seed: u64,
    unbounded: bool,
    bias: &Bias,
) -> Result<(Vec<String>, Case), String> {
    let drawn = bias.apply(&case.scenario, swarm::draw(&case.scenario, seed, unbounded));
    let seed_case = swarm::case_with(case, &drawn).map_err(|e| {
        format!(
            "--swarm --guided: seed {seed} drew {}: {e}",
            drawn.join(" ")
        )
    })?;
    Ok((drawn, seed_case))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload_table::WORKLOAD_TABLE;
    use models::fault::FAULT_TABLE;
    use sim::outcome::SeedOutcome;

    #[test]
    fn every_lever_is_a_key_swarm_draws() {
        for (_, keys) in LEVERS {
            for key in *keys {
                let rate = FAULT_TABLE.iter().any(|r| r.rates.contains(key));
                let workload = WORKLOAD_TABLE.iter().any(|r| r.key == *key);
                assert!(rate || workload, "{key} is not drawn by swarm");
            }
        }
    }

    #[test]
    fn no_bias_is_plain_swarm_and_a_bias_leans_within_bounds() {
        let s = Scenario::load("chaos", &[]).unwrap();
        let plain = swarm::draw(&s, 3, false);
        assert_eq!(Bias::none().apply(&s, plain.clone()), plain);
        assert!(Bias::toward(&nothing_reached()).is_none());
        let mut nothing = nothing_reached();
        let outcome = SeedOutcome {
            scenario: "chaos".into(),
            design: "hardened".into(),
            ..SeedOutcome::default()
        };
        nothing.add(&outcome, false);
        let all = Bias::toward(&nothing);
        assert!(all.buggify && all.keys.contains("faults.clock_reset_per_handset_day"));
        let mut changed = 0;
        for seed in 0..20 {
            let plain = swarm::draw(&s, seed, false);
            let leaned = all.apply(&s, plain.clone());
            assert_eq!(plain.len(), leaned.len());
            changed += usize::from(plain != leaned);
            assert!(leaned.contains(&"buggify=true".to_string()));
            // Every leaned draw loads.
            Scenario::load("chaos", &leaned).unwrap();
            for o in &leaned {
                let (key, v) = o.split_once('=').unwrap();
                if all.keys.contains(key) && !key.starts_with("system.") {
                    let v: f64 = v.parse().unwrap();
                    let (base, (min, max), _) = base_of(&s, key).unwrap();
                    if base > 0.0 {
                        assert!(v >= base * (min * max).sqrt() * 0.999, "{o}");
                        assert!(v <= base * max * 1.001, "{o}");
                    }
                }
            }
        }
        assert!(changed > 15, "the bias changes most draws");
    }
}
