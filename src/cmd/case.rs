//! The arguments that pick a case (design, overrides, saved plan), shared by
//! the commands that run one.

use lastcopy::runner::Case;
use lastcopy::scenario::Scenario;
use models::fault::Fault;
use sim::plan::Plan;

/// Picks the design, overrides and plan of a case.
#[derive(clap::Args, Debug, Clone)]
pub struct CaseArgs {
    /// Design preset to run (see `lastcopy list`); default: the scenario's.
    #[arg(long)]
    pub design: Option<String>,
    /// Override a scenario key: `--set faults.upgrades=[]`, `--set design.digest_sync=false`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Run this saved fault plan (TOML, as `lastcopy plan` prints) instead of drawing one.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<String>,
}

impl CaseArgs {
    /// Loads the case of scenario `spec` with these arguments.
    pub fn load(&self, spec: &str) -> Result<Case, String> {
        let scenario = Scenario::load(spec, &self.set).map_err(|e| e.to_string())?;
        let design = scenario
            .design(self.design.as_deref())
            .map_err(|e| e.to_string())?;
        let plan = match &self.plan {
            Some(path) => Some((path.clone(), read_plan(path)?)),
            None => None,
        };
        Ok(Case {
            spec: spec.to_string(),
            scenario,
            design_arg: self.design.clone(),
            design,
            overrides: self.set.clone(),
            plan,
            workload: None,
        })
    }
}

/// Reads a saved plan (TOML), naming the file in any error.
pub fn read_plan(path: &str) -> Result<Plan<Fault>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let plan: Plan<Fault> = toml::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    Ok(Plan::new(plan.faults))
}
