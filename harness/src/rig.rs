//! How the harness runs a system: its scenario files, its fault plans and
//! one seed's run.
//!
//! Every [`System`] is a rig as it stands: its scenarios are the harness's
//! format ([`Scenario`]), its plans are drawn by the harness's planner from
//! the generic fault table and the system's own rows ([`crate::plan::faults`]),
//! and its runs are struck by the harness's fault model
//! ([`crate::world::TableFaults`]). A system whose scenario files, planner
//! or fault model are its own implements [`Rig`] on a type of its own
//! instead; every command, sweep, shrink, report and regression file then
//! works for it alike, through [`crate::case::Case`].

use crate::case::{Case, SeedRun};
use crate::checker::near_miss;
use crate::checker::situation;
use crate::cli::Program;
use crate::plan::faults::{self, Fault, FaultName, Target};
use crate::plan::guided::{Bias, Reached};
use crate::plan::plan_check::{json_fault_line, Targets};
use crate::plan::swarm;
use crate::report::coverage::Coverage;
use crate::scenario::load::{parse_json_plan, plan_json};
use crate::scenario::{Scenario, ScenarioError, Source};
use crate::system::System;
use crate::triage::save_target::{Rules, SaveTarget};
use crate::triage::shrink::{self, Shrunk};
use crate::triage::story::Story;
use crate::triage::trace_filter::{Filter, FilterError, HARNESS_NODE};
use crate::world::{self, Output};
use sim::outcome::FaultCount;
use sim::plan::Plan;
pub use sim::plan::PlanFault;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::time::Duration;

