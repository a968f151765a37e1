//! Durations as people write them: `"10s"`, `"30m"`, `"26h"`, `"3d"`, `"1d 1h"`.
//!
//! Scenario files and the command line give every duration as a string in
//! [humantime](https://docs.rs/humantime) syntax. The simulation counts whole
//! milliseconds, so a duration with a sub-millisecond part is refused rather
//! than silently rounded, and so is one longer than [`MAX`].
use std::time::Duration;

/// The longest duration accepted anywhere: 36 500 days (about 100 years).
pub const MAX: Duration = Duration::from_secs(36_500 * 86_400);

/// Parses `text` (e.g. `"25h"`, `"1d 1h"`, `"500ms"`, `"0s"`).
///
/// Promises: the result is a whole number of milliseconds and at most
/// [`MAX`]; otherwise the error says what is wrong and what to write instead.
pub fn parse(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim()).map_err(|e| {
        format!("`{text}` is not a duration ({e}); write e.g. \"10s\", \"30m\", \"26h\" or \"3d\"")
    })?;
    if d.subsec_nanos() % 1_000_000 != 0 {
        return Err(format!(
            "`{text}` has a part shorter than a millisecond; the simulation counts whole milliseconds"
        ));
    }
    if d > MAX {
        return Err(format!("`{text}` is longer than the 36500 days allowed"));
    }
    Ok(d)
}

/// `d` for a reader: `3 days`, `1 day`, `12 h`, or [`format()`]'s form for
/// anything else (never humantime's 30.44-day months).
pub fn span(d: Duration) -> String {
    let s = d.as_secs();
    match (s % 86_400, s % 3600, d.subsec_millis()) {
        (0, _, 0) if s == 86_400 => "1 day".into(),
        (0, _, 0) => format!("{} days", s / 86_400),
        (_, 0, 0) => format!("{} h", s / 3600),
        _ => format(d),
    }
}

/// Formats `d` so that [`parse`] reads it back unchanged (e.g. `"1day 1h"`).
pub fn format(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// Serde adapter for `std::time::Duration` fields written as strings:
/// `#[serde(with = "crate::scenario::duration::as_text")]`.
pub mod as_text {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};
    use std::fmt;
    use std::time::Duration;

    /// Writes `d` as a humantime string (see [`super::format`]).
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(*d))
    }

    /// Reads a humantime string (see [`super::parse`]); any other type is an
    /// error whose message shows the expected form.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        d.deserialize_str(DurationVisitor)
    }

    struct DurationVisitor;

    impl Visitor<'_> for DurationVisitor {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration string such as \"30m\", \"26h\" or \"3d\"")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
            super::parse(v).map_err(E::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_scenarios_use() {
        assert_eq!(parse("25h"), Ok(Duration::from_secs(25 * 3600)));
        assert_eq!(parse("1d 1h"), Ok(Duration::from_secs(25 * 3600)));
        assert_eq!(parse("3d"), Ok(Duration::from_secs(3 * 86_400)));
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn refuses_what_the_simulation_cannot_count() {
        assert!(parse("3x").unwrap_err().contains("not a duration"));
        assert!(parse("").is_err());
        assert!(parse("1ms 1us").unwrap_err().contains("millisecond"));
        assert!(parse("200y").unwrap_err().contains("longer"));
    }

    #[test]
    fn format_round_trips() {
        for d in ["25h", "3d", "1m", "10s", "1d 1h 1m 1s 1ms"] {
            let d = parse(d).unwrap();
            assert_eq!(parse(&format(d)), Ok(d));
        }
    }
}
