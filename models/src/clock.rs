//! A writer's real-time clock: what its wall clock reads, as an offset
//! from true simulated time.
//!
//! The clock lives outside the machine (like its disk), so it survives a
//! crash boot, which rebuilds the machine: a battery pull keeps it; a clock
//! reset (a battery pull that also drained the clock) sets it back to the
//! epoch; a skew steps it. Only the fault injector moves it.

use sim::time::SimTime;
use std::sync::{Arc, Mutex};

/// A shared handle to one writer's clock. A clock never reads below 0.
#[derive(Clone, Debug, Default)]
pub struct Rtc {
    offset_ms: Arc<Mutex<i64>>,
}

impl Rtc {
    /// A clock that reads true time.
    pub fn new() -> Self {
        Self::default()
    }

    fn offset(&self) -> i64 {
        *self.offset_ms.lock().expect("clock lock")
    }

    /// What the clock reads at true time `now`, in milliseconds.
    pub fn read(&self, now: SimTime) -> u64 {
        (now.as_millis() as i64 + self.offset()).max(0) as u64
    }

    /// Steps the clock by `by_ms` (negative: back).
    pub fn step(&self, by_ms: i64) {
        *self.offset_ms.lock().expect("clock lock") += by_ms;
    }

    /// Sets the clock back to the epoch at true time `now`: it reads 0 now
    /// and runs on from there.
    pub fn reset(&self, now: SimTime) {
        *self.offset_ms.lock().expect("clock lock") = -(now.as_millis() as i64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_step_reset_and_survive_clones() {
        let c = Rtc::new();
        assert_eq!(c.read(SimTime(5_000)), 5_000);
        let same = c.clone();
        same.step(-2_000);
        assert_eq!(c.read(SimTime(5_000)), 3_000);
        c.reset(SimTime(10_000));
        assert_eq!(same.read(SimTime(10_000)), 0);
        assert_eq!(same.read(SimTime(12_500)), 2_500);
        c.step(-1_000_000);
        assert_eq!(c.read(SimTime(12_500)), 0, "never below the epoch");
    }
}
