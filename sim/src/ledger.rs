//! The ghost ledger: what every user was told about every version.
//!
//! The harness owns it; a system writes to it only through typed calls on
//! its step I/O ([`crate::host::Io::wrote`], [`crate::host::Io::told_saved`],
//! [`crate::host::Io::told_synced`]): each version with its parents when a user
//! makes it, and the acknowledgement levels when the user is shown them.
//! Faults cannot touch it: it lives outside every simulated device. The
//! checker judges the run against it.

use crate::lineage::Lineage;
use crate::record::{RecordId, RecordKind, VersionId};
use crate::time::SimTime;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// What the ledger knows of one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The versions the writer saw when making this one: none for a new
    /// record, one for an edit, several for a merge.
    pub parents: Vec<VersionId>,
    /// A fingerprint of the content written, which names the version
    /// wherever its bytes are served (see [`Write::content`]).
    pub content: u64,
    /// When the user made the edit.
    pub written_at: SimTime,
    /// Whether the edit deleted the record (the version is a tombstone).
    pub deleted: bool,
    /// When the user was told `saved` (durable on the writer's device).
    pub saved_at: Option<SimTime>,
    /// When the user was told `synced` (the server committed it).
    pub synced_at: Option<SimTime>,
    /// When a saved, never-synced version was forfeited by the user's own
    /// reset or replacement of the device.
    pub forfeited_at: Option<SimTime>,
}

impl Entry {
    /// Whether the promise covers this version: acknowledged at some level
    /// and not forfeited.
    pub fn is_promised(&self) -> bool {
        (self.saved_at.is_some() || self.synced_at.is_some()) && self.forfeited_at.is_none()
    }
}

/// What a user made: a version's parents, its content and whether it
/// deletes the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// The versions the writer saw: none for a new record, one for an
    /// edit, several for a merge.
    pub parents: Vec<VersionId>,
    /// A fingerprint of the content written: the same bytes served
    /// anywhere, under any record's name, carry the same fingerprint, so
    /// the checker knows whose content a place serves.
    pub content: u64,
    /// Whether the version deletes the record (a tombstone).
    pub deleted: bool,
}

impl Write {
    /// An edit (or a new record, with no parent) of `content`.
    pub fn edit(parent: Option<VersionId>, content: u64) -> Self {
        Write {
            parents: parent.into_iter().collect(),
            content,
            deleted: false,
        }
    }

    /// A deletion, having seen `parent`.
    pub fn deletion(parent: Option<VersionId>, content: u64) -> Self {
        Write {
            deleted: true,
            ..Write::edit(parent, content)
        }
    }

    /// A merge of `parents` into `content`.
    pub fn merge(parents: Vec<VersionId>, content: u64) -> Self {
        Write {
            parents,
            content,
            deleted: false,
        }
    }
}

/// Every version written in a run.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    entries: BTreeMap<(RecordId, VersionId), Entry>,
    /// Every kind of record written, to read record names back.
    kinds: Vec<RecordKind>,
}

impl Ledger {
    /// The record named `name` (`u17/contact-3`) if its kind was ever
    /// written; a name of no written kind names no record of this run.
    pub fn record_named(&self, name: &str) -> Option<RecordId> {
        RecordId::parse(name, &self.kinds).ok()
    }

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

    /// Whether `descendant` equals `ancestor` or descends from it by parent
    /// links (through any parent of a merge).
    pub fn descends(&self, record: RecordId, descendant: VersionId, ancestor: VersionId) -> bool {
        let mut budget = self.entries.len() + 1;
        self.descends_within(record, descendant, ancestor, &mut budget)
    }

    /// [`Ledger::descends`], visiting at most `budget` versions (a parent
    /// cycle a buggy system wrote ends the walk, never loops).
    fn descends_within(
        &self,
        record: RecordId,
        mut cur: VersionId,
        ancestor: VersionId,
        budget: &mut usize,
    ) -> bool {
        loop {
            if cur == ancestor {
                return true;
            }
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            match self.get(record, cur).map(|e| e.parents.as_slice()) {
                Some([one]) => cur = *one,
                Some(many) if many.len() > 1 => {
                    return many
                        .iter()
                        .any(|p| self.descends_within(record, *p, ancestor, budget));
                }
                _ => return false,
            }
        }
    }

    /// Whether `a` and `b` are concurrent: neither descends from the other.
    pub fn concurrent(&self, record: RecordId, a: VersionId, b: VersionId) -> bool {
        !self.descends(record, a, b) && !self.descends(record, b, a)
    }

