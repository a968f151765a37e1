//! Where users read their records: places, and what a place serves.
//!
//! A system names each place a user can read at the check (a device's
//! store, the service's copy of that user's data) and says what it serves
//! there, per record, in these terms; the checker, convergence and the
//! baseline judge only that, never the system's own rows.

use crate::record::{RecordId, VersionId};
use std::collections::BTreeMap;
use std::fmt;

/// A kind of place a system has (`client`, `server`, `portal`): its name,
/// an order among the system's kinds, and whether it is the reference the
/// user's other places must converge to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlaceKind {
    /// Orders a user's places (the reference need not come first).
    pub code: u16,
    /// The name verdicts use (`client has w3.2`).
    pub name: &'static str,
    /// Whether this is the user's reference place: every other place of the
    /// user has converged when it shows what this one shows.
    pub reference: bool,
}

/// One place a user can read: its kind, the user, and which one of that
/// kind it is (a device number; for a reference place, the user).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    /// The user who reads it.
    pub user: u32,
    /// What kind of place it is.
    pub kind: PlaceKind,
    /// Which place of that kind (`client-3` is index 3).
    pub index: u32,
}

impl Place {
    /// The user who reads this place.
    pub fn user(self) -> u32 {
        self.user
    }

    /// The kind of place, without its user: `client`, `server`, `portal`.
    pub fn kind(self) -> &'static str {
        self.kind.name
    }
}

impl fmt::Display for Place {
    /// `client-3` for a device; `server (user 3)` for a reference place.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind.reference {
            write!(f, "{} (user {})", self.kind.name, self.user)
        } else {
            write!(f, "{}-{}", self.kind.name, self.index)
        }
    }
}

/// What a place serves of one record: the version it shows (or the
/// deletion it keeps), whether its bytes are what the writer wrote, and
/// the conflict copies kept beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    /// The version served.
    pub version: VersionId,
    /// Whether it is a tombstone: the place says the record is deleted.
    pub deleted: bool,
    /// The fingerprint of the bytes served (the ledger's
    /// [`crate::ledger::Write::content`] of whatever version they are).
    pub content: u64,
    /// Whether the bytes still pass the system's own end-to-end check and
    /// are exactly what `version`'s writer wrote (copies included).
    pub genuine: bool,
    /// The losing sides of concurrent edits, kept beside this version.
    pub conflicts: Vec<Served>,
}

/// What one place serves: one entry per record it holds.
pub type View = BTreeMap<RecordId, Served>;
