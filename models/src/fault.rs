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
    /// The fault's kind, without its parameters.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::BatteryPull { .. } => FaultKind::BatteryPull,
            Fault::MidSyncPull { .. } => FaultKind::MidSyncPull,
            Fault::EditRace { .. } => FaultKind::EditRace,
            Fault::FactoryReset => FaultKind::FactoryReset,
            Fault::BotchedUpgrade { .. } => FaultKind::BotchedUpgrade,
            Fault::NodeCrash { .. } => FaultKind::NodeCrash,
            Fault::BitRot => FaultKind::BitRot,
            Fault::LatentSectorError => FaultKind::LatentSectorError,
            Fault::TornWrite { .. } => FaultKind::TornWrite,
            Fault::LostWrite => FaultKind::LostWrite,
            Fault::MisdirectedWrite => FaultKind::MisdirectedWrite,
            Fault::SyncFailure => FaultKind::SyncFailure,
            Fault::DiskFull { .. } => FaultKind::DiskFull,
            Fault::DeviceLoss { .. } => FaultKind::DeviceLoss,
            Fault::Partition { .. } => FaultKind::Partition,
            Fault::Offline { .. } => FaultKind::Offline,
            Fault::PacketLoss { .. } => FaultKind::PacketLoss,
            Fault::Duplication { .. } => FaultKind::Duplication,
            Fault::Reordering { .. } => FaultKind::Reordering,
            Fault::LongDelay { .. } => FaultKind::LongDelay,
            Fault::TransitCorruption { .. } => FaultKind::TransitCorruption,
            Fault::ClockReset { .. } => FaultKind::ClockReset,
            Fault::ClockSkew { .. } => FaultKind::ClockSkew,
            Fault::StaleRestore => FaultKind::StaleRestore,
            Fault::WrongAccountRestore => FaultKind::WrongAccountRestore,
            Fault::Failover { .. } => FaultKind::Failover,
            Fault::BackupStopped => FaultKind::BackupStopped,
            Fault::BackupSilentFailure => FaultKind::BackupSilentFailure,
            Fault::RetentionPurge => FaultKind::RetentionPurge,
            Fault::SchemaMigration => FaultKind::SchemaMigration,
            Fault::UpgradeRollback => FaultKind::UpgradeRollback,
            Fault::VersionSkew { .. } => FaultKind::VersionSkew,
        }
    }

    /// The stable name of the kind (used in the trace and the coverage table).
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Whether this is a network fault.
    pub fn is_network(&self) -> bool {
        self.kind().class() == FaultClass::Network
    }

    /// Whether this is a storage fault (one of the disk fault table's), which
    /// the fault atlas bounds.
    pub fn is_storage(&self) -> bool {
        self.kind().class() == FaultClass::Storage
    }

    /// Whether this is an operator, backup or upgrade incident, which the
    /// fault atlas counts as a hit on its target's failure domain, like a
    /// storage fault.
    pub fn is_incident(&self) -> bool {
        self.kind().class() == FaultClass::Incident
    }
}

