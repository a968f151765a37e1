//! Edit races on demand ([`Fault::EditRace`]): the race behind a bug class
//! the catalogue's clock-driven faults almost never hit. The user edits a
//! record while the handset's push of its previous version is in flight,
//! and then, before the next push, the handset is reset or loses power.
//!
//! A race is armed at its planned time like a mid-sync pull
//! ([`crate::trigger`]); it strikes the first time its handset's step sends
//! a `Sync` push carrying a record the handset still shows (seen from the
//! message alone, never from the model's state). What the plan leaves open
//! is resolved from the fault's own resolve seed, in this order: which of
//! the pushed records is edited, the delay (0 to `delay_max_ms`) and
//! whether a factory reset or a power loss follows. Everything goes into
//! the trace: `fault.fired` (kind `edit-race`), `fault.resolved` (record,
//! version, `then`, `after_ms`), the edit's own events, and, at its time,
//! the reset or power loss, applied by the injector under the same fault
//! id (so its `fault.fired` names the follow-up's kind).
//!
//! The edit goes to the handset as an ordinary user input, so the handset
//! writes it and the ledger records it as it does every workload edit. Its
//! version is the handset's own, numbered [`RACE_SEQ_BASE`] plus the fault's
//! plan id, which no workload edit reaches.

use models::fault::Fault;
use models::msg::{Input, Msg};
use models::record::{RecordId, VersionId};
use rand::RngExt;
use sim::fields;
use sim::host::StepSeen;
use sim::plan::PlannedFault;
use std::time::Duration;

/// The writer sequence number of race edits starts here (plus the fault's
/// plan id): far above any workload edit's, so a race edit never takes a
/// workload edit's version.
pub const RACE_SEQ_BASE: u32 = 1 << 24;

/// What follows a race's edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaceEnd {
    /// A factory reset of the handset: its unsynced versions are forfeited.
    Reset,
    /// A power loss of the handset (a battery pull).
    PowerLoss,
}

impl RaceEnd {
    /// The word the trace uses (`then` of `fault.resolved`).
    pub fn name(self) -> &'static str {
        match self {
            RaceEnd::Reset => "reset",
            RaceEnd::PowerLoss => "power-loss",
        }
    }
}

/// A race resolved at fire time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Race {
    /// The record edited (one the push carried).
    pub record: RecordId,
    /// The version the edit makes.
    pub version: VersionId,
    /// What follows the edit.
    pub end: RaceEnd,
    /// How long after the edit it follows.
    pub after: Duration,
}

/// The records a step of handset `target` pushes that the handset still
/// shows (not tombstones), in record order, without repeats; empty if the
/// step sends no such push.
pub fn pushed_records(target: &str, seen: &StepSeen<'_, Msg>) -> Vec<RecordId> {
    if seen.node != target {
        return Vec::new();
    }
    let mut out: Vec<RecordId> = seen
        .sends
        .iter()
        .filter_map(|(_, m)| match m {
            Msg::Sync { push, .. } => Some(push),
            _ => None,
        })
        .flatten()
        .filter(|row| !row.deleted)
        .map(|row| row.record)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Resolves race `f` (a [`Fault::EditRace`] on handset `handset`) against
/// the records its push carries, from its resolve seed; None if it is no
/// race or the push carries no record.
pub fn resolve(f: &PlannedFault<Fault>, handset: u32, pushed: &[RecordId]) -> Option<Race> {
    let Fault::EditRace { delay_max_ms, .. } = f.kind else {
        return None;
    };
    if pushed.is_empty() {
        return None;
    }
    let mut rng = sim::rng::from_seed(f.resolve_seed);
    let record = pushed[rng.random_range(0..pushed.len())];
    let after = Duration::from_millis(rng.random_range(0..=delay_max_ms));
    let end = if rng.random_bool(0.5) {
        RaceEnd::Reset
    } else {
        RaceEnd::PowerLoss
    };
    Some(Race {
        record,
        version: VersionId {
            writer: handset,
            seq: RACE_SEQ_BASE.saturating_add(f.id),
        },
        end,
        after,
    })
}

impl Race {
    /// The user's edit, as the handset is told it.
    pub fn edit(&self) -> Input {
        Input::Edit {
            record: self.record,
            version: self.version,
            creates: false,
            deletes: false,
        }
    }

    /// The fields of the race's `fault.resolved` event.
    pub fn resolution(&self, fault: u32) -> Vec<(&'static str, sim::trace::Value)> {
        fields![
            "fault" => fault,
            "record" => self.record.to_string(),
            "version" => self.version.to_string(),
            "then" => self.end.name(),
            "after_ms" => self.after.as_millis() as u64
        ]
    }

    /// The fault the injector applies when the race ends: race `f`'s
    /// reset or power loss, under its plan id and resolve seed.
    pub fn end_fault(&self, f: &PlannedFault<Fault>) -> PlannedFault<Fault> {
        let Fault::EditRace { down_for_ms, .. } = f.kind else {
            unreachable!("only races end");
        };
        let kind = match self.end {
            RaceEnd::Reset => Fault::FactoryReset,
            RaceEnd::PowerLoss => Fault::BatteryPull { down_for_ms },
        };
        PlannedFault { kind, ..f.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::record::RecordKind;
    use sim::time::SimTime;

    fn race(id: u32, seed: u64) -> PlannedFault<Fault> {
        PlannedFault {
            id,
            at: SimTime(0),
            target: "handset-1".into(),
            kind: Fault::EditRace {
                window_ms: 1000,
                delay_max_ms: 60_000,
                down_for_ms: 5000,
            },
            resolve_seed: seed,
        }
    }

    #[test]
    fn resolves_one_pushed_record_a_delay_within_bound_and_both_ends() {
        let records: Vec<RecordId> = (0..4)
            .map(|n| RecordId {
                owner: 1,
                kind: RecordKind::Contact,
                n,
            })
            .collect();
        let mut ends = std::collections::BTreeSet::new();
        for seed in 0..40 {
            let r = resolve(&race(7, seed), 1, &records).unwrap();
            assert_eq!(r, resolve(&race(7, seed), 1, &records).unwrap());
            assert!(records.contains(&r.record));
            assert!(r.after <= Duration::from_millis(60_000));
            assert_eq!(
                r.version,
                VersionId {
                    writer: 1,
                    seq: RACE_SEQ_BASE + 7
                }
            );
            ends.insert(r.end.name());
        }
        assert_eq!(ends.len(), 2, "both resets and power losses are drawn");
        assert!(resolve(&race(7, 0), 1, &[]).is_none(), "no record, no race");
    }
}
