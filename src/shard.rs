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
use crate::output::{FileTarget, OutputError};
use crate::runner::Case;
use crate::seed_range::{SeedRange, MAX_HELD_SEEDS};
use harness::merge::{same_case, ShardLine};
use harness::results::{json_line, parse_line, read_lines, LinesWriter};
pub use harness::shard::{Shard, INDEX_ENV};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sim::outcome::SeedOutcome;
use std::io::Write;
use std::path::Path;

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
            design_arg: Some(case.design_name.clone()),
            plan: case.plan.as_ref().map(|(p, _)| p.clone()),
            seeds: range,
            shard: shard.index,
            shards: shard.count,
        }
    }

    /// This line's shard, if it is a valid one.
    pub fn shard(&self) -> Result<Shard, String> {
        Shard::new(self.shard, self.shards)
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
        let mut kind = None;
        let lines = read_lines(path, |first| {
            let (k, cells) = kind_of(first)?;
            kind = Some(k);
            Ok(MAX_HELD_SEEDS.saturating_mul(cells.max(1)))
        })?;
        Ok(ResultsFile {
            name: path.to_string(),
            kind,
            lines,
        })
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

/// A results file being written as a sweep goes: lines go to a temporary
/// file beside the target as they come (so a sweep of any length holds none
/// in memory), and [`ResultsWriter::finish`] checks the target again, syncs
/// the file and renames it into place ([`crate::output::FileTarget`]).
/// Dropped unfinished (an error, or an interrupted sweep), it removes the
/// temporary file and leaves the target as it was.
pub struct ResultsWriter<'a> {
    out: LinesWriter<'a>,
    run: RunInfo,
    build: BuildIdentity,
}

impl<'a> ResultsWriter<'a> {
    /// Starts writing the results of `run` to `target` (checked before any
    /// work: [`crate::output::check_target`]).
    pub fn create(target: &'a FileTarget, run: RunInfo) -> Result<Self, OutputError> {
        Ok(ResultsWriter {
            out: LinesWriter::create(target)?,
            run,
            build: BuildIdentity::current(),
        })
    }

    /// The temporary file the lines go to until [`ResultsWriter::finish`].
    pub fn temp_path(&self) -> &Path {
        self.out.temp_path()
    }

    /// Appends the line of `outcome`.
    pub fn write(&mut self, outcome: &SeedOutcome) -> std::io::Result<()> {
        self.out.write(&ResultLine {
            outcome: outcome.clone(),
            build: self.build.clone(),
            run: self.run.clone(),
        })
    }

    /// Checks the target again, syncs the lines and renames the file into
    /// place, whole.
    pub fn finish(self) -> Result<(), String> {
        self.out.finish()
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
pub type Merged = harness::merge::Merged<RunInfo, BuildIdentity>;

/// Merges the lines of several results files (`(name, lines)` per file)
/// ([`harness::merge::merge_lines`]). Errors if the lines come from
/// different runs or builds, the run's range holds more seeds than a merge
/// holds ([`MAX_HELD_SEEDS`]), a seed is outside its shard, a seed appears
/// twice, or a seed of the range is missing.
pub fn merge(files: &[(String, Vec<ResultLine>)]) -> Result<Merged, String> {
    harness::merge::merge(files)
}

impl ShardLine for ResultLine {
    type Build = BuildIdentity;
    type Run = RunInfo;
    fn run(&self) -> &RunInfo {
        &self.run
    }
    fn outcome(&self) -> &SeedOutcome {
        &self.outcome
    }
    fn build(&self) -> &BuildIdentity {
        &self.build
    }
    fn place(&self) -> (SeedRange, u32, u32) {
        (self.run.seeds, self.run.shard, self.run.shards)
    }
    fn same_run(&self, other: &Self) -> bool {
        self.run.run_key() == other.run.run_key() && same_case(&self.outcome, &other.outcome)
    }
    fn describe(&self) -> String {
        let (line, run) = (self, &self.run);
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
}
