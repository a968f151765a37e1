//! `--explain` for a user's system: the lineage of each record a seed
//! broke the promise on, read from the ledger, the trace's copy events and
//! the final state, in the words of the harness and the system's own node,
//! store and place names.

use crate::case::SeedRun;
use crate::faults::Fault;
use sim::plan::Plan;
use sim::record::RecordId;
use sim::time::SimTime;
use sim::trace::EngineEvent;
use std::fmt::Write as _;

/// The story of every record `run` broke the promise on, one block each:
/// its verdict, what its user was told of each version, each copy created
/// and ended (with the fault that ended it), what each place served at the
/// check, and where its last copy ended.
pub fn explain(run: &SeedRun) -> String {
    let mut out = String::new();
    for v in &run.outcome.verdicts {
        let _ = writeln!(out, "{}: {} ({})", v.subject, v.kind, v.detail);
        let Some(record) = run.output.ledger.record_named(&v.subject) else {
            continue;
        };
        out.push_str(&told(run, record));
        out.push_str(&copies(run, record));
        out.push_str(&at_check(run, record));
    }
    out
}

/// What the user was told of each version.
fn told(run: &SeedRun, record: RecordId) -> String {
    let at = |t: Option<SimTime>| t.map_or("never".to_string(), |t| t.to_string());
    let mut out = String::new();
    for (v, e) in run.output.ledger.versions(record) {
        let parents: Vec<String> = e.parents.iter().map(|p| p.to_string()).collect();
        let what = if e.deleted { "deletion" } else { "version" };
        let _ = writeln!(
            out,
            "  {}  {what} {v} written over [{}]; told saved {}, synced {}{}",
            e.written_at,
            parents.join(", "),
            at(e.saved_at),
            at(e.synced_at),
            e.forfeited_at
                .map_or(String::new(), |t| format!(", forfeited {t}")),
        );
    }
    out
}

/// Every copy of the record created and ended, and where the last copy
/// of a latest acknowledged version went.
fn copies(run: &SeedRun, record: RecordId) -> String {
    let name = record.to_string();
    let promised: Vec<String> = run
        .output
        .ledger
        .latest_promised(record)
        .iter()
        .map(|v| v.to_string())
        .collect();
    let mut out = String::new();
    let mut last: Option<String> = None;
    for e in run.output.trace.events() {
        if e.str("record") != Some(name.as_str()) {
            continue;
        }
        let (store, version) = (
            e.str("store").unwrap_or("?"),
            e.str("version").unwrap_or("?"),
        );
        if e.kind == EngineEvent::CopyCreated {
            let _ = writeln!(out, "  {}  {}: copy of {version} on {store}", e.at, e.node);
        } else if e.kind == EngineEvent::CopyEnded {
            let fault = e
                .field("fault")
                .and_then(|f| f.as_u64())
                .map_or(String::new(), |id| {
                    format!(" by {}", fault_name(&run.plan, id))
                });
            let cause = e.str("cause").unwrap_or("ended");
            let line = format!("{version} on {store} {cause}{fault} at {}", e.at);
            let _ = writeln!(out, "  {}  {}: copy of {line}", e.at, e.node);
            if promised.iter().any(|v| v == version) {
                last = Some(line);
            }
        }
    }
    let _ = writeln!(
        out,
        "  last copy: {}",
        last.as_deref().unwrap_or(
            "no copy of an acknowledged version ended (still served, or never made durable)"
        )
    );
    out
}

/// `fault 4 (power-loss on client-0)`.
fn fault_name(plan: &Plan<Fault>, id: u64) -> String {
    match plan.faults.iter().find(|f| u64::from(f.id) == id) {
        Some(f) => format!("fault {id} ({} on {})", f.kind, f.target),
        None => format!("fault {id}"),
    }
}

/// What each of the owner's places served at the check.
fn at_check(run: &SeedRun, record: RecordId) -> String {
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
    format!("  at the check: {}\n", each.join("; "))
}
