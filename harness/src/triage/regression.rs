//! Regression files of a user's system: a shrunk failing seed, saved with
//! everything it is made of, so that a user's `cargo test` can replay it
//! ([`check_dir`]) and fail, naming the file, when it no longer breaks the
//! promise as it did.
//!
//! A regression file (`regressions/NAME.json`, written by `shrink --save
//! NAME` or `run --seed S --shrink --save NAME`) is one JSON document
//! ([`Regression`]): what made it (`from`), the scenario as it was named
//! and its whole text (so the file replays even if the catalogue's copy
//! changes), the design, the seed, the `--set` overrides, the explicit
//! shrunk plan (the plan that runs, in the form `--plan` reads) and the
//! expected verdict: its kind and the record it is on. JSON because plans
//! hold resolve seeds above `i64::MAX`, which TOML cannot.
//!
//! The expectation: replayed, the seed breaks the promise and its worst
//! verdict is `expect.verdict`, on `expect.record`. A regression file is
//! also a plan file: `--plan FILE` runs its plan.

use crate::case::{Case, SeedRun};
use crate::cli::output::check_target;
use crate::plan::faults::Fault;
use crate::rig::{PlanFault, Rig};
use crate::scenario::load::read_checked_plan;
use crate::scenario::Source;
use crate::triage::save_target::Rules;
use crate::triage::shrink::Shrunk;
use serde::{Deserialize, Serialize};
use sim::outcome::VerdictKind;
use sim::plan::Plan;
use std::path::{Path, PathBuf};

/// The regression files' extension.
pub const EXT: &str = ".json";

/// Where `--save NAME` writes a bare NAME, under the current directory.
pub const DIR: &str = "regressions";

/// How `--save` names regression files ([`crate::triage::save_target`]).
pub const RULES: Rules<'static> = Rules {
    dir: DIR,
    ext: EXT,
    is_regression_file,
};

/// A saved failing case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regression<F = Fault> {
    /// What made it, in words (the shrink command and what it started from).
    pub from: String,
    /// The scenario as it was named when saved (a built-in name or a path),
    /// for people; the text below is what runs.
    pub scenario: String,
    /// The scenario file's whole text.
    pub scenario_text: String,
    /// The design's name.
    pub design: String,
    /// The seed (the workload's and the engine's draws).
    pub seed: u64,
    /// `--set` overrides applied to the scenario, in order.
    #[serde(default)]
    pub overrides: Vec<String>,
    /// What the replay must show.
    pub expect: Expect,
    /// The explicit, shrunk plan.
    pub plan: Plan<F>,
}

/// What a regression's replay must show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The worst verdict kind of the run.
    pub verdict: VerdictKind,
    /// The record (or place) the first verdict of that kind is on.
    pub record: String,
}

impl Expect {
    /// The expectation `run` meets: its worst verdict and that verdict's
    /// subject; `None` if it kept the promise.
    pub fn of<F>(run: &SeedRun<F>) -> Option<Expect> {
        let worst = run.outcome.verdicts.iter().min_by_key(|v| v.kind)?;
        Some(Expect {
            verdict: worst.kind,
            record: worst.subject.clone(),
        })
    }
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {}", self.verdict, self.record)
    }
}

/// Whether `path` is a regression file: a JSON file that reads as one.
pub fn is_regression_file(path: &str) -> bool {
    path.ends_with(EXT)
        && Path::new(path).is_file()
        && Regression::<serde_json::Value>::load(path).is_ok()
}

/// The case and seed of the harness's regression file `path`, if it is
/// one ([`Rig::regression`]'s default): its design unless `design`, its
/// overrides then `overrides`, its plan.
pub fn load_case<R: Rig>(
    path: &str,
    design: Option<&str>,
    overrides: &[String],
) -> Option<Result<(Case<R>, u64), String>> {
    if !is_regression_file(path) {
        return None;
    }
    let load = || {
        let mut reg = Regression::<R::Fault>::load(path)?;
        reg.overrides.extend(overrides.iter().cloned());
        if let Some(d) = design {
            reg.design = d.to_string();
        }
        let mut case = reg.case::<R>(path)?;
        case.plan = Some((path.to_string(), read_checked_plan(path, &case)?));
        Ok((case, reg.seed))
    };
    Some(load())
}

