//! The ghost ledger: what every user was told about every version.
//!
//! The workload writes each version and its parent here at write time, and
//! the acknowledgement levels when the user is shown them. Faults cannot
//! touch it: it lives outside every simulated device. The checker judges
//! the run against it.

use crate::record::{RecordId, VersionId};
use sim::time::SimTime;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// What the ledger knows of one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The version the writer saw when making this one.
    pub parent: Option<VersionId>,
    /// The end-to-end checksum made at edit time.
    pub sum: u64,
    /// When the user made the edit.
    pub written_at: SimTime,
    /// Whether the edit deleted the record (the version is a tombstone).
    pub deleted: bool,
    /// When the user was told `saved` (durable on the handset).
    pub saved_at: Option<SimTime>,
    /// When the user was told `synced` (the server committed it).
    pub synced_at: Option<SimTime>,
    /// When a saved, never-synced version was forfeited by the user's own
    /// reset or replacement of the handset.
    pub forfeited_at: Option<SimTime>,
}

impl Entry {
    /// Whether the promise covers this version: acknowledged at some level
    /// and not forfeited.
    pub fn is_promised(&self) -> bool {
        (self.saved_at.is_some() || self.synced_at.is_some()) && self.forfeited_at.is_none()
    }
}

/// Every version written in a run.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    entries: BTreeMap<(RecordId, VersionId), Entry>,
}

impl Ledger {
    /// The entry of `version` of `record`, if it was ever written.
    pub fn get(&self, record: RecordId, version: VersionId) -> Option<&Entry> {
        self.entries.get(&(record, version))
    }

    /// Every entry, in (record, version) order.
    pub fn entries(&self) -> impl Iterator<Item = (&(RecordId, VersionId), &Entry)> {
        self.entries.iter()
    }

    /// The versions written of `record`, in version order.
    pub fn versions(&self, record: RecordId) -> impl Iterator<Item = (VersionId, &Entry)> {
        let lo = VersionId { writer: 0, seq: 0 };
        self.entries
            .range((record, lo)..)
            .take_while(move |((r, _), _)| *r == record)
            .map(|((_, v), e)| (*v, e))
    }

    /// The records written, in order.
    pub fn records(&self) -> Vec<RecordId> {
        let mut out: Vec<RecordId> = Vec::new();
        for (r, _) in self.entries.keys() {
            if out.last() != Some(r) {
                out.push(*r);
            }
        }
        out
    }

    /// Whether `descendant` equals `ancestor` or descends from it by parent links.
    pub fn descends(&self, record: RecordId, descendant: VersionId, ancestor: VersionId) -> bool {
        let mut cur = Some(descendant);
        let mut steps = 0;
        while let Some(v) = cur {
            if v == ancestor {
                return true;
            }
            cur = self.get(record, v).and_then(|e| e.parent);
            steps += 1;
            if steps > self.entries.len() {
                return false;
            }
        }
        false
    }

    /// Whether `a` and `b` are concurrent: neither descends from the other.
    pub fn concurrent(&self, record: RecordId, a: VersionId, b: VersionId) -> bool {
        !self.descends(record, a, b) && !self.descends(record, b, a)
    }

    /// The versions on `from`'s parent chain (from itself upwards) that
    /// `other` does not descend from: `from`'s own branch since the two
    /// forked.
    pub fn branch(&self, record: RecordId, from: VersionId, other: VersionId) -> Vec<VersionId> {
        let mut out = Vec::new();
        let mut cur = Some(from);
        while let Some(v) = cur {
            if self.descends(record, other, v) || out.len() > self.entries.len() {
                break;
            }
            out.push(v);
            cur = self.get(record, v).and_then(|e| e.parent);
        }
        out
    }

    /// Whether `version` of `record` is a tombstone (a deletion).
    pub fn is_deletion(&self, record: RecordId, version: VersionId) -> bool {
        self.get(record, version).is_some_and(|e| e.deleted)
    }

    /// The latest promised versions of `record`: promised versions that no
    /// other promised version descends from.
    pub fn latest_promised(&self, record: RecordId) -> Vec<VersionId> {
        let promised: Vec<VersionId> = self
            .versions(record)
            .filter(|(_, e)| e.is_promised())
            .map(|(v, _)| v)
            .collect();
        promised
            .iter()
            .copied()
            .filter(|&v| {
                !promised
                    .iter()
                    .any(|&w| w != v && self.descends(record, w, v))
            })
            .collect()
    }
}

/// A shared handle to one run's ledger.
#[derive(Clone, Debug, Default)]
pub struct LedgerHandle {
    inner: Arc<Mutex<Ledger>>,
}

