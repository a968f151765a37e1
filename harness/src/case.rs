//! One case of a user's system: a scenario, a design and the overrides
//! that made them, run and judged one seed at a time.

use crate::checker;
use crate::rig::{Design, PlanFault, Rig};
use crate::scenario::{ScenarioError, Source};
use crate::sweep::{stream_map, sweep_with, StreamEnd};
use crate::system::System;
use crate::world::Output;
use sim::lineage::CopyOf;
use sim::outcome::{FaultCount, SeedOutcome};
use sim::plan::Plan;
use sim::trace::{EngineEvent, Event};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;

/// A scenario under one of the system's designs.
#[derive(Debug)]
pub struct Case<R: Rig> {
    /// The scenario as the command line named it: a built-in scenario's
    /// name or a path (what replay commands repeat).
    pub spec: String,
    /// The scenario, overrides applied.
    pub scenario: R::Scenario,
    /// The design's name, as `--design` takes it.
    pub design_name: String,
    /// What outcomes and reports call the design ([`crate::rig::Chosen`]).
    pub design_shown: String,
    /// The design.
    pub design: Design<R>,
    /// The `--set` overrides the user gave.
    pub overrides: Vec<String>,
    /// The overrides a swarm seed drew for itself, applied after
    /// `overrides` ([`crate::plan::swarm`]); empty otherwise.
    pub drawn: Vec<String>,
    /// The scenario's text as read, before the overrides (what a
    /// regression file keeps).
    pub text: String,
    /// A saved workload to run instead of each seed's own (a regression's,
    /// a shrunk case's); `None`: each seed draws its own.
    pub workload: Option<R::Workload>,
    /// A saved plan to run instead of each seed's own (a `--plan` file, a
    /// regression's, a shrunk one), and where it came from (the path a
    /// replay command names again).
    pub plan: Option<(String, Plan<R::Fault>)>,
    /// Whether runs watch for the situations only watching can see
    /// ([`Rig::run`]): on where coverage shows them or `--guided` steers
    /// by them; off by default, as watching costs time.
    pub watch_situations: bool,
}

impl<R: Rig> Clone for Case<R> {
    /// A copy of every part (a rig type need not be `Clone` itself).
    fn clone(&self) -> Self {
        Case {
            spec: self.spec.clone(),
            scenario: self.scenario.clone(),
            design_name: self.design_name.clone(),
            design_shown: self.design_shown.clone(),
            design: self.design.clone(),
            overrides: self.overrides.clone(),
            drawn: self.drawn.clone(),
            text: self.text.clone(),
            workload: self.workload.clone(),
            plan: self.plan.clone(),
            watch_situations: self.watch_situations,
        }
    }
}

/// One seed's result: the judged outcome, the run behind it and its plan.
pub struct SeedRun<F = crate::plan::faults::Fault> {
    /// The judged outcome.
    pub outcome: SeedOutcome,
    /// Everything the run produced.
    pub output: Output,
    /// The faults it ran with.
    pub plan: Plan<F>,
    /// How the system names a copy in `--explain`
    /// ([`System::copy_words`]).
    pub copy_words: CopyWords,
}

