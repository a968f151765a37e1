//! Near misses, read from a run's output alone: a fault that fired while
//! the node it struck held every live copy of some record's latest
//! acknowledged version. The record was down to its last copies there,
//! whether or not the design then saved it; counting these shows that a
//! design's recovery paths were exercised, not only that nothing was lost.
//!
//! The trace's copy events (`copy.created`, `copy.ended`) say which copies
//! were live on which store when each `fault.fired` event came; a store
//! belongs to the node that created copies on it; the ledger says which
//! versions were acknowledged (told saved or synced, not forfeited) by
//! then. A storage fault on one disk counts every store of the disk's
//! node: the trace does not say which disk a store is on.

use crate::world::Output;
use sim::ledger::{Entry, Ledger};
use sim::record::{RecordId, VersionId};
use sim::time::SimTime;
use sim::trace::EngineEvent;
use std::collections::{BTreeMap, BTreeSet};

/// A (record, version) as the trace names it.
type Copy = (String, String);

/// The ids of the run's faults that were near misses, in id order.
pub fn near_misses(output: &Output) -> BTreeSet<u32> {
    let acked = Acknowledged::of(&output.ledger);
    let mut live = Live::default();
    let mut out = BTreeSet::new();
    for e in output.trace.events() {
        let copy = || -> Option<(&str, Copy)> {
            let (store, record, version) = (e.str("store")?, e.str("record")?, e.str("version")?);
            Some((store, (record.to_string(), version.to_string())))
        };
        match e.kind.engine() {
            Some(EngineEvent::CopyCreated) => {
                if let Some((store, c)) = copy() {
                    live.created(&e.node, store, c);
                }
            }
            Some(EngineEvent::CopyEnded) => {
                if let Some((store, c)) = copy() {
                    live.ended(store, &c);
                }
            }
            Some(EngineEvent::FaultFired) => {
                let fault = e.field("fault").and_then(|f| f.as_u64());
                if let Some(id) = fault.and_then(|f| u32::try_from(f).ok()) {
                    if live.last_copies_on(&e.node, |c| acked.is_latest(c, e.at)) {
                        out.insert(id);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The live copies as the trace has told them so far.
#[derive(Default)]
struct Live {
    /// store -> the node that created copies on it.
    node_of: BTreeMap<String, String>,
    /// store -> copies live on it.
    on: BTreeMap<String, BTreeSet<Copy>>,
    /// copy -> how many stores hold it.
    count: BTreeMap<Copy, u32>,
}

impl Live {
    fn created(&mut self, node: &str, store: &str, c: Copy) {
        self.node_of
            .entry(store.to_string())
            .or_insert_with(|| node.to_string());
        if self
            .on
            .entry(store.to_string())
            .or_default()
            .insert(c.clone())
        {
            *self.count.entry(c).or_default() += 1;
        }
    }

    fn ended(&mut self, store: &str, c: &Copy) {
        if self.on.get_mut(store).is_some_and(|s| s.remove(c)) {
            if let Some(n) = self.count.get_mut(c) {
                *n -= 1;
            }
        }
    }

    /// Whether the stores of `node` hold every live copy of some copy
    /// `latest` accepts.
    fn last_copies_on(&self, node: &str, latest: impl Fn(&Copy) -> bool) -> bool {
        let mut here: BTreeMap<&Copy, u32> = BTreeMap::new();
        for (store, copies) in &self.on {
            if self.node_of.get(store).map(String::as_str) != Some(node) {
                continue;
            }
            for c in copies {
                *here.entry(c).or_default() += 1;
            }
        }
        here.into_iter()
            .any(|(c, n)| self.count.get(c) == Some(&n) && latest(c))
    }
}

/// The ledger's versions by the names the trace gives them.
struct Acknowledged<'a> {
    ledger: &'a Ledger,
    by_name: BTreeMap<Copy, (RecordId, VersionId, &'a Entry)>,
}

impl<'a> Acknowledged<'a> {
    fn of(ledger: &'a Ledger) -> Self {
        let by_name = ledger
            .entries()
            .map(|((r, v), e)| ((r.to_string(), v.to_string()), (*r, *v, e)))
            .collect();
        Acknowledged { ledger, by_name }
    }

    /// Whether `c` was, at `at`, a latest acknowledged version of its
    /// record: acknowledged by then, and no version acknowledged by then
    /// descends from it.
    fn is_latest(&self, c: &Copy, at: SimTime) -> bool {
        let Some(&(record, version, entry)) = self.by_name.get(c) else {
            return false;
        };
        if !acknowledged_by(entry, at) {
            return false;
        }
        !self.ledger.versions(record).any(|(w, e)| {
            w != version && acknowledged_by(e, at) && self.ledger.descends(record, w, version)
        })
    }
}

/// Whether the user had been told `entry` was saved or synced by `at`, and
/// had not forfeited it.
fn acknowledged_by(entry: &Entry, at: SimTime) -> bool {
    let told = [entry.saved_at, entry.synced_at]
        .into_iter()
        .flatten()
        .any(|t| t <= at);
    told && entry.forfeited_at.is_none_or(|t| t > at)
}
