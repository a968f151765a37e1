//! What a report measures in one seed's run, beyond its [`SeedOutcome`], and
//! the totals of a cell (one scenario under one design over the seeds).
//!
//! Everything is read from what a run hands on (trace, ledger, final state,
//! plan) and is a pure function of it: no clock, no hash-map iteration, so
//! the same run always measures the same.

use crate::explain::{self, RECORD_VERDICTS};
use crate::rig::Sidekick;
use crate::runner::{SeedRun, Summary};
use harness::rig::Rig;
use serde::{Deserialize, Serialize};
use sim::ledger::Ledger;
use sim::outcome::{SeedOutcome, VerdictKind};
use sim::record::{RecordId, VersionId};
use sim::time::SimTime;
use sim::trace::{EngineEvent, Event, RunPhase, Trace};
use std::collections::{BTreeMap, BTreeSet};

/// Milliseconds in one simulated hour: the bucket of the exposure series.
pub const HOUR_MS: u64 = 3_600_000;

/// One seed's outcome and what the report measures beside it; a line of
/// `results.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedStats {
    /// The engine's outcome, as `run --results` writes it.
    pub outcome: SeedOutcome,
    /// Record-milliseconds during which some latest acknowledged version of
    /// a record had exactly one surviving copy (its own or a descendant's).
    pub exposure_record_ms: u64,
    /// The same, per simulated hour from the start of the run to the check.
    pub exposure_by_hour_record_ms: Vec<u64>,
    /// When the last `fault.effective` event happened, in ms since the start.
    pub last_effective_fault_ms: Option<u64>,
    /// When handsets and server converged during heal, in ms since the start.
    pub converged_at_ms: Option<u64>,
    /// From the last effective fault to convergence; none if the run did
    /// not converge or no fault was effective.
    pub recovery_ms: Option<u64>,
    /// When the check began (the end of the run), in ms since the start.
    pub end_ms: u64,
    /// Per record with a failing verdict: the kinds of the effective faults
    /// that ended a copy of it.
    pub failing_records: Vec<FailingRecord>,
}

/// A record with a failing verdict and the fault kinds that touched it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailingRecord {
    /// The record (`u17/contact-3`).
    pub record: String,
    /// Its verdict kind.
    pub verdict: VerdictKind,
    /// The kinds of the effective faults that ended a copy of it, sorted;
    /// empty if no planned fault did.
    pub fault_kinds: Vec<String>,
    /// Whether any durable copy of any version of it was ever made.
    pub had_copies: bool,
}

impl FailingRecord {
    /// The fault class: its fault kinds joined by ` + `; `never durable`
    /// if no copy of the record was ever made, else `no planned fault`.
    pub fn class(&self) -> String {
        if !self.fault_kinds.is_empty() {
            self.fault_kinds.join(" + ")
        } else if !self.had_copies {
            "never durable (no copy to end)".into()
        } else {
            "no planned fault".into()
        }
    }
}

impl SeedStats {
    /// Measures one seed's run.
    pub fn of(run: &SeedRun) -> Self {
        let trace = &run.output.trace;
        let end = phase_at(trace, RunPhase::Check)
            .or(trace.events().last().map(|e| e.at))
            .unwrap_or(SimTime::ZERO);
        let (exposure_record_ms, exposure_by_hour_record_ms) =
            exposure(trace, &run.output.ledger, end);
        let last_effective = trace
            .events()
            .iter()
            .filter(|e| e.kind == EngineEvent::FaultEffective)
            .map(|e| e.at)
            .max();
        let converged_at = match (
            phase_at(trace, RunPhase::Heal),
            run.output.final_state.converged_after,
        ) {
            (Some(heal), Some(after)) => Some(heal.after(after)),
            _ => None,
        };
        let recovery_ms = match (last_effective, converged_at) {
            (Some(f), Some(c)) => Some(c.since(f).as_millis() as u64),
            _ => None,
        };
        SeedStats {
            outcome: run.outcome.clone(),
            exposure_record_ms,
            exposure_by_hour_record_ms,
            last_effective_fault_ms: last_effective.map(SimTime::as_millis),
            converged_at_ms: converged_at.map(SimTime::as_millis),
            recovery_ms,
            end_ms: end.as_millis(),
            failing_records: failing_records(run),
        }
    }
}

