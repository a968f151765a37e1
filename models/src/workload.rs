//! The workload: what each user does, drawn from that user's own stream.
//!
//! A handset's schedule of edits is a pure function of (root seed, handset
//! index, workload settings): dropping a handset or a fault never changes
//! another handset's schedule. The schedule is the user's intent; whether
//! each edit happens depends on the handset being up at the time.

use crate::record::{RecordId, RecordKind, VersionId};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use sim::rng::{Seeds, Stream};
use sim::time::SimTime;
use std::time::Duration;

/// The workload settings a scenario gives.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadConfig {
    /// Mean edits per handset per simulated day (a Poisson process).
    pub edits_per_day: f64,
    /// Chance that an edit creates a new record rather than editing one.
    pub new_record_probability: f64,
    /// The most records a user creates.
    pub max_records: u32,
}

/// One planned edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedEdit {
    /// When the user makes it.
    pub at: SimTime,
    /// The record edited (or created).
    pub record: RecordId,
    /// The version the edit makes.
    pub version: VersionId,
    /// Whether the edit creates the record (else it edits one the user sees).
    pub creates: bool,
}

/// Every user's schedule: what a run's users try to do. It can be drawn
/// from a seed ([`Workload::draw`]) or saved and replayed as it is, so that a
/// regression case keeps its workload when the code changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Per handset, in handset order.
    pub handsets: Vec<HandsetWorkload>,
}

/// One handset's schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandsetWorkload {
    /// The handset (and user) index.
    pub handset: u32,
    /// Its edits, in time order.
    pub edits: Vec<PlannedEdit>,
}

impl Workload {
    /// The schedules of handsets `0..handsets`, each from its own stream.
    pub fn draw(seeds: &Seeds, handsets: u32, cfg: &WorkloadConfig, duration: Duration) -> Self {
        Workload {
            handsets: (0..handsets)
                .map(|h| HandsetWorkload {
                    handset: h,
                    edits: schedule(seeds, h, cfg, duration),
                })
                .collect(),
        }
    }
}

/// The schedule of handset `handset` over `duration`.
pub fn schedule(
    seeds: &Seeds,
    handset: u32,
    cfg: &WorkloadConfig,
    duration: Duration,
) -> Vec<PlannedEdit> {
    let mut rng = seeds.stream(Stream::Workload(handset));
    let mut out = Vec::new();
    if cfg.edits_per_day <= 0.0 {
        return out;
    }
    let mean_gap_ms = 86_400_000.0 / cfg.edits_per_day;
    let mut records: Vec<RecordId> = Vec::new();
    let mut t = 0.0f64;
    let end = duration.as_millis() as f64;
    let mut seq = 0;
    loop {
        let u: f64 = rng.random_range(f64::EPSILON..1.0);
        t += -u.ln() * mean_gap_ms;
        if t >= end {
            break;
        }
        let create = records.is_empty()
            || (records.len() < cfg.max_records as usize
                && rng.random_bool(cfg.new_record_probability));
        let record = if create {
            let kind = RecordKind::ALL[rng.random_range(0..RecordKind::ALL.len())];
            let r = RecordId {
                owner: handset,
                kind,
                n: records.len() as u32,
            };
            records.push(r);
            r
        } else {
            records[rng.random_range(0..records.len())]
        };
        seq += 1;
        out.push(PlannedEdit {
            at: SimTime(t as u64),
            record,
            version: VersionId {
                writer: handset,
                seq,
            },
            creates: create,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> WorkloadConfig {
        WorkloadConfig {
            edits_per_day: 10.0,
            new_record_probability: 0.3,
            max_records: 5,
        }
    }

    #[test]
    fn schedules_are_per_handset_and_reproducible() {
        let s = Seeds::new(42);
        let d = Duration::from_secs(3 * 86_400);
        let a = schedule(&s, 3, &cfg(), d);
        assert_eq!(a, schedule(&s, 3, &cfg(), d));
        assert_ne!(a, schedule(&s, 4, &cfg(), d));
        assert!(
            a.len() > 10 && a.len() < 60,
            "about 30 edits, got {}",
            a.len()
        );
        assert!(a.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(a.iter().all(|e| e.record.owner == 3 && e.record.n < 5));
        assert_eq!(a.last().unwrap().version.seq as usize, a.len());
    }
}
