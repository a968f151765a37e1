//! `lastcopy durability`: SQLite's durability settings measured on the
//! simulated flash (issue #15). Two Markdown tables on stdout:
//!
//! 1. every `journal_mode` x `synchronous` pair under power loss and under
//!    a process crash, a crash at every mutation of the measured workload
//!    ([`sim::sqlite::durability::measure_all`]), runs per outcome: the
//!    rows the README sets beside SQLite's documentation;
//! 2. "beyond the documentation": the settings SQLite documents as
//!    surviving power loss, under the simulated disk's storage faults
//!    (lost writes, misdirected writes, bit rot), which SQLite does not
//!    claim to survive ([`beyond`]).
//!
//! Deterministic: the same binary prints the same bytes.

mod beyond;

use clap::Parser;
use sim::sqlite::durability::{measure_all, table, Experiment};
use std::process::ExitCode;

/// `lastcopy durability` takes no arguments.
#[derive(Parser, Debug)]
pub struct Args {}

/// Prints both tables; exit 0, or an error (exit 2) if an experiment's
/// setup failed.
pub fn execute(_args: Args) -> Result<ExitCode, String> {
    let rows = measure_all(&Experiment::default()).map_err(|e| e.to_string())?;
    println!("## SQLite's durability settings: a crash at every mutation\n");
    print!("{}", table(&rows));
    let beyond = beyond::measure_all().map_err(|e| e.to_string())?;
    println!("\n## Beyond the documentation: storage faults\n");
    print!("{}", beyond::table(&beyond));
    Ok(ExitCode::SUCCESS)
}
