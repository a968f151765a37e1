//! The places a user can read at the check, defined once: every check that
//! asks "what does a user see" (the checker's verdicts, `leaked`,
//! `liveness`, and convergence in the world and the baseline) reads them
//! from here.
//!
//! A user reads their records at three kinds of place: their handset's
//! store, their web portal (when the run has portals) and the server (the
//! primary database's rows of that user). A place that is down at the
//! check serves nothing (`None`).
//!
//! Convergence is agreement of what each place *shows*: per record, the
//! live version it serves and the conflict copies kept beside it; a
//! tombstone and no row at all agree (both say the record is deleted).
//! Every handset and portal of a user must show what the server shows.

use crate::world::FinalState;
use models::record::{RecordId, Row, VersionId};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What one place serves: a row per record.
pub type View = BTreeMap<RecordId, Row>;

/// One place a user can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// The user's handset.
    Handset(u32),
    /// The server's rows of the user.
    Server(u32),
    /// The user's web portal.
    Portal(u32),
}

impl Place {
    /// The user who reads this place.
    pub fn user(self) -> u32 {
        match self {
            Place::Handset(u) | Place::Server(u) | Place::Portal(u) => u,
        }
    }

    /// The kind of place, without its user: `handset`, `server`, `portal`.
    pub fn kind(self) -> &'static str {
        match self {
            Place::Handset(_) => "handset",
            Place::Server(_) => "server",
            Place::Portal(_) => "portal",
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Handset(u) => write!(f, "handset-{u}"),
            Place::Server(u) => write!(f, "server (user {u})"),
            Place::Portal(u) => write!(f, "portal-{u}"),
        }
    }
}

impl FinalState {
    /// Every place of every user with what it serves (`None`: down), user
    /// by user: handset, server, then portal (if the run has portals).
    pub fn places(&self) -> Vec<(Place, Option<&View>)> {
        self.handsets
            .keys()
            .flat_map(|&u| self.places_of(u))
            .collect()
    }

    /// The places of `user`: handset, server, then portal (if the run has
    /// portals), with what each serves (`None`: down).
    pub fn places_of(&self, user: u32) -> Vec<(Place, Option<&View>)> {
        fn view(m: &BTreeMap<u32, Option<View>>, user: u32) -> Option<&View> {
            m.get(&user).and_then(Option::as_ref)
        }
        let mut out = vec![
            (Place::Handset(user), view(&self.handsets, user)),
            (Place::Server(user), view(&self.server, user)),
        ];
        if self.portals.contains_key(&user) {
            out.push((Place::Portal(user), view(&self.portals, user)));
        }
        out
    }
}

/// What a place shows of one record: its live version and the versions of
/// the conflict copies kept beside it.
pub type Shown = (VersionId, Vec<VersionId>);

/// What `view` shows, per record; deleted records are not shown.
pub fn shown(view: &View) -> BTreeMap<RecordId, Shown> {
    view.iter()
        .filter(|(_, row)| !row.deleted)
        .map(|(r, row)| {
            let copies = row.conflicts.iter().map(|c| c.version).collect();
            (*r, (row.version, copies))
        })
        .collect()
}

/// The records `a` and `b` show differently, in record order.
pub fn apart(a: &View, b: &View) -> Vec<RecordId> {
    let (sa, sb) = (shown(a), shown(b));
    sa.keys()
        .chain(sb.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|r| sa.get(r) != sb.get(r))
        .copied()
        .collect()
}

/// How one record shows at a place, for a message: `v` with `+N copies`,
/// `deleted`, or `-` when it has no row.
pub fn describe(view: &View, record: &RecordId) -> String {
    match view.get(record) {
        None => "-".into(),
        Some(row) if row.deleted => format!("{} (deleted)", row.version),
        Some(row) if row.conflicts.is_empty() => row.version.to_string(),
        Some(row) => format!("{} +{} copies", row.version, row.conflicts.len()),
    }
}

/// A user's place that does not show what the server shows, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Apart {
    /// The place is down.
    Down,
    /// The server is down or awaiting a restore.
    ServerDown,
    /// Both are up; these records show differently.
    Records(Vec<RecordApart>),
}

