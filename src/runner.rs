//! The runner: one case (scenario, design, overrides, optional saved plan)
//! over one seed or a range of seeds, each seed on a fresh thread, with the
//! outcome of each judged by the checker.

use crate::planner;
use crate::rig::Sidekick;
use crate::scenario::Scenario;
use crate::shell::shell_word;
use crate::world;
use harness::case::{judged, Owner};
use harness::world::Output;
use models::design::Design;
use models::fault::Fault;
use models::workload::Workload;
use sim::outcome::{SeedOutcome, VerdictKind};
use sim::plan::Plan;
use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;

pub use harness::sweep::{
    jobs, parallel_map, stream_map, sweep_with, StreamEnd, MAX_JOBS, WINDOW_PER_JOB,
};

/// What to run: a scenario under a design, with overrides and an optional
/// saved plan that replaces the drawn one.
#[derive(Clone, Debug)]
pub struct Case {
    /// The scenario as given on the command line (catalogue name or path).
    pub spec: String,
    /// The loaded scenario, overrides applied.
    pub scenario: Scenario,
    /// The design name given with `--design`, if any.
    pub design_arg: Option<String>,
    /// The design knobs.
    pub design: Design,
    /// `--set` overrides, in order.
    pub overrides: Vec<String>,
    /// A saved plan to run instead of drawing one, and where it came from.
    pub plan: Option<(String, Plan<Fault>)>,
    /// A saved workload to run instead of drawing one.
    pub workload: Option<Workload>,
    /// Whether runs count the situations coverage reports
    /// ([`crate::situations`]); counting watches every machine step, so
    /// it is on only when asked for (`--coverage`, `--guided`).
    pub situations: bool,
}

/// One seed's full result: the judged outcome and everything behind it.
pub struct SeedRun {
    /// The judged outcome.
    pub outcome: SeedOutcome,
    /// The plan that ran.
    pub plan: Plan<Fault>,
    /// The trace, ledger and final state.
    pub output: Output,
}

impl Case {
    /// The plan for `seed`: the saved one, or one drawn from the seed.
    pub fn plan(&self, seed: u64) -> Plan<Fault> {
        match &self.plan {
            Some((_, p)) => p.clone(),
            None => planner::plan(&self.scenario, seed),
        }
    }

    /// The workload for `seed`: the saved one, or one drawn from the seed.
    pub fn workload(&self, seed: u64) -> Workload {
        match &self.workload {
            Some(w) => w.clone(),
            None => world::draw_workload(&self.scenario, seed),
        }
    }

    /// The command that replays `seed` of this case exactly, as run from
    /// the current directory ([`crate::shell::invocation`]).
    pub fn replay_command(&self, seed: u64) -> String {
        let mut cmd = format!(
            "{} replay {} --seed {seed}",
            crate::shell::invocation(),
            shell_word(&self.spec)
        );
        // The preset, not the knobs' name: `--set design.*` overrides below
        // make a `custom` design from it again.
        let preset = self.scenario.preset_name(self.design_arg.as_deref());
        cmd.push_str(&format!(" --design {preset}"));
        for o in &self.overrides {
            cmd.push_str(&format!(" --set {}", shell_word(o)));
        }
        if let Some((path, _)) = &self.plan {
            cmd.push_str(&format!(" --plan {}", shell_word(path)));
        }
        cmd
    }

    /// Runs and judges one seed, on the calling thread.
    pub fn run_seed(&self, seed: u64) -> SeedRun {
        let plan = self.plan(seed);
        let output = world::run(
            &self.scenario,
            &self.design,
            &plan,
            &self.workload(seed),
            seed,
            self.situations,
        );
        let owner = Owner {
            scenario: &self.scenario.name,
            design: self.design.name(),
            overrides: &self.overrides,
            drawn: &[],
        };
        let outcome = judged::<Sidekick>(&owner, seed, &plan, &output);
        SeedRun {
            outcome,
            plan,
            output,
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
    /// outcomes (see [`stream_map`]); `stop` ends the sweep after the seeds
    /// in flight.
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

/// The totals of a sweep, as the summary line prints them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Seeds run.
    pub seeds: u64,
    /// Seeds that broke the promise.
    pub failed: u64,
    /// Records lost, over all seeds.
    pub lost: u64,
    /// Records rolled back.
    pub rolled_back: u64,
    /// Records corrupted.
    pub corrupted: u64,
    /// Liveness verdicts.
    pub liveness: u64,
    /// Versions forfeited by users' own resets.
    pub forfeited: u64,
    /// Records with an acknowledged edit discarded for another writer's.
    pub lost_updates: u64,
    /// Records served again after their deletion was acknowledged.
    pub resurrected: u64,
    /// Records (or versions) served to a user who does not own them.
    pub leaked: u64,
    /// Seeds whose only failure is that sync did not converge in the heal
    /// bound (no record lost, rolled back, corrupted or leaked).
    pub not_converged: u64,
}

impl Summary {
    /// Totals over `outcomes`.
    pub fn of(outcomes: &[SeedOutcome]) -> Self {
        let mut s = Summary::default();
        for o in outcomes {
            s.add(o);
        }
        s
    }

    /// Adds one seed's outcome to the totals (a running summary: a sweep
    /// of any length keeps only this).
    pub fn add(&mut self, o: &SeedOutcome) {
        self.seeds += 1;
        self.failed += u64::from(!o.kept_promise());
        self.lost += o.verdict_count(VerdictKind::Lost);
        self.rolled_back += o.verdict_count(VerdictKind::RolledBack);
        self.corrupted += o.verdict_count(VerdictKind::Corrupted);
        self.liveness += o.verdict_count(VerdictKind::Liveness);
        self.forfeited += o.count("forfeited");
        self.lost_updates += o.verdict_count(VerdictKind::LostUpdate);
        self.resurrected += o.verdict_count(VerdictKind::Resurrected);
        self.leaked += o.verdict_count(VerdictKind::Leaked);
        self.not_converged += u64::from(
            !o.kept_promise() && o.verdicts.iter().all(|v| v.kind == VerdictKind::Liveness),
        );
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seeds: {}, failed: {}, records lost: {}, rolled back: {}, corrupted: {}, liveness: {}, forfeited: {}",
            self.seeds, self.failed, self.lost, self.rolled_back, self.corrupted, self.liveness, self.forfeited
        )?;
        // Two-writer verdicts are printed only when some seed has them, so
        // single-writer scenarios keep their summary line.
        if self.lost_updates + self.resurrected > 0 {
            write!(
                f,
                ", lost updates: {}, resurrected: {}",
                self.lost_updates, self.resurrected
            )?;
        }
        // So are leaks, and seeds that failed on liveness alone.
        if self.leaked > 0 {
            write!(f, ", leaked: {}", self.leaked)?;
        }
        if self.not_converged > 0 {
            write!(f, ", only not converged: {} seeds", self.not_converged)?;
        }
        Ok(())
    }
}
