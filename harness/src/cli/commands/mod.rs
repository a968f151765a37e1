//! The command line's subcommands beyond `run` and `list`, one file each,
//! and the sharding of `run`'s seeds: [`crate::cli`] only parses and
//! dispatches to them.

mod merge;
mod plan;
mod replay;
mod shards;
mod shrink;

pub(crate) use merge::merge;
pub use merge::MergeArgs;
pub(crate) use plan::plan;
pub use plan::PlanArgs;
pub(crate) use replay::replay;
pub use replay::ReplayArgs;
pub(crate) use shards::{Results, Shards};
pub use shrink::ShrinkArgs;
pub(crate) use shrink::{shrink, shrink_and_print};

use crate::case::Case;
use crate::cli::Program;
use crate::rig::{Rig, Stage};
use crate::scenario::load::{read_checked_plan, CaseSpec};

/// `--design` and `--set`, as `replay`, `plan` and `shrink` take them.
#[derive(clap::Args, Clone, Debug)]
pub struct CaseArgs {
    /// A built-in scenario's name, a path to a scenario file, or a
    /// regression file (its scenario, design, overrides, seed and plan).
    scenario: String,
    /// The design (default: the one a run takes when none is named, the
    /// system's first unless its scenario names one; a regression file's own).
    #[arg(long)]
    design: Option<String>,
    /// `KEY=VALUE` overrides of the scenario (repeatable; after a
    /// regression file's own).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// The most work units one seed may take, for a system that estimates
    /// its work before a run: a case estimated to take more is refused
    /// before anything runs (a system that estimates none refuses the flag).
    #[arg(long, value_name = "UNITS")]
    max_work: Option<u64>,
}

/// A case a subcommand names, loaded: the case, the plan that runs (a
/// `--plan` file, or a regression file's own) and the seed.
pub(crate) struct Loaded<R: Rig> {
    /// The case, with the plan it runs instead of the seed's own.
    case: Case<R>,
    /// The seed.
    seed: u64,
}

impl CaseArgs {
    /// Loads the case: a scenario with `seed` (required) and `plan`, or a
    /// regression file ([`Rig::regression`]), whose design, seed and plan
    /// the arguments given replace and whose overrides they extend; then
    /// refuses it if `stage` of its seed would take more work than
    /// `--max-work` allows ([`Rig::check_work`]).
    fn load<R: Rig>(
        &self,
        program: &Program,
        seed: Option<u64>,
        plan: Option<&str>,
        stage: Stage,
    ) -> Result<Loaded<R>, String> {
        let path = &self.scenario;
        let design = self.design.as_deref();
        let Some(saved) = R::regression(path, design, &self.overrides) else {
            let spec = CaseSpec {
                scenario: path.clone(),
                design: self.design.clone(),
                overrides: self.overrides.clone(),
                plan: plan.map(str::to_string),
            };
            let case = spec.load::<R>(program)?;
            let seed = seed.ok_or("--seed is required")?;
            R::check_work(&case, stage, self.max_work)?;
            return Ok(Loaded { case, seed });
        };
        let (mut case, own_seed) = saved?;
        if let Some(from) = plan {
            case.plan = Some((from.to_string(), read_checked_plan(from, &case)?));
        }
        R::check_work(&case, stage, self.max_work)?;
        Ok(Loaded {
            case,
            seed: seed.unwrap_or(own_seed),
        })
    }
}

/// The command that replays `seed` of `case` with `drawn` overrides (a
/// swarm seed's) as the rig spells it ([`Rig::replay_command`]), and
/// `--max-work` if the run was given it: what `run` and `merge` print for
/// each seed that broke the promise.
pub(crate) fn replay_command<R: Rig>(
    program: &Program,
    case: &Case<R>,
    seed: u64,
    drawn: &[String],
    max_work: Option<u64>,
) -> String {
    let mut replay = R::replay_command(program, case, seed, drawn);
    if let Some(units) = max_work {
        replay.push_str(&format!(" --max-work {units}"));
    }
    replay
}

impl<R: Rig> Loaded<R> {
    /// Runs and judges the seed with its plan.
    fn run(&self) -> crate::case::SeedRun<R::Fault> {
        self.case.run_seed(self.seed)
    }
}
