//! Guided swarm (`run --swarm --guided`) for any system: swarm draws
//! biased toward what a sweep has not reached yet, as Antithesis steers
//! runs toward states it has rarely seen.
//!
//! Seeds run in fixed generations of [`GENERATION`] seeds, in seed order
//! ([`stream_generations`]). Generation 0 draws as plain swarm does
//! ([`crate::plan::swarm`]). Before generation g starts, every seed of
//! generations 0..g has run; what none of them reached ([`Reached`]: the
//! situations of [`crate::checker::situation`], the system's own, the buggify sites
//! that never fired, the fault kinds that never fired or were never
//! effective) sets the bias of generation g ([`Bias::toward`]). So
//! generation g's draws depend only on the seeds of the generations before
//! it, never on how many jobs ran them: the output is the same for any
//! `--jobs`. A shard cannot know what the other shards' seeds reached, so
//! `--shard` is refused.
//!
//! The bias changes only what swarm already draws, and stays within the
//! bounds swarm draws from: a favoured rate the seed switched off is
//! switched on at the scenario's value, and a favoured rate whose factor
//! fell in the lower half of 1/4 to 4 gets the mirrored factor in the upper
//! half; a favoured `[system]` swarm key in the lower half of its range
//! gets the mirrored value in the upper half. Buggify is switched on
//! (`buggify=true` added to the draw, unless the scenario sets it) while
//! no seed has run with it or some site a seed reached never fired. A rate
//! the scenario leaves at zero stays zero. The drawn overrides are still
//! the whole configuration: a failing seed replays without `--guided`.
//! These are the Sidekick's rules (its `guided` module) for a system the
//! harness knows only through its trait.

use crate::checker::situation::Goal;
use crate::plan::swarm::{self, SwarmRange};
use crate::report::coverage::Coverage;
use crate::rig::Rig;
use crate::scenario::Scenario;
use crate::sweep::{self, StreamEnd};
use crate::system::System;
use sim::outcome::SeedOutcome;
use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;

/// Seeds per generation.
pub const GENERATION: usize = 50;

/// The least and greatest factor swarm scales a rate by.
const FACTOR: (f64, f64) = (0.25, 4.0);

/// What the seeds of a sweep reached so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reached {
    /// Everything the seeds reached, as coverage counts it.
    pub coverage: Coverage,
    /// Seeds that ran with buggify on.
    pub buggified: u64,
}

impl Reached {
    /// Nothing reached yet, by a rig whose coverage of no seed is
    /// `coverage` ([`Rig::coverage`]).
    pub fn of(coverage: Coverage) -> Self {
        Reached {
            coverage,
            buggified: 0,
        }
    }

    /// Notes what seed `o` reached; `buggify` is whether it ran with
    /// buggify on.
    pub fn add(&mut self, o: &SeedOutcome, buggify: bool) {
        self.coverage.add(o);
        self.buggified += u64::from(buggify);
    }
}

/// How one generation's draws lean.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bias {
    /// The `--set` keys favoured.
    pub keys: BTreeSet<String>,
    /// Whether buggify is switched on.
    pub buggify: bool,
}

impl Bias {
    /// No bias: the draws are plain swarm's.
    pub fn none() -> Self {
        Bias::default()
    }

    /// The bias toward what `reached` lacks: the levers of everything no
    /// seed reached, and buggify if no seed ran with it or a site some
    /// seed reached never fired; none before any seed ran (generation 0
    /// draws as plain swarm does).
    pub fn toward<S: System>(reached: &Reached) -> Self {
        if reached.coverage.seeds == 0 {
            return Bias::none();
        }
        let unreached = reached.coverage.unreached();
        let keys = unreached
            .iter()
            .flat_map(|g| g.levers(S::situations(), S::own_faults()))
            .collect();
        let site = unreached.iter().any(|g| matches!(g, Goal::Site(_)));
        Bias {
            keys,
            buggify: reached.buggified == 0 || site,
        }
    }

    /// Whether it changes nothing.
    pub fn is_none(&self) -> bool {
        self.keys.is_empty() && !self.buggify
    }

    /// `drawn` (swarm's overrides for one seed of `scenario`), leaned.
    pub fn apply<S: System>(&self, scenario: &Scenario<S>, drawn: Vec<String>) -> Vec<String> {
        if self.is_none() {
            return drawn;
        }
        let mut out: Vec<String> = drawn
            .into_iter()
            .map(|o| self.lean(scenario, &o).unwrap_or(o))
            .collect();
        if self.buggify && !scenario.buggify {
            out.push("buggify=true".to_string());
        }
        out
    }

