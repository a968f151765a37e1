//! `lastcopy report`: scenarios × designs over a range of seeds, written as
//! a report directory (`report.md`, SVG charts, `results.json`) for design
//! reviews. Everything is checked before a seed runs; the directory is
//! written atomically and replaced only with `--force`. Exit 0 when the
//! report is written (whether or not designs broke the promise: that is
//! what the report says), 2 on bad input, with the directory as it was.
//!
//! With `--shard K/N --results FILE` it runs only its share of every cell's
//! seeds and writes their stats to FILE; `lastcopy merge` turns the shards'
//! files into the report one unsharded run writes.

use harness::report::command::Matrix;
use harness::report::provenance;
use indicatif::ProgressBar;
use lastcopy::build_identity;
use lastcopy::output::{self, DirTarget};
use lastcopy::report::sharded::{self, ReportRun};
use lastcopy::report::{self, Cell, Config, Progress};
use lastcopy::seed_range::SeedRange;
use lastcopy::shard::{Shard, INDEX_ENV};
use lastcopy::shell::shell_word;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `lastcopy report`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to compare.
    #[command(flatten)]
    pub matrix: Matrix,
    /// The report directory to write.
    #[arg(long, value_name = "DIR", required_unless_present = "shard")]
    pub out: Option<PathBuf>,
    /// Run only shard K of N of every cell's seeds (`auto/N` takes K from
    /// JOB_COMPLETION_INDEX) and write their stats to `--results` instead
    /// of a report; `lastcopy merge` makes the report from every shard.
    #[arg(long, value_name = "K/N", requires = "results", conflicts_with = "out")]
    pub shard: Option<String>,
    /// With `--shard`: the file to write this shard's stats to.
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub results: Option<String>,
    /// The most simulation runs to spend shrinking each broken cell's seed.
    #[arg(long, default_value_t = 500)]
    pub shrink_runs: usize,
    /// The most work units one seed of a cell may do (default 25,000,000,
    /// about a minute; at most 1,000,000,000), as for `run`.
    #[arg(long, value_name = "UNITS")]
    pub max_work: Option<u64>,
}

/// Runs the matrix and writes the report.
pub fn execute(args: Args) -> Result<ExitCode, String> {
    let seeds = SeedRange::parse("--seeds", &args.matrix.seeds)?;
    let jobs = lastcopy::runner::jobs(args.matrix.jobs)?;
    let designs = if args.matrix.designs.is_empty() {
        models::design::Design::PRESETS.map(String::from).to_vec()
    } else {
        args.matrix.designs.clone()
    };
    let base = command(&args);
    let mut config = Config {
        specs: args.matrix.scenarios.clone(),
        designs,
        seeds,
        overrides: args.matrix.set.clone(),
        jobs,
        shrink_runs: args.shrink_runs,
        command: base.clone(),
    };
    let cases = report::cases(&config).map_err(|e| e.to_string())?;
    let budget = lastcopy::budget::Budget::from_flag(args.max_work)?;
    for (design, case) in &cases {
        budget
            .check_case(case)
            .map_err(|e| format!("{} under {design}: {e}", case.spec))?;
    }
    let Some(out) = &args.out else {
        return run_shard(&args, cases, &config, &base);
    };
    config.command = report::regenerate_command(&base, out);
    let target = report::check_out(out, args.matrix.force, &args.matrix.scenarios)
        .map_err(|e| e.to_string())?;

    let total = u64::try_from(config.seeds.seed_count())
        .unwrap_or(u64::MAX)
        .saturating_mul(cases.len() as u64);
    let bar = harness::sweep::progress::bar(total);
    let on = |p: Progress<'_>| show(&bar, p);
    let cells = report::run(cases, &config, &on);
    bar.finish_and_clear();
    write(&cells, &config, &target, !args.matrix.no_provenance)
}

/// Runs one shard of every cell's seeds and writes their stats.
fn run_shard(
    args: &Args,
    cases: Vec<(String, lastcopy::runner::Case)>,
    config: &Config,
    base: &str,
) -> Result<ExitCode, String> {
    let spec = args.shard.as_deref().expect("clap: no --out means --shard");
    let path = args
        .results
        .as_deref()
        .expect("clap: --shard requires --results");
    let shard = Shard::parse(spec, std::env::var(INDEX_ENV).ok().as_deref())?;
    let target = output::check_target(std::path::Path::new(path), &args.matrix.scenarios)
        .map_err(|e| format!("--results {e}"))?;
    let seeds: Vec<u64> = shard.seeds(config.seeds).collect();
    let bar =
        harness::sweep::progress::bar((cases.len() as u64).saturating_mul(seeds.len() as u64));
    let on = |p: Progress<'_>| show(&bar, p);
    let cells = report::sweep(cases, &seeds, config.jobs, &on);
    bar.finish_and_clear();
    let text = sharded::render(&cells, &ReportRun::new(config, base, shard));
    target
        .write(text.as_bytes())
        .map_err(|e| format!("--results {e}"))?;
    println!(
        "wrote {path} (shard {shard}: {} seeds of {} cells); merge every shard with `lastcopy merge FILE... --out DIR`",
        seeds.len(),
        cells.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Shows a sweep's progress on `bar`.
pub fn show(bar: &ProgressBar, p: Progress<'_>) {
    match p {
        Progress::Seed => bar.inc(1),
        Progress::Representative {
            scenario,
            design,
            seed,
        } => bar.set_message(format!(
            "explaining and shrinking {scenario} / {design} seed {seed}"
        )),
    }
}

/// Renders `cells` and writes the report directory `target`.
pub fn write(
    cells: &[Cell],
    config: &Config,
    target: &DirTarget,
    with_provenance: bool,
) -> Result<ExitCode, String> {
    let provenance = with_provenance.then(provenance);
    let files = report::render(cells, config, provenance.as_deref());
    report::write_dir(target, &files).map_err(|e| e.to_string())?;
    println!(
        "wrote {} ({} files: report.md, results.json, {} charts)",
        target.path().display(),
        files.len(),
        files.keys().filter(|k| k.ends_with(".svg")).count()
    );
    Ok(ExitCode::SUCCESS)
}

/// The command that regenerates the report, as the report shows it, less
/// its `--out DIR --force` (which the caller adds).
fn command(args: &Args) -> String {
    let mut c = String::from("cargo run --release -- report");
    for s in &args.matrix.scenarios {
        c.push_str(&format!(" {}", shell_word(s)));
    }
    if !args.matrix.designs.is_empty() {
        c.push_str(&format!(
            " --designs {}",
            shell_word(&args.matrix.designs.join(","))
        ));
    }
    c.push_str(&format!(" --seeds {}", shell_word(&args.matrix.seeds)));
    for o in &args.matrix.set {
        c.push_str(&format!(" --set {}", shell_word(o)));
    }
    if args.shrink_runs != 500 {
        c.push_str(&format!(" --shrink-runs {}", args.shrink_runs));
    }
    if let Some(units) = args.max_work {
        c.push_str(&format!(" --max-work {units}"));
    }
    c
}

/// The provenance line: when, and by which build (version and commit, both
/// fixed when the binary was built; no `git` runs now).
fn provenance() -> String {
    let build = format!(
        "{} at commit {}",
        build_identity::VERSION,
        build_identity::COMMIT
    );
    provenance::line(provenance::now_unix_secs(), "lastcopy", &build)
}