/// A system's [`System::copy_words`].
pub type CopyWords = fn(CopyOf<'_>, &[Event]) -> Option<String>;

impl<R: Rig> Case<R> {
    /// The case of the scenario in `source` with `overrides`, under the
    /// design named `design`; an unknown design is an error naming the
    /// system's designs.
    pub fn load(
        source: &Source,
        overrides: &[String],
        design: &str,
    ) -> Result<Self, ScenarioError> {
        Self::load_design(source, overrides, Some(design))
    }

    /// [`Case::load`] under the design `design` names, or (`None`) the
    /// one the scenario runs when none is named ([`Rig::design`]).
    pub fn load_design(
        source: &Source,
        overrides: &[String],
        design: Option<&str>,
    ) -> Result<Self, ScenarioError> {
        let scenario = R::load(source, overrides)?;
        let chosen = R::design(&scenario, design)?;
        Ok(Case {
            spec: source
                .catalogue_name
                .map_or_else(|| source.file.clone(), str::to_string),
            scenario,
            design_name: chosen.name,
            design_shown: chosen.shown,
            design: chosen.design,
            overrides: overrides.to_vec(),
            drawn: Vec::new(),
            text: source.text.clone(),
            workload: None,
            plan: None,
            watch_situations: false,
        })
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        R::about(&self.scenario).name
    }

    /// The fault plan of `seed`: the saved one, or the seed's own (the
    /// same for every design).
    pub fn plan(&self, seed: u64) -> Plan<R::Fault> {
        match &self.plan {
            Some((_, p)) => p.clone(),
            None => R::plan(&self.scenario, &self.design, seed),
        }
    }

    /// The workload of `seed`: the saved one, or the seed's own.
    pub fn workload(&self, seed: u64) -> R::Workload {
        match &self.workload {
            Some(w) => w.clone(),
            None => R::workload(&self.scenario, seed),
        }
    }

    /// Runs and judges `seed` with its plan ([`Case::plan`]).
    pub fn run_seed(&self, seed: u64) -> SeedRun<R::Fault> {
        self.run_plan(seed, self.plan(seed))
    }

    /// Runs and judges `seed` with `plan` (a shrunk one, say).
    pub fn run_plan(&self, seed: u64, plan: Plan<R::Fault>) -> SeedRun<R::Fault> {
        let output = R::run(
            &self.scenario,
            &self.design,
            &plan,
            &self.workload(seed),
            seed,
            self.watch_situations,
        );
        let owner = Owner {
            scenario: self.name(),
            design: &self.design_shown,
            overrides: &self.overrides,
            drawn: &self.drawn,
        };
        let outcome = judged::<R>(&owner, seed, &plan, &output);
        SeedRun {
            outcome,
            output,
            plan,
            copy_words: R::System::copy_words,
        }
    }

    /// Runs every seed in `seeds` (a range, or any list) on `jobs` worker
    /// threads, each seed on a fresh thread of its own, and returns the
    /// outcomes in the order of `seeds`: the same for any number of jobs.
    pub fn sweep(&self, seeds: impl IntoIterator<Item = u64>, jobs: usize) -> Vec<SeedOutcome> {
        sweep_with(seeds, jobs, |seed| self.run_seed(seed).outcome)
    }

    /// Runs every seed of `seeds` (any number, an endless iterator too) on
    /// `jobs` worker threads and hands each outcome to `sink` in the order
    /// of `seeds` as it completes, holding only a bounded window of
    /// outcomes ([`stream_map`]); `stop` ends the sweep after the seeds in
    /// flight.
    pub fn stream(
        &self,
        seeds: impl Iterator<Item = u64> + Send,
        jobs: usize,
        stop: &AtomicBool,
        mut sink: impl FnMut(SeedOutcome) -> ControlFlow<()>,
    ) -> StreamEnd {
        stream_map(
            seeds,
            jobs,
            stop,
            |&seed| self.run_seed(seed).outcome,
            |_, o| sink(o),
        )
    }
}

/// Whose run a seed's outcome is: the scenario, design and overrides
/// (given and drawn) it ran under.
#[derive(Clone, Copy, Debug)]
pub struct Owner<'a> {
    /// The scenario's name.
    pub scenario: &'a str,
    /// What outcomes call the design.
    pub design: &'a str,
    /// The overrides given.
    pub overrides: &'a [String],
    /// The overrides a swarm seed drew.
    pub drawn: &'a [String],
}

/// The judged outcome of seed `seed` of `owner`'s case, run with `plan`
/// into `output`: its verdicts and counts ([`checker::judge`]), and per
/// fault kind how often it fired, was effective, a near miss
/// ([`Rig::near_misses`]) or skipped by a fault atlas, and the
/// situations reached ([`Rig::reached`]).
pub fn judged<R: Rig>(
    owner: &Owner<'_>,
    seed: u64,
    plan: &Plan<R::Fault>,
    output: &Output,
) -> SeedOutcome {
    let judgement = checker::judge(&output.evidence());
    let near = R::near_misses(output);
    let skipped = atlas_skipped(output);
    let mut faults: BTreeMap<String, FaultCount> = BTreeMap::new();
    for f in &plan.faults {
        let c = faults.entry(f.kind.kind_name()).or_default();
        c.fired += u64::from(output.fired.contains(&f.id));
        c.effective += u64::from(output.effective.contains(&f.id));
        c.near_miss += u64::from(near.contains(&f.id));
        c.atlas_skipped += u64::from(skipped.contains(&f.id));
    }
    let situations = R::reached(output, &faults);
    SeedOutcome {
        scenario: owner.scenario.to_string(),
        design: owner.design.to_string(),
        overrides: owner.overrides.to_vec(),
        seed,
        plan_hash: format!("{:016x}", plan.hash()),
        trace_hash: output.trace.hash().to_string(),
        verdicts: judgement.verdicts,
        counts: judgement.counts,
        faults,
        findings: judgement.findings,
        drawn: owner.drawn.to_vec(),
        buggify: output
            .buggify
            .iter()
            .map(|(site, c)| (site.to_string(), (*c).into()))
            .collect(),
        situations,
    }
}

/// The ids of the faults a fault atlas skipped in `output`: each
/// `fault.skipped` event that names the atlas's reason (`atlas`).
fn atlas_skipped(output: &Output) -> BTreeSet<u32> {
    output.faults_named(EngineEvent::FaultSkipped, |e| e.field("atlas").is_some())
}
