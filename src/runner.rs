//! The runner: one case (scenario, design, overrides, optional saved plan)
//! over one seed or a range of seeds, each seed on a fresh thread, with the
//! outcome of each judged by the checker.

use crate::checker;
use crate::planner;
use crate::scenario::Scenario;
use crate::shell::shell_word;
use crate::world::{self, RunOutput};
use models::design::Design;
use models::fault::Fault;
use models::workload::Workload;
use sim::outcome::{FaultCount, SeedOutcome};
use sim::plan::Plan;
use sim::trace::kind;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

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
}

/// One seed's full result: the judged outcome and everything behind it.
pub struct SeedRun {
    /// The judged outcome.
    pub outcome: SeedOutcome,
    /// The plan that ran.
    pub plan: Plan<Fault>,
    /// The trace, ledger and final state.
    pub output: RunOutput,
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

    /// The command that replays `seed` of this case exactly.
    pub fn replay_command(&self, seed: u64) -> String {
        let mut cmd = format!(
            "cargo run --release -- replay {} --seed {seed}",
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
        );
        let judgement = checker::judge(&output);
        let near_misses: BTreeSet<u64> = output
            .trace
            .events()
            .iter()
            .filter(|e| e.kind == kind::FAULT_NEAR_MISS)
            .filter_map(|e| e.field("fault").and_then(sim::trace::Value::as_u64))
            .collect();
        let mut faults: BTreeMap<String, FaultCount> = BTreeMap::new();
        for f in &plan.faults {
            let c = faults.entry(f.kind.name().to_string()).or_default();
            if output.fired.contains(&f.id) {
                c.fired += 1;
            }
            if output.effective.contains(&f.id) {
                c.effective += 1;
            }
            if near_misses.contains(&u64::from(f.id)) {
                c.near_miss += 1;
            }
        }
        let outcome = SeedOutcome {
            scenario: self.scenario.name.clone(),
            design: self.design.name().to_string(),
            overrides: self.overrides.clone(),
            seed,
            plan_hash: format!("{:016x}", plan.hash()),
            trace_hash: output.trace.hash().to_string(),
            verdicts: judgement.verdicts,
            counts: judgement.counts,
            faults,
            findings: judgement.findings,
            drawn: Vec::new(),
        };
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
}

/// Runs `run` for every seed in `seeds` on `jobs` worker threads, each seed
/// on a fresh thread of its own, and returns the outcomes in the order of
/// `seeds`: the same for any number of jobs.
pub fn sweep_with(
    seeds: impl IntoIterator<Item = u64>,
    jobs: usize,
    run: impl Fn(u64) -> SeedOutcome + Sync,
) -> Vec<SeedOutcome> {
    let list: Vec<u64> = seeds.into_iter().collect();
    parallel_map(&list, jobs, |&seed| run(seed))
}

/// Runs `f` over `items` on `jobs` worker threads, each item on a fresh
/// thread of its own (a simulation owns its thread while it runs), and
/// returns the results in item order: the same for any number of jobs.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1).min(items.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else {
                    break;
                };
                let r = std::thread::scope(|inner| {
                    inner
                        .spawn(|| f(item))
                        .join()
                        .expect("a seed's thread never panics: machine panics are caught")
                });
                results.lock().expect("results lock")[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .expect("results lock")
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
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
            s.seeds += 1;
            s.failed += u64::from(!o.kept_promise());
            s.lost += o.verdict_count("lost");
            s.rolled_back += o.verdict_count("rolled-back");
            s.corrupted += o.verdict_count("corrupted");
            s.liveness += o.verdict_count("liveness");
            s.forfeited += o.count("forfeited");
            s.lost_updates += o.verdict_count("lost-update");
            s.resurrected += o.verdict_count("resurrected");
            s.leaked += o.verdict_count("leaked");
            s.not_converged +=
                u64::from(!o.kept_promise() && o.verdicts.iter().all(|v| v.kind == "liveness"));
        }
        s
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
