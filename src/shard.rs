//! The results files of sharded sweeps, as `merge` tells them apart: a
//! run's shards (`run --shard K/N --results FILE`, the harness's results
//! lines: [`harness::sweep::results`]) or a report's (`report --shard K/N
//! --results FILE`: [`crate::report::sharded`]), and a report's read line
//! by line for its merge.
//!
//! A shard `K/N` of a seed range runs the seeds whose index in the range is
//! `K` mod `N` ([`Shard`]). Reading refuses more lines than a merge holds
//! ([`MAX_HELD_SEEDS`] per cell) before reading on.

use crate::seed_range::MAX_HELD_SEEDS;
use harness::sweep::results::{json_line, parse_line, read_lines};
pub use harness::sweep::shard::{Shard, INDEX_ENV};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::BufRead;

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

impl ResultsKind {
    /// What every file of `paths` holds, from each one's first line; an
    /// error if they mix a run's results with a report's, or hold no line
    /// at all.
    pub fn of_files(paths: &[String]) -> Result<ResultsKind, String> {
        let mut first: Option<(&str, ResultsKind)> = None;
        for path in paths {
            let Some(kind) = kind_of_file(path)? else {
                continue;
            };
            match first {
                None => first = Some((path, kind)),
                Some((name, k)) if k != kind => {
                    return Err(format!(
                        "{name} holds {k}, but {path} holds {kind}: merge the shards of one sweep"
                    ))
                }
                Some(_) => {}
            }
        }
        first
            .map(|(_, k)| k)
            .ok_or_else(|| "no results: the files hold no seed".into())
    }
}

/// The kind of results `path` holds, from its first non-blank line; `None`
/// for a file with no line (a shard with no seeds).
fn kind_of_file(path: &str) -> Result<Option<ResultsKind>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{path}:{}: {e}", i + 1))?;
        if !line.trim().is_empty() {
            let (kind, _) = kind_of(&line).map_err(|e| format!("{path}:{}: {e}", i + 1))?;
            return Ok(Some(kind));
        }
    }
    Ok(None)
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

/// `lines` as JSON lines: one compact JSON document and a newline each.
pub fn json_lines<T: Serialize>(lines: impl IntoIterator<Item = T>) -> String {
    let mut text = String::new();
    for line in lines {
        text.push_str(&json_line(&line));
    }
    text
}
