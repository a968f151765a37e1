//! A scenario of a user's system: how long it runs, which generic faults
//! strike it at what rates ([`crate::plan::faults`]), the system's own section,
//! and what each design is expected to do.
//!
//! ```toml
//! name = "kv-power"
//! description = "clients and the server lose power"
//! [run]
//! duration = "2d"
//! heal_bound = "1d"
//! buggify = false    # true: rare paths on purpose (Io::sometimes)
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

mod checks;
mod document;
pub mod duration;
mod error;
mod key_path;
pub mod load;
mod locate;
mod overrides;
mod source;

pub use checks::{
    distinct, ensure, is_valid_name, non_empty, number, positive, probability, rate, scenario_name,
    shown, truncated, MAX_NAME_CHARS, MAX_RATE_PER_DAY,
};
pub use document::parse;
pub use error::{Origin, ScenarioError};
pub use key_path::{Check, KeyPath, Problem, Seg};
pub use overrides::{MAX_KEY_BYTES, MAX_KEY_PARTS};
pub use source::{Source, MAX_FILE_BYTES};

use crate::plan::faults::Rates;
use crate::system::{NodeSpec, System};
use crate::world::HARNESS_NODE;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
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
    /// Whether nodes take their rare paths on purpose: with it, each
    /// [`sim::host::Io::sometimes`] site is active for a seed with
    /// probability 1/4 and then fires with its own probability (see
    /// [`sim::buggify`]); without it (the default) no site fires and
    /// nothing is drawn.
    #[serde(default)]
    pub buggify: bool,
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
    #[serde(with = "crate::scenario::duration::as_text")]
    pub duration: Duration,
    /// How long heal may take for every user's places to agree.
    #[serde(with = "crate::scenario::duration::as_text")]
    pub heal_bound: Duration,
    /// How often heal checks whether they agree.
    #[serde(
        with = "crate::scenario::duration::as_text",
        default = "Run::default_check"
    )]
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

/// The longest run a scenario may ask for: a year of simulated time.
const MAX_RUN: Duration = Duration::from_secs(366 * 86_400);

impl<S: System> Scenario<S> {
    /// The scenario `source` holds, with `overrides` (`KEY=VALUE`, dotted
    /// keys, TOML values; later ones win) applied and every rule checked:
    /// its own, the generic faults' and the system's ([`System::check`]).
    pub fn parse(source: &Source, overrides: &[String]) -> Result<Self, ScenarioError> {
        document::parse(&source.file, &source.text, overrides, |s: &Self| {
            s.validate(source.catalogue_name)
        })
    }

    /// The rules serde cannot say.
    fn validate(&self, catalogue_name: Option<&str>) -> Check {
        scenario_name(&self.name, catalogue_name)?;
        self.run.validate()?;
        self.faults
            .check(S::own_faults())
            .map_err(|p| p.under(&KeyPath::of(&["faults"])))?;
        self.system
            .check()
            .map_err(|p| p.under(&KeyPath::of(&["system"])))?;
        let designs = S::designs();
        for (name, design) in &designs {
            let nodes = self.system.nodes(design);
            ensure_unique_names(&nodes).map_err(|message| Problem {
                path: KeyPath::of(&["system"]),
                message: format!("under design `{name}`, {message}"),
            })?;
        }
        for design in self.expect.keys() {
            let known = designs.iter().any(|(n, _)| n == design);
            ensure(known, KeyPath::of(&["expect", design]), || {
                let names: Vec<&str> = designs.iter().map(|(n, _)| *n).collect();
                format!("no design `{design}`; the designs are {}", names.join(", "))
            })?;
        }
        Ok(())
    }
}

/// Each node's name unique and not the harness's own
/// ([`HARNESS_NODE`]), each disk's name unique in the
/// system: faults, the trace and `--node` name them, so two of one name
/// would be one target. The error says which two.
fn ensure_unique_names<M>(nodes: &[NodeSpec<M>]) -> Result<(), String> {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for n in nodes {
        if n.name == HARNESS_NODE {
            return Err(format!(
                "a node is named `{}`, the harness's own node",
                n.name
            ));
        }
        if !seen.insert(&n.name) {
            return Err(format!("two nodes are named `{}`", n.name));
        }
    }
    let mut disks: BTreeMap<&str, &str> = BTreeMap::new();
    for n in nodes {
        for (device, _) in &n.disks {
            if let Some(other) = disks.insert(device, &n.name) {
                return Err(format!(
                    "disks of {other} and {} are both named `{device}`: each disk's \
                     name must be unique in the system (`{}/{device}`, say)",
                    n.name, n.name
                ));
            }
        }
    }
    Ok(())
}