/// A kind of fault, without its parameters: what a plan's `kind` names.
/// Its name, class, scenario keys and documented effect are its row of
/// [`FAULT_TABLE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// [`Fault::BatteryPull`].
    BatteryPull,
    /// [`Fault::MidSyncPull`].
    MidSyncPull,
    /// [`Fault::EditRace`].
    EditRace,
    /// [`Fault::FactoryReset`].
    FactoryReset,
    /// [`Fault::BotchedUpgrade`].
    BotchedUpgrade,
    /// [`Fault::NodeCrash`].
    NodeCrash,
    /// [`Fault::BitRot`].
    BitRot,
    /// [`Fault::LatentSectorError`].
    LatentSectorError,
    /// [`Fault::TornWrite`].
    TornWrite,
    /// [`Fault::LostWrite`].
    LostWrite,
    /// [`Fault::MisdirectedWrite`].
    MisdirectedWrite,
    /// [`Fault::SyncFailure`].
    SyncFailure,
    /// [`Fault::DiskFull`].
    DiskFull,
    /// [`Fault::DeviceLoss`].
    DeviceLoss,
    /// [`Fault::Partition`].
    Partition,
    /// [`Fault::Offline`].
    Offline,
    /// [`Fault::PacketLoss`].
    PacketLoss,
    /// [`Fault::Duplication`].
    Duplication,
    /// [`Fault::Reordering`].
    Reordering,
    /// [`Fault::LongDelay`].
    LongDelay,
    /// [`Fault::TransitCorruption`].
    TransitCorruption,
    /// [`Fault::ClockReset`].
    ClockReset,
    /// [`Fault::ClockSkew`].
    ClockSkew,
    /// [`Fault::StaleRestore`].
    StaleRestore,
    /// [`Fault::WrongAccountRestore`].
    WrongAccountRestore,
    /// [`Fault::Failover`].
    Failover,
    /// [`Fault::BackupStopped`].
    BackupStopped,
    /// [`Fault::BackupSilentFailure`].
    BackupSilentFailure,
    /// [`Fault::RetentionPurge`].
    RetentionPurge,
    /// [`Fault::SchemaMigration`].
    SchemaMigration,
    /// [`Fault::UpgradeRollback`].
    UpgradeRollback,
    /// [`Fault::VersionSkew`].
    VersionSkew,
}

impl FaultKind {
    /// The kind's row of the fault table.
    pub fn row(self) -> &'static FaultRow {
        &FAULT_TABLE[self as usize]
    }

    /// The kind's name, as plans, traces and reports print it.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// The kind's class.
    pub fn class(self) -> FaultClass {
        self.row().class
    }

    /// Every kind, in table order.
    pub fn all() -> impl Iterator<Item = FaultKind> {
        FAULT_TABLE.iter().map(|row| row.kind)
    }

    /// Every kind of `class`, in table order.
    pub fn of_class(class: FaultClass) -> impl Iterator<Item = FaultKind> {
        Self::all().filter(move |k| k.class() == class)
    }

    /// The kind named `name`, if the table has one; an unknown name is
    /// `None`, never another kind.
    pub fn parse(name: &str) -> Option<FaultKind> {
        Self::all().find(|k| k.name() == name)
    }

    /// How `--explain` calls the kind in a sentence: `reset` for
    /// `factory-reset`, `bit rot` for `bit-rot`.
    pub fn words(self) -> String {
        match self.row().called {
            Some(words) => words.to_string(),
            None => self.name().replace('-', " "),
        }
    }

    /// What the kind did when it fired, as `--explain` says it.
    pub fn fired(self) -> &'static str {
        self.row().fired.unwrap_or(self.row().effect)
    }
}

/// A fault in a line, as shrink and reports list it: its kind's name.
impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind().name())
    }
}

impl sim::plan::PlanFault for Fault {
    fn kind_name(&self) -> String {
        self.kind().name().to_string()
    }

    fn class_name(&self) -> String {
        self.kind().class().name().to_string()
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What part of the system a fault kind strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultClass {
    /// A node or device loses power, crashes or is reset.
    Node,
    /// A whole storage array fails.
    Array,
    /// One volume's storage misbehaves.
    Storage,
    /// A network link misbehaves.
    Network,
    /// A device's clock jumps.
    Clock,
    /// An operator, backup or upgrade incident.
    Incident,
}

impl FaultClass {
    /// The class's name, as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            FaultClass::Node => "node",
            FaultClass::Array => "array",
            FaultClass::Storage => "storage",
            FaultClass::Network => "network",
            FaultClass::Clock => "clock",
            FaultClass::Incident => "incident",
        }
    }
}

