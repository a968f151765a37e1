//! The fault kinds of the sidekick-2009 system: the table of named variants,
//! each with the scenario knob that sets its rate and its documented effect.

use serde::{Deserialize, Serialize};

/// One kind of fault, as it appears in a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// The handset loses power: unsynced writes on its flash are gone, it is
    /// down for `down_for_ms`, then boots (a crash boot).
    BatteryPull {
        /// How long the handset stays off, in simulated milliseconds.
        down_for_ms: u64,
    },
    /// The user factory-resets the handset: its flash is wiped and it boots
    /// blank, then restores from the server. Saved versions it never synced
    /// are forfeited.
    FactoryReset,
    /// A botched storage firmware upgrade of an array: every volume on it is
    /// destroyed; the databases on it crash and come back on blank volumes
    /// after `downtime_ms`. The operator is told `notice_ms` before.
    BotchedUpgrade {
        /// How long the array stays down, in simulated milliseconds.
        downtime_ms: u64,
        /// How long before the upgrade the operator knows of it.
        notice_ms: u64,
    },
    /// A server or database node crashes (power loss) and reboots after
    /// `down_for_ms`.
    NodeCrash {
        /// How long the node stays down, in simulated milliseconds.
        down_for_ms: u64,
    },
    /// Bit rot: one live sector of the target's volume is silently
    /// corrupted (the sector is chosen at fire time and traced).
    BitRot,
    /// Latent sector error: reads of one live sector fail until it is rewritten.
    LatentSectorError,
    /// Power loss with writes in flight: every unsynced write is torn at a
    /// sector boundary (a prefix kept); the node reboots after `down_for_ms`.
    TornWrite {
        /// How long the node stays down, in simulated milliseconds.
        down_for_ms: u64,
    },
    /// Lost write: the volume's next sync reports success, but its most
    /// recent write never persists (visible until the cache is lost).
    LostWrite,
    /// Misdirected write: the volume's next write lands a few sectors away;
    /// its target keeps the old contents.
    MisdirectedWrite,
    /// Sync failure: the volume's next sync fails and what was unsynced is gone.
    SyncFailure,
    /// Disk full: writes to new sectors fail with no space for `for_ms`.
    DiskFull {
        /// How long until space is freed, in simulated milliseconds.
        for_ms: u64,
    },
    /// Whole-device loss: the volume is replaced with a blank one and its
    /// node reboots after `down_for_ms` (for a handset: a replacement phone).
    DeviceLoss {
        /// How long the node stays down, in simulated milliseconds.
        down_for_ms: u64,
    },
    /// Operator error: the operator restores the primary from the backup's
    /// last image over its newer contents (target `db-primary`).
    StaleRestore,
    /// Operator error: asked to restore one user's account from the backup,
    /// the operator restores it into another user's account (which account
    /// into which is resolved at fire time; target `db-primary`).
    WrongAccountRestore,
    /// The primary's volume is lost and the operator fails over to the
    /// backup: the backup's last image becomes the primary's contents when
    /// it is back after `down_for_ms` (target `db-primary`).
    Failover {
        /// How long the primary is down, in simulated milliseconds.
        down_for_ms: u64,
    },
    /// The next backup job stops part-way: only a prefix of the rows (its
    /// share resolved at fire time) reaches the backup, which stores it as
    /// its image; the job reports success (target `db-backup`).
    BackupStopped,
    /// The next backup job fails silently: nothing reaches the backup, the
    /// job reports success (target `db-backup`).
    BackupSilentFailure,
    /// Retention deletes the backup's last image to make room (target
    /// `db-backup`).
    RetentionPurge,
    /// A schema migration of the primary silently drops one record kind or
    /// one field of every row (which, resolved at fire time; target
    /// `db-primary`).
    SchemaMigration,
    /// An upgrade of the primary rolled back half-way: the rows the new
    /// version had rewritten (about half, resolved at fire time) cannot be
    /// read by the old version and are dropped (target `db-primary`).
    UpgradeRollback,
    /// Version skew during a rolling upgrade of the sync server: for
    /// `for_ms` the server speaks a newer protocol and acknowledges pushes
    /// from older handsets whose rows it cannot parse and drops (target
    /// `sync-server`).
    VersionSkew {
        /// How long the skew lasts, in simulated milliseconds.
        for_ms: u64,
    },
    /// A battery pull that also drains the handset's clock: as a battery
    /// pull (unsynced flash writes dropped, down for `down_for_ms`, crash
    /// boot), and the clock reads the epoch (0) from the moment of the pull.
    ClockReset {
        /// How long the handset stays off, in simulated milliseconds.
        down_for_ms: u64,
    },
    /// The handset's clock steps by `skew_ms` (a bad network time, or the
    /// user setting it); nothing else happens.
    ClockSkew {
        /// The step, in milliseconds (negative: back).
        skew_ms: i64,
    },
    /// Network partition for `for_ms`: every message on the target's links
    /// is dropped, both directions (nothing is held). For `handset-N` the
    /// link is the handset's to the sync server; for `sync-server`, the server's
    /// links to the primary and backup databases.
    Partition {
        /// How long the links stay cut, in simulated milliseconds.
        for_ms: u64,
    },
    /// The handset is off the network for `for_ms` (days, typically): every
    /// link of it cut, while its user keeps editing.
    Offline {
        /// How long it stays off the network, in simulated milliseconds.
        for_ms: u64,
    },
    /// A lossy window of `for_ms` on the target's links (as for
    /// [`Fault::Partition`]): each message is dropped with a chance of
    /// `per_mille` in 1000.
    PacketLoss {
        /// How long the window lasts, in simulated milliseconds.
        for_ms: u64,
        /// The chance, in 1000, that a message is dropped.
        per_mille: u32,
    },
    /// A window of `for_ms` on the target's links in which each message is
    /// delivered twice with a chance of `per_mille` in 1000, the copy up to
    /// `lag_ms` after the original (so a stale copy may follow newer messages).
    Duplication {
        /// How long the window lasts, in simulated milliseconds.
        for_ms: u64,
        /// The chance, in 1000, that a message is duplicated.
        per_mille: u32,
        /// The longest the copy trails, in simulated milliseconds.
        lag_ms: u64,
    },
    /// A window of `for_ms` on the target's links in which each message is
    /// held up to `hold_ms` with a chance of `per_mille` in 1000, so that
    /// messages sent after it overtake it.
    Reordering {
        /// How long the window lasts, in simulated milliseconds.
        for_ms: u64,
        /// The chance, in 1000, that a message is held.
        per_mille: u32,
        /// The longest a message is held, in simulated milliseconds.
        hold_ms: u64,
    },
    /// A window of `for_ms` on the target's links in which each message is
    /// delayed by `delay_ms / 2` to `delay_ms` (hours) with a chance of
    /// `per_mille` in 1000.
    LongDelay {
        /// How long the window lasts, in simulated milliseconds.
        for_ms: u64,
        /// The chance, in 1000, that a message is delayed.
        per_mille: u32,
        /// The longest delay, in simulated milliseconds.
        delay_ms: u64,
    },
    /// A window of `for_ms` on the target's links in which each message has
    /// one to three bytes of its encoded frame garbled with a chance of
    /// `per_mille` in 1000. A garbled frame may fail to decode (dropped),
    /// fail its frame checksum if the design seals frames (dropped), or
    /// decode into a wrong message that is acted on.
    TransitCorruption {
        /// How long the window lasts, in simulated milliseconds.
        for_ms: u64,
        /// The chance, in 1000, that a message is garbled.
        per_mille: u32,
    },
    /// A battery pull that strikes at one step of a sync exchange: armed at
    /// the planned time, it fires the first time in `window_ms` that the
    /// handset reaches `step` (else it is skipped, `fault.skipped`), with
    /// the effect of a battery pull.
    MidSyncPull {
        /// The step it strikes at.
        step: SyncStep,
        /// How long the handset stays off, in simulated milliseconds.
        down_for_ms: u64,
        /// How long after the planned time the pull waits for the step.
        window_ms: u64,
    },
    /// A race the checker cares about, on demand: armed at the planned
    /// time, it fires the first time in `window_ms` that the handset sends
    /// a sync push carrying a record it still shows; the user then edits
    /// that record on the handset at once (while the push of its previous
    /// version is in flight), and after a delay drawn from 0 to
    /// `delay_max_ms` the handset is factory-reset or loses power (for
    /// `down_for_ms`), which of the two drawn at fire time (else it is
    /// skipped, `fault.skipped`).
    EditRace {
        /// How long after the planned time it waits for a push.
        window_ms: u64,
        /// The longest delay from the edit to the reset or power loss, in
        /// simulated milliseconds.
        delay_max_ms: u64,
        /// How long the handset stays off after a power loss, in simulated
        /// milliseconds.
        down_for_ms: u64,
    },
}

