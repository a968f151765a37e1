//! A range of seeds: never empty, and able to end at `u64::MAX`.
//!
//! The command line writes it `A..B` (B excluded, so it cannot name
//! `u64::MAX`) or `A..=B` (B included); one seed is `A..=A`. Inside, it is
//! the first and the last seed, both included, so every seed of `u64` can be
//! in a range and no arithmetic on it can wrap: [`SeedRange::seed_count`] is
//! a `u128` (the range `0..=u64::MAX` holds 2^64 seeds), and every other
//! computation is checked.
//!
//! Commands that hold every seed's result in memory (`report`, `merge`)
//! refuse a range of more than [`MAX_HELD_SEEDS`] seeds before any work
//! starts ([`SeedRange::check_held`]); `run` streams its results and takes
//! any range.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The most seeds a command that keeps every seed's result in memory
/// (`report`, `merge`) accepts in one range.
pub const MAX_HELD_SEEDS: u64 = 1_000_000;

/// A non-empty range of seeds, from `first` to `last`, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawRange", into = "RawRange")]
pub struct SeedRange {
    first: u64,
    last: u64,
}

/// The serialized form: `{"first": A, "last": B}`, checked on the way in.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    first: u64,
    last: u64,
}

impl TryFrom<RawRange> for SeedRange {
    type Error = String;
    fn try_from(raw: RawRange) -> Result<Self, String> {
        SeedRange::inclusive(raw.first, raw.last)
    }
}

impl From<SeedRange> for RawRange {
    fn from(r: SeedRange) -> Self {
        RawRange {
            first: r.first,
            last: r.last,
        }
    }
}

impl SeedRange {
    /// The one seed `seed` (any `u64`, `u64::MAX` too).
    pub fn single(seed: u64) -> Self {
        SeedRange {
            first: seed,
            last: seed,
        }
    }

    /// `first..=last`; an error if it is empty (`first > last`).
    pub fn inclusive(first: u64, last: u64) -> Result<Self, String> {
        if first > last {
            return Err(format!(
                "the range is empty ({first}..={last}: the first seed is after the last)"
            ));
        }
        Ok(SeedRange { first, last })
    }

    /// `start..end`, `end` excluded; an error if it is empty.
    pub fn half_open(start: u64, end: u64) -> Result<Self, String> {
        match end.checked_sub(1) {
            Some(last) if start <= last => Ok(SeedRange { first: start, last }),
            _ => Err(format!(
                "the range is empty ({start}..{end}: A..B excludes B)"
            )),
        }
    }

    /// Parses `A..B` (B excluded) or `A..=B` (B included); `what` names the
    /// argument in errors (`--seeds`). Refuses anything else, and an empty
    /// range.
    pub fn parse(what: &str, s: &str) -> Result<Self, String> {
        let bad = || {
            format!("{what} {s:?}: expected A..B (B excluded) or A..=B (B included), e.g. 0..100")
        };
        let (a, b) = s.split_once("..").ok_or_else(bad)?;
        let (b, inclusive) = match b.strip_prefix('=') {
            Some(b) => (b, true),
            None => (b, false),
        };
        let number = |x: &str| {
            x.trim().parse::<u64>().map_err(|e| {
                format!(
                    "{what} {s:?}: {:?} is not a seed (a whole number from 0 to {}): {e}",
                    x.trim(),
                    u64::MAX
                )
            })
        };
        let (a, b) = (number(a)?, number(b)?);
        let range = if inclusive {
            SeedRange::inclusive(a, b)
        } else {
            SeedRange::half_open(a, b)
        };
        range.map_err(|e| format!("{what}: {e}"))
    }

    /// The first seed.
    pub fn first(self) -> u64 {
        self.first
    }

    /// The last seed (included).
    pub fn last(self) -> u64 {
        self.last
    }

    /// How many seeds the range holds: from 1 to 2^64.
    pub fn seed_count(self) -> u128 {
        u128::from(self.last - self.first) + 1
    }

