//! The `lastcopy` command line: the harness's commands
//! ([`harness::cli::execute`]: `run`, `replay`, `plan`, `shrink`, `list`,
//! and `merge` of a run's shards) for the Sidekick's rig, and the
//! Sidekick's own `report` (and `merge` of a report's shards) and
//! `durability`.
//!
//! Exit codes: 0 every seed kept the promise; 1 some seed broke it;
//! 2 bad input (nothing was run, nothing written); 3 with
//! `--check-determinism`, some seed's two runs differed; 130 `run`
//! interrupted by Ctrl-C.

mod cmd;

use clap::{Parser, Subcommand};
use harness::cli;
use lastcopy::rig::{Sidekick, PROGRAM};
use std::process::ExitCode;

/// Deterministic fault-injection simulation of a sync system: checks that no
/// record a user was told is saved is ever lost for good.
#[derive(Parser, Debug)]
#[command(name = "lastcopy", version = lastcopy::build_identity::LONG_VERSION, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario over a range of seeds and report seeds that broke the promise.
    Run(cli::RunArgs),
    /// Replay one seed: print its plan, its trace and its verdicts.
    Replay(cli::ReplayArgs),
    /// Print the fault plan a seed draws, as TOML that `--plan` accepts.
    Plan(cli::PlanArgs),
    /// List the scenario catalogue and the design presets, one per line.
    List,
    /// Merge the results files of a sharded run into one run's output and exit code (of a sharded report, with --out DIR, into the report).
    Merge(cmd::merge::Args),
    /// Shrink a failing seed to the few faults that matter; `--save NAME` keeps it as a regression.
    Shrink(cli::ShrinkArgs),
    /// Run scenarios × designs over seeds and write a report directory (Markdown, SVG charts, JSON).
    Report(cmd::report::Args),
    /// Measure SQLite's durability settings on the simulated flash: crash points, then storage faults.
    Durability(cmd::durability::Args),
}

fn main() -> ExitCode {
    cli::quiet_on_closed_pipe();
    let harness = |command| cli::execute::<Sidekick>(&PROGRAM, command);
    let result = match Cli::parse().command {
        Command::Run(args) => return harness(cli::Command::Run(args)),
        Command::Replay(args) => return harness(cli::Command::Replay(args)),
        Command::Plan(args) => return harness(cli::Command::Plan(args)),
        Command::List => return harness(cli::Command::List),
        Command::Merge(args) => cmd::merge::execute(args),
        Command::Shrink(args) => return harness(cli::Command::Shrink(args)),
        Command::Report(args) => cmd::report::execute(args),
        Command::Durability(args) => cmd::durability::execute(args),
    };
    result.unwrap_or_else(|message| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    })
}