/// One record a place shows differently from the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordApart {
    /// The record.
    pub record: RecordId,
    /// How the place shows it (see [`describe`]).
    pub here: String,
    /// How the server shows it.
    pub server: String,
}

/// Every place of `fs` that does not show what its user's server shows
/// (handsets and portals; the server is the reference), in place order.
pub fn not_converged(fs: &FinalState) -> Vec<(Place, Apart)> {
    let mut out = Vec::new();
    for user in fs.handsets.keys().copied() {
        let places = fs.places_of(user);
        let server = places
            .iter()
            .find(|(p, _)| matches!(p, Place::Server(_)))
            .and_then(|(_, v)| *v);
        for (place, view) in places {
            if matches!(place, Place::Server(_)) {
                continue;
            }
            let apart = match (view, server) {
                (None, _) => Apart::Down,
                (_, None) => Apart::ServerDown,
                (Some(v), Some(s)) => {
                    let records: Vec<RecordApart> = apart(v, s)
                        .into_iter()
                        .map(|record| RecordApart {
                            here: describe(v, &record),
                            server: describe(s, &record),
                            record,
                        })
                        .collect();
                    if records.is_empty() {
                        continue;
                    }
                    Apart::Records(records)
                }
            };
            out.push((place, apart));
        }
    }
    out
}

/// Whether every handset and portal shows what its user's server shows.
pub fn converged(fs: &FinalState) -> bool {
    not_converged(fs).is_empty()
}

/// Whether one user's places agree: the server serves, and each of the
/// user's other places (handset, portal) serves and shows what it shows.
/// The same judgement as [`converged`], one user at a time, so a caller can
/// stop at the first user apart.
/// `others` is read lazily, one place at a time, and not at all when the
/// server does not serve.
pub fn agree(server: Option<&View>, others: impl IntoIterator<Item = Option<View>>) -> bool {
    let Some(server) = server else {
        return false;
    };
    others
        .into_iter()
        .all(|v| v.is_some_and(|v| apart(&v, server).is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::record::RecordKind;

    fn row(record: RecordId, seq: u32) -> Row {
        Row::new(record, VersionId { writer: 0, seq }, None)
    }

    fn state(handset: Option<View>, server: Option<View>, portal: Option<View>) -> FinalState {
        let mut fs = FinalState::default();
        fs.handsets.insert(0, handset);
        fs.server.insert(0, server);
        fs.portals.insert(0, portal);
        fs
    }

    #[test]
    fn a_portal_apart_from_the_server_is_named() {
        let r = RecordId {
            owner: 0,
            kind: RecordKind::Contact,
            n: 0,
        };
        let same: View = [(r, row(r, 1))].into();
        let older: View = [(r, row(r, 0))].into();
        let fs = state(Some(same.clone()), Some(same.clone()), Some(older));
        assert!(!converged(&fs));
        let [(Place::Portal(0), Apart::Records(records))] = &not_converged(&fs)[..] else {
            panic!("only the portal is apart: {:?}", not_converged(&fs));
        };
        assert_eq!(records.iter().map(|a| a.record).collect::<Vec<_>>(), [r]);
        let fs = state(Some(same.clone()), Some(same.clone()), Some(same));
        assert!(converged(&fs));
    }

    #[test]
    fn a_conflict_copy_kept_at_one_place_only_is_apart() {
        let r = RecordId {
            owner: 0,
            kind: RecordKind::Contact,
            n: 0,
        };
        let plain: View = [(r, row(r, 2))].into();
        let mut with_copy = row(r, 2);
        with_copy.conflicts.push(row(r, 1));
        let kept: View = [(r, with_copy)].into();
        assert_eq!(apart(&plain, &kept), [r]);
        assert_eq!(
            describe(&kept, &r),
            format!("{} +1 copies", row(r, 2).version)
        );
    }

    #[test]
    fn a_tombstone_and_no_row_agree() {
        let r = RecordId {
            owner: 0,
            kind: RecordKind::Contact,
            n: 0,
        };
        let mut dead = row(r, 1);
        dead.deleted = true;
        assert!(apart(&[(r, dead)].into(), &View::new()).is_empty());
    }
}
