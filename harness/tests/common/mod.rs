//! One note in one place: the record, version and place of the smallest
//! systems the harness's tests plant bugs in.

use lastcopy_harness::sim::host::Addr;
use lastcopy_harness::sim::place::{Place, PlaceKind, Served, View};
use lastcopy_harness::sim::record::{RecordId, RecordKind, VersionId};

/// The kind of the one record.
pub const NOTE: RecordKind = RecordKind::new(0, "note");
/// The one record.
pub const RECORD: RecordId = RecordId {
    owner: 0,
    kind: NOTE,
    n: 0,
};
/// Its one version.
pub const VERSION: VersionId = VersionId { writer: 0, seq: 1 };
/// That version's content fingerprint.
pub const CONTENT: u64 = 7;

/// The one place, named `name`, served by node 0.
pub fn places(name: &'static str) -> Vec<(Place, Addr)> {
    let kind = PlaceKind {
        code: 0,
        name,
        reference: true,
    };
    let place = Place {
        user: 0,
        kind,
        index: 0,
    };
    vec![(place, Addr(0))]
}

/// What the place serves: the note when it is `held`, else nothing.
pub fn served(held: bool) -> Option<View> {
    let kept = Served {
        version: VERSION,
        deleted: false,
        content: CONTENT,
        genuine: true,
        conflicts: vec![],
    };
    Some(held.then_some((RECORD, kept)).into_iter().collect())
}
