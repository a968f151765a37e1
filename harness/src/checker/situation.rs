//! The situations that matter in any system's runs: moments a design's
//! rare code paths depend on, which a sweep should reach, which coverage
//! counts and which `run --swarm --guided` steers toward
//! ([`crate::plan::guided`]).
//!
//! They are counted after a run, from its [`Output`] alone (the ledger,
//! the trace and what fired), never by watching the world: counting them
//! changes nothing in the run.
//!
//! - [`Situation::ThreeConcurrentVersions`]: a record has three versions
//!   none of which descends from another (three leaves of its version tree
//!   in the ledger).
//! - [`Situation::EditRaceStruck`]: an edit race (`edit-race`) struck: the
//!   user edited a record while its node's push was in flight.
//!
//! A system may name situations of its own ([`OwnSituation`], through
//! [`System::situations`]), each counted by its own function of the output.

use crate::plan::faults::{FaultKind, FaultName};
use crate::system::{OwnFault, System};
use crate::world::Output;
use sim::ledger::Ledger;
use sim::outcome::FaultCount;
use sim::record::VersionId;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

sim::named! {
    /// A situation any system's run may reach.
    pub enum Situation {
        /// Three versions of one record, none descending from another.
        ThreeConcurrentVersions = "three-concurrent-versions",
        /// An edit race struck a push.
        EditRaceStruck = "edit-race-struck",
    }
}

impl Situation {
    /// The scenario keys whose larger values make it likelier (as
    /// `--set` keys, the way swarm draws them).
    pub fn levers(self) -> &'static [&'static str] {
        match self {
            Situation::ThreeConcurrentVersions => &[
                "faults.partition_per_link_day",
                "faults.power_loss_per_node_day",
                "faults.edit_race_per_node_day",
            ],
            Situation::EditRaceStruck => &["faults.edit_race_per_node_day"],
        }
    }

    /// How often it happened in the run that produced `output`, whose
    /// faults did what `faults` counts (by kind's name).
    pub fn count(self, output: &Output, faults: &BTreeMap<String, FaultCount>) -> u64 {
        match self {
            Situation::ThreeConcurrentVersions => three_concurrent(&output.ledger),
            Situation::EditRaceStruck => faults
                .get(&FaultName::Generic(FaultKind::EditRace).to_string())
                .map_or(0, |c| c.fired),
        }
    }
}

/// One situation of a system's own: a row of its table
/// ([`System::situations`]).
#[derive(Clone, Copy, Debug)]
pub struct OwnSituation {
    /// Its name in outcomes and coverage (`restore-during-sync`); distinct
    /// from every [`Situation`]'s and from the table's other rows.
    pub name: &'static str,
    /// The scenario keys (`--set` keys swarm draws: `faults.…`,
    /// `system.…`) whose larger values make it likelier; guided swarm
    /// leans them up while no seed reached it.
    pub levers: &'static [&'static str],
    /// How often it happened in one run, from the run's output alone.
    pub count: fn(&Output) -> u64,
}

/// Something a sweep should reach and may not have: what coverage lists
/// as never reached and guided swarm steers toward.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Goal {
    /// A generic situation.
    Situation(Situation),
    /// One of the system's own situations, by name.
    Own(String),
    /// A buggify site some seed reached, taking its rare path.
    Site(String),
    /// A fault of the kind firing.
    Fired(FaultName),
    /// A fault of the kind being effective (ending or spoiling a copy of
    /// acknowledged data).
    Effective(FaultName),
}

impl Goal {
    /// The scenario keys (`--set` keys swarm draws) whose larger values
    /// make it likelier: a situation's levers (own ones from `own`), a
    /// fault kind's rate (own kinds' from `faults`); none for a site
    /// (buggify itself is its lever).
    pub fn levers(&self, own: &[OwnSituation], faults: &[OwnFault]) -> Vec<String> {
        let kind = |k: &FaultName| match k {
            FaultName::Generic(k) => Some(format!("faults.{}", k.row().key)),
            FaultName::Own(n) => faults
                .iter()
                .find(|r| r.name == n)
                .map(|r| format!("faults.system.{}", r.key)),
        };
        match self {
            Goal::Situation(s) => s.levers().iter().map(|k| k.to_string()).collect(),
            Goal::Own(name) => own
                .iter()
                .filter(|s| s.name == name)
                .flat_map(|s| s.levers.iter().map(|k| k.to_string()))
                .collect(),
            Goal::Site(_) => Vec::new(),
            Goal::Fired(k) | Goal::Effective(k) => kind(k).into_iter().collect(),
        }
    }
}

