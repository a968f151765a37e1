//! The work budget: before anything runs, an estimate of the work one seed
//! of a case will do, and the most work a seed may do unless the user raises
//! it with `--max-work`.
//!
//! [`Work::of`] is a pure function of a loaded scenario (and of the saved
//! plan or workload a case runs instead of drawing one, [`Work::of_case`]).
//! It counts *work units*: the events a seed's run processes, each weighted
//! by what it costs. One unit is about one message delivered, about 3 µs of
//! the release build on the 2-core box the README's benchmarks ran on; the
//! weights below were fitted to timed runs of the catalogue and of runs with
//! one knob pushed far (sync every minute, 200 edits a day, 20 battery pulls
//! a day, a backup every minute), and are within a factor of about two of
//! them, erring high. The estimate is an upper bound where the run's length
//! depends on the seed: the heal phase is counted in full, as if
//! convergence came at `run.heal_bound` or never. Handsets on SQLite
//! (`handset_engine = "sqlite"`) weigh their syncs, edits and scrubs
//! `SQLITE_STORE` times as much, fitted to `benches/storage.rs`.
//! Burstiness (`workload.burstiness`) keeps the mean edit rate, so it
//! counts nothing more; nor does the exchange timeout, one timer per
//! exchange whatever its length (a longer one a swarm draws lengthens the
//! heal bound, which is counted).
//!
//! [`Budget::DEFAULT`] fits every catalogue scenario, every swarm draw from
//! it (rates scaled up to 4 times) and the 1,000-handset benchmark with
//! room to spare; [`Budget::CEILING`] is the most `--max-work` accepts.
//! Every value a scenario accepts gives a finite estimate; one that would
//! not fit in a `u64` saturates, and so is refused.
#![deny(missing_docs)]

use std::fmt;
use std::time::Duration;

use models::engine::sqlite::HandsetEngine;
use models::workload::Workload;

use crate::runner::Case;
use crate::scenario::{LinkClass, Scenario, StorageTarget};

const DAY_MS: f64 = 86_400_000.0;
/// A handset's (or portal's) periodic sync exchange.
const SYNC: f64 = 8.0;
/// An edit: stored, synced soon after, committed, copied in the lineage...
const EDIT: f64 = 8.0;
/// ... and replayed again per earlier edit of its writer: a writer's log
/// grows with its edits, and every reboot and scrub reads it (measured: 400
/// edits a day cost 3.3 times 200 a day).
const EDIT_REPLAY: f64 = 1.0 / 16.0;
/// A planned fault: a reboot or a rewrite of stores, replayed from disk.
const FAULT: f64 = 100.0;
/// One handset (or portal) compared with the server in a convergence check.
const CHECK: f64 = 1.0;
/// One user's rows copied into one backup image.
const BACKUP_ROWS: f64 = 20.0;
/// One user's rows replayed again per earlier image: the backup's log grows
/// with every image, and storing one replays it (measured: a backup every
/// minute for a day, 2,880 images, costs 120 times a backup every ten).
const BACKUP_REPLAY: f64 = 1.0 / 32.0;
/// One store scrubbed (hourly, by designs that scrub).
const SCRUB: f64 = 25.0;
/// One handset edit a portal edit looks through for records to edit.
const PORTAL_SCAN: f64 = 1.0 / 3000.0;
/// The weight of a handset's (or portal's) store on SQLite against the log
/// store, on what the store does: its syncs and edits (each a transaction
/// committed, with its syncs of the simulated flash) and its scrubs (read
/// back through a fresh connection). Derived from `benches/storage.rs`'s
/// `handsets` group, a whole seed of sidekick-2009 under `hardened` on each
/// store: SQLite took x3.3 the log store's time (2.91 s against 891 ms;
/// x3.4 measured again, 5.45 s against 1.62 s on a busier machine),
/// and the handsets' syncs, edits and scrubs are 208,000 of that seed's
/// 294,325 units on the log store; so the extra 2.3 times 294,325 units
/// fall on those 208,000, which each cost 1 + 2.3 * 294,325 / 208,000 =
/// 4.25 times as much.
const SQLITE_STORE: f64 = 4.25;
/// The interval of scrubs (`models::design::SCRUB_INTERVAL`).
const SCRUB_INTERVAL: Duration = models::design::SCRUB_INTERVAL;

/// The estimated work of one seed, in work units, by what causes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Periodic sync exchanges of handsets and portals, over the run and
    /// the whole heal bound.
    pub syncs: u64,
    /// Edits of handsets and portals (and the portals' search for records
    /// to edit).
    pub edits: u64,
    /// Planned faults (the expected count, or a saved plan's length), and
    /// the planner's per-handset draws of upgrade aftermaths.
    pub faults: u64,
    /// Handsets and portals compared with the server by the convergence
    /// checks of the whole heal bound.
    pub checks: u64,
    /// Rows copied into backup images, and replayed as the backup's log grows.
    pub backups: u64,
    /// Stores scrubbed, every hour of the run and the heal bound.
    pub scrubs: u64,
}