/// A system as the harness runs it. Implemented for every [`System`]; a
/// system implements it itself only when its scenarios, plans or fault
/// model are its own.
pub trait Rig: Sized + 'static {
    /// The system: its nodes, places and hooks.
    type System: System;
    /// A scenario as loaded, overrides applied and every rule checked.
    type Scenario: Clone + Debug + Send + Sync + 'static;
    /// What a fault plan holds.
    type Fault: PlanFault;
    /// What the users do in one seed's run: drawn from the seed
    /// ([`Rig::workload`]), or a saved one run again as it was (a
    /// regression's, a shrunk case's: [`crate::case::Case::workload`]).
    type Workload: Clone + Debug + Send + Sync + 'static;

    /// The scenario `source` holds, with `overrides` (`KEY=VALUE`) applied;
    /// an error names the file (or override), the line and the key.
    fn load(source: &Source, overrides: &[String]) -> Result<Self::Scenario, ScenarioError>;

    /// What the harness prints and reports of `scenario`.
    fn about(scenario: &Self::Scenario) -> About<'_>;

    /// The design `name` names in `scenario` (`None`: the one a run takes
    /// when no design is named), as [`Chosen`]; an unknown name is
    /// [`ScenarioError::UnknownDesign`], listing the known ones.
    fn design(
        scenario: &Self::Scenario,
        name: Option<&str>,
    ) -> Result<Chosen<Design<Self>>, ScenarioError>;

    /// The fault plan of `seed`: the same for every design.
    fn plan(scenario: &Self::Scenario, design: &Design<Self>, seed: u64) -> Plan<Self::Fault>;

    /// The workload seed `seed` draws from `scenario`: the same for every
    /// design and plan.
    fn workload(scenario: &Self::Scenario, seed: u64) -> Self::Workload;

    /// Runs one seed of `scenario` under `design` with `plan` and
    /// `workload`; with `watch`, the run also counts the situations only
    /// watching it can see ([`Output::situations`]), which never changes
    /// its trace.
    fn run(
        scenario: &Self::Scenario,
        design: &Design<Self>,
        plan: &Plan<Self::Fault>,
        workload: &Self::Workload,
        seed: u64,
        watch: bool,
    ) -> Output;

    /// How often each situation that matters happened in the run behind
    /// `output`, whose faults did what `faults` counts (by kind's name);
    /// those that never happened are left out.
    fn reached(output: &Output, faults: &BTreeMap<String, FaultCount>) -> BTreeMap<String, u64>;

    /// The ids of the run's faults that were near misses: struck a
    /// record's last copies without ending the record (for a [`System`],
    /// read from the trace: [`crate::checker::near_miss`]).
    fn near_misses(output: &Output) -> BTreeSet<u32>;

    /// Refuses a `--swarm` sweep of `scenario` whose draws could not run.
    fn swarm_check(scenario: &Self::Scenario) -> Result<(), String>;

    /// The overrides swarm seed `seed` draws from `scenario`, in a fixed
    /// order, as `how` says: leaned by its bias (`--guided`), its storage
    /// faults past the fault atlas if it is `unbounded`.
    fn swarm_draw(scenario: &Self::Scenario, seed: u64, how: &swarm::Draw<'_>) -> Vec<String>;

    /// Refuses, before a replay runs, a `filter` that names a node, store
    /// or record `scenario` under `design` cannot have; the error names
    /// what it has (for a [`System`]: its nodes and their stores).
    fn check_filter(
        scenario: &Self::Scenario,
        design: &Design<Self>,
        filter: &Filter,
    ) -> Result<(), FilterError>;

    /// The story of each verdict of `run` that `filter` passes, as
    /// `--explain` tells it: only the stories of `filter`'s record, and of
    /// each only the lines on `filter`'s node. By default the harness's
    /// ([`crate::triage::explain::stories`]: from the ledger, the copy events and
    /// the final state); a rig with words of its own for what happened to
    /// its records tells its own.
    fn stories(run: &SeedRun<Self::Fault>, filter: &Filter) -> Vec<Story> {
        crate::triage::explain::stories(run, filter)
    }

    /// The case and seed of the regression file `path`, if `path` names
    /// one of this rig's (`None`: it does not, and is taken as a
    /// scenario): its scenario, its design unless `design` names another,
    /// its overrides then `overrides`, and its plan (and workload, if the
    /// rig saves one) run instead of the seed's own; an error names the
    /// file, the line and what is wrong. By default the harness's JSON
    /// regression files ([`crate::triage::regression::load_case`]).
    fn regression(
        path: &str,
        design: Option<&str>,
        overrides: &[String],
    ) -> Option<Result<(Case<Self>, u64), String>> {
        crate::triage::regression::load_case(path, design, overrides)
    }

    /// Refuses, before anything runs, `case` if `stage` of one of its
    /// seeds is estimated to take more work than `max_work` allows (`None`:
    /// the rig's own default). By default a rig estimates no work (a
    /// [`System`] bounds what its scenarios may ask in
    /// [`System::check`]), so any `max_work` is refused as not applying.
    fn check_work(case: &Case<Self>, stage: Stage, max_work: Option<u64>) -> Result<(), String> {
        let _ = (case, stage);
        match max_work {
            None => Ok(()),
            Some(_) => Err("--max-work: this system estimates no work before a run; \
                 bound its scenarios' sizes in its `check` instead"
                .into()),
        }
    }

    /// Shrinks failing seed `seed` of `case` to what matters, as `shrink`
    /// and `run --shrink` print it and `--save` keeps it; `progress` hears
    /// of each step, in words. An error if the seed kept the promise or
    /// has no verdict on `opts.record`. By default the harness's shrink of
    /// the plan ([`crate::triage::shrink::shrink_plan`]).
    fn shrink(
        case: &Case<Self>,
        seed: u64,
        opts: &shrink::Options,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Shrunk<Self>, String> {
        shrink::shrink_plan(case, seed, opts, progress)
    }

    /// How `--save NAME` names this rig's regression files, and which
    /// files it may replace. By default the harness's
    /// ([`crate::triage::regression::RULES`]: `regressions/NAME.json`).
    fn regression_rules() -> Rules<'static> {
        crate::triage::regression::RULES
    }

    /// Writes `shrunk` as the regression file `target` (named by
    /// [`Rig::regression_rules`], checked before the shrink ran), `from`
    /// saying what made it; returns any notes to print. By default the
    /// harness's JSON regression file ([`crate::triage::regression::of_shrunk`]).
    fn save_regression(
        shrunk: &Shrunk<Self>,
        from: &str,
        target: &SaveTarget,
    ) -> Result<Vec<String>, String> {
        crate::triage::regression::of_shrunk(shrunk, from)?.save(&target.path)?;
        Ok(Vec::new())
    }

    /// The coverage of no seed (`run --coverage`, `--guided`): every fault
    /// kind, situation and buggify site of this rig, at zero. By default a
    /// [`System`]'s: the generic fault kinds and its own, the generic
    /// situations and its own ([`Coverage::new`]).
    fn coverage() -> Coverage {
        Coverage::new(Self::System::own_faults()).with_situations(Self::System::situations())
    }

    /// How the next generation of a `--swarm --guided` sweep leans, from
    /// what the seeds before it `reached` (counted into
    /// [`Rig::coverage`]); the bias reaches the draws through
    /// [`Rig::swarm_draw`]. By default toward the levers of everything no
    /// seed reached, and buggify ([`Bias::toward`]).
    fn lean(reached: &Reached) -> Bias {
        Bias::toward::<Self::System>(reached)
    }

    /// The command that replays `seed` of `case` exactly, with `drawn`
    /// overrides after the case's own (what a swarm seed drew), as typed
    /// from the current directory: what `run` and `merge` print for each
    /// seed that broke the promise. By default `PROGRAM run SCENARIO
    /// --design DESIGN --seed SEED --set ... --plan FILE`
    /// ([`crate::scenario::load::replay_of`]).
    fn replay_command(program: &Program, case: &Case<Self>, seed: u64, drawn: &[String]) -> String {
        crate::scenario::load::replay_of(program, case, seed, drawn)
    }

    /// `plan` as `plan` prints it and `--plan` reads it back
    /// ([`Rig::read_plan`]); by default pretty JSON ([`plan_json`]).
    fn plan_text(plan: &Plan<Self::Fault>) -> String {
        plan_json(plan)
    }

    /// The plan in `text`, read from the plan file `path` (a `--plan`
    /// file, a regression file's), refused before anything runs if
    /// `scenario` under `design` cannot run it as written: the error names
    /// the file, the line and the first fault that cannot run, and why.
    /// Every plan [`Rig::plan`] draws, written by [`Rig::plan_text`],
    /// reads back as it was. For a [`System`]: the JSON [`plan_json`]
    /// writes, or a regression file holding a plan, checked by
    /// [`crate::plan::plan_check`].
    fn read_plan(
        path: &str,
        text: &str,
        scenario: &Self::Scenario,
        design: &Design<Self>,
    ) -> Result<Plan<Self::Fault>, String>;
}

