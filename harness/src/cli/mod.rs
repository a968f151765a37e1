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
//!         version: None,
//!     };
//!     cli::main::<MySystem>(&program)
//! }
//! ```
//!
//! and gets `run` (sweeps on `--jobs` threads, `--shard` and `--results`,
//! `--fail-fast`, `--explain`, `--shrink` and `--save`, `--plan` on any
//! seeds, `--check-determinism`, `--coverage`, `--swarm`, `--swarm
//! --unbounded`, `--swarm --guided`; the first built-in scenario when
//! none is named), `report`
//! ([`crate::report`]), `merge` (a sharded run's results files, printed
//! as the unsharded run prints, `--coverage` too), `replay` (`--explain`, `--node`,
//! `--record`, `--trace-format json`), `plan` (a plan file `--plan` runs
//! is checked against the system first: [`crate::plan::plan_check`]), `shrink`
//! (`--record`, `--max-runs`, `--plan`; with `--save`, a regression file:
//! [`crate::triage::regression`]) and `list`. What a rig does its own way (its
//! stories, shrinker, regression files, coverage, replay commands) the
//! commands take from [`crate::rig::Rig`]. Exit codes: 0
//! every seed kept the promise, 1 some seed broke it, 2 bad input (nothing
//! run, nothing written), 3 some seed's two runs differed under
//! `--check-determinism`, 130 a `run` interrupted by Ctrl-C (the seeds in
//! flight finish, the summary covers the seeds that ran, `--results` is
//! not written).

use crate::rig::Rig;
use crate::scenario::Source;
use crate::system::System;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub mod build_identity;
mod commands;
pub mod output;
mod run;
pub mod shell;
pub use crate::report::command::Args as ReportArgs;
pub use commands::{CaseArgs, MergeArgs, PlanArgs, ReplayArgs, ShrinkArgs};
pub use run::RunArgs;

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
    /// Its build, if it knows it (a version and commit fixed at compile
    /// time, as `--version` prints it: `0.1.0 (commit 2fce39d)`): results
    /// files record it and `merge` refuses shards of different builds.
    /// `None`: the digest of the executable names the build.
    pub version: Option<&'static str>,
}

#[derive(Parser)]
#[command(about = "Runs a system under lastcopy's harness")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The harness's subcommands. A binary with subcommands of its own
/// flattens this into its own enum and hands these to [`execute`]:
///
/// ```
/// use clap::{Parser, Subcommand};
/// use lastcopy_harness::cli;
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(subcommand)]
///     command: Command,
/// }
///
/// #[derive(Subcommand)]
/// enum Command {
///     /// run, replay, plan, shrink, report, merge and list.
///     #[command(flatten)]
///     Harness(cli::Command),
///     /// A command of the system's own.
///     Calibrate { disks: u32 },
/// }
///
/// let parsed = Cli::try_parse_from(["my-system", "calibrate", "3"]).unwrap();
/// assert!(matches!(parsed.command, Command::Calibrate { disks: 3 }));
/// let parsed = Cli::try_parse_from(["my-system", "list"]).unwrap();
/// assert!(matches!(parsed.command, Command::Harness(cli::Command::List)));
/// // ... and in `main`: `Command::Harness(c) => cli::execute::<MySystem>(&program, c)`.
/// ```
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Runs seeds of a scenario and judges each against the promise.
    Run(run::RunArgs),
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
    main_of::<S>(program)
}

/// Runs the command line for rig `R` (a system with scenarios, plans or
/// a fault model of its own: [`crate::rig`]); returns the exit code.
pub fn main_of<R: Rig>(program: &Program) -> ExitCode {
    quiet_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    execute::<R>(program, cli.command)
}

/// Runs one of the harness's subcommands for rig `R` (as [`main_of`]
/// does, for a binary whose command line adds its own: [`Command`]);
/// returns the exit code.
pub fn execute<R: Rig>(program: &Program, command: Command) -> ExitCode {
    match command {
        Command::List => list::<R>(program),
        Command::Run(args) => exit(run::run::<R>(program, &args)),
        Command::Merge(args) => exit(commands::merge::<R>(program, &args)),
        Command::Replay(args) => exit(commands::replay::<R>(program, &args)),
        Command::Plan(args) => exit(commands::plan::<R>(program, &args)),
        Command::Shrink(args) => exit(commands::shrink::<R>(program, &args)),
        Command::Report(args) => {
            exit(crate::report::command::execute::<R>(program, &args).map(|()| 0))
        }
    }
}

/// `list`: `scenario NAME` for each built-in scenario, then `design
/// NAME` for each design, one per line (a line's first word says what it
/// names, for scripts); exit 0.
pub fn list<R: Rig>(program: &Program) -> ExitCode {
    for (name, _) in program.catalogue {
        println!("scenario {name}");
    }
    for (name, _) in R::System::designs() {
        println!("design {name}");
    }
    ExitCode::SUCCESS
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
