//! `shrink SCENARIO --seed S [--save NAME]`: a failing seed's plan reduced
//! to the faults that matter ([`crate::shrink`]), printed with its
//! explanation, and with `--save` kept as a regression file
//! ([`crate::regression`]). The save target is checked before any run.

use super::CaseArgs;
use crate::cli::{shrunk, Program};
use crate::regression;
use crate::rig::{Rig, Stage};
use crate::save_target::SaveTarget;

/// Arguments of `shrink`.
#[derive(clap::Args, Debug)]
pub struct ShrinkArgs {
    #[command(flatten)]
    case: CaseArgs,
    /// The failing seed (default for a regression file: its own).
    #[arg(long)]
    seed: Option<u64>,
    /// Keep the shrunk case as a regression file: a bare NAME writes
    /// ./regressions/NAME.json under the current directory; an argument
    /// with a '/' or ending in .json is the file's path.
    #[arg(long, value_name = "NAME|PATH")]
    save: Option<String>,
    /// Replace an existing regression file.
    #[arg(long, requires = "save")]
    force: bool,
}

/// Shrinks. Exit 0 with a shrunk case; a seed that kept the promise (or
/// bad input) exits 2.
pub(crate) fn shrink<R: Rig>(program: &Program, args: &ShrinkArgs) -> Result<u8, String> {
    let save = match &args.save {
        Some(arg) => Some(SaveTarget::check(arg, args.force, regression::RULES)?),
        None => None,
    };
    let loaded = args.case.load::<R>(program, args.seed, None, Stage::Run)?;
    let run = loaded.run();
    if run.outcome.kept_promise() {
        return Err(format!(
            "seed {} of {} kept the promise under design {}: nothing to shrink",
            loaded.seed, args.case.scenario, loaded.case.design_name
        ));
    }
    let saved = save.as_ref().map(|t| (t, &loaded.spec));
    shrunk(program, &loaded.case, loaded.seed, run, saved)?;
    Ok(0)
}
