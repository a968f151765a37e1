//! The `[run]` section: how long the safety phase runs and how long heal may take.

use super::*;

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

impl Run {
    pub(super) fn validate(&self) -> Check {
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
