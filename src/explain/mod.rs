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
//!
//! The reading of the trace is in `lineage.rs`, the story told event by
//! event in `teller.rs`, its closing lines in `closing.rs`.

mod closing;
mod lineage;
mod teller;

pub use closing::short_time;
use closing::{at_check, last_copy_sentence};
pub use lineage::{
    fired_faults, handset_of, lineage, CopyEnd, FiredFault, LastCopy, RecordLineage,
};
pub use teller::fault_words;
use teller::Teller;

use harness::triage::story::{Closing, Story};
use harness::world::Output as RunOutput;
use sim::outcome::{Verdict, VerdictKind};
use std::collections::BTreeMap;

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
