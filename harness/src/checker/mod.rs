//! The checker: judges one run against the promise.
//!
//! It reads only the ledger (what users were told), the final state (what
//! each place serves) and the trace. A record's versions form a graph by
//! parent (with two writers, a handset and the user's web portal, it can
//! fork); the latest acknowledged versions are the promised ones that no
//! other promised version descends from. A place *covers* a version if the
//! row it serves descends from it, or keeps a conflict copy that does (for
//! a deletion, only beside a concurrent edit that won: a deletion kept as a
//! conflict copy of its own ancestor is a record served again).
//!
//! Per record, over the places its owner can read (the handset's store, the
//! web portal if the run has one, and the server), the most severe verdict
//! applies:
//!
//! - `corrupted`: a place serves content (or a conflict copy) that is not a
//!   written version of the record.
//! - `leaked` (judged apart, per place): a place of one user serves the
//!   content of a version of a record another user owns (a privacy breach:
//!   such a row counts as no version of the record it is filed under).
//! - `lost`: no place serves any version of it (not even a tombstone), and
//!   some latest acknowledged version is not a deletion: a record gone that
//!   its user never deleted.
//! - `lost-update`: a latest acknowledged edit is covered nowhere, and some
//!   place serves a version concurrent with it (neither its ancestor nor
//!   its descendant) whose branch since the two forked holds another
//!   writer's edit: another writer's edit won and the acknowledged one was
//!   discarded, not kept as a conflict copy.
//! - `resurrected`: a latest acknowledged deletion is covered nowhere and a
//!   place serves the record live again.
//! - `rolled-back`: a latest acknowledged version is covered nowhere and
//!   every served version is an ancestor of it: the places went back in the
//!   record's own history.
//!
//! So `rolled-back` and `lost-update` split on how the served version
//! relates to the acknowledged one: an ancestor is a roll-back; a
//! concurrent version that another writer's edit led to is a lost update.
//! A fork one writer made alone (its acknowledged version undone beneath
//! it, as a cache re-fetch or a failed flash sync does, then edited again)
//! is a roll-back too: no second writer took part. A deletion served as a
//! different, concurrent deletion still leaves the record deleted, which
//! keeps the promise.
//!
//! A run whose places still serve apart at the check gets `liveness`
//! verdicts naming what is apart, judged from what they serve (not from
//! the quicker view the heal loop compared, which a system may get wrong). Forfeited versions
//! (saved, never synced, then wiped by the user's own reset) are counted,
//! not judged.

pub mod near_miss;
pub mod places;
pub mod situation;

use crate::checker::places::FinalState;
use crate::checker::places::Served;
use places::{Apart, Place};
use sim::ledger::Ledger;
use sim::outcome::{Verdict, VerdictKind};
use sim::record::{RecordId, VersionId};
use sim::trace::EngineEvent;
use sim::trace::Trace;
use std::collections::{BTreeMap, BTreeSet};

/// The failing verdicts of a seed by kind, most severe first:
/// `lost 64, liveness 8`.
pub fn verdict_summary(o: &sim::outcome::SeedOutcome) -> String {
    VerdictKind::ALL
        .iter()
        .map(|&k| (k, o.verdict_count(k)))
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What is still apart in a seed whose sync did not converge, from its
/// `liveness` verdicts: `handset-3: 2 records apart; handset-5: handset
/// never came back up` (the first three places, then how many more).
pub fn liveness_summary(o: &sim::outcome::SeedOutcome) -> String {
    let apart: Vec<String> = o
        .verdicts
        .iter()
        .filter(|v| v.kind == VerdictKind::Liveness)
        .map(|v| {
            let short = v.detail.split(':').next().unwrap_or(&v.detail);
            format!("{}: {short}", v.subject)
        })
        .collect();
    let mut text = apart.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
    if apart.len() > 3 {
        text.push_str(&format!("; and {} more", apart.len() - 3));
    }
    text
}

/// The finding that counts a run's caught machine panics (a step that
/// panicked; the node was rebooted as after a power loss).
pub const ENGINE_PANIC: &str = "engine-panic";

/// The finding that a run's places agreed by the system's quick view
/// (`System::shows`) but not by what they serve, or the other way round,
/// at the check: a system's `shows` that does not tell what `served` does.
pub const SHOWS_MISMATCH: &str = "shows-mismatch";

/// The counts the checker records in every outcome
/// ([`sim::outcome::SeedOutcome::count`]), by the name each is kept under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// Versions written (deletions too).
    Versions,
    /// Versions whose user was told `saved`.
    Saved,
    /// Versions whose user was told `synced`.
    Synced,
    /// Versions forfeited by their users' own resets.
    Forfeited,
    /// Records written.
    Records,
    /// Messages sent.
    Messages,
    /// Edits the workload skipped.
    EditsSkipped,
}