impl fmt::Display for Goal {
    /// A situation's name; `buggify SITE`; `KIND fired`; `KIND effective`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Goal::Situation(s) => write!(f, "{s}"),
            Goal::Own(name) => f.write_str(name),
            Goal::Site(site) => write!(f, "buggify {site}"),
            Goal::Fired(k) => write!(f, "{k} fired"),
            Goal::Effective(k) => write!(f, "{k} effective"),
        }
    }
}

/// Checks a system's own situations: names not empty, distinct, and none
/// a generic situation's; an error names the first that is not.
pub fn check_own(own: &[OwnSituation]) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for s in own {
        let clash = s.name.is_empty() || Situation::parse(s.name).is_some();
        if clash || !seen.insert(s.name) {
            return Err(format!(
                "the system's situation `{}` is empty, named twice or a generic situation's name",
                s.name
            ));
        }
    }
    Ok(())
}

/// The situations `output`'s run reached, generic then the system's own,
/// by name, with how often (those that never happened are left out).
/// `faults` counts what its faults did, by kind's name.
pub fn reached<S: System>(
    output: &Output,
    faults: &BTreeMap<String, FaultCount>,
) -> BTreeMap<String, u64> {
    let generic = Situation::ALL
        .iter()
        .map(|s| (s.name(), s.count(output, faults)));
    let own = S::situations().iter().map(|s| (s.name, (s.count)(output)));
    generic
        .chain(own)
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| (name.to_string(), n))
        .collect()
}

/// The records of `ledger` with three versions none of which descends from
/// another: in a version forest, the largest such set is its leaves.
pub fn three_concurrent(ledger: &Ledger) -> u64 {
    ledger
        .records()
        .into_iter()
        .filter(|&r| {
            let versions: Vec<(VersionId, &[VersionId])> = ledger
                .versions(r)
                .map(|(v, e)| (v, e.parents.as_slice()))
                .collect();
            let parents: BTreeSet<VersionId> = versions
                .iter()
                .flat_map(|(_, p)| p.iter().copied())
                .collect();
            versions
                .iter()
                .filter(|(v, _)| !parents.contains(v))
                .count()
                >= 3
        })
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_levers_are_rates_swarm_draws() {
        let rates: Vec<String> = crate::plan::faults::FAULT_TABLE
            .iter()
            .map(|r| format!("faults.{}", r.key))
            .collect();
        for &s in Situation::ALL {
            assert_eq!(Situation::parse(&s.to_string()), Some(s));
            let drawn = |l: &&str| rates.iter().any(|r| r == l);
            assert!(s.levers().iter().all(drawn), "{s}");
        }
        assert!(Situation::parse("edit-during-push").is_none());
    }

    #[test]
    fn own_situations_may_not_clash() {
        fn none(_: &Output) -> u64 {
            0
        }
        let row = |name| OwnSituation {
            name,
            levers: &[],
            count: none,
        };
        assert!(check_own(&[row("a"), row("b")]).is_ok());
        assert!(check_own(&[row("a"), row("a")])
            .unwrap_err()
            .contains("`a`"));
        assert!(check_own(&[row("edit-race-struck")]).is_err());
        assert!(check_own(&[row("")]).is_err());
    }

    #[test]
    fn three_leaves_of_a_version_tree_are_three_concurrent_versions() {
        use sim::ledger::{LedgerHandle, Write};
        use sim::record::{RecordId, RecordKind};
        use sim::time::SimTime;
        let r = RecordId {
            owner: 0,
            kind: RecordKind::new(0, "note"),
            n: 0,
        };
        let v = |writer, seq| VersionId { writer, seq };
        let l = LedgerHandle::new();
        let t = SimTime(0);
        l.written(r, v(0, 1), Write::edit(None, 0), t);
        l.written(r, v(0, 2), Write::edit(Some(v(0, 1)), 0), t);
        l.written(r, v(1, 1), Write::edit(Some(v(0, 1)), 0), t);
        assert_eq!(three_concurrent(&l.snapshot()), 0, "two branches");
        l.written(r, v(0, 3), Write::edit(Some(v(0, 2)), 0), t);
        assert_eq!(three_concurrent(&l.snapshot()), 0, "still two leaves");
        l.written(r, v(2, 1), Write::edit(Some(v(0, 1)), 0), t);
        assert_eq!(three_concurrent(&l.snapshot()), 1, "three leaves");
    }
}
