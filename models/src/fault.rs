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
}

impl Fault {
    /// The stable name of the kind (used in the trace and the coverage table).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::BatteryPull { .. } => "battery-pull",
            Fault::FactoryReset => "factory-reset",
            Fault::BotchedUpgrade { .. } => "botched-upgrade",
            Fault::NodeCrash { .. } => "node-crash",
        }
    }
}

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
];
