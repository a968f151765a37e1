//! The arguments that pick a case (design, overrides, saved plan), shared by
//! the Sidekick's own commands that run one.

use lastcopy::budget::{Budget, Work};
use lastcopy::runner::{self, Case};
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
        let mut case =
            runner::case(spec, self.design.as_deref(), &self.set).map_err(|e| e.to_string())?;
        if let Some(path) = &self.plan {
            case.plan = Some((path.clone(), read_plan(path, &case.scenario)?));
        }
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

    /// Refuses a swarm over `seeds` (`count` of them) of `case` if a
    /// configuration some seed draws is estimated to do more work than the
    /// budget allows. Drawn configurations are checked one by one only when
    /// the bound on every draw ([`Work::swarm_bound`]) exceeds the budget,
    /// and then only for a sweep of at most a million seeds: a longer one
    /// needs the bound within the budget.
    pub fn check_swarm(
        &self,
        case: &Case,
        seeds: impl Iterator<Item = u64>,
        count: u128,
        unbounded: bool,
    ) -> Result<(), String> {
        let budget = Budget::from_flag(self.max_work)?;
        let Err(over) = budget.check(Work::swarm_bound(&case.scenario)) else {
            return Ok(());
        };
        if count > u128::from(lastcopy::seed_range::MAX_HELD_SEEDS) {
            return Err(format!(
                "--swarm over {count} seeds: some draw may exceed the work budget and a sweep \
                 this long is not checked draw by draw ({}); raise --max-work or narrow the range",
                over
            ));
        }
        for seed in seeds {
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

/// Reads a saved plan (TOML) and checks it against `scenario`
/// ([`lastcopy::plan_file::read`]).
pub fn read_plan(path: &str, scenario: &Scenario) -> Result<Plan<Fault>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    lastcopy::plan_file::read(path, &text, scenario)
}
