//! Shards: one sweep split into parts that run anywhere (CI jobs, a
//! Kubernetes Indexed Job), to be merged back ([`crate::sweep::merge`]).
//!
//! A shard `K/N` of a seed range runs the seeds whose index in the range is
//! `K` mod `N`: the range's first seed plus `i` belongs to shard `i % N`.
//! Interleaving (rather than cutting the range into blocks) keeps the
//! shards' work even when cost drifts along the range.

use crate::sweep::seed_range::SeedRange;

/// The environment variable a Kubernetes Indexed Job sets to the pod's index.
pub const INDEX_ENV: &str = "JOB_COMPLETION_INDEX";

/// One shard of a sweep: seeds whose index in the range is `index` mod `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    /// K, from 0 to `count - 1`.
    pub index: u32,
    /// N, at least 1.
    pub count: u32,
}

impl Shard {
    /// The whole range as one shard (`0/1`).
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `K/N`, or `auto/N` with K taken from `env_index` (the value of
    /// [`INDEX_ENV`], if set).
    pub fn parse(s: &str, env_index: Option<&str>) -> Result<Shard, String> {
        let bad = || format!("--shard {s:?}: expected K/N with 0 <= K < N, e.g. 0/4, or auto/N");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 {
            return Err(format!("--shard {s:?}: N must be at least 1"));
        }
        let index: u32 = match k.trim() {
            "auto" => {
                let v = env_index.ok_or_else(|| {
                    format!("--shard {s:?}: auto takes K from {INDEX_ENV}, which is not set")
                })?;
                v.trim()
                    .parse()
                    .map_err(|_| format!("--shard {s:?}: {INDEX_ENV}={v:?} is not a number"))?
            }
            k => k.parse().map_err(|_| bad())?,
        };
        if index >= count {
            return Err(format!(
                "--shard {s:?}: K is {index}, but shards are numbered 0 to {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Shard `index` of `count`; an error if there is no such shard.
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if index < count {
            Ok(Shard { index, count })
        } else {
            Err(format!("shard {index}/{count} does not exist"))
        }
    }

    /// Whether the seed at `index` in the range belongs to this shard.
    pub fn owns_index(self, index: u64) -> bool {
        index % u64::from(self.count) == u64::from(self.index)
    }

    /// The seeds of `range` this shard runs, in order, drawn one at a time
    /// (any range, `0..=u64::MAX` too, costs no memory and no time up
    /// front); none if the range is shorter than K + 1 seeds.
    pub fn seeds(self, range: SeedRange) -> std::iter::StepBy<std::ops::RangeInclusive<u64>> {
        let step = usize::try_from(self.count).unwrap_or(usize::MAX);
        match range.first().checked_add(u64::from(self.index)) {
            Some(first) if first <= range.last() => (first..=range.last()).step_by(step),
            _ => {
                // An empty iterator of the same type: a range run out.
                let mut none = 0..=0;
                none.next();
                none.step_by(step)
            }
        }
    }

    /// How many seeds of `range` this shard runs.
    pub fn seed_count(self, range: SeedRange) -> u128 {
        let (k, n) = (u128::from(self.index), u128::from(self.count));
        let total = range.seed_count();
        if total <= k {
            0
        } else {
            (total - k).div_ceil(n)
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_shards_and_auto() {
        assert_eq!(Shard::parse("2/3", None), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(
            Shard::parse("auto/4", Some("1")),
            Ok(Shard { index: 1, count: 4 })
        );
        assert!(Shard::parse("3/3", None).is_err());
        assert!(Shard::parse("0/0", None).is_err());
        assert!(Shard::parse("auto/4", None)
            .unwrap_err()
            .contains(INDEX_ENV));
        assert!(Shard::parse("auto/4", Some("4")).is_err());
        assert!(Shard::parse("1", None).is_err());
        assert_eq!(Shard::parse("1/2", None).unwrap().to_string(), "1/2");
    }

    fn range(a: u64, b: u64) -> SeedRange {
        SeedRange::half_open(a, b).unwrap()
    }

    #[test]
    fn shards_partition_the_range() {
        let r = range(5, 17);
        let mut all: Vec<u64> = (0..3)
            .flat_map(|k| Shard { index: k, count: 3 }.seeds(r))
            .collect();
        assert_eq!(
            Shard { index: 1, count: 3 }.seeds(r).collect::<Vec<_>>(),
            [6, 9, 12, 15]
        );
        all.sort_unstable();
        assert_eq!(all, (5..17).collect::<Vec<_>>());
        assert_eq!(
            Shard::ALL.seeds(range(0, 4)).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        for k in 0..5 {
            let s = Shard { index: k, count: 5 };
            assert_eq!(
                s.seed_count(range(0, 3)),
                s.seeds(range(0, 3)).count() as u128
            );
        }
    }

    #[test]
    fn shards_of_enormous_ranges_cost_nothing_up_front() {
        let all = SeedRange::inclusive(0, u64::MAX).unwrap();
        let s = Shard {
            index: 999_999,
            count: 1_000_000,
        };
        assert_eq!(
            s.seeds(all).take(2).collect::<Vec<_>>(),
            [999_999, 1_999_999]
        );
        assert_eq!(s.seed_count(all), (1u128 << 64) / 1_000_000);
        let top = SeedRange::single(u64::MAX);
        assert_eq!(Shard::ALL.seeds(top).collect::<Vec<_>>(), [u64::MAX]);
        assert_eq!(Shard { index: 1, count: 2 }.seeds(top).count(), 0);
        let near = SeedRange::inclusive(u64::MAX - 2, u64::MAX).unwrap();
        assert_eq!(
            Shard { index: 3, count: 4 }.seeds(near).count(),
            0,
            "an index past the range, and past u64::MAX"
        );
        assert_eq!(
            Shard { index: 1, count: 2 }.seeds(near).collect::<Vec<_>>(),
            [u64::MAX - 1]
        );
    }
}
