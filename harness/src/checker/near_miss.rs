//! Near misses, read from a run's output alone: a fault that fired on a
//! node holding a live copy of some *part* of a record's latest
//! acknowledged version while that part's live copies were all on that
//! node, or fewer than before an earlier fault ended one of them. The
//! part was down to its last copies, or already cut by one fault when a
//! second struck, whether or not the design then saved it; counting these
//! shows that a design's recovery paths were exercised, not only that
//! nothing was lost.
//!
//! A part is what a system says a store keeps of a version
//! ([`crate::system::System::copy_parts`]): a photo's metadata on the
//! metadata nodes, its blob on the volumes, both on a device. A system
//! whose copies are whole versions (the default) has one part, the
//! version, and the rule reads: the struck node held every live copy of
//! the version.
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
use sim::trace::{EngineEvent, Event};
use std::collections::{BTreeMap, BTreeSet};

/// A (record, version) as the trace names it.
type Copy = (String, String);

/// The parts of a version a copy on a store keeps, as a bit set (see
/// [`crate::system::System::copy_parts`]).
pub type Parts = fn(&str) -> u8;

/// The ids of the run's faults that were near misses, in id order, the
/// parts of each store's copies told by `parts`.
pub fn near_misses(output: &Output, parts: Parts) -> BTreeSet<u32> {
    near_misses_in(output.trace.events(), &output.ledger, parts)
}

