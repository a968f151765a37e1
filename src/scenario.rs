//! Scenarios: what one run simulates, read from a TOML file.
//!
//! A scenario composes a topology, a workload, the faults to inject and the
//! expected verdict of each design preset (see `scenarios/README.md` for every
//! key, its unit and its default). It is loaded by [`Scenario::load`] from a
//! catalogue name (a file `scenarios/NAME.toml` compiled into the binary, see
//! [`CATALOGUE`]) or from a path, then changed by `--set KEY=VALUE` overrides.
//!
//! Error contract: loading never panics. Every unknown key, wrong type or
//! impossible value is a [`ScenarioError::Invalid`] that names the dotted key
//! and where it came from: the file and line, or the `--set` text that put it
//! there. Nothing here reads the clock, the environment or randomness.
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::time::Duration;

use models::design::{BlankBoot, Design, HandsetStore, SavedAck};
use models::engine::sqlite::HandsetEngine;
use models::engine::EngineKind;
use models::fault::{FaultClass, FaultKind};
use models::handset::EXCHANGE_TIMEOUT;
use serde::{Deserialize, Serialize};

use crate::duration::{self, as_text};
use harness::scenario::{
    self, distinct, ensure, non_empty, number, positive, probability, rate, scenario_name, Check,
    KeyPath, Source,
};
pub use harness::scenario::{
    is_valid_name, Origin, ScenarioError, MAX_FILE_BYTES, MAX_KEY_BYTES, MAX_KEY_PARTS,
    MAX_NAME_CHARS, MAX_RATE_PER_DAY,
};

/// Expands to the catalogue: each name `N` is the file `scenarios/N.toml`.
macro_rules! catalogue {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../scenarios/", $name, ".toml")))),*]
    };
}

/// The scenarios compiled into the binary, as `(name, TOML text)`, in the
/// order `lastcopy list` shows them. Adding `scenarios/N.toml` to the
/// catalogue is adding `"N"` to this list; its `name` key must be `N`.
pub const CATALOGUE: &[(&str, &str)] = catalogue![
    "sidekick-2009",
    "battery-pulls",
    "resets-during-outage",
    "disk-rot",
    "torn-writes",
    "lying-disk",
    "partitions",
    "two-writers",
    "double-failure",
    "stale-restore",
    "backup-rot",
    "botched-upgrade",
    "schema-migration",
    "chaos",
    "sqlite-handsets",
    "offline-media",
    "restore-resets",
    "edit-races",
];

/// The storage arrays an upgrade may target.
pub const STORAGE_ARRAYS: [&str; 2] = ["array-a", "array-b"];

/// The most handsets a scenario may simulate.
pub const MAX_HANDSETS: u32 = 10_000;

/// The largest sector size accepted, in bytes (1 MiB).
pub const MAX_SECTOR_SIZE: usize = 1 << 20;

/// The most entries `[[faults.upgrades]]` may have.
pub const MAX_UPGRADES: usize = 1_000;

/// One run's whole configuration. Every field is checked by
/// [`Scenario::load`] / [`Scenario::from_str`]: a value of this type that came
/// from them obeys every rule documented on its fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name; for a catalogue scenario, the catalogue name itself. One
    /// line of 1 to [`MAX_NAME_CHARS`] characters, `[a-z0-9][a-z0-9._-]*`,
    /// so that it can be printed in any output line and file name as it is.
    pub name: String,
    /// One paragraph saying what the scenario reproduces and why.
    pub description: String,
    /// The engine of the primary and backup databases: `"log"` (the
    /// project's own log store, the default) or `"redb"`.
    #[serde(default)]
    pub engine: EngineKind,
    /// The store of the handsets (and web portals): `"log"` (the
    /// project's own log store, the default) or `"sqlite"` (SQLite, with
    /// the design's `sqlite_journal_mode` and `sqlite_synchronous`).
    #[serde(default)]
    pub handset_engine: HandsetEngine,
    /// How many of each simulated machine there are.
    pub topology: Topology,
    /// How long the two phases of a run last.
    pub run: Run,
    /// What the users do.
    pub workload: Workload,
    /// How the operator runs the system (backups, disks).
    #[serde(default)]
    pub system: System,
    /// The faults injected during the safety phase.
    #[serde(default)]
    pub faults: Faults,
    /// The design under test: a preset and knob overrides.
    #[serde(default)]
    pub design: DesignOverrides,
    /// The verdict each design preset must reach, by preset name.
    #[serde(default)]
    pub expect: BTreeMap<String, Expectation>,
    /// How `cargo test` sweeps this scenario.
    #[serde(default)]
    pub test: TestSettings,
    /// Whether the models' buggify sites may take their rare but legal
    /// paths this run (`sim::buggify`; default false: no site draws, so
    /// the trace is the plain run's).
    #[serde(default, skip_serializing_if = "is_false")]
    pub buggify: bool,
    /// How `run --swarm` may draw this scenario's workload, engines and
    /// buggify (default: the workload table's bounds, every engine and
    /// handset engine, buggify drawn).
    #[serde(default, skip_serializing_if = "SwarmBounds::is_default")]
    pub swarm: SwarmBounds,
}