/// When the run phase `phase` began, if it did.
pub fn phase_at(trace: &Trace, phase: RunPhase) -> Option<SimTime> {
    trace
        .events()
        .iter()
        .find(|e| RunPhase::begun_by(e) == Some(phase))
        .map(|e| e.at)
}

/// The failing records of a run and the kinds of the effective faults that
/// ended a copy of each (the explainer's lineage, less faults not effective).
fn failing_records(run: &SeedRun) -> Vec<FailingRecord> {
    let effective: BTreeSet<u32> = run.output.effective.iter().copied().collect();
    let kinds: BTreeMap<u32, &str> = run
        .plan
        .faults
        .iter()
        .map(|f| (f.id, f.kind.name()))
        .collect();
    run.outcome
        .verdicts
        .iter()
        .filter(|v| RECORD_VERDICTS.contains(&v.kind))
        .map(|v| {
            let lineage = explain::lineage(&run.output, &v.subject);
            let fault_kinds: BTreeSet<&str> = lineage
                .faults
                .iter()
                .filter(|f| effective.contains(f))
                .filter_map(|f| kinds.get(f).copied())
                .collect();
            FailingRecord {
                record: v.subject.clone(),
                verdict: v.kind,
                fault_kinds: fault_kinds.into_iter().map(String::from).collect(),
                had_copies: !lineage.stores.is_empty(),
            }
        })
        .collect()
}

