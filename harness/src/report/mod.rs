//! `report`: scenarios × designs over a range of seeds, written as one
//! directory a reviewer reads (`README.md`) and re-plots (`results.json`).
//!
//! The steps: the command line loads every case and checks the output
//! directory before any seed runs; [`run`] sweeps each cell's seeds
//! ([`sweep_cell`]) and, for each cell that broke the promise, shrinks its
//! first failing seed and tells the lineage of its worst record; [`render`]
//! turns that into the files' bytes (a pure function: the same arguments
//! give the same bytes, the provenance line aside); the directory is
//! written atomically through [`crate::cli::output`].

pub mod blame;
pub mod command;
pub mod coverage;
mod json;
mod markdown;
pub mod provenance;
pub mod summary;

use crate::case::{Case, SeedRun};
use crate::rig::PlanFault;
use crate::rig::Rig;
use crate::triage::shrink::Options;
use crate::triage::story::Story;
use crate::triage::trace_filter::Filter;
use blame::Blame;
use sim::outcome::{SeedOutcome, VerdictKind};
use std::collections::BTreeMap;
use std::ops::Range;

/// The file a report's reader opens first.
pub const README_MD: &str = "README.md";
/// Every seed's outcome and each cell's totals, as JSON.
pub const RESULTS_JSON: &str = "results.json";
/// The most seeds a report holds per cell: every seed's outcome is kept.
pub const MAX_SEEDS: u64 = 1_000_000;

/// What the report is of, and how to make it again.
#[derive(Clone, Debug)]
pub struct Config {
    /// The scenarios as given (catalogue names or paths).
    pub scenarios: Vec<String>,
    /// The designs, in the order given.
    pub designs: Vec<String>,
    /// The seeds of every cell.
    pub seeds: Range<u64>,
    /// The `--set` overrides of every scenario.
    pub overrides: Vec<String>,
    /// The command that regenerates the report.
    pub command: String,
    /// How to replay a seed: the binary's invocation (`cargo run --release
    /// -p PACKAGE --`).
    pub invocation: String,
    /// The provenance line (when, by what), or `None` for byte-identical
    /// output.
    pub provenance: Option<String>,
}

/// One seed's result as a report keeps it.
#[derive(Clone, Debug)]
pub struct SeedResult {
    /// The judged outcome.
    pub outcome: SeedOutcome,
    /// Its failing records by what ended their last copies.
    pub blamed: BTreeMap<Blame, u64>,
}

impl SeedResult {
    /// What a report keeps of `run`.
    pub fn of<F: PlanFault>(run: &SeedRun<F>) -> Self {
        SeedResult {
            outcome: run.outcome.clone(),
            blamed: blame::blame_seed(run),
        }
    }
}

/// One scenario under one design over the seeds.
pub struct Cell<R: Rig> {
    /// The scenario as given (a catalogue name or a path).
    pub spec: String,
    /// The case that ran.
    pub case: Case<R>,
    /// Per seed, in seed order.
    pub seeds: Vec<SeedResult>,
    /// The first failing seed, shrunk and told, if any seed failed.
    pub shrunk: Option<Shrunk>,
}

/// A cell's first failing seed, shrunk.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The seed.
    pub seed: u64,
    /// Its failing verdicts before shrinking (`lost 2, liveness 1`).
    pub verdicts: String,
    /// Faults in its plan before and after shrinking.
    pub faults: (usize, usize),
    /// The shrunk run's failing verdicts.
    pub shrunk_verdicts: String,
    /// The shrunk plan's faults, one line each.
    pub plan: Vec<String>,
    /// The story of the shrunk run's worst verdict ([`Rig::stories`]).
    pub lineage: String,
}