impl Count {
    /// The name the count is kept under.
    pub fn name(self) -> &'static str {
        match self {
            Count::Versions => "versions",
            Count::Saved => "saved",
            Count::Synced => "synced",
            Count::Forfeited => "forfeited",
            Count::Records => "records",
            Count::Messages => "messages",
            Count::EditsSkipped => "edits-skipped",
        }
    }
}

/// What the checker found in one run.
#[derive(Clone, Debug, Default)]
pub struct Judgement {
    /// Failing verdicts, sorted.
    pub verdicts: Vec<Verdict>,
    /// Counters: versions written, saved, synced, forfeited, records.
    pub counts: BTreeMap<String, u64>,
    /// Findings beside the verdicts: caught panics ([`ENGINE_PANIC`]), a
    /// quick view that disagreed with what was served ([`SHOWS_MISMATCH`]).
    pub findings: BTreeMap<String, u64>,
}

/// What the checker reads of one run: what users were told, what each
/// place serves, the trace, and two counters it reports beside verdicts.
#[derive(Clone, Copy, Debug)]
pub struct Evidence<'a> {
    /// The run's trace.
    pub trace: &'a Trace,
    /// What every user was told.
    pub ledger: &'a Ledger,
    /// What each place serves at the check.
    pub final_state: &'a FinalState,
    /// Messages delivered.
    pub messages: u64,
    /// User actions skipped because their node was down.
    pub edits_skipped: u64,
}

/// Judges the run `out` describes.
pub fn judge(out: &Evidence<'_>) -> Judgement {
    let mut j = Judgement::default();
    let ledger = out.ledger;
    let fs = out.final_state;
    let owners = Owners::of(ledger);
    j.verdicts.extend(leaked(fs, &owners));
    for record in ledger.records() {
        if let Some(v) = judge_record(ledger, fs, &owners, record) {
            j.verdicts.push(v);
        }
    }
    // Served records nobody ever wrote are corrupt too (unless what is
    // served is another user's record, which is a leak, judged above).
    let written: BTreeSet<RecordId> = ledger.records().into_iter().collect();
    for (place, view) in fs.places() {
        let Some(view) = view else { continue };
        for (record, _) in view
            .iter()
            .filter(|(r, row)| !written.contains(r) && owners.foreign(**r, row).is_none())
        {
            j.verdicts.push(Verdict {
                kind: VerdictKind::Corrupted,
                subject: record.to_string(),
                detail: format!("{place} serves a record nobody wrote"),
            });
        }
    }
    // From what the places serve, whatever the heal loop concluded from
    // what they show (`System::shows`): a system whose quick view agrees
    // while what it serves does not still fails here.
    let apart = places::not_converged(fs);
    if fs.converged != apart.is_empty() {
        // The heal loop's last look and the check are the same instant.
        j.findings.insert(SHOWS_MISMATCH.into(), 1);
    }
    j.verdicts.extend(liveness(fs, apart));
    j.verdicts.sort();
    j.verdicts.dedup();
    let mut c = |k: Count, v: u64| {
        j.counts.insert(k.name().to_string(), v);
    };
    let entries: Vec<_> = ledger.entries().collect();
    c(Count::Versions, entries.len() as u64);
    c(
        Count::Saved,
        entries.iter().filter(|(_, e)| e.saved_at.is_some()).count() as u64,
    );
    c(
        Count::Synced,
        entries
            .iter()
            .filter(|(_, e)| e.synced_at.is_some())
            .count() as u64,
    );
    c(
        Count::Forfeited,
        entries
            .iter()
            .filter(|(_, e)| e.forfeited_at.is_some())
            .count() as u64,
    );
    c(Count::Records, written.len() as u64);
    c(Count::Messages, out.messages);
    c(Count::EditsSkipped, out.edits_skipped);
    for &k in VerdictKind::ALL {
        let n = j.verdicts.iter().filter(|v| v.kind == k).count() as u64;
        j.counts.insert(k.name().to_string(), n);
    }
    let panics = out
        .trace
        .events()
        .iter()
        .filter(|e| e.kind == EngineEvent::NodePanic)
        .count() as u64;
    if panics > 0 {
        j.findings.insert(ENGINE_PANIC.into(), panics);
    }
    j
}

