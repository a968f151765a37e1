//! `lastcopy run`: a scenario over a range of seeds; one line per seed that
//! broke the promise, with the command that replays it; then the summary.

use super::case::CaseArgs;
use lastcopy::checker::VERDICT_KINDS;
use lastcopy::runner::Summary;
use std::ops::Range;
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
    let outcomes = case.sweep(range, jobs);
    for o in outcomes.iter().filter(|o| !o.kept_promise()) {
        let kinds: Vec<String> = VERDICT_KINDS
            .iter()
            .map(|k| (k, o.verdict_count(k)))
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!(
            "seed {}: broke the promise ({}); replay: {}",
            o.seed,
            kinds.join(", "),
            case.replay_command(o.seed)
        );
    }
    let summary = Summary::of(&outcomes);
    println!("{summary}");
    Ok(if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
