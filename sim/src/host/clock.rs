//! The simulation's clock, as the harness reads it, and each node's own
//! wall clock, which clock faults may set wrong.
//!
//! The simulation's clock ([`Clock`]) is true time: timers and the trace
//! run on it, and nothing moves it. A node's wall clock is what the
//! device's clock says: the simulated time plus an offset that only clock
//! faults change ([`Cluster::skew_clock`], [`Cluster::reset_clock`]). It
//! lives outside the node's machine, as a real-time clock outlives its
//! process, so it survives crashes and reboots; it never reads below the
//! run's start. A machine reads it with [`Io::wall_clock`].

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

/// A node's wall clock: an offset from the simulated time, in
/// milliseconds.
#[derive(Debug, Default)]
pub(super) struct WallClock {
    offset_ms: AtomicI64,
}

impl WallClock {
    /// Its offset from the simulated time, in milliseconds.
    pub(super) fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Steps it by `by_ms` (negative: back).
    fn step(&self, by_ms: i64) {
        self.offset_ms.fetch_add(by_ms, Ordering::Relaxed);
    }

    /// Sets it back to the run's start at simulated time `now`: it reads
    /// [`SimTime::ZERO`] now and runs on from there.
    fn reset(&self, now: SimTime) {
        self.offset_ms
            .store(-(now.as_millis() as i64), Ordering::Relaxed);
    }
}

/// What a wall clock `offset_ms` off reads at simulated time `now`: never
/// below the run's start.
pub(super) fn wall_time(now: SimTime, offset_ms: i64) -> SimTime {
    SimTime((now.as_millis() as i64).saturating_add(offset_ms).max(0) as u64)
}

impl<M: Machine> Cluster<M> {
    /// Steps the wall clock of the node at `addr` by `by_ms` (negative:
    /// back), whether the node is up or down; returns what it reads now.
    pub fn skew_clock(&self, addr: Addr, by_ms: i64) -> SimTime {
        let slot = self.slot(addr);
        slot.wall.step(by_ms);
        wall_time(self.now(), slot.wall.offset_ms())
    }

    /// Sets the wall clock of the node at `addr` back to the run's start,
    /// as a dead clock battery does: it reads [`SimTime::ZERO`] now and
    /// runs on from there.
    pub fn reset_clock(&self, addr: Addr) {
        self.slot(addr).wall.reset(self.now());
    }

    /// What the wall clock of the node at `addr` reads now.
    pub fn wall_clock(&self, addr: Addr) -> SimTime {
        wall_time(self.now(), self.slot(addr).wall.offset_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wall_clock_runs_with_true_time_from_its_offset_never_below_zero() {
        let w = WallClock::default();
        assert_eq!(wall_time(SimTime(5_000), w.offset_ms()), SimTime(5_000));
        w.step(-7_000);
        assert_eq!(wall_time(SimTime(5_000), w.offset_ms()), SimTime::ZERO);
        assert_eq!(wall_time(SimTime(9_000), w.offset_ms()), SimTime(2_000));
        w.reset(SimTime(9_000));
        assert_eq!(wall_time(SimTime(9_000), w.offset_ms()), SimTime::ZERO);
        assert_eq!(wall_time(SimTime(9_500), w.offset_ms()), SimTime(500));
        w.step(i64::MAX);
        assert_eq!(wall_time(SimTime(1), i64::MAX), SimTime(i64::MAX as u64));
    }
}
