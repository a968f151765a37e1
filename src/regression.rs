//! Regression cases: a shrunk failing run, saved with everything it is made
//! of, so that it keeps stating the same faults on the same targets when
//! the code or a dependency changes.
//!
//! A regression file (`scenarios/regressions/NAME.toml`) is its own format,
//! not a scenario file: top-level `design`, `seed`, `from`, `faults` (the
//! explicit plan, one inline table per fault), then `[expect]`,
//! `[[workload]]` (the explicit edits of each handset) and `[scenario]`, a
//! full scenario document (topology, run, workload rates, system, faults,
//! design) read with [`Scenario::from_str`]. The plan and workload in the
//! file are what runs; the scenario's own fault and edit rates are kept for
//! reference only. The seed still drives madsim's draws (scheduling,
//! latency), which may shift between versions; the case does not depend on
//! the seed reproducing its old trace, only on its expectation.
//!
//! The expectation ([`Expect`]): on `design`, the run has the verdict
//! `verdict` on `record`; on each design in `keeps`, the promise holds; and
//! with any one fault removed, the verdict on `record` is gone.
//! [`Regression::check`] runs exactly that, and `cargo test` runs it for
//! every file in [`DIR`].

use crate::runner::{self, Case};
use crate::scenario::{Origin, Scenario, ScenarioError};
use crate::shrink::{run_candidate, Candidate, HandsetTarget, Target};
use models::design::Design;
use models::fault::Fault;
use models::workload::{HandsetWorkload, Workload};
use serde::{Deserialize, Serialize};
use sim::outcome::VerdictKind;
use sim::plan::{Plan, PlannedFault};
use std::path::{Path, PathBuf};

/// Where regression files live: the repository's own cases (which `cargo
/// test` checks) relative to the workspace root, and those `shrink --save
/// NAME` writes relative to the current directory.
pub const DIR: &str = "scenarios/regressions";

/// What a regression case must show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The verdict kind the run must have on `record` under the case's design.
    #[serde(deserialize_with = "verdict_kind")]
    pub verdict: VerdictKind,
    /// The record (`u0/contact-1`), or the handset for `liveness`.
    pub record: String,
    /// Design presets on which the case must keep the promise.
    #[serde(default)]
    pub keeps: Vec<String>,
}

/// A verdict kind by name; an unknown name is an error naming the key and
/// every kind.
fn verdict_kind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<VerdictKind, D::Error> {
    let name = String::deserialize(d)?;
    VerdictKind::parse(&name).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "key `expect.verdict`: unknown verdict {name:?}, expected one of {}",
            VerdictKind::NAMES.join(", ")
        ))
    })
}

impl Expect {
    /// The verdict as a shrink target.
    pub fn target(&self) -> Target {
        Target {
            kind: self.verdict,
            subject: self.record.clone(),
        }
    }
}

/// The file as written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    design: String,
    seed: u64,
    #[serde(default)]
    from: String,
    faults: Vec<PlannedFault<Fault>>,
    expect: Expect,
    #[serde(default)]
    workload: Vec<HandsetWorkload>,
    scenario: toml::Table,
}

/// A loaded regression case.
#[derive(Clone, Debug)]
pub struct Regression {
    /// Where it was read from (or will be written to).
    pub path: String,
    /// The design preset it fails on.
    pub design: String,
    /// The seed of madsim's draws.
    pub seed: u64,
    /// Where it came from, in words (the shrink that made it).
    pub from: String,
    /// The explicit plan.
    pub plan: Plan<Fault>,
    /// The explicit workload.
    pub workload: Workload,
    /// What it must show.
    pub expect: Expect,
    /// The embedded scenario (overrides applied).
    pub scenario: Scenario,
}