/// What a work budget is checked for ([`Rig::check_work`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Drawing a seed's plan only (`plan`).
    Plan,
    /// Running a seed (`run`, `replay`, `shrink`).
    Run,
    /// Running any seed of a `--swarm` sweep of the case, whatever it
    /// draws: a bound on every draw. Where it is refused, `run` checks the
    /// seeds' draws one by one ([`Stage::Run`]) before any runs, for a
    /// sweep of at most a million seeds, and refuses a longer one.
    Swarm,
}

/// A rig's design type: its system's.
pub type Design<R> = <<R as Rig>::System as System>::Design;

/// A [`System`]'s workload as a rig holds it: drawn from the seed as its
/// run starts ([`System::workload`]), never saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedDrawn;

/// A design a case runs.
#[derive(Clone, Debug)]
pub struct Chosen<D> {
    /// The name `--design` takes to choose it again (with the case's
    /// overrides).
    pub name: String,
    /// What outcomes, summaries and reports call it (the same as `name`
    /// unless the scenario's own settings change the named design).
    pub shown: String,
    /// The design.
    pub design: D,
}

/// A scenario as the harness prints and reports it.
#[derive(Clone, Copy, Debug)]
pub struct About<'a> {
    /// Its name.
    pub name: &'a str,
    /// What it is about, in a sentence.
    pub description: &'a str,
    /// How long users act and faults strike.
    pub duration: Duration,
    /// How long heal may take.
    pub heal_bound: Duration,
    /// Whether buggify's sites may fire.
    pub buggify: bool,
}

