//! `run --coverage`: per fault kind of a sweep (every generic fault of
//! [`FAULT_TABLE`], then the system's own), how many faults fired, how
//! many were effective (ended a copy of acknowledged data) and how many
//! were near misses ([`crate::near_miss`]), each with the number of seeds
//! it happened in; then the kinds that never fired.
//!
//! It reads only the seeds' outcomes ([`SeedOutcome::faults`]), which the
//! harness fills from the world's output, never from a system's insides.

use crate::faults::FAULT_TABLE;
use crate::system::OwnFault;
use sim::outcome::{FaultCount, SeedOutcome};
use std::fmt;

/// One fault kind over a sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindCoverage {
    /// The kind's name (`power-loss`, or an own fault's).
    pub kind: String,
    /// Its class (`power`, `storage`, `network`; `own` for the system's).
    pub class: String,
    /// Faults of the kind that fired, that were effective, that were near
    /// misses.
    pub total: FaultCount,
    /// Seeds in which one fired, was effective, was a near miss.
    pub seeds: FaultCount,
}

/// Every fault kind over a sweep, generic kinds in table order, then the
/// system's own in its table's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// Seeds added.
    pub seeds: u64,
    /// Seeds in which some fault was a near miss.
    pub seeds_near_miss: u64,
    /// Per fault kind.
    pub kinds: Vec<KindCoverage>,
}

impl Coverage {
    /// The coverage of no seed: every generic kind and every one of `own`,
    /// at zero.
    pub fn new(own: &[OwnFault]) -> Self {
        let generic = FAULT_TABLE
            .iter()
            .map(|r| zero(r.name, &r.class.to_string()));
        let own = own.iter().map(|r| zero(r.name, "own"));
        Coverage {
            seeds: 0,
            seeds_near_miss: 0,
            kinds: generic.chain(own).collect(),
        }
    }

    /// Adds one seed's outcome: a running tally, so a sweep of any length
    /// keeps only this. A kind the table does not name is added at the end.
    pub fn add(&mut self, o: &SeedOutcome) {
        self.seeds += 1;
        for (kind, c) in &o.faults {
            let i = match self.kinds.iter().position(|k| &k.kind == kind) {
                Some(i) => i,
                None => {
                    self.kinds.push(zero(kind, "other"));
                    self.kinds.len() - 1
                }
            };
            let k = &mut self.kinds[i];
            k.total.fired += c.fired;
            k.total.effective += c.effective;
            k.total.near_miss += c.near_miss;
            k.seeds.fired += u64::from(c.fired > 0);
            k.seeds.effective += u64::from(c.effective > 0);
            k.seeds.near_miss += u64::from(c.near_miss > 0);
        }
        self.seeds_near_miss += u64::from(o.faults.values().any(|c| c.near_miss > 0));
    }

    /// The kind named `name`, if the tables or the outcomes name it.
    pub fn kind(&self, name: &str) -> Option<&KindCoverage> {
        self.kinds.iter().find(|k| k.kind == name)
    }

    /// The kinds that never fired, in table order.
    pub fn never_fired(&self) -> Vec<&str> {
        self.kinds
            .iter()
            .filter(|k| k.total.fired == 0)
            .map(|k| k.kind.as_str())
            .collect()
    }
}

/// Kind `kind` of class `class`, at zero.
fn zero(kind: &str, class: &str) -> KindCoverage {
    KindCoverage {
        kind: kind.to_string(),
        class: class.to_string(),
        total: FaultCount::default(),
        seeds: FaultCount::default(),
    }
}

impl fmt::Display for Coverage {
    /// A table of the kinds that fired (faults, and in brackets the seeds),
    /// the kinds that never fired, and the share of seeds with a near miss.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "coverage over {} seeds (faults, and in how many seeds):",
            self.seeds
        )?;
        let line = |f: &mut fmt::Formatter<'_>, cells: [&str; 5]| {
            let [kind, class, a, b, c] = cells;
            writeln!(f, "  {kind:<22} {class:<8} {a:>12} {b:>12} {c:>12}")
        };
        line(f, ["kind", "class", "fired", "effective", "near miss"])?;
        for k in self.kinds.iter().filter(|k| k.total.fired > 0) {
            let cell = |n: u64, s: u64| format!("{n} ({s})");
            let (t, s) = (k.total, k.seeds);
            line(
                f,
                [
                    &k.kind,
                    &k.class,
                    &cell(t.fired, s.fired),
                    &cell(t.effective, s.effective),
                    &cell(t.near_miss, s.near_miss),
                ],
            )?;
        }
        let never = self.never_fired();
        let never = if never.is_empty() {
            "none".to_string()
        } else {
            never.join(", ")
        };
        writeln!(f, "never fired: {never}")?;
        let pct = if self.seeds == 0 {
            0.0
        } else {
            100.0 * self.seeds_near_miss as f64 / self.seeds as f64
        };
        write!(
            f,
            "near miss (a record down to its last copies where a fault struck) in {} of {} seeds ({pct:.0}%)",
            self.seeds_near_miss, self.seeds
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(faults: &[(&str, u64, u64, u64)]) -> SeedOutcome {
        SeedOutcome {
            scenario: "s".into(),
            design: "d".into(),
            overrides: vec![],
            seed: 0,
            plan_hash: String::new(),
            trace_hash: String::new(),
            verdicts: vec![],
            counts: Default::default(),
            faults: faults
                .iter()
                .map(|&(k, fired, effective, near_miss)| {
                    let c = FaultCount {
                        fired,
                        effective,
                        near_miss,
                        ..FaultCount::default()
                    };
                    (k.to_string(), c)
                })
                .collect(),
            findings: Default::default(),
            drawn: vec![],
            buggify: Default::default(),
            situations: Default::default(),
        }
    }

    #[test]
    fn sums_faults_and_seeds_per_kind_and_lists_the_silent_ones() {
        let own = [OwnFault {
            name: "stale-restore",
            key: "stale_restore_per_day",
            node: "server",
            effect: "",
        }];
        let mut c = Coverage::new(&own);
        c.add(&outcome(&[("power-loss", 3, 1, 1), ("bit-rot", 0, 0, 0)]));
        c.add(&outcome(&[
            ("power-loss", 2, 0, 0),
            ("stale-restore", 1, 1, 0),
        ]));
        let p = c.kind("power-loss").unwrap();
        assert_eq!(
            (p.total.fired, p.total.effective, p.total.near_miss),
            (5, 1, 1)
        );
        assert_eq!(
            (p.seeds.fired, p.seeds.effective, p.seeds.near_miss),
            (2, 1, 1)
        );
        assert_eq!(c.kind("stale-restore").unwrap().class, "own");
        assert_eq!(c.seeds_near_miss, 1);
        let never = c.never_fired();
        assert!(never.contains(&"bit-rot") && !never.contains(&"stale-restore"));
        let text = c.to_string();
        assert!(text.contains("in 1 of 2 seeds (50%)"), "{text}");
        assert!(text.contains("stale-restore"), "{text}");
    }
}