/// Which record every written content belongs to: the content of a
/// version is a pure function of (record, version), so a served row's
/// content names the record it really is, whatever it is filed under.
struct Owners(BTreeMap<u64, RecordId>);

impl Owners {
    fn of(ledger: &Ledger) -> Self {
        Owners(
            ledger
                .entries()
                .map(|((r, _), e)| (e.content, *r))
                .collect(),
        )
    }

    /// The record of another owner whose content `served`, filed as
    /// `record`, holds, if any.
    fn foreign(&self, record: RecordId, served: &Served) -> Option<RecordId> {
        self.0
            .get(&served.content)
            .copied()
            .filter(|r| r.owner != record.owner)
    }
}

/// `leaked`: every record whose content a place of a user who does not
/// own it serves (handsets, the server and portals alike).
fn leaked(fs: &FinalState, owners: &Owners) -> Vec<Verdict> {
    let mut out = Vec::new();
    for (place, view) in fs.places() {
        let Some(view) = view else { continue };
        for (filed, row) in view {
            let real = owners
                .0
                .get(&row.content)
                .copied()
                .filter(|r| r.owner != place.user());
            if let Some(real) = real {
                out.push(Verdict {
                    kind: VerdictKind::Leaked,
                    subject: real.to_string(),
                    detail: format!(
                        "{place} serves {} of {real}, owned by user {}, filed as {}",
                        row.version, real.owner, filed
                    ),
                });
            }
        }
    }
    out
}

fn judge_record(
    ledger: &Ledger,
    fs: &FinalState,
    owners: &Owners,
    record: RecordId,
) -> Option<Verdict> {
    let served = served_rows(fs, owners, record);
    let verdict = |kind: VerdictKind, detail: String| Verdict {
        kind,
        subject: record.to_string(),
        detail,
    };
    if let Some(detail) = corruption(ledger, record, &served) {
        return Some(verdict(VerdictKind::Corrupted, detail));
    }
    let latest = ledger.latest_promised(record);
    if latest.is_empty() {
        return None;
    }
    if served.is_empty() {
        if latest.iter().all(|&v| ledger.is_deletion(record, v)) {
            return None;
        }
        let detail = format!(
            "acknowledged {} but no place serves any version",
            version_list(&latest)
        );
        return Some(verdict(VerdictKind::Lost, detail));
    }
    let kinds: Vec<(VerdictKind, VersionId)> = latest
        .iter()
        .copied()
        .filter(|&l| !served.iter().any(|(_, row)| covers(ledger, record, row, l)))
        .filter_map(|l| missed_as(ledger, record, l, &served).map(|k| (k, l)))
        .collect();
    let worst = kinds.iter().map(|(k, _)| *k).min()?;
    let versions: Vec<_> = kinds
        .iter()
        .filter(|(k, _)| *k == worst)
        .map(|(_, v)| *v)
        .collect();
    Some(verdict(worst, missed_detail(worst, &versions, &served)))
}

/// What each place of the record's owner serves of it: (place kind, row),
/// leaving out rows another user's place leaked in.
fn served_rows<'a>(
    fs: &'a FinalState,
    owners: &Owners,
    record: RecordId,
) -> Vec<(&'a str, &'a Served)> {
    fs.places_of(record.owner)
        .into_iter()
        .filter_map(|(p, v)| v.and_then(|v| v.get(&record)).map(|row| (p.kind(), row)))
        .filter(|(_, row)| owners.foreign(record, row).is_none())
        .collect()
}

