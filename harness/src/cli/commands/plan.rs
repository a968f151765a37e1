//! `plan SCENARIO --seed S`: the fault plan a seed draws, as `--plan`
//! reads it ([`crate::rig::Rig::plan_text`]), so it can be saved, edited and run as it is.

use super::CaseArgs;
use crate::cli::Program;
use crate::rig::{Rig, Stage};

/// Arguments of `plan`.
#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    case: CaseArgs,
    /// The seed.
    #[arg(long)]
    seed: Option<u64>,
}

/// Prints the plan; exit 0.
pub(crate) fn plan<R: Rig>(program: &Program, args: &PlanArgs) -> Result<u8, String> {
    let loaded = args.case.load::<R>(program, args.seed, None, Stage::Plan)?;
    print!("{}", R::plan_text(&loaded.case.plan(loaded.seed)));
    Ok(0)
}
