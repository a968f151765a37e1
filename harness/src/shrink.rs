//! Shrinking a failing seed's plan to the faults that matter: drop one
//! fault at a time, in plan order, and keep each drop after which the seed
//! still breaks the promise with the same worst verdict; repeat until no
//! single drop keeps it failing.

use crate::case::{Case, SeedRun};
use crate::rig::Rig;
use sim::outcome::VerdictKind;
use sim::plan::Plan;

/// The most runs one shrink may take: a bound, so no plan makes it endless.
const MAX_RUNS: usize = 400;

/// The smallest plan found on which `seed` still fails as `failing` does
/// (same worst verdict kind), and the run of it. `failing` must have
/// broken the promise.
pub fn shrink<R: Rig>(case: &Case<R>, seed: u64, failing: SeedRun<R::Fault>) -> SeedRun<R::Fault> {
    let Some(worst) = worst_of(&failing) else {
        return failing;
    };
    let mut best = failing;
    let mut runs = 0;
    loop {
        let mut dropped = false;
        let ids: Vec<u32> = best.plan.faults.iter().map(|f| f.id).collect();
        for id in ids {
            if runs >= MAX_RUNS {
                return best;
            }
            let candidate: Plan<R::Fault> = best.plan.without(id);
            runs += 1;
            let run = case.run_plan(seed, candidate);
            if worst_of(&run) == Some(worst) {
                best = run;
                dropped = true;
            }
        }
        if !dropped {
            return best;
        }
    }
}

/// The most severe verdict of a run, if it broke the promise.
fn worst_of<F>(run: &SeedRun<F>) -> Option<VerdictKind> {
    run.outcome.verdicts.iter().map(|v| v.kind).min()
}