/// `[swarm]`: narrower bounds for what a swarm draws. Every key is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SwarmBounds {
    /// Per key of the workload table (`crate::workload_table`), the factors
    /// `[min, max]` its value is scaled by: within the table's bounds,
    /// `0 < min <= max`.
    pub factors: BTreeMap<String, [f64; 2]>,
    /// The engines the databases may be drawn on, each listed once (empty,
    /// the default: every engine).
    pub engines: Vec<EngineKind>,
    /// The stores the handsets (and portals) may be drawn on, each listed
    /// once (empty, the default: the log store and SQLite).
    pub handset_engines: Vec<HandsetEngine>,
    /// Whether buggify is fixed on or off rather than drawn.
    pub buggify: Option<bool>,
}

impl SwarmBounds {
    fn is_default(&self) -> bool {
        *self == SwarmBounds::default()
    }

    /// The factors `key` (a workload table key) is drawn between: the
    /// scenario's narrowing, else the table's bounds.
    pub fn bounds(&self, key: &str) -> (f64, f64) {
        match self.factors.get(key) {
            Some([min, max]) => (*min, *max),
            None => {
                let row = crate::workload_table::row_of(key)
                    .unwrap_or_else(|| panic!("`{key}` is a key of the workload table"));
                (row.min, row.max)
            }
        }
    }

    /// The engines a swarm draws from, in a fixed order.
    pub fn engines(&self) -> Vec<EngineKind> {
        if self.engines.is_empty() {
            vec![EngineKind::Log, EngineKind::Redb]
        } else {
            self.engines.clone()
        }
    }

    /// The handset stores a swarm draws from, in a fixed order.
    pub fn handset_engines(&self) -> Vec<HandsetEngine> {
        if self.handset_engines.is_empty() {
            HandsetEngine::ALL.to_vec()
        } else {
            self.handset_engines.clone()
        }
    }

    fn validate(&self) -> Check {
        for (key, &[min, max]) in &self.factors {
            let at = KeyPath::of(&["swarm", "factors", key]);
            let row = crate::workload_table::row_of(key);
            ensure(row.is_some(), at.clone(), || {
                let keys: Vec<&str> = crate::workload_table::WORKLOAD_TABLE
                    .iter()
                    .map(|r| r.key)
                    .collect();
                format!("is not a key a swarm draws; keys: {}", keys.join(", "))
            })?;
            let row = row.expect("checked");
            ensure(
                min.is_finite()
                    && max.is_finite()
                    && row.min <= min
                    && min <= max
                    && max <= row.max,
                at,
                || {
                    format!(
                        "must be [min, max] with {} <= min <= max <= {}, got [{}, {}]",
                        row.min,
                        row.max,
                        number(min),
                        number(max)
                    )
                },
            )?;
        }
        distinct(
            KeyPath::of(&["swarm", "engines"]),
            &self
                .engines
                .iter()
                .map(|e| format!("{e:?}"))
                .collect::<Vec<_>>(),
        )?;
        distinct(
            KeyPath::of(&["swarm", "handset_engines"]),
            &self
                .handset_engines
                .iter()
                .map(HandsetEngine::to_string)
                .collect::<Vec<_>>(),
        )
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `[topology]`: the simulated machines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// Number of handsets, one user each (1 to [`MAX_HANDSETS`]).
    pub handsets: u32,
}

/// `[run]`: the safety phase (faults and workload), then the heal phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// Length of the safety phase, during which the workload runs and faults
    /// are injected (> 0).
    #[serde(with = "as_text")]
    pub duration: Duration,
    /// The most the heal phase (no new faults, no new edits) may take before
    /// convergence is declared failed (> 0).
    #[serde(with = "as_text")]
    pub heal_bound: Duration,
    /// How often convergence is checked during the heal phase
    /// (> 0 and <= `heal_bound`; default 1 minute).
    #[serde(with = "as_text", default = "Run::default_converge_check")]
    pub converge_check: Duration,
}

