//! For the harness's integration tests: one user's one note, kept (or
//! not) at one reference place, the vault, as the tests' tiny systems
//! serve it.

use lastcopy_harness::sim::host::Addr;
use lastcopy_harness::sim::place::{Place, PlaceKind, Served, View};
use lastcopy_harness::sim::record::{RecordId, RecordKind, VersionId};

const NOTE: RecordKind = RecordKind::new(0, "note");
const VAULT: PlaceKind = PlaceKind {
    code: 0,
    name: "vault",
    reference: true,
};
/// User 0's note.
pub const RECORD: RecordId = RecordId {
    owner: 0,
    kind: NOTE,
    n: 0,
};
/// Its only version.
pub const VERSION: VersionId = VersionId { writer: 0, seq: 1 };
/// Its content.
pub const CONTENT: u64 = 7;

/// The one place: user 0's vault, served by node 0.
pub fn places() -> Vec<(Place, Addr)> {
    let vault = Place {
        user: 0,
        kind: VAULT,
        index: 0,
    };
    vec![(vault, Addr(0))]
}

/// What the vault serves: the note's version, if `held`, else nothing.
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
