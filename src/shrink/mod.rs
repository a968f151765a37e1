//! Shrinking a failing run to the few faults that matter.
//!
//! The shrinker takes a failing seed of a case and reduces what the run is
//! made of (its explicit fault plan, its topology and its workload) while
//! one predicate keeps holding: *the same verdict kind on the same record*
//! ([`Target`]). It works in phases, each keeping a change only if the
//! predicate still holds on a fresh run:
//!
//! 1. **lineage**: keep only the faults that ended a copy of the target
//!    record, and only the handsets its copies lived on (its owner); wider
//!    sets are tried in turn if that is not enough.
//! 2. **faults**: delta debugging (ddmin) over the remaining faults.
//! 3. **targets**: move handset faults off handsets outside the lineage
//!    onto the record's owner, then drop every handset that no lineage and
//!    no fault needs.
//! 4. **workload**: ddmin over the other records' edits, so the case only
//!    writes what the failure needs.
//! 5. **1-minimal**: drop single faults until none can be dropped.
//!
//! Handsets are addressed by index (`handset-3`, record owner 3, writer 3).
//! Dropping handsets renumbers the kept ones to `0..n` in their original
//! order, rewriting plan targets, workload entries, record owners and
//! version writers together, and the target record with them
//! ([`Shrunk::handsets`] gives the mapping). Fault ids never change.
//!
//! Promises: the result still fails with the target verdict; unless the run
//! budget ran out ([`Shrunk::minimal`]), dropping any single fault of its
//! plan makes the predicate false; the same input always shrinks to the
//! same output (every run is deterministic and the search order is fixed).
//! Each run happens on a fresh thread, as in a sweep. Nothing here prints:
//! progress goes to a callback.
//!
//! The candidate case and its renumbering are in `candidate.rs`, delta
//! debugging in `ddmin.rs`, the phases in `phases.rs`.

mod candidate;
mod ddmin;
mod phases;

use candidate::renumbered_name;
pub use candidate::Candidate;
pub use ddmin::ddmin;
use phases::Shrinker;

use crate::explain::{self, RECORD_VERDICTS};
use crate::runner::{Case, SeedRun};
use models::record::RecordId;
use sim::outcome::Verdict;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What must keep happening: a verdict kind on a subject (a record, or a
/// handset for `liveness`): the harness's.
pub use harness::triage::shrink::Target;

/// What the Sidekick reads of a target: the handset its subject belongs
/// to, and the target as a shrink that renumbers handsets names it.
pub trait HandsetTarget {
    /// The target with its handset renumbered by `map` (old index to
    /// new), or `None` if its handset is not kept.
    fn renumbered(&self, map: &BTreeMap<u32, u32>) -> Option<Target>;

    /// The handset the subject belongs to (a record's owner).
    fn handset(&self) -> Option<u32>;
}

impl HandsetTarget for Target {
    fn renumbered(&self, map: &BTreeMap<u32, u32>) -> Option<Target> {
        let subject = match self.subject.parse::<RecordId>() {
            Ok(mut r) => {
                r.owner = *map.get(&r.owner)?;
                r.to_string()
            }
            Err(_) => renumbered_name(&self.subject, map)?,
        };
        Some(Target {
            kind: self.kind,
            subject,
        })
    }

    fn handset(&self) -> Option<u32> {
        match self.subject.parse::<RecordId>() {
            Ok(r) => Some(r.owner),
            Err(_) => explain::handset_of(&self.subject),
        }
    }
}

/// How to shrink.
#[derive(Clone, Debug)]
pub struct Options {
    /// The record to keep failing (default: the first failing record whose
    /// last copy was on the server side, else the first failing record,
    /// else the first verdict).
    pub record: Option<String>,
    /// The most runs to spend; past it the search stops and the result is
    /// not claimed 1-minimal.
    pub max_runs: usize,
    /// Whether to drop and renumber handsets.
    pub topology: bool,
    /// Whether to drop other records' edits from the workload.
    pub workload: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            record: None,
            max_runs: 2_000,
            topology: true,
            workload: true,
        }
    }
}

/// One progress report: where the search stands after a phase or a kept
/// change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The phase (`start`, `lineage`, `faults`, `targets`, `workload`,
    /// `1-minimal`, `done`).
    pub phase: &'static str,
    /// Faults in the current plan.
    pub faults: usize,
    /// Handsets in the current topology.
    pub handsets: u32,
    /// Edits in the current workload.
    pub edits: usize,
    /// Runs so far.
    pub runs: usize,
    /// What changed, in words.
    pub note: String,
}