impl Run {
    fn default_converge_check() -> Duration {
        Duration::from_secs(60)
    }
}

/// `[workload]`: what each user does with their handset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Mean edits per handset per simulated day (a Poisson rate, >= 0).
    pub edits_per_handset_day: f64,
    /// Chance (0 to 1) that an edit creates a new record rather than editing
    /// an existing one.
    pub new_record_probability: f64,
    /// Most records one handset holds; at the cap every edit edits (>= 1).
    pub max_records_per_handset: u32,
    /// How often a handset syncs on its own (> 0).
    #[serde(with = "as_text")]
    pub sync_interval: Duration,
    /// Delay from an edit to the sync it triggers.
    #[serde(with = "as_text")]
    pub sync_after_edit: Duration,
    /// Chance (0 to 1) that an edit of an existing record (on the handset
    /// or the portal) deletes it instead (default 0: no deletes).
    #[serde(default)]
    pub delete_probability: f64,
    /// Mean edits per user per simulated day made on the user's web portal,
    /// a second writer of the same records (>= 0; default 0: no portal).
    #[serde(default)]
    pub portal_edits_per_user_day: f64,
    /// Mean extra edits each burst of a handset's edits brings within a short
    /// span, at the same mean rate (0 to [`MAX_BURSTINESS`]; default 0: a
    /// Poisson stream of edits; see
    /// `models::workload::WorkloadConfig::burstiness`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub burstiness: f64,
    /// How long a handset (or portal) waits for the answer to its sync
    /// request before it gives the exchange up and retries later (from
    /// [`MIN_EXCHANGE_TIMEOUT`] to [`MAX_EXCHANGE_TIMEOUT`]; default
    /// [`EXCHANGE_TIMEOUT`], 60 s).
    #[serde(
        with = "as_text",
        default = "Workload::default_exchange_timeout",
        skip_serializing_if = "Workload::is_default_exchange_timeout"
    )]
    pub exchange_timeout: Duration,
}

/// The most `workload.burstiness` may be: bursts of 11 edits on average.
pub const MAX_BURSTINESS: f64 = 10.0;

/// The least `workload.exchange_timeout` may be: a few network round trips.
pub const MIN_EXCHANGE_TIMEOUT: Duration = Duration::from_millis(10);

/// The most `workload.exchange_timeout` may be.
pub const MAX_EXCHANGE_TIMEOUT: Duration = Duration::from_secs(3600);

impl Workload {
    fn default_exchange_timeout() -> Duration {
        EXCHANGE_TIMEOUT
    }

    fn is_default_exchange_timeout(d: &Duration) -> bool {
        *d == EXCHANGE_TIMEOUT
    }

    /// The settings the workload model draws schedules from.
    pub fn config(&self) -> models::workload::WorkloadConfig {
        models::workload::WorkloadConfig {
            edits_per_day: self.edits_per_handset_day,
            new_record_probability: self.new_record_probability,
            max_records: self.max_records_per_handset,
            delete_probability: self.delete_probability,
            portal_edits_per_day: self.portal_edits_per_user_day,
            burstiness: self.burstiness,
        }
    }
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// `[system]`: how the operator runs the service. Every key has a default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct System {
    /// Time between two backups of the primary database (> 0; default 24h,
    /// nightly).
    #[serde(with = "as_text")]
    pub backup_interval: Duration,
    /// Time of the first backup after the start of the run
    /// (< `backup_interval`; default 3h).
    #[serde(with = "as_text")]
    pub backup_offset: Duration,
    /// Sector size of every simulated disk, in bytes: the unit of torn
    /// writes (a power of two from 512 to [`MAX_SECTOR_SIZE`]; default 4096).
    pub sector_size: usize,
    /// The most one message takes in transit: each takes a time drawn
    /// from 1 ms up to this (from 2 ms to [`MAX_LATENCY`]; default 10 ms,
    /// madsim's own).
    #[serde(with = "as_text", skip_serializing_if = "System::is_default_latency")]
    pub network_latency: Duration,
}