    /// Whether `seed` is in the range.
    pub fn contains(self, seed: u64) -> bool {
        (self.first..=self.last).contains(&seed)
    }

    /// The index of `seed` in the range (0 for the first), if it is in it.
    pub fn index_of(self, seed: u64) -> Option<u64> {
        self.contains(seed).then(|| seed - self.first)
    }

    /// Every seed, in order; the last one included, never wrapping.
    pub fn iter(self) -> std::ops::RangeInclusive<u64> {
        self.first..=self.last
    }

    /// An error naming `what` (`--seeds`) if the range holds more than
    /// [`MAX_HELD_SEEDS`] seeds: for commands that hold every seed's result
    /// in memory. Checked before any work starts.
    pub fn check_held(self, what: &str) -> Result<(), String> {
        if self.seed_count() > u128::from(MAX_HELD_SEEDS) {
            return Err(format!(
                "{what} {self}: {} seeds, but a report or merge holds at most {MAX_HELD_SEEDS} \
                 (split the range; `run` streams any range)",
                self.seed_count()
            ));
        }
        Ok(())
    }
}

/// `A..B` (B excluded) when the last seed is below `u64::MAX`, else `A..=B`:
/// the form `--seeds` accepts back.
impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.last.checked_add(1) {
            Some(end) => write!(f, "{}..{end}", self.first),
            None => write!(f, "{}..={}", self.first, self.last),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_refuses_empty_ranges() {
        let r = SeedRange::parse("--seeds", "3..7").unwrap();
        assert_eq!((r.first(), r.last(), r.seed_count()), (3, 6, 4));
        assert_eq!(r.to_string(), "3..7");
        let r = SeedRange::parse("--seeds", "3..=7").unwrap();
        assert_eq!((r.first(), r.last()), (3, 7));
        assert_eq!(
            SeedRange::parse("--seeds", "5..=5").unwrap().seed_count(),
            1
        );
        for empty in ["5..5", "6..5", "6..=5", "0..0"] {
            let e = SeedRange::parse("--seeds", empty).unwrap_err();
            assert!(e.contains("empty"), "{empty}: {e}");
        }
        for bad in [
            "5",
            "a..b",
            "1..2..3",
            "-1..4",
            "0..18446744073709551616",
            "",
        ] {
            assert!(SeedRange::parse("--seeds", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_last_seed_of_u64_is_reachable() {
        let max = SeedRange::single(u64::MAX);
        assert_eq!(max.seed_count(), 1);
        assert_eq!(max.iter().collect::<Vec<_>>(), [u64::MAX]);
        assert_eq!(max.to_string(), format!("{}..={}", u64::MAX, u64::MAX));
        assert_eq!(SeedRange::parse("--seeds", &max.to_string()), Ok(max));
        let all = SeedRange::inclusive(0, u64::MAX).unwrap();
        assert_eq!(all.seed_count(), 1u128 << 64);
        assert_eq!(all.index_of(u64::MAX), Some(u64::MAX));
        let below = SeedRange::parse("--seeds", "0..18446744073709551615").unwrap();
        assert_eq!(below.last(), u64::MAX - 1);
        assert!(!below.contains(u64::MAX));
    }

    #[test]
    fn held_ranges_are_bounded() {
        let ok = SeedRange::half_open(0, MAX_HELD_SEEDS).unwrap();
        assert!(ok.check_held("--seeds").is_ok());
        let big = SeedRange::half_open(0, MAX_HELD_SEEDS + 1).unwrap();
        assert!(big
            .check_held("--seeds")
            .unwrap_err()
            .contains("at most 1000000"));
    }

    #[test]
    fn serde_checks_the_range() {
        let r = SeedRange::half_open(2, 9).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"first":2,"last":8}"#);
        assert_eq!(serde_json::from_str::<SeedRange>(&json).unwrap(), r);
        assert!(serde_json::from_str::<SeedRange>(r#"{"first":9,"last":2}"#).is_err());
        assert!(serde_json::from_str::<SeedRange>(r#"{"first":1,"last":2,"x":0}"#).is_err());
    }
}