/// A float count as whole units: rounded up, saturating at `u64::MAX`; a
/// count that is not a number saturates too, so that it is refused.
fn units(x: f64) -> u64 {
    if x.is_nan() {
        u64::MAX
    } else {
        // `as` saturates: +inf and anything past u64::MAX become u64::MAX.
        x.max(0.0).ceil() as u64
    }
}

fn ms(d: Duration) -> f64 {
    d.as_millis() as f64
}

impl Work {
    /// The work of one seed of `scenario` drawing its own plan and workload.
    pub fn of(scenario: &Scenario) -> Work {
        Work::with(scenario, None, None)
    }

    /// The work of one seed of `case`: a saved plan counts its own faults
    /// and a saved workload its own edits, instead of what the scenario
    /// would draw.
    pub fn of_case(case: &Case) -> Work {
        let plan = case.plan.as_ref().map(|(_, p)| p.faults.len());
        Work::with(&case.scenario, plan, case.workload.as_ref())
    }

    /// The most work any swarm draw from `scenario` can do: a swarm scales
    /// each fault rate and probability by at most 4, draws at most the
    /// scenario's handsets, and draws the workload and timing within
    /// bounds whose costliest corner is `crate::swarm::costliest`.
    pub fn swarm_bound(scenario: &Scenario) -> Work {
        let w = Work::of(&crate::swarm::costliest(scenario));
        Work {
            faults: w.faults.saturating_mul(4),
            ..w
        }
    }

    fn with(scenario: &Scenario, plan: Option<usize>, workload: Option<&Workload>) -> Work {
        let s = scenario;
        let handsets = f64::from(s.topology.handsets);
        let portals = if s.workload.portal_edits_per_user_day > 0.0 {
            handsets
        } else {
            0.0
        };
        let writers = handsets + portals;
        let store = match s.handset_engine {
            HandsetEngine::Log => 1.0,
            HandsetEngine::Sqlite => SQLITE_STORE,
        };
        let run_ms = ms(s.run.duration);
        let days = run_ms / DAY_MS;
        let whole_ms = run_ms + ms(s.run.heal_bound);

        let syncs = writers * whole_ms / ms(s.workload.sync_interval) * SYNC * store;

        // `n` edits of one writer.
        let edits_of = |n: f64| n * (EDIT + n * EDIT_REPLAY);
        let edits = match workload {
            Some(w) => {
                let n = w.handsets.iter().chain(&w.portals).map(|h| h.edits.len());
                n.map(|n| edits_of(n as f64)).sum()
            }
            None => {
                let per_user = s.workload.edits_per_handset_day * days;
                let portal_per_user = s.workload.portal_edits_per_user_day * days;
                let scans = handsets * portal_per_user * per_user * PORTAL_SCAN;
                handsets * (edits_of(per_user) + edits_of(portal_per_user)) + scans
            }
        };

        let edits = edits * store;

        let faults = match plan {
            Some(n) => n as f64 * FAULT,
            None => planned_faults(s, handsets, days),
        };

        let checks = (ms(s.run.heal_bound) / ms(s.run.converge_check)).floor() * writers * CHECK;

        let images = (whole_ms / ms(s.system.backup_interval)).ceil();
        let backups = images * handsets * BACKUP_ROWS + images * images * handsets * BACKUP_REPLAY;

        let stores = writers * store + 2.0;
        let scrubs = (whole_ms / ms(SCRUB_INTERVAL)).ceil() * stores * SCRUB;

        Work {
            syncs: units(syncs),
            edits: units(edits),
            faults: units(faults),
            checks: units(checks),
            backups: units(backups),
            scrubs: units(scrubs),
        }
    }

    /// The whole estimate: the sum of its parts, saturating.
    pub fn total(&self) -> u64 {
        [
            self.syncs,
            self.edits,
            self.faults,
            self.checks,
            self.backups,
            self.scrubs,
        ]
        .into_iter()
        .fold(0u64, u64::saturating_add)
    }
}

/// The weighted expected count of the faults the planner draws for
/// `scenario` (see `crate::planner`), with the draws of upgrade aftermaths.
fn planned_faults(s: &Scenario, handsets: f64, days: f64) -> f64 {
    let f = &s.faults;
    let per_handset = f.battery_pull_per_handset_day
        + f.mid_sync_pull_per_handset_day
        + f.edit_race_per_handset_day
        + f.reset_per_handset_day
        + f.clock_reset_per_handset_day
        + f.clock_skew_per_handset_day
        + f.network.offline_per_handset_day;
    let nodes = f.server_crash_per_day + 2.0 * f.db_crash_per_day;
    let incidents: f64 = f.incidents.rates().iter().map(|(_, _, r)| r).sum();
    let volumes: f64 = f
        .storage
        .volumes()
        .into_iter()
        .map(|t| match t {
            StorageTarget::Handsets => handsets,
            StorageTarget::DbPrimary | StorageTarget::DbBackup => 1.0,
        })
        .sum();
    let db_volumes = volumes
        - if f.storage.hits(StorageTarget::Handsets) {
            handsets
        } else {
            0.0
        };
    let storage: f64 = f.storage.rates().iter().map(|(_, r)| r).sum();
    let links: f64 = f
        .network
        .links()
        .into_iter()
        .map(|t| match t {
            LinkClass::HandsetServer => handsets,
            LinkClass::ServerDatabase => 1.0,
        })
        .sum();
    let network: f64 = f.network.rates().iter().map(|(_, r)| r).sum();
    let drawn = (handsets * per_handset + nodes + incidents + volumes * storage + links * network)
        * days
        + f.upgrades.len() as f64;
    // Each upgrade (and each incident the aftermath follows) draws, per
    // handset, a reset and a battery pull with their probabilities.
    let followed = if f.incidents.aftermath.is_empty() {
        0.0
    } else {
        (incidents + db_volumes * f.storage.device_loss_per_day) * days
    };
    let outages = f.upgrades.len() as f64 + followed;
    let a = &f.aftermath;
    let reactions = outages * handsets * (a.reset_probability + a.battery_pull_probability);
    (drawn + reactions) * FAULT + outages * handsets * 2.0
}

