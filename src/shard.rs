//! Scale-out: one sweep split into shards that run anywhere, and merged back.
//!
//! A shard `K/N` of a seed range runs the seeds whose index in the range is
//! `K` mod `N`: the range's first seed plus `i` belongs to shard `i % N`.
//! Interleaving (rather than cutting the range into blocks) keeps the
//! shards' work even when cost drifts along the range.
//!
//! A results file holds one JSON line per seed: the seed's [`SeedOutcome`]
//! with three more keys: `version` and `commit`, the build that ran it
//! ([`BuildIdentity`]), and `run`, which run it came from (scenario as
//! given, design and plan arguments, seed range, shard). Every line parses
//! as a `SeedOutcome` on its own. [`ResultsWriter`] writes the lines to a
//! temporary file in the same directory as they come and renames it into
//! place at the end, so a reader never sees half a file.
//!
//! [`merge`] takes the lines of every shard and checks that they come from
//! one run of one build and cover its range exactly once (a missing or
//! repeated shard is an error, never a smaller summary), and returns the
//! outcomes in seed order: what one unsharded run of the same range
//! returns. Reading refuses unknown keys and more lines than a merge holds
//! ([`MAX_HELD_SEEDS`]).

use crate::build_identity::BuildIdentity;
use crate::output::{FileTarget, OutputError, PendingFile};
use crate::runner::Case;
use crate::seed_range::{SeedRange, MAX_HELD_SEEDS};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sim::outcome::SeedOutcome;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
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

    /// The seeds of `range` this shard runs, in order, drawn one at a time
    /// (any range, `0..=u64::MAX` too, costs no memory and no time up
    /// front); none if the range is shorter than K + 1 seeds.
    pub fn seeds(self, range: SeedRange) -> std::iter::StepBy<std::ops::RangeInclusive<u64>> {
        let step = usize::try_from(self.count).unwrap_or(usize::MAX);
        match range.first().checked_add(u64::from(self.index)) {
            Some(first) if first <= range.last() => (first..=range.last()).step_by(step),
            _ => {
                // An empty iterator of the same type: a range run out.
                let mut none = 0..=0;
                none.next();
                none.step_by(step)
            }
        }
    }

    /// How many seeds of `range` this shard runs.
    pub fn seed_count(self, range: SeedRange) -> u128 {
        let (k, n) = (u128::from(self.index), u128::from(self.count));
        let total = range.seed_count();
        if total <= k {
            0
        } else {
            (total - k).div_ceil(n)
        }
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
    /// The sweep's whole seed range (first and last seed, both included).
    pub seeds: SeedRange,
    /// This line's shard: K.
    pub shard: u32,
    /// How many shards the sweep has: N.
    pub shards: u32,
}

impl RunInfo {
    /// The run info of `shard` of `range` of `case`.
    pub fn new(case: &Case, range: SeedRange, shard: Shard) -> Self {
        RunInfo {
            spec: case.spec.clone(),
            design_arg: case.design_arg.clone(),
            plan: case.plan.as_ref().map(|(p, _)| p.clone()),
            seeds: range,
            shard: shard.index,
            shards: shard.count,
        }
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

/// One line of a results file: a seed's outcome, the build that ran it and
/// the run it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultLine {
    /// The seed's outcome (its keys are the line's top-level keys).
    #[serde(flatten)]
    pub outcome: SeedOutcome,
    /// The build that ran it (`version` and `commit`, top-level keys).
    #[serde(flatten)]
    pub build: BuildIdentity,
    /// Which run and shard it came from.
    pub run: RunInfo,
}

/// Top-level keys a line may hold that its parsed form leaves out when it
/// serializes again (a seed outcome's `drawn`, when empty).
const OPTIONAL_KEYS: &[&str] = &["drawn"];

/// What a results file holds: a run's shard or a report's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultsKind {
    /// `run --shard K/N --results FILE`: one line per seed.
    Run,
    /// `report --shard K/N --results FILE`: one line per cell and seed.
    Report,
}

