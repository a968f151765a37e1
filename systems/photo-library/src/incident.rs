//! The system's own incidents, one row each of one table ([`TABLE`]): an
//! operator's restore from an old snapshot, a lost volume, a garbage
//! collection that races uploads, an old migration run again, a device's
//! clock jumping, a device offline for weeks. Their rates are
//! `[faults.system]` keys; each strikes the node its row names (a device
//! incident strikes user 0's device).

use crate::action::Action;
use crate::PhotoLibrary;
use lastcopy_harness::sim::host::Addr;
use lastcopy_harness::sim::rng::from_seed;
use lastcopy_harness::system::OwnFault;
use rand::RngExt;
use std::time::Duration;

/// One of the system's own incidents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Incident {
    /// The metadata primary is restored from an old snapshot.
    StaleSnapshotRestore,
    /// Volume 1's disk is lost.
    VolumeLost,
    /// Garbage collection runs on volume 0.
    GcRace,
    /// The phone's client re-runs an old migration.
    OldMigration,
    /// The tablet's wall clock jumps.
    ClockJump,
    /// The laptop goes offline for weeks.
    LongOffline,
}

/// Every incident's row, in [`Incident::ALL`] order.
pub const TABLE: &[OwnFault] = &[
    OwnFault {
        name: "stale-snapshot-restore",
        key: "stale_snapshot_restore_per_day",
        node: "meta-primary",
        effect: "an operator restores the metadata primary from a snapshot about `snapshot_age_days` old: rows committed since are gone from it",
    },
    OwnFault {
        name: "volume-lost",
        key: "volume_lost_per_day",
        node: "volume-1",
        effect: "volume-1's disk is lost and replaced by a blank one: every blob on it is gone",
    },
    OwnFault {
        name: "gc-race",
        key: "gc_race_per_day",
        node: "volume-0",
        effect: "the object store's garbage collection runs on volume-0 and deletes the blobs the primary's rows do not reference, uploads not yet committed included (hardened: only blobs older than two days)",
    },
    OwnFault {
        name: "old-migration",
        key: "old_migration_per_day",
        node: "phone",
        effect: "a client release re-runs an old migration on the phone's library: every photo out of the trash, in no album, no favourite, rewritten under its version (hardened skips it: the library's schema is past it)",
    },
    OwnFault {
        name: "clock-jump",
        key: "clock_jump_per_day",
        node: "tablet",
        effect: "the tablet's wall clock jumps forward by up to `clock_jump_days`, or back by up to a quarter of that",
    },
    OwnFault {
        name: "long-offline",
        key: "long_offline_per_day",
        node: "laptop",
        effect: "the laptop loses the network for `offline_days` (a reboot brings it back)",
    },
];

impl Incident {
    /// Every incident, in table order.
    pub const ALL: [Incident; 6] = [
        Incident::StaleSnapshotRestore,
        Incident::VolumeLost,
        Incident::GcRace,
        Incident::OldMigration,
        Incident::ClockJump,
        Incident::LongOffline,
    ];

    /// Its row of [`TABLE`].
    pub fn row(self) -> &'static OwnFault {
        &TABLE[self as usize]
    }

    /// The incident named `name` in plans, if any.
    pub fn parse(name: &str) -> Option<Incident> {
        Incident::ALL.into_iter().find(|i| i.row().name == name)
    }

    /// What it does in a run of `system` when it strikes: the input to its
    /// node, drawn from `resolve_seed`.
    pub fn strike(self, system: &PhotoLibrary, resolve_seed: u64) -> (Addr, Action) {
        let t = system.topology();
        let mut rng = from_seed(resolve_seed);
        let days = |d: f64| Duration::from_secs_f64(d.max(0.0) * 86_400.0);
        match self {
            Incident::StaleSnapshotRestore => {
                let age = days(system.snapshot_age_days * rng.random_range(0.5..1.5));
                (t.primary(), Action::StaleRestore { age })
            }
            Incident::VolumeLost => (t.volume(1), Action::VolumeLost),
            Incident::GcRace => (t.volume(0), Action::Gc),
            Incident::OldMigration => (t.device(0, 0), Action::OldMigration),
            Incident::ClockJump => {
                let span = system.clock_jump_days * 86_400_000.0;
                let by_ms = rng.random_range(-span / 4.0..=span) as i64;
                (t.device(0, 1), Action::ClockJump { by_ms })
            }
            Incident::LongOffline => {
                let for_ = days(system.offline_days);
                (t.device(0, 2), Action::GoOffline { for_ })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_the_enum_and_names_parse_back() {
        for (i, inc) in Incident::ALL.into_iter().enumerate() {
            assert_eq!(inc as usize, i);
            assert_eq!(Incident::parse(inc.row().name), Some(inc));
        }
        assert_eq!(Incident::parse("meteor"), None);
    }
}
