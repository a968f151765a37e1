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

use crate::explain::{self, RECORD_VERDICTS};
use crate::runner::{Case, SeedRun};
use crate::topology;
use models::fault::Fault;
use models::record::RecordId;
use models::workload::{HandsetWorkload, Workload};
use sim::outcome::{Verdict, VerdictKind};
use sim::plan::Plan;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::hash::{Hash, Hasher};

/// What must keep happening: a verdict kind on a subject (a record, or a
/// handset for `liveness`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    /// The verdict kind.
    pub kind: VerdictKind,
    /// The record (`u17/contact-3`) or, for liveness, the handset.
    pub subject: String,
}

impl Target {
    /// Whether `verdicts` contain this verdict.
    pub fn holds(&self, verdicts: &[Verdict]) -> bool {
        verdicts
            .iter()
            .any(|v| v.kind == self.kind && v.subject == self.subject)
    }

    /// The target with its handset renumbered by `map` (old index to new),
    /// or `None` if its handset is not kept.
    pub fn renumbered(&self, map: &BTreeMap<u32, u32>) -> Option<Target> {
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

    /// The handset the subject belongs to (a record's owner).
    pub fn handset(&self) -> Option<u32> {
        match self.subject.parse::<RecordId>() {
            Ok(r) => Some(r.owner),
            Err(_) => explain::handset_of(&self.subject),
        }
    }
}

impl fmt::Display for Target {
    /// `lost u17/contact-3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.subject)
    }
}

/// What the shrinker varies: the topology's handset count, the plan and
/// the workload. Everything else of the case stays as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// `topology.handsets`.
    pub handsets: u32,
    /// The explicit fault plan.
    pub plan: Plan<Fault>,
    /// The explicit workload.
    pub workload: Workload,
}

impl Candidate {
    /// The edits in the workload, over every handset.
    pub fn edits(&self) -> usize {
        self.workload.handsets.iter().map(|h| h.edits.len()).sum()
    }

    /// `case` with this candidate's topology, plan and workload.
    pub fn apply(&self, case: &Case) -> Case {
        let mut c = case.clone();
        c.scenario.topology.handsets = self.handsets;
        c.plan = Some(("shrunk plan".into(), self.plan.clone()));
        c.workload = Some(self.workload.clone());
        c
    }

    /// Keeps handsets `keep` (old indices, any order), renumbered `0..n` in
    /// increasing old order; faults on other handsets are dropped. Returns
    /// the candidate and the map from old index to new.
    pub fn restrict(&self, keep: &BTreeSet<u32>) -> (Candidate, BTreeMap<u32, u32>) {
        let map: BTreeMap<u32, u32> = keep
            .iter()
            .enumerate()
            .map(|(i, h)| (*h, i as u32))
            .collect();
        let plan = Plan::new(
            self.plan
                .faults
                .iter()
                .filter_map(|f| {
                    let mut f = f.clone();
                    f.target = renumbered_name(&f.target, &map)?;
                    Some(f)
                })
                .collect(),
        );
        let mut handsets: Vec<HandsetWorkload> = self
            .workload
            .handsets
            .iter()
            .filter_map(|hw| {
                let n = *map.get(&hw.handset)?;
                let edits = hw
                    .edits
                    .iter()
                    .filter(|e| {
                        map.contains_key(&e.record.owner) && map.contains_key(&e.version.writer)
                    })
                    .map(|e| {
                        let mut e = *e;
                        e.record.owner = map[&e.record.owner];
                        e.version.writer = map[&e.version.writer];
                        e
                    })
                    .collect();
                Some(HandsetWorkload { handset: n, edits })
            })
            .collect();
        handsets.sort_by_key(|h| h.handset);
        (
            Candidate {
                handsets: map.len() as u32,
                plan,
                // Renumbering keeps handset workloads only: portal writer
                // ids follow the handset count, so portal edits are dropped.
                workload: Workload {
                    handsets,
                    portals: Vec::new(),
                },
            },
            map,
        )
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

/// Memoized predicate runs with a budget.
struct Oracle<'a> {
    case: &'a Case,
    seed: u64,

    cache: BTreeMap<(Target, u32, u64, u64), bool>,
    runs: usize,
    max_runs: usize,
    exhausted: bool,
}

impl Oracle<'_> {
    fn holds(&mut self, c: &Candidate, target: &Target) -> bool {
        let mut h = std::hash::DefaultHasher::new();
        serde_json::to_string(&c.workload)
            .expect("workloads always serialize")
            .hash(&mut h);
        let key = (target.clone(), c.handsets, c.plan.hash(), h.finish());
        if let Some(&v) = self.cache.get(&key) {
            return v;
        }
        if self.runs >= self.max_runs {
            self.exhausted = true;
            return false;
        }
        self.runs += 1;
        let v = target.holds(&run_candidate(self.case, c, self.seed).outcome.verdicts);
        self.cache.insert(key, v);
        v
    }
}

