//! The Sidekick system as the harness drives it ([`harness::rig::Rig`]):
//! its own scenario files ([`crate::scenario`]), its own planner
//! ([`crate::planner`]) and fault model ([`crate::fault_model`]) on the
//! harness's world, and its own swarm draws ([`crate::swarm`]). Through
//! it, the harness's [`harness::case::Case`] runs a Sidekick seed exactly
//! as the Sidekick's own commands run it ([`crate::runner::Case`]).

use crate::budget::{Budget, Work};
use crate::explain;
use crate::guided;
use crate::plan_file;
use crate::planner;
use crate::regression::{self, Regression};
use crate::runner::{Case, Replay};
use crate::scenario::{Scenario, ScenarioError, CATALOGUE};
use crate::situations::{Situation, BUGGIFY_SITES};
use crate::swarm;
use crate::trace_filter::{self, Filter, FilterError};
use crate::world;
use harness::case::SeedRun;
use harness::cli::Program;
use harness::plan::guided::{Bias, Reached};
use harness::plan::swarm::Draw;
use harness::report::coverage::Coverage;
use harness::rig::{About, Chosen, Rig, Stage};
use harness::scenario::Source;
use harness::triage::save_target::{Rules, SaveTarget};
use harness::triage::shrink::{self, Shrunk, Size};
use harness::triage::story::Story;
use harness::world::Output;
use models::design::Design;
use models::fault::{Fault, FAULT_TABLE};
use models::workload::Workload;
use sim::outcome::FaultCount;
use sim::plan::Plan;
use sim::trace::EngineEvent;
use std::collections::{BTreeMap, BTreeSet};

/// The Sidekick's binary as the harness's command line knows it: the
/// package, and the scenario catalogue.
pub const PROGRAM: Program = Program {
    package: env!("CARGO_PKG_NAME"),
    manifest_dir: env!("CARGO_MANIFEST_DIR"),
    catalogue: CATALOGUE,
    version: Some(crate::build_identity::LONG_VERSION),
};

/// The runs a Sidekick shrink spends unless `--max-runs` says otherwise.
const DEFAULT_SHRINK_RUNS: usize = 2_000;

/// The preset a saved regression is also run on, expected to keep the
/// promise where it does.
const HARDENED: &str = "hardened";

/// The Sidekick system: its scenarios, presets and knobs, plans and runs.
#[derive(Clone, Copy, Debug)]
pub struct Sidekick;

impl Rig for Sidekick {
    type System = Scenario;
    type Scenario = Scenario;
    type Fault = Fault;
    type Workload = Workload;

    fn load(source: &Source, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        Scenario::parse_source(source, overrides)
    }

