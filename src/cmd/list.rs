//! `lastcopy list`: the scenario catalogue and the design presets.

use lastcopy::scenario::CATALOGUE;
use models::design::Design;
use std::process::ExitCode;

/// Prints `scenario NAME` for each catalogue scenario, then `design NAME`
/// for each preset, one per line.
pub fn execute() -> Result<ExitCode, String> {
    for (name, _) in CATALOGUE {
        println!("scenario {name}");
    }
    for name in Design::PRESETS {
        println!("design {name}");
    }
    Ok(ExitCode::SUCCESS)
}