/// A step of a handset's sync exchange, at which a [`Fault::MidSyncPull`]
/// strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncStep {
    /// The handset has made its request (its push flushed to flash) and is
    /// about to send it: the request never leaves.
    BeforeSend,
    /// The primary has just committed the handset's push, and its answer is
    /// on the way: the handset is off when it arrives and never hears it.
    AfterCommit,
    /// The handset asked for its whole state (a restore after a reset or
    /// replacement, or a cache re-fetch) and the request has left: the
    /// handset is off when the rows arrive.
    MidRestore,
}

impl SyncStep {
    /// Every step, in a fixed order (the planner draws from it).
    pub const ALL: [SyncStep; 3] = [
        SyncStep::BeforeSend,
        SyncStep::AfterCommit,
        SyncStep::MidRestore,
    ];
}

impl Fault {
    /// The stable name of the kind (used in the trace and the coverage table).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::BatteryPull { .. } => "battery-pull",
            Fault::FactoryReset => "factory-reset",
            Fault::BotchedUpgrade { .. } => "botched-upgrade",
            Fault::NodeCrash { .. } => "node-crash",
            Fault::BitRot => "bit-rot",
            Fault::LatentSectorError => "latent-sector-error",
            Fault::TornWrite { .. } => "torn-write",
            Fault::LostWrite => "lost-write",
            Fault::MisdirectedWrite => "misdirected-write",
            Fault::SyncFailure => "sync-failure",
            Fault::DiskFull { .. } => "disk-full",
            Fault::DeviceLoss { .. } => "device-loss",
            Fault::MidSyncPull { .. } => "mid-sync-pull",
            Fault::EditRace { .. } => "edit-race",
            Fault::Partition { .. } => "partition",
            Fault::Offline { .. } => "offline",
            Fault::PacketLoss { .. } => "packet-loss",
            Fault::Duplication { .. } => "duplication",
            Fault::Reordering { .. } => "reordering",
            Fault::LongDelay { .. } => "long-delay",
            Fault::TransitCorruption { .. } => "transit-corruption",
            Fault::ClockReset { .. } => "clock-reset",
            Fault::ClockSkew { .. } => "clock-skew",
            Fault::StaleRestore => "stale-restore",
            Fault::WrongAccountRestore => "wrong-account-restore",
            Fault::Failover { .. } => "failover",
            Fault::BackupStopped => "backup-stopped",
            Fault::BackupSilentFailure => "backup-silent-failure",
            Fault::RetentionPurge => "retention-purge",
            Fault::SchemaMigration => "schema-migration",
            Fault::UpgradeRollback => "upgrade-rollback",
            Fault::VersionSkew { .. } => "version-skew",
        }
    }

    /// Whether this is a network fault (one of [`NETWORK_FAULTS`]).
    pub fn is_network(&self) -> bool {
        NETWORK_FAULTS.contains(&self.name())
    }

    /// Whether this is a storage fault (one of the disk fault table's), which
    /// the fault atlas bounds.
    pub fn is_storage(&self) -> bool {
        STORAGE_FAULTS.contains(&self.name())
    }

    /// Whether this is an operator, backup or upgrade incident, which the
    /// fault atlas counts as a hit on its target's failure domain, like a
    /// storage fault.
    pub fn is_incident(&self) -> bool {
        INCIDENT_FAULTS.contains(&self.name())
    }
}