impl std::fmt::Display for ResultsKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ResultsKind::Run => "a run's results (`run --shard`)",
            ResultsKind::Report => "a report's results (`report --shard`)",
        })
    }
}

/// The lines of one results file, read and not yet parsed.
#[derive(Clone, Debug)]
pub struct ResultsFile {
    /// The file's name as given.
    pub name: String,
    /// What it holds, from its first line; `None` for a file with no line
    /// (a shard with no seeds).
    pub kind: Option<ResultsKind>,
    /// Its non-blank lines, with their 1-based line numbers.
    pub lines: Vec<(usize, String)>,
}

impl ResultsFile {
    /// Reads `path` line by line, telling its kind from its first line's
    /// keys (`run` or `report`), and refuses a file of more lines than a
    /// merge holds (a run's: [`MAX_HELD_SEEDS`]; a report's: that many
    /// per cell its first line names) before reading on.
    pub fn read(path: &str) -> Result<Self, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
        let mut out = ResultsFile {
            name: path.to_string(),
            kind: None,
            lines: Vec::new(),
        };
        let mut max_lines = MAX_HELD_SEEDS;
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let n = i + 1;
            let line = line.map_err(|e| format!("{path}:{n}: {e}"))?;
            if line.trim().is_empty() {
                continue;
            }
            if out.lines.is_empty() {
                let (kind, cells) = kind_of(&line).map_err(|e| format!("{path}:{n}: {e}"))?;
                out.kind = Some(kind);
                max_lines = MAX_HELD_SEEDS.saturating_mul(cells.max(1));
            }
            if out.lines.len() as u64 >= max_lines {
                return Err(format!(
                    "{path}:{n}: more than {max_lines} lines, more seeds than a merge holds \
                     ({MAX_HELD_SEEDS} per cell)"
                ));
            }
            out.lines.push((n, line));
        }
        Ok(out)
    }

    /// Parses every line as a `what` (`results line`); an error names the
    /// file and line, and any top-level key a `T` does not have.
    pub fn parse<T: Serialize + DeserializeOwned>(&self, what: &str) -> Result<Vec<T>, String> {
        self.lines
            .iter()
            .map(|(n, l)| {
                parse_line(l).map_err(|e| format!("{}:{n}: not a {what}: {e}", self.name))
            })
            .collect()
    }
}

/// The kind of results a line is from, and how many cells its sweep has
/// (1 for a run; scenarios times designs for a report).
fn kind_of(line: &str) -> Result<(ResultsKind, u64), String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not a results line: {e}"))?;
    let len = |v: Option<&serde_json::Value>| {
        v.and_then(serde_json::Value::as_array)
            .map_or(1, |a| a.len() as u64)
    };
    match (value.get("run"), value.get("report")) {
        (Some(_), None) => Ok((ResultsKind::Run, 1)),
        (None, Some(r)) => Ok((
            ResultsKind::Report,
            len(r.get("specs")).saturating_mul(len(r.get("designs"))),
        )),
        _ => Err(
            "not a results line of `run --shard` (it has a key `run`) or of \
             `report --shard` (a key `report`)"
                .into(),
        ),
    }
}

/// Parses one JSON line as a `T`, refusing top-level keys that `T` does
/// not know (which `#[serde(flatten)]` would otherwise ignore): a key is
/// known if the parsed `T` writes it back, or it is one of
/// [`OPTIONAL_KEYS`].
fn parse_line<T: Serialize + DeserializeOwned>(line: &str) -> Result<T, String> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let parsed: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    let known = serde_json::to_value(&parsed).map_err(|e| e.to_string())?;
    if let (Some(given), Some(known)) = (value.as_object(), known.as_object()) {
        if let Some(k) = given
            .keys()
            .find(|k| !known.contains_key(*k) && !OPTIONAL_KEYS.contains(&k.as_str()))
        {
            return Err(format!("unknown key `{k}`"));
        }
    }
    Ok(parsed)
}