    /// One override leaned, or None if the bias leaves it.
    fn lean<S: System>(&self, scenario: &Scenario<S>, o: &str) -> Option<String> {
        let (key, value) = o.split_once('=')?;
        if !self.keys.contains(key) {
            return None;
        }
        if let Some(name) = key.strip_prefix("system.") {
            let row = S::swarm_keys().iter().find(|k| k.key == name)?;
            return Some(format!("{key}={}", upper(row.range, value)?));
        }
        let (_, base) = swarm::rates(scenario).into_iter().find(|(k, _)| k == key)?;
        let drawn: f64 = value.parse().ok()?;
        if base <= 0.0 {
            return None;
        }
        let (min, max) = FACTOR;
        let f = if drawn <= 0.0 { 1.0 } else { drawn / base };
        let f = if f < (min * max).sqrt() {
            min * max / f
        } else {
            f
        };
        let rate = (base * f.clamp(min, max)).min(crate::plan::faults::MAX_RATE);
        Some(format!("{key}={}", swarm::real(rate)))
    }
}

/// `value` (drawn from `range`) mirrored into the upper half of the range
/// if it fell in the lower half (log scale for reals), as TOML.
fn upper(range: SwarmRange, value: &str) -> Option<String> {
    match range {
        SwarmRange::Integer { min, max } => {
            let v: i64 = value.parse().ok()?;
            let mirrored = i128::from(min) + i128::from(max) - i128::from(v);
            let v = if 2 * i128::from(v) < i128::from(min) + i128::from(max) {
                i64::try_from(mirrored).ok()?
            } else {
                v
            };
            Some(v.clamp(min, max).to_string())
        }
        SwarmRange::Real { min, max } => {
            let v: f64 = value.parse().ok()?;
            let v = if v < (min * max).sqrt() {
                min * max / v
            } else {
                v
            };
            Some(swarm::real(v.clamp(min, max)))
        }
    }
}

