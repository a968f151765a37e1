//! Copy lineage: which durable copies of which record versions exist where.
//!
//! A *copy* is a durable (synced) instance of a record version on one store
//! (a device's flash, a database volume, a backup, a snapshot). Models say when
//! they create or end a copy; the engine says when a device is lost. Every
//! change is written to the trace as [`EngineEvent::CopyCreated`] or
//! [`EngineEvent::CopyEnded`], so the trace alone tells which copies existed and
//! what ended each. The registry also answers how many copies of a version
//! are left, for near-miss and exposure accounting.

use crate::time::SimTime;
use crate::trace::{EngineEvent, Tracer};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// What ended a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EndCause {
    /// The store replaced it with other content (a cache refetch, a restore).
    Overwritten,
    /// A newer version of the same record replaced it in the normal course.
    Superseded,
    /// The store was wiped on purpose (a factory reset, a rebuild).
    Wiped,
    /// The device under the store was lost or destroyed.
    DeviceLost,
    /// The copy's bytes no longer verify.
    Corrupted,
    /// The copy can no longer be read.
    Unreadable,
    /// The store no longer holds it although nothing overwrote it: a write
    /// that was lost or misdirected, found out when the store was read back.
    Lost,
}

impl EndCause {
    /// Every cause, in declaration order.
    pub const ALL: [EndCause; 7] = [
        EndCause::Overwritten,
        EndCause::Superseded,
        EndCause::Wiped,
        EndCause::DeviceLost,
        EndCause::Corrupted,
        EndCause::Unreadable,
        EndCause::Lost,
    ];

    /// The stable name used in the trace.
    pub fn name(self) -> &'static str {
        match self {
            EndCause::Overwritten => "overwritten",
            EndCause::Superseded => "superseded",
            EndCause::Wiped => "wiped",
            EndCause::DeviceLost => "device-lost",
            EndCause::Corrupted => "corrupted",
            EndCause::Unreadable => "unreadable",
            EndCause::Lost => "lost",
        }
    }

    /// The cause a trace names `name`, if any.
    pub fn parse(name: &str) -> Option<EndCause> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl serde::Serialize for EndCause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl std::fmt::Display for EndCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Names one copy: which version of which record, on which store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyOf<'a> {
    /// The store it is on.
    pub store: &'a str,
    /// The record.
    pub record: &'a str,
    /// The version.
    pub version: &'a str,
}

/// A copy that ended, as reported back to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndedCopy {
    /// The store it was on.
    pub store: String,
    /// The record.
    pub record: String,
    /// The version.
    pub version: String,
}

type Promised = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

#[derive(Default)]
struct Registry {
    /// node -> the planned fault that last struck it; copies it ends
    /// without naming a fault are blamed on that one.
    blame: BTreeMap<String, u32>,
    /// Faults already marked effective.
    effective: BTreeSet<u32>,
    /// Whether a (record, version) is acknowledged data the promise covers.
    promised: Option<Promised>,
    /// store -> (record, version) live on it.
    by_store: BTreeMap<String, BTreeSet<(String, String)>>,
    /// (record, version) -> number of live copies.
    count: BTreeMap<(String, String), u32>,
}

/// A shared handle to one run's copy registry. Every change goes to the trace.
#[derive(Clone)]
pub struct Lineage {
    inner: Arc<Mutex<Registry>>,
    tracer: Tracer,
}

impl Lineage {
    /// A registry that writes its changes to `tracer`.
    pub fn new(tracer: Tracer) -> Self {
        Lineage {
            inner: Arc::default(),
            tracer,
        }
    }

    /// A durable copy of `version` of `record` now exists on `store`.
    /// Creating a copy that already exists is a no-op (no trace event).
    pub fn created(&self, at: SimTime, node: &str, store: &str, record: &str, version: &str) {
        let mut r = self.inner.lock().expect("lineage lock");
        let key = (record.to_string(), version.to_string());
        if !r
            .by_store
            .entry(store.to_string())
            .or_default()
            .insert(key.clone())
        {
            return;
        }
        *r.count.entry(key).or_default() += 1;
        drop(r);
        self.tracer.emit(
            at,
            node,
            EngineEvent::CopyCreated,
            crate::fields!["store" => store, "record" => record, "version" => version],
        );
    }

    /// The copy `copy` ended for `cause` (a no-op if no such copy is live).
    /// `fault` names the planned fault that caused it, if one did. Returns
    /// whether a copy ended.
    pub fn ended(
        &self,
        at: SimTime,
        node: &str,
        copy: CopyOf<'_>,
        cause: EndCause,
        fault: Option<u32>,
    ) -> bool {
        let CopyOf {
            store,
            record,
            version,
        } = copy;
        let mut r = self.inner.lock().expect("lineage lock");
        let key = (record.to_string(), version.to_string());
        let removed = r.by_store.get_mut(store).is_some_and(|s| s.remove(&key));
        if !removed {
            return false;
        }
        let fault = match (fault, cause) {
            (Some(f), _) => Some(f),
            (None, EndCause::Superseded) => None,
            (None, _) => r.blame.get(node).copied(),
        };
        let promised = r.promised.as_ref().is_some_and(|p| p(record, version));
        if let Some(c) = r.count.get_mut(&key) {
            *c -= 1;
            if *c == 0 {
                r.count.remove(&key);
            }
        }
        drop(r);
        let mut fields = crate::fields![
            "store" => store, "record" => record, "version" => version, "cause" => cause.name()
        ];
        if let Some(f) = fault {
            fields.push(("fault", f.into()));
        }
        self.tracer.emit(at, node, EngineEvent::CopyEnded, fields);
        if let (Some(f), true) = (fault, promised) {
            self.mark_effective(at, node, f, "ended a copy of acknowledged data");
        }
        true
    }

