//! What a command line names, loaded and checked before any work: a
//! scenario (built in, or a `.toml` file), a design, `--set` overrides and
//! a `--plan` file; and the command that runs one seed of them again.

use crate::case::Case;
use crate::cli::shell::{invocation_of, shell_word};
use crate::cli::Program;
use crate::rig::{PlanFault, Rig};
use crate::scenario::Source;
use sim::plan::Plan;

/// The case a command names: the scenario as given (`spec`), the design
/// (`None`: the system's first), overrides and an optional plan file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseSpec {
    /// A built-in scenario's name, or a path to a scenario file.
    pub scenario: String,
    /// The design's name, if given.
    pub design: Option<String>,
    /// `KEY=VALUE` overrides, in order.
    pub overrides: Vec<String>,
    /// A plan file (JSON, as `plan` prints it) to run instead of a seed's
    /// own plan.
    pub plan: Option<String>,
}

impl CaseSpec {
    /// Loads the case, with its plan file as its saved plan if one is
    /// named; an error names the file, line and key, or the unknown
    /// scenario or design.
    pub fn load<R: Rig>(&self, program: &Program) -> Result<Case<R>, String> {
        self.load_from(&program.scenario(&self.scenario)?)
    }

    /// [`CaseSpec::load`] from the scenario in `source` (the one this
    /// spec names, already found: [`Program::scenario`]).
    pub fn load_from<R: Rig>(&self, source: &Source) -> Result<Case<R>, String> {
        let mut case = Case::<R>::load_design(source, &self.overrides, self.design.as_deref())
            .map_err(|e| e.to_string())?;
        if let Some(path) = &self.plan {
            case.plan = Some((path.clone(), read_checked_plan(path, &case)?));
        }
        Ok(case)
    }

    /// The command that runs `seed` of this case again (under `design`,
    /// the name it resolved to, with `drawn` overrides after the case's
    /// own: what a swarm seed drew), from the current directory.
    pub fn replay_command(
        &self,
        program: &Program,
        design: &str,
        seed: u64,
        drawn: &[String],
    ) -> String {
        let mut cmd = format!(
            "{} run {} --design {} --seed {seed}",
            invocation_of(program.package, program.manifest_dir, false),
            shell_word(&self.scenario),
            shell_word(design),
        );
        for o in self.overrides.iter().chain(drawn) {
            cmd.push_str(&format!(" --set {}", shell_word(o)));
        }
        if let Some(p) = &self.plan {
            cmd.push_str(&format!(" --plan {}", shell_word(p)));
        }
        cmd
    }
}

/// `PROGRAM run SCENARIO --design DESIGN --seed SEED`, then `case`'s
/// overrides and `drawn`, and its plan file: the harness's command that
/// replays `seed` of `case` ([`Rig::replay_command`]'s default).
pub fn replay_of<R: Rig>(program: &Program, case: &Case<R>, seed: u64, drawn: &[String]) -> String {
    let spec = CaseSpec {
        scenario: case.spec.clone(),
        design: None,
        overrides: case.overrides.clone(),
        plan: case.plan.as_ref().map(|(path, _)| path.clone()),
    };
    spec.replay_command(program, &case.design_name, seed, drawn)
}

/// The plan in the file `path`, as the case's rig reads and checks it
/// ([`Rig::read_plan`]); an error names the file and line, and the fault
/// that cannot run.
pub fn read_checked_plan<R: Rig>(path: &str, case: &Case<R>) -> Result<Plan<R::Fault>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    R::read_plan(path, &text, &case.scenario, &case.design)
}

/// The plan in `text`, the JSON file `path`: as [`plan_json`] writes it,
/// or a regression file's; an error names the file and line.
pub fn parse_json_plan<F: PlanFault>(path: &str, text: &str) -> Result<Plan<F>, String> {
    if let Ok(reg) = serde_json::from_str::<crate::triage::regression::Regression<F>>(text) {
        return Ok(reg.plan);
    }
    serde_json::from_str(text).map_err(|e| format!("{path}:{}: {e}", e.line()))
}

/// `plan` as the JSON `--plan` reads: pretty, with a final newline.
pub fn plan_json<F: PlanFault>(plan: &Plan<F>) -> String {
    serde_json::to_string_pretty(plan).expect("plans serialize") + "\n"
}
