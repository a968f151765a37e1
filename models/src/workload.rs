//! The workload: what each user does, drawn from that user's own stream.
//!
//! A handset's schedule of edits is a pure function of (root seed, handset
//! index, workload settings): dropping a handset or a fault never changes
//! another handset's schedule. The schedule is the user's intent; whether
//! each edit happens depends on the handset being up at the time.
//!
//! Deletes and the web portal draw from streams of their own
//! ([`Stream::Deletes`], [`Stream::Portal`]), so a scenario without them
//! keeps exactly the schedules it had. So do bursts: a bursty handset
//! ([`WorkloadConfig::burstiness`] above zero) draws its edit times from
//! [`Stream::Bursts`], and a Poisson one (burstiness zero) never touches it. The portal of user `u` is a second
//! writer with writer id `handsets + u`: it edits and deletes records the
//! user's handset created, never creates any.

use crate::record::{RecordId, RecordKind, VersionId};
use crate::stream::Stream;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use sim::rng::Seeds;
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
    /// Chance that an edit of an existing record deletes it instead.
    pub delete_probability: f64,
    /// Mean edits per user per simulated day made on the web portal.
    pub portal_edits_per_day: f64,
    /// Mean extra edits each burst of a handset's edits brings within a short
    /// span (>= 0). Zero is a Poisson stream of edits. Above zero, bursts
    /// start as a Poisson stream at `edits_per_day / (1 + burstiness)`,
    /// and each brings a geometric number of extra edits (mean
    /// `burstiness`), each [`BURST_GAP`] (mean, exponential) after the one
    /// before: the same mean rate, clustered.
    pub burstiness: f64,
}

/// The mean time from one edit of a burst to the next: a user fixing up a
/// few records in a row.
pub const BURST_GAP: Duration = Duration::from_secs(20);

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
    /// Whether the edit deletes the record (writes a tombstone).
    #[serde(default, skip_serializing_if = "is_false")]
    pub deletes: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Every user's schedule: what a run's users try to do. It can be drawn
/// from a seed ([`Workload::draw`]) or saved and replayed as it is, so that a
/// regression case keeps its workload when the code changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Per handset, in handset order.
    pub handsets: Vec<HandsetWorkload>,
    /// Per user's web portal, in user order (`handset` is the user); empty
    /// when the portal is off.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub portals: Vec<HandsetWorkload>,
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
        let handset_edits: Vec<HandsetWorkload> = (0..handsets)
            .map(|h| HandsetWorkload {
                handset: h,
                edits: schedule(seeds, h, cfg, duration),
            })
            .collect();
        let portals = if cfg.portal_edits_per_day > 0.0 {
            handset_edits
                .iter()
                .map(|hw| HandsetWorkload {
                    handset: hw.handset,
                    edits: portal_schedule(seeds, hw, handsets, cfg, duration),
                })
                .collect()
        } else {
            Vec::new()
        };
        Workload {
            handsets: handset_edits,
            portals,
        }
    }

    /// The writer id of user `user`'s web portal in a run of `handsets` handsets.
    pub fn portal_writer(handsets: u32, user: u32) -> u32 {
        handsets + user
    }
}

/// The schedule of user `hw.handset`'s web portal: edits (and, with the
/// delete probability, deletes) of records the user's handset created
/// before the time of the edit.
pub fn portal_schedule(
    seeds: &Seeds,
    hw: &HandsetWorkload,
    handsets: u32,
    cfg: &WorkloadConfig,
    duration: Duration,
) -> Vec<PlannedEdit> {
    let mut rng = seeds.stream(Stream::Portal(hw.handset));
    let mut out = Vec::new();
    let writer = Workload::portal_writer(handsets, hw.handset);
    let mut seq = 0;
    for at in poisson_times(&mut rng, cfg.portal_edits_per_day, duration) {
        let created: Vec<RecordId> = hw
            .edits
            .iter()
            .filter(|e| e.creates && e.at < at)
            .map(|e| e.record)
            .collect();
        if created.is_empty() {
            continue;
        }
        let record = created[rng.random_range(0..created.len())];
        seq += 1;
        out.push(PlannedEdit {
            at,
            record,
            version: VersionId { writer, seq },
            creates: false,
            deletes: rng.random_bool(cfg.delete_probability),
        });
    }
    out
}

fn poisson_times(rng: &mut sim::rng::Rng, per_day: f64, duration: Duration) -> Vec<SimTime> {
    let mut out = Vec::new();
    if per_day <= 0.0 {
        return out;
    }
    let mean_gap_ms = 86_400_000.0 / per_day;
    let end = duration.as_millis() as f64;
    let mut t = 0.0f64;
    loop {
        t += exponential(rng, mean_gap_ms);
        if t >= end {
            return out;
        }
        out.push(SimTime(t as u64));
    }
}

/// When a handset's edits happen: drawn one at a time from the workload
/// stream, between the draws of what each edit does (Poisson, as every
/// schedule was before bursts), or all at once from the bursts stream.
enum Arrivals {
    /// A Poisson stream, drawn from the workload stream as it goes.
    Poisson { mean_gap_ms: f64, end: f64, t: f64 },
    /// Bursty times drawn up front, in time order.
    Bursty(std::vec::IntoIter<f64>),
}

