//! The `[design]` section: a preset and the knobs changed on top of it.

use super::*;

/// `[design]`: which design runs when the command line names none, and knob
/// overrides applied on top of whichever preset is chosen. Each knob is
/// documented on [`models::design::Design`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DesignOverrides {
    /// The preset used when the command line names none: one of
    /// [`Design::PRESETS`] (default: `hardened`).
    pub preset: Option<String>,
    /// Overrides [`Design::saved_ack`].
    pub saved_ack: Option<SavedAck>,
    /// Overrides [`Design::handset_store`].
    pub handset_store: Option<HandsetStore>,
    /// Overrides [`Design::digest_sync`].
    pub digest_sync: Option<bool>,
    /// Overrides [`Design::epoch_resets_cursor`].
    pub epoch_resets_cursor: Option<bool>,
    /// Overrides [`Design::backup_independent`].
    pub backup_independent: Option<bool>,
    /// Overrides [`Design::upgrade_snapshot`].
    pub upgrade_snapshot: Option<bool>,
    /// Overrides [`Design::blank_boot`].
    pub blank_boot: Option<BlankBoot>,
    /// Overrides [`Design::verified_restore`].
    pub verified_restore: Option<bool>,
    /// Overrides [`Design::verify_reads`].
    pub verify_reads: Option<bool>,
    /// Overrides [`Design::scrub`].
    pub scrub: Option<bool>,
    /// Overrides [`Design::wire_checksum`].
    pub wire_checksum: Option<bool>,
    /// Overrides [`Design::idempotent_commit`].
    pub idempotent_commit: Option<bool>,
    /// Overrides [`Design::offline_refresh`].
    pub offline_refresh: Option<bool>,
    /// Overrides [`Design::conflict_copies`].
    pub conflict_copies: Option<bool>,
    /// Overrides [`Design::hlc`].
    pub hlc: Option<bool>,
    /// Overrides [`Design::keep_tombstones`].
    pub keep_tombstones: Option<bool>,
    /// Overrides [`Design::absence_deletes`].
    pub absence_deletes: Option<bool>,
    /// Overrides [`Design::restore_checks_freshness`].
    pub restore_checks_freshness: Option<bool>,
    /// Overrides [`Design::restore_checks_account`].
    pub restore_checks_account: Option<bool>,
    /// Overrides [`Design::failover_bumps_epoch`].
    pub failover_bumps_epoch: Option<bool>,
    /// Overrides [`Design::backup_verified`].
    pub backup_verified: Option<bool>,
    /// Overrides [`Design::retention_keeps_verified`].
    pub retention_keeps_verified: Option<bool>,
    /// Overrides [`Design::migration_checked`].
    pub migration_checked: Option<bool>,
    /// Overrides [`Design::protocol_negotiation`].
    pub protocol_negotiation: Option<bool>,
    /// Overrides [`Design::sqlite_journal_mode`].
    pub sqlite_journal_mode: Option<sim::sqlite::JournalMode>,
    /// Overrides [`Design::sqlite_synchronous`].
    pub sqlite_synchronous: Option<sim::sqlite::Synchronous>,
}

impl DesignOverrides {
    /// Sets on `design` every knob this section names; leaves the others.
    pub fn apply(&self, design: &mut Design) {
        set(&mut design.saved_ack, self.saved_ack);
        set(&mut design.handset_store, self.handset_store);
        set(&mut design.digest_sync, self.digest_sync);
        set(&mut design.epoch_resets_cursor, self.epoch_resets_cursor);
        set(&mut design.backup_independent, self.backup_independent);
        set(&mut design.upgrade_snapshot, self.upgrade_snapshot);
        set(&mut design.blank_boot, self.blank_boot);
        set(&mut design.verified_restore, self.verified_restore);
        set(&mut design.verify_reads, self.verify_reads);
        set(&mut design.scrub, self.scrub);
        set(&mut design.wire_checksum, self.wire_checksum);
        set(&mut design.idempotent_commit, self.idempotent_commit);
        set(&mut design.offline_refresh, self.offline_refresh);
        set(&mut design.conflict_copies, self.conflict_copies);
        set(&mut design.hlc, self.hlc);
        set(&mut design.keep_tombstones, self.keep_tombstones);
        set(&mut design.absence_deletes, self.absence_deletes);
        set(
            &mut design.restore_checks_freshness,
            self.restore_checks_freshness,
        );
        set(
            &mut design.restore_checks_account,
            self.restore_checks_account,
        );
        set(&mut design.failover_bumps_epoch, self.failover_bumps_epoch);
        set(&mut design.backup_verified, self.backup_verified);
        set(
            &mut design.retention_keeps_verified,
            self.retention_keeps_verified,
        );
        set(&mut design.migration_checked, self.migration_checked);
        set(&mut design.protocol_negotiation, self.protocol_negotiation);
        set(&mut design.sqlite_journal_mode, self.sqlite_journal_mode);
        set(&mut design.sqlite_synchronous, self.sqlite_synchronous);
    }
}

pub(super) fn set<T>(knob: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *knob = v;
    }
}

impl DesignOverrides {
    pub(super) fn validate(&self) -> Check {
        let Some(preset) = &self.preset else {
            return Ok(());
        };
        ensure(
            Design::preset(preset).is_some(),
            KeyPath::of(&["design", "preset"]),
            || {
                format!(
                    "unknown preset `{preset}`; presets: {}",
                    Design::PRESETS.join(", ")
                )
            },
        )
    }
}