/// `n` with a comma between every three digits: `25,000,000`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Work {
    /// `about N work units (sync rounds A, edits B, ...)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "about {} work units (syncs {}, edits {}, faults {}, convergence checks {}, backups {}, scrubs {})",
            grouped(self.total()),
            grouped(self.syncs),
            grouped(self.edits),
            grouped(self.faults),
            grouped(self.checks),
            grouped(self.backups),
            grouped(self.scrubs)
        )
    }
}

/// The most work units one seed may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget(u64);

impl Budget {
    /// The budget when `--max-work` is not given: about a minute
    /// of one seed; 7 times the largest estimate of the catalogue, its swarm
    /// draws and the 1,000-handset benchmark (see `tests/budget.rs`).
    pub const DEFAULT: Budget = Budget(25_000_000);

    /// The most `--max-work` accepts: 40 times the default, about an hour
    /// of one seed and tens of GB of trace; a larger run is refused.
    pub const CEILING: u64 = 1_000_000_000;

    /// A budget of `units`, from 1 to [`Budget::CEILING`].
    pub fn new(units: u64) -> Result<Budget, String> {
        if (1..=Budget::CEILING).contains(&units) {
            Ok(Budget(units))
        } else {
            Err(format!(
                "--max-work {units}: must be from 1 to {} work units",
                grouped(Budget::CEILING)
            ))
        }
    }

    /// `--max-work` as given, or the default.
    pub fn from_flag(units: Option<u64>) -> Result<Budget, String> {
        units.map_or(Ok(Budget::DEFAULT), Budget::new)
    }

    /// The budget in work units.
    pub fn units(self) -> u64 {
        self.0
    }

    /// `work` if it fits in this budget, else what it would take.
    pub fn check(self, work: Work) -> Result<Work, OverBudget> {
        if work.total() <= self.0 {
            Ok(work)
        } else {
            Err(OverBudget { work, budget: self })
        }
    }

    /// Checks one seed of `case` ([`Work::of_case`]).
    pub fn check_case(self, case: &Case) -> Result<Work, OverBudget> {
        self.check(Work::of_case(case))
    }

    /// Checks the planning of one seed of `scenario` alone (its faults),
    /// for a command that draws a plan but runs nothing.
    pub fn check_planning(self, scenario: &Scenario) -> Result<Work, OverBudget> {
        let w = Work::of(scenario);
        self.check(Work {
            faults: w.faults,
            ..Work::default()
        })
    }
}

/// A seed whose estimated work exceeds the budget: nothing was run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverBudget {
    /// The estimate.
    pub work: Work,
    /// The budget it exceeds.
    pub budget: Budget,
}

impl fmt::Display for OverBudget {
    /// Says the estimate, the budget, and how to raise it (or that it
    /// cannot be raised that far).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.work.total();
        write!(
            f,
            "a seed of this run would do {}, over the budget of {} per seed (a unit is about 3 µs); ",
            self.work,
            grouped(self.budget.0)
        )?;
        if total <= Budget::CEILING {
            write!(f, "raise it with --max-work {total}")
        } else {
            write!(
                f,
                "that is more than the most --max-work allows ({}): shorten run.duration or \
                 run.heal_bound, lengthen the intervals, or lower the rates or topology.handsets",
                grouped(Budget::CEILING)
            )
        }
    }
}

impl std::error::Error for OverBudget {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_their_digits() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(25_000_000), "25,000,000");
    }

    #[test]
    fn units_saturate_and_refuse_what_is_not_a_number() {
        assert_eq!(units(1.2), 2);
        assert_eq!(units(-3.0), 0);
        assert_eq!(units(f64::INFINITY), u64::MAX);
        assert_eq!(units(1e300), u64::MAX);
        assert_eq!(units(f64::NAN), u64::MAX);
    }

    #[test]
    fn the_budget_is_bounded() {
        assert!(Budget::new(0).is_err());
        assert!(Budget::new(Budget::CEILING + 1).is_err());
        assert_eq!(
            Budget::new(Budget::CEILING).map(Budget::units),
            Ok(Budget::CEILING)
        );
        assert_eq!(Budget::from_flag(None), Ok(Budget::DEFAULT));
    }
}
