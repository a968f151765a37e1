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
//! and gets `run` (sweeps on `--jobs` threads, `--shard` and `--results`,
//! `--fail-fast`, `--explain`, `--shrink` and `--save`, `--plan` replays,
//! `--check-determinism`, `--coverage`, `--swarm`, `--swarm --guided`), `report`
//! ([`crate::report`]), `merge` (a sharded run's results files, printed
//! as the unsharded run prints), `replay`, `plan`, `shrink` (with `--save`,
//! a regression file: [`crate::regression`]) and `list`. Exit codes: 0
//! every seed kept the promise, 1 some seed broke it, 2 bad input (nothing
//! run, nothing written), 3 some seed's two runs differed under
//! `--check-determinism`, 130 a `run` interrupted by Ctrl-C (the seeds in
//! flight finish, the summary covers the seeds that ran, `--results` is
//! not written).

use crate::case::{Case, SeedRun};
use crate::coverage::Coverage;
use crate::determinism;
use crate::explain::explain;
use crate::guided::{self, Bias};
use crate::load::CaseSpec;
use crate::save_target::SaveTarget;
use crate::scenario::Source;
use crate::seed_range::SeedRange;
use crate::shell::{invocation_of, shell_word};
use crate::shrink::shrink;
use crate::summary::{failure_line, Summary};
use crate::swarm::{self, Swarm};
use crate::system::System;
use crate::{commands, interrupt, regression, sweep};
use clap::{Parser, Subcommand};
use std::ops::ControlFlow;
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
    /// Combines the results files of a sharded run (`run --shard K/N
    /// --results FILE`) into the output and exit code of the unsharded run.
    Merge(commands::MergeArgs),
    /// Runs one seed and prints its plan, trace and verdicts.
    Replay(commands::ReplayArgs),
    /// Prints a seed's fault plan, as `--plan` reads it.
    Plan(commands::PlanArgs),
    /// Shrinks a failing seed's plan to the faults that matter; with
    /// `--save NAME`, keeps it as a regression file.
    Shrink(commands::ShrinkArgs),
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
    /// Seeds `A..B` (B excluded) or `A..=B` (B included); default `0..20`.
    #[arg(long)]
    seeds: Option<String>,
    /// Seeds run in parallel (default: available cores). Output is the
    /// same for any value.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only shard K of N: the seeds whose index in the range is K mod
    /// N. `auto/N` takes K from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).
    #[arg(long, value_name = "K/N", conflicts_with = "check_determinism")]
    shard: Option<String>,
    /// Also write one JSON line per seed run (its outcome, the build and
    /// the run it belongs to) to FILE, atomically, for `merge`.
    #[arg(long, value_name = "FILE", conflicts_with = "check_determinism")]
    results: Option<String>,
    /// `KEY=VALUE` overrides of the scenario (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Stop at the first seed (in seed order) that breaks the promise.
    #[arg(long, conflicts_with_all = ["results", "shard"])]
    fail_fast: bool,
    /// With --seed: tell the story of every record the seed lost.
    #[arg(long, requires = "seed")]
    explain: bool,
    /// With --seed: shrink the failing seed's plan to the faults that matter.
    #[arg(long, requires = "seed")]
    shrink: bool,
    /// With --shrink: keep the shrunk case as a regression file: a bare
    /// NAME writes ./regressions/NAME.json under the current directory; an
    /// argument with a '/' or ending in .json is the file's path.
    #[arg(long, requires = "shrink", value_name = "NAME|PATH")]
    save: Option<String>,
    /// With --save: replace an existing regression file.
    #[arg(long, requires = "save")]
    force: bool,
    /// With --seed: run this plan (from `plan`, or a regression file's)
    /// instead of the seed's own.
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
    /// With --swarm: bias each generation of 50 seeds (in seed order)
    /// toward what the generations before it never reached: situations,
    /// buggify sites, fault kinds that never fired or were never effective
    /// (see the `guided` module). The output is the same for any --jobs;
    /// not with --shard.
    #[arg(long)]
    guided: bool,
}