/// The results file's text: one JSON line per outcome.
pub fn render(outcomes: &[SeedOutcome], run: &RunInfo) -> String {
    json_lines(outcomes.iter().map(|o| ResultLine {
        outcome: o.clone(),
        build: BuildIdentity::current(),
        run: run.clone(),
    }))
}

/// `lines` as JSON lines: one compact JSON document and a newline each.
pub fn json_lines<T: Serialize>(lines: impl IntoIterator<Item = T>) -> String {
    let mut text = String::new();
    for line in lines {
        text.push_str(&json_line(&line));
    }
    text
}

/// `line` as one compact JSON document and a newline.
fn json_line<T: Serialize>(line: &T) -> String {
    let mut text = serde_json::to_string(line).expect("results always serialize");
    text.push('\n');
    text
}

/// A results file being written as a sweep goes: lines go to a temporary
/// file beside the target as they come (so a sweep of any length holds none
/// in memory), and [`ResultsWriter::finish`] checks the target again, syncs
/// the file and renames it into place ([`crate::output::FileTarget`]).
/// Dropped unfinished (an error, or an interrupted sweep), it removes the
/// temporary file and leaves the target as it was.
pub struct ResultsWriter<'a> {
    out: std::io::BufWriter<PendingFile<'a>>,
    run: RunInfo,
    build: BuildIdentity,
}

impl<'a> ResultsWriter<'a> {
    /// Starts writing the results of `run` to `target` (checked before any
    /// work: [`crate::output::check_target`]).
    pub fn create(target: &'a FileTarget, run: RunInfo) -> Result<Self, OutputError> {
        Ok(ResultsWriter {
            out: std::io::BufWriter::new(target.create()?),
            run,
            build: BuildIdentity::current(),
        })
    }

    /// The temporary file the lines go to until [`ResultsWriter::finish`].
    pub fn temp_path(&self) -> &Path {
        self.out.get_ref().temp_path()
    }

    /// Appends the line of `outcome`.
    pub fn write(&mut self, outcome: &SeedOutcome) -> std::io::Result<()> {
        let line = json_line(&ResultLine {
            outcome: outcome.clone(),
            build: self.build.clone(),
            run: self.run.clone(),
        });
        self.out.write_all(line.as_bytes())
    }

    /// Checks the target again, syncs the lines and renames the file into
    /// place, whole.
    pub fn finish(self) -> Result<(), String> {
        let pending = self
            .out
            .into_inner()
            .map_err(|e| format!("{}", e.into_error()))?;
        pending.commit().map_err(|e| e.to_string())
    }
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

/// A merged sweep: the run it was and its outcomes in seed order.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The run (its `shard` field is the first file's; ignore it).
    pub run: RunInfo,
    /// The build that ran every seed.
    pub build: BuildIdentity,
    /// Every seed's outcome, in seed order.
    pub outcomes: Vec<SeedOutcome>,
}

