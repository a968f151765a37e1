//! Scale-out: one sweep split into shards that run anywhere, and merged back.
//!
//! A shard `K/N` of a seed range `A..B` runs the seeds whose index in the
//! range is `K` mod `N`: seed `A + i` belongs to shard `i % N`. Interleaving
//! (rather than cutting the range into blocks) keeps the shards' work even
//! when cost drifts along the range.
//!
//! A results file holds one JSON line per seed: the seed's [`SeedOutcome`]
//! with one more key, `run`, that says which run it came from (scenario as
//! given, design and plan arguments, seed range, shard). Every line parses as
//! a `SeedOutcome` on its own. The file is written to a temporary file in the
//! same directory and renamed into place, so a reader never sees half a file.
//!
//! [`merge`] takes the lines of every shard and checks that they come from
//! one run and cover its range exactly once (a missing or repeated shard is
//! an error, never a smaller summary), and returns the outcomes in seed
//! order: what one unsharded run of the same range returns.

use crate::runner::Case;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sim::outcome::SeedOutcome;
use std::collections::BTreeMap;
use std::io::Write;
use std::ops::Range;
use std::path::Path;

/// The environment variable a Kubernetes Indexed Job sets to the pod's index.
pub const INDEX_ENV: &str = "JOB_COMPLETION_INDEX";

/// One shard of a sweep: seeds whose index in the range is `index` mod `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    /// K, from 0 to `count - 1`.
    pub index: u32,
    /// N, at least 1.
    pub count: u32,
}