/// A closed pipe (`... run | head`) ends the process quietly, as it does
/// any Unix filter, instead of a panic on the next print. [`main`] calls
/// it first; a binary with its own command line calls it at start-up.
pub fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default action of one signal at start-up, before
    // any thread or simulation exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Runs the command line for system `S`; returns the exit code.
pub fn main<S: System>(program: &Program) -> ExitCode {
    quiet_on_closed_pipe();
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
        Command::Run(args) => exit(run::<S>(program, &args)),
        Command::Merge(args) => exit(commands::merge::<S>(program, &args)),
        Command::Replay(args) => exit(commands::replay::<S>(program, &args)),
        Command::Plan(args) => exit(commands::plan::<S>(program, &args)),
        Command::Shrink(args) => exit(commands::shrink::<S>(program, &args)),
        Command::Report(args) => {
            exit(crate::report::command::execute::<S>(program, &args).map(|()| 0))
        }
    }
}

impl Program {
    /// The scenario `spec` names: a built-in one, or a file (see
    /// [`Source::find`]).
    pub fn scenario(&self, spec: &str) -> Result<Source, String> {
        Source::find(spec, self.catalogue).map_err(|e| e.to_string())
    }
}

/// The exit code of a command's result: its own, or 2 (bad input) after
/// printing the error.
fn exit(result: Result<u8, String>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Loads everything the run needs, refusing bad input before any work,
/// then runs the seeds on `--jobs` threads ([`sweep::stream_map`]),
/// printing in seed order.
fn run<S: System>(program: &Program, args: &RunArgs) -> Result<u8, String> {
    let spec = CaseSpec {
        scenario: args.scenario.clone(),
        design: args.design.clone(),
        overrides: args.overrides.clone(),
        plan: args.plan.clone(),
    };
    let source = program.scenario(&spec.scenario)?;
    let (case, plan) = spec.load_from::<S>(&source)?;
    let range = match (args.seed, &args.seeds) {
        (Some(s), _) => SeedRange::single(s),
        (None, Some(r)) => SeedRange::parse("--seeds", r)?,
        (None, None) => SeedRange::half_open(0, 20)?,
    };
    let jobs = sweep::jobs(args.jobs)?;
    let save = match &args.save {
        Some(arg) => Some(SaveTarget::check(arg, args.force, regression::RULES)?),
        None => None,
    };
    let replay = |seed: u64| spec.replay_command(program, &case.design_name, seed, &[]);
    if args.guided && !args.swarm {
        return Err("--guided leans --swarm's draws: it needs --swarm".into());
    }
    if args.guided && args.shard.is_some() {
        return Err(format!(
            "--guided cannot run with --shard: the draws of seeds {g}.. lean on what seeds \
             0..{g} reached (generations of {g}), and a shard would not see the other \
             shards' seeds",
            g = guided::GENERATION
        ));
    }
    if args.check_determinism {
        return Ok(check_determinism(&case, range, &replay));
    }
    let shards = commands::Shards::check(program, &spec, range, &args.shard, &args.results)?;
    let mut results = shards.writer()?;
    interrupt::set_pending(results.temp_path());
    interrupt::on_ctrl_c();
    let swarm = match args.swarm {
        true => Some(Swarm::new(&case, &source)?),
        false => None,
    };
    let mut coverage = Coverage::new(S::own_faults()).with_situations(S::situations());
    let mut summary = Summary::default();
    let mut failure: Option<String> = None;
    let run_seed = |bias: Option<&Bias>, seed: u64| {
        let swarmed = swarm.as_ref().map(|s| {
            let drawn = swarm::draw(s.scenario(), seed);
            s.case_with(match bias {
                Some(b) => b.apply(s.scenario(), drawn),
                None => drawn,
            })
        });
        let swarmed = swarmed.transpose();
        let swarmed = swarmed.map_err(|e| format!("seed {seed}'s swarm draw: {e}"))?;
        let case = swarmed.as_ref().unwrap_or(&case);
        let run = match &plan {
            Some(p) => case.run_plan(seed, p.clone()),
            None => case.run_seed(seed),
        };
        Ok::<_, String>((run, case.drawn.clone(), case.scenario.buggify))
    };
    let sink = |seed, ran: Result<(SeedRun, Vec<String>, bool), String>| {
        let (run, drawn, _) = match ran {
            Ok(ran) => ran,
            Err(e) => {
                failure = Some(e);
                return ControlFlow::Break(());
            }
        };
        coverage.add(&run.outcome);
        if let Err(e) = results.write(&run.outcome) {
            failure = Some(e);
            return ControlFlow::Break(());
        }
        summary.add(&run.outcome);
        if run.outcome.kept_promise() {
            return ControlFlow::Continue(());
        }
        let replay = spec.replay_command(program, &case.design_name, seed, &drawn);
        println!("{}", failure_line(&run.outcome, &replay));
        if !drawn.is_empty() {
            println!("  drew: {}", drawn.join(" "));
        }
        if args.explain {
            print!("{}", explain(&run));
        }
        if args.shrink {
            let saved = save.as_ref().map(|t| (t, &spec));
            if let Err(e) = shrunk(program, &case, seed, run, saved) {
                failure = Some(e);
                return ControlFlow::Break(());
            }
        }
        if args.fail_fast {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    };
    let end = if args.guided {
        guided::stream_generations::<S, _>(
            shards.seeds(),
            jobs,
            &interrupt::INTERRUPTED,
            |bias, seed| run_seed(Some(bias), seed),
            |ran| ran.as_ref().ok().map(|(run, _, b)| (&run.outcome, *b)),
            sink,
        )
    } else {
        sweep::stream_map(
            shards.seeds(),
            jobs,
            &interrupt::INTERRUPTED,
            |&seed| run_seed(None, seed),
            sink,
        )
    };
    interrupt::set_pending(None);
    if let Some(e) = failure {
        return Err(e);
    }
    if end == sweep::StreamEnd::Stopped {
        let note = results.abandon();
        println!("{summary}");
        let of = shards.seed_count();
        eprintln!(
            "interrupted by Ctrl-C: {} of {of} seeds ran{note}",
            summary.seeds
        );
        return Ok(interrupt::INTERRUPTED_EXIT);
    }
    let written = results.finish();
    println!("{summary}");
    if args.coverage {
        println!("{coverage}");
    }
    written.map(|()| summary.exit_code())
}

/// Shrinks a failing seed and prints its plan; with `save`, writes it as
/// a regression file there (checked before any work).
pub(crate) fn shrunk<S: System>(
    program: &Program,
    case: &Case<S>,
    seed: u64,
    run: SeedRun,
    save: Option<(&SaveTarget, &CaseSpec)>,
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
    if let Some((target, spec)) = save {
        let reg = regression::of_shrunk(spec, case, before, &small)?;
        reg.save(&target.path)?;
        println!(
            "saved: {} (replay with {} replay {})",
            target.shown,
            invocation_of(program.package, program.manifest_dir, false),
            shell_word(&target.shown)
        );
    }
    Ok(())
}

/// Runs every seed twice and reports the first whose traces differ: exit
/// 3 if any did, else what the first runs say (0 or 1).
fn check_determinism<S: System>(
    case: &Case<S>,
    seeds: SeedRange,
    replay: &dyn Fn(u64) -> String,
) -> u8 {
    let run = |seed: u64| {
        let r = case.run_seed(seed);
        (r.outcome.kept_promise(), r.output.trace)
    };
    let (mut differed, mut failed) = (false, false);
    let count = seeds.seed_count();
    for seed in seeds.iter() {
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
