//! `lastcopy merge FILE...`: the results files of a sharded sweep combined
//! into what one unsharded sweep gives. A run's shards (`run --shard K/N
//! --results FILE`) are the harness's merge ([`harness::cli::execute`]):
//! the output and exit code of one unsharded run. A report's shards
//! (`report --shard K/N --results FILE`) merge with `--out DIR` into the
//! report one unsharded `report` writes: merge reruns each broken cell's
//! representative seed, deterministically, so it must be the build that
//! ran the shards. Files that mix a run's results with a report's are bad
//! input (exit 2).

use harness::cli;
use lastcopy::build_identity::BuildIdentity;
use lastcopy::report::{self, sharded};
use lastcopy::rig::{Sidekick, PROGRAM};
use lastcopy::shard::{ResultsFile, ResultsKind};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `lastcopy merge`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The files, and for a run's shards the coverage.
    #[command(flatten)]
    pub run: cli::MergeArgs,
    /// For the shards of a report: the report directory to write.
    #[arg(long, value_name = "DIR", conflicts_with = "coverage")]
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
}

/// Merges the files: a run's shards print what one unsharded run prints
/// (exit 0 if every seed kept the promise, 1 if any broke it); a report's
/// write the report (exit 0).
pub fn execute(args: Args) -> Result<ExitCode, String> {
    let jobs = lastcopy::runner::jobs(args.jobs)?;
    let files = &args.run.files;
    match ResultsKind::of_files(files)? {
        ResultsKind::Report => merge_report(&args, jobs),
        ResultsKind::Run if args.out.is_some() => Err(format!(
            "--out: {} hold a run's results, not a report's; --out is for the shards of `report --shard`",
            files.join(", ")
        )),
        ResultsKind::Run => Ok(cli::execute::<Sidekick>(&PROGRAM, cli::Command::Merge(args.run))),
    }
}

/// Merges the shards of a report and writes the report.
fn merge_report(args: &Args, jobs: usize) -> Result<ExitCode, String> {
    let names = &args.run.files;
    let Some(out) = &args.out else {
        return Err(format!(
            "{} hold a report's shards (`report --shard`): give --out DIR for the report to write",
            names.join(", ")
        ));
    };
    let mut parsed = Vec::new();
    for name in names {
        parsed.push((name.clone(), sharded::parse(&ResultsFile::read(name)?)?));
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
    let inputs = names.iter().chain(&config.specs);
    let target = report::check_out(out, args.force, inputs).map_err(|e| e.to_string())?;
    let bar = harness::sweep::progress::bar(0);
    let on = |p: report::Progress<'_>| super::report::show(&bar, p);
    report::represent_broken(&mut cells, &config, &on);
    bar.finish_and_clear();
    super::report::write(&cells, &config, &target, !args.no_provenance)
}