impl Arrivals {
    fn new(seeds: &Seeds, handset: u32, cfg: &WorkloadConfig, duration: Duration) -> Self {
        let mean_gap_ms = 86_400_000.0 / cfg.edits_per_day;
        let end = duration.as_millis() as f64;
        if cfg.burstiness <= 0.0 {
            return Arrivals::Poisson {
                mean_gap_ms,
                end,
                t: 0.0,
            };
        }
        let mut rng = seeds.stream(Stream::Bursts(handset));
        let more = cfg.burstiness / (1.0 + cfg.burstiness);
        let gap_ms = BURST_GAP.as_millis() as f64;
        let mut times = Vec::new();
        let mut start = 0.0f64;
        loop {
            start += exponential(&mut rng, mean_gap_ms * (1.0 + cfg.burstiness));
            if start >= end {
                break;
            }
            let mut t = start;
            times.push(t);
            while rng.random_bool(more) {
                t += exponential(&mut rng, gap_ms);
                if t < end {
                    times.push(t);
                }
            }
        }
        times.sort_by(f64::total_cmp);
        Arrivals::Bursty(times.into_iter())
    }

    /// The next edit's time in milliseconds, if it falls within the run;
    /// a Poisson stream draws it from `rng`.
    fn next(&mut self, rng: &mut sim::rng::Rng) -> Option<f64> {
        match self {
            Arrivals::Poisson {
                mean_gap_ms,
                end,
                t,
            } => {
                *t += exponential(rng, *mean_gap_ms);
                (*t < *end).then_some(*t)
            }
            Arrivals::Bursty(times) => times.next(),
        }
    }
}

/// A time drawn from the exponential distribution of mean `mean`.
fn exponential(rng: &mut sim::rng::Rng, mean: f64) -> f64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    -u.ln() * mean
}

/// The schedule of handset `handset` over `duration`.
pub fn schedule(
    seeds: &Seeds,
    handset: u32,
    cfg: &WorkloadConfig,
    duration: Duration,
) -> Vec<PlannedEdit> {
    let mut rng = seeds.stream(Stream::Workload(handset));
    let mut deletes = seeds.stream(Stream::Deletes(handset));
    let mut out = Vec::new();
    if cfg.edits_per_day <= 0.0 {
        return out;
    }
    let mut arrivals = Arrivals::new(seeds, handset, cfg, duration);
    let mut records: Vec<RecordId> = Vec::new();
    let mut seq = 0;
    while let Some(t) = arrivals.next(&mut rng) {
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
            deletes: !create
                && cfg.delete_probability > 0.0
                && deletes.random_bool(cfg.delete_probability),
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
            delete_probability: 0.0,
            portal_edits_per_day: 0.0,
            burstiness: 0.0,
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

    #[test]
    fn deletes_and_the_portal_leave_the_handset_schedules_alone() {
        let s = Seeds::new(42);
        let d = Duration::from_secs(3 * 86_400);
        let plain = Workload::draw(&s, 3, &cfg(), d);
        assert!(plain.portals.is_empty());
        let more = WorkloadConfig {
            delete_probability: 0.3,
            portal_edits_per_day: 6.0,
            ..cfg()
        };
        let w = Workload::draw(&s, 3, &more, d);
        for (a, b) in plain.handsets.iter().zip(&w.handsets) {
            assert_eq!(a.edits.len(), b.edits.len());
            for (x, y) in a.edits.iter().zip(&b.edits) {
                assert_eq!(
                    (x.at, x.record, x.version, x.creates),
                    (y.at, y.record, y.version, y.creates)
                );
                assert!(!y.deletes || !y.creates);
            }
        }
        assert!(w.handsets.iter().flat_map(|h| &h.edits).any(|e| e.deletes));
        assert_eq!(w.portals.len(), 3);
        for p in &w.portals {
            assert!(!p.edits.is_empty());
            for e in &p.edits {
                assert_eq!(e.version.writer, 3 + p.handset);
                assert_eq!(e.record.owner, p.handset);
                assert!(!e.creates);
                let made = w.handsets[p.handset as usize]
                    .edits
                    .iter()
                    .any(|h| h.creates && h.record == e.record && h.at < e.at);
                assert!(made, "the portal edits only records its user created");
            }
        }
    }

    /// The share of a schedule's gaps between edits shorter than a minute.
    fn short_gaps(edits: &[PlannedEdit]) -> f64 {
        let short = edits
            .windows(2)
            .filter(|w| w[1].at.0 - w[0].at.0 < 60_000)
            .count();
        short as f64 / (edits.len() - 1) as f64
    }

    #[test]
    fn bursts_cluster_edits_at_the_same_mean_rate() {
        let s = Seeds::new(42);
        let d = Duration::from_secs(30 * 86_400);
        let bursty = WorkloadConfig {
            burstiness: 2.0,
            ..cfg()
        };
        let (mut plain_n, mut bursty_n) = (0, 0);
        for h in 0..4 {
            let p = schedule(&s, h, &cfg(), d);
            let b = schedule(&s, h, &bursty, d);
            assert!(b.windows(2).all(|w| w[0].at <= w[1].at));
            assert_eq!(b.last().unwrap().version.seq as usize, b.len());
            // A Poisson stream of 10 a day has ~0.7% of its gaps under a
            // minute; two extra edits per burst, 20 s apart, most of them.
            assert!(short_gaps(&p) < 0.05, "{}", short_gaps(&p));
            assert!(short_gaps(&b) > 0.4, "{}", short_gaps(&b));
            plain_n += p.len();
            bursty_n += b.len();
        }
        // 1,200 edits expected of each.
        let ratio = bursty_n as f64 / plain_n as f64;
        assert!((0.8..1.25).contains(&ratio), "{bursty_n} vs {plain_n}");
    }
}
