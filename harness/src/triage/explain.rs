//! `--explain` for a user's system: the lineage of each record a seed
//! broke the promise on, read from the ledger, the trace's copy events and
//! the final state, in the words of the harness and the system's own node,
//! store and place names.

use crate::case::SeedRun;
use crate::plan::faults::Fault;
use crate::rig::PlanFault;
use crate::triage::story::{self, Closing, Story, StoryLine};
use crate::triage::trace_filter::Filter;
use sim::lineage::CopyOf;
use sim::outcome::Verdict;
use sim::plan::{Plan, PlannedFault};
use sim::record::RecordId;
use sim::time::SimTime;
use sim::trace::{EngineEvent, Event};

/// The story of every verdict of `run`, in the text form
/// ([`story::text`]): see [`stories`].
pub fn explain<F: PlanFault>(run: &SeedRun<F>) -> String {
    story::text(&stories(run, &Filter::default()))
}

/// The story of every verdict of `run` that `filter` passes (its record,
/// and of each story only the lines on its node): for a record, what its
/// user was told of each version and each copy created and ended (with
/// the fault that ended it), in time order, then what each place served at
/// the check and where its last copy went; for a place (liveness), its
/// header alone. A [`crate::system::System`]'s `--explain`.
pub fn stories<F: PlanFault>(run: &SeedRun<F>, filter: &Filter) -> Vec<Story> {
    let record = filter.record.as_deref();
    run.outcome
        .verdicts
        .iter()
        .filter(|v| record.is_none_or(|r| r == v.subject))
        .map(|v| {
            let mut story = explain_verdict(run, v);
            story
                .lines
                .retain(|l| l.node.as_deref().is_none_or(|n| filter.node_matches(n)));
            story
        })
        .collect()
}

/// The story of one of `run`'s verdicts, as [`stories`] tells each.
pub fn explain_verdict<F: PlanFault>(run: &SeedRun<F>, v: &Verdict) -> Story {
    let mut story = Story::of(v);
    if let Some(record) = run.output.ledger.record_named(&v.subject) {
        story.lines = told(run, record);
        story.lines.extend(copies(run, record));
        story.lines.sort_by_key(|l| l.at);
        story.closing = vec![
            (Closing::AtCheck, at_check(run, record)),
            (Closing::LastCopy, last_copy_words(run, record)),
        ];
    }
    story
}

/// Where the last copy of a record's latest acknowledged version went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LastCopy<F = Fault> {
    /// No copy of a latest acknowledged version ended: still served, or
    /// never made durable.
    NeverEnded,
    /// The last one to end did so with no fault to blame (in the normal
    /// course of the system's own work).
    NoFault,
    /// The last one to end was ended by this planned fault.
    Fault(PlannedFault<F>),
}

/// Where the last copy of `record`'s latest acknowledged version went, as
/// [`explain`]'s `last copy:` line tells it.
pub fn last_copy<F: PlanFault>(run: &SeedRun<F>, record: RecordId) -> LastCopy<F> {
    match last_copy_end(run, record) {
        None => LastCopy::NeverEnded,
        Some(e) => match fault_of(e).and_then(|id| planned(&run.plan, id)) {
            Some(f) => LastCopy::Fault(f.clone()),
            None => LastCopy::NoFault,
        },
    }
}

/// The last `copy.ended` event of a latest acknowledged version of
/// `record`.
fn last_copy_end<F: PlanFault>(run: &SeedRun<F>, record: RecordId) -> Option<&Event> {
    let name = record.to_string();
    let promised: Vec<String> = run
        .output
        .ledger
        .latest_promised(record)
        .iter()
        .map(|v| v.to_string())
        .collect();
    run.output.trace.events().iter().rev().find(|e| {
        e.kind == EngineEvent::CopyEnded
            && e.str("record") == Some(name.as_str())
            && e.str("version")
                .is_some_and(|v| promised.iter().any(|p| p == v))
    })
}

/// The planned fault an event names.
fn fault_of(e: &Event) -> Option<u64> {
    e.field("fault").and_then(|f| f.as_u64())
}