/// Merges the lines of several results files (`(name, lines)` per file).
/// Errors if the lines come from different runs or builds, the run's range
/// holds more seeds than a merge holds ([`MAX_HELD_SEEDS`]), a seed is
/// outside its shard, a seed appears twice, or a seed of the range is
/// missing.
pub fn merge(files: &[(String, Vec<ResultLine>)]) -> Result<Merged, String> {
    let mut first: Option<(&str, &ResultLine)> = None;
    let mut by_seed: BTreeMap<u64, (&str, &SeedOutcome)> = BTreeMap::new();
    let mut shards_seen: BTreeMap<u32, &str> = BTreeMap::new();
    for (name, lines) in files {
        let mut shard_of_file: Option<u32> = None;
        for line in lines {
            let run = &line.run;
            match first {
                None => {
                    run.seeds.check_held(&format!("{name}: seeds"))?;
                    first = Some((name, line));
                }
                Some((fname, f)) if f.build != line.build => {
                    return Err(format!(
                        "{name} and {fname} come from different builds: {} and {}; \
                         merge the shards of one build",
                        line.build, f.build
                    ));
                }
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
            if !run
                .seeds
                .index_of(seed)
                .is_some_and(|i| shard.owns_index(i))
            {
                return Err(format!(
                    "{name}: seed {seed} does not belong to shard {shard} of seeds {}",
                    run.seeds
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
    let Some((_, ResultLine { run, build, .. })) = first else {
        return Err("no results: the files hold no seed".into());
    };
    // At most MAX_HELD_SEEDS seeds, checked above.
    let mut missing: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    for seed in run.seeds.iter() {
        if !by_seed.contains_key(&seed) {
            let index = run.seeds.index_of(seed).expect("a seed of the range");
            let k = u32::try_from(index % u64::from(run.shards)).expect("below the shard count");
            missing.entry(k).or_insert((0, seed)).0 += 1;
        }
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|(k, (n, first))| {
                format!(
                    "shard {k}/{} ({n} seed{}, first {first})",
                    run.shards,
                    if *n == 1 { "" } else { "s" },
                )
            })
            .collect();
        return Err(format!(
            "seeds {} are not all covered: missing {}",
            run.seeds,
            list.join(", ")
        ));
    }
    Ok(Merged {
        run: run.clone(),
        build: build.clone(),
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
    let mut s = format!("{} seeds {}", run.spec, run.seeds);
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

    fn range(a: u64, b: u64) -> SeedRange {
        SeedRange::half_open(a, b).unwrap()
    }

    #[test]
    fn shards_partition_the_range() {
        let r = range(5, 17);
        let mut all: Vec<u64> = (0..3)
            .flat_map(|k| Shard { index: k, count: 3 }.seeds(r))
            .collect();
        assert_eq!(
            Shard { index: 1, count: 3 }.seeds(r).collect::<Vec<_>>(),
            [6, 9, 12, 15]
        );
        all.sort_unstable();
        assert_eq!(all, (5..17).collect::<Vec<_>>());
        assert_eq!(
            Shard::ALL.seeds(range(0, 4)).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        for k in 0..5 {
            let s = Shard { index: k, count: 5 };
            assert_eq!(
                s.seed_count(range(0, 3)),
                s.seeds(range(0, 3)).count() as u128
            );
        }
    }

    #[test]
    fn shards_of_enormous_ranges_cost_nothing_up_front() {
        let all = SeedRange::inclusive(0, u64::MAX).unwrap();
        let s = Shard {
            index: 999_999,
            count: 1_000_000,
        };
        assert_eq!(
            s.seeds(all).take(2).collect::<Vec<_>>(),
            [999_999, 1_999_999]
        );
        assert_eq!(s.seed_count(all), (1u128 << 64) / 1_000_000);
        let top = SeedRange::single(u64::MAX);
        assert_eq!(Shard::ALL.seeds(top).collect::<Vec<_>>(), [u64::MAX]);
        assert_eq!(Shard { index: 1, count: 2 }.seeds(top).count(), 0);
        let near = SeedRange::inclusive(u64::MAX - 2, u64::MAX).unwrap();
        assert_eq!(
            Shard { index: 3, count: 4 }.seeds(near).count(),
            0,
            "an index past the range, and past u64::MAX"
        );
        assert_eq!(
            Shard { index: 1, count: 2 }.seeds(near).collect::<Vec<_>>(),
            [u64::MAX - 1]
        );
    }

    #[test]
    fn unknown_top_level_keys_are_refused() {
        #[derive(Serialize, Deserialize)]
        struct Inner {
            a: u64,
        }
        #[derive(Serialize, Deserialize)]
        struct Line {
            #[serde(flatten)]
            inner: Inner,
            b: u64,
        }
        assert!(parse_line::<Line>(r#"{"a":1,"b":2}"#).is_ok());
        let e = parse_line::<Line>(r#"{"a":1,"b":2,"c":3}"#).err().unwrap();
        assert_eq!(e, "unknown key `c`");
    }
}