impl Shard {
    /// The whole range as one shard (`0/1`).
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `K/N`, or `auto/N` with K taken from `env_index` (the value of
    /// [`INDEX_ENV`], if set).
    pub fn parse(s: &str, env_index: Option<&str>) -> Result<Shard, String> {
        let bad = || format!("--shard {s:?}: expected K/N with 0 <= K < N, e.g. 0/4, or auto/N");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 {
            return Err(format!("--shard {s:?}: N must be at least 1"));
        }
        let index: u32 = match k.trim() {
            "auto" => {
                let v = env_index.ok_or_else(|| {
                    format!("--shard {s:?}: auto takes K from {INDEX_ENV}, which is not set")
                })?;
                v.trim()
                    .parse()
                    .map_err(|_| format!("--shard {s:?}: {INDEX_ENV}={v:?} is not a number"))?
            }
            k => k.parse().map_err(|_| bad())?,
        };
        if index >= count {
            return Err(format!(
                "--shard {s:?}: K is {index}, but shards are numbered 0 to {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether the seed at `index` in the range belongs to this shard.
    pub fn owns_index(self, index: u64) -> bool {
        index % u64::from(self.count) == u64::from(self.index)
    }

    /// The seeds of `range` this shard runs, in order.
    pub fn seeds(self, range: Range<u64>) -> Vec<u64> {
        let start = range.start;
        range.filter(|s| self.owns_index(s - start)).collect()
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Which run a results line came from: what `merge` needs to check that
/// shards belong together and to rebuild the case (to print replay commands,
/// and to re-run seeds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInfo {
    /// The scenario as given on the command line (catalogue name or path).
    pub spec: String,
    /// `--design`, if given.
    pub design_arg: Option<String>,
    /// `--plan`, if given (a path, read again by `merge`).
    pub plan: Option<String>,
    /// First seed of the sweep's whole range.
    pub seeds_start: u64,
    /// End of the sweep's whole range (excluded).
    pub seeds_end: u64,
    /// This line's shard: K.
    pub shard: u32,
    /// How many shards the sweep has: N.
    pub shards: u32,
}

impl RunInfo {
    /// The run info of `shard` of `range` of `case`.
    pub fn new(case: &Case, range: &Range<u64>, shard: Shard) -> Self {
        RunInfo {
            spec: case.spec.clone(),
            design_arg: case.design_arg.clone(),
            plan: case.plan.as_ref().map(|(p, _)| p.clone()),
            seeds_start: range.start,
            seeds_end: range.end,
            shard: shard.index,
            shards: shard.count,
        }
    }

    /// The seed range of the whole sweep.
    pub fn range(&self) -> Range<u64> {
        self.seeds_start..self.seeds_end
    }

    /// This line's shard, if it is a valid one.
    pub fn shard(&self) -> Result<Shard, String> {
        if self.shard < self.shards {
            Ok(Shard {
                index: self.shard,
                count: self.shards,
            })
        } else {
            Err(format!(
                "shard {}/{} does not exist",
                self.shard, self.shards
            ))
        }
    }

    /// The info without the shard: equal for every shard of one run.
    fn run_key(&self) -> RunInfo {
        RunInfo {
            shard: 0,
            ..self.clone()
        }
    }
}

/// One line of a results file: a seed's outcome and the run it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultLine {
    /// The seed's outcome (its keys are the line's top-level keys).
    #[serde(flatten)]
    pub outcome: SeedOutcome,
    /// Which run and shard it came from.
    pub run: RunInfo,
}

/// The results file's text: one JSON line per outcome.
pub fn render(outcomes: &[SeedOutcome], run: &RunInfo) -> String {
    json_lines(outcomes.iter().map(|o| ResultLine {
        outcome: o.clone(),
        run: run.clone(),
    }))
}

/// `lines` as JSON lines: one compact JSON document and a newline each.
pub fn json_lines<T: Serialize>(lines: impl IntoIterator<Item = T>) -> String {
    let mut text = String::new();
    for line in lines {
        text.push_str(&serde_json::to_string(&line).expect("results always serialize"));
        text.push('\n');
    }
    text
}

/// Parses JSON lines (blank lines skipped); an error names the file `name`,
/// the line, and says it is not a `what`.
pub fn parse_json_lines<T: DeserializeOwned>(
    name: &str,
    text: &str,
    what: &str,
) -> Result<Vec<T>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str::<T>(l).map_err(|e| format!("{name}:{}: not a {what}: {e}", i + 1))
        })
        .collect()
}

/// Writes `text` to `path` atomically ([`crate::output::AtomicFile`]): to a
/// temporary file beside it, synced, then renamed over `path`. Check the
/// path first ([`crate::output::check_target`]): this replaces whatever it
/// names.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = crate::output::AtomicFile::create(path)?;
    f.write_all(text.as_bytes())?;
    f.commit()
}

/// Parses a results file's text; `name` names it in errors.
pub fn parse(name: &str, text: &str) -> Result<Vec<ResultLine>, String> {
    parse_json_lines(name, text, "results line")
}

/// A merged sweep: the run it was and its outcomes in seed order.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The run (its `shard` field is the first file's; ignore it).
    pub run: RunInfo,
    /// Every seed's outcome, in seed order.
    pub outcomes: Vec<SeedOutcome>,
}

