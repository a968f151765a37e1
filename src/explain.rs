//! Loss explanations: for each record with a failing verdict, its lineage
//! told in words, one line per event in simulated-time order.
//!
//! The explainer reads only what a run hands on (the trace, the ledger and
//! the final state) and the verdicts the checker reached; it never looks
//! inside a model. From the trace's copy events it rebuilds, per record,
//! every durable copy that ever held a version of it, what ended each copy
//! (and which planned fault was to blame), and which event ended the last
//! copy of each acknowledged version. The same reading
//! ([`RecordLineage`]) tells the shrinker which faults and handsets matter.
//!
//! Everything here is a pure function of its inputs: no clock, no hash map
//! iteration, so the same run always explains the same way.

use crate::places::{Place, View};
use crate::topology;
use harness::story::{Closing, Story, StoryLine};
use harness::world::Output as RunOutput;
use models::event::SidekickEvent;
use models::fault::FaultKind;
use serde::Serialize;
use sim::host::Boot;
use sim::lineage::EndCause;
use sim::outcome::{Verdict, VerdictKind};
use sim::record::{RecordId, VersionId};
use sim::time::SimTime;
use sim::trace::{EngineEvent, Event, Kind, RunPhase, Trace};
use std::collections::{BTreeMap, BTreeSet};

/// The verdict kinds whose lineage explain tells record by record (every
/// kind but `liveness`, whose subject is a place, and `leaked`, whose
/// record is served under another user's account).
pub const RECORD_VERDICTS: [VerdictKind; 5] = [
    VerdictKind::Corrupted,
    VerdictKind::Lost,
    VerdictKind::LostUpdate,
    VerdictKind::Resurrected,
    VerdictKind::RolledBack,
];

pub use crate::trace_filter::Filter;

/// How one copy ended, as the trace tells it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CopyEnd {
    /// When it ended.
    pub at: SimTime,
    /// The node that reported it.
    pub node: String,
    /// The store the copy was on.
    pub store: String,
    /// The version the copy held.
    pub version: String,
    /// Why the copy ended.
    pub cause: EndCause,
    /// The planned fault blamed for it, if one was.
    pub fault: Option<u32>,
}

/// A planned fault as the trace saw it fire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FiredFault {
    /// Plan id.
    pub id: u32,
    /// When it fired.
    pub at: SimTime,
    /// Its target (`handset-3`, `array-a`, `db-primary`).
    pub target: String,
    /// Its kind name (`battery-pull`, `botched-upgrade`, ...).
    pub kind: String,
}

impl FiredFault {
    /// `handset-17 reset at 3d 04:12 (fault 9)`.
    pub fn phrase(&self) -> String {
        format!(
            "{} {} at {} (fault {})",
            self.target,
            fault_words(&self.kind),
            short_time(self.at),
            self.id
        )
    }
}

/// The faults that fired in `trace`, by plan id.
pub fn fired_faults(trace: &Trace) -> BTreeMap<u32, FiredFault> {
    let mut out = BTreeMap::new();
    for e in trace
        .events()
        .iter()
        .filter(|e| e.kind == EngineEvent::FaultFired)
    {
        let Some(id) = e.field("fault").and_then(|v| v.as_u64()) else {
            continue;
        };
        out.insert(
            id as u32,
            FiredFault {
                id: id as u32,
                at: e.at,
                target: e.node.to_string(),
                kind: e.str("fault_kind").unwrap_or("fault").to_string(),
            },
        );
    }
    out
}

/// What the trace and the ledger say about one record's copies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordLineage {
    /// The record.
    pub record: String,
    /// Its owner (handset and user index), if the id parses.
    pub owner: Option<u32>,
    /// Every store that ever held a copy of a version of it.
    pub stores: BTreeSet<String>,
    /// Every node that created or ended a copy of it.
    pub nodes: BTreeSet<String>,
    /// The handsets its copies lived on, and its owner.
    pub handsets: BTreeSet<u32>,
    /// The planned faults blamed for ending a copy of it.
    pub faults: BTreeSet<u32>,
    /// Per latest acknowledged version (as the ledger has it) whose copies
    /// and its descendants' copies all ended: the event that ended the last
    /// of them (a descendant, even a forfeited one, carries the version's
    /// content forward). Versions that never had a durable copy have none.
    pub last_copies: Vec<LastCopy>,
}

/// Where one acknowledged version was lost: the end of the last copy that
/// held it or a descendant of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LastCopy {
    /// The latest acknowledged version that was lost.
    pub acknowledged: String,
    /// The end of the last copy of it or of a version descending from it.
    pub end: CopyEnd,
}

