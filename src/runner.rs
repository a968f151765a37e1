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

pub use harness::sweep::{jobs, parallel_map};

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

pub use harness::report::summary::Summary;
