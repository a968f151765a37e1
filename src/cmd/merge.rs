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
//!
//! The shards of a report (`report --shard K/N --results FILE`) merge with
//! `--out DIR` into the report one unsharded `report` writes: merge reruns
//! each broken cell's representative seed, deterministically.

use super::case::CaseArgs;
use lastcopy::report::{self, sharded};
use lastcopy::shard;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `lastcopy merge`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Results files, one per shard (`run --shard K/N --results FILE`), in any order.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// For the shards of a report: the report directory to write.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace DIR if it exists (only a previous report, or an empty directory).
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Leave out the report's provenance line (date, version, commit).
    #[arg(long, requires = "out")]
    pub no_provenance: bool,
    /// Representative seeds rerun in parallel (default: available cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// For a run's shards: print the fault-class coverage after the summary,
    /// as `run --coverage` does.
    #[arg(long, conflicts_with = "out")]
    pub coverage: bool,
}

/// Merges the files and prints what one unsharded run prints. Exit 0 if
/// every seed kept the promise, 1 if any broke it.
pub fn execute(args: Args) -> Result<ExitCode, String> {
    let mut texts = Vec::new();
    for path in &args.files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        texts.push((path.clone(), text));
    }
    if texts.iter().any(|(_, t)| sharded::is_report_results(t)) {
        return merge_report(&args, &texts);
    }
    if args.out.is_some() {
        return Err(format!(
            "--out: {} hold a run's results, not a report's; --out is for the shards of `report --shard`",
            args.files.join(", ")
        ));
    }
    let mut files = Vec::new();
    for (path, text) in &texts {
        files.push((path.clone(), shard::parse(path, text)?));
    }
    let merged = shard::merge(&files)?;
    let first = &merged.outcomes[0];
    let run = &merged.run;
    let case = CaseArgs {
        design: run.design_arg.clone(),
        set: first.overrides.clone(),
        plan: run.plan.clone(),
        // The shards checked the budget; merging runs no seed of a run.
        max_work: Some(lastcopy::budget::Budget::CEILING),
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
    Ok(super::run::report(&case, &merged.outcomes, args.coverage))
}

/// Merges the shards of a report and writes the report.
fn merge_report(args: &Args, texts: &[(String, String)]) -> Result<ExitCode, String> {
    let Some(out) = &args.out else {
        return Err(format!(
            "{} hold a report's shards: give --out DIR for the report to write",
            args.files.join(", ")
        ));
    };
    let jobs = match args.jobs {
        Some(0) => return Err("--jobs must be at least 1".into()),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let mut files = Vec::new();
    for (path, text) in texts {
        files.push((path.clone(), sharded::parse(path, text)?));
    }
    let (config, mut cells) = sharded::merge(&files, jobs, out)?;
    report::check_out(out, args.force).map_err(|e| e.to_string())?;
    let bar = super::report::progress_bar(0);
    let on = |p: report::Progress<'_>| super::report::show(&bar, p);
    report::represent_broken(&mut cells, &config, &on);
    bar.finish_and_clear();
    super::report::write(&cells, &config, out, args.force, !args.no_provenance)
}
