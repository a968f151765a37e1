//! The `[workload]` section: what users do, and how often.

use super::*;

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

pub(super) fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl Workload {
    pub(super) fn validate(&self) -> Check {
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
