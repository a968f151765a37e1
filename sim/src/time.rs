//! Simulated time.
//!
//! A [`SimTime`] is a point on the simulation's own clock, in milliseconds
//! since the run began. It never reads the wall clock. It prints as
//! `3d 04:12:05.250` so that a trace line says when an event happened in
//! terms a reader can count in.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A point in simulated time: milliseconds since the start of the run.
/// It serializes as its display form (`1d 01:00:00.000`), which plan files
/// can be edited in; it deserializes from that form or from milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

impl FromStr for SimTime {
    type Err = String;

    /// Parses `Dd HH:MM:SS.mmm` (as printed), `HH:MM:SS`, or plain milliseconds.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("not a simulated time: {s:?} (expected e.g. \"1d 01:00:00.000\")");
        let s = s.trim();
        if let Ok(ms) = s.parse::<u64>() {
            return Ok(SimTime(ms));
        }
        let (days, clock) = match s.split_once('d') {
            Some((d, rest)) => (d.trim().parse::<u64>().map_err(|_| bad())?, rest.trim()),
            None => (0, s),
        };
        let (hms, ms) = match clock.split_once('.') {
            Some((hms, ms)) if ms.len() == 3 => (hms, ms.parse::<u64>().map_err(|_| bad())?),
            Some(_) => return Err(bad()),
            None => (clock, 0),
        };
        let parts: Vec<u64> = hms
            .split(':')
            .map(|p| p.parse::<u64>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        let [h, m, sec] = parts[..] else {
            return Err(bad());
        };
        if h >= 24 || m >= 60 || sec >= 60 {
            return Err(bad());
        }
        Ok(SimTime((((days * 24 + h) * 60 + m) * 60 + sec) * 1000 + ms))
    }
}

impl Serialize for SimTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SimTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = SimTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a simulated time such as \"1d 01:00:00.000\", or milliseconds")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SimTime, E> {
                Ok(SimTime(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SimTime, E> {
                u64::try_from(v).map(SimTime).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SimTime, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(Visitor)
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
    fn parses_what_it_prints() {
        for ms in [0, 1, 59_999, 86_399_999, 3 * 86_400_000 + 12_345] {
            let t = SimTime(ms);
            assert_eq!(t.to_string().parse::<SimTime>().unwrap(), t);
        }
        assert_eq!("01:00:00".parse::<SimTime>().unwrap(), SimTime(3_600_000));
        assert_eq!("1500".parse::<SimTime>().unwrap(), SimTime(1500));
        assert!("1d 25:00:00".parse::<SimTime>().is_err());
        assert!("soon".parse::<SimTime>().is_err());
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
