//! The `[faults.incidents]` section: operators' and software incidents.

use super::*;

/// `[faults.incidents]`: operator, backup and upgrade incidents, each a rate
/// per simulated day on its fixed target (`db-primary`, `db-backup` or
/// `sync-server`). They count against the fault atlas of
/// `[faults.storage]` as hits on their target's failure domain, in one
/// atlas with the storage faults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Incidents {
    /// The operator restores the primary from the backup's last image over
    /// newer data (per day).
    pub stale_restore_per_day: f64,
    /// The operator restores one user's backed-up account into another
    /// user's account (per day).
    pub wrong_account_restore_per_day: f64,
    /// The primary's volume is lost and the backup's last image is promoted
    /// in its place after `faults.node_down_for` (per day).
    pub failover_per_day: f64,
    /// The next backup job stops part-way and reports success (per day).
    pub backup_stopped_per_day: f64,
    /// The next backup job sends nothing and reports success (per day).
    pub backup_silent_failure_per_day: f64,
    /// Retention deletes the backup's last image (per day).
    pub retention_purge_per_day: f64,
    /// A schema migration of the primary drops every photo or one field of
    /// every row (per day).
    pub schema_migration_per_day: f64,
    /// An upgrade of the primary rolled back half-way drops the rows the
    /// new version rewrote (per day).
    pub upgrade_rollback_per_day: f64,
    /// A rolling upgrade leaves the sync server on a newer protocol than
    /// the handsets for `version_skew_for` (per day).
    pub version_skew_per_day: f64,
    /// How long a version skew lasts (default 2h).
    #[serde(with = "as_text")]
    pub version_skew_for: Duration,
    /// The faults `[faults.aftermath]` also follows (besides every upgrade):
    /// any incident kind above, or `device-loss` (of a database volume).
    /// Default: none.
    pub aftermath: Vec<String>,
}

impl Default for Incidents {
    fn default() -> Self {
        Incidents {
            stale_restore_per_day: 0.0,
            wrong_account_restore_per_day: 0.0,
            failover_per_day: 0.0,
            backup_stopped_per_day: 0.0,
            backup_silent_failure_per_day: 0.0,
            retention_purge_per_day: 0.0,
            schema_migration_per_day: 0.0,
            upgrade_rollback_per_day: 0.0,
            version_skew_per_day: 0.0,
            version_skew_for: Duration::from_secs(2 * 3600),
            aftermath: Vec::new(),
        }
    }
}

impl Incidents {
    /// Whether a fault of `kind` may be followed by the aftermath (resets
    /// and battery pulls of the handsets): an incident, or a lost device.
    pub fn has_aftermath(kind: FaultKind) -> bool {
        kind.class() == FaultClass::Incident || kind == FaultKind::DeviceLoss
    }

    /// Each incident's fault kind, scenario key and rate.
    pub fn rates(&self) -> [(FaultKind, &'static str, f64); 9] {
        [
            (
                FaultKind::StaleRestore,
                "stale_restore_per_day",
                self.stale_restore_per_day,
            ),
            (
                FaultKind::WrongAccountRestore,
                "wrong_account_restore_per_day",
                self.wrong_account_restore_per_day,
            ),
            (
                FaultKind::Failover,
                "failover_per_day",
                self.failover_per_day,
            ),
            (
                FaultKind::BackupStopped,
                "backup_stopped_per_day",
                self.backup_stopped_per_day,
            ),
            (
                FaultKind::BackupSilentFailure,
                "backup_silent_failure_per_day",
                self.backup_silent_failure_per_day,
            ),
            (
                FaultKind::RetentionPurge,
                "retention_purge_per_day",
                self.retention_purge_per_day,
            ),
            (
                FaultKind::SchemaMigration,
                "schema_migration_per_day",
                self.schema_migration_per_day,
            ),
            (
                FaultKind::UpgradeRollback,
                "upgrade_rollback_per_day",
                self.upgrade_rollback_per_day,
            ),
            (
                FaultKind::VersionSkew,
                "version_skew_per_day",
                self.version_skew_per_day,
            ),
        ]
    }

    pub(super) fn validate(&self) -> Check {
        let at = |key| KeyPath::of(&["faults", "incidents", key]);
        for (_, key, r) in self.rates() {
            rate(at(key), r, "day")?;
        }
        for (i, k) in self.aftermath.iter().enumerate() {
            let known = FaultKind::parse(k).is_some_and(Self::has_aftermath);
            ensure(known, at("aftermath").index(i), || {
                let kinds: Vec<&str> = FaultKind::of_class(FaultClass::Incident)
                    .chain([FaultKind::DeviceLoss])
                    .map(FaultKind::name)
                    .collect();
                format!("must be one of {}, got `{k}`", kinds.join(", "))
            })?;
        }
        distinct(at("aftermath"), &self.aftermath)?;
        positive(at("version_skew_for"), self.version_skew_for)
    }
}
