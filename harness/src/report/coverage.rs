//! `run --coverage`: per fault kind of a sweep (every generic fault of
//! [`FAULT_TABLE`], then the system's own), how many faults fired, how
//! many were effective (ended a copy of acknowledged data) and how many
//! were near misses ([`crate::checker::near_miss`]), each with the number of seeds
//! it happened in; then the kinds that never fired. Also how often each
//! situation that matters happened ([`crate::checker::situation`]), each buggify
//! site reached, and what no seed reached ([`Coverage::unreached`]).
//!
//! It reads only the seeds' outcomes ([`SeedOutcome::faults`],
//! [`SeedOutcome::situations`], [`SeedOutcome::buggify`]), which the
//! harness fills from the world's output, never from a system's insides.

use crate::checker::situation::{Goal, OwnSituation, Situation};
use crate::plan::faults::{FaultKind, FaultName, FAULT_TABLE};
use crate::system::OwnFault;
use sim::outcome::{FaultCount, SeedOutcome, SiteCount};
use std::collections::BTreeMap;
use std::fmt;

/// One situation over a sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SituationCoverage {
    /// The situation's name (a generic one's, or the system's own).
    pub name: String,
    /// Times it happened, over every seed.
    pub count: u64,
    /// Seeds in which it happened.
    pub seeds: u64,
}

/// One buggify site over a sweep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SiteCoverage {
    /// Seeds in which the code reached it (with buggify on).
    pub seeds_reached: u64,
    /// Seeds in which it was active.
    pub seeds_active: u64,
    /// Seeds in which it fired at least once.
    pub seeds_fired: u64,
    /// Times it fired, over every seed.
    pub fired: u64,
}

impl SiteCoverage {
    /// Adds what the site did in one seed that reached it.
    fn add(&mut self, c: &SiteCount) {
        self.seeds_reached += 1;
        self.seeds_active += u64::from(c.active);
        self.seeds_fired += u64::from(c.fired > 0);
        self.fired += c.fired;
    }
}

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
    /// Per situation: the generic ones in [`Situation::ALL`] order, then
    /// the system's own in its table's order, then any other an outcome
    /// names.
    pub situations: Vec<SituationCoverage>,
    /// Per buggify site any seed reached, by name (empty when no seed ran
    /// with buggify).
    pub sites: BTreeMap<String, SiteCoverage>,
    /// The buggify sites a rig's code has ([`Coverage::of_table`]): once
    /// any seed ran with buggify, one no seed reached is listed as never
    /// reached too.
    pub known_sites: Vec<String>,
}

impl Coverage {
    /// The coverage of no seed: every generic kind and every one of `own`,
    /// every generic situation, at zero.
    pub fn new(own: &[OwnFault]) -> Self {
        let generic = FAULT_TABLE
            .iter()
            .map(|r| zero(r.name, &r.class.to_string()));
        let own = own.iter().map(|r| zero(r.name, "own"));
        Coverage {
            seeds: 0,
            seeds_near_miss: 0,
            kinds: generic.chain(own).collect(),
            situations: Situation::ALL.iter().map(|s| none(s.name())).collect(),
            sites: BTreeMap::new(),
            known_sites: Vec::new(),
        }
    }

    /// The coverage of no seed for a rig with a fault table, situations
    /// and buggify sites of its own ([`crate::rig::Rig::coverage`]): each
    /// `(kind, class)` of `kinds`, each of `situations` and of `sites`
    /// (names), in their order, at zero.
    pub fn of_table<'a>(
        kinds: impl IntoIterator<Item = (&'a str, String)>,
        situations: impl IntoIterator<Item = &'a str>,
        sites: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Coverage {
            seeds: 0,
            seeds_near_miss: 0,
            kinds: kinds.into_iter().map(|(k, c)| zero(k, &c)).collect(),
            situations: situations.into_iter().map(none).collect(),
            sites: BTreeMap::new(),
            known_sites: sites.into_iter().map(str::to_string).collect(),
        }
    }

