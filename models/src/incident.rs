//! Incidents: operator, backup and upgrade faults as the node in charge of
//! them receives them (resolved by the injector from the plan). Each one is
//! what a person or a job does wrong; the design's knobs decide whether the
//! node's defences catch it.

use crate::record::RecordKind;

/// What a schema migration silently drops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// Every row of one record kind.
    Kind(RecordKind),
    /// One field of every row: the second half of its content comes back
    /// zeroed (the row no longer matches its checksum).
    Field,
}

/// One incident, delivered as an input to the node that carries it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incident {
    /// To the operator: restore the primary from the backup's last image.
    StaleRestore,
    /// To the operator: restore user `from`'s backed-up account into
    /// user `to`'s account.
    WrongAccountRestore {
        /// The account whose backed-up rows are restored.
        from: u32,
        /// The account they are written into.
        to: u32,
    },
    /// To the operator: the primary was lost; fail over to the backup's
    /// last image when it is back.
    Failover,
    /// To the primary: its next backup job stops after `keep_permille`
    /// thousandths of the rows.
    BackupStopped {
        /// The share of rows sent before the job stops, in thousandths.
        keep_permille: u32,
    },
    /// To the primary: its next backup job sends nothing.
    BackupSilentFailure,
    /// To the backup: retention deletes its last image.
    RetentionPurge,
    /// To the primary: a schema migration that drops `dropped`.
    SchemaMigration {
        /// What the migration drops.
        dropped: Dropped,
    },
    /// To the primary: an upgrade rolled back half-way; the rows the new
    /// version rewrote (chosen by `seed`) are unreadable to the old one.
    UpgradeRollback {
        /// Picks the rewritten rows.
        seed: u64,
    },
    /// To the sync server: for `for_ms` it speaks a newer protocol.
    VersionSkew {
        /// How long the skew lasts, in simulated milliseconds.
        for_ms: u64,
    },
}
