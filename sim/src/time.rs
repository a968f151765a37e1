//! Simulated time.
//!
//! A [`SimTime`] is a point on the simulation's own clock, in milliseconds
//! since the run began. It never reads the wall clock. It prints as
//! `3d 04:12:05.250` so that a trace line says when an event happened in
//! terms a reader can count in.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// A point in simulated time: milliseconds since the start of the run.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);

    /// The time `ms` milliseconds after the start.
    pub const fn from_millis(ms: u64) -> Self {
        SimTime(ms)
    }

    /// Milliseconds since the start.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The time `d` after `self`, saturating at the end of time.
    pub fn after(self, d: Duration) -> Self {
        SimTime(self.0.saturating_add(d.as_millis() as u64))
    }

    /// How long after `earlier` this is (zero if it is not later).
    pub fn since(self, earlier: SimTime) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// The elapsed time since the start, as a duration.
    pub fn as_duration(self) -> Duration {
        Duration::from_millis(self.0)
    }
}

impl From<Duration> for SimTime {
    fn from(d: Duration) -> Self {
        SimTime(d.as_millis() as u64)
    }
}

impl fmt::Display for SimTime {
    /// `Dd HH:MM:SS.mmm`, e.g. `3d 04:12:05.250`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1000;
        let s = self.0 / 1000;
        let (d, h, m, s) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
        write!(f, "{d}d {h:02}:{m:02}:{s:02}.{ms:03}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_days_hours_minutes() {
        let t = SimTime::from_millis(((3 * 24 + 4) * 3600 + 12 * 60 + 5) * 1000 + 250);
        assert_eq!(t.to_string(), "3d 04:12:05.250");
        assert_eq!(SimTime::ZERO.to_string(), "0d 00:00:00.000");
    }

    #[test]
    fn after_and_since_are_inverse() {
        let t = SimTime::from_millis(5_000).after(Duration::from_secs(60));
        assert_eq!(
            t.since(SimTime::from_millis(5_000)),
            Duration::from_secs(60)
        );
        assert_eq!(SimTime::ZERO.since(t), Duration::ZERO);
    }
}