impl Run {
    /// A run of more than 0 and at most a year, healed within a year,
    /// checked for agreement at least once in the heal bound.
    fn validate(&self) -> Check {
        let at = |key: &str| KeyPath::of(&["run", key]);
        for (key, d) in [("duration", self.duration), ("heal_bound", self.heal_bound)] {
            ensure(!d.is_zero() && d <= MAX_RUN, at(key), || {
                "must be more than 0 and at most 366 days".to_string()
            })?;
        }
        ensure(
            !self.converge_check.is_zero() && self.converge_check <= self.heal_bound,
            at("converge_check"),
            || "must be more than 0 and at most run.heal_bound".to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::{NodeSpec, UserAction};
    use sim::host::{Addr, Boot, Io, Machine};
    use sim::place::{Place, View};
    use sim::rng::Seeds;

    #[derive(Clone, Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Toy {
        clients: u32,
    }

    struct Idle;
    impl Machine for Idle {
        type Msg = ();
        type Input = ();
        fn boot(&mut self, _: Boot, _: &mut Io<'_, ()>) {}
        fn on_message(&mut self, _: Addr, _: (), _: &mut Io<'_, ()>) {}
        fn on_timer(&mut self, _: u64, _: &mut Io<'_, ()>) {}
        fn on_input(&mut self, _: (), _: &mut Io<'_, ()>) {}
    }

    impl System for Toy {
        type Node = Idle;
        type Design = ();
        fn designs() -> Vec<(&'static str, ())> {
            vec![("plain", ())]
        }
        fn nodes(&self, _: &()) -> Vec<NodeSpec<Idle>> {
            Vec::new()
        }
        fn workload(&self, _: &Seeds, _: Duration) -> Vec<UserAction<()>> {
            Vec::new()
        }
        fn places(&self) -> Vec<(Place, Addr)> {
            Vec::new()
        }
        fn served(_: &Idle, _: Place) -> Option<View> {
            None
        }
        fn check(&self) -> Check {
            ensure(self.clients <= 8, KeyPath::of(&["clients"]), || {
                "at most 8".to_string()
            })
        }
    }

    const FILE: &str = "name = \"toy\"\n[run]\nduration = \"1d\"\nheal_bound = \"6h\"\n[system]\nclients = 2\n[expect]\nplain = \"keeps\"\n";

    fn parse(text: &str, overrides: &[&str]) -> Result<Scenario<Toy>, ScenarioError> {
        let source = Source {
            file: "toy.toml".into(),
            catalogue_name: None,
            text: text.into(),
        };
        let overrides: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
        Scenario::parse(&source, &overrides)
    }

    #[test]
    fn a_file_parses_and_overrides_apply() {
        let s = parse(FILE, &[]).unwrap();
        assert_eq!((s.system.clients, s.run.duration.as_secs()), (2, 86_400));
        assert_eq!(s.expect["plain"], Expect::Keeps);
        let o = ["system.clients=5", "faults.power_loss_per_node_day=2"];
        let s = parse(FILE, &o).unwrap();
        assert_eq!(s.system.clients, 5);
        assert_eq!(s.faults.power_loss_per_node_day, 2.0);
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_key() {
        let e = |text: &str, o: &[&str]| parse(text, o).unwrap_err().to_string();
        let bad = FILE.replace("clients = 2", "clients = 2\nservers = 1");
        assert_eq!(
            e(&bad, &[]),
            "toy.toml:7: key `system.servers`: unknown key, expected `clients`"
        );
        assert_eq!(
            e(FILE, &["system.clients=-1"]),
            "--set 'system.clients=-1': key `system.clients`: invalid value: integer `-1`, expected u32"
        );
        assert_eq!(
            e(FILE, &["faults.power_loss_per_node_day=-1"]),
            "--set 'faults.power_loss_per_node_day=-1': key `faults.power_loss_per_node_day`: \
             -1 is not a rate from 0 to 1000 a day"
        );
        let long = FILE.replace("\"1d\"", "\"400d\"");
        assert_eq!(
            e(&long, &[]),
            "toy.toml:3: key `run.duration`: must be more than 0 and at most 366 days"
        );
        // The system's own rules, located like the harness's.
        let many = FILE.replace("clients = 2", "clients = 9");
        assert_eq!(e(&many, &[]), "toy.toml:6: key `system.clients`: at most 8");
        let other = FILE.replace("plain =", "fancy =");
        assert_eq!(
            e(&other, &[]),
            "toy.toml:8: key `expect.fancy`: no design `fancy`; the designs are plain"
        );
        let own = FILE.replace("[system]", "[faults.system]\nmeteor_per_day = 1\n[system]");
        assert_eq!(
            e(&own, &[]),
            "toy.toml:6: key `faults.system.meteor_per_day`: no fault of this system has that key (its keys: none)"
        );
    }
}