    /// The versions `from` descends from (itself included, nearest first)
    /// that `other` does not descend from: `from`'s own branch since the
    /// two forked.
    pub fn branch(&self, record: RecordId, from: VersionId, other: VersionId) -> Vec<VersionId> {
        let mut out = Vec::new();
        let mut todo = std::collections::VecDeque::from([from]);
        while let Some(v) = todo.pop_front() {
            if out.contains(&v) || self.descends(record, other, v) || out.len() > self.entries.len()
            {
                continue;
            }
            out.push(v);
            if let Some(e) = self.get(record, v) {
                todo.extend(&e.parents);
            }
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

    /// The user made `version` of `record` as `write` says.
    pub fn written(&self, record: RecordId, version: VersionId, write: Write, at: SimTime) {
        let mut ledger = self.lock();
        if !ledger.kinds.contains(&record.kind) {
            ledger.kinds.push(record.kind);
        }
        ledger.entries.insert(
            (record, version),
            Entry {
                parents: write.parents,
                content: write.content,
                written_at: at,
                deleted: write.deleted,
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

    /// The user of `writer`'s device wiped it: every version of theirs
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

    /// Tells `lineage` which copies hold acknowledged data (the promised
    /// versions, as [`LedgerHandle::is_promised`] says), so it can mark the
    /// faults that end them effective.
    pub fn inform(&self, lineage: &Lineage) {
        let ledger = self.clone();
        lineage.set_promised(move |r, v| {
            let l = ledger.lock();
            match (l.record_named(r), v.parse::<VersionId>()) {
                (Some(r), Ok(v)) => l.get(r, v).is_some_and(Entry::is_promised),
                _ => false,
            }
        });
    }

    /// The record named `name`, if a version of its kind was written.
    pub fn record_named(&self, name: &str) -> Option<RecordId> {
        self.lock().record_named(name)
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

    const TODO: RecordKind = RecordKind::new(2, "todo");
    const CONTACT: RecordKind = RecordKind::new(0, "contact");

    #[test]
    fn latest_promised_are_the_leaves_and_forfeits_drop_out() {
        let l = LedgerHandle::new();
        let r = RecordId {
            owner: 1,
            kind: TODO,
            n: 0,
        };
        let v = |seq| VersionId { writer: 1, seq };
        l.written(r, v(1), Write::edit(None, 0), SimTime(1));
        l.written(r, v(2), Write::edit(Some(v(1)), 0), SimTime(2));
        l.written(r, v(3), Write::edit(Some(v(1)), 0), SimTime(3));
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
        // w1.1 -> w1.2 (a device) and w1.1 -> w9.1 (a web page) -> w9.2 (tombstone).
        let l = LedgerHandle::new();
        let r = RecordId {
            owner: 1,
            kind: CONTACT,
            n: 0,
        };
        let h = |seq| VersionId { writer: 1, seq };
        let p = |seq| VersionId { writer: 9, seq };
        l.written(r, h(1), Write::edit(None, 0), SimTime(1));
        l.written(r, h(2), Write::edit(Some(h(1)), 0), SimTime(2));
        l.written(r, p(1), Write::edit(Some(h(1)), 0), SimTime(3));
        l.written(r, p(2), Write::deletion(Some(p(1)), 0), SimTime(4));
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
        // Forfeits are per writer: the device's user reset forfeits only
        // the device's unsynced versions, never the web page's.
        l.written(r, h(3), Write::edit(Some(h(2)), 0), SimTime(6));
        l.saved(r, h(3), SimTime(6));
        assert_eq!(l.forfeit_unsynced(1, SimTime(7)), 1);
        assert_eq!(l.snapshot().latest_promised(r), vec![h(2), p(2)]);
    }

    #[test]
    fn a_merge_descends_from_every_parent_and_is_the_one_latest() {
        // w1.1 forks into w1.2 and w2.1; w1.3 merges both.
        let l = LedgerHandle::new();
        let r = RecordId {
            owner: 1,
            kind: TODO,
            n: 0,
        };
        let v = |writer, seq| VersionId { writer, seq };
        l.written(r, v(1, 1), Write::edit(None, 1), SimTime(1));
        l.written(r, v(1, 2), Write::edit(Some(v(1, 1)), 2), SimTime(2));
        l.written(r, v(2, 1), Write::edit(Some(v(1, 1)), 3), SimTime(2));
        let merge = Write::merge(vec![v(1, 2), v(2, 1)], 4);
        l.written(r, v(1, 3), merge, SimTime(3));
        for (w, s) in [(1, 1), (1, 2), (2, 1), (1, 3)] {
            l.synced(r, v(w, s), SimTime(4));
        }
        let led = l.snapshot();
        assert!(led.descends(r, v(1, 3), v(2, 1)) && led.descends(r, v(1, 3), v(1, 2)));
        assert!(led.concurrent(r, v(1, 2), v(2, 1)));
        assert_eq!(led.latest_promised(r), vec![v(1, 3)]);
        assert_eq!(
            led.branch(r, v(1, 3), v(1, 1)),
            vec![v(1, 3), v(1, 2), v(2, 1)]
        );
        assert_eq!(l.record_named("u1/todo-0"), Some(r));
        assert_eq!(l.record_named("u1/photo-0"), None, "no photo was written");
    }
}
