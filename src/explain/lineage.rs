//! A record's lineage read from the trace: every copy that held a version
//! of it, what ended each, and the planned faults that fired.

use super::closing::short_time;
use super::teller::fault_words;
use harness::world::Output as RunOutput;
use serde::Serialize;
use sim::lineage::EndCause;
use sim::record::VersionId;
use sim::time::SimTime;
use sim::trace::{EngineEvent, Event, Trace};
use std::collections::{BTreeMap, BTreeSet};

/// How one copy ended, as the trace tells it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CopyEnd {
    /// When it ended.
    pub at: SimTime,
    /// The node that reported it.
    pub node: String,
    /// The store the copy was on.
    pub store: String,
    /// The version the copy held.
    pub version: String,
    /// Why the copy ended.
    pub cause: EndCause,
    /// The planned fault blamed for it, if one was.
    pub fault: Option<u32>,
}

/// A planned fault as the trace saw it fire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FiredFault {
    /// Plan id.
    pub id: u32,
    /// When it fired.
    pub at: SimTime,
    /// Its target (`handset-3`, `array-a`, `db-primary`).
    pub target: String,
    /// Its kind name (`battery-pull`, `botched-upgrade`, ...).
    pub kind: String,
}

impl FiredFault {
    /// `handset-17 reset at 3d 04:12 (fault 9)`.
    pub fn phrase(&self) -> String {
        format!(
            "{} {} at {} (fault {})",
            self.target,
            fault_words(&self.kind),
            short_time(self.at),
            self.id
        )
    }
}

/// The faults that fired in `trace`, by plan id.
pub fn fired_faults(trace: &Trace) -> BTreeMap<u32, FiredFault> {
    let mut out = BTreeMap::new();
    for e in trace
        .events()
        .iter()
        .filter(|e| e.kind == EngineEvent::FaultFired)
    {
        let Some(id) = e.field("fault").and_then(|v| v.as_u64()) else {
            continue;
        };
        out.insert(
            id as u32,
            FiredFault {
                id: id as u32,
                at: e.at,
                target: e.node.to_string(),
                kind: e.str("fault_kind").unwrap_or("fault").to_string(),
            },
        );
    }
    out
}

/// What the trace and the ledger say about one record's copies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordLineage {
    /// The record.
    pub record: String,
    /// Its owner (handset and user index), if the id parses.
    pub owner: Option<u32>,
    /// Every store that ever held a copy of a version of it.
    pub stores: BTreeSet<String>,
    /// Every node that created or ended a copy of it.
    pub nodes: BTreeSet<String>,
    /// The handsets its copies lived on, and its owner.
    pub handsets: BTreeSet<u32>,
    /// The planned faults blamed for ending a copy of it.
    pub faults: BTreeSet<u32>,
    /// Per latest acknowledged version (as the ledger has it) whose copies
    /// and its descendants' copies all ended: the event that ended the last
    /// of them (a descendant, even a forfeited one, carries the version's
    /// content forward). Versions that never had a durable copy have none.
    pub last_copies: Vec<LastCopy>,
}

/// Where one acknowledged version was lost: the end of the last copy that
/// held it or a descendant of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LastCopy {
    /// The latest acknowledged version that was lost.
    pub acknowledged: String,
    /// The end of the last copy of it or of a version descending from it.
    pub end: CopyEnd,
}

impl RecordLineage {
    /// The event that ended the last copy of the record: the latest of
    /// [`RecordLineage::last_copies`].
    pub fn last_copy(&self) -> Option<&LastCopy> {
        self.last_copies.iter().max_by_key(|c| c.end.at)
    }

    /// Whether the last copy was on the server side (a database volume, a
    /// backup or a snapshot store, not a handset).
    pub fn last_copy_on_server_side(&self) -> bool {
        self.last_copy()
            .is_some_and(|c| handset_of(&c.end.store).is_none())
    }
}

/// The handset index a node or store name belongs to (`handset-3/flash` is 3).
pub fn handset_of(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("handset-")?;
    let digits = rest.split('/').next()?;
    digits.parse().ok()
}

