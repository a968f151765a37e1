//! Merging the shards of a sweep back into one: the lines of every
//! shard's results file, checked to come from one run of one build and to
//! cover its range exactly once (a missing or repeated shard is an error,
//! never a smaller summary), in seed order: what one unsharded run of the
//! same range returns.
//!
//! [`merge_lines`] works on any results line that says its seed, run and
//! shard ([`ShardLine`]); [`merge`] is it for a system's `run --results`
//! lines ([`crate::sweep::results::ResultLine`]).

use crate::cli::build_identity::BinaryIdentity;
use crate::sweep::results::{ResultLine, RunInfo};
use crate::sweep::seed_range::SeedRange;
use crate::sweep::shard::Shard;
use sim::outcome::SeedOutcome;
use std::collections::BTreeMap;
use std::fmt;

/// A results line of one shard of a sweep: what a merge checks of it.
pub trait ShardLine {
    /// The build that wrote it.
    type Build: PartialEq + fmt::Display + Clone;
    /// What it says of the run it came from.
    type Run: Clone;
    /// The run it came from.
    fn run(&self) -> &Self::Run;
    /// The seed's outcome.
    fn outcome(&self) -> &SeedOutcome;
    /// The build that wrote it.
    fn build(&self) -> &Self::Build;
    /// The sweep's whole seed range, and this line's shard K and N as
    /// written (checked by the merge).
    fn place(&self) -> (SeedRange, u32, u32);
    /// Whether `other` comes from the same run (any shard of it); see
    /// [`same_case`].
    fn same_run(&self, other: &Self) -> bool;
    /// The run, in words, for errors (`kv-power seeds 0..=9 --design
    /// naive in 2 shards`).
    fn describe(&self) -> String;
}

/// Merges the lines of several results files (`(name, lines)` per file)
/// into the lines of every seed, in seed order. Errors if the lines come
/// from different runs or builds, the run's range holds more seeds than a
/// merge holds ([`crate::sweep::seed_range::MAX_HELD_SEEDS`]), a file mixes
/// shards, a seed is outside its shard, a seed or shard appears twice, a
/// seed of the range is missing, or there is no line at all.
pub fn merge_lines<L: ShardLine>(files: &[(String, Vec<L>)]) -> Result<Vec<&L>, String> {
    let mut first: Option<(&str, &L)> = None;
    let mut by_seed: BTreeMap<u64, (&str, &L)> = BTreeMap::new();
    let mut shards_seen: BTreeMap<u32, &str> = BTreeMap::new();
    for (name, lines) in files {
        let mut shard_of_file: Option<Shard> = None;
        for line in lines {
            let (seeds, k, n) = line.place();
            match first {
                None => {
                    seeds.check_held(&format!("{name}: seeds"))?;
                    first = Some((name, line));
                }
                Some((fname, f)) if f.build() != line.build() => {
                    return Err(format!(
                        "{name} and {fname} come from different builds: {} and {}; \
                         merge the shards of one build",
                        line.build(),
                        f.build()
                    ));
                }
                Some((fname, f)) if !f.same_run(line) => {
                    return Err(format!(
                        "{name} and {fname} come from different runs: {} and {}",
                        line.describe(),
                        f.describe()
                    ));
                }
                Some(_) => {}
            }
            let seed = line.outcome().seed;
            let shard = Shard::new(k, n).map_err(|e| format!("{name}: seed {seed}: {e}"))?;
            match shard_of_file {
                None => shard_of_file = Some(shard),
                Some(s) if s != shard => {
                    return Err(format!(
                        "{name} mixes shards {} and {} of {}: one file per shard",
                        s.index, shard.index, shard.count
                    ));
                }
                Some(_) => {}
            }
            if !seeds.index_of(seed).is_some_and(|i| shard.owns_index(i)) {
                return Err(format!(
                    "{name}: seed {seed} does not belong to shard {shard} of seeds {seeds}"
                ));
            }
            if let Some((other, _)) = by_seed.insert(seed, (name, line)) {
                return Err(format!(
                    "seed {seed} is in {other} and in {name}: each shard's results once"
                ));
            }
        }
        if let Some(s) = shard_of_file {
            if let Some(other) = shards_seen.insert(s.index, name) {
                return Err(format!(
                    "shard {s} is in {other} and in {name}: each shard's results once"
                ));
            }
        }
    }
    let Some((_, line)) = first else {
        return Err("no results: the files hold no seed".into());
    };
    let (seeds, _, shards) = line.place();
    check_covered(seeds, shards, |seed| by_seed.contains_key(&seed))?;
    Ok(by_seed.into_values().map(|(_, l)| l).collect())
}

