//! How two versions of one record meet: at the server, when a writer pushes
//! a version, and at a writer, when a sync reply brings the server's.
//!
//! Versions carry only their parent, so a store can tell that one version
//! was made on top of another (a fast-forward) but not, in general, how
//! two versions further apart are related: anything else is treated as
//! concurrent. Two designs meet here ([`crate::design::Design::conflict_copies`]):
//!
//! - last-writer-wins (the 2009 way): the version with the larger
//!   [`Row::lww_key`] (the writer's stamp, then the version) wins; the other
//!   is silently discarded, and the server still reports a push it
//!   discarded as committed.
//! - conflict copies: a version made on top of the current one replaces it;
//!   of two concurrent versions the larger stamp is served and the other is
//!   kept beside it as a conflict copy ([`Row::keeping`]); a writer never
//!   drops a local edit the server has not committed, nor one it committed
//!   that the server's version does not hold (it pushes it again instead).

use crate::record::Row;

/// The server's current row for a record once `pushed` meets `current`:
/// `Some(row)` if it changes, `None` if it stays as it is.
pub fn at_server(current: Option<&Row>, pushed: &Row, conflict_copies: bool) -> Option<Row> {
    let Some(cur) = current else {
        return Some(pushed.clone());
    };
    if cur.holds(pushed.version) {
        // With conflict copies, the copies the pushed row carries are kept
        // too (a writer may hold some that the server lost).
        let news: Vec<&Row> = pushed
            .conflicts
            .iter()
            .filter(|c| !cur.holds(c.version))
            .collect();
        if !conflict_copies || news.is_empty() {
            return None;
        }
        return Some(
            news.into_iter()
                .fold(cur.clone(), |r, c| r.keeping(c.clone())),
        );
    }
    if !conflict_copies {
        return (pushed.lww_key() > cur.lww_key()).then(|| pushed.clone());
    }
    if pushed.parent == Some(cur.version) {
        let mut next = pushed.clone();
        for c in &cur.conflicts {
            next = next.keeping(c.clone());
        }
        return Some(next);
    }
    if cur.parent == Some(pushed.version) {
        return None;
    }
    Some(if pushed.lww_key() > cur.lww_key() {
        pushed.clone().keeping(cur.clone())
    } else {
        cur.clone().keeping(pushed.clone())
    })
}

/// Whether the server, serving `current`, reports `pushed` committed: it
/// holds it (as the version or a conflict copy) or a version made on top
/// of it; under last-writer-wins, also whenever its version wins the
/// comparison (the loser was discarded, but the push "succeeded").
pub fn committed(current: Option<&Row>, pushed: &Row, conflict_copies: bool) -> bool {
    let Some(cur) = current else {
        return false;
    };
    if cur.holds(pushed.version) {
        return true;
    }
    if conflict_copies {
        cur.parent == Some(pushed.version)
    } else {
        cur.lww_key() >= pushed.lww_key()
    }
}

/// What a writer does with the server's version of a record it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtWriter {
    /// Replace the local version with the server's.
    Take,
    /// The same version: the local one is synced (the server's row is
    /// taken if it carries other conflict copies).
    Same,
    /// Keep the local version; it is pushed (again) so the server gets it.
    Reupload,
    /// Keep the local version, which is not yet committed and will be pushed.
    Keep,
}

/// What a writer holding `local` (synced or not) does with `server`.
pub fn at_writer(server: &Row, local: &Row, local_synced: bool, conflict_copies: bool) -> AtWriter {
    if server.version == local.version {
        return AtWriter::Same;
    }
    if !conflict_copies {
        return if server.lww_key() > local.lww_key() {
            AtWriter::Take
        } else {
            AtWriter::Reupload
        };
    }
    if server.holds(local.version) || server.parent == Some(local.version) {
        AtWriter::Take
    } else if !local_synced {
        AtWriter::Keep
    } else {
        AtWriter::Reupload
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{RecordId, RecordKind, VersionId};

    const R: RecordId = RecordId {
        owner: 0,
        kind: RecordKind::Todo,
        n: 0,
    };

    fn row(writer: u32, seq: u32, parent: Option<(u32, u32)>, stamp: u64) -> Row {
        let v = |(writer, seq)| VersionId { writer, seq };
        Row::make(R, v((writer, seq)), parent.map(v), stamp, false)
    }

    #[test]
    fn last_writer_wins_discards_the_loser_but_reports_it_committed() {
        let base = row(0, 1, None, 100);
        let portal = row(5, 1, Some((0, 1)), 300);
        // The handset's clock was reset: its edit on top of the portal's
        // carries an older stamp and loses.
        let handset = row(0, 2, Some((5, 1)), 7);
        assert_eq!(at_server(Some(&base), &portal, false), Some(portal.clone()));
        assert_eq!(at_server(Some(&portal), &handset, false), None);
        assert!(committed(Some(&portal), &handset, false));
        // ... and the handset then takes the server's version over its own.
        assert_eq!(at_writer(&portal, &handset, false, false), AtWriter::Take);
        assert_eq!(at_writer(&base, &portal, true, false), AtWriter::Reupload);
    }

    #[test]
    fn conflict_copies_fast_forward_and_keep_the_losing_side() {
        let base = row(0, 1, None, 100);
        let portal = row(5, 1, Some((0, 1)), 300);
        let child = row(0, 2, Some((5, 1)), 7);
        assert_eq!(at_server(Some(&portal), &child, true), Some(child.clone()));
        let concurrent = row(0, 3, Some((0, 1)), 200);
        let merged = at_server(Some(&portal), &concurrent, true).unwrap();
        assert_eq!(merged.version, portal.version);
        assert!(merged.holds(concurrent.version) && merged.verifies());
        assert!(committed(Some(&merged), &concurrent, true));
        assert_eq!(at_server(Some(&merged), &concurrent, true), None);
        assert_eq!(at_server(Some(&portal), &base, true), None, "an ancestor");
        // The same version pushed with a conflict copy the server lost
        // brings the copy back.
        let again = at_server(Some(&portal), &merged, true).expect("a copy to keep");
        assert!(again.holds(concurrent.version));
        // A writer keeps an uncommitted concurrent edit, takes a merged row
        // that holds its own, and pushes again a committed one the server lost.
        assert_eq!(at_writer(&portal, &concurrent, false, true), AtWriter::Keep);
        assert_eq!(at_writer(&merged, &concurrent, true, true), AtWriter::Take);
        assert_eq!(
            at_writer(&portal, &concurrent, true, true),
            AtWriter::Reupload
        );
        assert_eq!(at_writer(&child, &portal, true, true), AtWriter::Take);
    }
}
