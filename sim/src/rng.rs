//! Seeds and named random streams.
//!
//! A run has one root seed. Every consumer of randomness gets its own
//! stream, derived from the root seed and the stream's name in a fixed way
//! (a name a system numbers itself, [`StreamName`], or a key and an index,
//! [`Seeds::keyed`]), so that adding, removing or reordering one consumer (a
//! fault, a node) never shifts the draws of another. madsim keeps a stream of its
//! own for scheduling, latency and packet loss; that one is not ours.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator every harness stream uses.
pub type Rng = ChaCha8Rng;

/// A system's own named consumer of randomness (its workload of one user,
/// its faults on one node): each name maps to its own ChaCha stream.
pub trait StreamName: Copy {
    /// The ChaCha stream number of this name: fixed forever, so that
    /// recorded seeds keep meaning the same draws, and below 2^63 (the
    /// numbers above are [`Seeds::keyed`]'s).
    fn number(self) -> u64;
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
    ///
    /// # Panics
    ///
    /// If the stream's number is 2^63 or above: a system's numbering is
    /// wrong, and its draws would meet [`Seeds::keyed`]'s.
    pub fn stream(&self, stream: impl StreamName) -> Rng {
        let number = stream.number();
        assert!(
            number < 1 << 63,
            "stream number {number:#x} is not below 2^63"
        );
        let mut rng = ChaCha8Rng::seed_from_u64(self.root);
        rng.set_stream(number);
        rng
    }
}

impl Seeds {
    /// A fresh generator for the stream a system names `key`, number
    /// `index` (`keyed("workload", 3)`: user 3's workload): fixed forever for
    /// the same root, key and index, independent of every other stream,
    /// and never one of the numbered streams of [`Seeds::stream`].
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

    #[derive(Clone, Copy)]
    enum Named {
        Plan,
        Workload(u32),
    }

    impl StreamName for Named {
        fn number(self) -> u64 {
            match self {
                Named::Plan => 1,
                Named::Workload(i) => (1 << 32) | u64::from(i),
            }
        }
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let s = Seeds::new(7);
        let a: Vec<u64> = (0..4).map(|_| s.stream(Named::Plan).random()).collect();
        assert!(
            a.windows(2).all(|w| w[0] == w[1]),
            "same stream, same first draw"
        );
        let mut w0 = s.stream(Named::Workload(0));
        let mut w1 = s.stream(Named::Workload(1));
        let x: u64 = w0.random();
        let y: u64 = w1.random();
        assert_ne!(x, y);
        let mut other = Seeds::new(8).stream(Named::Workload(0));
        assert_ne!(x, other.random::<u64>());
        assert_ne!(x, s.keyed("workload", 0).random::<u64>());
    }
}
