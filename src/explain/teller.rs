//! A record's story told event by event: the trace's copy, fault,
//! recovery and sync events and the ledger's acknowledgements, in words.

use super::lineage::{copy_end, handset_of, Copies, CopyEnd, FiredFault, RecordLineage};
use crate::topology;
use harness::triage::story::StoryLine;
use harness::world::Output as RunOutput;
use models::event::SidekickEvent;
use models::fault::FaultKind;
use sim::host::Boot;
use sim::lineage::EndCause;
use sim::record::RecordId;
use sim::time::SimTime;
use sim::trace::{EngineEvent, Event, Kind, RunPhase};
use std::collections::BTreeMap;

/// One record's story being told: the lines so far, in the order the run
/// reached them, and the live copies of the record as the walk stands.
pub(super) struct Teller<'a> {
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
    pub(super) fn new(
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
    pub(super) fn event(&mut self, i: usize, e: &Event) {
        let told = match Seen::of(e.kind) {
            Seen::Engine(k) => self.engine_event(k, e),
            Seen::Sidekick(k) => self.sidekick_event(k, e),
            Seen::Other => None,
        };
        if let Some((node, text)) = told {
            self.tell((e.at, 1, i), node, text);
        }
    }

    /// Adds a line at `(time, class, index)` (see `lines`) on `node`.
    fn tell(&mut self, (at, class, index): (SimTime, u8, usize), node: String, text: String) {
        let line = StoryLine {
            at,
            node: Some(node),
            text,
        };
        self.lines.push((at, class, index, line));
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
    pub(super) fn ledger_lines(&mut self, output: &RunOutput, r: RecordId) {
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
            self.tell((entry.written_at, 0, 0), node, text);
            if let Some(at) = entry.forfeited_at {
                let node = topology::handset(r.owner);
                let text =
                    format!("{v} forfeited: saved, never synced, wiped by the user's own reset");
                self.tell((at, 2, 0), node, text);
            }
        }
    }

    /// Every line, in the order the run reached them.
    pub(super) fn lines(mut self) -> Vec<StoryLine> {
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

pub(super) fn cause_words(cause: EndCause, by_refetch: bool) -> String {
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