/// The most `system.network_latency` may be.
pub const MAX_LATENCY: Duration = Duration::from_secs(10);

impl System {
    /// The default `network_latency`: madsim's own bound, 10 ms.
    pub const DEFAULT_LATENCY: Duration = Duration::from_millis(10);

    fn is_default_latency(d: &Duration) -> bool {
        *d == Self::DEFAULT_LATENCY
    }
}

impl Default for System {
    fn default() -> Self {
        System {
            network_latency: System::DEFAULT_LATENCY,
            backup_interval: Duration::from_secs(24 * 3600),
            backup_offset: Duration::from_secs(3 * 3600),
            sector_size: 4096,
        }
    }
}

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

    fn validate(&self) -> Check {
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

/// The volumes storage faults may hit, as `[faults.storage] targets` names them.
pub const STORAGE_TARGETS: [&str; 3] = ["db-primary", "db-backup", "handsets"];

/// `[faults.storage]`: storage faults (the disk fault table of
/// `sim::disk`), each a rate per target volume per simulated day, bounded by
/// the fault atlas: in each `window`, at most `max_domains` distinct volumes
/// are hit, unless `unbounded`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageFaults {
    /// Which volumes may be hit: any of [`STORAGE_TARGETS`] (`handsets` means
    /// every handset's flash). Default: none.
    pub targets: Vec<String>,
    /// Bit rot: a live sector silently corrupted (per volume per day).
    pub bit_rot_per_day: f64,
    /// Latent sector error: a live sector unreadable until rewritten.
    pub latent_sector_error_per_day: f64,
    /// Power loss while writes are in flight: unsynced writes torn at a
    /// sector boundary; the node reboots after `faults.node_down_for`.
    pub torn_write_per_day: f64,
    /// Lost write: the next sync reports success, its last write never persists.
    pub lost_write_per_day: f64,
    /// Misdirected write: the next write lands a few sectors away.
    pub misdirected_write_per_day: f64,
    /// Sync failure: the next sync fails and what was unsynced is gone.
    pub sync_failure_per_day: f64,
    /// Disk full: writes to new sectors fail for `disk_full_for`.
    pub disk_full_per_day: f64,
    /// How long a disk stays full before space is freed (default 1h).
    #[serde(with = "as_text")]
    pub disk_full_for: Duration,
    /// Whole-device loss: the volume is replaced blank; the node reboots
    /// after `faults.node_down_for` (a handset's loss is its replacement).
    pub device_loss_per_day: f64,
    /// The atlas window (default 12h).
    #[serde(with = "as_text")]
    pub window: Duration,
    /// The most distinct volumes hit in one window (default 1).
    pub max_domains: u32,
    /// Ignore the atlas: faults land wherever their rates put them.
    pub unbounded: bool,
}

impl Default for StorageFaults {
    fn default() -> Self {
        StorageFaults {
            targets: Vec::new(),
            bit_rot_per_day: 0.0,
            latent_sector_error_per_day: 0.0,
            torn_write_per_day: 0.0,
            lost_write_per_day: 0.0,
            misdirected_write_per_day: 0.0,
            sync_failure_per_day: 0.0,
            disk_full_per_day: 0.0,
            disk_full_for: Duration::from_secs(3600),
            device_loss_per_day: 0.0,
            window: Duration::from_secs(12 * 3600),
            max_domains: 1,
            unbounded: false,
        }
    }
}

impl StorageFaults {
    /// Each storage fault kind and its rate.
    pub fn rates(&self) -> [(FaultKind, f64); 8] {
        [
            (FaultKind::BitRot, self.bit_rot_per_day),
            (
                FaultKind::LatentSectorError,
                self.latent_sector_error_per_day,
            ),
            (FaultKind::TornWrite, self.torn_write_per_day),
            (FaultKind::LostWrite, self.lost_write_per_day),
            (FaultKind::MisdirectedWrite, self.misdirected_write_per_day),
            (FaultKind::SyncFailure, self.sync_failure_per_day),
            (FaultKind::DiskFull, self.disk_full_per_day),
            (FaultKind::DeviceLoss, self.device_loss_per_day),
        ]
    }