    /// From now on, copies that `node` ends without naming a fault (other
    /// than superseded ones) are blamed on `fault`; `None` clears the blame.
    pub fn set_blame(&self, node: &str, fault: Option<u32>) {
        let mut r = self.inner.lock().expect("lineage lock");
        match fault {
            Some(f) => r.blame.insert(node.to_string(), f),
            None => r.blame.remove(node),
        };
    }

    /// Tells the registry which (record, version) pairs are acknowledged
    /// data, so that it can mark the faults that end their copies effective.
    pub fn set_promised(&self, promised: impl Fn(&str, &str) -> bool + Send + Sync + 'static) {
        self.inner.lock().expect("lineage lock").promised = Some(Arc::new(promised));
    }

    /// Marks planned fault `fault` effective (once; later calls are no-ops),
    /// writing [`EngineEvent::FaultEffective`] to the trace.
    pub fn mark_effective(&self, at: SimTime, node: &str, fault: u32, why: &str) {
        if !self
            .inner
            .lock()
            .expect("lineage lock")
            .effective
            .insert(fault)
        {
            return;
        }
        self.tracer.emit(
            at,
            node,
            EngineEvent::FaultEffective,
            crate::fields!["fault" => fault, "why" => why],
        );
    }

    /// The planned fault that last struck `node`, if any.
    pub fn blame_of(&self, node: &str) -> Option<u32> {
        self.inner
            .lock()
            .expect("lineage lock")
            .blame
            .get(node)
            .copied()
    }

    /// The planned faults marked effective so far.
    pub fn effective(&self) -> BTreeSet<u32> {
        self.inner.lock().expect("lineage lock").effective.clone()
    }

    /// Every copy on `store` ended for `cause` (a wipe, a lost device).
    /// Returns the copies that ended, in (record, version) order.
    pub fn store_ended(
        &self,
        at: SimTime,
        node: &str,
        store: &str,
        cause: EndCause,
        fault: Option<u32>,
    ) -> Vec<EndedCopy> {
        let keys: Vec<(String, String)> = {
            let r = self.inner.lock().expect("lineage lock");
            r.by_store
                .get(store)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default()
        };
        keys.into_iter()
            .filter(|(record, version)| {
                let copy = CopyOf {
                    store,
                    record,
                    version,
                };
                self.ended(at, node, copy, cause, fault)
            })
            .map(|(record, version)| EndedCopy {
                store: store.to_string(),
                record,
                version,
            })
            .collect()
    }

    /// How many live copies of `version` of `record` exist, on all stores.
    pub fn copies(&self, record: &str, version: &str) -> u32 {
        let r = self.inner.lock().expect("lineage lock");
        r.count
            .get(&(record.to_string(), version.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// The (record, version) pairs live on `stores` and nowhere else: every
    /// live copy of each is on one of `stores`. In (record, version) order.
    pub fn only_on(&self, stores: &[&str]) -> Vec<(String, String)> {
        let r = self.inner.lock().expect("lineage lock");
        let mut here: BTreeMap<&(String, String), u32> = BTreeMap::new();
        for s in stores.iter().collect::<BTreeSet<_>>() {
            for key in r.by_store.get(*s).into_iter().flatten() {
                *here.entry(key).or_default() += 1;
            }
        }
        here.into_iter()
            .filter(|(key, n)| r.count.get(*key) == Some(n))
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Whether a copy of `version` of `record` is live on `store`.
    pub fn is_live(&self, store: &str, record: &str, version: &str) -> bool {
        let r = self.inner.lock().expect("lineage lock");
        r.by_store
            .get(store)
            .is_some_and(|s| s.contains(&(record.to_string(), version.to_string())))
    }

    /// The (record, version) pairs live on `store`.
    pub fn on_store(&self, store: &str) -> Vec<(String, String)> {
        let r = self.inner.lock().expect("lineage lock");
        r.by_store
            .get(store)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_copies_and_traces_every_change() {
        let tracer = Tracer::new();
        let l = Lineage::new(tracer.clone());
        l.created(SimTime(1), "h", "h.flash", "r", "v1");
        l.created(SimTime(1), "h", "h.flash", "r", "v1");
        l.created(SimTime(2), "db", "vol-a", "r", "v1");
        assert_eq!(l.copies("r", "v1"), 2);
        let ended = l.store_ended(SimTime(3), "arr", "vol-a", EndCause::DeviceLost, Some(4));
        assert_eq!(ended.len(), 1);
        assert_eq!(l.copies("r", "v1"), 1);
        let copy = CopyOf {
            store: "vol-a",
            record: "r",
            version: "v1",
        };
        assert!(!l.ended(SimTime(4), "h", copy, EndCause::Wiped, None));
        let kinds: Vec<_> = tracer
            .snapshot()
            .events()
            .iter()
            .map(|e| e.kind.engine())
            .collect();
        assert_eq!(
            kinds,
            [
                EngineEvent::CopyCreated,
                EngineEvent::CopyCreated,
                EngineEvent::CopyEnded
            ]
            .map(Some)
        );
    }
}