/// Runs `seeds` in generations of [`GENERATION`] on `jobs` threads (each
/// generation through [`sweep::stream_map`]), each seed with the bias of
/// its generation (`run(bias, seed)`), and hands each seed and its result
/// to `sink` in seed order. `reached_by` says what a result reached (the
/// outcome of each run in it and whether it ran with buggify), none for a
/// seed that could not run. Ends as the generation that stopped or
/// refused ended.
pub fn stream_generations<R: Rig, T: Send>(
    seeds: impl Iterator<Item = u64> + Send,
    jobs: usize,
    stop: &AtomicBool,
    run: impl Fn(&Bias, u64) -> T + Sync,
    reached_by: impl Fn(&T) -> Vec<(&SeedOutcome, bool)>,
    mut sink: impl FnMut(u64, T) -> ControlFlow<()>,
) -> StreamEnd {
    let mut seeds = seeds;
    let mut reached = Reached::of(R::coverage());
    loop {
        let generation: Vec<u64> = seeds.by_ref().take(GENERATION).collect();
        if generation.is_empty() {
            return StreamEnd::Complete;
        }
        let bias = R::lean(&reached);
        let end = sweep::stream_map(
            generation.into_iter(),
            jobs,
            stop,
            |&seed| run(&bias, seed),
            |seed, r| {
                for (o, buggify) in reached_by(&r) {
                    reached.add(o, buggify);
                }
                sink(seed, r)
            },
        );
        if end != StreamEnd::Complete {
            return end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_reals_mirror_into_the_upper_half() {
        let int = SwarmRange::Integer { min: 1, max: 9 };
        assert_eq!(upper(int, "2").unwrap(), "8");
        assert_eq!(upper(int, "5").unwrap(), "5");
        assert_eq!(upper(int, "7").unwrap(), "7");
        let real = SwarmRange::Real {
            min: 1.0,
            max: 100.0,
        };
        assert_eq!(upper(real, "2.0").unwrap(), "50.0");
        assert_eq!(upper(real, "20.0").unwrap(), "20.0");
        assert!(upper(int, "x").is_none());
    }

    /// A system of one swarm key and one own situation that leans it.
    #[derive(Clone, Debug, serde::Deserialize)]
    struct Toy {
        burst: i64,
    }

    struct Idle;
    impl sim::host::Machine for Idle {
        type Msg = ();
        type Input = ();
        fn boot(&mut self, _: sim::host::Boot, _: &mut sim::host::Io<'_, ()>) {}
        fn on_message(&mut self, _: sim::host::Addr, _: (), _: &mut sim::host::Io<'_, ()>) {}
        fn on_timer(&mut self, _: u64, _: &mut sim::host::Io<'_, ()>) {}
        fn on_input(&mut self, _: (), _: &mut sim::host::Io<'_, ()>) {}
    }

    fn none(_: &crate::world::Output) -> u64 {
        0
    }

    impl System for Toy {
        type Node = Idle;
        type Design = ();
        fn designs() -> Vec<(&'static str, ())> {
            vec![("plain", ())]
        }
        fn nodes(&self, _: &()) -> Vec<crate::system::NodeSpec<Idle>> {
            Vec::new()
        }
        fn workload(
            &self,
            _: &sim::rng::Seeds,
            _: std::time::Duration,
        ) -> Vec<crate::system::UserAction<()>> {
            Vec::new()
        }
        fn places(&self) -> Vec<(sim::place::Place, sim::host::Addr)> {
            Vec::new()
        }
        fn served(_: &Idle, _: sim::place::Place) -> Option<sim::place::View> {
            None
        }
        fn swarm_keys() -> &'static [swarm::SwarmKey] {
            &[swarm::SwarmKey {
                key: "burst",
                range: SwarmRange::Integer { min: 1, max: 8 },
            }]
        }
        fn situations() -> &'static [crate::checker::situation::OwnSituation] {
            &[crate::checker::situation::OwnSituation {
                name: "long-burst",
                levers: &["system.burst"],
                count: none,
            }]
        }
    }

    fn scenario(faults: &str) -> Scenario<Toy> {
        let text = format!(
            "name = \"toy\"\nbuggify = true\n[run]\nduration = \"1d\"\nheal_bound = \"1h\"\n\
             [faults]\n{faults}\n[system]\nburst = 2\n"
        );
        let s: Scenario<Toy> =
            Scenario::parse(&crate::scenario::Source::new("toy.toml", text), &[]).unwrap();
        assert_eq!(s.system.burst, 2);
        s
    }

    /// What seeds that reached `situations` and fired `faults` reached.
    fn reached(situations: &[&str], faults: &[(&str, u64, u64)]) -> Reached {
        let mut r = Reached::of(<Toy as Rig>::coverage());
        let mut o = SeedOutcome::default();
        for s in situations {
            o.situations.insert(s.to_string(), 1);
        }
        for (k, fired, effective) in faults {
            let c = sim::outcome::FaultCount {
                fired: *fired,
                effective: *effective,
                ..Default::default()
            };
            o.faults.insert(k.to_string(), c);
        }
        r.add(&o, true);
        r
    }

    #[test]
    fn the_first_generation_and_a_sweep_that_reached_everything_draw_as_plain_swarm() {
        let s = scenario("power_loss_per_node_day = 1.0");
        assert!(Bias::toward::<Toy>(&Reached::of(<Toy as Rig>::coverage())).is_none());
        let all = reached(
            &[
                "three-concurrent-versions",
                "edit-race-struck",
                "long-burst",
            ],
            &[("power-loss", 3, 1)],
        );
        let bias = Bias::toward::<Toy>(&all);
        for seed in 0..50 {
            let plain = swarm::draw(&s, seed);
            assert_eq!(bias.apply(&s, plain.clone()), plain, "seed {seed}");
        }
    }

    #[test]
    fn what_no_seed_reached_leans_its_levers_within_bounds() {
        let s = scenario("power_loss_per_node_day = 1.0");
        // Power loss fired but was never effective; no long burst.
        let some = reached(&["three-concurrent-versions"], &[("power-loss", 3, 0)]);
        let bias = Bias::toward::<Toy>(&some);
        assert!(bias.keys.contains("faults.power_loss_per_node_day"));
        assert!(bias.keys.contains("system.burst"));
        let mut changed = 0;
        for seed in 0..50 {
            let plain = swarm::draw(&s, seed);
            let leaned = bias.apply(&s, plain.clone());
            changed += usize::from(plain != leaned);
            let value = |o: &[String], k: &str| -> f64 {
                let o = o.iter().find_map(|o| o.strip_prefix(k)).unwrap();
                o.parse().unwrap()
            };
            let rate = value(&leaned, "faults.power_loss_per_node_day=");
            assert!((1.0..=4.0).contains(&rate), "seed {seed}: {rate}");
            let burst = value(&leaned, "system.burst=");
            assert!((5.0..=8.0).contains(&burst), "seed {seed}: {burst}");
            let plain_burst = value(&plain, "system.burst=");
            assert!(plain_burst < 5.0 || burst == plain_burst);
        }
        assert!(changed > 20, "the bias changes most draws: {changed}");
    }

    #[test]
    fn buggify_is_switched_on_until_a_seed_ran_with_it_and_every_site_fired() {
        let s = scenario("");
        let mut off = s.clone();
        off.buggify = false;
        let mut r = Reached::of(<Toy as Rig>::coverage());
        r.add(&SeedOutcome::default(), false);
        let bias = Bias::toward::<Toy>(&r);
        assert!(bias.buggify);
        assert!(bias
            .apply(&off, vec![])
            .contains(&"buggify=true".to_string()));
        assert!(bias.apply(&s, vec![]).is_empty(), "the scenario has it on");
        r.add(&SeedOutcome::default(), true);
        assert!(!Bias::toward::<Toy>(&r).buggify, "no site to reach");
        let mut o = SeedOutcome::default();
        o.buggify.insert("site".into(), Default::default());
        r.add(&o, true);
        assert!(Bias::toward::<Toy>(&r).buggify, "a site never fired");
    }
}
