//! The phases of a run, as [`EngineEvent::Phase`] events name them.

use super::{EngineEvent, Event};
use std::fmt;

/// A phase of a run: the `phase` field of an [`EngineEvent::Phase`] event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RunPhase {
    /// Users act and faults fire.
    Safety,
    /// No new faults: nodes shut down cleanly, boot from their own disks
    /// and get time to converge.
    Heal,
    /// The checker reads the places.
    Check,
}

impl RunPhase {
    /// Every phase, in the order a run goes through them.
    pub const ALL: [RunPhase; 3] = [Self::Safety, Self::Heal, Self::Check];

    /// Its name in the trace.
    pub fn name(self) -> &'static str {
        match self {
            Self::Safety => "safety",
            Self::Heal => "heal",
            Self::Check => "check",
        }
    }

    /// The phase `event` begins, if it is a phase event naming a known one.
    pub fn begun_by(event: &Event) -> Option<Self> {
        if event.kind != EngineEvent::Phase {
            return None;
        }
        let name = event.str("phase")?;
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for RunPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