    fn validate(&self) -> Check {
        let at = |key| KeyPath::of(&["faults", "storage", key]);
        for (i, t) in self.targets.iter().enumerate() {
            ensure(
                STORAGE_TARGETS.contains(&t.as_str()),
                at("targets").index(i),
                || format!("must be one of {}, got `{t}`", STORAGE_TARGETS.join(", ")),
            )?;
        }
        distinct(at("targets"), &self.targets)?;
        let keys = [
            "bit_rot_per_day",
            "latent_sector_error_per_day",
            "torn_write_per_day",
            "lost_write_per_day",
            "misdirected_write_per_day",
            "sync_failure_per_day",
            "disk_full_per_day",
            "device_loss_per_day",
        ];
        for (key, (_, r)) in keys.into_iter().zip(self.rates()) {
            rate(at(key), r, "volume per day")?;
        }
        positive(at("disk_full_for"), self.disk_full_for)?;
        positive(at("window"), self.window)?;
        let n = self.max_domains;
        ensure(n >= 1, at("max_domains"), || {
            format!("must be at least 1, got {n}")
        })
    }
}

/// The link classes network faults may hit, as `[faults.network] targets`
/// names them.
pub const NETWORK_TARGETS: [&str; 2] = ["handset-server", "server-database"];

/// `[faults.network]`: network faults (the project's own layer,
/// `sim::net`). Partitions and bad-network windows are rates per link per
/// simulated day on the link classes of `targets` (`handset-server`: each
/// handset's link to the server; `server-database`: the server's links to
/// the databases). A handset going offline for days is a rate per handset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkFaults {
    /// Which link classes partitions and windows hit: any of
    /// [`NETWORK_TARGETS`]. Default: none.
    pub targets: Vec<String>,
    /// Partitions per link per day: the link cut, every message dropped.
    pub partition_per_link_day: f64,
    /// How long a partition lasts (default 1h).
    #[serde(with = "as_text")]
    pub partition_for: Duration,
    /// Times a handset goes offline per handset per day (any `targets`).
    pub offline_per_handset_day: f64,
    /// How long a handset stays offline (default 2d).
    #[serde(with = "as_text")]
    pub offline_for: Duration,
    /// Lossy windows per link per day.
    pub packet_loss_per_link_day: f64,
    /// Duplicating windows per link per day.
    pub duplication_per_link_day: f64,
    /// Reordering windows per link per day.
    pub reordering_per_link_day: f64,
    /// Long-delay windows per link per day.
    pub long_delay_per_link_day: f64,
    /// Corrupting windows per link per day.
    pub transit_corruption_per_link_day: f64,
    /// How long each bad-network window lasts (default 1h).
    #[serde(with = "as_text")]
    pub window: Duration,
    /// Share of messages dropped in a lossy window (default 0.3).
    pub loss_share: f64,
    /// Share of messages delivered twice in a duplicating window (default 0.3).
    pub duplicate_share: f64,
    /// Share of messages held in a reordering window (default 0.3).
    pub reorder_share: f64,
    /// The longest a held message or a duplicate trails (default 5m).
    #[serde(with = "as_text")]
    pub hold_for: Duration,
    /// Share of messages delayed in a long-delay window (default 0.3).
    pub delay_share: f64,
    /// The longest a delayed message is delayed (default 6h).
    #[serde(with = "as_text")]
    pub delay_for: Duration,
    /// Share of messages garbled in a corrupting window (default 0.2).
    pub corrupt_share: f64,
}

impl Default for NetworkFaults {
    fn default() -> Self {
        NetworkFaults {
            targets: Vec::new(),
            partition_per_link_day: 0.0,
            partition_for: Duration::from_secs(3600),
            offline_per_handset_day: 0.0,
            offline_for: Duration::from_secs(2 * 86_400),
            packet_loss_per_link_day: 0.0,
            duplication_per_link_day: 0.0,
            reordering_per_link_day: 0.0,
            long_delay_per_link_day: 0.0,
            transit_corruption_per_link_day: 0.0,
            window: Duration::from_secs(3600),
            loss_share: 0.3,
            duplicate_share: 0.3,
            reorder_share: 0.3,
            hold_for: Duration::from_secs(300),
            delay_share: 0.3,
            delay_for: Duration::from_secs(6 * 3600),
            corrupt_share: 0.2,
        }
    }
}