/// `corrupted`, in words, if a place serves a row (or keeps a conflict
/// copy) that is not genuine or that no writer wrote.
fn corruption(ledger: &Ledger, record: RecordId, served: &[(&str, &Served)]) -> Option<String> {
    served.iter().find_map(|(place, row)| {
        let unknown = std::iter::once(*row)
            .chain(&row.conflicts)
            .find(|r| ledger.get(record, r.version).is_none());
        (!row.genuine || unknown.is_some()).then(|| {
            format!(
                "{place} serves {} whose content is not what its writer wrote",
                unknown.map_or(row.version, |r| r.version)
            )
        })
    })
}

/// Whether `row` keeps the acknowledged version `l`: it descends from it,
/// or a conflict copy does. A conflict copy keeps an edit; it keeps a
/// deletion only beside a concurrent edit that won, never beside an
/// ancestor served live again.
fn covers(ledger: &Ledger, record: RecordId, row: &Served, l: VersionId) -> bool {
    ledger.descends(record, row.version, l)
        || (row
            .conflicts
            .iter()
            .any(|c| ledger.descends(record, c.version, l))
            && (!ledger.is_deletion(record, l) || ledger.concurrent(record, row.version, l)))
}

/// What it means that no place keeps the acknowledged version `l`: a
/// deletion with a live row served is `resurrected` (a deletion nothing
/// serves live is kept); an edit lost to another writer's concurrent
/// branch is a `lost-update`; otherwise the places went back: `rolled-back`.
fn missed_as(
    ledger: &Ledger,
    record: RecordId,
    l: VersionId,
    served: &[(&str, &Served)],
) -> Option<VerdictKind> {
    if ledger.is_deletion(record, l) {
        let live = served.iter().any(|(_, r)| !r.deleted);
        return live.then_some(VerdictKind::Resurrected);
    }
    let lost_to_another = served.iter().any(|(_, r)| {
        ledger.concurrent(record, r.version, l)
            && ledger
                .branch(record, r.version, l)
                .iter()
                .any(|b| b.writer != l.writer)
    });
    Some(match lost_to_another {
        true => VerdictKind::LostUpdate,
        false => VerdictKind::RolledBack,
    })
}