/// Zeller's ddmin: a subset of `items` on which `test` holds, from which
/// no single item can be removed (while `test` answers). `test(items)` is
/// assumed to hold. The order of tries is fixed, so the result is too.
pub fn ddmin<T: Clone>(items: &[T], mut test: impl FnMut(&[T]) -> bool) -> Vec<T> {
    if test(&[]) {
        return Vec::new();
    }
    let mut c: Vec<T> = items.to_vec();
    let mut n = 2usize;
    while c.len() >= 2 {
        let chunks = split(&c, n);
        if let Some(ch) = chunks.iter().find(|ch| test(ch)) {
            c = ch.clone();
            n = 2;
            continue;
        }
        if n > 2 {
            let found = (0..chunks.len()).find_map(|i| {
                let comp: Vec<T> = chunks
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, ch)| ch.iter().cloned())
                    .collect();
                test(&comp).then_some(comp)
            });
            if let Some(comp) = found {
                c = comp;
                n = (n - 1).max(2);
                continue;
            }
        }
        if n >= c.len() {
            break;
        }
        n = (n * 2).min(c.len());
    }
    c
}

/// `c` in `n` contiguous chunks as even as possible.
fn split<T: Clone>(c: &[T], n: usize) -> Vec<Vec<T>> {
    let n = n.min(c.len()).max(1);
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for i in 0..n {
        let end = start + (c.len() - start) / (n - i);
        out.push(c[start..end].to_vec());
        start = end;
    }
    out
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

/// One shrink under way: the smallest failing candidate so far, the
/// target it keeps, and how its handsets map to the original's.
struct Shrinker<'a, 'p> {
    oracle: Oracle<'a>,
    progress: &'p mut dyn FnMut(&Step),
    original: Candidate,
    original_target: Target,
    current: Candidate,
    target: Target,
    /// Original handset index to current handset index.
    map: BTreeMap<u32, u32>,
    /// The handsets the record's copies lived on, and its owner's
    /// (original indices).
    lineage_handsets: BTreeSet<u32>,
    /// Whether the shrink may change the topology ([`Options::topology`]).
    topology: bool,
}

impl<'a, 'p> Shrinker<'a, 'p> {
    fn new(
        case: &'a Case,
        seed: u64,
        opts: &Options,
        original: Candidate,
        original_target: Target,
        progress: &'p mut dyn FnMut(&Step),
    ) -> Self {
        let oracle = Oracle {
            case,
            seed,
            cache: BTreeMap::new(),
            runs: 1,
            max_runs: opts.max_runs.max(1),
            exhausted: false,
        };
        let map = (0..original.handsets).map(|h| (h, h)).collect();
        let mut s = Shrinker {
            oracle,
            progress,
            current: original.clone(),
            target: original_target.clone(),
            original,
            original_target,
            map,
            lineage_handsets: BTreeSet::new(),
            topology: opts.topology,
        };
        let note = format!("keeping `{}`", s.original_target);
        s.report("start", note);
        s
    }

    /// Tells `progress` of a phase's step on the current candidate.
    fn report(&mut self, phase: &'static str, note: String) {
        (self.progress)(&Step {
            phase,
            faults: self.current.plan.faults.len(),
            handsets: self.current.handsets,
            edits: self.current.edits(),
            runs: self.oracle.runs,
            note,
        });
    }

    /// Phase 1, lineage: the faults that touched the record's copies, on the
    /// handsets its copies lived on; wider sets if that is not enough.
    fn lineage(&mut self, lin: &explain::RecordLineage) {
        let original = self.original.clone();
        self.lineage_handsets = lin.handsets.clone();
        self.lineage_handsets.extend(self.original_target.handset());
        let lineage_nodes: BTreeSet<String> = lin
            .nodes
            .iter()
            .chain(lin.stores.iter())
            .flat_map(|s| [s.clone(), s.split('/').next().unwrap_or(s).to_string()])
            .chain(self.lineage_handsets.iter().map(|h| topology::handset(*h)))
            .chain([topology::SERVER.to_string()])
            .collect();
        let all_handsets: BTreeSet<u32> = (0..original.handsets).collect();
        let touched = &lin.faults;
        let near = |f: &sim::plan::PlannedFault<Fault>| {
            touched.contains(&f.id) || lineage_nodes.contains(&f.target)
        };
        let keep_handsets = if self.topology {
            self.lineage_handsets.clone()
        } else {
            all_handsets.clone()
        };
        let tries: Vec<(&str, Plan<Fault>, &BTreeSet<u32>)> = vec![
            (
                "faults that ended a copy of the record",
                original.plan.retain(|f| touched.contains(&f.id)),
                &keep_handsets,
            ),
            (
                "faults on the nodes of its lineage",
                original.plan.retain(near),
                &keep_handsets,
            ),
            (
                "every fault of the lineage's handsets",
                original.plan.clone(),
                &keep_handsets,
            ),
            ("the whole run", original.plan.clone(), &all_handsets),
        ];
        let mut seen: BTreeSet<(u64, Vec<u32>)> = BTreeSet::new();
        for (what, plan, handsets) in tries {
            let with_plan = Candidate {
                plan,
                ..original.clone()
            };
            let (cand, m) = with_plan.restrict(handsets);
            let key = (cand.plan.hash(), handsets.iter().copied().collect());
            if !seen.insert(key) {
                continue;
            }
            let Some(t) = self.original_target.renumbered(&m) else {
                continue;
            };
            if cand == original || self.oracle.holds(&cand, &t) {
                self.current = cand;
                self.map = m;
                self.target = t;
                let note = format!("kept {what}{}", renumber_note(&self.map, original.handsets));
                self.report("lineage", note);
                break;
            }
        }
    }

    /// Phase 2, faults: ddmin over what is left.
    fn faults(&mut self) {
        let ids: Vec<u32> = self.current.plan.faults.iter().map(|f| f.id).collect();
        let kept = {
            let (cur, t, oracle) = (&self.current, &self.target, &mut self.oracle);
            ddmin(&ids, |sub| oracle.holds(&with_faults(cur, sub), t))
        };
        self.current = with_faults(&self.current, &kept);
        self.report("faults", format!("kept faults {}", id_list(&kept)));
    }

    /// Phase 3, simpler targets (faults moved onto the record's own handset),
    /// then a smaller topology.
    fn targets(&mut self) {
        let home: BTreeSet<u32> = self
            .lineage_handsets
            .iter()
            .filter_map(|h| self.map.get(h).copied())
            .collect();
        if let Some(&owner) = self.target.handset().as_ref().or(home.iter().next()) {
            self.move_faults_home(&home, owner);
        }
        self.drop_handsets(home);
    }

    /// Moves each fault on a handset outside `home` onto `owner`, where
    /// the failure still holds.
    fn move_faults_home(&mut self, home: &BTreeSet<u32>, owner: u32) {
        for i in 0..self.current.plan.faults.len() {
            let f = &self.current.plan.faults[i];
            let Some(h) = explain::handset_of(&f.target) else {
                continue;
            };
            if home.contains(&h) {
                continue;
            }
            let id = f.id;
            let mut c = self.current.clone();
            c.plan.faults[i].target = topology::handset(owner);
            c.plan = Plan::new(c.plan.faults);
            if self.oracle.holds(&c, &self.target) {
                self.current = c;
                let note = format!(
                    "fault {id} moved from {} to {}",
                    topology::handset(h),
                    topology::handset(owner)
                );
                self.report("targets", note);
            }
        }
    }

    /// Drops every handset neither `home`, the target's, nor a fault's.
    fn drop_handsets(&mut self, home: BTreeSet<u32>) {
        let mut needed = home;
        needed.extend(self.target.handset());
        needed.extend(
            self.current
                .plan
                .faults
                .iter()
                .filter_map(|f| explain::handset_of(&f.target)),
        );
        if needed.len() >= self.current.handsets as usize {
            return;
        }
        let (c, m) = self.current.restrict(&needed);
        let Some(t) = self.target.renumbered(&m) else {
            return;
        };
        if self.oracle.holds(&c, &t) {
            let note = format!(
                "dropped handsets{}",
                renumber_note(&m, self.current.handsets)
            );
            self.map = compose(&self.map, &m);
            self.current = c;
            self.target = t;
            self.report("targets", note);
        }
    }

    /// Phase 4, workload: only the edits the failure needs.
    fn workload(&mut self) {
        let subject = self.target.subject.clone();
        let groups: Vec<(u32, RecordId)> = record_groups(&self.current.workload)
            .into_iter()
            .filter(|(_, r)| r.to_string() != subject)
            .collect();
        let before = self.current.edits();
        let kept = {
            let (cur, t, oracle) = (&self.current, &self.target, &mut self.oracle);
            ddmin(&groups, |sub| {
                oracle.holds(&with_records(cur, sub, &t.subject), t)
            })
        };
        self.current = with_records(&self.current, &kept, &subject);
        let note = format!(
            "dropped {} of {before} edits",
            before - self.current.edits()
        );
        self.report("workload", note);
    }

    /// Phase 5, 1-minimal: no single fault can go.
    fn one_minimal(&mut self) {
        'outer: loop {
            for f in &self.current.plan.faults {
                let c = Candidate {
                    plan: self.current.plan.without(f.id),
                    ..self.current.clone()
                };
                if self.oracle.holds(&c, &self.target) {
                    let id = f.id;
                    self.current = c;
                    self.report("1-minimal", format!("dropped fault {id}"));
                    continue 'outer;
                }
            }
            break;
        }
    }

    /// The result, reported as `done`.
    fn done(mut self) -> Shrunk {
        let note = format!(
            "`{}` still fails{}",
            self.target,
            if self.oracle.exhausted {
                "; the run budget ran out, so the plan may not be 1-minimal"
            } else {
                "; dropping any one fault makes it pass"
            }
        );
        self.report("done", note);
        Shrunk {
            seed: self.oracle.seed,
            original_target: self.original_target,
            target: self.target,
            case: self.current.apply(self.oracle.case),
            original: self.original,
            shrunk: self.current,
            handsets: self.map,
            runs: self.oracle.runs,
            minimal: !self.oracle.exhausted,
        }
    }
}