impl fmt::Display for Step {
    /// `faults: 3 faults, 1 handsets, 24 edits after 12 runs: dropped fault 7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<9} {} faults, {} handsets, {} edits after {} runs",
            self.phase, self.faults, self.handsets, self.edits, self.runs
        )?;
        if !self.note.is_empty() {
            write!(f, ": {}", self.note)?;
        }
        Ok(())
    }
}

/// Why a run could not be shrunk.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShrinkError {
    /// The seed kept the promise: there is no failure to keep.
    #[error("seed {seed} kept the promise: nothing to shrink")]
    Kept {
        /// The seed.
        seed: u64,
    },
    /// `--record` named a record with no failing verdict in this run.
    #[error("record {record} has no failing verdict in seed {seed}; failing: {failing}")]
    NoSuchRecord {
        /// The record asked for.
        record: String,
        /// The seed.
        seed: u64,
        /// The failing subjects, comma separated.
        failing: String,
    },
}

/// The result of shrinking.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The seed (madsim's draws) the case runs with.
    pub seed: u64,
    /// The target as the original run named it.
    pub original_target: Target,
    /// The target in the shrunk case's numbering.
    pub target: Target,
    /// The original run's size.
    pub original: Candidate,
    /// The shrunk topology, plan and workload.
    pub shrunk: Candidate,
    /// Original handset index to shrunk index, for every kept handset.
    pub handsets: BTreeMap<u32, u32>,
    /// The shrunk case, ready to run on `seed`.
    pub case: Case,
    /// Runs spent.
    pub runs: usize,
    /// Whether the plan was verified 1-minimal (false only if the run
    /// budget ran out).
    pub minimal: bool,
}

/// Runs `candidate` of `case` on `seed`, on a fresh thread.
pub fn run_candidate(case: &Case, candidate: &Candidate, seed: u64) -> SeedRun {
    let case = candidate.apply(case);
    std::thread::scope(|s| {
        s.spawn(|| case.run_seed(seed))
            .join()
            .expect("a seed's thread never panics: machine panics are caught")
    })
}

/// Picks the target of a failing run (see [`Options::record`]).
pub fn pick_target(run: &SeedRun, record: Option<&str>) -> Result<Target, ShrinkError> {
    let verdicts = &run.outcome.verdicts;
    let seed = run.outcome.seed;
    if verdicts.is_empty() {
        return Err(ShrinkError::Kept { seed });
    }
    let as_target = |v: &Verdict| Target {
        kind: v.kind,
        subject: v.subject.clone(),
    };
    if let Some(r) = record {
        // The most severe verdict on it: verdicts are sorted, kinds most
        // severe first within the checker's list.
        return verdicts
            .iter()
            .find(|v| v.subject == r)
            .map(as_target)
            .ok_or_else(|| ShrinkError::NoSuchRecord {
                record: r.to_string(),
                seed,
                failing: verdicts
                    .iter()
                    .map(|v| v.subject.as_str())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", "),
            });
    }
    let records: Vec<&Verdict> = verdicts
        .iter()
        .filter(|v| RECORD_VERDICTS.contains(&v.kind))
        .collect();
    let server_side = records
        .iter()
        .find(|v| explain::lineage(&run.output, &v.subject).last_copy_on_server_side());
    Ok(as_target(
        server_side
            .or(records.first())
            .copied()
            .unwrap_or(&verdicts[0]),
    ))
}

/// Shrinks the failing run of `case` on `seed`. `progress` hears of every
/// phase and every kept change.
pub fn shrink(
    case: &Case,
    seed: u64,
    opts: &Options,
    progress: &mut dyn FnMut(&Step),
) -> Result<Shrunk, ShrinkError> {
    let original = Candidate {
        handsets: case.scenario.topology.handsets,
        plan: case.plan(seed),
        workload: case.workload(seed),
    };
    let first = run_candidate(case, &original, seed);
    let original_target = pick_target(&first, opts.record.as_deref())?;
    let lin = match original_target.subject.parse::<RecordId>() {
        Ok(_) => explain::lineage(&first.output, &original_target.subject),
        Err(_) => explain::RecordLineage::default(),
    };
    drop(first);
    let mut s = Shrinker::new(case, seed, opts, original, original_target, progress);
    s.lineage(&lin);
    s.faults();
    if opts.topology {
        s.targets();
    }
    if opts.workload {
        s.workload();
    }
    s.one_minimal();
    Ok(s.done())
}
