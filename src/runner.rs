//! The runner: one Sidekick case (scenario, design, overrides, optional
//! saved plan) over one seed or a range of seeds, each seed on a fresh
//! thread, with the outcome of each judged by the checker; and the totals
//! a sweep prints.

use crate::rig::Sidekick;
use crate::scenario::{Scenario, ScenarioError, CATALOGUE};
use crate::shell::shell_word;
use harness::rig::Rig;
use harness::scenario::Source;
use models::fault::Fault;
use sim::outcome::{SeedOutcome, VerdictKind};

pub use harness::sweep::{
    jobs, parallel_map, stream_map, sweep_with, StreamEnd, MAX_JOBS, WINDOW_PER_JOB,
};

/// What to run: a Sidekick scenario under a design, with overrides and an
/// optional saved plan or workload that replaces each seed's own (the
/// harness's case of the [`Sidekick`] rig).
pub type Case = harness::case::Case<Sidekick>;

/// One seed's full result: the judged outcome, the plan that ran, and the
/// trace, ledger and final state.
pub type SeedRun = harness::case::SeedRun<Fault>;

/// The case of scenario `spec` (a catalogue name or a path) with
/// `overrides`, under the preset `design` names (`None`: the scenario's
/// own); errors name the file, line and key, or the unknown scenario or
/// preset.
pub fn case(spec: &str, design: Option<&str>, overrides: &[String]) -> Result<Case, ScenarioError> {
    Case::load_design(&Source::find(spec, CATALOGUE)?, overrides, design)
}

/// The case of `scenario`, already loaded (from `spec`, whose text before
/// the overrides is `text`) with `overrides`, under the preset `design`
/// names (`None`: the scenario's own).
pub fn case_of(
    spec: &str,
    text: &str,
    scenario: Scenario,
    design: Option<&str>,
    overrides: Vec<String>,
) -> Result<Case, ScenarioError> {
    let chosen = Sidekick::design(&scenario, design)?;
    Ok(Case {
        spec: spec.to_string(),
        scenario,
        design_name: chosen.name,
        design_shown: chosen.shown,
        design: chosen.design,
        overrides,
        drawn: Vec::new(),
        text: text.to_string(),
        workload: None,
        plan: None,
        watch_situations: false,
    })
}

/// The command that replays one seed of a Sidekick case exactly.
pub trait Replay {
    /// The command that replays `seed` of this case exactly, as run from
    /// the current directory ([`crate::shell::invocation`]): `lastcopy
    /// replay SCENARIO --seed N --design PRESET`, then its overrides and
    /// its saved plan's file.
    fn replay_command(&self, seed: u64) -> String;
}

impl Replay for Case {
    fn replay_command(&self, seed: u64) -> String {
        let mut cmd = format!(
            "{} replay {} --seed {seed}",
            crate::shell::invocation(),
            shell_word(&self.spec)
        );
        // The preset, not the knobs' name: `--set design.*` overrides below
        // make a `custom` design from it again.
        cmd.push_str(&format!(" --design {}", self.design_name));
        for o in &self.overrides {
            cmd.push_str(&format!(" --set {}", shell_word(o)));
        }
        if let Some((path, _)) = &self.plan {
            cmd.push_str(&format!(" --plan {}", shell_word(path)));
        }
        cmd
    }
}

/// The totals of a sweep, as the summary line prints them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Seeds run.
    pub seeds: u64,
    /// Seeds that broke the promise.
    pub failed: u64,
    /// Records lost, over all seeds.
    pub lost: u64,
    /// Records rolled back.
    pub rolled_back: u64,
    /// Records corrupted.
    pub corrupted: u64,
    /// Liveness verdicts.
    pub liveness: u64,
    /// Versions forfeited by users' own resets.
    pub forfeited: u64,
    /// Records with an acknowledged edit discarded for another writer's.
    pub lost_updates: u64,
    /// Records served again after their deletion was acknowledged.
    pub resurrected: u64,
    /// Records (or versions) served to a user who does not own them.
    pub leaked: u64,
    /// Seeds whose only failure is that sync did not converge in the heal
    /// bound (no record lost, rolled back, corrupted or leaked).
    pub not_converged: u64,
}

impl Summary {
    /// Totals over `outcomes`.
    pub fn of(outcomes: &[SeedOutcome]) -> Self {
        let mut s = Summary::default();
        for o in outcomes {
            s.add(o);
        }
        s
    }

    /// Adds one seed's outcome to the totals (a running summary: a sweep
    /// of any length keeps only this).
    pub fn add(&mut self, o: &SeedOutcome) {
        self.seeds += 1;
        self.failed += u64::from(!o.kept_promise());
        self.lost += o.verdict_count(VerdictKind::Lost);
        self.rolled_back += o.verdict_count(VerdictKind::RolledBack);
        self.corrupted += o.verdict_count(VerdictKind::Corrupted);
        self.liveness += o.verdict_count(VerdictKind::Liveness);
        self.forfeited += o.count("forfeited");
        self.lost_updates += o.verdict_count(VerdictKind::LostUpdate);
        self.resurrected += o.verdict_count(VerdictKind::Resurrected);
        self.leaked += o.verdict_count(VerdictKind::Leaked);
        self.not_converged += u64::from(
            !o.kept_promise() && o.verdicts.iter().all(|v| v.kind == VerdictKind::Liveness),
        );
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seeds: {}, failed: {}, records lost: {}, rolled back: {}, corrupted: {}, liveness: {}, forfeited: {}",
            self.seeds, self.failed, self.lost, self.rolled_back, self.corrupted, self.liveness, self.forfeited
        )?;
        // Two-writer verdicts are printed only when some seed has them, so
        // single-writer scenarios keep their summary line.
        if self.lost_updates + self.resurrected > 0 {
            write!(
                f,
                ", lost updates: {}, resurrected: {}",
                self.lost_updates, self.resurrected
            )?;
        }
        // So are leaks, and seeds that failed on liveness alone.
        if self.leaked > 0 {
            write!(f, ", leaked: {}", self.leaked)?;
        }
        if self.not_converged > 0 {
            write!(f, ", only not converged: {} seeds", self.not_converged)?;
        }
        Ok(())
    }
}
