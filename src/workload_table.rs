//! The workload and timing table: every key of `[workload]` a swarm draws,
//! beside the fault table's rates, with its default bounds.
//!
//! Most rows scale the scenario's value by a factor drawn log-uniformly
//! between the row's `min` and `max` (a scenario may narrow them, see
//! `[swarm]` in `scenarios/README.md`). A value the scenario leaves at zero
//! stays zero: the scenario says which parts of the workload exist (a
//! portal, deletes), the swarm only reshapes them.
//!
//! A [`Kind::Level`] row is the exception: it draws the value itself,
//! uniformly from `min` to `max`, whatever the scenario's. It is for a
//! shape every scenario may leave at its neutral zero and that still
//! exists in every run (burstiness: every workload has edits, Poisson or
//! clustered), so that a swarm explores it without a scenario asking.
#![deny(missing_docs)]

use crate::swarm::round;

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
    /// A plain number >= 0 drawn as itself, uniformly from the row's `min`
    /// to `max`, rather than as a factor of the scenario's value.
    Level,
}

impl Kind {
    /// Whether a row of this kind scales the scenario's value (else it
    /// draws the value itself).
    pub fn scales(self) -> bool {
        self != Kind::Level
    }

    /// `v`, a drawn value of this kind, as the value of a `--set` override
    /// (4 significant digits; whole counts and milliseconds).
    pub fn write(self, v: f64) -> String {
        match self {
            Kind::Rate | Kind::Level => format!("{}", round(v)),
            Kind::Probability => format!("{}", round(v.min(1.0))),
            Kind::Count => format!("{}", v.round().max(1.0) as u64),
            Kind::Duration => format!("{}ms", v.round().max(1.0) as u64),
        }
    }
}

/// One key a swarm draws and its default bounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    /// The dotted key (`workload.sync_interval`).
    pub key: &'static str,
    /// What kind of value it is.
    pub kind: Kind,
    /// The smallest factor drawn (> 0), or for a [`Kind::Level`] row the
    /// smallest value (>= 0).
    pub min: f64,
    /// The largest factor (or level) drawn (>= `min`).
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
///
/// The rows after the first [`DRAWN_BEFORE_ENGINES`] came later: they are
/// drawn after the engines, buggify and the handsets' store, so that every
/// earlier dimension of a seed keeps the value it drew before they
/// existed. Burstiness is a level from 0 (Poisson) to 4 (bursts of five
/// edits on average); the exchange timeout scales by 1/4 to 4 (15 s to 4
/// min from the default minute).
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
    row("workload.burstiness", Kind::Level, 0.0, 4.0),
    row("workload.exchange_timeout", Kind::Duration, 0.25, 4.0),
];

/// How many of [`WORKLOAD_TABLE`]'s rows, from the first, a swarm draws
/// before the engines, buggify and the handsets' store; it draws the rest
/// after them.
pub const DRAWN_BEFORE_ENGINES: usize = 8;

/// The row of `key`, if the table has it.
pub fn row_of(key: &str) -> Option<&'static Row> {
    WORKLOAD_TABLE.iter().find(|r| r.key == key)
}

/// The key whose drawn factor scales the heal bound: a handset that syncs
/// `k` times less often needs `k` times as long to converge.
pub const HEAL_SCALES_WITH: &str = "workload.sync_interval";

/// The key whose drawn value lengthens the heal bound by how much it
/// exceeds the scenario's: a handset whose exchange was cut when the heal
/// phase began waits that timeout out before it retries, so a longer one
/// delays its convergence by the difference.
pub const HEAL_WAITS_FOR: &str = "workload.exchange_timeout";