impl NetworkFaults {
    /// Each per-link fault kind's name (as in `models::fault`) and its rate,
    /// in the order the planner draws them.
    pub fn rates(&self) -> [(FaultKind, f64); 6] {
        [
            (FaultKind::Partition, self.partition_per_link_day),
            (FaultKind::PacketLoss, self.packet_loss_per_link_day),
            (FaultKind::Duplication, self.duplication_per_link_day),
            (FaultKind::Reordering, self.reordering_per_link_day),
            (FaultKind::LongDelay, self.long_delay_per_link_day),
            (
                FaultKind::TransitCorruption,
                self.transit_corruption_per_link_day,
            ),
        ]
    }

    fn validate(&self) -> Check {
        let at = |key| KeyPath::of(&["faults", "network", key]);
        for (i, t) in self.targets.iter().enumerate() {
            ensure(
                NETWORK_TARGETS.contains(&t.as_str()),
                at("targets").index(i),
                || format!("must be one of {}, got `{t}`", NETWORK_TARGETS.join(", ")),
            )?;
        }
        distinct(at("targets"), &self.targets)?;
        let keys = [
            "partition_per_link_day",
            "packet_loss_per_link_day",
            "duplication_per_link_day",
            "reordering_per_link_day",
            "long_delay_per_link_day",
            "transit_corruption_per_link_day",
        ];
        for (key, (_, r)) in keys.into_iter().zip(self.rates()) {
            rate(at(key), r, "link per day")?;
        }
        rate(
            at("offline_per_handset_day"),
            self.offline_per_handset_day,
            "handset per day",
        )?;
        for (key, share) in [
            ("loss_share", self.loss_share),
            ("duplicate_share", self.duplicate_share),
            ("reorder_share", self.reorder_share),
            ("delay_share", self.delay_share),
            ("corrupt_share", self.corrupt_share),
        ] {
            probability(at(key), share)?;
        }
        for (key, d) in [
            ("partition_for", self.partition_for),
            ("offline_for", self.offline_for),
            ("window", self.window),
            ("hold_for", self.hold_for),
            ("delay_for", self.delay_for),
        ] {
            positive(at(key), d)?;
        }
        Ok(())
    }
}

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

fn set<T>(knob: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *knob = v;
    }
}

/// `[expect]` entry: the verdict a design preset must reach on this scenario
/// over the seeds that `cargo test` sweeps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ExpectationToml", into = "ExpectationToml")]
pub enum Expectation {
    /// `{ outcome = "keeps" }`: no seed loses an acknowledged record.
    Keeps,
    /// `{ outcome = "breaks", min_share = S }`: at least the share `S`
    /// (0 < S <= 1) of the seeds end with a broken guarantee.
    Breaks {
        /// The least share of seeds that must break.
        min_share: f64,
    },
}

/// The TOML form of an [`Expectation`].
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename = "Expectation", deny_unknown_fields)]
struct ExpectationToml {
    outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_share: Option<f64>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Outcome {
    Keeps,
    Breaks,
}

impl TryFrom<ExpectationToml> for Expectation {
    type Error = String;

    fn try_from(e: ExpectationToml) -> Result<Self, String> {
        match (e.outcome, e.min_share) {
            (Outcome::Keeps, None) => Ok(Expectation::Keeps),
            (Outcome::Keeps, Some(_)) => {
                Err("`min_share` only goes with outcome = \"breaks\"".to_string())
            }
            (Outcome::Breaks, Some(min_share)) => Ok(Expectation::Breaks { min_share }),
            (Outcome::Breaks, None) => Err("outcome = \"breaks\" needs `min_share`, \
                 the least share of seeds that must break (0 < share <= 1)"
                .to_string()),
        }
    }
}

impl From<Expectation> for ExpectationToml {
    fn from(e: Expectation) -> Self {
        match e {
            Expectation::Keeps => ExpectationToml {
                outcome: Outcome::Keeps,
                min_share: None,
            },
            Expectation::Breaks { min_share } => ExpectationToml {
                outcome: Outcome::Breaks,
                min_share: Some(min_share),
            },
        }
    }
}

/// `[test]`: how `cargo test` sweeps this scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TestSettings {
    /// Number of seeds swept, `0..seeds` (>= 1; default 10).
    pub seeds: u32,
}

