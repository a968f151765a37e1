//! Failures by fault class: each failing record of a seed counted under
//! what `--explain` blames for the end of its last copy ([`last_copy`]):
//! a fault kind (generic or the system's own), no fault, or no copy ended.

use crate::case::SeedRun;
use crate::rig::PlanFault;
use crate::triage::explain::{last_copy, LastCopy};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// What ended a failing record's last copy, as a report groups it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub enum Blame {
    /// A fault of this kind (its name: `power-loss`, an own fault's) and
    /// class (`power`, `storage`, `network`, or `own`).
    Fault {
        /// The fault kind's name.
        kind: String,
        /// Its class.
        class: String,
    },
    /// The last copy ended with no fault to blame.
    NoFault,
    /// No copy of its latest acknowledged version ever ended (never made
    /// durable, or served wrongly rather than lost).
    NeverEnded,
}

impl Blame {
    /// The blame `--explain` gives `last`.
    pub fn of<F: PlanFault>(last: &LastCopy<F>) -> Self {
        match last {
            LastCopy::NeverEnded => Blame::NeverEnded,
            LastCopy::NoFault => Blame::NoFault,
            LastCopy::Fault(f) => Blame::Fault {
                kind: f.kind.kind_name(),
                class: f.kind.class_name(),
            },
        }
    }

    /// The fault class, or `-`.
    pub fn class(&self) -> &str {
        match self {
            Blame::Fault { class, .. } => class,
            _ => "-",
        }
    }
}

impl fmt::Display for Blame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blame::Fault { kind, .. } => f.write_str(kind),
            Blame::NoFault => f.write_str("no fault (the system's own work)"),
            Blame::NeverEnded => f.write_str("no copy ended (never durable, or served wrong)"),
        }
    }
}

impl From<Blame> for String {
    fn from(b: Blame) -> String {
        b.to_string()
    }
}

/// Per blame, how many of a seed's failing records it takes.
pub fn blame_seed<F: PlanFault>(run: &SeedRun<F>) -> BTreeMap<Blame, u64> {
    let mut out = BTreeMap::new();
    for v in run
        .outcome
        .verdicts
        .iter()
        .filter(|v| v.kind.is_about_a_record())
    {
        let blame = match run.output.ledger.record_named(&v.subject) {
            Some(record) => Blame::of(&last_copy(run, record)),
            None => Blame::NeverEnded,
        };
        *out.entry(blame).or_default() += 1;
    }
    out
}