/// The verdict's words for the acknowledged `versions` no place keeps.
fn missed_detail(worst: VerdictKind, versions: &[VersionId], served: &[(&str, &Served)]) -> String {
    let what = served
        .iter()
        .map(|(p, r)| {
            let dead = if r.deleted { " (deleted)" } else { "" };
            format!("{p} has {}{dead}", r.version)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let names = version_list(versions);
    match worst {
        VerdictKind::Resurrected => format!("deletion {names} acknowledged but {what}"),
        VerdictKind::LostUpdate => format!(
            "acknowledged {names} but {what}, concurrent with it, and no conflict copy kept"
        ),
        _ => format!("acknowledged {names} but {what}"),
    }
}

/// `v1, v2, ...`
fn version_list(vs: &[VersionId]) -> String {
    vs.iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `liveness`: every place (a device) of `apart` ([`places::not_converged`])
/// that does not show what its user's reference place (the server) shows,
/// naming the records apart and how each shows.
fn liveness(fs: &FinalState, apart: Vec<(Place, Apart)>) -> Vec<Verdict> {
    apart
        .into_iter()
        .map(|(place, apart)| {
            let reference = fs
                .places_of(place.user)
                .iter()
                .find(|(p, _)| p.kind.reference)
                .map_or("reference", |(p, _)| p.kind());
            let detail = match apart {
                Apart::Down => format!("{} never came back up", place.kind()),
                Apart::ServerDown => format!("{reference} not serving at the heal bound"),
                Apart::Records(records) => {
                    let each: Vec<String> = records
                        .iter()
                        .map(|a| {
                            let kind = place.kind();
                            format!("{} ({kind} {}, {reference} {})", a.record, a.here, a.server)
                        })
                        .collect();
                    format!("{} records apart: {}", records.len(), each.join("; "))
                }
            };
            Verdict {
                kind: VerdictKind::Liveness,
                subject: place.to_string(),
                detail,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{
        handset_and_server, put, Row, TestLedger as LedgerHandle, CONTACT, HANDSET, PORTAL, SERVER,
    };
    use sim::time::SimTime;

    const R: RecordId = RecordId {
        owner: 0,
        kind: CONTACT,
        n: 0,
    };

    /// A run as the checker sees it.
    struct Out {
        trace: Trace,
        ledger: Ledger,
        final_state: FinalState,
    }

    fn judge(out: &Out) -> Judgement {
        super::judge(&Evidence {
            trace: &out.trace,
            ledger: &out.ledger,
            final_state: &out.final_state,
            messages: 0,
            edits_skipped: 0,
        })
    }

    fn v(seq: u32) -> VersionId {
        VersionId { writer: 0, seq }
    }

    /// A ledger where v1 then v2 of R were written, saved and synced.
    fn ledger() -> LedgerHandle {
        let l = LedgerHandle::new();
        l.written(R, v(1), None, 0, SimTime(1));
        l.written(R, v(2), Some(v(1)), 0, SimTime(2));
        for s in [1, 2] {
            l.saved(R, v(s), SimTime(3));
            l.synced(R, v(s), SimTime(4));
        }
        l
    }

    fn run(
        ledger: &LedgerHandle,
        handset: Option<Row>,
        server: Option<Row>,
        converged: bool,
    ) -> Out {
        let final_state = FinalState {
            converged,
            ..handset_and_server(handset, server)
        };
        Out {
            trace: Trace::new(),
            ledger: ledger.snapshot(),
            final_state,
        }
    }

    fn kinds(out: &Out) -> Vec<String> {
        judge(out)
            .verdicts
            .into_iter()
            .map(|v| v.kind.to_string())
            .collect()
    }

    #[test]
    fn the_latest_version_served_everywhere_keeps_the_promise() {
        let l = ledger();
        let row = Row::new(R, v(2), Some(v(1)));
        assert!(kinds(&run(&l, Some(row.clone()), Some(row), true)).is_empty());
    }

    #[test]
    fn nothing_served_is_lost() {
        assert_eq!(kinds(&run(&ledger(), None, None, true)), ["lost"]);
    }

    #[test]
    fn an_older_version_served_is_rolled_back() {
        let old = Row::new(R, v(1), None);
        assert_eq!(
            kinds(&run(&ledger(), Some(old.clone()), Some(old), true)),
            ["rolled-back"]
        );
    }

    #[test]
    fn content_no_writer_wrote_is_corrupted() {
        let mut bad = Row::new(R, v(2), Some(v(1)));
        bad.genuine = false;
        let good = Row::new(R, v(2), Some(v(1)));
        assert_eq!(
            kinds(&run(&ledger(), Some(good), Some(bad), true)),
            ["corrupted"]
        );
    }

    #[test]
    fn another_users_record_served_is_leaked() {
        // User 1 wrote u1/contact-0; user 0's handset serves its content,
        // filed under user 0 (an account restore into the wrong account).
        let l = ledger();
        let theirs = RecordId { owner: 1, ..R };
        let w1 = VersionId { writer: 1, seq: 1 };
        l.written(theirs, w1, None, 0, SimTime(1));
        l.saved(theirs, w1, SimTime(2));
        l.synced(theirs, w1, SimTime(3));
        let mut misfiled = Row::new(theirs, w1, None);
        misfiled.record.owner = 0;
        let mine = Row::new(R, v(2), Some(v(1)));
        let mut out = run(&l, Some(misfiled), Some(mine), true);
        put(&mut out.final_state, HANDSET, 1, Some(BTreeMap::new()));
        put(&mut out.final_state, SERVER, 1, Some(BTreeMap::new()));
        let verdicts = judge(&out).verdicts;
        let leaked: Vec<_> = verdicts
            .iter()
            .filter(|v| v.kind == VerdictKind::Leaked)
            .collect();
        assert_eq!(leaked.len(), 1, "{verdicts:?}");
        assert_eq!(leaked[0].subject, "u1/contact-0");
        // The misfiled row is no version of u0/contact-0 (the server's is),
        // and u1 lost its record: no place of its own serves it.
        assert!(
            !verdicts.iter().any(|v| v.kind == VerdictKind::Corrupted),
            "{verdicts:?}"
        );
        assert!(verdicts
            .iter()
            .any(|v| v.kind == VerdictKind::Lost && v.subject == "u1/contact-0"));
    }

    #[test]
    fn another_users_record_served_by_a_portal_is_leaked() {
        // User 1 wrote u1/contact-0; user 0's web portal serves its content.
        let l = ledger();
        let theirs = RecordId { owner: 1, ..R };
        let w1 = VersionId { writer: 1, seq: 1 };
        l.written(theirs, w1, None, 0, SimTime(1));
        l.saved(theirs, w1, SimTime(2));
        l.synced(theirs, w1, SimTime(3));
        let mine = Row::new(R, v(2), Some(v(1)));
        let theirs_row = Row::new(theirs, w1, None);
        let mut out = run(&l, Some(mine.clone()), Some(mine.clone()), true);
        let mut misfiled = theirs_row.clone();
        misfiled.record.owner = 0;
        let portal: BTreeMap<RecordId, Row> = [(R, mine), (misfiled.record, misfiled)].into();
        put(&mut out.final_state, PORTAL, 0, Some(portal));
        let own: BTreeMap<RecordId, Row> = [(theirs, theirs_row)].into();
        put(&mut out.final_state, HANDSET, 1, Some(own.clone()));
        put(&mut out.final_state, SERVER, 1, Some(own.clone()));
        put(&mut out.final_state, PORTAL, 1, Some(own));
        let verdicts = judge(&out).verdicts;
        let leaked: Vec<_> = verdicts
            .iter()
            .filter(|v| v.kind == VerdictKind::Leaked)
            .collect();
        assert_eq!(leaked.len(), 1, "{verdicts:?}");
        assert_eq!(leaked[0].subject, "u1/contact-0");
        assert!(
            leaked[0].detail.starts_with("portal-0 serves"),
            "{leaked:?}"
        );
    }

    #[test]
    fn a_portal_apart_from_the_server_is_a_liveness_verdict_naming_it() {
        let row = Row::new(R, v(2), Some(v(1)));
        let mut out = run(&ledger(), Some(row.clone()), Some(row.clone()), false);
        // The portal keeps a conflict copy the server does not.
        let mut kept = row;
        kept.conflicts.push(Row::new(R, v(1), None));
        put(&mut out.final_state, PORTAL, 0, Some([(R, kept)].into()));
        let verdicts = judge(&out).verdicts;
        assert_eq!(verdicts.len(), 1, "{verdicts:?}");
        assert_eq!(verdicts[0].kind, VerdictKind::Liveness);
        assert_eq!(verdicts[0].subject, "portal-0");
        assert!(
            verdicts[0].detail.contains("+1 copies"),
            "{:?}",
            verdicts[0].detail
        );
    }

    #[test]
    fn places_that_serve_apart_fail_liveness_even_if_their_quick_view_agreed() {
        // The heal loop stopped on `System::shows` agreeing; what the
        // places serve at the check disagrees: the served views decide.
        let row = Row::new(R, v(2), Some(v(1)));
        let older = Row::new(R, v(1), None);
        let out = run(&ledger(), Some(older), Some(row), true);
        assert!(
            kinds(&out).contains(&"liveness".to_string()),
            "{:?}",
            kinds(&out)
        );
    }

    #[test]
    fn places_that_never_agree_are_a_liveness_failure() {
        let row = Row::new(R, v(2), Some(v(1)));
        assert_eq!(kinds(&run(&ledger(), Some(row), None, false)), ["liveness"]);
    }

    /// The portal's versions of R (writer 1).
    fn p(seq: u32) -> VersionId {
        VersionId { writer: 1, seq }
    }

    /// v1 by the handset; then, concurrently, v2 on the handset and p1 on
    /// the portal (both on top of v1); all acknowledged.
    fn forked() -> LedgerHandle {
        let l = LedgerHandle::new();
        l.written(R, v(1), None, 0, SimTime(1));
        l.written(R, v(2), Some(v(1)), 0, SimTime(2));
        l.written(R, p(1), Some(v(1)), 0, SimTime(3));
        for x in [v(1), v(2), p(1)] {
            l.saved(R, x, SimTime(4));
            l.synced(R, x, SimTime(5));
        }
        l
    }

    #[test]
    fn a_concurrent_version_served_without_a_conflict_copy_is_a_lost_update() {
        let l = forked();
        let won = Row::new(R, p(1), Some(v(1)));
        let out = run(&l, Some(won.clone()), Some(won.clone()), true);
        assert_eq!(kinds(&out), ["lost-update"]);
        assert!(judge(&out).verdicts[0].detail.contains("w0.2"));
        // Kept as a conflict copy beside the winner, it keeps the promise.
        let merged = won.keeping(Row::new(R, v(2), Some(v(1))));
        assert!(kinds(&run(&l, Some(merged.clone()), Some(merged), true)).is_empty());
        // An ancestor served instead is a roll-back, not a lost update.
        let old = Row::new(R, v(1), None);
        assert_eq!(
            kinds(&run(&l, Some(old.clone()), Some(old), true)),
            ["rolled-back"]
        );
    }

    #[test]
    fn a_fork_one_writer_made_alone_is_a_roll_back() {
        // v2 acknowledged, undone beneath the writer, which then made v3 on
        // top of v1: no second writer took part.
        let l = forked();
        l.written(R, v(3), Some(v(1)), 0, SimTime(6));
        l.saved(R, v(3), SimTime(6));
        let row = Row::new(R, v(3), Some(v(1)));
        let out = run(&l, Some(row.clone()), Some(row), true);
        // p1 (the portal's) and v2 are both lost; v2's loss came from the
        // writer's own fork, p1's from another writer's edit.
        let verdicts = judge(&out).verdicts;
        assert_eq!(verdicts.len(), 1);
        assert_eq!(verdicts[0].kind, VerdictKind::LostUpdate);
        assert!(verdicts[0].detail.contains("w1.1") && !verdicts[0].detail.contains("w0.2"));
        let solo = ledger();
        solo.written(R, v(3), Some(v(1)), 0, SimTime(6));
        solo.saved(R, v(3), SimTime(6));
        let row = Row::new(R, v(3), Some(v(1)));
        assert_eq!(
            kinds(&run(&solo, Some(row.clone()), Some(row), true)),
            ["rolled-back"]
        );
    }

    #[test]
    fn a_deleted_record_served_live_again_is_resurrected() {
        let l = ledger();
        l.written_tombstone(R, v(3), Some(v(2)), 0, SimTime(6));
        l.saved(R, v(3), SimTime(6));
        l.synced(R, v(3), SimTime(7));
        let tomb = Row::make(R, v(3), Some(v(2)), 0, true);
        let live = Row::new(R, v(2), Some(v(1)));
        // Deleted everywhere, or purged everywhere: the promise is kept.
        assert!(kinds(&run(&l, Some(tomb.clone()), Some(tomb.clone()), true)).is_empty());
        assert!(kinds(&run(&l, None, None, true)).is_empty());
        // A stale copy served again: resurrected (a deletion kept only as
        // a conflict copy of its own ancestor does not excuse it).
        assert_eq!(
            kinds(&run(&l, Some(live.clone()), Some(live.clone()), true)),
            ["resurrected"]
        );
        let hidden = live.clone().keeping(tomb);
        assert_eq!(
            kinds(&run(&l, Some(hidden.clone()), Some(hidden), true)),
            ["resurrected"]
        );
        // A record gone that its user never deleted is still lost.
        assert_eq!(kinds(&run(&ledger(), None, None, true)), ["lost"]);
    }

    #[test]
    fn a_deletion_kept_beside_a_concurrent_edit_that_won_keeps_the_promise() {
        let l = forked();
        l.written_tombstone(R, v(3), Some(v(2)), 0, SimTime(6));
        l.saved(R, v(3), SimTime(6));
        l.synced(R, v(3), SimTime(7));
        let tomb = Row::make(R, v(3), Some(v(2)), 0, true);
        let won = Row::new(R, p(1), Some(v(1))).keeping(tomb);
        assert!(kinds(&run(&l, Some(won.clone()), Some(won), true)).is_empty());
    }

    #[test]
    fn a_forfeited_version_is_counted_not_judged() {
        let l = LedgerHandle::new();
        l.written(R, v(1), None, 0, SimTime(1));
        l.saved(R, v(1), SimTime(2));
        assert_eq!(l.forfeit_unsynced(0, SimTime(3)), 1);
        let out = run(&l, None, None, true);
        assert!(kinds(&out).is_empty());
        assert_eq!(judge(&out).counts[Count::Forfeited.name()], 1);
    }
}
