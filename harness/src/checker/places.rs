//! The places a user can read at the check, defined once: every check that
//! asks "what does a user see" (the checker's verdicts, `leaked`,
//! `liveness`, and convergence in the world and the baseline) reads them
//! from here.
//!
//! A system names the places each user reads (`sim::place`): in the
//! Sidekick, the handset's store, the web portal (when the run has
//! portals) and the server (the primary database's rows of that user), the
//! server being the user's reference place. A place that is down at the
//! check serves nothing (`None`).
//!
//! Convergence is agreement of what each place *shows*: per record, the
//! live version it serves and the conflict copies kept beside it; a
//! tombstone and no row at all agree (both say the record is deleted).
//! Every place of a user must show what the user's reference place shows.

pub use sim::place::{Place, PlaceKind, Served, View};
use sim::record::{RecordId, VersionId};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// What each place serves at the end of the run, and whether the places
/// converged during heal.
#[derive(Clone, Debug, Default)]
pub struct FinalState {
    /// Every place of every user with what it serves (`None`: down), user
    /// by user in user order, each user's places in the system's order.
    pub places: Vec<(Place, Option<View>)>,
    /// Whether every user's places converged during heal.
    pub converged: bool,
    /// When heal converged, as time since heal began.
    pub converged_after: Option<Duration>,
}

impl FinalState {
    /// Every place of every user with what it serves (`None`: down), user
    /// by user.
    pub fn places(&self) -> Vec<(Place, Option<&View>)> {
        self.places.iter().map(|(p, v)| (*p, v.as_ref())).collect()
    }

    /// The places of `user`, in the system's order, with what each serves
    /// (`None`: down).
    pub fn places_of(&self, user: u32) -> Vec<(Place, Option<&View>)> {
        let from = self.places.partition_point(|(p, _)| p.user < user);
        self.places[from..]
            .iter()
            .take_while(|(p, _)| p.user == user)
            .map(|(p, v)| (*p, v.as_ref()))
            .collect()
    }

    /// The users with places, in order.
    pub fn users(&self) -> BTreeSet<u32> {
        self.places.iter().map(|(p, _)| p.user).collect()
    }

    /// What `place` serves (`None`: down, or no such place).
    pub fn view(&self, place: Place) -> Option<&View> {
        self.places
            .iter()
            .find(|(p, _)| *p == place)
            .and_then(|(_, v)| v.as_ref())
    }
}

/// What a place shows of one record: its live version and the versions of
/// the conflict copies kept beside it.
pub type Shown = (VersionId, Vec<VersionId>);

/// What `view` shows, per record; deleted records are not shown.
pub fn shown(view: &View) -> BTreeMap<RecordId, Shown> {
    view.iter()
        .filter(|(_, served)| !served.deleted)
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

/// A user's place that does not show what the user's reference place
/// (the server) shows, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Apart {
    /// The place is down.
    Down,
    /// The reference place is down or awaiting a restore.
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

/// Every place of `fs` that does not show what its user's reference place
/// shows (the reference itself is not listed), in place order.
pub fn not_converged(fs: &FinalState) -> Vec<(Place, Apart)> {
    let mut out = Vec::new();
    for user in fs.users() {
        let places = fs.places_of(user);
        let reference = places
            .iter()
            .find(|(p, _)| p.kind.reference)
            .and_then(|(_, v)| *v);
        for (place, view) in places {
            if place.kind.reference {
                continue;
            }
            let apart = match (view, reference) {
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

/// Whether every place shows what its user's server shows.
pub fn converged(fs: &FinalState) -> bool {
    not_converged(fs).is_empty()
}

/// What a place shows, per record (see [`shown`]): all that convergence
/// compares.
pub type Shows = BTreeMap<RecordId, Shown>;

/// Whether one user's places agree: the reference shows something, and
/// each of the user's other places shows the same. The same judgement as
/// [`converged`], one user at a time, so a caller can stop at the first
/// user apart. `others` is read lazily, one place at a time, and not at
/// all when the reference does not serve.
pub fn agree(reference: Option<&Shows>, others: impl IntoIterator<Item = Option<Shows>>) -> bool {
    let Some(reference) = reference else {
        return false;
    };
    others
        .into_iter()
        .all(|v| v.is_some_and(|v| &v == reference))
}

/// Whether every user's places agree now, as [`converged`] judges them:
/// `places` are the places (user by user, each with what `shows` needs to
/// read it) and `shows` reads what one shows (`None`: down; [`shown`] of
/// what it serves, or something cheaper that is equal to it). Reads
/// lazily, stopping at the first user apart.
pub fn all_agree<A>(places: &[(Place, A)], shows: impl Fn(Place, &A) -> Option<Shows>) -> bool {
    let mut rest = places;
    while let Some((first, _)) = rest.first() {
        let n = rest
            .iter()
            .take_while(|(p, _)| p.user == first.user)
            .count();
        let (user, later) = rest.split_at(n);
        rest = later;
        let Some((reference, at)) = user.iter().find(|(p, _)| p.kind.reference) else {
            continue;
        };
        let others = user
            .iter()
            .filter(|(p, _)| !p.kind.reference)
            .map(|(p, a)| shows(*p, a));
        if !agree(shows(*reference, at).as_ref(), others) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{Row, CONTACT, HANDSET, PORTAL, SERVER};

    fn row(record: RecordId, seq: u32) -> Served {
        Row::new(record, VersionId { writer: 0, seq }, None).served()
    }

    fn place(kind: PlaceKind) -> Place {
        Place {
            user: 0,
            kind,
            index: 0,
        }
    }

    fn state(handset: Option<View>, server: Option<View>, portal: Option<View>) -> FinalState {
        FinalState {
            places: vec![
                (place(HANDSET), handset),
                (place(SERVER), server),
                (place(PORTAL), portal),
            ],
            ..FinalState::default()
        }
    }

    #[test]
    fn a_portal_apart_from_the_server_is_named() {
        let r = RecordId {
            owner: 0,
            kind: CONTACT,
            n: 0,
        };
        let same: View = [(r, row(r, 1))].into();
        let older: View = [(r, row(r, 0))].into();
        let fs = state(Some(same.clone()), Some(same.clone()), Some(older));
        assert!(!converged(&fs));
        let [(p, Apart::Records(records))] = &not_converged(&fs)[..] else {
            panic!("only the portal is apart: {:?}", not_converged(&fs));
        };
        assert_eq!((p.to_string(), p.kind()), ("portal-0".into(), "portal"));
        assert_eq!(records.iter().map(|a| a.record).collect::<Vec<_>>(), [r]);
        let fs = state(Some(same.clone()), Some(same.clone()), Some(same));
        assert!(converged(&fs));
    }

    #[test]
    fn a_conflict_copy_kept_at_one_place_only_is_apart() {
        let r = RecordId {
            owner: 0,
            kind: CONTACT,
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
            kind: CONTACT,
            n: 0,
        };
        let mut dead = row(r, 1);
        dead.deleted = true;
        assert!(apart(&[(r, dead)].into(), &View::new()).is_empty());
    }
}
