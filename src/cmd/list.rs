//! `lastcopy list`: the scenario catalogue and the design presets, as the
//! harness lists any system's ([`harness::cli::list`]).

use lastcopy::rig::{Sidekick, PROGRAM};
use std::process::ExitCode;

/// Prints `scenario NAME` for each catalogue scenario, then `design NAME`
/// for each preset, one per line.
pub fn execute() -> Result<ExitCode, String> {
    Ok(harness::cli::list::<Sidekick>(&PROGRAM))
}
