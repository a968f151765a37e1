//! `lastcopy merge FILE...`: the results files of a sharded sweep (written by
//! `run --shard K/N --results FILE`) combined into the output and exit code
//! of one unsharded run of the same range.
//!
//! The files say which run they came from (scenario as given, `--design`,
//! `--set`, `--plan`, seed range, shards), so merge takes no case arguments:
//! it rebuilds the case from them, as `run` would, to print the same replay
//! commands. A scenario or plan given as a path must be readable where merge
//! runs. Files from different runs, a missing shard or a seed twice are bad
//! input (exit 2), never a smaller summary.

use super::case::CaseArgs;
use lastcopy::shard;
use std::process::ExitCode;

/// Arguments of `lastcopy merge`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Results files, one per shard (`run --shard K/N --results FILE`), in any order.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
}

/// Merges the files and prints what one unsharded run prints. Exit 0 if
/// every seed kept the promise, 1 if any broke it.
pub fn execute(args: Args) -> Result<ExitCode, String> {
    let mut files = Vec::new();
    for path in &args.files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        files.push((path.clone(), shard::parse(path, &text)?));
    }
    let merged = shard::merge(&files)?;
    let first = &merged.outcomes[0];
    let run = &merged.run;
    let case = CaseArgs {
        design: run.design_arg.clone(),
        set: first.overrides.clone(),
        plan: run.plan.clone(),
    }
    .load(&run.spec)?;
    if case.scenario.name != first.scenario || case.design.name() != first.design {
        return Err(format!(
            "the results are of scenario {} under design {}, but {} now loads as {} under {}: \
             merge with the binary and files that ran them",
            first.scenario,
            first.design,
            run.spec,
            case.scenario.name,
            case.design.name()
        ));
    }
    Ok(super::run::report(&case, &merged.outcomes))
}
