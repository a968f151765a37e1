//! The shrinker's phases, each keeping a change only while the target
//! verdict still holds on a fresh run.

use super::candidate::{compose, record_groups, with_faults, with_records};
use super::ddmin::ddmin;
use super::{run_candidate, Candidate, HandsetTarget, Options, Shrunk, Step, Target};
use crate::explain::{self};
use crate::runner::Case;
use crate::topology;
use models::fault::Fault;
use models::record::RecordId;
use sim::plan::Plan;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

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

/// One shrink under way: the smallest failing candidate so far, the
/// target it keeps, and how its handsets map to the original's.
pub(super) struct Shrinker<'a, 'p> {
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
    pub(super) fn new(
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
    pub(super) fn report(&mut self, phase: &'static str, note: String) {
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
    pub(super) fn lineage(&mut self, lin: &explain::RecordLineage) {
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
    pub(super) fn faults(&mut self) {
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
    pub(super) fn targets(&mut self) {
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
    pub(super) fn move_faults_home(&mut self, home: &BTreeSet<u32>, owner: u32) {
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
    pub(super) fn drop_handsets(&mut self, home: BTreeSet<u32>) {
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
    pub(super) fn workload(&mut self) {
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
    pub(super) fn one_minimal(&mut self) {
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
    pub(super) fn done(mut self) -> Shrunk {
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