impl RecordLineage {
    /// The event that ended the last copy of the record: the latest of
    /// [`RecordLineage::last_copies`].
    pub fn last_copy(&self) -> Option<&LastCopy> {
        self.last_copies.iter().max_by_key(|c| c.end.at)
    }

    /// Whether the last copy was on the server side (a database volume, a
    /// backup or a snapshot store, not a handset).
    pub fn last_copy_on_server_side(&self) -> bool {
        self.last_copy()
            .is_some_and(|c| handset_of(&c.end.store).is_none())
    }
}

/// The handset index a node or store name belongs to (`handset-3/flash` is 3).
pub fn handset_of(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("handset-")?;
    let digits = rest.split('/').next()?;
    digits.parse().ok()
}

/// Live-copy bookkeeping while walking a record's events.
#[derive(Default)]
struct Copies {
    /// version -> stores holding it now.
    live: BTreeMap<String, BTreeSet<String>>,
}

impl Copies {
    fn created(&mut self, store: &str, version: &str) {
        self.live
            .entry(version.to_string())
            .or_default()
            .insert(store.to_string());
    }

    /// Records an end; returns how many copies of the record are left and
    /// whether it was the last copy of its version.
    fn ended(&mut self, end: &CopyEnd) -> (usize, bool) {
        let set = self.live.entry(end.version.clone()).or_default();
        set.remove(&end.store);
        let last_of_version = set.is_empty();
        (self.total(), last_of_version)
    }

    fn total(&self) -> usize {
        self.live.values().map(BTreeSet::len).sum()
    }

    fn where_left(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (v, stores) in &self.live {
            for s in stores {
                out.push(format!("{v} on {s}"));
            }
        }
        out
    }
}

fn copy_end(e: &Event) -> Option<CopyEnd> {
    Some(CopyEnd {
        at: e.at,
        node: e.node.to_string(),
        store: e.str("store")?.to_string(),
        version: e.str("version")?.to_string(),
        cause: EndCause::parse(e.str("cause")?)?,
        fault: e.field("fault").and_then(|v| v.as_u64()).map(|f| f as u32),
    })
}

/// Reads the lineage of `record` from a run's trace and ledger.
pub fn lineage(output: &RunOutput, record: &str) -> RecordLineage {
    let id = output.ledger.record_named(record);
    let mut l = RecordLineage {
        record: record.to_string(),
        owner: id.map(|r| r.owner),
        ..RecordLineage::default()
    };
    l.handsets.extend(l.owner);
    let events: Vec<&Event> = output
        .trace
        .events()
        .iter()
        .filter(|e| {
            (e.kind == EngineEvent::CopyCreated || e.kind == EngineEvent::CopyEnded)
                && e.str("record") == Some(record)
        })
        .collect();
    for e in &events {
        let Some(store) = e.str("store") else {
            continue;
        };
        l.stores.insert(store.to_string());
        l.nodes.insert(e.node.to_string());
        l.handsets.extend(handset_of(store));
        if e.kind == EngineEvent::CopyEnded {
            l.faults
                .extend(e.field("fault").and_then(|v| v.as_u64()).map(|f| f as u32));
        }
    }
    let Some(r) = id else { return l };
    for v in output.ledger.latest_promised(r) {
        // The version's family: it and every version descending from it,
        // which carry its content forward. The last copy of the family that
        // ended, with none made after, is where the version was lost.
        let in_family = |e: &Event| {
            e.str("version")
                .and_then(|x| x.parse::<VersionId>().ok())
                .is_some_and(|x| output.ledger.descends(r, x, v))
        };
        let mut live: BTreeSet<(String, String)> = BTreeSet::new();
        let mut last: Option<CopyEnd> = None;
        for e in events.iter().filter(|e| in_family(e)) {
            let key = (
                e.str("store").unwrap_or_default().to_string(),
                e.str("version").unwrap_or_default().to_string(),
            );
            if e.kind == EngineEvent::CopyCreated {
                live.insert(key);
                last = None;
            } else if live.remove(&key) && live.is_empty() {
                last = copy_end(e);
            }
        }
        if let Some(end) = last.filter(|_| live.is_empty()) {
            l.last_copies.push(LastCopy {
                acknowledged: v.to_string(),
                end,
            });
        }
    }
    l.last_copies.sort_by_key(|c| c.end.at);
    l
}

