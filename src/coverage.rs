//! Fault-class coverage of a sweep: for every class of the fault table, how
//! often it fired, how often it was effective, and how often it struck while
//! a record was down to its last copies on what it hit (a near miss), with
//! the seeds each happened in; and the classes that never fired.
//!
//! It also counts the situations that matter ([`crate::situations`]) and
//! lists those no seed reached, with the buggify sites that never fired.
//!
//! It reads only the seeds' outcomes, so it is the same for one run and for
//! the merged shards of one.

use crate::situations::{Situation, BUGGIFY_SITES};
use models::fault::FAULT_TABLE;
use sim::outcome::SeedOutcome;
use std::fmt;

/// One fault class over a sweep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClassCoverage {
    /// The class (a fault kind's name).
    pub class: String,
    /// Faults of the class that fired.
    pub fired: u64,
    /// Faults of the class that were effective.
    pub effective: u64,
    /// Faults of the class that struck a record's last copies.
    pub near_miss: u64,
    /// Seeds in which one fired.
    pub seeds_fired: u64,
    /// Seeds in which one was effective.
    pub seeds_effective: u64,
    /// Seeds in which one was a near miss.
    pub seeds_near_miss: u64,
}

/// One buggify site over a sweep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteCoverage {
    /// The site's name (`server.delay-reply`, ...).
    pub site: String,
    /// Seeds in which the code reached the site.
    pub seeds_reached: u64,
    /// Seeds in which the site was active.
    pub seeds_active: u64,
    /// Seeds in which it fired at least once.
    pub seeds_fired: u64,
    /// Times it fired, over every seed.
    pub fired: u64,
}

/// One situation over a sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SituationCoverage {
    /// The situation.
    pub situation: Situation,
    /// Times it happened, over every seed.
    pub count: u64,
    /// Seeds in which it happened.
    pub seeds: u64,
}

/// Every fault class over a sweep, in fault-table order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Seeds in the sweep.
    pub seeds: u64,
    /// Seeds in which any fault was a near miss.
    pub seeds_near_miss: u64,
    /// Per class: every class of the fault table, then any other kind the
    /// outcomes name.
    pub classes: Vec<ClassCoverage>,
    /// Per buggify site any seed reached, in name order (empty when no
    /// seed ran with buggify).
    pub sites: Vec<SiteCoverage>,
    /// Per situation, in [`Situation::ALL`] order.
    pub situations: Vec<SituationCoverage>,
}