/// The names of the operator, backup and upgrade incidents, in table order.
pub const INCIDENT_FAULTS: [&str; 9] = [
    "stale-restore",
    "wrong-account-restore",
    "failover",
    "backup-stopped",
    "backup-silent-failure",
    "retention-purge",
    "schema-migration",
    "upgrade-rollback",
    "version-skew",
];

/// The names of the storage faults, in table order.
pub const STORAGE_FAULTS: [&str; 8] = [
    "bit-rot",
    "latent-sector-error",
    "torn-write",
    "lost-write",
    "misdirected-write",
    "sync-failure",
    "disk-full",
    "device-loss",
];

/// The names of the network faults, in table order.
pub const NETWORK_FAULTS: [&str; 7] = [
    "partition",
    "offline",
    "packet-loss",
    "duplication",
    "reordering",
    "long-delay",
    "transit-corruption",
];
/// The names of the clock faults (two writers' scenarios), in table order.
pub const CLOCK_FAULTS: [&str; 2] = ["clock-reset", "clock-skew"];

/// One row of the fault table: a fault kind, the scenario keys that set it,
/// and its documented effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultRow {
    /// The kind's name, as plans, traces and reports print it.
    pub name: &'static str,
    /// The dotted scenario keys whose value is a rate (per day) or a
    /// probability of this kind: what swarm testing scales or switches off.
    pub rates: &'static [&'static str],
    /// The other dotted scenario keys that shape this kind (durations,
    /// shares, lists).
    pub params: &'static [&'static str],
    /// What the fault does, in a few words.
    pub effect: &'static str,
}