/// The story of every record verdict in `verdicts` (liveness verdicts
/// concern handsets, not records, and are left to the verdict list) that
/// passes `filter`, from `output`'s trace, ledger and final state only:
/// its lineage one line per event in simulated-time order, then what each
/// place served at the check, the faults that ended its copies and how its
/// last copy ended. The Sidekick's `--explain` ([`harness::rig::Rig::stories`]).
pub fn explain(output: &RunOutput, verdicts: &[Verdict], filter: &Filter) -> Vec<Story> {
    let fired = fired_faults(&output.trace);
    let mut records = Vec::new();
    for v in verdicts {
        if !RECORD_VERDICTS.contains(&v.kind) {
            continue;
        }
        if filter.record.as_deref().is_some_and(|r| r != v.subject) {
            continue;
        }
        let mut x = explain_record(output, &fired, v);
        x.lines
            .retain(|l| l.node.as_deref().is_none_or(|n| filter.node_matches(n)));
        records.push(x);
    }
    records
}

fn explain_record(
    output: &RunOutput,
    fired: &BTreeMap<u32, FiredFault>,
    verdict: &Verdict,
) -> Story {
    let record = verdict.subject.as_str();
    let id = output.ledger.record_named(record);
    let lin = lineage(output, record);
    let mut teller = Teller::new(record, id, &lin, fired);
    for (i, e) in output.trace.events().iter().enumerate() {
        teller.event(i, e);
    }
    if let Some(r) = id {
        teller.ledger_lines(output, r);
    }
    Story {
        verdict: verdict.clone(),
        lines: teller.lines(),
        closing: vec![
            (Closing::AtCheck, at_check(output, id)),
            (Closing::Faults, blamed_faults(&lin, fired)),
            (
                Closing::LastCopy,
                last_copy_sentence(output, fired, &lin, id),
            ),
        ],
    }
}

/// The faults blamed for a record's copies, in firing order, as phrases.
fn blamed_faults(lin: &RecordLineage, fired: &BTreeMap<u32, FiredFault>) -> String {
    let mut blamed: Vec<&FiredFault> = lin.faults.iter().filter_map(|f| fired.get(f)).collect();
    blamed.sort_by_key(|f| (f.at, f.id));
    if blamed.is_empty() {
        return "none".to_string();
    }
    blamed
        .iter()
        .map(|f| f.phrase())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One record's story being told: the lines so far, in the order the run
/// reached them, and the live copies of the record as the walk stands.
struct Teller<'a> {
    record: &'a str,
    /// The owner's handset name, when the record names one.
    owner: Option<String>,
    /// Whether any of the record's copies lived on the server side.
    server_side: bool,
    lin: &'a RecordLineage,
    fired: &'a BTreeMap<u32, FiredFault>,
    copies: Copies,
    /// When and where the owner last re-fetched its cache.
    refetch_at: Option<(SimTime, String)>,
    /// (time, class, index, line): class orders ledger lines around trace
    /// lines at the same instant; index keeps trace order.
    lines: Vec<(SimTime, u8, usize, StoryLine)>,
}

impl<'a> Teller<'a> {
    fn new(
        record: &'a str,
        id: Option<RecordId>,
        lin: &'a RecordLineage,
        fired: &'a BTreeMap<u32, FiredFault>,
    ) -> Self {
        Teller {
            record,
            owner: id.map(|r| topology::handset(r.owner)),
            server_side: lin.stores.iter().any(|s| handset_of(s).is_none()),
            lin,
            fired,
            copies: Copies::default(),
            refetch_at: None,
            lines: Vec::new(),
        }
    }

    fn is_owner(&self, node: &str) -> bool {
        self.owner.as_deref() == Some(node)
    }

    /// Tells trace event `i`, `e`, if it belongs to the record's story.
    fn event(&mut self, i: usize, e: &Event) {
        let told = match Seen::of(e.kind) {
            Seen::Engine(k) => self.engine_event(k, e),
            Seen::Sidekick(k) => self.sidekick_event(k, e),
            Seen::Other => None,
        };
        if let Some((node, text)) = told {
            let line = StoryLine {
                at: e.at,
                node: Some(node),
                text,
            };
            self.lines.push((e.at, 1, i, line));
        }
    }

