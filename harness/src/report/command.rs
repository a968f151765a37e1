//! `report SCENARIO... --designs A,B --seeds A..B --out DIR`: everything
//! is checked before a seed runs (scenarios, designs, seeds, and that DIR
//! may be written: replaced only with `--force`, and only if lastcopy
//! wrote it); the directory is written atomically. Exit 0 once written,
//! whatever the designs did (that is what the report says); bad input is
//! an error (exit 2) with the directory as it was.

use super::{provenance, Config};
use crate::case::Case;
use crate::cli::output;
use crate::cli::shell::{invocation_of, shell_word};
use crate::cli::Program;
use crate::rig::Rig;
use crate::sweep;
use crate::sweep::seed_range::SeedRange;
use crate::system::System;
use std::path::PathBuf;

/// What a report compares: scenarios × designs over seeds, with overrides.
/// Every system's `report` takes these; where it writes, and how, is its
/// own ([`Args`]).
#[derive(clap::Args, Debug)]
pub struct Matrix {
    /// Built-in scenario names or paths to scenario files.
    #[arg(required = true, value_name = "SCENARIO")]
    pub scenarios: Vec<String>,
    /// Designs to compare, comma separated (default: every design).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub designs: Vec<String>,
    /// Seeds A..B (B excluded) or A..=B (B included) of every scenario and
    /// design; at most a million.
    #[arg(long, value_name = "A..B", default_value = "0..20")]
    pub seeds: String,
    /// Replace DIR if it exists (only a report lastcopy wrote, or an
    /// empty directory).
    #[arg(long)]
    pub force: bool,
    /// Leave out the provenance line (when, and by which build), so the
    /// same arguments give byte-identical files.
    #[arg(long)]
    pub no_provenance: bool,
    /// `KEY=VALUE` overrides of every scenario (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Seeds run in parallel (default: available cores). The report is
    /// the same for any value.
    #[arg(long)]
    pub jobs: Option<usize>,
}

/// Arguments of `report`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to compare.
    #[command(flatten)]
    pub matrix: Matrix,
    /// The report directory to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Runs `report` for system `S`; an error is bad input, and nothing was
/// written.
pub fn execute<R: Rig>(program: &Program, args: &Args) -> Result<(), String> {
    let range = SeedRange::parse("--seeds", &args.matrix.seeds)?;
    let jobs = sweep::jobs(args.matrix.jobs)?;
    if range.seed_count() > u128::from(super::MAX_SEEDS) {
        return Err(format!(
            "--seeds {}: a report holds at most {} seeds per cell",
            args.matrix.seeds,
            super::MAX_SEEDS
        ));
    }
    // A report's cells hold ranges; the one seed a range cannot end after
    // is refused rather than dropped.
    let end = range.last().checked_add(1).ok_or_else(|| {
        format!(
            "--seeds {}: a report's last seed must be below {}",
            args.matrix.seeds,
            u64::MAX
        )
    })?;
    let seeds = range.first()..end;
    let designs: Vec<String> = if args.matrix.designs.is_empty() {
        R::System::designs()
            .iter()
            .map(|(n, _)| n.to_string())
            .collect()
    } else {
        args.matrix.designs.clone()
    };
    let cases = load::<R>(program, args, &designs)?;
    let target = output::check_dir(&args.out, args.matrix.force, &args.matrix.scenarios)
        .map_err(|e| format!("--out {e}"))?;
    let invocation = invocation_of(program.package, program.manifest_dir, false);
    let config = Config {
        scenarios: args.matrix.scenarios.clone(),
        designs,
        seeds: seeds.clone(),
        overrides: args.matrix.set.clone(),
        command: command(&invocation, args),
        invocation,
        provenance: (!args.matrix.no_provenance).then(|| {
            let name = format!("{} (lastcopy-harness)", program.package);
            provenance::line(
                provenance::now_unix_secs(),
                &name,
                env!("CARGO_PKG_VERSION"),
            )
        }),
    };
    let cells = super::run(cases, seeds, jobs);
    let files = super::render(&cells, &config);
    target.write(&files).map_err(|e| format!("--out {e}"))?;
    println!(
        "wrote {} ({} and {})",
        args.out.display(),
        super::README_MD,
        super::RESULTS_JSON
    );
    Ok(())
}

/// One case per scenario and design, scenario-major; refuses a scenario
/// named twice and an unknown design or scenario.
fn load<R: Rig>(
    program: &Program,
    args: &Args,
    designs: &[String],
) -> Result<Vec<(String, Case<R>)>, String> {
    for (i, d) in designs.iter().enumerate() {
        if designs[..i].contains(d) {
            return Err(format!("--designs: {d:?} is named twice"));
        }
    }
    let mut out = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for spec in &args.matrix.scenarios {
        let source = program.scenario(spec)?;
        for d in designs {
            let case = Case::<R>::load(&source, &args.matrix.set, d).map_err(|e| e.to_string())?;
            if d == &designs[0] {
                if names.iter().any(|n| n == case.name()) {
                    return Err(format!(
                        "{spec}: a scenario named {:?} is already in the report",
                        case.name()
                    ));
                }
                names.push(case.name().to_string());
            }
            out.push((spec.clone(), case));
        }
    }
    Ok(out)
}

/// The command that regenerates the report.
fn command(invocation: &str, args: &Args) -> String {
    let mut c = format!("{invocation} report");
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
    c.push_str(&format!(
        " --out {} --force",
        shell_word(&args.out.display().to_string())
    ));
    if args.matrix.no_provenance {
        c.push_str(" --no-provenance");
    }
    c
}
