//! Shrinking a failing seed to what matters. A rig shrinks in its own
//! way ([`crate::rig::Rig::shrink`]); every shrink hands back a
//! [`Shrunk`]: the smaller case, its run, the verdict it keeps and how
//! much smaller it got, which `shrink`, `run --shrink`, `--save` and
//! reports print and keep alike.
//!
//! The harness's own shrink, a [`crate::system::System`]'s
//! ([`shrink_plan`]), works on the plan alone: drop one fault at a time,
//! in plan order, and keep each drop after which the seed still breaks the
//! promise as the target says; repeat until no single drop keeps it
//! failing.

use crate::case::{Case, SeedRun};
use crate::rig::Rig;
use sim::outcome::{Verdict, VerdictKind};
use sim::plan::Plan;
use std::collections::BTreeSet;
use std::fmt;

/// The most runs the harness's shrink takes unless told: a bound, so no
/// plan makes it endless.
pub const MAX_RUNS: usize = 400;

/// What must keep happening while a case shrinks: a verdict of this kind
/// on this subject (a record, or a place for liveness).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    /// The verdict's kind.
    pub kind: VerdictKind,
    /// What it is on.
    pub subject: String,
}

impl Target {
    /// The target of verdict `v`.
    pub fn of(v: &Verdict) -> Target {
        Target {
            kind: v.kind,
            subject: v.subject.clone(),
        }
    }

    /// Whether `verdicts` hold this one.
    pub fn holds(&self, verdicts: &[Verdict]) -> bool {
        verdicts
            .iter()
            .any(|v| v.kind == self.kind && v.subject == self.subject)
    }
}

impl fmt::Display for Target {
    /// `lost u17/contact-3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.subject)
    }
}

/// How to shrink: what `shrink` and `run --shrink` were asked.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Keep this record (or place) failing (default: the rig's choice).
    pub record: Option<String>,
    /// The most runs to spend (default: the rig's); past it the search
    /// stops and the result is not claimed 1-minimal.
    pub max_runs: Option<usize>,
}

/// How big a case is in one respect, before and after shrinking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Size {
    /// What is counted, plural (`faults`, a rig's own: `handsets`).
    pub what: &'static str,
    /// How many the failing seed had.
    pub before: usize,
    /// How many the shrunk case has.
    pub after: usize,
}

/// A failing seed, shrunk.
pub struct Shrunk<R: Rig> {
    /// The smaller case, its plan (and workload, if the rig saves one) set
    /// to what runs: ready to run on `seed`.
    pub case: Case<R>,
    /// The seed.
    pub seed: u64,
    /// The smaller case's run: it still breaks the promise as `target`
    /// says.
    pub run: SeedRun<R::Fault>,
    /// The verdict kept, as the failing seed named it.
    pub original_target: Target,
    /// The verdict kept, as the smaller case names it (a rig that
    /// renumbers what it keeps may name it otherwise).
    pub target: Target,
    /// How much smaller the case got, plan first.
    pub sizes: Vec<Size>,
    /// Runs spent.
    pub runs: usize,
    /// Whether dropping any one fault of the plan was tried and lost the
    /// target (false only if the run budget ran out first).
    pub minimal: bool,
}

/// The verdict a shrink of `run` keeps: the most severe one on `record`,
/// or by default the most severe of the run; an error if the run kept the
/// promise or has no verdict on `record`.
pub fn pick_target<F>(run: &SeedRun<F>, record: Option<&str>) -> Result<Target, String> {
    let verdicts = &run.outcome.verdicts;
    let seed = run.outcome.seed;
    let worst = |on: &dyn Fn(&Verdict) -> bool| {
        verdicts
            .iter()
            .filter(|v| on(v))
            .min_by_key(|v| v.kind)
            .map(Target::of)
    };
    if verdicts.is_empty() {
        return Err(format!("seed {seed} kept the promise: nothing to shrink"));
    }
    match record {
        None => Ok(worst(&|_| true).expect("a verdict")),
        Some(r) => worst(&|v| v.subject == r).ok_or_else(|| {
            let failing: BTreeSet<&str> = verdicts.iter().map(|v| v.subject.as_str()).collect();
            let failing: Vec<&str> = failing.into_iter().collect();
            format!(
                "{r} has no failing verdict in seed {seed}; failing: {}",
                failing.join(", ")
            )
        }),
    }
}

/// The harness's shrink ([`crate::rig::Rig::shrink`]'s default): the
/// failing seed's plan, one fault dropped at a time while the target
/// holds (without `--record`: while the run's worst verdict kind stays
/// the same), until no single drop keeps it; `progress` hears of every
/// kept drop. At most `opts.max_runs` runs ([`MAX_RUNS`] by default).
pub fn shrink_plan<R: Rig>(
    case: &Case<R>,
    seed: u64,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Shrunk<R>, String> {
    let failing = case.run_seed(seed);
    let target = pick_target(&failing, opts.record.as_deref())?;
    let keeps = |run: &SeedRun<R::Fault>| match &opts.record {
        Some(_) => target.holds(&run.outcome.verdicts),
        None => worst_of(run) == Some(target.kind),
    };
    let before = failing.plan.faults.len();
    let max_runs = opts.max_runs.unwrap_or(MAX_RUNS);
    let (mut best, mut runs) = (failing, 0);
    let minimal = 'search: loop {
        let mut dropped = Vec::new();
        let ids: Vec<u32> = best.plan.faults.iter().map(|f| f.id).collect();
        for id in ids {
            if runs >= max_runs {
                break 'search false;
            }
            runs += 1;
            let run = case.run_plan(seed, best.plan.without(id));
            if keeps(&run) {
                best = run;
                dropped.push(id.to_string());
            }
        }
        if dropped.is_empty() {
            break true;
        }
        progress(&format!(
            "faults: {} faults after {runs} runs: dropped faults {}",
            best.plan.faults.len(),
            dropped.join(", ")
        ));
    };
    let mut small = case.clone();
    small.plan = Some(("shrunk plan".into(), best.plan.clone()));
    let kept = match &opts.record {
        Some(_) => target.clone(),
        None => pick_target(&best, None)?,
    };
    Ok(Shrunk {
        case: small,
        seed,
        sizes: vec![Size {
            what: "faults",
            before,
            after: best.plan.faults.len(),
        }],
        run: best,
        original_target: target,
        target: kept,
        runs,
        minimal,
    })
}

/// The most severe verdict of a run, if it broke the promise.
fn worst_of<F>(run: &SeedRun<F>) -> Option<VerdictKind> {
    run.outcome.verdicts.iter().map(|v| v.kind).min()
}

impl<R: Rig> Shrunk<R> {
    /// `25 -> 2 faults, 20 -> 1 handsets`: each size, before and after.
    pub fn sizes_text(&self) -> String {
        let each: Vec<String> = self
            .sizes
            .iter()
            .map(|s| format!("{} -> {} {}", s.before, s.after, s.what))
            .collect();
        each.join(", ")
    }

    /// The plan the smaller case runs.
    pub fn plan(&self) -> &Plan<R::Fault> {
        &self.run.plan
    }
}