    fn about(scenario: &Scenario) -> About<'_> {
        About {
            name: &scenario.name,
            description: &scenario.description,
            duration: scenario.run.duration,
            heal_bound: scenario.run.heal_bound,
            buggify: scenario.buggify,
        }
    }

    /// The preset `name` names (default: the scenario's `[design] preset`,
    /// else `hardened`) with the scenario's `[design]` knobs on top; shown
    /// as the preset it then equals, or `custom`.
    fn design(scenario: &Scenario, name: Option<&str>) -> Result<Chosen<Design>, ScenarioError> {
        let design = scenario.design(name)?;
        Ok(Chosen {
            name: scenario.preset_name(name).to_string(),
            shown: design.name().to_string(),
            design,
        })
    }

    fn plan(scenario: &Scenario, _: &Design, seed: u64) -> Plan<Fault> {
        planner::plan(scenario, seed)
    }

    fn workload(scenario: &Scenario, seed: u64) -> Workload {
        world::draw_workload(scenario, seed)
    }

    fn run(
        scenario: &Scenario,
        design: &Design,
        plan: &Plan<Fault>,
        workload: &Workload,
        seed: u64,
        watch: bool,
    ) -> Output {
        world::run(scenario, design, plan, workload, seed, watch)
    }

    /// The situations the fault model counted while it watched the run
    /// ([`crate::situations`]).
    fn reached(output: &Output, _: &BTreeMap<String, FaultCount>) -> BTreeMap<String, u64> {
        output.situations.clone()
    }

    /// The faults the fault model traced as near misses as they struck
    /// (`fault.near-miss`: the struck stores held every live copy of some
    /// record's latest acknowledged version).
    fn near_misses(output: &Output) -> BTreeSet<u32> {
        output.faults_named(EngineEvent::FaultNearMiss, |_| true)
    }

    fn swarm_check(_: &Scenario) -> Result<(), String> {
        Ok(())
    }

    /// Swarm's draws ([`crate::swarm::draw`]), within the fault atlas
    /// unless `unbounded`, leaned (`--guided`) toward those of the bias's
    /// keys that are levers of the Sidekick's situations.
    fn swarm_draw(scenario: &Scenario, seed: u64, how: &Draw<'_>) -> Vec<String> {
        let drawn = swarm::draw(scenario, seed, how.unbounded);
        match how.bias {
            Some(b) => {
                let keys = b.keys.iter().map(String::as_str);
                guided::Bias::of_keys(keys, b.buggify).apply(scenario, drawn)
            }
            None => drawn,
        }
    }

    /// Nodes and stores of the scenario's topology, record ids of its
    /// users ([`crate::trace_filter::check`]).
    fn check_filter(scenario: &Scenario, _: &Design, filter: &Filter) -> Result<(), FilterError> {
        trace_filter::check(filter, scenario)
    }

    /// Each record's lineage in the Sidekick's words: handsets, arrays,
    /// upgrades and restores ([`crate::explain::explain`]).
    fn stories(run: &SeedRun<Fault>, filter: &Filter) -> Vec<Story> {
        explain::explain(&run.output, &run.outcome.verdicts, filter)
    }

    /// The Sidekick's TOML regression files, with their saved workload
    /// ([`crate::regression`]).
    fn regression(
        path: &str,
        design: Option<&str>,
        overrides: &[String],
    ) -> Option<Result<(Case, u64), String>> {
        if !regression::is_regression_file(path) {
            return None;
        }
        let load = || {
            let reg = Regression::load(path, overrides).map_err(|e| e.to_string())?;
            let mut case = reg.case(design).map_err(|e| e.to_string())?;
            case.overrides = overrides.to_vec();
            Ok((case, reg.seed))
        };
        Some(load())
    }

    /// The work budget of [`crate::budget`]: 25,000,000 units unless
    /// `max_work` says otherwise; a plan alone is checked for its faults,
    /// a swarm by the bound on every draw ([`Work::swarm_bound`]).
    fn check_work(case: &Case, stage: Stage, max_work: Option<u64>) -> Result<(), String> {
        let budget = Budget::from_flag(max_work)?;
        match stage {
            Stage::Plan => budget.check_planning(&case.scenario),
            Stage::Run => budget.check_case(case),
            Stage::Swarm => budget.check(Work::swarm_bound(&case.scenario)),
        }
        .map(|_| ())
        .map_err(|e| e.to_string())
    }

    /// The Sidekick's shrinker ([`crate::shrink`]): the plan, then the
    /// handsets (renumbered) and the other records' edits, keeping the
    /// target verdict on the first failing record whose last copy was on
    /// the server side unless `--record` names another.
    fn shrink(
        case: &Case,
        seed: u64,
        opts: &shrink::Options,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Shrunk<Self>, String> {
        let mine = crate::shrink::Options {
            record: opts.record.clone(),
            max_runs: opts.max_runs.unwrap_or(DEFAULT_SHRINK_RUNS),
            ..crate::shrink::Options::default()
        };
        let s = crate::shrink::shrink(case, seed, &mine, &mut |step| progress(&step.to_string()))
            .map_err(|e| e.to_string())?;
        let size = |what, before: usize, after: usize| Size {
            what,
            before,
            after,
        };
        let (o, n) = (&s.original, &s.shrunk);
        Ok(Shrunk {
            run: crate::shrink::run_candidate(case, n, seed),
            sizes: vec![
                size("faults", o.plan.faults.len(), n.plan.faults.len()),
                size("handsets", o.handsets as usize, n.handsets as usize),
                size("edits", o.edits(), n.edits()),
            ],
            case: s.case,
            seed,
            original_target: s.original_target,
            target: s.target,
            runs: s.runs,
            minimal: s.minimal,
        })
    }

    /// `scenarios/regressions/NAME.toml`.
    fn regression_rules() -> Rules<'static> {
        Rules {
            dir: regression::DIR,
            ext: ".toml",
            is_regression_file: regression::is_regression_file,
        }
    }

    /// The Sidekick's TOML regression file, with its workload, expecting
    /// the promise kept on `hardened` too when it is (else a note says it
    /// is not expected of it).
    fn save_regression(
        shrunk: &Shrunk<Self>,
        from: &str,
        target: &SaveTarget,
    ) -> Result<Vec<String>, String> {
        let (case, seed) = (&shrunk.case, shrunk.seed);
        let path = target.shown.as_str();
        let of =
            |keeps| Regression::of_shrunk(path, case, seed, &shrunk.target, from.into(), keeps);
        let mut keeps = Vec::new();
        let mut notes = Vec::new();
        if case.design_name != HARDENED {
            let mut hard = of(Vec::new());
            hard.design = HARDENED.into();
            let hard = hard.case(None).map_err(|e| e.to_string())?;
            if hard.run_seed(seed).outcome.kept_promise() {
                keeps.push(HARDENED.to_string());
            } else {
                notes.push(format!(
                    "warning: {HARDENED} does not keep the promise on this case either; not expected of it"
                ));
            }
        }
        of(keeps)
            .save(&target.path, target.force)
            .map_err(|e| e.to_string())?;
        Ok(notes)
    }

    /// Every kind of the Sidekick's fault table with its class, its
    /// situations ([`crate::situations`]) and its models' buggify sites.
    fn coverage() -> Coverage {
        Coverage::of_table(
            FAULT_TABLE.iter().map(|r| (r.name, r.class.to_string())),
            Situation::ALL.iter().map(|s| s.name()),
            BUGGIFY_SITES,
        )
    }

    /// Toward the levers of the Sidekick's situations no seed reached, and
    /// buggify while some site of its models never fired
    /// ([`guided::Bias::toward`]).
    fn lean(reached: &Reached) -> Bias {
        let b = guided::Bias::toward(reached);
        Bias {
            keys: b.keys.iter().map(|k| k.to_string()).collect(),
            buggify: b.buggify,
        }
    }

    /// `lastcopy replay SCENARIO --seed N --design PRESET`, then the
    /// overrides (a swarm seed's drawn ones too) and the plan file
    /// ([`crate::runner::Replay`]).
    fn replay_command(_: &Program, case: &Case, seed: u64, drawn: &[String]) -> String {
        if drawn.is_empty() {
            return Replay::replay_command(case, seed);
        }
        swarm::case_with(case, drawn).map_or_else(
            |e| format!("(its drawn configuration no longer loads: {e})"),
            |c| Replay::replay_command(&c, seed),
        )
    }

    /// TOML, as `lastcopy plan` prints it ([`crate::plan_file`]).
    fn plan_text(plan: &Plan<Fault>) -> String {
        plan_file::text(plan)
    }

    /// TOML, checked against the scenario's topology, kinds, times and
    /// ids ([`crate::plan_check`]), errors at the fault's line
    /// ([`crate::plan_file::read`]).
    fn read_plan(
        path: &str,
        text: &str,
        scenario: &Scenario,
        _: &Design,
    ) -> Result<Plan<Fault>, String> {
        plan_file::read(path, text, scenario)
    }
}