impl Coverage {
    /// The coverage of `outcomes`.
    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a SeedOutcome>) -> Self {
        let mut c = Coverage::new();
        for o in outcomes {
            c.add(o);
        }
        c
    }

    /// The coverage of no seed: every class of the fault table, at zero.
    pub fn new() -> Self {
        Coverage {
            seeds: 0,
            seeds_near_miss: 0,
            classes: FAULT_TABLE
                .iter()
                .map(|row| ClassCoverage {
                    class: row.name.to_string(),
                    ..ClassCoverage::default()
                })
                .collect(),
            sites: Vec::new(),
            situations: Situation::ALL
                .iter()
                .map(|&situation| SituationCoverage {
                    situation,
                    count: 0,
                    seeds: 0,
                })
                .collect(),
        }
    }

    /// Adds one seed's outcome (a running coverage: a sweep of any length
    /// keeps only this).
    pub fn add(&mut self, o: &SeedOutcome) {
        self.seeds += 1;
        for (kind, c) in &o.faults {
            let i = match self.classes.iter().position(|x| &x.class == kind) {
                Some(i) => i,
                None => {
                    self.classes.push(ClassCoverage {
                        class: kind.clone(),
                        ..ClassCoverage::default()
                    });
                    self.classes.len() - 1
                }
            };
            let e = &mut self.classes[i];
            e.fired += c.fired;
            e.effective += c.effective;
            e.near_miss += c.near_miss;
            e.seeds_fired += u64::from(c.fired > 0);
            e.seeds_effective += u64::from(c.effective > 0);
            e.seeds_near_miss += u64::from(c.near_miss > 0);
        }
        self.seeds_near_miss += u64::from(o.faults.values().any(|c| c.near_miss > 0));
        for (site, c) in &o.buggify {
            let i = match self.sites.binary_search_by(|s| s.site.as_str().cmp(site)) {
                Ok(i) => i,
                Err(i) => {
                    let new = SiteCoverage {
                        site: site.clone(),
                        ..SiteCoverage::default()
                    };
                    self.sites.insert(i, new);
                    i
                }
            };
            let e = &mut self.sites[i];
            e.seeds_reached += 1;
            e.seeds_active += u64::from(c.active);
            e.seeds_fired += u64::from(c.fired > 0);
            e.fired += c.fired;
        }
        for e in &mut self.situations {
            let n = o.situations.get(e.situation.name()).copied().unwrap_or(0);
            e.count += n;
            e.seeds += u64::from(n > 0);
        }
    }

    /// The situation `s` over the sweep.
    pub fn situation(&self, s: Situation) -> &SituationCoverage {
        let i = Situation::ALL
            .iter()
            .position(|x| *x == s)
            .expect("every situation");
        &self.situations[i]
    }

    /// What no seed reached: the situations that never happened, then,
    /// if any seed ran with buggify, the buggify sites ([`BUGGIFY_SITES`])
    /// that never fired, in that order.
    pub fn never_reached(&self) -> Vec<String> {
        let buggified = !self.sites.is_empty();
        let situations = self
            .situations
            .iter()
            .filter(|s| s.seeds == 0)
            .map(|s| s.situation.name().to_string());
        let sites = BUGGIFY_SITES
            .iter()
            .filter(|_| buggified)
            .filter(|site| self.site(site).is_none_or(|s| s.seeds_fired == 0))
            .map(|site| format!("buggify {site}"));
        situations.chain(sites).collect()
    }

    /// The buggify site `name`, if some seed reached it.
    pub fn site(&self, name: &str) -> Option<&SiteCoverage> {
        self.sites.iter().find(|s| s.site == name)
    }

    /// The class `name`, if the table or the outcomes have it.
    pub fn class(&self, name: &str) -> Option<&ClassCoverage> {
        self.classes.iter().find(|c| c.class == name)
    }

    /// The classes that never fired, in table order.
    pub fn never_fired(&self) -> Vec<&str> {
        self.classes
            .iter()
            .filter(|c| c.fired == 0)
            .map(|c| c.class.as_str())
            .collect()
    }
}

