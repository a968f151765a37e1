//! The `[topology]` section: how many handsets (users) a run has.

use super::*;

/// The most handsets a scenario may simulate.
pub const MAX_HANDSETS: u32 = 10_000;

/// `[topology]`: the simulated machines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// Number of handsets, one user each (1 to [`MAX_HANDSETS`]).
    pub handsets: u32,
}

impl Topology {
    pub(super) fn validate(&self) -> Check {
        let n = self.handsets;
        ensure(
            (1..=MAX_HANDSETS).contains(&n),
            KeyPath::of(&["topology", "handsets"]),
            || format!("must be from 1 to {MAX_HANDSETS}, got {n}"),
        )
    }
}
