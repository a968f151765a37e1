//! For unit tests: rows a toy system serves, a ledger written as its nodes
//! would write it through their step I/O, and final states built from
//! those rows (user 0's handset and server, a portal on demand).

use crate::checker::places::FinalState;
use sim::ledger::{Ledger, LedgerHandle, Write};
use sim::place::{Place, PlaceKind, Served, View};
use sim::record::{RecordId, RecordKind, VersionId};
use sim::time::SimTime;
use std::collections::BTreeMap;

/// The record kind of the tests.
pub const CONTACT: RecordKind = RecordKind::new(0, "contact");
/// A user's device.
pub const HANDSET: PlaceKind = PlaceKind {
    code: 0,
    name: "handset",
    reference: false,
};
/// The user's reference place.
pub const SERVER: PlaceKind = PlaceKind {
    code: 1,
    name: "server",
    reference: true,
};
/// A second device of the user.
pub const PORTAL: PlaceKind = PlaceKind {
    code: 2,
    name: "portal",
    reference: false,
};

/// The content every version has: a pure function of record and version.
pub fn content(record: RecordId, version: VersionId) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for x in [
        record.owner,
        u32::from(record.kind.code),
        record.n,
        version.writer,
        version.seq,
    ] {
        h = (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// One version as a place holds it.
#[derive(Clone, Debug)]
pub struct Row {
    /// The record it is filed under.
    pub record: RecordId,
    /// The version.
    pub version: VersionId,
    /// Whether it is a tombstone.
    pub deleted: bool,
    /// Its content's fingerprint.
    pub content: u64,
    /// Whether its bytes are what the writer wrote.
    pub genuine: bool,
    /// Conflict copies kept beside it.
    pub conflicts: Vec<Row>,
}

impl Row {
    /// `version` of `record`, as written.
    pub fn new(record: RecordId, version: VersionId, _parent: Option<VersionId>) -> Self {
        Self::make(record, version, None, 0, false)
    }

    /// `version` of `record`, a tombstone if `deleted`.
    pub fn make(
        record: RecordId,
        version: VersionId,
        _parent: Option<VersionId>,
        _stamp: u64,
        deleted: bool,
    ) -> Self {
        Row {
            record,
            version,
            deleted,
            content: content(record, version),
            genuine: true,
            conflicts: Vec::new(),
        }
    }

    /// This row with `other` (and its copies) kept as conflict copies.
    pub fn keeping(mut self, mut other: Row) -> Row {
        let nested = std::mem::take(&mut other.conflicts);
        self.conflicts.push(other);
        self.conflicts.extend(nested);
        self.conflicts.sort_by_key(|c| c.version);
        self
    }

    /// What a place serving this row serves.
    pub fn served(&self) -> Served {
        Served {
            version: self.version,
            deleted: self.deleted,
            content: self.content,
            genuine: self.genuine,
            conflicts: self.conflicts.iter().map(Row::served).collect(),
        }
    }
}

/// A ledger the tests write as a system's nodes do.
#[derive(Clone, Default)]
pub struct TestLedger(pub LedgerHandle);

impl TestLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// `version` of `record` written over `parent`, or a deletion.
    fn write(
        &self,
        record: RecordId,
        version: VersionId,
        parent: Option<VersionId>,
        deleted: bool,
        at: SimTime,
    ) {
        let c = content(record, version);
        let write = if deleted {
            Write::deletion(parent, c)
        } else {
            Write::edit(parent, c)
        };
        self.0.written(record, version, write, at);
    }

    /// `version` of `record` written over `parent` (`_sum` is ignored).
    pub fn written(
        &self,
        record: RecordId,
        version: VersionId,
        parent: Option<VersionId>,
        _sum: u64,
        at: SimTime,
    ) {
        self.write(record, version, parent, false, at);
    }

    /// A deletion of `record` over `parent`.
    pub fn written_tombstone(
        &self,
        record: RecordId,
        version: VersionId,
        parent: Option<VersionId>,
        _sum: u64,
        at: SimTime,
    ) {
        self.write(record, version, parent, true, at);
    }

    /// The user was told `saved`.
    pub fn saved(&self, record: RecordId, version: VersionId, at: SimTime) {
        self.0.saved(record, version, at);
    }

    /// The user was told `synced`.
    pub fn synced(&self, record: RecordId, version: VersionId, at: SimTime) {
        self.0.synced(record, version, at);
    }

    /// The writer's unsynced versions are forfeited.
    pub fn forfeit_unsynced(&self, writer: u32, at: SimTime) -> usize {
        self.0.forfeit_unsynced(writer, at)
    }

    /// The ledger as it stands.
    pub fn snapshot(&self) -> Ledger {
        self.0.snapshot()
    }
}

/// What a place holding `rows` serves.
pub fn view(rows: impl IntoIterator<Item = Row>) -> View {
    rows.into_iter().map(|r| (r.record, r.served())).collect()
}

/// `fs` with `kind`'s place of `user` serving `rows` (`None`: down),
/// added or replaced, places kept in user then kind order.
pub fn put(fs: &mut FinalState, kind: PlaceKind, user: u32, rows: Option<BTreeMap<RecordId, Row>>) {
    let place = Place {
        user,
        kind,
        index: user,
    };
    let served = rows.map(|m| view(m.into_values()));
    fs.places.retain(|(p, _)| *p != place);
    fs.places.push((place, served));
    fs.places.sort_by_key(|(p, _)| (p.user, p.kind.code));
}

/// A final state where user 0's handset and server serve what is given.
pub fn handset_and_server(handset: Option<Row>, server: Option<Row>) -> FinalState {
    let one = |row: Option<Row>| Some(row.into_iter().map(|r| (r.record, r)).collect());
    let mut fs = FinalState::default();
    put(&mut fs, HANDSET, 0, one(handset));
    put(&mut fs, SERVER, 0, one(server));
    fs
}
