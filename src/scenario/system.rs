//! The `[system]` section: the simulated platform under the models (sector size, network latency).

use super::*;

/// The largest sector size accepted, in bytes (1 MiB).
pub const MAX_SECTOR_SIZE: usize = 1 << 20;

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

impl System {
    pub(super) fn validate(&self) -> Check {
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