/// One change to a record's state while measuring exposure.
enum Change<'a> {
    Created(&'a str, VersionId),
    Ended(&'a str, VersionId),
    Acknowledged(VersionId),
    Forfeited(VersionId),
}

/// Exposure over the run up to `end`: the total record-milliseconds during
/// which some latest acknowledged version of a record (acknowledged by then,
/// not forfeited) had exactly one live copy of itself or of a version
/// descending from it, and the same per simulated hour.
pub fn exposure(trace: &Trace, ledger: &Ledger, end: SimTime) -> (u64, Vec<u64>) {
    let mut by_record: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for e in trace.events() {
        if e.kind == EngineEvent::CopyCreated || e.kind == EngineEvent::CopyEnded {
            if let Some(r) = e.str("record") {
                by_record.entry(r).or_default().push(e);
            }
        }
    }
    let hours = end.as_millis().div_ceil(HOUR_MS) as usize;
    let mut by_hour = vec![0u64; hours];
    let mut total = 0u64;
    for record in ledger.records() {
        let name = record.to_string();
        let events = by_record.get(name.as_str()).map_or(&[][..], Vec::as_slice);
        for (from, to) in exposed_spans(record, events, ledger, end) {
            total += to - from;
            add_span(&mut by_hour, from, to);
        }
    }
    (total, by_hour)
}

/// The spans `[from, to)` (ms) during which `record` was exposed.
fn exposed_spans(
    record: RecordId,
    events: &[&Event],
    ledger: &Ledger,
    end: SimTime,
) -> Vec<(u64, u64)> {
    let mut changes: Vec<(SimTime, Change<'_>)> = Vec::new();
    for e in events {
        let (Some(store), Some(v)) = (
            e.str("store"),
            e.str("version").and_then(|v| v.parse::<VersionId>().ok()),
        ) else {
            continue;
        };
        let c = if e.kind == EngineEvent::CopyCreated {
            Change::Created(store, v)
        } else {
            Change::Ended(store, v)
        };
        changes.push((e.at, c));
    }
    for (v, entry) in ledger.versions(record) {
        let acked = match (entry.saved_at, entry.synced_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(at) = acked {
            changes.push((at, Change::Acknowledged(v)));
        }
        if let Some(at) = entry.forfeited_at {
            changes.push((at, Change::Forfeited(v)));
        }
    }
    // Stable: copy events keep their trace order within an instant.
    changes.sort_by_key(|(at, _)| *at);

    let mut live: BTreeSet<(&str, VersionId)> = BTreeSet::new();
    let mut promised: BTreeSet<VersionId> = BTreeSet::new();
    let mut spans: Vec<(u64, u64)> = Vec::new();
    let mut i = 0;
    while i < changes.len() {
        let at = changes[i].0;
        if at >= end {
            break;
        }
        while i < changes.len() && changes[i].0 == at {
            match changes[i].1 {
                Change::Created(s, v) => {
                    live.insert((s, v));
                }
                Change::Ended(s, v) => {
                    live.remove(&(s, v));
                }
                Change::Acknowledged(v) => {
                    promised.insert(v);
                }
                Change::Forfeited(v) => {
                    promised.remove(&v);
                }
            }
            i += 1;
        }
        let until = changes.get(i).map_or(end, |c| c.0.min(end));
        if until > at && exposed(record, ledger, &live, &promised) {
            match spans.last_mut() {
                Some(last) if last.1 == at.as_millis() => last.1 = until.as_millis(),
                _ => spans.push((at.as_millis(), until.as_millis())),
            }
        }
    }
    spans
}

/// Whether some latest promised version has exactly one live copy of
/// itself or of a descendant.
fn exposed(
    record: RecordId,
    ledger: &Ledger,
    live: &BTreeSet<(&str, VersionId)>,
    promised: &BTreeSet<VersionId>,
) -> bool {
    promised
        .iter()
        .filter(|&&v| {
            !promised
                .iter()
                .any(|&w| w != v && ledger.descends(record, w, v))
        })
        .any(|&l| {
            live.iter()
                .filter(|(_, v)| ledger.descends(record, *v, l))
                .count()
                == 1
        })
}

/// Adds the span `[from, to)` (ms) to hourly buckets.
fn add_span(by_hour: &mut [u64], from: u64, to: u64) {
    let mut t = from;
    while t < to {
        let h = (t / HOUR_MS) as usize;
        let next = ((h as u64 + 1) * HOUR_MS).min(to);
        if let Some(b) = by_hour.get_mut(h) {
            *b += next - t;
        }
        t = next;
    }
}

/// The verdict kinds the report's table gives a column of their own.
const COLUMNS: [VerdictKind; 4] = [
    VerdictKind::Lost,
    VerdictKind::RolledBack,
    VerdictKind::Corrupted,
    VerdictKind::Liveness,
];

/// The totals of one cell: a scenario under a design over the seeds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CellTotals {
    /// The totals `run` prints: seeds, failed, lost, rolled back,
    /// corrupted, liveness verdicts, forfeited.
    pub summary: Summary,
    /// Records lost: the most in one seed.
    pub lost_worst: u64,
    /// Failing verdicts of kinds the table has no column of (lost updates,
    /// resurrections, leaks), over all seeds.
    pub other: u64,
    /// Seeds with liveness verdicts (did not converge).
    pub liveness_seeds: u64,
    /// Recovery times (ms) of the seeds that converged after an effective fault.
    pub recovery_ms: Vec<u64>,
    /// Exposure per seed, in record-milliseconds.
    pub exposure_ms: Vec<u64>,
}

impl CellTotals {
    /// Totals over `seeds`.
    pub fn of(seeds: &[SeedStats]) -> Self {
        let outcomes: Vec<SeedOutcome> = seeds.iter().map(|s| s.outcome.clone()).collect();
        let mut t = CellTotals {
            summary: Summary::of(&outcomes),
            ..CellTotals::default()
        };
        for s in seeds {
            let o = &s.outcome;
            t.lost_worst = t.lost_worst.max(o.verdict_count(VerdictKind::Lost));
            t.other += o
                .verdicts
                .iter()
                .filter(|v| !COLUMNS.contains(&v.kind))
                .count() as u64;
            t.liveness_seeds += u64::from(o.verdict_count(VerdictKind::Liveness) > 0);
            t.recovery_ms.extend(s.recovery_ms);
            t.exposure_ms.push(s.exposure_record_ms);
        }
        t
    }

    /// Records lost: mean per seed.
    pub fn lost_mean(&self) -> f64 {
        self.summary.lost as f64 / self.summary.seeds.max(1) as f64
    }

    /// The share of seeds that broke the promise, in percent.
    pub fn broke_percent(&self) -> f64 {
        100.0 * self.summary.failed as f64 / self.summary.seeds.max(1) as f64
    }
}

/// The mean and the largest of `xs`, if any.
pub fn mean_worst(xs: &[u64]) -> Option<(f64, u64)> {
    let worst = *xs.iter().max()?;
    Some((xs.iter().sum::<u64>() as f64 / xs.len() as f64, worst))
}

/// Failing records per fault class: (records, seeds they failed in).
pub fn by_fault_class(seeds: &[SeedStats]) -> BTreeMap<String, (u64, BTreeSet<u64>)> {
    let mut out: BTreeMap<String, (u64, BTreeSet<u64>)> = BTreeMap::new();
    for s in seeds {
        for r in &s.failing_records {
            let e = out.entry(r.class()).or_default();
            e.0 += 1;
            e.1.insert(s.outcome.seed);
        }
    }
    out
}

/// Faults the survivable atlas skipped over `seeds`, and in how many seeds
/// it skipped one.
pub fn atlas_skipped(seeds: &[SeedStats]) -> (u64, u64) {
    seeds.iter().fold((0, 0), |(n, in_seeds), s| {
        let here: u64 = s.outcome.faults.values().map(|c| c.atlas_skipped).sum();
        (n + here, in_seeds + u64::from(here > 0))
    })
}

/// Per fault kind over `seeds`: faults fired, faults effective, seeds in
/// which one fired, seeds in which one was effective.
pub fn coverage(seeds: &[SeedStats]) -> BTreeMap<String, [u64; 4]> {
    let outcomes = || seeds.iter().map(|s| &s.outcome);
    let names: BTreeSet<&String> = outcomes().flat_map(|o| o.faults.keys()).collect();
    Sidekick::coverage()
        .with_outcomes(outcomes())
        .kinds
        .into_iter()
        .filter(|k| names.contains(&k.kind))
        .map(|k| {
            let (t, s) = (k.total, k.seeds);
            (k.kind, [t.fired, t.effective, s.fired, s.effective])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::record::RecordKind;
    use sim::ledger::{LedgerHandle, Write};
    use sim::trace::Value;

    const R: RecordId = RecordId {
        owner: 0,
        kind: RecordKind::Contact.promised(),
        n: 0,
    };

    fn v(seq: u32) -> VersionId {
        VersionId { writer: 0, seq }
    }

    fn copy(at: u64, created: bool, store: &str, version: u32) -> Event {
        Event {
            at: SimTime(at),
            node: store.into(),
            kind: if created {
                EngineEvent::CopyCreated.into()
            } else {
                EngineEvent::CopyEnded.into()
            },
            fields: vec![
                ("store", Value::from(store)),
                ("record", Value::from(R.to_string())),
                ("version", Value::from(v(version).to_string())),
            ]
            .into(),
        }
    }

    #[test]
    fn exposure_counts_time_with_exactly_one_copy_of_the_latest_acknowledged_version() {
        let l = LedgerHandle::new();
        l.written(R, v(1), Write::edit(None, 0), SimTime(0));
        l.saved(R, v(1), SimTime(5));
        l.written(R, v(2), Write::edit(Some(v(1)), 0), SimTime(200));
        l.saved(R, v(2), SimTime(300));
        let mut t = Trace::new();
        for e in [
            copy(0, true, "flash", 1),      // not acknowledged until 5
            copy(20, true, "primary", 1),   // two copies from 20
            copy(100, false, "primary", 1), // one copy from 100
            copy(210, true, "flash", 2),    // v2 descends from v1: two again
            copy(250, false, "flash", 1),   // one (v2 on flash) from 250
            copy(400, true, "primary", 2),  // v2 acknowledged at 300: two from 400
            copy(500, false, "flash", 2),   // one from 500 to the end
        ] {
            t.push(e);
        }
        let (total, _) = exposure(&t, &l.snapshot(), SimTime(600));
        assert_eq!(total, (20 - 5) + (210 - 100) + (400 - 250) + (600 - 500));
    }

    #[test]
    fn a_forfeited_or_lost_version_is_not_exposed() {
        let l = LedgerHandle::new();
        l.written(R, v(1), Write::edit(None, 0), SimTime(0));
        l.saved(R, v(1), SimTime(0));
        l.forfeit_unsynced(0, SimTime(50));
        let mut t = Trace::new();
        t.push(copy(10, true, "flash", 1));
        t.push(copy(80, false, "flash", 1));
        let (total, by_hour) = exposure(&t, &l.snapshot(), SimTime(100));
        assert_eq!(total, 40, "from its copy to its forfeit");
        assert_eq!(by_hour, [40]);
    }

    #[test]
    fn spans_are_split_at_hour_boundaries() {
        let mut b = vec![0; 3];
        add_span(&mut b, HOUR_MS - 10, 2 * HOUR_MS + 5);
        assert_eq!(b, [10, HOUR_MS, 5]);
    }

    #[test]
    fn mean_worst_of_nothing_is_none() {
        assert_eq!(mean_worst(&[]), None);
        assert_eq!(mean_worst(&[1, 4]), Some((2.5, 4)));
    }
}
