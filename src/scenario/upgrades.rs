//! The `[[faults.upgrades]]` entries: an operator's storage upgrade and what follows it.

use super::*;

/// The storage arrays an upgrade may target.
pub const STORAGE_ARRAYS: [&str; 2] = ["array-a", "array-b"];

/// The most entries `[[faults.upgrades]]` may have.
pub const MAX_UPGRADES: usize = 1_000;

/// `[[faults.upgrades]]`: one botched firmware upgrade of a storage array,
/// which is down for `downtime` and comes back with its volumes blank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upgrade {
    /// The array upgraded: one of [`STORAGE_ARRAYS`].
    pub array: String,
    /// When the upgrade starts, since the start of the run
    /// (< `run.duration`).
    #[serde(with = "as_text")]
    pub at: Duration,
    /// How long the array is down (> 0).
    #[serde(with = "as_text")]
    pub downtime: Duration,
}

/// `[faults.aftermath]`: user reactions to each upgrade's outage. For every
/// upgrade and every handset, each reaction happens with its probability, at
/// a time drawn uniformly from `[at, at + window)` of that upgrade.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Aftermath {
    /// Length of the reaction window, from the start of the upgrade
    /// (> 0 when either probability is above 0; default 0).
    #[serde(with = "as_text")]
    pub window: Duration,
    /// Chance (0 to 1) that a handset is factory-reset in the window.
    pub reset_probability: f64,
    /// Chance (0 to 1) that a handset has its battery pulled in the window.
    pub battery_pull_probability: f64,
}

impl Upgrade {
    pub(super) fn validate(&self, at: KeyPath, run_duration: Duration) -> Check {
        ensure(
            STORAGE_ARRAYS.contains(&self.array.as_str()),
            at.clone().key("array"),
            || {
                format!(
                    "must be one of {}, got `{}`",
                    STORAGE_ARRAYS.join(", "),
                    self.array
                )
            },
        )?;
        ensure(self.at < run_duration, at.clone().key("at"), || {
            format!(
                "must be before the end of the run (run.duration = {}), got {}",
                duration::format(run_duration),
                duration::format(self.at)
            )
        })?;
        positive(at.key("downtime"), self.downtime)
    }
}

impl Aftermath {
    pub(super) fn validate(&self) -> Check {
        let at = |key| KeyPath::of(&["faults", "aftermath", key]);
        probability(at("reset_probability"), self.reset_probability)?;
        probability(
            at("battery_pull_probability"),
            self.battery_pull_probability,
        )?;
        let reacts = self.reset_probability > 0.0 || self.battery_pull_probability > 0.0;
        ensure(!reacts || !self.window.is_zero(), at("window"), || {
            "must be longer than 0 when reset_probability or \
             battery_pull_probability is above 0"
                .to_string()
        })
    }
}