impl FaultRow {
    /// Every scenario key of this kind, rates first.
    pub fn keys(&self) -> impl Iterator<Item = &'static str> {
        self.rates.iter().chain(self.params).copied()
    }
}

/// The fault table: one row per kind, in the order reports list them.
pub const FAULT_TABLE: &[FaultRow] = &[
    FaultRow {
        name: "battery-pull",
        rates: &["faults.battery_pull_per_handset_day", "faults.aftermath.battery_pull_probability"],
        params: &[],
        effect: "handset loses power: unsynced flash writes dropped, crash boot after battery_pull_down_for",
    },
    FaultRow {
        name: "mid-sync-pull",
        rates: &["faults.mid_sync_pull_per_handset_day"],
        params: &["faults.mid_sync_pull_window"],
        effect: "handset loses power at a step of a sync exchange (before its request leaves; after the primary committed its push, before it hears; while its restore is on the way), the first time the step comes within the window; skipped if none comes",
    },
    FaultRow {
        name: "edit-race",
        rates: &["faults.edit_race_per_handset_day"],
        params: &["faults.edit_race_window", "faults.edit_race_delay_max"],
        effect: "the user edits a record while the handset's push of its previous version is in flight, then after a drawn delay the handset is reset or loses power; skipped if no push comes within the window",
    },
    FaultRow {
        name: "factory-reset",
        rates: &["faults.reset_per_handset_day", "faults.aftermath.reset_probability"],
        params: &[],
        effect: "handset flash wiped, boots blank and restores from the server; unsynced saved versions forfeited",
    },
    FaultRow {
        name: "botched-upgrade",
        rates: &[],
        params: &["faults.upgrades"],
        effect: "every volume of the array destroyed; its database nodes come back blank after the downtime",
    },
    FaultRow {
        name: "node-crash",
        rates: &["faults.server_crash_per_day", "faults.db_crash_per_day"],
        params: &[],
        effect: "sync server or database node loses power: unsynced writes dropped, crash boot after node_down_for",
    },
    FaultRow {
        name: "bit-rot",
        rates: &["faults.storage.bit_rot_per_day"],
        params: &[],
        effect: "a live sector of the volume silently corrupted; reads return wrong bytes",
    },
    FaultRow {
        name: "latent-sector-error",
        rates: &["faults.storage.latent_sector_error_per_day"],
        params: &[],
        effect: "a live sector of the volume unreadable until rewritten",
    },
    FaultRow {
        name: "torn-write",
        rates: &["faults.storage.torn_write_per_day"],
        params: &[],
        effect: "power loss with writes in flight: each unsynced write keeps a prefix of its sectors",
    },
    FaultRow {
        name: "lost-write",
        rates: &["faults.storage.lost_write_per_day"],
        params: &[],
        effect: "the next sync succeeds but its last write never persists",
    },
    FaultRow {
        name: "misdirected-write",
        rates: &["faults.storage.misdirected_write_per_day"],
        params: &[],
        effect: "the next write lands a few sectors from its target",
    },
    FaultRow {
        name: "sync-failure",
        rates: &["faults.storage.sync_failure_per_day"],
        params: &[],
        effect: "the next sync fails and every unsynced write is gone",
    },
    FaultRow {
        name: "disk-full",
        rates: &["faults.storage.disk_full_per_day"],
        params: &[],
        effect: "writes to new sectors fail with no space until disk_full_for passes",
    },
    FaultRow {
        name: "device-loss",
        rates: &["faults.storage.device_loss_per_day"],
        params: &[],
        effect: "the volume is replaced blank; its node reboots (a handset is replaced)",
    },
    FaultRow {
        name: "partition",
        rates: &["faults.network.partition_per_link_day"],
        params: &["faults.network.partition_for"],
        effect: "a handset's link to the server, or the server's links to the databases, cut: every message dropped",
    },
    FaultRow {
        name: "offline",
        rates: &["faults.network.offline_per_handset_day"],
        params: &["faults.network.offline_for"],
        effect: "the handset is off the network for days while its user keeps editing",
    },
    FaultRow {
        name: "packet-loss",
        rates: &["faults.network.packet_loss_per_link_day"],
        params: &["faults.network.loss_share"],
        effect: "for a window, messages on the link dropped at random",
    },
    FaultRow {
        name: "duplication",
        rates: &["faults.network.duplication_per_link_day"],
        params: &["faults.network.duplicate_share"],
        effect: "for a window, messages on the link delivered twice, the copy trailing by up to hold_for",
    },
    FaultRow {
        name: "reordering",
        rates: &["faults.network.reordering_per_link_day"],
        params: &["faults.network.reorder_share"],
        effect: "for a window, messages on the link held up to hold_for, so later messages overtake them",
    },
    FaultRow {
        name: "long-delay",
        rates: &["faults.network.long_delay_per_link_day"],
        params: &["faults.network.delay_share"],
        effect: "for a window, messages on the link delayed by hours (up to delay_for)",
    },
    FaultRow {
        name: "transit-corruption",
        rates: &["faults.network.transit_corruption_per_link_day"],
        params: &["faults.network.corrupt_share"],
        effect: "for a window, bytes of messages on the link garbled in transit; a frame that still decodes is acted on unless sealed",
    },
    FaultRow {
        name: "clock-reset",
        rates: &["faults.clock_reset_per_handset_day"],
        params: &[],
        effect: "battery pull that drains the clock: as battery-pull, and the handset's clock reads the epoch from then on",
    },
    FaultRow {
        name: "clock-skew",
        rates: &["faults.clock_skew_per_handset_day"],
        params: &["faults.clock_skew_max"],
        effect: "the handset's clock steps by a skew drawn from [-clock_skew_max, clock_skew_max]",
    },
    FaultRow {
        name: "stale-restore",
        rates: &["faults.incidents.stale_restore_per_day"],
        params: &[],
        effect: "the operator restores the primary from the backup's last image over newer data",
    },
    FaultRow {
        name: "wrong-account-restore",
        rates: &["faults.incidents.wrong_account_restore_per_day"],
        params: &[],
        effect: "the operator restores one user's backed-up account into another user's account",
    },
    FaultRow {
        name: "failover",
        rates: &["faults.incidents.failover_per_day"],
        params: &[],
        effect: "the primary's volume is lost; the backup's last image is promoted in its place",
    },
    FaultRow {
        name: "backup-stopped",
        rates: &["faults.incidents.backup_stopped_per_day"],
        params: &[],
        effect: "the next backup job stops part-way; the partial image replaces the backup, reported as success",
    },
    FaultRow {
        name: "backup-silent-failure",
        rates: &["faults.incidents.backup_silent_failure_per_day"],
        params: &[],
        effect: "the next backup job sends nothing but reports success",
    },
    FaultRow {
        name: "retention-purge",
        rates: &["faults.incidents.retention_purge_per_day"],
        params: &[],
        effect: "retention deletes the backup's last image to make room",
    },
    FaultRow {
        name: "schema-migration",
        rates: &["faults.incidents.schema_migration_per_day"],
        params: &[],
        effect: "a migration of the primary drops every photo, or one field of every row",
    },
    FaultRow {
        name: "upgrade-rollback",
        rates: &["faults.incidents.upgrade_rollback_per_day"],
        params: &[],
        effect: "an upgrade rolled back half-way: rows the new version rewrote are dropped",
    },
    FaultRow {
        name: "version-skew",
        rates: &["faults.incidents.version_skew_per_day"],
        params: &["faults.incidents.version_skew_for"],
        effect: "for version_skew_for the server acknowledges old handsets' pushes it cannot parse and drops",
    },
];
