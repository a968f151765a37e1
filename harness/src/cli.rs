//! The command line a system's own binary reuses: its `main` is one call,
//!
//! ```no_run
//! # #[derive(Clone, Debug, serde::Deserialize)] struct MySystem;
//! # impl lastcopy_harness::system::System for MySystem {
//! #   type Node = N; type Design = ();
//! #   fn designs() -> Vec<(&'static str, ())> { vec![("d", ())] }
//! #   fn nodes(&self, _: &()) -> Vec<lastcopy_harness::system::NodeSpec<N>> { vec![] }
//! #   fn workload(&self, _: &lastcopy_harness::sim::rng::Seeds, _: std::time::Duration)
//! #     -> Vec<lastcopy_harness::system::UserAction<()>> { vec![] }
//! #   fn places(&self) -> Vec<(lastcopy_harness::sim::place::Place, lastcopy_harness::sim::host::Addr)> { vec![] }
//! #   fn served(_: &N, _: lastcopy_harness::sim::place::Place) -> Option<lastcopy_harness::sim::place::View> { None }
//! # }
//! # struct N;
//! # impl lastcopy_harness::sim::host::Machine for N { type Msg = (); type Input = ();
//! #   fn boot(&mut self, _: lastcopy_harness::sim::host::Boot, _: &mut lastcopy_harness::sim::host::Io<'_, ()>) {}
//! #   fn on_message(&mut self, _: lastcopy_harness::sim::host::Addr, _: (), _: &mut lastcopy_harness::sim::host::Io<'_, ()>) {}
//! #   fn on_timer(&mut self, _: u64, _: &mut lastcopy_harness::sim::host::Io<'_, ()>) {}
//! #   fn on_input(&mut self, _: (), _: &mut lastcopy_harness::sim::host::Io<'_, ()>) {} }
//! use lastcopy_harness::cli::{self, Program};
//!
//! fn main() -> std::process::ExitCode {
//!     let program = Program {
//!         package: env!("CARGO_PKG_NAME"),
//!         manifest_dir: env!("CARGO_MANIFEST_DIR"),
//!         catalogue: &[("my-scenario", "name = \"my-scenario\"\n...")],
//!     };
//!     cli::main::<MySystem>(&program)
//! }
//! ```
//!
//! and gets `run` (sweeps, `--fail-fast`, `--explain`, `--shrink` and
//! `--save`, `--plan` replays, `--check-determinism`, `--coverage`,
//! `--swarm`), `report` ([`crate::report`]) and `list`. Exit codes: 0
//! every seed kept the promise (for `report`: the report was written), 1
//! some seed broke it, 2 bad input (nothing run, nothing written), 3 some
//! seed's two runs differed under `--check-determinism`.

use crate::case::{Case, SeedRun};
use crate::coverage::Coverage;
use crate::determinism;
use crate::explain::explain;
use crate::faults::Fault;
use crate::scenario::Source;
use crate::shell::{invocation_of, replay_command, shell_word};
use crate::shrink::shrink;
use crate::swarm::Swarm;
use crate::system::System;
use clap::{Parser, Subcommand};
use sim::plan::Plan;
use std::process::ExitCode;

/// What a system's binary tells the command line about itself.
pub struct Program {
    /// The package the binary is built from (`env!("CARGO_PKG_NAME")`),
    /// for replay commands.
    pub package: &'static str,
    /// Its manifest directory (`env!("CARGO_MANIFEST_DIR")`), to know
    /// whether a replay can say `cargo run`.
    pub manifest_dir: &'static str,
    /// Its built-in scenarios: name and TOML text (`include_str!`). A
    /// scenario may also be given as a path to a `.toml` file.
    pub catalogue: &'static [(&'static str, &'static str)],
}

#[derive(Parser)]
#[command(about = "Runs a system under lastcopy's harness")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs seeds of a scenario and judges each against the promise.
    Run(RunArgs),
    /// Lists the built-in scenarios and the designs.
    List,
    /// Runs scenarios × designs over seeds and writes a report directory.
    Report(crate::report::command::Args),
}