    /// The line an engine event adds (node, text), if any.
    fn engine_event(&mut self, k: EngineEvent, e: &Event) -> Option<(String, String)> {
        let about_record = e.str("record") == Some(self.record);
        let version = || e.str("version").unwrap_or("?");
        let text = match k {
            EngineEvent::AckSaved if about_record => {
                format!("told the user {} is saved", version())
            }
            EngineEvent::AckSynced if about_record => format!(
                "told the user {} is synced (the server committed it)",
                version()
            ),
            EngineEvent::CopyCreated if about_record => {
                let store = e.str("store").unwrap_or("?");
                self.copies.created(store, version());
                let text = format!(
                    "copy of {} created; copies of the record: {}",
                    version(),
                    self.copies.total()
                );
                return Some((store.to_string(), text));
            }
            EngineEvent::CopyEnded if about_record => {
                let end = copy_end(e)?;
                let (left, last_of_version) = self.copies.ended(&end);
                let by_refetch = self
                    .refetch_at
                    .as_ref()
                    .is_some_and(|(t, n)| *t == e.at && *n == e.node);
                let text =
                    copy_end_text(&end, self.fired, left, last_of_version, by_refetch, &self.copies);
                return Some((end.store, text));
            }
            EngineEvent::FaultFired => {
                let f = e.field("fault").and_then(|v| v.as_u64())? as u32;
                let relevant = self.lin.faults.contains(&f)
                    || self.fired.get(&f).map(|x| &x.target) == self.owner.as_ref();
                if !relevant {
                    return None;
                }
                let kind = e.str("fault_kind").unwrap_or("fault");
                format!("{} (fault {f}) fired: {}", fault_words(kind), fault_effect(kind))
            }
            EngineEvent::NodeBoot if self.is_owner(&e.node) => {
                let how = e.str("boot").unwrap_or("?");
                if how == Boot::First.name() {
                    return None;
                }
                format!("booted ({how} boot)")
            }
            EngineEvent::Phase => match RunPhase::begun_by(e)? {
                RunPhase::Heal => "heal began: no new faults; every node shut down cleanly and booted from its own disk".into(),
                RunPhase::Check => "the check began".into(),
                RunPhase::Safety => return None,
            },
            _ => return None,
        };
        Some((e.node.to_string(), text))
    }

    /// The line one of the Sidekick's own events adds (node, text), if any.
    fn sidekick_event(&mut self, k: SidekickEvent, e: &Event) -> Option<(String, String)> {
        let about_record = e.str("record") == Some(self.record);
        let owner = self.is_owner(&e.node);
        let server = self.server_side;
        let text = match k {
            SidekickEvent::EditFailed | SidekickEvent::EditSkipped if about_record => format!(
                "the user's edit{} did not happen: {}",
                e.str("version")
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default(),
                e.str("error").or(e.str("why")).unwrap_or(e.kind.name())
            ),
            SidekickEvent::CacheRefetch if owner => {
                self.refetch_at = Some((e.at, e.node.to_string()));
                format!(
                    "re-fetched its cache from the server ({} records kept, {} dropped)",
                    field_or(e, "records"),
                    field_or(e, "dropped")
                )
            }
            SidekickEvent::SyncEpochChanged if owner => format!(
                "saw the server's epoch change ({} to {})",
                field_or(e, "old"),
                field_or(e, "new")
            ),
            SidekickEvent::RecoverRestore | SidekickEvent::RecoverReupload if owner => format!(
                "{} ({} records)",
                k.explained().unwrap_or(k.name()),
                field_or(e, "records")
            ),
            SidekickEvent::DbRebuilt if server => format!(
                "came back on a blank volume and started an empty database (epoch {})",
                field_or(e, "epoch")
            ),
            SidekickEvent::DbRestored if server => format!(
                "restored {} rows (epoch {})",
                field_or(e, "rows"),
                field_or(e, "epoch")
            ),
            SidekickEvent::DbAwaitingRestore if server => {
                "came back on a blank volume and awaits a restore".into()
            }
            _ if server && handset_of(&e.node).is_none() => recovery_step(k.explained()?, e),
            _ => return None,
        };
        Some((e.node.to_string(), text))
    }

    /// The ledger's lines of record `r`: each write or delete, each forfeit.
    fn ledger_lines(&mut self, output: &RunOutput, r: RecordId) {
        for (v, entry) in output.ledger.versions(r) {
            // Another writer of a user's records is the user's portal.
            let node = if v.writer == r.owner {
                topology::handset(v.writer)
            } else {
                topology::portal(r.owner)
            };
            let text = if entry.deleted {
                format!("the user deleted the record ({v})")
            } else {
                format!("the user wrote {v}")
            };
            let at = entry.written_at;
            self.lines.push((
                at,
                0,
                0,
                StoryLine {
                    at,
                    node: Some(node),
                    text,
                },
            ));
            if let Some(at) = entry.forfeited_at {
                let node = topology::handset(r.owner);
                let text =
                    format!("{v} forfeited: saved, never synced, wiped by the user's own reset");
                self.lines.push((
                    at,
                    2,
                    0,
                    StoryLine {
                        at,
                        node: Some(node),
                        text,
                    },
                ));
            }
        }
    }

