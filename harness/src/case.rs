//! One case of a user's system: a scenario, a design and the overrides
//! that made them, run and judged one seed at a time.

use crate::checker;
use crate::near_miss::near_misses;
use crate::rig::{Design, PlanFault, Rig};
use crate::scenario::{ScenarioError, Source};
use crate::situation;
use crate::system::System;
use crate::world::Output;
use sim::lineage::CopyOf;
use sim::outcome::{FaultCount, SeedOutcome};
use sim::plan::Plan;
use sim::trace::Event;
use std::collections::BTreeMap;

/// A scenario under one of the system's designs.
#[derive(Clone, Debug)]
pub struct Case<R: Rig> {
    /// The scenario, overrides applied.
    pub scenario: R::Scenario,
    /// The design's name.
    pub design_name: String,
    /// The design.
    pub design: Design<R>,
    /// The `--set` overrides the user gave.
    pub overrides: Vec<String>,
    /// The overrides a swarm seed drew for itself, applied after
    /// `overrides` ([`crate::swarm`]); empty otherwise.
    pub drawn: Vec<String>,
    /// The scenario's text as read, before the overrides (what a
    /// regression file keeps).
    pub text: String,
}

/// One seed's result: the judged outcome, the run behind it and its plan.
pub struct SeedRun<F = crate::faults::Fault> {
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
        let scenario = R::load(source, overrides)?;
        let designs = R::System::designs();
        let Some((name, d)) = designs.iter().find(|(n, _)| *n == design) else {
            return Err(ScenarioError::UnknownDesign {
                name: design.to_string(),
                presets: designs.iter().map(|(n, _)| n.to_string()).collect(),
            });
        };
        Ok(Case {
            scenario,
            design_name: name.to_string(),
            design: d.clone(),
            overrides: overrides.to_vec(),
            drawn: Vec::new(),
            text: source.text.clone(),
        })
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        R::about(&self.scenario).name
    }

    /// The fault plan of `seed`: the same for every design.
    pub fn plan(&self, seed: u64) -> Plan<R::Fault> {
        R::plan(&self.scenario, &self.design, seed)
    }

    /// Runs and judges `seed` with its own plan.
    pub fn run_seed(&self, seed: u64) -> SeedRun<R::Fault> {
        self.run_plan(seed, self.plan(seed))
    }

    /// Runs and judges `seed` with `plan` (a shrunk one, say).
    pub fn run_plan(&self, seed: u64, plan: Plan<R::Fault>) -> SeedRun<R::Fault> {
        let output = R::run(&self.scenario, &self.design, &plan, seed);
        let judgement = checker::judge(&output.evidence());
        let near = near_misses(&output, R::System::copy_parts);
        let mut faults: BTreeMap<String, FaultCount> = BTreeMap::new();
        for f in &plan.faults {
            let c = faults.entry(f.kind.kind_name()).or_default();
            c.fired += u64::from(output.fired.contains(&f.id));
            c.effective += u64::from(output.effective.contains(&f.id));
            c.near_miss += u64::from(near.contains(&f.id));
        }
        let mut outcome = SeedOutcome {
            scenario: self.name().to_string(),
            design: self.design_name.clone(),
            overrides: self.overrides.clone(),
            seed,
            plan_hash: format!("{:016x}", plan.hash()),
            trace_hash: output.trace.hash().to_string(),
            verdicts: judgement.verdicts,
            counts: judgement.counts,
            faults,
            findings: judgement.findings,
            drawn: self.drawn.clone(),
            buggify: output
                .buggify
                .iter()
                .map(|(site, c)| (site.to_string(), (*c).into()))
                .collect(),
            situations: BTreeMap::new(),
        };
        outcome.situations = situation::reached::<R::System>(&output, &outcome.faults);
        SeedRun {
            outcome,
            output,
            plan,
            copy_words: R::System::copy_words,
        }
    }
}
