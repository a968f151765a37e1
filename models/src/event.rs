//! The Sidekick system's own trace events: one table, one type. Their
//! dotted names are part of the trace's format (they are hashed), so a
//! name here never changes without a reason in the commit.

sim::event_kinds! {
    /// What the handsets, the sync server, the databases and the operator
    /// write to the trace, beyond the engine's own events.
    pub enum SidekickEvent in "sidekick" {
        /// The backup job left the image incomplete and raised an alarm.
        BackupAlarm = "backup.alarm",
        /// The backup could not store or purge an image. Fields: `error`.
        BackupFailed = "backup.failed",
        /// A retention fault purged the backup's images. Fields: `fault`.
        BackupPurged = "backup.purged",
        /// The last verified image was kept against a purge. Fields: `fault`, `why`.
        BackupRetentionKept = "backup.retention-kept",
        /// The primary sent its rows to the backup. Fields: `rows`.
        BackupSent = "backup.sent",
        /// The backup job failed without telling anyone. Fields: `fault`.
        BackupSilentFailure = "backup.silent-failure",
        /// The backup job stopped part way. Fields: `fault`, `rows`, `of`.
        BackupStopped = "backup.stopped",
        /// The backup stored an image. Fields: `rows`.
        BackupStored = "backup.stored",
        /// The handset's cache re-fetched everything from the server.
        CacheRefetch = "cache.refetch",
        /// A database restored one account. Fields: `account`, `epoch`, `rows`.
        DbAccountRestored = "db.account-restored",
        /// The primary came up empty and waits for the operator's restore.
        DbAwaitingRestore = "db.awaiting-restore",
        /// The primary stopped (or resumed) taking writes. Fields: `on`.
        DbQuiesce = "db.quiesce",
        /// The database rebuilt an empty store. Fields: `epoch`, `why`.
        DbRebuilt = "db.rebuilt",
        /// The database restored an image. Fields: `epoch`, `rows`.
        DbRestored = "db.restored",
        /// BUGGIFY split the database's reply in two.
        DbSplitReply = "db.split-reply",
        /// The user's edit failed to save. Fields: `record`, `version`, `error`.
        EditFailed = "edit.failed",
        /// The user's edit could not be made. Fields: `record`, `why`.
        EditSkipped = "edit.skipped",
        /// The operator restored an account from the backup.
        OperatorAccountRestored = "operator.account-restored",
        /// The operator was busy and did not start another restore.
        OperatorBusy = "operator.busy",
        /// The operator failed over to the backup's last image.
        OperatorFailover = "operator.failover",
        /// The operator found the primary intact.
        OperatorPrimaryIntact = "operator.primary-intact",
        /// The operator left the primary empty: nothing to restore from.
        OperatorRebuiltEmpty = "operator.rebuilt-empty",
        /// The operator rejected rows that failed their checksum.
        OperatorRejectedRows = "operator.rejected-rows",
        /// The operator checked that the primary lost its data before restoring it.
        OperatorRestoreCheck = "operator.restore-check",
        /// The operator could not restore the primary.
        OperatorRestoreFailed = "operator.restore-failed",
        /// The operator refused a restore into the wrong account.
        OperatorRestoreRefused = "operator.restore-refused",
        /// The operator took a snapshot before the upgrade.
        OperatorSnapshot = "operator.snapshot",
        /// The primary was restored from the backup.
        RecoverBackup = "recover.backup",
        /// The handset restored its store from the server. Fields: `records`.
        RecoverRestore = "recover.restore",
        /// The handset re-uploaded its records to the server.
        RecoverReupload = "recover.reupload",
        /// The primary was restored from the upgrade snapshot.
        RecoverSnapshot = "recover.snapshot",
        /// A schema change was aborted. Fields: `fault`, `change`, `why`.
        SchemaAborted = "schema.aborted",
        /// A schema change rewrote the rows. Fields: `fault`, `change`, `rows`, `of`.
        SchemaChanged = "schema.changed",
        /// A schema change failed. Fields: `error`.
        SchemaFailed = "schema.failed",
        /// BUGGIFY delayed the server's reply.
        ServerDelayedReply = "server.delayed-reply",
        /// The server dropped rows of a push. Fields: `fault`, `rows`.
        ServerDroppedPush = "server.dropped-push",
        /// The server negotiated a skewed protocol version. Fields: `fault`, `negotiated`.
        ServerVersionSkew = "server.version-skew",
        /// A read found damaged sectors. Fields: `sectors`.
        StoreDamage = "store.damage",
        /// A damaged store could not be discarded. Fields: `why`.
        StoreDiscardFailed = "store.discard-failed",
        /// The store failed. Fields: `error`.
        StoreFailed = "store.failed",
        /// The store was reloaded from its disk. Fields: `why`.
        StoreReload = "store.reload",
        /// A scrub found missing rows. Fields: `rows`, `repaired`.
        StoreScrub = "store.scrub",
        /// The store could not be opened or read. Fields: `why`.
        StoreUnusable = "store.unusable",
        /// A sync was aborted. Fields: `why`.
        SyncAborted = "sync.aborted",
        /// A record absent from the server was deleted locally. Fields: `record`.
        SyncAbsentDeleted = "sync.absent-deleted",
        /// The server's epoch changed. Fields: `old`, `new`.
        SyncEpochChanged = "sync.epoch-changed",
        /// The handset refreshed from the server after an outage. Fields: `offline_ms`.
        SyncRefresh = "sync.refresh",
        /// A row from the server failed its checksum and was rejected.
        SyncRejectedRow = "sync.rejected-row",
        /// BUGGIFY reordered the rows of a push. Fields: `rows`.
        SyncReorderedPush = "sync.reordered-push",
        /// BUGGIFY retried a sync early.
        SyncRetryEarly = "sync.retry-early",
        /// A sync timed out.
        SyncTimeout = "sync.timeout",
        /// BUGGIFY fired a sync's timeout at the edge of its window.
        SyncTimeoutAtEdge = "sync.timeout-at-edge",
        /// The server was unavailable for a sync.
        SyncUnavailable = "sync.unavailable",
    }
}

impl SidekickEvent {
    /// How a recovery or an operator's step reads in `--explain`: a few
    /// words in the voice of the node that did it; `None` for events that
    /// are not steps of a recovery.
    pub fn explained(self) -> Option<&'static str> {
        use SidekickEvent::*;
        Some(match self {
            RecoverRestore => "restored its store from the server",
            RecoverReupload => "re-uploaded its records to the server",
            RecoverSnapshot => "restored the primary from the upgrade snapshot",
            RecoverBackup => "restored the primary from the backup",
            OperatorRestoreFailed => "could not restore the primary",
            OperatorRebuiltEmpty => "left the primary empty: nothing to restore from",
            OperatorPrimaryIntact => "found the primary intact",
            OperatorSnapshot => "took a snapshot before the upgrade",
            OperatorRejectedRows => "rejected rows that failed their checksum",
            OperatorRestoreCheck => "checked that the primary lost its data before restoring it",
            OperatorRestoreRefused => "refused a restore into the wrong account",
            OperatorAccountRestored => "restored an account from the backup",
            OperatorFailover => "failed over to the backup's last image",
            OperatorBusy => "was busy and did not start another restore",
            _ => return None,
        })
    }
}

impl SidekickEvent {
    /// Whether the event is a recovery: a store or the primary restored
    /// from somewhere else (`recover.*`).
    pub fn is_recovery(self) -> bool {
        use SidekickEvent::*;
        matches!(
            self,
            RecoverBackup | RecoverRestore | RecoverReupload | RecoverSnapshot
        )
    }
}
