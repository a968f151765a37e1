//! `lastcopy plan`: print the fault plan a seed draws, as TOML that
//! `--plan` accepts, so it can be saved, edited and run as it is.

use lastcopy::scenario::Scenario;
use std::process::ExitCode;

/// Arguments of `lastcopy plan`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Catalogue name or path to a scenario file.
    pub scenario: String,
    /// The seed.
    #[arg(long)]
    pub seed: u64,
    /// Overrides, as for `run`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// The most work units drawing the plan may take (its faults), as for `run`.
    #[arg(long, value_name = "UNITS")]
    pub max_work: Option<u64>,
}

/// Prints the plan.
pub fn execute(args: Args) -> Result<ExitCode, String> {
    let sc = Scenario::load(&args.scenario, &args.set).map_err(|e| e.to_string())?;
    lastcopy::budget::Budget::from_flag(args.max_work)?
        .check_planning(&sc)
        .map_err(|e| e.to_string())?;
    let plan = lastcopy::planner::plan(&sc, args.seed);
    print!("{}", lastcopy::plan_file::text(&plan));
    Ok(ExitCode::SUCCESS)
}