    /// Every line, in the order the run reached them.
    fn lines(mut self) -> Vec<StoryLine> {
        self.lines.sort_by_key(|a| (a.0, a.1, a.2));
        self.lines.into_iter().map(|(.., l)| l).collect()
    }
}

/// A recovery or operator step as a line: what it did, why, and its
/// other fields.
fn recovery_step(what: &str, e: &Event) -> String {
    let detail = e
        .fields
        .iter()
        .filter(|(k, _)| *k != "why")
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut text = what.to_string();
    if let Some(why) = e.str("why") {
        text.push_str(&format!(": {why}"));
    }
    if !detail.is_empty() {
        text.push_str(&format!(" ({detail})"));
    }
    text
}

fn field_or(e: &Event, name: &str) -> String {
    e.field(name).map_or_else(|| "?".into(), |v| v.to_string())
}

fn copy_end_text(
    end: &CopyEnd,
    fired: &BTreeMap<u32, FiredFault>,
    left: usize,
    last_of_version: bool,
    by_refetch: bool,
    copies: &Copies,
) -> String {
    let v = &end.version;
    if end.cause == EndCause::Superseded {
        return format!("copy of {v} superseded by a newer version");
    }
    let what = if left == 0 {
        format!("the last copy of {v}")
    } else if last_of_version {
        format!("the last copy of {v} (older or newer versions remain)")
    } else {
        format!("the copy of {v}")
    };
    let how = cause_words(end.cause, by_refetch);
    let who = match end.fault.and_then(|f| fired.get(&f)) {
        Some(f) => f.phrase(),
        None => match end.fault {
            Some(f) => format!("fault {f}"),
            None => "no planned fault:".into(),
        },
    };
    let left_text = if left == 0 {
        "no copy left".to_string()
    } else {
        format!("left: {}", copies.where_left().join(", "))
    };
    format!("{who} {how} {what}; {left_text}")
}

fn cause_words(cause: EndCause, by_refetch: bool) -> String {
    match cause {
        EndCause::Wiped => "wiped".into(),
        EndCause::DeviceLost => "destroyed".into(),
        EndCause::Overwritten if by_refetch => {
            "led a cache re-fetch from the server to overwrite".into()
        }
        EndCause::Overwritten => "led the store to overwrite".into(),
        EndCause::Corrupted => "corrupted".into(),
        EndCause::Unreadable => "made unreadable".into(),
        other => format!("ended ({other})"),
    }
}

/// Words for a fault kind name: `factory-reset` is `reset`, `bit-rot` is
/// `bit rot` (the fault table's words; a name it does not know is kept).
pub fn fault_words(kind: &str) -> String {
    FaultKind::parse(kind).map_or_else(|| kind.to_string(), FaultKind::words)
}

/// What a fault kind did when it fired, in a few words (the fault table's).
fn fault_effect(kind: &str) -> &'static str {
    FaultKind::parse(kind).map_or("a fault the fault table does not name", FaultKind::fired)
}

/// A trace event's kind, sorted into the engine's and the Sidekick's.
enum Seen {
    Engine(EngineEvent),
    Sidekick(SidekickEvent),
    Other,
}

impl Seen {
    fn of(kind: Kind) -> Self {
        match (kind.engine(), kind.system::<SidekickEvent>()) {
            (Some(e), _) => Seen::Engine(e),
            (None, Some(k)) => Seen::Sidekick(k),
            (None, None) => Seen::Other,
        }
    }
}

/// `3d 04:12`: day, hour and minute.
pub fn short_time(t: SimTime) -> String {
    let s = t.as_millis() / 1000;
    format!(
        "{}d {:02}:{:02}",
        s / 86_400,
        (s / 3600) % 24,
        (s / 60) % 60
    )
}