/// Planned fault `id` of `plan`.
fn planned<F>(plan: &Plan<F>, id: u64) -> Option<&PlannedFault<F>> {
    plan.faults.iter().find(|f| u64::from(f.id) == id)
}

/// What the user was told of each version, one line each.
fn told<F: PlanFault>(run: &SeedRun<F>, record: RecordId) -> Vec<StoryLine> {
    let at = |t: Option<SimTime>| t.map_or("never".to_string(), |t| t.to_string());
    let mut out = Vec::new();
    for (v, e) in run.output.ledger.versions(record) {
        let parents: Vec<String> = e.parents.iter().map(|p| p.to_string()).collect();
        let what = if e.deleted { "deletion" } else { "version" };
        out.push(StoryLine {
            at: e.written_at,
            node: None,
            text: format!(
                "{what} {v} written over [{}]; told saved {}, synced {}{}",
                parents.join(", "),
                at(e.saved_at),
                at(e.synced_at),
                e.forfeited_at
                    .map_or(String::new(), |t| format!(", forfeited {t}")),
            ),
        });
    }
    out
}

/// Every copy of the record created and ended, one line each.
fn copies<F: PlanFault>(run: &SeedRun<F>, record: RecordId) -> Vec<StoryLine> {
    let name = record.to_string();
    let line = |e: &Event, text: String| StoryLine {
        at: e.at,
        node: Some(e.node.to_string()),
        text: format!("copy of {text}"),
    };
    let mut out = Vec::new();
    for e in run.output.trace.events() {
        if e.str("record") != Some(name.as_str()) {
            continue;
        }
        if e.kind == EngineEvent::CopyCreated {
            out.push(line(e, words(run, e)));
        } else if e.kind == EngineEvent::CopyEnded {
            out.push(line(e, ended(run, e)));
        }
    }
    out
}

/// Where the last copy of a latest acknowledged version of the record
/// went, in words.
fn last_copy_words<F: PlanFault>(run: &SeedRun<F>, record: RecordId) -> String {
    match last_copy_end(run, record) {
        Some(e) => ended(run, e),
        None => "no copy of an acknowledged version ended (still served, or never made durable)"
            .to_string(),
    }
}

/// The copy a copy event names, in the system's words if it has its own
/// ([`crate::system::System::copy_words`]), else `w0.3 on client-0`.
fn words<F: PlanFault>(run: &SeedRun<F>, e: &Event) -> String {
    let (store, version) = (
        e.str("store").unwrap_or("?"),
        e.str("version").unwrap_or("?"),
    );
    let copy = CopyOf {
        store,
        record: e.str("record").unwrap_or("?"),
        version,
    };
    (run.copy_words)(copy, run.output.trace.events())
        .unwrap_or_else(|| format!("{version} on {store}"))
}

/// `w0.3 on client-0 lost by fault 4 (power-loss on client-0) at 0d ...`:
/// a `copy.ended` event in words.
fn ended<F: PlanFault>(run: &SeedRun<F>, e: &Event) -> String {
    let fault = fault_of(e).map_or(String::new(), |id| match planned(&run.plan, id) {
        Some(f) => format!(" by fault {id} ({} on {})", f.kind, f.target),
        None => format!(" by fault {id}"),
    });
    let cause = e.str("cause").unwrap_or("ended");
    format!("{} {cause}{fault} at {}", words(run, e), e.at)
}

/// What each of the owner's places served at the check.
fn at_check<F: PlanFault>(run: &SeedRun<F>, record: RecordId) -> String {
    let each: Vec<String> = run
        .output
        .final_state
        .places_of(record.owner)
        .into_iter()
        .map(|(place, view)| match view.map(|v| v.get(&record)) {
            None => format!("{place} is not serving"),
            Some(None) => format!("{place} serves no version of it"),
            Some(Some(s)) if s.deleted => format!("{place} serves {} (a tombstone)", s.version),
            Some(Some(s)) => format!("{place} serves {}", s.version),
        })
        .collect();
    each.join("; ")
}