/// `name` with its handset index renumbered by `map` (`handset-7/flash`
/// to `handset-0/flash`); names of no handset are kept as they are, and
/// names of a handset `map` drops are `None`.
fn renumbered_name(name: &str, map: &BTreeMap<u32, u32>) -> Option<String> {
    let Some(h) = explain::handset_of(name) else {
        return Some(name.to_string());
    };
    let rest = &name["handset-".len() + h.to_string().len()..];
    map.get(&h).map(|n| format!("handset-{n}{rest}"))
}

fn with_faults(c: &Candidate, ids: &[u32]) -> Candidate {
    let keep: BTreeSet<u32> = ids.iter().copied().collect();
    Candidate {
        plan: c.plan.retain(|f| keep.contains(&f.id)),
        ..c.clone()
    }
}

/// Every (handset, record) with an edit in `w`, in order.
fn record_groups(w: &Workload) -> Vec<(u32, RecordId)> {
    let mut out = BTreeSet::new();
    for hw in &w.handsets {
        for e in &hw.edits {
            out.insert((hw.handset, e.record));
        }
    }
    out.into_iter().collect()
}

/// `c` with only the edits of `keep` and of the target record.
fn with_records(c: &Candidate, keep: &[(u32, RecordId)], target: &str) -> Candidate {
    let keep: BTreeSet<(u32, RecordId)> = keep.iter().copied().collect();
    let mut out = c.clone();
    for hw in &mut out.workload.handsets {
        let h = hw.handset;
        hw.edits
            .retain(|e| keep.contains(&(h, e.record)) || e.record.to_string() == target);
    }
    out
}