impl std::fmt::Display for FaultClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One row of the fault table: a fault kind, the scenario keys that set it,
/// and its documented effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultRow {
    /// The kind this row describes; rows are in [`FaultKind`] order.
    pub kind: FaultKind,
    /// The kind's name, as plans, traces and reports print it.
    pub name: &'static str,
    /// What part of the system it strikes.
    pub class: FaultClass,
    /// How `--explain` calls it, when not its name with spaces.
    pub called: Option<&'static str>,
    /// What it did when it fired, as `--explain` says it, when shorter
    /// than [`FaultRow::effect`].
    pub fired: Option<&'static str>,
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
        kind: FaultKind::BatteryPull,
        name: "battery-pull",
        class: FaultClass::Node,
        called: None,
        fired: Some("the handset lost power and its unsynced writes"),
        rates: &["faults.battery_pull_per_handset_day", "faults.aftermath.battery_pull_probability"],
        params: &[],
        effect: "handset loses power: unsynced flash writes dropped, crash boot after battery_pull_down_for",
    },
    FaultRow {
        kind: FaultKind::MidSyncPull,
        name: "mid-sync-pull",
        class: FaultClass::Node,
        called: None,
        fired: None,
        rates: &["faults.mid_sync_pull_per_handset_day"],
        params: &["faults.mid_sync_pull_window"],
        effect: "handset loses power at a step of a sync exchange (before its request leaves; after the primary committed its push, before it hears; while its restore is on the way), the first time the step comes within the window; skipped if none comes",
    },
    FaultRow {
        kind: FaultKind::EditRace,
        name: "edit-race",
        class: FaultClass::Node,
        called: None,
        fired: None,
        rates: &["faults.edit_race_per_handset_day"],
        params: &["faults.edit_race_window", "faults.edit_race_delay_max"],
        effect: "the user edits a record while the handset's push of its previous version is in flight, then after a drawn delay the handset is reset or loses power; skipped if no push comes within the window",
    },
    FaultRow {
        kind: FaultKind::FactoryReset,
        name: "factory-reset",
        class: FaultClass::Node,
        called: Some("reset"),
        fired: Some("the user wiped the handset, which boots blank and restores from the server"),
        rates: &["faults.reset_per_handset_day", "faults.aftermath.reset_probability"],
        params: &[],
        effect: "handset flash wiped, boots blank and restores from the server; unsynced saved versions forfeited",
    },
    FaultRow {
        kind: FaultKind::BotchedUpgrade,
        name: "botched-upgrade",
        class: FaultClass::Array,
        called: None,
        fired: Some("every volume on the array destroyed, its databases down"),
        rates: &[],
        params: &["faults.upgrades"],
        effect: "every volume of the array destroyed; its database nodes come back blank after the downtime",
    },
    FaultRow {
        kind: FaultKind::NodeCrash,
        name: "node-crash",
        class: FaultClass::Node,
        called: Some("crash"),
        fired: Some("the node lost power and its unsynced writes"),
        rates: &["faults.server_crash_per_day", "faults.db_crash_per_day"],
        params: &[],
        effect: "sync server or database node loses power: unsynced writes dropped, crash boot after node_down_for",
    },
    FaultRow {
        kind: FaultKind::BitRot,
        name: "bit-rot",
        class: FaultClass::Storage,
        called: None,
        fired: None,
        rates: &["faults.storage.bit_rot_per_day"],
        params: &[],
        effect: "a live sector of the volume silently corrupted; reads return wrong bytes",
    },
    FaultRow {
        kind: FaultKind::LatentSectorError,
        name: "latent-sector-error",
        class: FaultClass::Storage,
        called: None,
        fired: None,
        rates: &["faults.storage.latent_sector_error_per_day"],
        params: &[],
        effect: "a live sector of the volume unreadable until rewritten",
    },
    FaultRow {
        kind: FaultKind::TornWrite,
        name: "torn-write",
        class: FaultClass::Storage,
        called: None,
        fired: None,
        rates: &["faults.storage.torn_write_per_day"],
        params: &[],
        effect: "power loss with writes in flight: each unsynced write keeps a prefix of its sectors",
    },
    FaultRow {
        kind: FaultKind::LostWrite,
        name: "lost-write",
        class: FaultClass::Storage,
        called: None,
        fired: None,
        rates: &["faults.storage.lost_write_per_day"],
        params: &[],
        effect: "the next sync succeeds but its last write never persists",
    },
    FaultRow {
        kind: FaultKind::MisdirectedWrite,
        name: "misdirected-write",
        class: FaultClass::Storage,
        called: None,
        fired: None,
        rates: &["faults.storage.misdirected_write_per_day"],
        params: &[],
        effect: "the next write lands a few sectors from its target",
    },
    FaultRow {
        kind: FaultKind::SyncFailure,
        name: "sync-failure",
        class: FaultClass::Storage,
        called: None,
        fired: None,
        rates: &["faults.storage.sync_failure_per_day"],
        params: &[],
        effect: "the next sync fails and every unsynced write is gone",
    },
    FaultRow {
        kind: FaultKind::DiskFull,
        name: "disk-full",
        class: FaultClass::Storage,
        called: None,
        fired: None,
        rates: &["faults.storage.disk_full_per_day"],
        params: &[],
        effect: "writes to new sectors fail with no space until disk_full_for passes",
    },
    FaultRow {
        kind: FaultKind::DeviceLoss,
        name: "device-loss",
        class: FaultClass::Storage,
        called: None,
        fired: None,
        rates: &["faults.storage.device_loss_per_day"],
        params: &[],
        effect: "the volume is replaced blank; its node reboots (a handset is replaced)",
    },
    FaultRow {
        kind: FaultKind::Partition,
        name: "partition",
        class: FaultClass::Network,
        called: None,
        fired: None,
        rates: &["faults.network.partition_per_link_day"],
        params: &["faults.network.partition_for"],
        effect: "a handset's link to the server, or the server's links to the databases, cut: every message dropped",
    },
    FaultRow {
        kind: FaultKind::Offline,
        name: "offline",
        class: FaultClass::Network,
        called: None,
        fired: None,
        rates: &["faults.network.offline_per_handset_day"],
        params: &["faults.network.offline_for"],
        effect: "the handset is off the network for days while its user keeps editing",
    },
    FaultRow {
        kind: FaultKind::PacketLoss,
        name: "packet-loss",
        class: FaultClass::Network,
        called: None,
        fired: None,
        rates: &["faults.network.packet_loss_per_link_day"],
        params: &["faults.network.loss_share"],
        effect: "for a window, messages on the link dropped at random",
    },
    FaultRow {
        kind: FaultKind::Duplication,
        name: "duplication",
        class: FaultClass::Network,
        called: None,
        fired: None,
        rates: &["faults.network.duplication_per_link_day"],
        params: &["faults.network.duplicate_share"],
        effect: "for a window, messages on the link delivered twice, the copy trailing by up to hold_for",
    },
    FaultRow {
        kind: FaultKind::Reordering,
        name: "reordering",
        class: FaultClass::Network,
        called: None,
        fired: None,
        rates: &["faults.network.reordering_per_link_day"],
        params: &["faults.network.reorder_share"],
        effect: "for a window, messages on the link held up to hold_for, so later messages overtake them",
    },
    FaultRow {
        kind: FaultKind::LongDelay,
        name: "long-delay",
        class: FaultClass::Network,
        called: None,
        fired: None,
        rates: &["faults.network.long_delay_per_link_day"],
        params: &["faults.network.delay_share"],
        effect: "for a window, messages on the link delayed by hours (up to delay_for)",
    },
    FaultRow {
        kind: FaultKind::TransitCorruption,
        name: "transit-corruption",
        class: FaultClass::Network,
        called: None,
        fired: None,
        rates: &["faults.network.transit_corruption_per_link_day"],
        params: &["faults.network.corrupt_share"],
        effect: "for a window, bytes of messages on the link garbled in transit; a frame that still decodes is acted on unless sealed",
    },
    FaultRow {
        kind: FaultKind::ClockReset,
        name: "clock-reset",
        class: FaultClass::Clock,
        called: None,
        fired: None,
        rates: &["faults.clock_reset_per_handset_day"],
        params: &[],
        effect: "battery pull that drains the clock: as battery-pull, and the handset's clock reads the epoch from then on",
    },
    FaultRow {
        kind: FaultKind::ClockSkew,
        name: "clock-skew",
        class: FaultClass::Clock,
        called: None,
        fired: None,
        rates: &["faults.clock_skew_per_handset_day"],
        params: &["faults.clock_skew_max"],
        effect: "the handset's clock steps by a skew drawn from [-clock_skew_max, clock_skew_max]",
    },
    FaultRow {
        kind: FaultKind::StaleRestore,
        name: "stale-restore",
        class: FaultClass::Incident,
        called: None,
        fired: None,
        rates: &["faults.incidents.stale_restore_per_day"],
        params: &[],
        effect: "the operator restores the primary from the backup's last image over newer data",
    },
    FaultRow {
        kind: FaultKind::WrongAccountRestore,
        name: "wrong-account-restore",
        class: FaultClass::Incident,
        called: None,
        fired: None,
        rates: &["faults.incidents.wrong_account_restore_per_day"],
        params: &[],
        effect: "the operator restores one user's backed-up account into another user's account",
    },
    FaultRow {
        kind: FaultKind::Failover,
        name: "failover",
        class: FaultClass::Incident,
        called: None,
        fired: None,
        rates: &["faults.incidents.failover_per_day"],
        params: &[],
        effect: "the primary's volume is lost; the backup's last image is promoted in its place",
    },
    FaultRow {
        kind: FaultKind::BackupStopped,
        name: "backup-stopped",
        class: FaultClass::Incident,
        called: None,
        fired: None,
        rates: &["faults.incidents.backup_stopped_per_day"],
        params: &[],
        effect: "the next backup job stops part-way; the partial image replaces the backup, reported as success",
    },
    FaultRow {
        kind: FaultKind::BackupSilentFailure,
        name: "backup-silent-failure",
        class: FaultClass::Incident,
        called: None,
        fired: None,
        rates: &["faults.incidents.backup_silent_failure_per_day"],
        params: &[],
        effect: "the next backup job sends nothing but reports success",
    },
    FaultRow {
        kind: FaultKind::RetentionPurge,
        name: "retention-purge",
        class: FaultClass::Incident,
        called: None,
        fired: None,
        rates: &["faults.incidents.retention_purge_per_day"],
        params: &[],
        effect: "retention deletes the backup's last image to make room",
    },
    FaultRow {
        kind: FaultKind::SchemaMigration,
        name: "schema-migration",
        class: FaultClass::Incident,
        called: None,
        fired: None,
        rates: &["faults.incidents.schema_migration_per_day"],
        params: &[],
        effect: "a migration of the primary drops every photo, or one field of every row",
    },
    FaultRow {
        kind: FaultKind::UpgradeRollback,
        name: "upgrade-rollback",
        class: FaultClass::Incident,
        called: None,
        fired: None,
        rates: &["faults.incidents.upgrade_rollback_per_day"],
        params: &[],
        effect: "an upgrade rolled back half-way: rows the new version rewrote are dropped",
    },
    FaultRow {
        kind: FaultKind::VersionSkew,
        name: "version-skew",
        class: FaultClass::Incident,
        called: None,
        fired: None,
        rates: &["faults.incidents.version_skew_per_day"],
        params: &["faults.incidents.version_skew_for"],
        effect: "for version_skew_for the server acknowledges old handsets' pushes it cannot parse and drops",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_row_per_kind_in_kind_order_with_unique_names() {
        for (i, row) in FAULT_TABLE.iter().enumerate() {
            assert_eq!(row.kind as usize, i, "{} is out of order", row.name);
            assert_eq!(FaultKind::parse(row.name), Some(row.kind));
        }
        assert_eq!(FaultKind::parse("bit rot"), None);
        assert_eq!(FaultKind::parse("battery"), None);
        assert_eq!(FaultKind::FactoryReset.words(), "reset");
        assert_eq!(FaultKind::BitRot.words(), "bit rot");
        assert_eq!(FaultKind::of_class(FaultClass::Network).count(), 7);
        assert_eq!(FaultKind::of_class(FaultClass::Storage).count(), 8);
        assert_eq!(FaultKind::of_class(FaultClass::Incident).count(), 9);
    }

    #[test]
    fn every_fault_names_its_own_kind() {
        let faults = [
            Fault::FactoryReset,
            Fault::BitRot,
            Fault::DeviceLoss { down_for_ms: 1 },
            Fault::VersionSkew { for_ms: 1 },
            Fault::ClockSkew { skew_ms: -1 },
        ];
        for f in faults {
            assert_eq!(FaultKind::parse(f.name()), Some(f.kind()));
        }
    }
}
