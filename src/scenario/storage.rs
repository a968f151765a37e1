//! The `[faults.storage]` section: media faults on the databases' and handsets' disks.

use super::*;

sim::named! {
    /// A class of volumes storage faults may hit, as `[faults.storage]
    /// targets` names it.
    pub enum StorageTarget {
        /// The primary database's volume.
        DbPrimary = "db-primary",
        /// The backup database's volume.
        DbBackup = "db-backup",
        /// Every handset's flash.
        Handsets = "handsets",
    }
}

/// `[faults.storage]`: storage faults (the disk fault table of
/// `sim::disk`), each a rate per target volume per simulated day, bounded by
/// the fault atlas: in each `window`, at most `max_domains` distinct volumes
/// are hit, unless `unbounded`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageFaults {
    /// Which volumes may be hit: names of [`StorageTarget`]s (`handsets`
    /// means every handset's flash). Default: none. [`Self::volumes`]
    /// reads them typed.
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
    /// The classes of volume `targets` names, in its order (a validated
    /// section names only known classes).
    pub fn volumes(&self) -> Vec<StorageTarget> {
        self.targets
            .iter()
            .filter_map(|t| StorageTarget::parse(t))
            .collect()
    }

    /// Whether `targets` names `class`.
    pub fn hits(&self, class: StorageTarget) -> bool {
        self.targets
            .iter()
            .any(|t| StorageTarget::parse(t) == Some(class))
    }

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

    pub(super) fn validate(&self) -> Check {
        let at = |key| KeyPath::of(&["faults", "storage", key]);
        for (i, t) in self.targets.iter().enumerate() {
            ensure(
                StorageTarget::parse(t).is_some(),
                at("targets").index(i),
                || {
                    let names = StorageTarget::NAMES.join(", ");
                    format!("must be one of {names}, got `{t}`")
                },
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