/// Merges the lines of several results files (`(name, lines)` per file).
/// Errors if the lines come from different runs, a seed is outside its
/// shard, a seed appears twice, or a seed of the range is missing.
pub fn merge(files: &[(String, Vec<ResultLine>)]) -> Result<Merged, String> {
    let mut first: Option<(&str, &ResultLine)> = None;
    let mut by_seed: BTreeMap<u64, (&str, &SeedOutcome)> = BTreeMap::new();
    let mut shards_seen: BTreeMap<u32, &str> = BTreeMap::new();
    for (name, lines) in files {
        let mut shard_of_file: Option<u32> = None;
        for line in lines {
            let run = &line.run;
            match first {
                None => first = Some((name, line)),
                Some((fname, f)) if !same_run(f, line) => {
                    return Err(format!(
                        "{name} and {fname} come from different runs: {} and {}",
                        describe(line),
                        describe(f)
                    ));
                }
                Some(_) => {}
            }
            match shard_of_file {
                None => shard_of_file = Some(run.shard),
                Some(s) if s != run.shard => {
                    return Err(format!(
                        "{name} mixes shards {s} and {} of {}: one file per shard",
                        run.shard, run.shards
                    ));
                }
                Some(_) => {}
            }
            let shard = run
                .shard()
                .map_err(|e| format!("{name}: seed {}: {e}", line.outcome.seed))?;
            let seed = line.outcome.seed;
            if !run.range().contains(&seed) || !shard.owns_index(seed - run.seeds_start) {
                return Err(format!(
                    "{name}: seed {seed} does not belong to shard {shard} of seeds {}..{}",
                    run.seeds_start, run.seeds_end
                ));
            }
            if let Some((other, _)) = by_seed.insert(seed, (name, &line.outcome)) {
                return Err(format!(
                    "seed {seed} is in {other} and in {name}: each shard's results once"
                ));
            }
        }
        if let Some(s) = shard_of_file {
            if let Some(other) = shards_seen.insert(s, name) {
                return Err(format!(
                    "shard {s}/{} is in {other} and in {name}: each shard's results once",
                    run_count(files)
                ));
            }
        }
    }
    let Some((_, ResultLine { run, .. })) = first else {
        return Err("no results: the files hold no seed".into());
    };
    let range = run.range();
    let mut missing: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for seed in range.clone() {
        if !by_seed.contains_key(&seed) {
            let k = ((seed - range.start) % u64::from(run.shards)) as u32;
            missing.entry(k).or_default().push(seed);
        }
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|(k, seeds)| {
                let n = seeds.len();
                format!(
                    "shard {k}/{} ({n} seed{}, first {})",
                    run.shards,
                    if n == 1 { "" } else { "s" },
                    seeds[0]
                )
            })
            .collect();
        return Err(format!(
            "seeds {}..{} are not all covered: missing {}",
            range.start,
            range.end,
            list.join(", ")
        ));
    }
    Ok(Merged {
        run: run.clone(),
        outcomes: by_seed.into_values().map(|(_, o)| o.clone()).collect(),
    })
}

fn run_count(files: &[(String, Vec<ResultLine>)]) -> u32 {
    files
        .iter()
        .flat_map(|(_, lines)| lines.first())
        .map(|l| l.run.shards)
        .next()
        .unwrap_or(1)
}

/// Whether two lines come from one run (any shard of it).
fn same_run(a: &ResultLine, b: &ResultLine) -> bool {
    a.run.run_key() == b.run.run_key()
        && a.outcome.scenario == b.outcome.scenario
        && a.outcome.design == b.outcome.design
        && a.outcome.overrides == b.outcome.overrides
}

fn describe(line: &ResultLine) -> String {
    let run = &line.run;
    let mut s = format!("{} seeds {}..{}", run.spec, run.seeds_start, run.seeds_end);
    if let Some(d) = &run.design_arg {
        s.push_str(&format!(" --design {d}"));
    }
    for o in &line.outcome.overrides {
        s.push_str(&format!(" --set {o}"));
    }
    if let Some(p) = &run.plan {
        s.push_str(&format!(" --plan {p}"));
    }
    s.push_str(&format!(" in {} shards", run.shards));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_shards_and_auto() {
        assert_eq!(Shard::parse("2/3", None), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(
            Shard::parse("auto/4", Some("1")),
            Ok(Shard { index: 1, count: 4 })
        );
        assert!(Shard::parse("3/3", None).is_err());
        assert!(Shard::parse("0/0", None).is_err());
        assert!(Shard::parse("auto/4", None)
            .unwrap_err()
            .contains(INDEX_ENV));
        assert!(Shard::parse("auto/4", Some("4")).is_err());
        assert!(Shard::parse("1", None).is_err());
        assert_eq!(Shard::parse("1/2", None).unwrap().to_string(), "1/2");
    }

    #[test]
    fn shards_partition_the_range() {
        let range = 5..17;
        let mut all: Vec<u64> = (0..3)
            .flat_map(|k| Shard { index: k, count: 3 }.seeds(range.clone()))
            .collect();
        assert_eq!(
            Shard { index: 1, count: 3 }.seeds(range.clone()),
            [6, 9, 12, 15]
        );
        all.sort_unstable();
        assert_eq!(all, range.collect::<Vec<_>>());
        assert_eq!(Shard::ALL.seeds(0..4), [0, 1, 2, 3]);
    }
}
