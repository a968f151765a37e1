//! The outcome of one seed: what a sweep keeps, merges and reports.
//!
//! The engine knows no phones: verdict kinds are the promise's own words
//! (lost, rolled back, ...); counts and findings are data here (names and
//! numbers), defined by whoever checks the run.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

crate::named! {
    /// A kind of failing verdict. The order is severity, most severe first:
    /// sorting verdicts puts the worst first, and the worst of several is the
    /// least. Each prints (and serializes) as its kebab-case name.
    pub enum VerdictKind {
        /// A place serves content no writer wrote for the record.
        Corrupted = "corrupted",
        /// A place of one user serves another user's record.
        Leaked = "leaked",
        /// No place serves any version of a record its user never deleted.
        Lost = "lost",
        /// An acknowledged edit was discarded for another writer's.
        LostUpdate = "lost-update",
        /// A record whose deletion was acknowledged is served again.
        Resurrected = "resurrected",
        /// The places went back in a record's own history.
        RolledBack = "rolled-back",
        /// The places did not converge within the heal bound.
        Liveness = "liveness",
    }
}

impl VerdictKind {
    /// Whether this kind is about a record (every kind but liveness, which
    /// is about a place).
    pub fn is_about_a_record(self) -> bool {
        self != VerdictKind::Liveness
    }
}

/// One failing verdict about one record (or one place, for liveness).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Verdict {
    /// The verdict's kind.
    pub kind: VerdictKind,
    /// The record (or place) it concerns.
    pub subject: String,
    /// One line saying what went wrong, in words.
    pub detail: String,
}

/// Everything one seed's run produced, in a form that serializes as one JSON line.
///
/// Its `Default` is the outcome of no run: empty names and hashes, seed 0,
/// no verdict, no count, no fault. A test fixture sets only the fields it
/// is about and takes the rest from it (`..SeedOutcome::default()`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedOutcome {
    /// The scenario's name.
    pub scenario: String,
    /// The design's name (a preset, or `custom`).
    pub design: String,
    /// `--set` overrides applied, in the order given.
    pub overrides: Vec<String>,
    /// The root seed.
    pub seed: u64,
    /// The hash of the fault plan that ran (16 hex digits).
    pub plan_hash: String,
    /// The hash of the trace (16 hex digits).
    pub trace_hash: String,
    /// Failing verdicts, sorted. Empty when the promise held.
    pub verdicts: Vec<Verdict>,
    /// Named counters: versions written, acknowledged, forfeited, ...
    pub counts: BTreeMap<String, u64>,
    /// Per fault kind: how many fired and how many were effective.
    pub faults: BTreeMap<String, FaultCount>,
    /// Findings reported beside the verdicts, such as caught panics.
    pub findings: BTreeMap<String, u64>,
    /// Overrides this seed drew for itself (swarm testing), applied after
    /// `overrides`; empty for an ordinary run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drawn: Vec<String>,
    /// Per buggify site reached this seed (by site name): whether it was
    /// active and how often it fired. Empty when buggify was off, so the
    /// JSON line of a plain run is unchanged.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub buggify: BTreeMap<String, SiteCount>,
    /// How often each situation that matters happened this seed (by the
    /// situation's name; the checker's harness defines them), only those
    /// that did. Empty when none did.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub situations: BTreeMap<String, u64>,
}

/// What one buggify site did in one seed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteCount {
    /// Whether the site was active this seed (it may fire only then).
    pub active: bool,
    /// How often the code reached the site.
    pub reached: u64,
    /// How often the site took its rare path.
    pub fired: u64,
}

impl From<crate::buggify::SiteCount> for SiteCount {
    fn from(c: crate::buggify::SiteCount) -> Self {
        SiteCount {
            active: c.active,
            reached: c.reached,
            fired: c.fired,
        }
    }
}

/// How often one fault kind fired and took effect in a seed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCount {
    /// Times it fired.
    pub fired: u64,
    /// Times it was effective (ended, corrupted or made unreadable a copy of
    /// acknowledged data, failed an acknowledged write, or aborted a sync).
    pub effective: u64,
    /// Times it struck while the stores it hit held every live copy of some
    /// record's latest acknowledged version (a near miss: the record was
    /// down to its last copies, there).
    #[serde(default)]
    pub near_miss: u64,
    /// Times the survivable atlas skipped it: it would have struck the last
    /// copy of acknowledged data. Left out of JSON when zero, so the lines
    /// of runs without the atlas are unchanged.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub atlas_skipped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl SeedOutcome {
    /// Whether the promise held: no failing verdict.
    pub fn kept_promise(&self) -> bool {
        self.verdicts.is_empty()
    }

    /// How many verdicts of `kind` the seed has.
    pub fn verdict_count(&self, kind: VerdictKind) -> u64 {
        self.verdicts.iter().filter(|v| v.kind == kind).count() as u64
    }

    /// The counter `name`, zero if absent.
    pub fn count(&self, name: &str) -> u64 {
        self.counts.get(name).copied().unwrap_or(0)
    }
}
