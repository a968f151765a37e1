//! `lastcopy merge FILE...`: the results files of a sharded sweep (written by
//! `run --shard K/N --results FILE`) combined into the output and exit code
//! of one unsharded run of the same range.
//!
//! The files say which run and which build they came from (scenario as
//! given, `--design`, `--set`, `--plan`, seed range, shards; version and
//! commit), so merge takes no case arguments: it rebuilds the case from
//! them, as `run` would, to print the same replay commands. A scenario or
//! plan given as a path must be readable where merge runs. Files from
//! different runs or builds, a run's results mixed with a report's, a
//! missing shard, a seed twice, an unknown key or a range of more than a
//! million seeds are bad input (exit 2), never a smaller summary.
//!
//! The shards of a report (`report --shard K/N --results FILE`) merge with
//! `--out DIR` into the report one unsharded `report` writes: merge reruns
//! each broken cell's representative seed, deterministically, so it must be
//! the build that ran the shards.

use super::case::CaseArgs;
use lastcopy::build_identity::BuildIdentity;
use lastcopy::report::{self, sharded};
use lastcopy::shard::{self, ResultLine, ResultsFile, ResultsKind};
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
    let jobs = lastcopy::runner::jobs(args.jobs)?;
    let mut files = Vec::new();
    for path in &args.files {
        files.push(ResultsFile::read(path)?);
    }
    match kind(&files)? {
        ResultsKind::Report => merge_report(&args, &files, jobs),
        ResultsKind::Run => merge_run(&args, &files),
    }
}

/// What every file holds; an error if the files mix a run's results with a
/// report's, or hold no line at all.
fn kind(files: &[ResultsFile]) -> Result<ResultsKind, String> {
    let mut first: Option<(&str, ResultsKind)> = None;
    for f in files {
        let Some(kind) = f.kind else { continue };
        match first {
            None => first = Some((&f.name, kind)),
            Some((name, k)) if k != kind => {
                return Err(format!(
                    "{name} holds {k}, but {} holds {kind}: merge the shards of one sweep",
                    f.name
                ))
            }
            Some(_) => {}
        }
    }
    first
        .map(|(_, k)| k)
        .ok_or_else(|| "no results: the files hold no seed".into())
}

/// Merges a run's shards and prints the run's output.
fn merge_run(args: &Args, files: &[ResultsFile]) -> Result<ExitCode, String> {
    if args.out.is_some() {
        return Err(format!(
            "--out: {} hold a run's results, not a report's; --out is for the shards of `report --shard`",
            args.files.join(", ")
        ));
    }
    let mut parsed = Vec::new();
    for f in files {
        parsed.push((f.name.clone(), f.parse::<ResultLine>("results line")?));
    }
    let merged = shard::merge(&parsed)?;
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
    let here = BuildIdentity::current();
    if merged.build != here {
        eprintln!(
            "note: the shards were run by {}, this is {}: the replay commands run this build",
            merged.build, here
        );
    }
    let mut sweep = super::run::Printer::new(&case, args.coverage);
    for o in &merged.outcomes {
        sweep.add(o);
    }
    Ok(sweep.finish(None))
}

/// Merges the shards of a report and writes the report.
fn merge_report(args: &Args, files: &[ResultsFile], jobs: usize) -> Result<ExitCode, String> {
    let Some(out) = &args.out else {
        return Err(format!(
            "{} hold a report's shards (`report --shard`): give --out DIR for the report to write",
            args.files.join(", ")
        ));
    };
    let mut parsed = Vec::new();
    for f in files {
        parsed.push((f.name.clone(), sharded::parse(f)?));
    }
    let here = BuildIdentity::current();
    if let Some((name, l)) = parsed
        .iter()
        .find_map(|(n, lines)| lines.first().map(|l| (n, l)))
        .filter(|(_, l)| l.build != here)
    {
        return Err(format!(
            "{name} was written by {}, but this is {here}: a report's merge reruns seeds, \
             so merge with the build that ran the shards",
            l.build
        ));
    }
    let (config, mut cells) = sharded::merge(&parsed, jobs, out)?;
    let inputs = args.files.iter().chain(&config.specs);
    let target = report::check_out(out, args.force, inputs).map_err(|e| e.to_string())?;
    let bar = harness::progress::bar(0);
    let on = |p: report::Progress<'_>| super::report::show(&bar, p);
    report::represent_broken(&mut cells, &config, &on);
    bar.finish_and_clear();
    super::report::write(&cells, &config, &target, !args.no_provenance)
}