impl Default for TestSettings {
    fn default() -> Self {
        TestSettings { seeds: 10 }
    }
}

/// The name of every scenario in [`CATALOGUE`], in order.
pub fn catalogue_names() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|(name, _)| *name)
}

impl Scenario {
    /// Loads the scenario `spec` and applies `overrides` (`KEY=VALUE`, in
    /// order, later ones winning).
    ///
    /// `spec` is read as a path if it contains `/` or ends in `.toml`; else
    /// as a catalogue name if [`CATALOGUE`] has it; else as a path if such a
    /// file exists; else it is [`ScenarioError::UnknownScenario`], which
    /// lists the catalogue. A catalogue scenario's errors name it
    /// `scenarios/NAME.toml`, and its `name` key must equal `NAME`.
    pub fn load(spec: &str, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        let source = Source::find(spec, CATALOGUE)?;
        parse(&source.file, &source.text, overrides, source.catalogue_name)
    }

    /// Parses `text` as a scenario file called `name_for_errors` and applies
    /// `overrides`, with the same checks and errors as [`Scenario::load`]
    /// (except that `name` may be anything non-empty).
    pub fn from_str(
        name_for_errors: &str,
        text: &str,
        overrides: &[String],
    ) -> Result<Scenario, ScenarioError> {
        parse(name_for_errors, text, overrides, None)
    }

    /// The design to run: the preset `cli_design` if given, else
    /// `[design] preset`, else `hardened`, with the `[design]` knobs applied
    /// on top. An unknown preset name is [`ScenarioError::UnknownDesign`].
    pub fn design(&self, cli_design: Option<&str>) -> Result<Design, ScenarioError> {
        let name = self.preset_name(cli_design);
        let mut design = Design::preset(name).ok_or_else(|| unknown_design(name))?;
        self.design.apply(&mut design);
        Ok(design)
    }

    /// The name of the design [`Scenario::design`] returns: the preset it
    /// equals (see [`Design::name`]), `custom` if the knobs make it equal
    /// none, or the requested name as given if that is not a preset.
    pub fn design_name(&self, cli_design: Option<&str>) -> String {
        match self.design(cli_design) {
            Ok(design) => design.name().to_string(),
            Err(_) => self.preset_name(cli_design).to_string(),
        }
    }

    /// The preset a run starts from: `cli_design` if given, else the
    /// scenario's `[design] preset`, else `hardened`. The scenario's
    /// `[design]` knobs (and `--set design.*`) apply on top of it.
    pub fn preset_name<'a>(&'a self, cli_design: Option<&'a str>) -> &'a str {
        cli_design
            .or(self.design.preset.as_deref())
            .unwrap_or("hardened")
    }
}

fn unknown_design(name: &str) -> ScenarioError {
    ScenarioError::UnknownDesign {
        name: name.to_string(),
        presets: Design::PRESETS.map(String::from).to_vec(),
    }
}

fn parse(
    file: &str,
    text: &str,
    overrides: &[String],
    catalogue_name: Option<&str>,
) -> Result<Scenario, ScenarioError> {
    scenario::parse(file, text, overrides, |s: &Scenario| {
        s.validate(catalogue_name)
    })
}

impl Scenario {
    fn validate(&self, catalogue_name: Option<&str>) -> Check {
        scenario_name(&self.name, catalogue_name)?;
        non_empty(KeyPath::of(&["description"]), &self.description)?;
        self.topology.validate()?;
        self.run.validate()?;
        self.workload.validate()?;
        self.system.validate()?;
        self.faults.validate(self.run.duration)?;
        self.design.validate()?;
        validate_expect(&self.expect)?;
        self.swarm.validate()?;
        self.test.validate()
    }
}

impl Topology {
    fn validate(&self) -> Check {
        let n = self.handsets;
        ensure(
            (1..=MAX_HANDSETS).contains(&n),
            KeyPath::of(&["topology", "handsets"]),
            || format!("must be from 1 to {MAX_HANDSETS}, got {n}"),
        )
    }
}