impl PlanFault for Fault {
    fn kind_name(&self) -> String {
        self.name.to_string()
    }

    fn class_name(&self) -> String {
        match &self.name {
            FaultName::Generic(k) => k.row().class.to_string(),
            FaultName::Own(_) => "own".into(),
        }
    }
}

impl<S: System> Rig for S {
    type System = S;
    type Scenario = Scenario<S>;
    type Fault = Fault;
    type Workload = SeedDrawn;

    fn load(source: &Source, overrides: &[String]) -> Result<Scenario<S>, ScenarioError> {
        Scenario::parse(source, overrides)
    }

    fn about(scenario: &Scenario<S>) -> About<'_> {
        About {
            name: &scenario.name,
            description: &scenario.description,
            duration: scenario.run.duration,
            heal_bound: scenario.run.heal_bound,
            buggify: scenario.buggify,
        }
    }

    fn design(_: &Scenario<S>, name: Option<&str>) -> Result<Chosen<S::Design>, ScenarioError> {
        let designs = S::designs();
        let found = match name {
            Some(name) => designs.iter().find(|(n, _)| *n == name),
            None => designs.first(),
        };
        let Some((name, design)) = found else {
            return Err(ScenarioError::UnknownDesign {
                name: name.unwrap_or_default().to_string(),
                presets: designs.iter().map(|(n, _)| n.to_string()).collect(),
            });
        };
        Ok(Chosen {
            name: name.to_string(),
            shown: name.to_string(),
            design: design.clone(),
        })
    }

    fn plan(scenario: &Scenario<S>, design: &S::Design, seed: u64) -> Plan<Fault> {
        let targets: Vec<Target> = scenario
            .system
            .nodes(design)
            .into_iter()
            .map(|n| Target {
                node: n.name,
                domain: n.domain,
                disks: n.disks.into_iter().map(|(name, _)| name).collect(),
            })
            .collect();
        faults::plan(
            &scenario.faults,
            &targets,
            S::own_faults(),
            seed,
            scenario.run.duration,
        )
    }

    fn workload(_: &Scenario<S>, _: u64) -> SeedDrawn {
        SeedDrawn
    }

    /// Counts no situation while running: a [`System`]'s are counted
    /// from the output ([`crate::checker::situation`]).
    fn run(
        scenario: &Scenario<S>,
        design: &S::Design,
        plan: &Plan<Fault>,
        _: &SeedDrawn,
        seed: u64,
        _: bool,
    ) -> Output {
        world::run(scenario, design, plan, seed)
    }

    fn reached(output: &Output, faults: &BTreeMap<String, FaultCount>) -> BTreeMap<String, u64> {
        situation::reached::<S>(output, faults)
    }

    fn near_misses(output: &Output) -> BTreeSet<u32> {
        near_miss::near_misses(output, S::copy_parts)
    }

    fn swarm_check(_: &Scenario<S>) -> Result<(), String> {
        swarm::check_keys(S::swarm_keys())
    }

    fn swarm_draw(scenario: &Scenario<S>, seed: u64, how: &swarm::Draw<'_>) -> Vec<String> {
        swarm::draw_as(scenario, seed, how)
    }

    fn check_filter(
        scenario: &Scenario<S>,
        design: &S::Design,
        filter: &Filter,
    ) -> Result<(), FilterError> {
        let nodes = scenario.system.nodes(design);
        let mut names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
        names.push(HARNESS_NODE);
        filter.check_node_in(&names)
    }

    fn read_plan(
        path: &str,
        text: &str,
        scenario: &Scenario<S>,
        design: &S::Design,
    ) -> Result<Plan<Fault>, String> {
        let plan = parse_json_plan(path, text)?;
        let nodes = scenario.system.nodes(design);
        let targets = Targets::of(&nodes, S::own_faults(), scenario.run.duration);
        targets
            .check(&plan.faults)
            .map_err(|e| match json_fault_line(text, e.index) {
                Some(line) => format!("{path}:{line}: {e}"),
                None => format!("{path}: {e}"),
            })?;
        Ok(plan)
    }
}