fn last_copy_sentence(
    output: &RunOutput,
    fired: &BTreeMap<u32, FiredFault>,
    lin: &RecordLineage,
    id: Option<RecordId>,
) -> String {
    let record = &lin.record;
    if let Some(LastCopy { acknowledged, end }) = lin.last_copy() {
        let how = cause_words(end.cause, refetched(output, end));
        let what = if *acknowledged == end.version {
            format!("the last copy of {record} {}", end.version)
        } else {
            format!(
                "the last copy of {record} {}, the only place acknowledged {acknowledged} lived on",
                end.version
            )
        };
        let whr = format!("on {} at {}", end.store, short_time(end.at));
        return match end.fault.and_then(|f| fired.get(&f)) {
            Some(f) => format!("{} {how} {what} ({whr})", f.phrase()),
            None => format!(
                "{what} ended {whr}: {}, with no planned fault to blame",
                end.cause
            ),
        };
    }
    // No copy of an acknowledged version ended: it never had one, or one is
    // still held somewhere the owner cannot read.
    let Some(r) = id else {
        return format!("no copy event explains {record}");
    };
    let latest = output.ledger.latest_promised(r);
    let made: BTreeSet<String> = output
        .trace
        .events()
        .iter()
        .filter(|e| e.kind == EngineEvent::CopyCreated && e.str("record") == Some(record))
        .filter_map(|e| e.str("version").map(str::to_string))
        .collect();
    for v in &latest {
        if made.contains(&v.to_string()) {
            continue;
        }
        let saved = output
            .ledger
            .get(r, *v)
            .and_then(|e| e.saved_at.or(e.synced_at));
        let owner = format!("handset-{}", r.owner);
        let first_fault = saved.and_then(|t| {
            fired
                .values()
                .filter(|f| f.target == owner && f.at >= t)
                .min_by_key(|f| (f.at, f.id))
        });
        return match first_fault {
            Some(f) => format!(
                "{} came before any durable copy of {record} {v} was made (acknowledged at {})",
                f.phrase(),
                saved.map(short_time).unwrap_or_default()
            ),
            None => {
                let on_owner: Vec<String> = fired
                    .values()
                    .filter(|f| f.target == owner)
                    .map(FiredFault::phrase)
                    .collect();
                let mut text = format!(
                    "{record} {v} was acknowledged at {} but no durable copy of it was ever made",
                    saved.map(short_time).unwrap_or_default()
                );
                if !on_owner.is_empty() {
                    text.push_str(&format!("; faults on {owner}: {}", on_owner.join(", ")));
                }
                text
            }
        };
    }
    format!("every acknowledged version of {record} still has a copy; see the verdict")
}

fn refetched(output: &RunOutput, end: &CopyEnd) -> bool {
    output
        .trace
        .events()
        .iter()
        .any(|e| e.kind == SidekickEvent::CacheRefetch && e.at == end.at && e.node == end.node)
}

fn at_check(output: &RunOutput, id: Option<RecordId>) -> String {
    let Some(r) = id else {
        return "not a record id".into();
    };
    let fs = &output.final_state;
    let latest = output.ledger.latest_promised(r);
    let place = |place: Place, view: Option<&View>| {
        let name = if place.kind.reference {
            format!("the {}", place.kind())
        } else {
            place.to_string()
        };
        match view {
            None => format!("{name} is not serving"),
            Some(m) => match m.get(&r) {
                None => format!("{name} serves no version of it"),
                Some(row) => format!(
                    "{name} serves {}{}{}",
                    row.version,
                    if row.deleted { " (a tombstone)" } else { "" },
                    stale(output, r, row.version, &latest)
                ),
            },
        }
    };
    let each: Vec<String> = fs
        .places_of(r.owner)
        .into_iter()
        .map(|(p, v)| place(p, v))
        .collect();
    each.join("; ")
}

fn stale(output: &RunOutput, r: RecordId, served: VersionId, latest: &[VersionId]) -> String {
    let missing: Vec<String> = latest
        .iter()
        .filter(|l| !output.ledger.descends(r, served, **l))
        .map(|l| l.to_string())
        .collect();
    if missing.is_empty() {
        String::new()
    } else {
        format!(" (stale: {} was acknowledged)", missing.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handset_of_reads_nodes_and_stores() {
        assert_eq!(handset_of("handset-17/flash"), Some(17));
        assert_eq!(handset_of("handset-3"), Some(3));
        assert_eq!(handset_of("array-a/primary"), None);
    }

    #[test]
    fn short_time_is_day_hour_minute() {
        let t = SimTime::from_millis(((3 * 24 + 4) * 3600 + 12 * 60 + 5) * 1000);
        assert_eq!(short_time(t), "3d 04:12");
    }
}
