//! The rules no type can express, as small checks a scenario's sections
//! compose: each returns the problem at the key it was given.

use super::key_path::{Check, KeyPath, Problem};
use std::time::Duration;

/// The highest rate accepted for any mean-events-per-day key: one event a
/// millisecond on average (the simulation counts whole milliseconds).
pub const MAX_RATE_PER_DAY: f64 = 86_400_000.0;

/// The most characters a scenario `name` may have.
pub const MAX_NAME_CHARS: usize = 64;

/// Fine if `ok`, else the problem at `path` that `message` words.
pub fn ensure(ok: bool, path: KeyPath, message: impl FnOnce() -> String) -> Check {
    if ok {
        Ok(())
    } else {
        Err(Problem {
            path,
            message: message(),
        })
    }
}

/// `v` as written in a message: in full, or in exponent form when that
/// would run to more than 16 digits (`1e308`, not 309 digits).
pub fn number(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-6..1e16).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A rate of mean events per `unit`: finite, at least 0, at most one a
/// millisecond.
pub fn rate(path: KeyPath, v: f64, unit: &str) -> Check {
    ensure(v.is_finite() && v >= 0.0, path.clone(), || {
        format!(
            "must be a rate >= 0 (mean events per {unit}), got {}",
            number(v)
        )
    })?;
    ensure(v <= MAX_RATE_PER_DAY, path, || {
        format!(
            "must be a rate of at most {MAX_RATE_PER_DAY} (mean events per {unit}: \
             one a millisecond), got {}",
            number(v)
        )
    })
}

/// A probability: from 0 to 1.
pub fn probability(path: KeyPath, v: f64) -> Check {
    ensure((0.0..=1.0).contains(&v), path, || {
        format!("must be a probability from 0 to 1, got {}", number(v))
    })
}

/// A duration longer than 0.
pub fn positive(path: KeyPath, d: Duration) -> Check {
    ensure(!d.is_zero(), path, || {
        "must be longer than 0, got 0s".to_string()
    })
}

/// A text that is not blank.
pub fn non_empty(path: KeyPath, s: &str) -> Check {
    ensure(!s.trim().is_empty(), path, || {
        "must not be empty".to_string()
    })
}

/// Whether `name` is a scenario name: `[a-z0-9][a-z0-9._-]{0,63}`.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    first_ok
        && name.len() <= MAX_NAME_CHARS
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

/// A scenario's `name`: a valid name ([`is_valid_name`]), equal to
/// `catalogue_name` when the scenario is a catalogue's.
pub fn scenario_name(name: &str, catalogue_name: Option<&str>) -> Check {
    let at = || KeyPath::of(&["name"]);
    ensure(is_valid_name(name), at(), || {
        format!(
            "must be 1 to {MAX_NAME_CHARS} characters of lowercase letters, digits, \
             '.', '_' and '-', starting with a letter or digit, got {}",
            shown(name, MAX_NAME_CHARS)
        )
    })?;
    match catalogue_name {
        Some(expected) => ensure(name == expected, at(), || {
            format!("must equal the catalogue name `{expected}`, got `{name}`")
        }),
        None => Ok(()),
    }
}

/// `s` as a quoted, escaped string of at most about `max` characters, for
/// an error message that must stay one short line whatever the input.
pub fn shown(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{:?}... ({} bytes)", &s[..end], s.len()),
        None => format!("{s:?}"),
    }
}

/// `s` cut after `max` characters, marked `...` where it was cut.
pub fn truncated(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}...", &s[..end]),
        None => s.to_string(),
    }
}

/// Each of `items` at most once; else the problem at the second one.
pub fn distinct(path: KeyPath, items: &[String]) -> Check {
    for (i, item) in items.iter().enumerate() {
        ensure(!items[..i].contains(item), path.clone().index(i), || {
            format!("`{item}` is listed twice")
        })?;
    }
    Ok(())
}
