//! The phases of a run, as [`EngineEvent::Phase`] events name them.

use super::{EngineEvent, Event};

crate::named! {
    /// A phase of a run: the `phase` field of an [`EngineEvent::Phase`]
    /// event.
    pub enum RunPhase {
        /// Users act and faults fire.
        Safety = "safety",
        /// No new faults: nodes shut down cleanly, boot from their own
        /// disks and get time to converge.
        Heal = "heal",
        /// The checker reads the places.
        Check = "check",
    }
}

impl RunPhase {
    /// The phase `event` begins, if it is a phase event naming a known one.
    pub fn begun_by(event: &Event) -> Option<Self> {
        if event.kind != EngineEvent::Phase {
            return None;
        }
        Self::parse(event.str("phase")?)
    }
}