impl fmt::Display for Coverage {
    /// A table, one line per class that fired, then the classes that never
    /// fired and the share of seeds with a near miss.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "coverage over {} seeds (faults, and in how many seeds):",
            self.seeds
        )?;
        writeln!(
            f,
            "  {:<22} {:>14} {:>14} {:>14}",
            "class", "fired", "effective", "near miss"
        )?;
        for c in self.classes.iter().filter(|c| c.fired > 0) {
            let cell = |n: u64, s: u64| format!("{n} ({s})");
            writeln!(
                f,
                "  {:<22} {:>14} {:>14} {:>14}",
                c.class,
                cell(c.fired, c.seeds_fired),
                cell(c.effective, c.seeds_effective),
                cell(c.near_miss, c.seeds_near_miss)
            )?;
        }
        let never = self.never_fired();
        if never.is_empty() {
            writeln!(f, "never fired: none")?;
        } else {
            writeln!(f, "never fired: {}", never.join(", "))?;
        }
        if !self.sites.is_empty() {
            writeln!(
                f,
                "buggify sites (seeds that reached each; active in; fired, and in how many seeds):"
            )?;
            writeln!(
                f,
                "  {:<28} {:>10} {:>10} {:>16}",
                "site", "reached", "active", "fired"
            )?;
            for s in &self.sites {
                writeln!(
                    f,
                    "  {:<28} {:>10} {:>10} {:>16}",
                    s.site,
                    s.seeds_reached,
                    s.seeds_active,
                    format!("{} ({})", s.fired, s.seeds_fired)
                )?;
            }
        }
        writeln!(
            f,
            "situations (times, and in how many seeds): {}",
            self.situations
                .iter()
                .map(|s| format!("{} {} ({})", s.situation, s.count, s.seeds))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        let never = self.never_reached();
        if never.is_empty() {
            writeln!(f, "never reached: none")?;
        } else {
            writeln!(f, "never reached: {}", never.join(", "))?;
        }
        let near = harness::coverage::near_miss_line(self.seeds_near_miss, self.seeds);
        write!(f, "{near}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness::testing::outcome_with_faults as outcome;

    #[test]
    fn counts_faults_and_seeds_per_class_and_lists_silent_classes() {
        let c = Coverage::of(&[
            outcome(0, &[("battery-pull", 3, 1, 1), ("bit-rot", 0, 0, 0)]),
            outcome(1, &[("battery-pull", 2, 0, 0)]),
        ]);
        let pull = c.class("battery-pull").unwrap();
        assert_eq!(
            (pull.fired, pull.effective, pull.near_miss),
            (5, 1, 1),
            "faults summed"
        );
        assert_eq!(
            (pull.seeds_fired, pull.seeds_effective, pull.seeds_near_miss),
            (2, 1, 1)
        );
        assert_eq!(c.seeds_near_miss, 1);
        assert!(c.never_fired().contains(&"bit-rot"));
        assert!(!c.never_fired().contains(&"battery-pull"));
        let text = c.to_string();
        assert!(text.contains("battery-pull"), "{text}");
        assert!(text.contains("in 1 of 2 seeds (50%)"), "{text}");
    }

    #[test]
    fn lists_each_buggify_site_with_the_seeds_it_was_active_and_fired_in() {
        use sim::outcome::SiteCount;
        let site = |active, reached, fired| SiteCount {
            active,
            reached,
            fired,
        };
        let mut a = outcome(0, &[]);
        a.buggify
            .insert("server.delay-reply".into(), site(true, 10, 3));
        a.buggify
            .insert("handset.retry-early".into(), site(false, 4, 0));
        let mut b = outcome(1, &[]);
        b.buggify
            .insert("server.delay-reply".into(), site(true, 5, 0));
        let c = Coverage::of(&[a, b, outcome(2, &[])]);
        let d = c.site("server.delay-reply").unwrap();
        assert_eq!(
            (d.seeds_reached, d.seeds_active, d.seeds_fired, d.fired),
            (2, 2, 1, 3)
        );
        let r = c.site("handset.retry-early").unwrap();
        assert_eq!((r.seeds_reached, r.seeds_active, r.fired), (1, 0, 0));
        assert_eq!(c.sites[0].site, "handset.retry-early", "name order");
        let text = c.to_string();
        assert!(text.contains("buggify sites"), "{text}");
        assert!(text.contains("server.delay-reply"), "{text}");
        assert!(!Coverage::of(&[outcome(0, &[])])
            .to_string()
            .contains("buggify"));
    }

    #[test]
    fn counts_situations_and_lists_what_no_seed_reached() {
        let mut a = outcome(0, &[]);
        a.situations.insert("edit-during-push".into(), 3);
        let mut b = outcome(1, &[]);
        b.situations.insert("edit-during-push".into(), 1);
        b.buggify.insert(
            crate::situations::BUGGIFY_SITES[0].into(),
            sim::outcome::SiteCount {
                active: true,
                reached: 2,
                fired: 1,
            },
        );
        let c = Coverage::of(&[a, b]);
        let e = c.situation(Situation::EditDuringPush);
        assert_eq!((e.count, e.seeds), (3 + 1, 2));
        let never = c.never_reached();
        assert!(
            !never.contains(&"edit-during-push".to_string()),
            "{never:?}"
        );
        assert!(never.contains(&"equal-stamps".to_string()), "{never:?}");
        let site = format!("buggify {}", crate::situations::BUGGIFY_SITES[0]);
        assert!(!never.contains(&site), "a site that fired was reached");
        let text = c.to_string();
        assert!(text.contains("edit-during-push 4 (2)"), "{text}");
        assert!(
            text.contains("never reached: three-concurrent-versions"),
            "{text}"
        );
    }
}
