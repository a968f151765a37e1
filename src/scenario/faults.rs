//! The `[faults]` section: every fault's rate, and the sections under it.

use super::*;

/// `[faults]`: what goes wrong during the safety phase. Every key has a
/// default, and every default injects nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Mean battery pulls (power loss, losing unsynced writes) per handset
    /// per simulated day (>= 0; default 0).
    pub battery_pull_per_handset_day: f64,
    /// How long a handset stays off after a battery pull (default 5m).
    #[serde(with = "as_text")]
    pub battery_pull_down_for: Duration,
    /// Mean battery pulls per handset per simulated day that strike at a
    /// step of a sync exchange (>= 0; default 0): each is armed at a time
    /// drawn from this rate and strikes at a step drawn uniformly.
    pub mid_sync_pull_per_handset_day: f64,
    /// How long an armed mid-sync pull waits for its step before it is
    /// skipped (> 0; default 6h).
    #[serde(with = "as_text")]
    pub mid_sync_pull_window: Duration,
    /// Mean edit races per handset per simulated day (>= 0; default 0):
    /// each is armed at a time drawn from this rate and fires at the
    /// handset's next sync push of a record it shows; the user edits that
    /// record at once, then after a delay drawn up to `edit_race_delay_max`
    /// the handset is reset or loses power (see `models::fault::Fault::EditRace`).
    pub edit_race_per_handset_day: f64,
    /// How long an armed edit race waits for a push before it is skipped
    /// (> 0; default 6h).
    #[serde(with = "as_text")]
    pub edit_race_window: Duration,
    /// The longest delay from an edit race's edit to its reset or power
    /// loss (> 0; default 1s, about the time a handset takes to push again).
    #[serde(with = "as_text")]
    pub edit_race_delay_max: Duration,
    /// Mean factory resets (local store wiped, refetched from the server) per
    /// handset per simulated day (>= 0; default 0).
    pub reset_per_handset_day: f64,
    /// Mean crashes of the sync server per simulated day (>= 0; default 0).
    pub server_crash_per_day: f64,
    /// Mean crashes of each database node per simulated day
    /// (>= 0; default 0).
    pub db_crash_per_day: f64,
    /// How long a crashed server or database node stays down (default 5m).
    #[serde(with = "as_text")]
    pub node_down_for: Duration,
    /// How long before an upgrade the operator knows it is coming, and so
    /// may prepare (default 1h).
    #[serde(with = "as_text")]
    pub maintenance_notice: Duration,
    /// Botched storage firmware upgrades, in any order (default none).
    pub upgrades: Vec<Upgrade>,
    /// How users react after each upgrade (default: not at all).
    pub aftermath: Aftermath,
    /// Storage faults on database volumes and handset flash (default: none).
    pub storage: StorageFaults,
    /// Network faults on the handset-server and server-database links
    /// (default: none).
    pub network: NetworkFaults,
    /// Mean clock resets (a battery pull that also drains the clock, which
    /// then reads the epoch) per handset per simulated day (>= 0; default 0).
    pub clock_reset_per_handset_day: f64,
    /// Mean clock skews (the clock steps by up to `clock_skew_max` either
    /// way) per handset per simulated day (>= 0; default 0).
    pub clock_skew_per_handset_day: f64,
    /// The largest clock skew step (> 0; default 1h).
    #[serde(with = "as_text")]
    pub clock_skew_max: Duration,
    /// Operator, backup and upgrade incidents (default: none).
    pub incidents: Incidents,
    /// The survivable atlas (`crate::survivable`; default false): storage
    /// faults and resets land, when they fire, only where every
    /// acknowledged version they would strike keeps another live copy;
    /// the others are skipped, traced and counted. For the mixes no design
    /// could survive otherwise.
    pub survivable: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            battery_pull_per_handset_day: 0.0,
            battery_pull_down_for: Duration::from_secs(5 * 60),
            mid_sync_pull_per_handset_day: 0.0,
            mid_sync_pull_window: Duration::from_secs(6 * 3600),
            edit_race_per_handset_day: 0.0,
            edit_race_window: Duration::from_secs(6 * 3600),
            edit_race_delay_max: Duration::from_secs(1),
            reset_per_handset_day: 0.0,
            server_crash_per_day: 0.0,
            db_crash_per_day: 0.0,
            node_down_for: Duration::from_secs(5 * 60),
            maintenance_notice: Duration::from_secs(3600),
            upgrades: Vec::new(),
            aftermath: Aftermath::default(),
            storage: StorageFaults::default(),
            network: NetworkFaults::default(),
            clock_reset_per_handset_day: 0.0,
            clock_skew_per_handset_day: 0.0,
            clock_skew_max: Duration::from_secs(3600),
            incidents: Incidents::default(),
            survivable: false,
        }
    }
}

impl Faults {
    pub(super) fn validate(&self, run_duration: Duration) -> Check {
        let at = |key| KeyPath::of(&["faults", key]);
        let per_handset_day = "handset per day";
        rate(
            at("battery_pull_per_handset_day"),
            self.battery_pull_per_handset_day,
            per_handset_day,
        )?;
        rate(
            at("mid_sync_pull_per_handset_day"),
            self.mid_sync_pull_per_handset_day,
            per_handset_day,
        )?;
        positive(at("mid_sync_pull_window"), self.mid_sync_pull_window)?;
        rate(
            at("edit_race_per_handset_day"),
            self.edit_race_per_handset_day,
            per_handset_day,
        )?;
        positive(at("edit_race_window"), self.edit_race_window)?;
        positive(at("edit_race_delay_max"), self.edit_race_delay_max)?;
        rate(
            at("reset_per_handset_day"),
            self.reset_per_handset_day,
            per_handset_day,
        )?;
        rate(at("server_crash_per_day"), self.server_crash_per_day, "day")?;
        rate(
            at("db_crash_per_day"),
            self.db_crash_per_day,
            "node per day",
        )?;
        let n = self.upgrades.len();
        ensure(n <= MAX_UPGRADES, at("upgrades"), || {
            format!("may have at most {MAX_UPGRADES} entries, got {n}")
        })?;
        for (i, upgrade) in self.upgrades.iter().enumerate() {
            upgrade.validate(at("upgrades").index(i), run_duration)?;
        }
        self.storage.validate()?;
        self.network.validate()?;
        rate(
            at("clock_reset_per_handset_day"),
            self.clock_reset_per_handset_day,
            per_handset_day,
        )?;
        rate(
            at("clock_skew_per_handset_day"),
            self.clock_skew_per_handset_day,
            per_handset_day,
        )?;
        positive(at("clock_skew_max"), self.clock_skew_max)?;
        self.incidents.validate()?;
        self.aftermath.validate()
    }
}