/// Whether two outcomes are of one case: scenario, design and overrides.
pub fn same_case(a: &SeedOutcome, b: &SeedOutcome) -> bool {
    (&a.scenario, &a.design, &a.overrides) == (&b.scenario, &b.design, &b.overrides)
}

/// An error naming, per shard, the seeds of `seeds` (split in `shards`)
/// that `has` lacks: how many, and the first.
fn check_covered(seeds: SeedRange, shards: u32, has: impl Fn(u64) -> bool) -> Result<(), String> {
    // At most MAX_HELD_SEEDS seeds, checked by the caller.
    let mut missing: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for seed in seeds.iter().filter(|s| !has(*s)) {
        let index = seeds.index_of(seed).expect("a seed of the range");
        missing
            .entry(index % u64::from(shards))
            .or_insert((0, seed))
            .0 += 1;
    }
    if missing.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = missing
        .iter()
        .map(|(k, (n, first))| {
            format!(
                "shard {k}/{shards} ({n} seed{}, first {first})",
                if *n == 1 { "" } else { "s" },
            )
        })
        .collect();
    Err(format!(
        "seeds {seeds} are not all covered: missing {}",
        list.join(", ")
    ))
}

impl ShardLine for ResultLine {
    type Build = BinaryIdentity;
    type Run = RunInfo;
    fn run(&self) -> &RunInfo {
        &self.run
    }
    fn outcome(&self) -> &SeedOutcome {
        &self.outcome
    }
    fn build(&self) -> &BinaryIdentity {
        &self.build
    }
    fn place(&self) -> (SeedRange, u32, u32) {
        (self.run.seeds, self.run.shard, self.run.shards)
    }
    fn same_run(&self, other: &Self) -> bool {
        let key = |l: &ResultLine| RunInfo {
            shard: 0,
            ..l.run.clone()
        };
        key(self) == key(other) && same_case(&self.outcome, &other.outcome)
    }
    fn describe(&self) -> String {
        let run = &self.run;
        let mut s = format!(
            "{} seeds {} --design {}",
            run.spec, run.seeds, self.outcome.design
        );
        for o in &self.outcome.overrides {
            s.push_str(&format!(" --set {o}"));
        }
        if let Some(p) = &run.plan {
            s.push_str(&format!(" --plan {p}"));
        }
        s.push_str(&format!(" in {} shards", run.shards));
        s
    }
}

/// A merged sweep: the run it was, the build that ran it and its
/// outcomes in seed order.
#[derive(Clone, Debug)]
pub struct Merged<R, B> {
    /// The run (as the lowest seed's line says it; its shard is that line's).
    pub run: R,
    /// The build that ran every seed.
    pub build: B,
    /// Every seed's outcome, in seed order.
    pub outcomes: Vec<SeedOutcome>,
}

/// Merges the results files of a sharded run ([`merge_lines`]).
pub fn merge<L: ShardLine>(files: &[(String, Vec<L>)]) -> Result<Merged<L::Run, L::Build>, String> {
    let lines = merge_lines(files)?;
    let first = lines[0];
    Ok(Merged {
        run: first.run().clone(),
        build: first.build().clone(),
        outcomes: lines.into_iter().map(|l| l.outcome().clone()).collect(),
    })
}
