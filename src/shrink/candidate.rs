//! What a shrink varies: the explicit plan, the handsets and the workload
//! of a case, and renumbering the handsets it keeps.

use crate::explain::{self};
use crate::runner::Case;
use models::fault::Fault;
use models::record::RecordId;
use models::workload::{HandsetWorkload, Workload};
use sim::plan::Plan;
use std::collections::{BTreeMap, BTreeSet};

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

/// `name` with its handset index renumbered by `map` (`handset-7/flash`
/// to `handset-0/flash`); names of no handset are kept as they are, and
/// names of a handset `map` drops are `None`.
pub(super) fn renumbered_name(name: &str, map: &BTreeMap<u32, u32>) -> Option<String> {
    let Some(h) = explain::handset_of(name) else {
        return Some(name.to_string());
    };
    let rest = &name["handset-".len() + h.to_string().len()..];
    map.get(&h).map(|n| format!("handset-{n}{rest}"))
}

pub(super) fn with_faults(c: &Candidate, ids: &[u32]) -> Candidate {
    let keep: BTreeSet<u32> = ids.iter().copied().collect();
    Candidate {
        plan: c.plan.retain(|f| keep.contains(&f.id)),
        ..c.clone()
    }
}

/// Every (handset, record) with an edit in `w`, in order.
pub(super) fn record_groups(w: &Workload) -> Vec<(u32, RecordId)> {
    let mut out = BTreeSet::new();
    for hw in &w.handsets {
        for e in &hw.edits {
            out.insert((hw.handset, e.record));
        }
    }
    out.into_iter().collect()
}

/// `c` with only the edits of `keep` and of the target record.
pub(super) fn with_records(c: &Candidate, keep: &[(u32, RecordId)], target: &str) -> Candidate {
    let keep: BTreeSet<(u32, RecordId)> = keep.iter().copied().collect();
    let mut out = c.clone();
    for hw in &mut out.workload.handsets {
        let h = hw.handset;
        hw.edits
            .retain(|e| keep.contains(&(h, e.record)) || e.record.to_string() == target);
    }
    out
}

pub(super) fn compose(a: &BTreeMap<u32, u32>, b: &BTreeMap<u32, u32>) -> BTreeMap<u32, u32> {
    a.iter()
        .filter_map(|(k, v)| b.get(v).map(|w| (*k, *w)))
        .collect()
}
