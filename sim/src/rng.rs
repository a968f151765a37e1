//! Seeds and named random streams.
//!
//! A run has one root seed. Every consumer of randomness in the harness gets
//! its own [`Stream`], derived from the root seed and the stream's name in a
//! fixed way, so that adding, removing or reordering one consumer (a fault,
//! a handset) never shifts the draws of another. madsim keeps a stream of its
//! own for scheduling, latency and packet loss; that one is not ours.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator every harness stream uses.
pub type Rng = ChaCha8Rng;

/// A named consumer of randomness. Each name maps to its own ChaCha stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stream {
    /// Materializing the fault plan's server-side faults from the scenario's rates.
    Plan,
    /// Materializing the faults that target one handset, by handset index,
    /// so that dropping a handset leaves every other handset's faults alone.
    PlanFor(u32),
    /// Materializing storage faults on one handset's flash, by handset index.
    StorageFor(u32),
    /// Materializing storage faults on one database volume (0 primary, 1 backup).
    StorageDb(u32),
    /// Materializing network faults on the server-database links.
    NetServer,
    /// Materializing network faults on one handset's link, and its offline
    /// periods, by handset index.
    NetFor(u32),
    /// The workload (user behaviour) of one handset, by handset index.
    Workload(u32),
    /// Drawing a swarm configuration (fault mix, rates, topology) from the seed.
    Swarm,
    /// Materializing the battery pulls that strike one handset at a step of
    /// a sync exchange, by handset index.
    MidSyncFor(u32),
    /// Which of one handset's planned edits delete their record, by handset
    /// index (drawn apart from the workload stream, so schedules without
    /// deletes are unchanged).
    Deletes(u32),
    /// The edits of one user's web portal, by user index.
    Portal(u32),
    /// Materializing clock faults (skews, resets) on one handset, by index.
    ClockFor(u32),
    /// Materializing the edit races armed on one handset, by handset index.
    EditRaceFor(u32),
    /// The edit times of one handset whose workload is bursty, by handset
    /// index (a Poisson workload draws its times from [`Stream::Workload`]
    /// and never this one).
    Bursts(u32),
}

impl Stream {
    /// The ChaCha stream number of this name: fixed forever, so that recorded
    /// seeds keep meaning the same draws.
    pub fn number(self) -> u64 {
        match self {
            Stream::Plan => 1,
            Stream::Swarm => 2,
            Stream::Workload(i) => (1 << 32) | u64::from(i),
            Stream::PlanFor(i) => (2 << 32) | u64::from(i),
            Stream::StorageFor(i) => (3 << 32) | u64::from(i),
            Stream::StorageDb(i) => (4 << 32) | u64::from(i),
            Stream::MidSyncFor(i) => (8 << 32) | u64::from(i),
            Stream::NetServer => 0x6e65_7400,
            Stream::NetFor(i) => (0x6e << 32) | u64::from(i),
            Stream::Deletes(i) => (5 << 32) | u64::from(i),
            Stream::Portal(i) => (6 << 32) | u64::from(i),
            Stream::ClockFor(i) => (7 << 32) | u64::from(i),
            Stream::EditRaceFor(i) => (9 << 32) | u64::from(i),
            Stream::Bursts(i) => (10 << 32) | u64::from(i),
        }
    }
}

/// The root seed of a run and the streams derived from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    root: u64,
}

impl Seeds {
    /// The streams of the run whose root seed is `root`.
    pub fn new(root: u64) -> Self {
        Seeds { root }
    }

    /// The root seed.
    pub fn root(&self) -> u64 {
        self.root
    }

    /// A fresh generator for `stream`: the same `(root, stream)` always gives
    /// the same sequence of draws, and different streams are independent.
    pub fn stream(&self, stream: Stream) -> Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.root);
        rng.set_stream(stream.number());
        rng
    }
}

impl Seeds {
    /// A fresh generator for the stream a system names `key`, number
    /// `index` (`keyed("workload", 3)`: user 3's workload): fixed forever for
    /// the same root, key and index, independent of every other stream,
    /// and never one of the engine's own [`Stream`]s.
    pub fn keyed(&self, key: &str, index: u32) -> Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.root);
        let named = xxhash_rust::xxh3::xxh3_64(key.as_bytes()) & 0x7fff_ffff;
        rng.set_stream((1 << 63) | (named << 32) | u64::from(index));
        rng
    }
}

/// A generator for a one-off decision that carries its own seed (for example
/// the resolution of one planned fault at fire time).
pub fn from_seed(seed: u64) -> Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let s = Seeds::new(7);
        let a: Vec<u64> = (0..4).map(|_| s.stream(Stream::Plan).random()).collect();
        assert!(
            a.windows(2).all(|w| w[0] == w[1]),
            "same stream, same first draw"
        );
        let mut w0 = s.stream(Stream::Workload(0));
        let mut w1 = s.stream(Stream::Workload(1));
        let x: u64 = w0.random();
        let y: u64 = w1.random();
        assert_ne!(x, y);
        let mut other = Seeds::new(8).stream(Stream::Workload(0));
        assert_ne!(x, other.random::<u64>());
    }
}
