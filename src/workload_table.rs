//! The workload and timing table: every key of `[workload]` a swarm draws,
//! beside the fault table's rates, with its default bounds.
//!
//! Each row scales the scenario's value by a factor drawn log-uniformly
//! between the row's `min` and `max` (a scenario may narrow them, see
//! `[swarm]` in `scenarios/README.md`). A value the scenario leaves at zero
//! stays zero: the scenario says which parts of the workload exist (a
//! portal, deletes), the swarm only reshapes them.
#![deny(missing_docs)]

/// What kind of value a row draws, which says how a drawn value is
/// written back as a `--set` override.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A mean count per day (>= 0).
    Rate,
    /// A probability, capped at 1.
    Probability,
    /// A whole count, at least 1.
    Count,
    /// A duration, written in whole milliseconds (at least 1 ms when the
    /// scenario's is not zero).
    Duration,
}

/// One key a swarm draws and its default bounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    /// The dotted key (`workload.sync_interval`).
    pub key: &'static str,
    /// What kind of value it is.
    pub kind: Kind,
    /// The smallest factor drawn (> 0).
    pub min: f64,
    /// The largest factor drawn (>= `min`).
    pub max: f64,
}

const fn row(key: &'static str, kind: Kind, min: f64, max: f64) -> Row {
    Row {
        key,
        kind,
        min,
        max,
    }
}

/// Every workload and timing key a swarm draws, in draw order. The edit
/// rate and the sync timing scale by 1/2 to 2 (the work budget grows with
/// both); shapes that cost little (record counts, delete and portal
/// shares, the delay from an edit to its sync) by 1/4 to 4.
pub const WORKLOAD_TABLE: &[Row] = &[
    row("workload.edits_per_handset_day", Kind::Rate, 0.5, 2.0),
    row(
        "workload.new_record_probability",
        Kind::Probability,
        0.25,
        4.0,
    ),
    row("workload.max_records_per_handset", Kind::Count, 0.25, 4.0),
    row("workload.delete_probability", Kind::Probability, 0.25, 4.0),
    row("workload.portal_edits_per_user_day", Kind::Rate, 0.25, 2.0),
    row("workload.sync_interval", Kind::Duration, 0.5, 2.0),
    row("workload.sync_after_edit", Kind::Duration, 0.25, 4.0),
    row("system.network_latency", Kind::Duration, 0.5, 4.0),
];

/// The row of `key`, if the table has it.
pub fn row_of(key: &str) -> Option<&'static Row> {
    WORKLOAD_TABLE.iter().find(|r| r.key == key)
}

/// The key whose drawn factor scales the heal bound: a handset that syncs
/// `k` times less often needs `k` times as long to converge.
pub const HEAL_SCALES_WITH: &str = "workload.sync_interval";
