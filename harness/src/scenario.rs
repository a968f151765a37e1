//! A scenario of a user's system: how long it runs, which generic faults
//! strike it at what rates ([`crate::faults`]), the system's own section,
//! and what each design is expected to do.
//!
//! ```toml
//! name = "kv-power"
//! description = "clients and the server lose power"
//! [run]
//! duration = "2d"
//! heal_bound = "1d"
//! [faults]
//! power_loss_per_node_day = 1.0
//! [system]            # the system's own keys
//! clients = 3
//! [expect]
//! naive = "breaks"
//! hardened = "keeps"
//! ```
//!
//! A file is checked whole before any work: an unknown key, a value of the
//! wrong type or out of range is an error naming the file, the line and
//! the key. `--set key=value` overrides (dotted keys, TOML values) are
//! checked the same way and named by the override.

use crate::faults::Rates;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// A whole scenario of system `S`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario<S> {
    /// Its name (`kv-power`).
    pub name: String,
    /// What it is about, in a sentence.
    #[serde(default)]
    pub description: String,
    /// How long the safety phase runs and how long heal may take.
    pub run: Run,
    /// The generic faults' rates.
    #[serde(default)]
    pub faults: Rates,
    /// The system's own section.
    pub system: S,
    /// Per design name: whether it must keep the promise or is expected to
    /// break it on some seed.
    #[serde(default)]
    pub expect: BTreeMap<String, Expect>,
}

/// The run's phases.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// How long users act and faults strike (the safety phase).
    #[serde(with = "crate::duration::as_text")]
    pub duration: Duration,
    /// How long heal may take for every user's places to agree.
    #[serde(with = "crate::duration::as_text")]
    pub heal_bound: Duration,
    /// How often heal checks whether they agree.
    #[serde(with = "crate::duration::as_text", default = "Run::default_check")]
    pub converge_check: Duration,
}

impl Run {
    fn default_check() -> Duration {
        Duration::from_secs(60)
    }
}

/// What a design is expected to do in a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// Every seed keeps the promise.
    Keeps,
    /// Some seed breaks it.
    Breaks,
}

/// Why a scenario was refused: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (or `--set KEY`) the error is in.
    pub origin: String,
    /// The line, when the error is in a file.
    pub line: Option<usize>,
    /// What is wrong, naming the key.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.origin, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// The longest run a scenario may ask for: a year of simulated time.
const MAX_RUN: Duration = Duration::from_secs(366 * 86_400);

impl<S: DeserializeOwned> Scenario<S> {
    /// The scenario in `text` (read from `origin`, for errors), with
    /// `overrides` (`key=value`, dotted keys) applied over it.
    pub fn parse(origin: &str, text: &str, overrides: &[String]) -> Result<Self, ScenarioError> {
        let at = |e: toml::de::Error| ScenarioError {
            origin: origin.to_string(),
            line: e.span().map(|s| text[..s.start].matches('\n').count() + 1),
            message: e.message().trim().to_string(),
        };
        let scenario: Scenario<S> = toml::from_str(text).map_err(at)?;
        scenario.check(origin)?;
        if overrides.is_empty() {
            return Ok(scenario);
        }
        let mut table: toml::Table = toml::from_str(text).map_err(at)?;
        for o in overrides {
            set(&mut table, o)?;
        }
        let scenario: Scenario<S> =
            Scenario::deserialize(toml::Value::Table(table)).map_err(|e| ScenarioError {
                origin: format!("--set {}", overrides.join(" --set ")),
                line: None,
                message: e.message().trim().to_string(),
            })?;
        scenario.check("--set")?;
        Ok(scenario)
    }

    /// Bounds serde cannot say: a run of at most a year, rates that are
    /// finite and not negative.
    fn check(&self, origin: &str) -> Result<(), ScenarioError> {
        let bad = |message: String| ScenarioError {
            origin: origin.to_string(),
            line: None,
            message,
        };
        for (key, d) in [
            ("run.duration", self.run.duration),
            ("run.heal_bound", self.run.heal_bound),
        ] {
            if d.is_zero() || d > MAX_RUN {
                return Err(bad(format!(
                    "{key}: must be more than 0 and at most 366 days"
                )));
            }
        }
        if self.run.converge_check.is_zero() || self.run.converge_check > self.run.heal_bound {
            return Err(bad(
                "run.converge_check: must be more than 0 and at most run.heal_bound".into(),
            ));
        }
        self.faults.check().map_err(bad)
    }
}

/// Applies `key=value` (a dotted key, a TOML value; a bare word is a
/// string) to `table`.
fn set(table: &mut toml::Table, o: &str) -> Result<(), ScenarioError> {
    let bad = |message: String| ScenarioError {
        origin: format!("--set {o}"),
        line: None,
        message,
    };
    let (key, raw) = o
        .split_once('=')
        .ok_or_else(|| bad("expected KEY=VALUE".into()))?;
    let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .map(|mut t| t.remove("v").expect("just parsed"))
        .unwrap_or_else(|_| toml::Value::String(raw.to_string()));
    let mut path: Vec<&str> = key.trim().split('.').collect();
    let last = path
        .pop()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| bad("empty key".into()))?;
    let mut at = table;
    for part in path {
        at = at
            .entry(part)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| bad(format!("{part} is not a section")))?;
    }
    at.insert(last.to_string(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Toy {
        clients: u32,
    }

    const FILE: &str = "name = \"toy\"\n[run]\nduration = \"1d\"\nheal_bound = \"6h\"\n[system]\nclients = 2\n[expect]\nplain = \"keeps\"\n";

    #[test]
    fn a_file_parses_and_overrides_apply() {
        let s = Scenario::<Toy>::parse("toy.toml", FILE, &[]).unwrap();
        assert_eq!((s.system.clients, s.run.duration.as_secs()), (2, 86_400));
        assert_eq!(s.expect["plain"], Expect::Keeps);
        let o = [
            "system.clients=5".to_string(),
            "faults.power_loss_per_node_day=2".into(),
        ];
        let s = Scenario::<Toy>::parse("toy.toml", FILE, &o).unwrap();
        assert_eq!(s.system.clients, 5);
        assert_eq!(s.faults.power_loss_per_node_day, 2.0);
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_key() {
        let bad = FILE.replace("clients = 2", "clients = 2\nservers = 1");
        let e = Scenario::<Toy>::parse("toy.toml", &bad, &[]).unwrap_err();
        assert_eq!(e.line, Some(7), "{e}");
        assert!(
            e.to_string().starts_with("toy.toml:7:") && e.message.contains("servers"),
            "{e}"
        );
        let e =
            Scenario::<Toy>::parse("toy.toml", FILE, &["system.clients=-1".into()]).unwrap_err();
        assert!(e.to_string().contains("--set system.clients=-1"), "{e}");
        let e = Scenario::<Toy>::parse(
            "toy.toml",
            FILE,
            &["faults.power_loss_per_node_day=-1".into()],
        )
        .unwrap_err();
        assert!(e.message.contains("power_loss_per_node_day"), "{e}");
        let long = FILE.replace("\"1d\"", "\"400d\"");
        let e = Scenario::<Toy>::parse("toy.toml", &long, &[]).unwrap_err();
        assert!(e.message.contains("run.duration"), "{e}");
    }
}
