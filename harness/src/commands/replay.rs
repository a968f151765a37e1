//! `replay SCENARIO --seed S`: one seed run and printed whole
//! ([`crate::replay::render`]); exit 0 if it kept the promise, 1 if not.

use super::CaseArgs;
use crate::cli::Program;
use crate::rig::Rig;

/// Arguments of `replay`.
#[derive(clap::Args, Debug)]
pub(crate) struct ReplayArgs {
    #[command(flatten)]
    case: CaseArgs,
    /// The seed (default for a regression file: its own).
    #[arg(long)]
    seed: Option<u64>,
    /// Run this plan file (from `plan`, or a regression file) instead of
    /// the seed's own.
    #[arg(long)]
    plan: Option<String>,
    /// Tell the story of every record the seed broke the promise on,
    /// instead of printing the raw trace.
    #[arg(long)]
    explain: bool,
}

/// Replays the seed and prints it.
pub(crate) fn replay<R: Rig>(program: &Program, args: &ReplayArgs) -> Result<u8, String> {
    let loaded = args
        .case
        .load::<R>(program, args.seed, args.plan.as_deref())?;
    let run = loaded.run();
    let name = &loaded.case.name();
    print!(
        "{}",
        crate::replay::render(name, &loaded.case.design_shown, &run, args.explain)
    );
    Ok(u8::from(!run.outcome.kept_promise()))
}