/// Runs every seed of `case` in `seeds` on `jobs` threads; the results
/// in seed order, the same for any `jobs`.
pub fn sweep_cell<R: Rig>(case: &Case<R>, seeds: Range<u64>, jobs: usize) -> Vec<SeedResult> {
    let seeds: Vec<u64> = seeds.collect();
    crate::sweep::parallel_map(&seeds, jobs, |&seed| SeedResult::of(&case.run_seed(seed)))
}

/// Sweeps every `(spec, case)` over `seeds` and shrinks the first failing
/// seed of each cell that broke the promise.
pub fn run<R: Rig>(cases: Vec<(String, Case<R>)>, seeds: Range<u64>, jobs: usize) -> Vec<Cell<R>> {
    cases
        .into_iter()
        .map(|(spec, case)| {
            let results = sweep_cell(&case, seeds.clone(), jobs);
            let first = results.iter().find(|r| !r.outcome.kept_promise());
            let shrunk = first.and_then(|r| shrink_seed(&case, &r.outcome));
            Cell {
                spec,
                case,
                seeds: results,
                shrunk,
            }
        })
        .collect()
}

/// The failing seed `failing` (an outcome of `case`) shrunk by the rig
/// ([`Rig::shrink`]), with the story of the verdict it keeps; `None` if
/// the rig could not shrink it.
fn shrink_seed<R: Rig>(case: &Case<R>, failing: &SeedOutcome) -> Option<Shrunk> {
    let seed = failing.seed;
    let verdicts = crate::checker::verdict_summary(failing);
    let small = R::shrink(case, seed, &Options::default(), &mut |_| {}).ok()?;
    let plan = small
        .plan()
        .faults
        .iter()
        .map(|f| format!("fault {} at {}: {} on {}", f.id, f.at, f.kind, f.target))
        .collect();
    let lineage = R::stories(&small.run, &Filter::of_record(small.target.subject.clone()))
        .first()
        .map(Story::to_string)
        .unwrap_or_default();
    let plan_size = small.sizes.first();
    Some(Shrunk {
        seed,
        verdicts,
        faults: plan_size.map_or((0, 0), |z| (z.before, z.after)),
        shrunk_verdicts: crate::checker::verdict_summary(&small.run.outcome),
        plan,
        lineage,
    })
}

/// The report's files by name: `README.md` and `results.json`.
pub fn render<R: Rig>(cells: &[Cell<R>], config: &Config) -> BTreeMap<String, String> {
    BTreeMap::from([
        (README_MD.to_string(), markdown::render(cells, config)),
        (RESULTS_JSON.to_string(), json::render(cells, config)),
    ])
}

/// A cell's totals over its seeds.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    /// Seeds run.
    pub seeds: u64,
    /// Seeds that broke the promise.
    pub failed: u64,
    /// Failing verdicts by kind (records, or places for liveness), over
    /// every seed.
    pub verdicts: BTreeMap<VerdictKind, u64>,
    /// Seeds whose places did not converge during heal.
    pub liveness_seeds: u64,
    /// Failing records by what ended their last copies, and in how many
    /// seeds.
    pub blamed: BTreeMap<Blame, (u64, u64)>,
}

impl<R: Rig> Cell<R> {
    /// The cell's totals.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for r in &self.seeds {
            let o = &r.outcome;
            t.seeds += 1;
            t.failed += u64::from(!o.kept_promise());
            for &k in VerdictKind::ALL {
                *t.verdicts.entry(k).or_default() += o.verdict_count(k);
            }
            t.liveness_seeds += u64::from(o.verdict_count(VerdictKind::Liveness) > 0);
            for (b, n) in &r.blamed {
                let e = t.blamed.entry(b.clone()).or_default();
                e.0 += n;
                e.1 += 1;
            }
        }
        t
    }

    /// The command that replays seed `seed` of this cell.
    pub fn replay(&self, config: &Config, seed: u64) -> String {
        crate::cli::shell::replay_command(
            &config.invocation,
            &self.spec,
            &self.case.design_name,
            seed,
            &self.case.overrides,
        )
    }
}