impl LedgerHandle {
    /// A handle to a new, empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Ledger> {
        self.inner.lock().expect("ledger lock")
    }

    /// The user made `version` of `record`, having seen `parent`.
    pub fn written(
        &self,
        record: RecordId,
        version: VersionId,
        parent: Option<VersionId>,
        sum: u64,
        at: SimTime,
    ) {
        self.record_write(record, version, parent, sum, at, false);
    }

    /// The user deleted `record`, making the tombstone `version`, having
    /// seen `parent`.
    pub fn written_tombstone(
        &self,
        record: RecordId,
        version: VersionId,
        parent: Option<VersionId>,
        sum: u64,
        at: SimTime,
    ) {
        self.record_write(record, version, parent, sum, at, true);
    }

    fn record_write(
        &self,
        record: RecordId,
        version: VersionId,
        parent: Option<VersionId>,
        sum: u64,
        at: SimTime,
        deleted: bool,
    ) {
        self.lock().entries.insert(
            (record, version),
            Entry {
                parent,
                sum,
                written_at: at,
                deleted,
                saved_at: None,
                synced_at: None,
                forfeited_at: None,
            },
        );
    }

    /// The user was told `saved` for `version` of `record` (first time counts).
    pub fn saved(&self, record: RecordId, version: VersionId, at: SimTime) {
        if let Some(e) = self.lock().entries.get_mut(&(record, version)) {
            e.saved_at.get_or_insert(at);
        }
    }

    /// The user was told `synced` for `version` of `record` (first time counts).
    pub fn synced(&self, record: RecordId, version: VersionId, at: SimTime) {
        if let Some(e) = self.lock().entries.get_mut(&(record, version)) {
            e.synced_at.get_or_insert(at);
        }
    }

    /// The user of `writer`'s handset wiped it: every version of theirs
    /// saved but never synced is forfeited. Returns how many.
    pub fn forfeit_unsynced(&self, writer: u32, at: SimTime) -> usize {
        let mut n = 0;
        for ((_, v), e) in self.lock().entries.iter_mut() {
            if v.writer == writer
                && e.synced_at.is_none()
                && e.forfeited_at.is_none()
                && e.saved_at.is_some()
            {
                e.forfeited_at = Some(at);
                n += 1;
            }
        }
        n
    }

    /// Whether `version` of `record` is acknowledged at some level and not forfeited.
    pub fn is_promised(&self, record: RecordId, version: VersionId) -> bool {
        self.lock()
            .get(record, version)
            .is_some_and(Entry::is_promised)
    }

    /// Whether `version` is one of the latest promised versions of `record`
    /// right now (promised, and no other promised version descends from it).
    pub fn is_latest_promised(&self, record: RecordId, version: VersionId) -> bool {
        self.lock().latest_promised(record).contains(&version)
    }

    /// Whether the user was told `synced` for `version` of `record`.
    pub fn is_synced(&self, record: RecordId, version: VersionId) -> bool {
        self.lock()
            .get(record, version)
            .is_some_and(|e| e.synced_at.is_some())
    }

    /// A copy of the ledger as it stands.
    pub fn snapshot(&self) -> Ledger {
        self.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::RecordKind;

    #[test]
    fn latest_promised_are_the_leaves_and_forfeits_drop_out() {
        let l = LedgerHandle::new();
        let r = RecordId {
            owner: 1,
            kind: RecordKind::Todo,
            n: 0,
        };
        let v = |seq| VersionId { writer: 1, seq };
        l.written(r, v(1), None, 0, SimTime(1));
        l.written(r, v(2), Some(v(1)), 0, SimTime(2));
        l.written(r, v(3), Some(v(1)), 0, SimTime(3));
        for s in 1..=3 {
            l.saved(r, v(s), SimTime(4));
        }
        l.synced(r, v(2), SimTime(5));
        let led = l.snapshot();
        assert_eq!(led.latest_promised(r), vec![v(2), v(3)]);
        assert!(led.descends(r, v(3), v(1)));
        assert!(!led.descends(r, v(3), v(2)));
        assert_eq!(l.forfeit_unsynced(1, SimTime(6)), 2);
        assert_eq!(l.snapshot().latest_promised(r), vec![v(2)]);
    }

    #[test]
    fn two_writers_make_a_graph_whose_leaves_are_the_latest() {
        // w1.1 -> w1.2 (handset) and w1.1 -> w9.1 (portal) -> w9.2 (tombstone).
        let l = LedgerHandle::new();
        let r = RecordId {
            owner: 1,
            kind: RecordKind::Contact,
            n: 0,
        };
        let h = |seq| VersionId { writer: 1, seq };
        let p = |seq| VersionId { writer: 9, seq };
        l.written(r, h(1), None, 0, SimTime(1));
        l.written(r, h(2), Some(h(1)), 0, SimTime(2));
        l.written(r, p(1), Some(h(1)), 0, SimTime(3));
        l.written_tombstone(r, p(2), Some(p(1)), 0, SimTime(4));
        for v in [h(1), h(2), p(1), p(2)] {
            l.synced(r, v, SimTime(5));
        }
        let led = l.snapshot();
        assert_eq!(led.latest_promised(r), vec![h(2), p(2)]);
        assert!(led.concurrent(r, h(2), p(1)));
        assert!(led.concurrent(r, h(2), p(2)));
        assert!(!led.concurrent(r, p(2), h(1)));
        assert!(led.descends(r, p(2), h(1)));
        assert_eq!(led.branch(r, p(2), h(2)), vec![p(2), p(1)]);
        assert_eq!(led.branch(r, h(2), p(2)), vec![h(2)]);
        assert!(
            led.branch(r, h(1), p(2)).is_empty(),
            "an ancestor has no branch"
        );
        assert!(led.is_deletion(r, p(2)) && !led.is_deletion(r, p(1)));
        // Forfeits are per writer: the handset's user reset forfeits only
        // the handset's unsynced versions, never the portal's.
        l.written(r, h(3), Some(h(2)), 0, SimTime(6));
        l.saved(r, h(3), SimTime(6));
        assert_eq!(l.forfeit_unsynced(1, SimTime(7)), 1);
        assert_eq!(l.snapshot().latest_promised(r), vec![h(2), p(2)]);
    }
}
