//! `lastcopy run`: a scenario over a range of seeds; one line per seed that
//! broke the promise, with the command that replays it; then the summary.
//! With `--shard K/N` it runs only its share of the range; with
//! `--results FILE` it also writes each seed's outcome, for `lastcopy merge`.

use super::case::CaseArgs;
use lastcopy::checker::{liveness_summary, verdict_summary};
use lastcopy::coverage::Coverage;
use lastcopy::runner::{Case, Summary};
use lastcopy::shard::{self, RunInfo, Shard, INDEX_ENV};
use lastcopy::swarm;
use sim::outcome::SeedOutcome;
use std::ops::Range;
use std::path::Path;
use std::process::ExitCode;

/// Arguments of `lastcopy run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Catalogue name or path to a scenario file (default: sidekick-2009).
    pub scenario: Option<String>,
    #[command(flatten)]
    pub case: CaseArgs,
    /// Run only this seed.
    #[arg(long, conflicts_with = "seeds")]
    pub seed: Option<u64>,
    /// Seeds A..B (B excluded). Default: 0..20.
    #[arg(long, value_name = "A..B")]
    pub seeds: Option<String>,
    /// Seeds run in parallel (default: available cores). Output is the same for any value.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only shard K of N: the seeds whose index in the range is K mod N.
    /// `auto/N` takes K from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Also write one JSON line per seed run (its outcome and the run it
    /// belongs to) to FILE, atomically, for `lastcopy merge`.
    #[arg(long, value_name = "FILE")]
    pub results: Option<String>,
    /// After the summary, print per fault class how often it fired, was
    /// effective and struck a record's last copies (a near miss), and the
    /// classes that never fired.
    #[arg(long)]
    pub coverage: bool,
    /// Swarm testing: each seed draws its own fault mix, rates and handset
    /// count from the scenario's (see `lastcopy::swarm`); a failure prints
    /// what its seed drew, and its replay command sets exactly that.
    #[arg(long, conflicts_with = "plan")]
    pub swarm: bool,
    /// With `--swarm`: let storage faults fall outside the fault atlas.
    #[arg(long, requires = "swarm")]
    pub unbounded: bool,
}

/// Runs the sweep. Exit 0 if every seed kept the promise, 1 if any broke it.
pub fn execute(args: Args) -> Result<ExitCode, String> {
    let case = args
        .case
        .load(args.scenario.as_deref().unwrap_or("sidekick-2009"))?;
    let range = match (args.seed, &args.seeds) {
        (Some(s), _) => s..s + 1,
        (None, Some(r)) => parse_range(r)?,
        (None, None) => 0..20,
    };
    let jobs = match args.jobs {
        Some(0) => return Err("--jobs must be at least 1".into()),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let shard = match &args.shard {
        Some(s) => Shard::parse(s, std::env::var(INDEX_ENV).ok().as_deref())?,
        None => Shard::ALL,
    };
    if let Some(path) = &args.results {
        check_writable(Path::new(path)).map_err(|e| format!("--results {path}: {e}"))?;
    }
    let seeds = shard.seeds(range.clone());
    let outcomes = if args.swarm {
        args.case.check_swarm(&case, &seeds, args.unbounded)?;
        swarm::sweep(&case, seeds, jobs, args.unbounded)?
    } else {
        case.sweep(seeds, jobs)
    };
    if let Some(path) = &args.results {
        let text = shard::render(&outcomes, &RunInfo::new(&case, &range, shard));
        shard::write_atomic(Path::new(path), &text)
            .map_err(|e| format!("--results {path}: {e}"))?;
    }
    Ok(report(&case, &outcomes, args.coverage))
}

/// Prints one line per seed of `outcomes` that broke the promise, then the
/// summary (and the fault-class coverage, if asked); returns the exit code:
/// 0 if every seed kept the promise, else 1.
pub fn report(case: &Case, outcomes: &[SeedOutcome], coverage: bool) -> ExitCode {
    for o in outcomes.iter().filter(|o| !o.kept_promise()) {
        let replay = if o.drawn.is_empty() {
            case.replay_command(o.seed)
        } else {
            swarm::case_with(case, &o.drawn).map_or_else(
                |e| format!("(its drawn configuration no longer loads: {e})"),
                |c| c.replay_command(o.seed),
            )
        };
        let drawn = if o.drawn.is_empty() {
            String::new()
        } else {
            format!("; drew {}", o.drawn.join(" "))
        };
        // Not converging is reported apart from loss, with what is apart.
        let safety = o.verdicts.iter().any(|v| v.kind != "liveness");
        let what = if safety {
            format!("broke the promise ({})", verdict_summary(o))
        } else {
            format!(
                "did not converge within the heal bound ({})",
                liveness_summary(o)
            )
        };
        println!("seed {}: {what}{drawn}; replay: {replay}", o.seed);
    }
    let summary = Summary::of(outcomes);
    println!("{summary}");
    if coverage {
        println!("{}", Coverage::of(outcomes));
    }
    if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Fails early (before any seed runs) if `path` cannot be written: its
/// directory is missing, or it is a directory.
fn check_writable(path: &Path) -> Result<(), String> {
    if path.is_dir() {
        return Err("is a directory".into());
    }
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) if !dir.is_dir() => Err(format!("no such directory: {}", dir.display())),
        _ => Ok(()),
    }
}

/// Parses `A..B` (B excluded, A < B).
pub fn parse_range(s: &str) -> Result<Range<u64>, String> {
    let bad = || format!("--seeds {s:?}: expected A..B with A < B, e.g. 0..100");
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let a: u64 = a.trim().parse().map_err(|_| bad())?;
    let b: u64 = b.trim().parse().map_err(|_| bad())?;
    if a >= b {
        return Err(format!(
            "--seeds {s:?}: the range is empty (A..B excludes B)"
        ));
    }
    Ok(a..b)
}
