//! The simulation's clock, as nodes and the harness read it.

use super::*;

/// The simulation clock, relative to the start of the run.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: madsim::time::Instant,
}

impl Clock {
    /// A clock whose zero is now. Call inside the simulation.
    pub fn start() -> Self {
        Clock {
            start: madsim::time::Instant::now(),
        }
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        SimTime::from(madsim::time::Instant::now().duration_since(self.start))
    }

    /// The runtime's instant of simulated time `t`, to the millisecond.
    pub fn instant(&self, t: SimTime) -> madsim::time::Instant {
        self.start + t.as_duration()
    }

    /// Sleeps until simulated time `t` (returns at once if it has passed).
    pub async fn sleep_until(&self, t: SimTime) {
        let now = self.now();
        if t > now {
            madsim::time::sleep(t.since(now)).await;
        }
    }
}
