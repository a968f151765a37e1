//! The arguments that pick a case (design, overrides, saved plan), shared by
//! the commands that run one.

use lastcopy::budget::{Budget, Work};
use lastcopy::runner::Case;
use lastcopy::scenario::Scenario;
use lastcopy::swarm;
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
    /// The most work units one seed may do (default 25,000,000, about a
    /// minute; at most 1,000,000,000): a case estimated to do more is
    /// refused before anything runs. See `lastcopy::budget`.
    #[arg(long, value_name = "UNITS")]
    pub max_work: Option<u64>,
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
        let case = Case {
            spec: spec.to_string(),
            scenario,
            design_arg: self.design.clone(),
            design,
            overrides: self.set.clone(),
            plan,
            workload: None,
        };
        self.check_budget(&case)?;
        Ok(case)
    }

    /// Refuses `case` if one seed of it is estimated to do more work than
    /// `--max-work` (or the default budget) allows.
    pub fn check_budget(&self, case: &Case) -> Result<(), String> {
        let budget = Budget::from_flag(self.max_work)?;
        budget.check_case(case).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Refuses a swarm over `seeds` of `case` if a configuration some seed
    /// draws is estimated to do more work than the budget allows. Drawn
    /// configurations are checked one by one only when the bound on every
    /// draw ([`Work::swarm_bound`]) exceeds the budget.
    pub fn check_swarm(&self, case: &Case, seeds: &[u64], unbounded: bool) -> Result<(), String> {
        let budget = Budget::from_flag(self.max_work)?;
        if budget.check(Work::swarm_bound(&case.scenario)).is_ok() {
            return Ok(());
        }
        for &seed in seeds {
            let drawn = swarm::draw(&case.scenario, seed, unbounded);
            let seed_case = swarm::case_with(case, &drawn)
                .map_err(|e| format!("--swarm: seed {seed} drew {}: {e}", drawn.join(" ")))?;
            budget
                .check_case(&seed_case)
                .map_err(|e| format!("--swarm: seed {seed} drew {}: {e}", drawn.join(" ")))?;
        }
        Ok(())
    }
}

/// Reads a saved plan (TOML), naming the file in any error.
pub fn read_plan(path: &str) -> Result<Plan<Fault>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let plan: Plan<Fault> = toml::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    Ok(Plan::new(plan.faults))
}