impl Run {
    fn validate(&self) -> Check {
        let at = |key| KeyPath::of(&["run", key]);
        positive(at("duration"), self.duration)?;
        positive(at("heal_bound"), self.heal_bound)?;
        positive(at("converge_check"), self.converge_check)?;
        ensure(
            self.converge_check <= self.heal_bound,
            at("converge_check"),
            || {
                format!(
                    "must be at most run.heal_bound ({}), got {}",
                    duration::format(self.heal_bound),
                    duration::format(self.converge_check)
                )
            },
        )
    }
}

impl Workload {
    fn validate(&self) -> Check {
        let at = |key| KeyPath::of(&["workload", key]);
        let per_handset_day = "handset per day";
        rate(
            at("edits_per_handset_day"),
            self.edits_per_handset_day,
            per_handset_day,
        )?;
        probability(at("new_record_probability"), self.new_record_probability)?;
        let max = self.max_records_per_handset;
        ensure(max >= 1, at("max_records_per_handset"), || {
            format!("must be at least 1, got {max}")
        })?;
        probability(at("delete_probability"), self.delete_probability)?;
        rate(
            at("portal_edits_per_user_day"),
            self.portal_edits_per_user_day,
            "user per day",
        )?;
        let b = self.burstiness;
        ensure(
            (0.0..=MAX_BURSTINESS).contains(&b),
            at("burstiness"),
            || {
                format!(
                    "must be from 0 to {MAX_BURSTINESS} (mean extra edits per burst), got {}",
                    number(b)
                )
            },
        )?;
        let t = self.exchange_timeout;
        ensure(
            (MIN_EXCHANGE_TIMEOUT..=MAX_EXCHANGE_TIMEOUT).contains(&t),
            at("exchange_timeout"),
            || {
                format!(
                    "must be from {} to {}, got {}",
                    duration::format(MIN_EXCHANGE_TIMEOUT),
                    duration::format(MAX_EXCHANGE_TIMEOUT),
                    duration::format(t)
                )
            },
        )?;
        positive(at("sync_interval"), self.sync_interval)
    }
}

impl System {
    fn validate(&self) -> Check {
        let at = |key| KeyPath::of(&["system", key]);
        positive(at("backup_interval"), self.backup_interval)?;
        ensure(
            self.backup_offset < self.backup_interval,
            at("backup_offset"),
            || {
                format!(
                    "must be shorter than system.backup_interval ({}), got {}",
                    duration::format(self.backup_interval),
                    duration::format(self.backup_offset)
                )
            },
        )?;
        let size = self.sector_size;
        ensure(
            size.is_power_of_two() && (512..=MAX_SECTOR_SIZE).contains(&size),
            at("sector_size"),
            || format!("must be a power of two from 512 to {MAX_SECTOR_SIZE}, got {size}"),
        )?;
        let l = self.network_latency;
        ensure(
            (Duration::from_millis(2)..=MAX_LATENCY).contains(&l),
            at("network_latency"),
            || {
                format!(
                    "must be from 2ms to {}, got {}",
                    duration::format(MAX_LATENCY),
                    duration::format(l)
                )
            },
        )
    }
}

impl Faults {
    fn validate(&self, run_duration: Duration) -> Check {
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

impl Upgrade {
    fn validate(&self, at: KeyPath, run_duration: Duration) -> Check {
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
    fn validate(&self) -> Check {
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

impl DesignOverrides {
    fn validate(&self) -> Check {
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

fn validate_expect(expect: &BTreeMap<String, Expectation>) -> Check {
    for (name, expectation) in expect {
        let at = KeyPath::of(&["expect", name]);
        ensure(Design::preset(name).is_some(), at.clone(), || {
            format!(
                "`{name}` is not a design preset; presets: {}",
                Design::PRESETS.join(", ")
            )
        })?;
        if let Expectation::Breaks { min_share } = *expectation {
            ensure(
                min_share > 0.0 && min_share <= 1.0,
                at.key("min_share"),
                || {
                    format!(
                        "must be a share above 0 and at most 1, got {}",
                        number(min_share)
                    )
                },
            )?;
        }
    }
    Ok(())
}

impl TestSettings {
    fn validate(&self) -> Check {
        ensure(self.seeds >= 1, KeyPath::of(&["test", "seeds"]), || {
            "must be at least 1, got 0".to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_scenario_loads_under_its_own_name() {
        for name in catalogue_names() {
            let s = Scenario::load(name, &[]).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.name, name);
        }
    }
}