/// Why a regression file could not be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum RegressionError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a well-formed regression file.
    #[error("{path}: {message}")]
    Malformed {
        /// The file.
        path: String,
        /// What is wrong, naming the key.
        message: String,
    },
    /// Its `[scenario]` table is not a valid scenario.
    #[error("{path}: {message}")]
    Scenario {
        /// The file.
        path: String,
        /// What is wrong, naming the key as `scenario.KEY`.
        message: String,
        /// The scenario error.
        #[source]
        source: Box<ScenarioError>,
    },
    /// The file could not be written.
    #[error("{path}: {message}")]
    Write {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// Whether `spec` names a regression file rather than a scenario: a file
/// whose TOML has top-level `faults` and `scenario` keys (a scenario file
/// refuses both).
pub fn is_regression_file(spec: &str) -> bool {
    /// Only the two keys that tell the formats apart; plans hold seeds
    /// above `i64::MAX`, which a `toml::Table` cannot.
    #[derive(Deserialize)]
    struct Probe {
        #[allow(dead_code)]
        scenario: serde::de::IgnoredAny,
        #[allow(dead_code)]
        faults: serde::de::IgnoredAny,
    }
    let path = Path::new(spec);
    path.is_file()
        && std::fs::read_to_string(path)
            .ok()
            .is_some_and(|t| toml::from_str::<Probe>(&t).is_ok())
}

/// The regression files in `dir`, sorted by name.
pub fn files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    out.sort();
    Ok(out)
}

