//! The checks a fault plan written by hand (a `--plan` file, the faults of
//! a regression file) must pass before anything runs, so that no fault in
//! it silently never fires.
//!
//! A drawn plan passes them by construction (`tests/triage_inputs.rs`
//! checks the planner against them): every fault's target is a node,
//! array or link of the scenario's topology that its kind applies to, it
//! fires before the end of the run, its id is unique, and its values stay
//! within what the system can act on.

use crate::scenario::Scenario;
use crate::topology;
use models::fault::Fault;
use sim::plan::PlannedFault;
use sim::time::SimTime;
use std::collections::BTreeMap;
use std::fmt;

/// The largest clock step a plan may ask for: ten years, in milliseconds
/// (a handset's clock then still reads within range for any run).
pub const MAX_SKEW_MS: i64 = 10 * 365 * 86_400_000;

/// The targets a fault kind applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Targets {
    /// The storage arrays (`array-a`, `array-b`).
    Arrays,
    /// Any node that can lose power: handsets, the sync server, the databases.
    Nodes,
    /// Handsets only.
    Handsets,
    /// Nodes with a volume: handsets and the databases.
    Volumes,
    /// Nodes whose links a network fault can impair: handsets (their link
    /// to the server) and the sync server (its links to the databases).
    Links,
    /// Exactly one node: the one the incident happens on.
    Only(&'static str),
}

impl Targets {
    /// The targets `kind` applies to, as the injector acts on them.
    pub fn of(kind: &Fault) -> Targets {
        match kind {
            Fault::BotchedUpgrade { .. } => Targets::Arrays,
            Fault::BatteryPull { .. } | Fault::NodeCrash { .. } | Fault::TornWrite { .. } => {
                Targets::Nodes
            }
            Fault::FactoryReset
            | Fault::MidSyncPull { .. }
            | Fault::EditRace { .. }
            | Fault::ClockReset { .. }
            | Fault::ClockSkew { .. }
            | Fault::Offline { .. } => Targets::Handsets,
            Fault::BitRot
            | Fault::LatentSectorError
            | Fault::LostWrite
            | Fault::MisdirectedWrite
            | Fault::SyncFailure
            | Fault::DiskFull { .. }
            | Fault::DeviceLoss { .. } => Targets::Volumes,
            Fault::Partition { .. }
            | Fault::PacketLoss { .. }
            | Fault::Duplication { .. }
            | Fault::Reordering { .. }
            | Fault::LongDelay { .. }
            | Fault::TransitCorruption { .. } => Targets::Links,
            Fault::StaleRestore
            | Fault::WrongAccountRestore
            | Fault::Failover { .. }
            | Fault::SchemaMigration
            | Fault::UpgradeRollback => Targets::Only(topology::DB_PRIMARY),
            Fault::BackupStopped | Fault::BackupSilentFailure | Fault::RetentionPurge => {
                Targets::Only(topology::DB_BACKUP)
            }
            Fault::VersionSkew { .. } => Targets::Only(topology::SERVER),
        }
    }

    /// Whether `target` is one of these in a topology of `handsets` handsets.
    pub fn contains(self, target: &str, handsets: u32) -> bool {
        let handset = handset_index(target).is_some_and(|h| h < handsets);
        let db = [topology::DB_PRIMARY, topology::DB_BACKUP].contains(&target);
        match self {
            Targets::Arrays => [topology::ARRAY_A, topology::ARRAY_B].contains(&target),
            Targets::Nodes => handset || db || target == topology::SERVER,
            Targets::Handsets => handset,
            Targets::Volumes => handset || db,
            Targets::Links => handset || target == topology::SERVER,
            Targets::Only(name) => target == name,
        }
    }

    /// The targets in words for a topology of `handsets` handsets
    /// (`handset-0..handset-3, sync-server`).
    pub fn words(self, handsets: u32) -> String {
        let hs = handset_range(handsets);
        let (p, b, s) = (topology::DB_PRIMARY, topology::DB_BACKUP, topology::SERVER);
        match self {
            Targets::Arrays => format!("{}, {}", topology::ARRAY_A, topology::ARRAY_B),
            Targets::Nodes => format!("{hs}, {s}, {p}, {b}"),
            Targets::Handsets => hs,
            Targets::Volumes => format!("{hs}, {p}, {b}"),
            Targets::Links => format!("{hs}, {s}"),
            Targets::Only(name) => name.to_string(),
        }
    }
}

/// `handset-0..handset-N` for `handsets` handsets (`handset-0` for one).
pub fn handset_range(handsets: u32) -> String {
    match handsets {
        0 | 1 => topology::handset(0),
        n => format!("{}..{}", topology::handset(0), topology::handset(n - 1)),
    }
}

