//! Results files: what `run --results FILE` writes, one JSON line per
//! seed, for `merge` to combine the shards of a sweep.
//!
//! A line is the seed's [`SeedOutcome`] with three more keys: `package`
//! and `build`, the build that ran it ([`BinaryIdentity`]), and `run`,
//! which run it came from ([`RunInfo`]: the scenario and design as given,
//! the plan file, the work budget, the seed range, the shard). Every line parses as a `SeedOutcome`
//! on its own. [`LinesWriter`] writes the lines to a temporary file beside
//! the target as they come and renames it into place at the end, so a
//! reader never sees half a file. Reading ([`read_lines`], [`parse_line`])
//! refuses unknown keys and more lines than a merge holds.

use crate::cli::build_identity::BinaryIdentity;
use crate::cli::output::{FileTarget, OutputError, PendingFile};
use crate::sweep::seed_range::{SeedRange, MAX_HELD_SEEDS};
use crate::sweep::shard::Shard;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sim::outcome::SeedOutcome;
use std::io::{BufRead, Write};
use std::path::Path;

/// Which run a results line came from: what `merge` needs to check that
/// shards belong together and to print the run's replay commands. The
/// overrides are the outcome's own key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInfo {
    /// The scenario as given on the command line (catalogue name or path).
    pub spec: String,
    /// The design, as `--design` chooses it again (with the outcome's
    /// overrides).
    pub design: String,
    /// `--plan`, if given (a path).
    pub plan: Option<String>,
    /// `--max-work`, if given (the replay commands carry it).
    pub max_work: Option<u64>,
    /// The sweep's whole seed range (first and last seed, both included).
    pub seeds: SeedRange,
    /// This line's shard: K.
    pub shard: u32,
    /// How many shards the sweep has: N.
    pub shards: u32,
}

impl RunInfo {
    /// This line's shard, if it is a valid one.
    pub fn shard(&self) -> Result<Shard, String> {
        Shard::new(self.shard, self.shards)
    }
}

/// One line of a results file: a seed's outcome, the build that ran it and
/// the run it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultLine {
    /// The seed's outcome (its keys are the line's top-level keys).
    #[serde(flatten)]
    pub outcome: SeedOutcome,
    /// The build that ran it (`package` and `build`, top-level keys).
    #[serde(flatten)]
    pub build: BinaryIdentity,
    /// Which run and shard it came from.
    pub run: RunInfo,
}

/// Top-level keys a line may hold that its parsed form leaves out when it
/// serializes again (a seed outcome's `drawn`, when empty).
pub const OPTIONAL_KEYS: &[&str] = &["drawn"];

/// Reads the non-blank lines of `path`, with their 1-based numbers,
/// refusing more than `limit(first line)` lines (a merge holds at most
/// that many) before reading on; `limit` may refuse the first line too.
pub fn read_lines(
    path: &str,
    limit: impl FnOnce(&str) -> Result<u64, String>,
) -> Result<Vec<(usize, String)>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut limit = Some(limit);
    let mut max_lines = MAX_HELD_SEEDS;
    let mut lines = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| format!("{path}:{n}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        if let Some(limit) = limit.take() {
            max_lines = limit(&line).map_err(|e| format!("{path}:{n}: {e}"))?;
        }
        if lines.len() as u64 >= max_lines {
            return Err(format!(
                "{path}:{n}: more than {max_lines} lines, more seeds than a merge holds \
                 ({MAX_HELD_SEEDS} per cell)"
            ));
        }
        lines.push((n, line));
    }
    Ok(lines)
}

/// The lines of a run's results file `path`, parsed: an error names the
/// file and line, and any key a results line does not have.
pub fn read(path: &str) -> Result<Vec<ResultLine>, String> {
    read_lines(path, |_| Ok(MAX_HELD_SEEDS))?
        .into_iter()
        .map(|(n, l)| parse_line(&l).map_err(|e| format!("{path}:{n}: not a results line: {e}")))
        .collect()
}

/// Parses one JSON line as a `T`, refusing top-level keys that `T` does
/// not know (which `#[serde(flatten)]` would otherwise ignore): a key is
/// known if the parsed `T` writes it back, or it is one of
/// [`OPTIONAL_KEYS`].
pub fn parse_line<T: Serialize + DeserializeOwned>(line: &str) -> Result<T, String> {
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

/// `line` as one compact JSON document and a newline.
pub fn json_line<T: Serialize>(line: &T) -> String {
    let mut text = serde_json::to_string(line).expect("results always serialize");
    text.push('\n');
    text
}

/// A file of JSON lines being written as a sweep goes: lines go to a
/// temporary file beside the target as they come (so a sweep of any length
/// holds none in memory), and [`LinesWriter::finish`] checks the target
/// again, syncs the file and renames it into place
/// ([`crate::cli::output::FileTarget`]). Dropped unfinished (an error, or an
/// interrupted sweep), it removes the temporary file and leaves the target
/// as it was.
pub struct LinesWriter<'a> {
    out: std::io::BufWriter<PendingFile<'a>>,
}

impl<'a> LinesWriter<'a> {
    /// Starts writing to `target` (checked before any work:
    /// [`crate::cli::output::check_target`]).
    pub fn create(target: &'a FileTarget) -> Result<Self, OutputError> {
        Ok(LinesWriter {
            out: std::io::BufWriter::new(target.create()?),
        })
    }

    /// The temporary file the lines go to until [`LinesWriter::finish`].
    pub fn temp_path(&self) -> &Path {
        self.out.get_ref().temp_path()
    }

    /// Appends `line` as one JSON line.
    pub fn write<T: Serialize>(&mut self, line: &T) -> std::io::Result<()> {
        self.out.write_all(json_line(line).as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;

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
