//! For unit tests: a ledger written in the Sidekick's own terms, as its
//! handsets would write it through their step I/O (record ids converted,
//! each version's content fingerprint the one its row carries), and final
//! states built from the Sidekick's rows.

use crate::places::FinalState;
use crate::system::{HANDSET_PLACE, PORTAL_PLACE, SERVER_PLACE};
use models::record::{content_of, fingerprint, RecordId, Row, VersionId};
use sim::ledger::{Ledger, LedgerHandle, Write};
use sim::place::{Place, PlaceKind, View};
use sim::time::SimTime;
use std::collections::BTreeMap;

/// A ledger the tests write as handsets do.
#[derive(Clone, Default)]
pub struct TestLedger(pub LedgerHandle);

impl TestLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// `version` of `record` written over `parent` (the content is the
    /// version's own; `_sum` is ignored).
    pub fn written(
        &self,
        record: RecordId,
        version: VersionId,
        parent: Option<VersionId>,
        _sum: u64,
        at: SimTime,
    ) {
        let content = fingerprint(&content_of(record, version));
        self.0
            .written(record.into(), version, Write::edit(parent, content), at);
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
        let content = fingerprint(&content_of(record, version));
        self.0
            .written(record.into(), version, Write::deletion(parent, content), at);
    }

    /// The user was told `saved`.
    pub fn saved(&self, record: RecordId, version: VersionId, at: SimTime) {
        self.0.saved(record.into(), version, at);
    }

    /// The user was told `synced`.
    pub fn synced(&self, record: RecordId, version: VersionId, at: SimTime) {
        self.0.synced(record.into(), version, at);
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
    rows.into_iter()
        .map(|r| (r.record.into(), r.served()))
        .collect()
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
    put(&mut fs, HANDSET_PLACE, 0, one(handset));
    put(&mut fs, SERVER_PLACE, 0, one(server));
    fs
}

/// The portal place kind, for tests that add one.
pub const PORTAL: PlaceKind = PORTAL_PLACE;
/// The handset place kind.
pub const HANDSET: PlaceKind = HANDSET_PLACE;
/// The server place kind.
pub const SERVER: PlaceKind = SERVER_PLACE;