/// Every target name a plan may use in a topology of `handsets` handsets, in words.
pub fn all_targets(handsets: u32) -> String {
    format!(
        "{}, {}, {}",
        Targets::Nodes.words(handsets),
        topology::ARRAY_A,
        topology::ARRAY_B
    )
}

/// The handset index of a target named exactly `handset-N` (no store
/// suffix, no leading zeros or sign).
fn handset_index(target: &str) -> Option<u32> {
    let digits = target.strip_prefix("handset-")?;
    let canonical = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    canonical.then(|| digits.parse().ok()).flatten()
}

/// What is wrong with one fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Another fault before it has the same id.
    DuplicateId {
        /// The index (in file order) of the first fault with that id.
        first: usize,
    },
    /// The target is no node, array or link of the topology.
    NoSuchTarget {
        /// Every target the topology has, in words.
        valid: String,
    },
    /// The target exists, but the kind does not apply to it.
    KindDoesNotApply {
        /// The targets the kind applies to, in words.
        valid: String,
    },
    /// It is planned at or after the end of the run's safety phase.
    AfterTheRun {
        /// The end of the run (`run.duration`).
        end: SimTime,
    },
    /// A value of the kind is out of range.
    OutOfRange {
        /// The field (`per_mille`, `skew_ms`).
        field: &'static str,
        /// The range it must be in, in words.
        range: String,
    },
    /// A wrong-account restore needs two accounts, and the topology has one.
    OneAccount,
}

/// A fault of a plan that would not fire as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("fault {id} ({kind}) at {at} on {target:?}: {problem}")]
pub struct PlanError {
    /// Its position in the plan as written (0 for the first fault).
    pub index: usize,
    /// Its id.
    pub id: u32,
    /// Its kind's name.
    pub kind: &'static str,
    /// When it is planned.
    pub at: SimTime,
    /// Its target as written.
    pub target: String,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::DuplicateId { first } => write!(
                f,
                "its id is also the id of fault number {} of the plan; fault ids are unique",
                first + 1
            ),
            Problem::NoSuchTarget { valid } => {
                write!(f, "no such target (outside the topology, which has {valid})")
            }
            Problem::KindDoesNotApply { valid } => {
                write!(f, "the kind does not apply to this target; it applies to {valid}")
            }
            Problem::AfterTheRun { end } => write!(
                f,
                "planned at or after the end of the run ({end}, run.duration); it would never fire"
            ),
            Problem::OutOfRange { field, range } => write!(f, "`{field}` must be {range}"),
            Problem::OneAccount => write!(
                f,
                "a wrong-account restore needs at least two accounts, and the topology has one handset"
            ),
        }
    }
}

/// Checks `faults` (in the order they were written) against `scenario`:
/// unique ids, targets that exist and that each kind applies to, times
/// before the end of the run, values in range. Returns the first fault
/// that fails, in written order.
pub fn check(faults: &[PlannedFault<Fault>], scenario: &Scenario) -> Result<(), PlanError> {
    let handsets = scenario.topology.handsets;
    let end = SimTime::from(scenario.run.duration);
    let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
    for (index, f) in faults.iter().enumerate() {
        let fail = |problem| PlanError {
            index,
            id: f.id,
            kind: f.kind.name(),
            at: f.at,
            target: f.target.clone(),
            problem,
        };
        if let Some(&first) = seen.get(&f.id) {
            return Err(fail(Problem::DuplicateId { first }));
        }
        seen.insert(f.id, index);
        let targets = Targets::of(&f.kind);
        if !Targets::Nodes.contains(&f.target, handsets)
            && !Targets::Arrays.contains(&f.target, handsets)
        {
            return Err(fail(Problem::NoSuchTarget {
                valid: all_targets(handsets),
            }));
        }
        if !targets.contains(&f.target, handsets) {
            return Err(fail(Problem::KindDoesNotApply {
                valid: targets.words(handsets),
            }));
        }
        if f.at >= end {
            return Err(fail(Problem::AfterTheRun { end }));
        }
        if let Some(problem) = value_problem(&f.kind, handsets) {
            return Err(fail(problem));
        }
    }
    Ok(())
}