fn compose(a: &BTreeMap<u32, u32>, b: &BTreeMap<u32, u32>) -> BTreeMap<u32, u32> {
    a.iter()
        .filter_map(|(k, v)| b.get(v).map(|w| (*k, *w)))
        .collect()
}

fn renumber_note(m: &BTreeMap<u32, u32>, before: u32) -> String {
    if m.len() as u32 == before && m.iter().all(|(a, b)| a == b) {
        return String::new();
    }
    let moved: Vec<String> = m
        .iter()
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("handset-{a} is now handset-{b}"))
        .collect();
    let mut s = format!("; {} of {before} handsets kept", m.len());
    if !moved.is_empty() {
        s.push_str(&format!(" ({})", moved.join(", ")));
    }
    s
}

fn id_list(ids: &[u32]) -> String {
    if ids.is_empty() {
        return "none".into();
    }
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddmin_finds_a_one_minimal_subset() {
        // Fails when both 3 and 7 are present.
        let items: Vec<u32> = (0..12).collect();
        let got = ddmin(&items, |s| s.contains(&3) && s.contains(&7));
        assert_eq!(got, vec![3, 7]);
        let none = ddmin(&items, |_| true);
        assert!(none.is_empty());
    }

    #[test]
    fn split_covers_everything_in_order() {
        let c: Vec<u32> = (0..7).collect();
        let parts = split(&c, 3);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), c);
    }
}
