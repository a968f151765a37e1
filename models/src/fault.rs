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
            Fault::ClockReset { .. } => "clock-reset",
            Fault::ClockSkew { .. } => "clock-skew",
        }
    }

    /// Whether this is a storage fault (one of the disk fault table's), which
    /// the fault atlas bounds.
    pub fn is_storage(&self) -> bool {
        STORAGE_FAULTS.contains(&self.name())
    }
}

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

/// The names of the clock faults (two writers' scenarios), in table order.
pub const CLOCK_FAULTS: [&str; 2] = ["clock-reset", "clock-skew"];

/// The fault table: name, the scenario knob that sets it, and its effect.
pub const FAULT_TABLE: &[(&str, &str, &str)] = &[
    (
        "battery-pull",
        "faults.battery_pull_per_handset_day, faults.aftermath.battery_pull_probability",
        "handset loses power: unsynced flash writes dropped, crash boot after battery_pull_down_for",
    ),
    (
        "factory-reset",
        "faults.reset_per_handset_day, faults.aftermath.reset_probability",
        "handset flash wiped, boots blank and restores from the server; unsynced saved versions forfeited",
    ),
    (
        "botched-upgrade",
        "faults.upgrades",
        "every volume of the array destroyed; its database nodes come back blank after the downtime",
    ),
    (
        "node-crash",
        "faults.server_crash_per_day, faults.db_crash_per_day",
        "sync server or database node loses power: unsynced writes dropped, crash boot after node_down_for",
    ),
    (
        "bit-rot",
        "faults.storage.bit_rot_per_day",
        "a live sector of the volume silently corrupted; reads return wrong bytes",
    ),
    (
        "latent-sector-error",
        "faults.storage.latent_sector_error_per_day",
        "a live sector of the volume unreadable until rewritten",
    ),
    (
        "torn-write",
        "faults.storage.torn_write_per_day",
        "power loss with writes in flight: each unsynced write keeps a prefix of its sectors",
    ),
    (
        "lost-write",
        "faults.storage.lost_write_per_day",
        "the next sync succeeds but its last write never persists",
    ),
    (
        "misdirected-write",
        "faults.storage.misdirected_write_per_day",
        "the next write lands a few sectors from its target",
    ),
    (
        "sync-failure",
        "faults.storage.sync_failure_per_day",
        "the next sync fails and every unsynced write is gone",
    ),
    (
        "disk-full",
        "faults.storage.disk_full_per_day",
        "writes to new sectors fail with no space until disk_full_for passes",
    ),
    (
        "device-loss",
        "faults.storage.device_loss_per_day",
        "the volume is replaced blank; its node reboots (a handset is replaced)",
    ),
    (
        "clock-reset",
        "faults.clock_reset_per_handset_day",
        "battery pull that drains the clock: as battery-pull, and the handset's clock reads the epoch from then on",
    ),
    (
        "clock-skew",
        "faults.clock_skew_per_handset_day, faults.clock_skew_max",
        "the handset's clock steps by a skew drawn from [-clock_skew_max, clock_skew_max]",
    ),
];