/// Live-copy bookkeeping while walking a record's events.
#[derive(Default)]
pub(super) struct Copies {
    /// version -> stores holding it now.
    live: BTreeMap<String, BTreeSet<String>>,
}

impl Copies {
    pub(super) fn created(&mut self, store: &str, version: &str) {
        self.live
            .entry(version.to_string())
            .or_default()
            .insert(store.to_string());
    }

    /// Records an end; returns how many copies of the record are left and
    /// whether it was the last copy of its version.
    pub(super) fn ended(&mut self, end: &CopyEnd) -> (usize, bool) {
        let set = self.live.entry(end.version.clone()).or_default();
        set.remove(&end.store);
        let last_of_version = set.is_empty();
        (self.total(), last_of_version)
    }

    pub(super) fn total(&self) -> usize {
        self.live.values().map(BTreeSet::len).sum()
    }

    pub(super) fn where_left(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (v, stores) in &self.live {
            for s in stores {
                out.push(format!("{v} on {s}"));
            }
        }
        out
    }
}

pub(super) fn copy_end(e: &Event) -> Option<CopyEnd> {
    Some(CopyEnd {
        at: e.at,
        node: e.node.to_string(),
        store: e.str("store")?.to_string(),
        version: e.str("version")?.to_string(),
        cause: EndCause::parse(e.str("cause")?)?,
        fault: e.field("fault").and_then(|v| v.as_u64()).map(|f| f as u32),
    })
}

/// Reads the lineage of `record` from a run's trace and ledger.
pub fn lineage(output: &RunOutput, record: &str) -> RecordLineage {
    let id = output.ledger.record_named(record);
    let mut l = RecordLineage {
        record: record.to_string(),
        owner: id.map(|r| r.owner),
        ..RecordLineage::default()
    };
    l.handsets.extend(l.owner);
    let events: Vec<&Event> = output
        .trace
        .events()
        .iter()
        .filter(|e| {
            (e.kind == EngineEvent::CopyCreated || e.kind == EngineEvent::CopyEnded)
                && e.str("record") == Some(record)
        })
        .collect();
    for e in &events {
        let Some(store) = e.str("store") else {
            continue;
        };
        l.stores.insert(store.to_string());
        l.nodes.insert(e.node.to_string());
        l.handsets.extend(handset_of(store));
        if e.kind == EngineEvent::CopyEnded {
            l.faults
                .extend(e.field("fault").and_then(|v| v.as_u64()).map(|f| f as u32));
        }
    }
    let Some(r) = id else { return l };
    for v in output.ledger.latest_promised(r) {
        // The version's family: it and every version descending from it,
        // which carry its content forward. The last copy of the family that
        // ended, with none made after, is where the version was lost.
        let in_family = |e: &Event| {
            e.str("version")
                .and_then(|x| x.parse::<VersionId>().ok())
                .is_some_and(|x| output.ledger.descends(r, x, v))
        };
        let mut live: BTreeSet<(String, String)> = BTreeSet::new();
        let mut last: Option<CopyEnd> = None;
        for e in events.iter().filter(|e| in_family(e)) {
            let key = (
                e.str("store").unwrap_or_default().to_string(),
                e.str("version").unwrap_or_default().to_string(),
            );
            if e.kind == EngineEvent::CopyCreated {
                live.insert(key);
                last = None;
            } else if live.remove(&key) && live.is_empty() {
                last = copy_end(e);
            }
        }
        if let Some(end) = last.filter(|_| live.is_empty()) {
            l.last_copies.push(LastCopy {
                acknowledged: v.to_string(),
                end,
            });
        }
    }
    l.last_copies.sort_by_key(|c| c.end.at);
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handset_of_reads_nodes_and_stores() {
        assert_eq!(handset_of("handset-17/flash"), Some(17));
        assert_eq!(handset_of("handset-3"), Some(3));
        assert_eq!(handset_of("array-a/primary"), None);
    }
}