    /// This coverage with each of `outcomes` added.
    pub fn with_outcomes<'a>(
        mut self,
        outcomes: impl IntoIterator<Item = &'a SeedOutcome>,
    ) -> Self {
        for o in outcomes {
            self.add(o);
        }
        self
    }

    /// The buggify site `name`, if some seed reached it.
    pub fn site(&self, name: &str) -> Option<&SiteCoverage> {
        self.sites.get(name)
    }

    /// This coverage with the system's own situations `own` too, at zero.
    pub fn with_situations(mut self, own: &[OwnSituation]) -> Self {
        self.situations.extend(own.iter().map(|s| none(s.name)));
        self
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
        for (name, n) in &o.situations {
            let i = match self.situations.iter().position(|s| &s.name == name) {
                Some(i) => i,
                None => {
                    self.situations.push(none(name));
                    self.situations.len() - 1
                }
            };
            self.situations[i].count += n;
            self.situations[i].seeds += u64::from(*n > 0);
        }
        for (site, c) in &o.buggify {
            self.sites.entry(site.clone()).or_default().add(c);
        }
    }

    /// The situation named `name`, if it is listed.
    pub fn situation(&self, name: &str) -> Option<&SituationCoverage> {
        self.situations.iter().find(|s| s.name == name)
    }

    /// What no seed reached, in this order: the situations that never
    /// happened, the buggify sites some seed reached that never fired, the
    /// fault kinds that never fired, and those that fired but were never
    /// effective.
    pub fn unreached(&self) -> Vec<Goal> {
        let situations = self.situations.iter().filter(|s| s.seeds == 0).map(|s| {
            Situation::parse(&s.name).map_or_else(|| Goal::Own(s.name.clone()), Goal::Situation)
        });
        let unreached_known = self
            .known_sites
            .iter()
            .filter(|site| !self.sites.is_empty() && !self.sites.contains_key(*site));
        let sites = self
            .sites
            .iter()
            .filter(|(_, s)| s.seeds_fired == 0)
            .map(|(site, _)| site)
            .chain(unreached_known)
            .map(|site| Goal::Site(site.clone()));
        let kind = |k: &KindCoverage| {
            FaultKind::parse(&k.kind)
                .map_or_else(|| FaultName::Own(k.kind.clone()), FaultName::Generic)
        };
        let fired = self
            .kinds
            .iter()
            .filter(|k| k.total.fired == 0)
            .map(|k| Goal::Fired(kind(k)));
        let effective = self
            .kinds
            .iter()
            .filter(|k| k.total.fired > 0 && k.total.effective == 0)
            .map(|k| Goal::Effective(kind(k)));
        situations
            .chain(sites)
            .chain(fired)
            .chain(effective)
            .collect()
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

/// The coverage table's last line: in how many of `seeds` seeds some
/// fault was a near miss (`near`), and the share.
pub fn near_miss_line(near: u64, seeds: u64) -> String {
    let pct = if seeds == 0 {
        0.0
    } else {
        100.0 * near as f64 / seeds as f64
    };
    format!(
        "near miss (a record down to its last copies where a fault struck) in {near} of {seeds} seeds ({pct:.0}%)"
    )
}

/// Situation `name`, never reached.
fn none(name: &str) -> SituationCoverage {
    SituationCoverage {
        name: name.to_string(),
        count: 0,
        seeds: 0,
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
        let list = |goals: Vec<String>| match goals.is_empty() {
            true => "none".to_string(),
            false => goals.join(", "),
        };
        let unreached = self.unreached();
        let effective = unreached.iter().filter_map(|g| match g {
            Goal::Effective(k) => Some(k.to_string()),
            _ => None,
        });
        writeln!(f, "never effective: {}", list(effective.collect()))?;
        let happened: Vec<String> = self
            .situations
            .iter()
            .map(|s| format!("{} {} ({})", s.name, s.count, s.seeds))
            .collect();
        writeln!(
            f,
            "situations (times, and in how many seeds): {}",
            happened.join(", ")
        )?;
        if !self.sites.is_empty() {
            writeln!(
                f,
                "buggify sites (seeds reached, active, fired; times fired):"
            )?;
            for (site, s) in &self.sites {
                writeln!(
                    f,
                    "  {site:<28} {:>6} {:>6} {:>6} {:>8}",
                    s.seeds_reached, s.seeds_active, s.seeds_fired, s.fired
                )?;
            }
        }
        let missed = unreached.iter().filter_map(|g| match g {
            Goal::Situation(_) | Goal::Own(_) | Goal::Site(_) => Some(g.to_string()),
            Goal::Fired(_) | Goal::Effective(_) => None,
        });
        writeln!(f, "never reached: {}", list(missed.collect()))?;
        write!(f, "{}", near_miss_line(self.seeds_near_miss, self.seeds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(faults: &[(&str, u64, u64, u64)]) -> SeedOutcome {
        crate::testing::outcome_with_faults(0, faults)
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

    #[test]
    fn counts_situations_and_sites_and_lists_what_no_seed_reached() {
        fn none(_: &crate::world::Output) -> u64 {
            0
        }
        let own = [OwnSituation {
            name: "long-burst",
            levers: &[],
            count: none,
        }];
        let mut c = Coverage::new(&[]).with_situations(&own);
        let site = |fired| sim::outcome::SiteCount {
            active: fired > 0,
            reached: 3,
            fired,
        };
        let mut a = outcome(&[("power-loss", 2, 0, 0)]);
        a.situations.insert("three-concurrent-versions".into(), 2);
        a.buggify.insert("retry-early".into(), site(1));
        a.buggify.insert("split-reply".into(), site(0));
        let mut b = outcome(&[("crash", 1, 1, 0)]);
        b.situations.insert("three-concurrent-versions".into(), 1);
        c.add(&a);
        c.add(&b);
        let three = c.situation("three-concurrent-versions").unwrap();
        assert_eq!((three.count, three.seeds), (3, 2));
        assert_eq!(c.sites.len(), 2);
        let unreached = c.unreached();
        let has = |g: Goal| unreached.contains(&g);
        assert!(has(Goal::Situation(Situation::EditRaceStruck)));
        assert!(!has(Goal::Situation(Situation::ThreeConcurrentVersions)));
        assert!(has(Goal::Own("long-burst".into())));
        assert!(has(Goal::Site("split-reply".into())));
        assert!(!has(Goal::Site("retry-early".into())));
        let power = FaultName::Generic(FaultKind::PowerLoss);
        let crash = FaultName::Generic(FaultKind::Crash);
        assert!(has(Goal::Effective(power.clone())) && !has(Goal::Fired(power)));
        assert!(!has(Goal::Effective(crash.clone())) && !has(Goal::Fired(crash)));
        assert!(has(Goal::Fired(FaultName::Generic(FaultKind::BitRot))));
        let text = c.to_string();
        assert!(text.contains("never effective: power-loss\n"), "{text}");
        assert!(
            text.contains("never reached: edit-race-struck, long-burst, buggify split-reply"),
            "{text}"
        );
        assert!(text.contains("three-concurrent-versions 3 (2)"), "{text}");
    }

    #[test]
    fn a_rigs_own_table_lists_its_sites_no_buggified_seed_reached() {
        let table = || {
            Coverage::of_table(
                [("pull", "node".to_string())],
                ["race"],
                ["site-a", "site-b"],
            )
        };
        let plain = table().with_outcomes(&[outcome(&[("pull", 1, 0, 0)])]);
        assert_eq!(plain.kind("pull").unwrap().class, "node");
        let sites = |c: &Coverage| -> Vec<Goal> {
            let unreached = c.unreached();
            unreached
                .into_iter()
                .filter(|g| matches!(g, Goal::Site(_)))
                .collect()
        };
        assert!(sites(&plain).is_empty(), "no seed ran with buggify");
        let mut buggified = outcome(&[]);
        let reached = sim::outcome::SiteCount {
            active: true,
            reached: 1,
            fired: 0,
        };
        buggified.buggify.insert("site-a".into(), reached);
        let c = table().with_outcomes(&[buggified]);
        assert_eq!(
            sites(&c),
            [Goal::Site("site-a".into()), Goal::Site("site-b".into())]
        );
        assert!(c
            .to_string()
            .contains("never reached: race, buggify site-a, buggify site-b"));
    }
}