/// [`near_misses`] of a run's trace `events` and its `ledger`.
pub fn near_misses_in(events: &[Event], ledger: &Ledger, parts: Parts) -> BTreeSet<u32> {
    let acked = Acknowledged::of(ledger);
    let mut live = Live::new(parts);
    let mut out = BTreeSet::new();
    for e in events {
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
                    live.ended(store, &c, e.field("fault").is_some());
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
struct Live {
    /// What each store keeps of a version.
    parts: Parts,
    /// store -> the node that created copies on it, and its parts.
    node_of: BTreeMap<String, (String, u8)>,
    /// store -> copies live on it.
    on: BTreeMap<String, BTreeSet<Copy>>,
    /// copy -> per part bit, how many stores hold that part of it.
    count: BTreeMap<Copy, [u32; 8]>,
    /// copy -> per part bit, how many stores held it before a fault ended
    /// one of them (0: not cut, or since restored to that many).
    cut: BTreeMap<Copy, [u32; 8]>,
}

impl Live {
    fn new(parts: Parts) -> Self {
        Live {
            parts,
            node_of: BTreeMap::new(),
            on: BTreeMap::new(),
            count: BTreeMap::new(),
            cut: BTreeMap::new(),
        }
    }

    /// The part bits of `store`'s copies.
    fn bits(&self, store: &str) -> impl Iterator<Item = usize> {
        let parts = self.node_of.get(store).map_or(0, |n| n.1);
        (0..8).filter(move |b| parts & (1 << b) != 0)
    }

    fn created(&mut self, node: &str, store: &str, c: Copy) {
        let parts = (self.parts)(store);
        self.node_of
            .entry(store.to_string())
            .or_insert_with(|| (node.to_string(), parts));
        if self
            .on
            .entry(store.to_string())
            .or_default()
            .insert(c.clone())
        {
            let bits: Vec<usize> = self.bits(store).collect();
            let n = self.count.entry(c.clone()).or_default();
            for &b in &bits {
                n[b] += 1;
            }
            if let Some(cut) = self.cut.get_mut(&c) {
                for b in bits {
                    if n[b] >= cut[b] {
                        cut[b] = 0;
                    }
                }
            }
        }
    }

    /// A copy on `store` ended, `by_fault` or in the system's own course.
    fn ended(&mut self, store: &str, c: &Copy, by_fault: bool) {
        if self.on.get_mut(store).is_some_and(|s| s.remove(c)) {
            let bits: Vec<usize> = self.bits(store).collect();
            if let Some(n) = self.count.get_mut(c) {
                let cut = self.cut.entry(c.clone()).or_default();
                for b in bits {
                    if by_fault && cut[b] == 0 {
                        cut[b] = n[b];
                    }
                    n[b] -= 1;
                }
            }
        }
    }

    /// Whether the stores of `node` hold a live copy of some part of some
    /// copy `latest` accepts, that part's live copies being all there or
    /// cut by a fault.
    fn last_copies_on(&self, node: &str, latest: impl Fn(&Copy) -> bool) -> bool {
        let mut here: BTreeMap<&Copy, [u32; 8]> = BTreeMap::new();
        for (store, copies) in &self.on {
            if self.node_of.get(store).map(|n| n.0.as_str()) != Some(node) {
                continue;
            }
            let bits: Vec<usize> = self.bits(store).collect();
            for c in copies {
                let n = here.entry(c).or_default();
                for &b in &bits {
                    n[b] += 1;
                }
            }
        }
        here.into_iter().any(|(c, n)| {
            let all = self.count.get(c).copied().unwrap_or_default();
            let cut = self.cut.get(c).copied().unwrap_or_default();
            let last = |b: usize| n[b] == all[b] || all[b] < cut[b];
            (0..8).any(|b| n[b] > 0 && last(b)) && latest(c)
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use sim::ledger::{LedgerHandle, Write};
    use sim::lineage::{CopyOf, EndCause, Lineage};
    use sim::record::RecordKind;
    use sim::trace::Tracer;

    const META: u8 = 1;
    const BLOB: u8 = 2;
    const STORES: [&str; 5] = ["phone", "meta-a", "meta-b", "vol-0", "vol-1"];

    /// A photo-like system: `meta-*` stores keep a version's metadata,
    /// `vol-*` its blob, a device both.
    fn parts(store: &str) -> u8 {
        if store.starts_with("meta") {
            META
        } else if store.starts_with("vol") {
            BLOB
        } else {
            META | BLOB
        }
    }

    fn whole(_: &str) -> u8 {
        u8::MAX
    }

    /// What happens to the one version of the one record, acknowledged at
    /// time 1, before fault 7 fires on `struck`.
    enum Step<'a> {
        /// A copy is made on this store (of the node of its name).
        Made(&'a str),
        /// The copy on this store ends, by this fault or none.
        Ended(&'a str, Option<u32>),
    }

    fn run(steps: &[Step], struck: &str, parts: Parts) -> BTreeSet<u32> {
        let tracer = Tracer::new();
        let lineage = Lineage::new(tracer.clone());
        let ledger = LedgerHandle::new();
        let record = RecordId {
            owner: 0,
            kind: RecordKind::new(0, "photo"),
            n: 1,
        };
        let v = VersionId { writer: 1, seq: 4 };
        ledger.written(record, v, Write::edit(None, 9), SimTime(0));
        ledger.synced(record, v, SimTime(1));
        let (r, ver) = (record.to_string(), v.to_string());
        for (t, step) in steps.iter().enumerate() {
            let at = SimTime(10 + t as u64);
            match *step {
                Step::Made(s) => lineage.created(at, s, s, &r, &ver),
                Step::Ended(store, fault) => {
                    let copy = CopyOf {
                        store,
                        record: &r,
                        version: &ver,
                    };
                    lineage.ended(at, store, copy, EndCause::Wiped, fault);
                }
            }
        }
        let fired = sim::fields!["fault" => 7u32];
        tracer.emit(SimTime(99), struck, EngineEvent::FaultFired, fired);
        near_misses_in(tracer.snapshot().events(), &ledger.snapshot(), parts)
    }

    fn made(stores: &[&'static str]) -> Vec<Step<'static>> {
        stores.iter().map(|s| Step::Made(s)).collect()
    }

    #[test]
    fn a_fault_on_the_node_with_every_live_copy_of_a_part_is_a_near_miss() {
        // Every part on two nodes at least: no near miss anywhere.
        for struck in STORES {
            assert!(run(&made(&STORES), struck, parts).is_empty(), "{struck}");
        }
        // The phone's copy and vol-1's gone in the system's own course:
        // vol-0 holds the last blob.
        let mut steps = made(&STORES);
        steps.extend([Step::Ended("phone", None), Step::Ended("vol-1", None)]);
        assert_eq!(run(&steps, "vol-0", parts), BTreeSet::from([7]));
        assert!(run(&steps, "meta-a", parts).is_empty());
        // With whole copies (the default) the metadata copies count for
        // the blob too: nothing is down to one node.
        assert!(run(&steps, "vol-0", whole).is_empty());
        // Whole copies all on one node: a near miss there only.
        let one = made(&["client-0"]);
        assert_eq!(run(&one, "client-0", whole), BTreeSet::from([7]));
        assert!(run(&one, "server", whole).is_empty());
    }

    #[test]
    fn a_fault_on_a_holder_of_a_part_an_earlier_fault_cut_is_a_near_miss() {
        // Fault 3 ended vol-1's blob: the phone and vol-0 hold the rest.
        let mut steps = made(&STORES);
        steps.push(Step::Ended("vol-1", Some(3)));
        for (struck, near) in [("phone", true), ("vol-0", true), ("meta-a", false)] {
            let want = if near {
                BTreeSet::from([7])
            } else {
                BTreeSet::new()
            };
            assert_eq!(run(&steps, struck, parts), want, "{struck}");
        }
        // The same copy ended in the system's own course cuts nothing.
        let mut own = made(&STORES);
        own.push(Step::Ended("vol-1", None));
        assert!(run(&own, "phone", parts).is_empty());
        // Once the blob is back on as many stores, the part is whole again.
        steps.push(Step::Made("vol-1"));
        assert!(run(&steps, "phone", parts).is_empty());
    }
}