impl<F: Serialize + serde::de::DeserializeOwned + PartialEq + Clone> Regression<F> {
    /// Reads the regression file `path`; an error names the file, the line
    /// and what is wrong (an unknown key, a missing one, a bad verdict).
    pub fn load(path: &str) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("{path}:{}: {e}", e.line()))
    }

    /// The case it runs, checked as a scenario file is (errors name the
    /// file and the key).
    pub fn case<R: Rig>(&self, path: &str) -> Result<Case<R>, String> {
        let origin = format!("{path} (scenario_text, from {})", self.scenario);
        let source = Source::new(origin, self.scenario_text.clone());
        Case::<R>::load(&source, &self.overrides, &self.design).map_err(|e| e.to_string())
    }

    /// Replays it (read from `path`): the run if it still shows its
    /// expectation, else an error naming the file, what was expected and
    /// what the run showed.
    pub fn check<R: Rig<Fault = F>>(&self, path: &str) -> Result<SeedRun<F>, String>
    where
        F: PlanFault,
    {
        let case = self.case::<R>(path)?;
        let run = case.run_plan(self.seed, self.plan.clone());
        match Expect::of(&run) {
            Some(got) if got == self.expect => Ok(run),
            Some(got) => Err(format!(
                "{path}: expected {} (design {}, seed {}), but the replay's worst verdict is now {got}",
                self.expect, self.design, self.seed
            )),
            None => Err(format!(
                "{path}: expected {} (design {}, seed {}), but the replay kept the promise: \
                 it no longer breaks",
                self.expect, self.design, self.seed
            )),
        }
    }

    /// Writes it to `dest` atomically (never through a symbolic link or
    /// over a directory or device: [`crate::cli::output::check_target`]),
    /// creating the file's directory; the caller has checked that `dest`
    /// may be written ([`crate::triage::save_target::SaveTarget`]).
    pub fn save(&self, dest: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).expect("regressions serialize") + "\n";
        let back: Regression<F> =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", dest.display()))?;
        if &back != self {
            return Err(format!(
                "{}: the file would not read back as the same case",
                dest.display()
            ));
        }
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        check_target(dest, std::iter::empty::<&Path>())
            .and_then(|t| t.write(text.as_bytes()))
            .map_err(|e| e.to_string())
    }
}

/// The regression file of `shrunk`, made as `from` says (the shrink
/// command and what it started from); an error if its run kept the
/// promise.
pub fn of_shrunk<R: Rig>(shrunk: &Shrunk<R>, from: &str) -> Result<Regression<R::Fault>, String> {
    let expect =
        Expect::of(&shrunk.run).ok_or("the shrunk run kept the promise: nothing to save")?;
    let case = &shrunk.case;
    Ok(Regression {
        from: from.to_string(),
        scenario: case.spec.clone(),
        scenario_text: case.text.clone(),
        design: case.design_name.clone(),
        seed: shrunk.seed,
        overrides: case.overrides.clone(),
        expect,
        plan: shrunk.run.plan.clone(),
    })
}

/// The regression files in `dir` (`*.json`), sorted by name.
pub fn files_in(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(EXT))
        .collect();
    out.sort();
    Ok(out)
}

/// Replays every regression file in `dir` for system `S` (for a user's
/// `cargo test`): how many were checked, or one line per file that could
/// not be read or no longer shows its expectation, each naming the file.
/// A directory that cannot be read is an error too.
///
/// ```no_run
/// # fn check<S: lastcopy_harness::system::System>() {
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/regressions");
/// match lastcopy_harness::triage::regression::check_dir::<S>(dir.as_ref()) {
///     Ok(n) => assert!(n > 0, "no regression file in {dir}"),
///     Err(failures) => panic!("{failures}"),
/// }
/// # }
/// ```
pub fn check_dir<R: Rig>(dir: &Path) -> Result<usize, String> {
    let files = files_in(dir)?;
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let path = f.to_string_lossy();
            Regression::<R::Fault>::load(&path)
                .and_then(|r| r.check::<R>(&path))
                .err()
        })
        .collect();
    if failures.is_empty() {
        Ok(files.len())
    } else {
        Err(format!(
            "{} of {} regression files in {} failed:\n{}",
            failures.len(),
            files.len(),
            dir.display(),
            failures.join("\n")
        ))
    }
}