#[derive(clap::Args)]
struct RunArgs {
    /// A built-in scenario's name, or a path to a scenario file.
    scenario: String,
    /// The design (default: the system's first).
    #[arg(long)]
    design: Option<String>,
    /// One seed.
    #[arg(long, conflicts_with = "seeds")]
    seed: Option<u64>,
    /// Seeds `A..B` (B excluded); default `0..20`.
    #[arg(long)]
    seeds: Option<String>,
    /// `KEY=VALUE` overrides of the scenario (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Stop at the first seed that breaks the promise.
    #[arg(long)]
    fail_fast: bool,
    /// With --seed: tell the story of every record the seed lost.
    #[arg(long, requires = "seed")]
    explain: bool,
    /// With --seed: shrink the failing seed's plan to the faults that matter.
    #[arg(long, requires = "seed")]
    shrink: bool,
    /// With --shrink: write the shrunk plan (JSON) here.
    #[arg(long, requires = "shrink")]
    save: Option<String>,
    /// With --seed: run this plan (from --save) instead of the seed's own.
    #[arg(long, requires = "seed")]
    plan: Option<String>,
    /// Run every seed twice (the second time after another seed, on
    /// another thread) and compare the traces event by event.
    #[arg(long)]
    check_determinism: bool,
    /// After the summary: per fault kind, how often it fired, was
    /// effective and struck a record's last copies (a near miss).
    #[arg(long, conflicts_with = "check_determinism")]
    coverage: bool,
    /// Each seed draws its own fault mix and rates, and the system's
    /// swarmable keys, from the scenario's; a failing seed prints what it
    /// drew and a replay that sets exactly that.
    #[arg(long, conflicts_with_all = ["plan", "check_determinism"])]
    swarm: bool,
}