/// A value of `kind` the system cannot act on as written, if any.
fn value_problem(kind: &Fault, handsets: u32) -> Option<Problem> {
    let per_mille = match kind {
        Fault::PacketLoss { per_mille, .. }
        | Fault::Duplication { per_mille, .. }
        | Fault::Reordering { per_mille, .. }
        | Fault::LongDelay { per_mille, .. }
        | Fault::TransitCorruption { per_mille, .. } => Some(*per_mille),
        _ => None,
    };
    if per_mille.is_some_and(|p| p > 1000) {
        return Some(Problem::OutOfRange {
            field: "per_mille",
            range: "from 0 to 1000 (a chance in 1000)".into(),
        });
    }
    if let Fault::ClockSkew { skew_ms } = kind {
        if skew_ms.unsigned_abs() > MAX_SKEW_MS.unsigned_abs() {
            return Some(Problem::OutOfRange {
                field: "skew_ms",
                range: format!("at most {MAX_SKEW_MS} (ten years) either way"),
            });
        }
    }
    if matches!(kind, Fault::WrongAccountRestore) && handsets < 2 {
        return Some(Problem::OneAccount);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        Scenario::load(
            "sidekick-2009",
            &[
                "topology.handsets=4".to_string(),
                "run.duration=\"3d\"".to_string(),
            ],
        )
        .unwrap()
    }

    fn fault(id: u32, target: &str, kind: Fault) -> PlannedFault<Fault> {
        PlannedFault {
            id,
            at: SimTime(3_600_000),
            target: target.into(),
            kind,
            resolve_seed: 1,
        }
    }

    fn problem(faults: &[PlannedFault<Fault>]) -> Problem {
        check(faults, &scenario()).unwrap_err().problem
    }

    const PULL: Fault = Fault::BatteryPull { down_for_ms: 1000 };

    #[test]
    fn every_plan_the_planner_draws_passes() {
        for name in crate::scenario::catalogue_names() {
            let sc = Scenario::load(name, &[]).unwrap();
            for seed in 0..4 {
                let plan = crate::planner::plan(&sc, seed);
                if let Err(e) = check(&plan.faults, &sc) {
                    panic!("{name} seed {seed}: {e}");
                }
            }
        }
    }

    #[test]
    fn a_valid_plan_passes() {
        let plan = [
            fault(1, "handset-3", PULL),
            fault(
                2,
                "array-b",
                Fault::BotchedUpgrade {
                    downtime_ms: 1,
                    notice_ms: 1,
                },
            ),
            fault(3, "sync-server", Fault::Partition { for_ms: 1 }),
            fault(4, "db-backup", Fault::RetentionPurge),
        ];
        assert_eq!(check(&plan, &scenario()), Ok(()));
    }

    #[test]
    fn targets_that_do_not_exist_are_named_with_the_topology() {
        for target in [
            "handset-4",
            "handset-999",
            "toaster",
            "",
            "handset-01",
            "handset-0/flash",
        ] {
            let e = check(&[fault(7, target, PULL)], &scenario()).unwrap_err();
            assert!(
                matches!(e.problem, Problem::NoSuchTarget { .. }),
                "{target}"
            );
            let text = e.to_string();
            assert!(text.starts_with("fault 7 (battery-pull)"), "{text}");
            assert!(text.contains("handset-0..handset-3, sync-server"), "{text}");
        }
    }

    #[test]
    fn a_kind_on_a_target_it_does_not_apply_to_is_refused() {
        for (target, kind) in [
            ("sync-server", Fault::FactoryReset),
            (
                "handset-0",
                Fault::BotchedUpgrade {
                    downtime_ms: 1,
                    notice_ms: 1,
                },
            ),
            ("array-a", PULL),
            ("sync-server", Fault::BitRot),
            ("db-primary", Fault::Offline { for_ms: 1 }),
            ("handset-1", Fault::StaleRestore),
        ] {
            assert!(
                matches!(
                    problem(&[fault(1, target, kind.clone())]),
                    Problem::KindDoesNotApply { .. }
                ),
                "{target} {}",
                kind.name()
            );
        }
    }

    #[test]
    fn duplicate_ids_late_faults_and_values_out_of_range_are_refused() {
        assert_eq!(
            problem(&[fault(5, "handset-0", PULL), fault(5, "handset-1", PULL)]),
            Problem::DuplicateId { first: 0 }
        );
        let mut late = fault(1, "handset-0", PULL);
        late.at = SimTime(3 * 86_400_000);
        assert!(matches!(problem(&[late]), Problem::AfterTheRun { .. }));
        let loss = Fault::PacketLoss {
            for_ms: 1,
            per_mille: 1001,
        };
        assert!(matches!(
            problem(&[fault(1, "handset-0", loss)]),
            Problem::OutOfRange { .. }
        ));
        let skew = Fault::ClockSkew { skew_ms: i64::MIN };
        assert!(matches!(
            problem(&[fault(1, "handset-0", skew)]),
            Problem::OutOfRange { .. }
        ));
    }
}