impl Regression {
    /// Reads the regression file `path` and applies `overrides` to its
    /// scenario.
    pub fn load(path: &str, overrides: &[String]) -> Result<Self, RegressionError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegressionError::Read {
            path: path.to_string(),
            source,
        })?;
        Self::parse(path, &text, overrides)
    }

    /// Parses `text` as the regression file `path`.
    pub fn parse(path: &str, text: &str, overrides: &[String]) -> Result<Self, RegressionError> {
        let bad = |message: String| RegressionError::Malformed {
            path: path.to_string(),
            message,
        };
        let file: FileToml = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            let msg = e.message().trim().to_string();
            bad(match line {
                Some(l) => format!("line {l}: {msg}"),
                None => msg,
            })
        })?;
        let scenario_text =
            toml::to_string(&file.scenario).map_err(|e| bad(format!("[scenario]: {e}")))?;
        let scenario = Scenario::from_str(&format!("{path} [scenario]"), &scenario_text, overrides)
            .map_err(|source| RegressionError::Scenario {
                path: path.to_string(),
                message: scenario_message(&source),
                source: Box::new(source),
            })?;
        if Design::preset(&file.design).is_none() {
            return Err(bad(format!(
                "key `design`: unknown design {:?}, expected one of {}",
                file.design,
                Design::PRESETS.join(", ")
            )));
        }
        for k in &file.expect.keeps {
            if Design::preset(k).is_none() {
                return Err(bad(format!(
                    "key `expect.keeps`: unknown design {k:?}, expected one of {}",
                    Design::PRESETS.join(", ")
                )));
            }
        }
        let handsets = scenario.topology.handsets;
        let subject_handset = file.expect.target().handset().ok_or_else(|| {
            bad(format!(
                "key `expect.record`: {:?} is neither a record (u0/contact-1) nor a handset (handset-0)",
                file.expect.record
            ))
        })?;
        if subject_handset >= handsets {
            return Err(bad(format!(
                "key `expect.record`: {} belongs to handset-{subject_handset}, but the topology has {handsets} handsets",
                file.expect.record
            )));
        }
        crate::plan_check::check(&file.faults, &scenario)
            .map_err(|e| bad(format!("key `faults.{}`: {e}", e.index)))?;
        for (i, hw) in file.workload.iter().enumerate() {
            if hw.handset >= handsets {
                return Err(bad(format!(
                    "key `workload.{i}.handset`: handset {} is outside the topology ({handsets} handsets)",
                    hw.handset
                )));
            }
        }
        Ok(Regression {
            path: path.to_string(),
            design: file.design,
            seed: file.seed,
            from: file.from,
            plan: Plan::new(file.faults),
            // Regression files keep handset workloads only (no portal edits).
            workload: Workload {
                handsets: file.workload,
                portals: Vec::new(),
            },
            expect: file.expect,
            scenario,
        })
    }

    /// The case this regression runs under `design` (default: its own).
    pub fn case(&self, design: Option<&str>) -> Result<Case, RegressionError> {
        let name = design.unwrap_or(&self.design);
        // The scenario is the file's `[scenario]` table, not a file of its
        // own: the case keeps no scenario text.
        let mut case = runner::case_of(
            &self.path,
            "",
            self.scenario.clone(),
            Some(name),
            Vec::new(),
        )
        .map_err(|e| RegressionError::Malformed {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        case.plan = Some((self.path.clone(), self.plan.clone()));
        case.workload = Some(self.workload.clone());
        Ok(case)
    }

    /// The candidate (topology, plan, workload) the file states.
    pub fn candidate(&self) -> Candidate {
        Candidate {
            handsets: self.scenario.topology.handsets,
            plan: self.plan.clone(),
            workload: self.workload.clone(),
        }
    }

    /// The command that replays this case.
    pub fn replay_command(&self) -> String {
        format!("{} replay {}", crate::shell::invocation(), self.path)
    }

    /// The regression of a shrunk case (its plan, workload and topology
    /// set: [`crate::shrink::Candidate::apply`]) saved as `path`: `seed`
    /// on `case`'s design, expecting `target` and the promise kept on each
    /// design of `keeps`. `from` says where it came from.
    pub fn of_shrunk(
        path: &str,
        case: &Case,
        seed: u64,
        target: &Target,
        from: String,
        keeps: Vec<String>,
    ) -> Self {
        Regression {
            path: path.to_string(),
            design: case.design_name.clone(),
            seed,
            from,
            plan: case.plan(seed),
            workload: case.workload(seed),
            expect: Expect {
                verdict: target.kind,
                record: target.subject.clone(),
                keeps,
            },
            scenario: case.scenario.clone(),
        }
    }

    /// The file's text: comments saying how to replay it, then the keys.
    pub fn to_toml(&self) -> Result<String, RegressionError> {
        let err = |e: String| RegressionError::Write {
            path: self.path.clone(),
            message: e,
        };
        let mut s = String::new();
        s.push_str(&format!(
            "# lastcopy regression case, written by `lastcopy shrink --save`.\n\
             # Replay: {}\n\
             # `cargo test` checks the expectation (tests/regressions.rs): the verdict\n\
             # below on `design`; the promise kept on each design of `expect.keeps`; and\n\
             # the verdict gone when any one fault is removed. The faults and workload\n\
             # below are what runs; the scenario's own rates are kept for reference.\n\n",
            self.replay_command()
        ));
        s.push_str(&format!(
            "design = {}\n",
            inline_value(&self.design).map_err(err)?
        ));
        s.push_str(&format!("seed = {}\n", self.seed));
        s.push_str(&format!(
            "from = {}\n\n",
            inline_value(&self.from).map_err(err)?
        ));
        s.push_str(
            "# The faults, in firing order; `at` is simulated time since the start.\nfaults = [\n",
        );
        for f in &self.plan.faults {
            s.push_str(&format!("  {},\n", inline_value(f).map_err(err)?));
        }
        s.push_str("]\n\n[expect]\n");
        s.push_str(&format!(
            "verdict = {}\n",
            inline_value(&self.expect.verdict).map_err(err)?
        ));
        s.push_str(&format!(
            "record = {}\n",
            inline_value(&self.expect.record).map_err(err)?
        ));
        s.push_str(&format!(
            "keeps = {}\n",
            inline_value(&self.expect.keeps).map_err(err)?
        ));
        for hw in &self.workload.handsets {
            s.push_str(&format!(
                "\n[[workload]]\nhandset = {}\nedits = [\n",
                hw.handset
            ));
            for e in &hw.edits {
                s.push_str(&format!("  {},\n", inline_value(e).map_err(err)?));
            }
            s.push_str("]\n");
        }
        let mut scenario = toml::Table::try_from(&self.scenario).map_err(|e| err(e.to_string()))?;
        scenario.remove("expect");
        scenario.remove("test");
        let mut outer = toml::Table::new();
        outer.insert("scenario".into(), toml::Value::Table(scenario));
        s.push('\n');
        s.push_str(&toml::to_string(&outer).map_err(|e| err(e.to_string()))?);
        Ok(s)
    }

    /// Writes the file to `dest` (its `path` as seen from where it is
    /// saved) atomically, creating its directory if missing. An existing
    /// file is replaced only if `force` and only if it is a regression file
    /// (never a file lastcopy did not write), and never through a symbolic
    /// link or over a directory or device ([`crate::output`]). What is
    /// written is read back first and must be the same case.
    pub fn save(&self, dest: &Path, force: bool) -> Result<(), RegressionError> {
        let err = |message: String| RegressionError::Write {
            path: self.path.clone(),
            message,
        };
        let text = self.to_toml()?;
        let back = Regression::parse(&self.path, &text, &[])?;
        if back.plan != self.plan || back.workload != self.workload || back.expect != self.expect {
            return Err(err("the file would not read back as the same case".into()));
        }
        if dest.is_symlink() {
            return Err(err(
                "is a symbolic link; lastcopy never writes through one".into()
            ));
        }
        if dest.exists() {
            if !force {
                return Err(err("already exists (pass --force to replace it)".into()));
            }
            if !is_regression_file(&dest.to_string_lossy()) {
                return Err(err(
                    "exists and is not a regression file; only a regression file is replaced"
                        .into(),
                ));
            }
        }
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        // Atomically, and never through a link or over a directory or device.
        crate::output::check_target(dest, std::iter::empty::<&Path>())
            .and_then(|t| t.write(text.as_bytes()))
            .map_err(|e| err(e.problem.to_string()))
    }

    /// Checks the expectation: the verdict on its design, the promise on
    /// each design of `keeps`, and the verdict gone with any one fault
    /// removed. Returns one line per check that passed, or every failed
    /// check, each naming the file.
    pub fn check(&self) -> Result<Vec<String>, Vec<String>> {
        let target = self.expect.target();
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        let path = &self.path;
        let case = match self.case(None) {
            Ok(c) => c,
            Err(e) => return Err(vec![e.to_string()]),
        };
        let cand = self.candidate();
        let run = run_candidate(&case, &cand, self.seed);
        if target.holds(&run.outcome.verdicts) {
            ok.push(format!("{path}: `{target}` on {}", self.design));
        } else {
            failed.push(format!(
                "{path}: expected `{target}` on {}, got: {}",
                self.design,
                verdict_list(&run.outcome.verdicts)
            ));
        }
        for d in &self.expect.keeps {
            let case = match self.case(Some(d)) {
                Ok(c) => c,
                Err(e) => return Err(vec![e.to_string()]),
            };
            let run = run_candidate(&case, &cand, self.seed);
            if run.outcome.kept_promise() {
                ok.push(format!("{path}: promise kept on {d}"));
            } else {
                failed.push(format!(
                    "{path}: expected the promise kept on {d}, got: {}",
                    verdict_list(&run.outcome.verdicts)
                ));
            }
        }
        for f in &self.plan.faults {
            let without = Candidate {
                plan: self.plan.without(f.id),
                ..cand.clone()
            };
            let run = run_candidate(&case, &without, self.seed);
            if target.holds(&run.outcome.verdicts) {
                failed.push(format!(
                    "{path}: `{target}` still happens without fault {} ({} {}): the case is not 1-minimal",
                    f.id,
                    f.target,
                    f.kind.name()
                ));
            } else {
                ok.push(format!(
                    "{path}: without fault {} ({} {}): no `{target}`{}",
                    f.id,
                    f.target,
                    f.kind.name(),
                    if run.outcome.kept_promise() {
                        ", promise kept".to_string()
                    } else {
                        format!(" (other verdicts: {})", verdict_list(&run.outcome.verdicts))
                    }
                ));
            }
        }
        if failed.is_empty() {
            Ok(ok)
        } else {
            Err(failed)
        }
    }
}

/// A scenario error inside a regression file, naming its key as the file
/// has it (`scenario.run.duration`); the embedded table is re-read from its
/// parsed form, so its line numbers would not match the file.
fn scenario_message(e: &ScenarioError) -> String {
    match e {
        ScenarioError::Invalid {
            origin: Origin::File { .. },
            key,
            message,
        } => format!("key `scenario.{key}`: {message}"),
        ScenarioError::Syntax {
            origin: Origin::File { .. },
            message,
        } => format!("[scenario]: not valid TOML: {message}"),
        other => other.to_string(),
    }
}

fn verdict_list(v: &[sim::outcome::Verdict]) -> String {
    if v.is_empty() {
        return "promise kept".into();
    }
    v.iter()
        .map(|v| format!("{} {}", v.kind, v.subject))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One value as inline TOML: `{ a = 1, b = "x" }`.
fn inline_value<T: Serialize>(v: &T) -> Result<String, String> {
    let mut out = String::new();
    v.serialize(toml::ser::ValueSerializer::new(&mut out))
        .map_err(|e| e.to_string())?;
    Ok(out)
}