/// Runs the command line for system `S`; returns the exit code.
pub fn main<S: System>(program: &Program) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::List => {
            for (name, _) in program.catalogue {
                println!("{name}");
            }
            let designs: Vec<&str> = S::designs().iter().map(|(n, _)| *n).collect();
            println!("designs: {}", designs.join(", "));
            ExitCode::SUCCESS
        }
        Command::Run(args) => match run::<S>(program, &args) {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Report(args) => match crate::report::command::execute::<S>(program, &args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}

impl Program {
    /// The scenario `spec` names: a built-in one, or a file (see
    /// [`Source::find`]).
    pub fn scenario(&self, spec: &str) -> Result<Source, String> {
        Source::find(spec, self.catalogue).map_err(|e| e.to_string())
    }
}

/// Loads everything the run needs, refusing bad input before any work.
fn run<S: System>(program: &Program, args: &RunArgs) -> Result<u8, String> {
    let source = program.scenario(&args.scenario)?;
    let default = S::designs()
        .first()
        .map(|(n, _)| n.to_string())
        .unwrap_or_default();
    let design = args.design.clone().unwrap_or(default);
    let case = Case::<S>::load(&source, &args.overrides, &design).map_err(|e| e.to_string())?;
    let plan = match &args.plan {
        Some(path) => Some(read_plan(path)?),
        None => None,
    };
    let seeds = match (args.seed, &args.seeds) {
        (Some(s), _) => s..s.saturating_add(1),
        (None, Some(r)) => parse_range(r)?,
        (None, None) => 0..20,
    };
    let replay_drawn = |seed: u64, drawn: &[String]| {
        let mut cmd = replay_command(
            &invocation_of(program.package, program.manifest_dir, false),
            &args.scenario,
            &case.design_name,
            seed,
            args.overrides.iter().chain(drawn),
        );
        if let Some(p) = &args.plan {
            cmd.push_str(&format!(" --plan {}", shell_word(p)));
        }
        cmd
    };
    let replay = |seed: u64| replay_drawn(seed, &[]);
    if args.check_determinism {
        return Ok(check_determinism(&case, seeds, &replay));
    }
    let swarm = if args.swarm {
        Some(Swarm::new(&case, &source)?)
    } else {
        None
    };
    let mut coverage = Coverage::new(S::own_faults());
    let (mut failed, mut ran) = (0u64, 0u64);
    for seed in seeds {
        let swarmed = swarm.as_ref().map(|s| s.case(seed)).transpose();
        let swarmed = swarmed.map_err(|e| format!("seed {seed}'s swarm draw: {e}"))?;
        let case = swarmed.as_ref().unwrap_or(&case);
        let run = match &plan {
            Some(p) => case.run_plan(seed, p.clone()),
            None => case.run_seed(seed),
        };
        ran += 1;
        coverage.add(&run.outcome);
        if run.outcome.kept_promise() {
            continue;
        }
        failed += 1;
        let summary = crate::checker::verdict_summary(&run.outcome);
        println!(
            "seed {seed}: {summary}\n  replay: {}",
            replay_drawn(seed, &case.drawn)
        );
        if !case.drawn.is_empty() {
            println!("  drew: {}", case.drawn.join(" "));
        }
        if args.explain {
            print!("{}", explain(&run));
        }
        if args.shrink {
            shrunk(case, seed, run, args.save.as_deref())?;
        }
        if args.fail_fast {
            break;
        }
    }
    println!("seeds: {ran}, failed: {failed}");
    if args.coverage {
        println!("{coverage}");
    }
    Ok(u8::from(failed > 0))
}

/// Shrinks a failing seed and prints (and with `save`, writes) its plan.
fn shrunk<S: System>(
    case: &Case<S>,
    seed: u64,
    run: SeedRun,
    save: Option<&str>,
) -> Result<(), String> {
    let before = run.plan.faults.len();
    let small = shrink(case, seed, run);
    println!(
        "shrunk: {before} faults -> {}: {}",
        small.plan.faults.len(),
        crate::checker::verdict_summary(&small.outcome)
    );
    for f in &small.plan.faults {
        println!("  fault {} at {}: {} on {}", f.id, f.at, f.kind, f.target);
    }
    print!("{}", explain(&small));
    if let Some(path) = save {
        let json = serde_json::to_string_pretty(&small.plan).expect("plans serialize");
        let tmp = format!("{path}.tmp");
        std::fs::write(&tmp, json + "\n")
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| format!("{path}: {e}"))?;
        println!(
            "saved: {path} (replay with --seed {seed} --plan {})",
            shell_word(path)
        );
    }
    Ok(())
}

fn read_plan(path: &str) -> Result<Plan<Fault>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}:{}: {e}", e.line()))
}

/// `A..B` with A < B.
pub(crate) fn parse_range(s: &str) -> Result<std::ops::Range<u64>, String> {
    let bad = || format!("--seeds {s:?}: expected A..B with A < B");
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let (a, b): (u64, u64) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if a >= b {
        return Err(bad());
    }
    Ok(a..b)
}

/// Runs every seed twice and reports the first whose traces differ: exit
/// 3 if any did, else what the first runs say (0 or 1).
fn check_determinism<S: System>(
    case: &Case<S>,
    seeds: std::ops::Range<u64>,
    replay: &dyn Fn(u64) -> String,
) -> u8 {
    let run = |seed: u64| {
        let r = case.run_seed(seed);
        (r.outcome.kept_promise(), r.output.trace)
    };
    let (mut differed, mut failed) = (false, false);
    let count = seeds.end - seeds.start;
    for seed in seeds {
        for checked in determinism::check_pair(&run, seed, seed.wrapping_add(1), false) {
            failed |= !checked.result;
            if let Some(d) = checked.difference {
                differed = true;
                println!(
                    "seed {}: two runs differ\n{d}\n  replay: {}",
                    checked.seed,
                    replay(checked.seed)
                );
            }
        }
    }
    println!(
        "seeds: {count} run twice, differed: {}",
        if differed { "yes" } else { "none" }
    );
    if differed {
        3
    } else {
        u8::from(failed)
    }
}
