//! Scenarios: what one run simulates, read from a TOML file.
//!
//! A scenario composes a topology, a workload, the faults to inject and the
//! expected verdict of each design preset (see `scenarios/README.md` for every
//! key, its unit and its default). It is loaded by [`Scenario::load`] from a
//! catalogue name (a file `scenarios/NAME.toml` compiled into the binary, see
//! [`CATALOGUE`]) or from a path, then changed by `--set KEY=VALUE` overrides.
//!
//! Error contract: loading never panics. Every unknown key, wrong type or
//! impossible value is a [`ScenarioError::Invalid`] that names the dotted key
//! and where it came from: the file and line, or the `--set` text that put it
//! there. Nothing here reads the clock, the environment or randomness.
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::time::Duration;

use models::design::{BlankBoot, Design, HandsetStore, SavedAck};
use models::engine::sqlite::HandsetEngine;
use models::engine::EngineKind;
use models::fault::{FaultClass, FaultKind};
use models::handset::EXCHANGE_TIMEOUT;
use serde::{Deserialize, Serialize};

use crate::duration::{self, as_text};
use harness::scenario::{
    self, distinct, ensure, non_empty, number, positive, probability, rate, scenario_name, Check,
    KeyPath, Source,
};
pub use harness::scenario::{
    is_valid_name, Origin, ScenarioError, MAX_FILE_BYTES, MAX_KEY_BYTES, MAX_KEY_PARTS,
    MAX_NAME_CHARS, MAX_RATE_PER_DAY,
};

mod design;
mod expect;
mod faults;
mod incidents;
mod network;
mod run;
mod storage;
mod swarm_bounds;
mod system;
mod topology;
mod upgrades;
mod workload;

pub use design::*;
pub use expect::*;
pub use faults::*;
pub use incidents::*;
pub use network::*;
pub use run::*;
pub use storage::*;
pub use swarm_bounds::*;
pub use system::*;
pub use topology::*;
pub use upgrades::*;
pub use workload::*;

/// Expands to the catalogue: each name `N` is the file `scenarios/N.toml`.
macro_rules! catalogue {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../scenarios/", $name, ".toml")))),*]
    };
}

/// The scenarios compiled into the binary, as `(name, TOML text)`, in the
/// order `lastcopy list` shows them. Adding `scenarios/N.toml` to the
/// catalogue is adding `"N"` to this list; its `name` key must be `N`.
pub const CATALOGUE: &[(&str, &str)] = catalogue![
    "sidekick-2009",
    "battery-pulls",
    "resets-during-outage",
    "disk-rot",
    "torn-writes",
    "lying-disk",
    "partitions",
    "two-writers",
    "double-failure",
    "stale-restore",
    "backup-rot",
    "botched-upgrade",
    "schema-migration",
    "chaos",
    "sqlite-handsets",
    "offline-media",
    "restore-resets",
    "edit-races",
];

/// One run's whole configuration. Every field is checked by
/// [`Scenario::load`] / [`Scenario::from_str`]: a value of this type that came
/// from them obeys every rule documented on its fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name; for a catalogue scenario, the catalogue name itself. One
    /// line of 1 to [`MAX_NAME_CHARS`] characters, `[a-z0-9][a-z0-9._-]*`,
    /// so that it can be printed in any output line and file name as it is.
    pub name: String,
    /// One paragraph saying what the scenario reproduces and why.
    pub description: String,
    /// The engine of the primary and backup databases: `"log"` (the
    /// project's own log store, the default) or `"redb"`.
    #[serde(default)]
    pub engine: EngineKind,
    /// The store of the handsets (and web portals): `"log"` (the
    /// project's own log store, the default) or `"sqlite"` (SQLite, with
    /// the design's `sqlite_journal_mode` and `sqlite_synchronous`).
    #[serde(default)]
    pub handset_engine: HandsetEngine,
    /// How many of each simulated machine there are.
    pub topology: Topology,
    /// How long the two phases of a run last.
    pub run: Run,
    /// What the users do.
    pub workload: Workload,
    /// How the operator runs the system (backups, disks).
    #[serde(default)]
    pub system: System,
    /// The faults injected during the safety phase.
    #[serde(default)]
    pub faults: Faults,
    /// The design under test: a preset and knob overrides.
    #[serde(default)]
    pub design: DesignOverrides,
    /// The verdict each design preset must reach, by preset name.
    #[serde(default)]
    pub expect: BTreeMap<String, Expectation>,
    /// How `cargo test` sweeps this scenario.
    #[serde(default)]
    pub test: TestSettings,
    /// Whether the models' buggify sites may take their rare but legal
    /// paths this run (`sim::buggify`; default false: no site draws, so
    /// the trace is the plain run's).
    #[serde(default, skip_serializing_if = "is_false")]
    pub buggify: bool,
    /// How `run --swarm` may draw this scenario's workload, engines and
    /// buggify (default: the workload table's bounds, every engine and
    /// handset engine, buggify drawn).
    #[serde(default, skip_serializing_if = "SwarmBounds::is_default")]
    pub swarm: SwarmBounds,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The name of every scenario in [`CATALOGUE`], in order.
pub fn catalogue_names() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|(name, _)| *name)
}

impl Scenario {
    /// Loads the scenario `spec` and applies `overrides` (`KEY=VALUE`, in
    /// order, later ones winning).
    ///
    /// `spec` is read as a path if it contains `/` or ends in `.toml`; else
    /// as a catalogue name if [`CATALOGUE`] has it; else as a path if such a
    /// file exists; else it is [`ScenarioError::UnknownScenario`], which
    /// lists the catalogue. A catalogue scenario's errors name it
    /// `scenarios/NAME.toml`, and its `name` key must equal `NAME`.
    pub fn load(spec: &str, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        Self::parse_source(&Source::find(spec, CATALOGUE)?, overrides)
    }

    /// The scenario `source` holds (found by [`Source::find`]), with
    /// `overrides` applied: the same checks and errors as
    /// [`Scenario::load`].
    pub fn parse_source(source: &Source, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        parse(&source.file, &source.text, overrides, source.catalogue_name)
    }

    /// Parses `text` as a scenario file called `name_for_errors` and applies
    /// `overrides`, with the same checks and errors as [`Scenario::load`]
    /// (except that `name` may be anything non-empty).
    pub fn from_str(
        name_for_errors: &str,
        text: &str,
        overrides: &[String],
    ) -> Result<Scenario, ScenarioError> {
        parse(name_for_errors, text, overrides, None)
    }

    /// The design to run: the preset `cli_design` if given, else
    /// `[design] preset`, else `hardened`, with the `[design]` knobs applied
    /// on top. An unknown preset name is [`ScenarioError::UnknownDesign`].
    pub fn design(&self, cli_design: Option<&str>) -> Result<Design, ScenarioError> {
        let name = self.preset_name(cli_design);
        let mut design = Design::preset(name).ok_or_else(|| unknown_design(name))?;
        self.design.apply(&mut design);
        Ok(design)
    }

    /// The name of the design [`Scenario::design`] returns: the preset it
    /// equals (see [`Design::name`]), `custom` if the knobs make it equal
    /// none, or the requested name as given if that is not a preset.
    pub fn design_name(&self, cli_design: Option<&str>) -> String {
        match self.design(cli_design) {
            Ok(design) => design.name().to_string(),
            Err(_) => self.preset_name(cli_design).to_string(),
        }
    }

    /// The preset a run starts from: `cli_design` if given, else the
    /// scenario's `[design] preset`, else `hardened`. The scenario's
    /// `[design]` knobs (and `--set design.*`) apply on top of it.
    pub fn preset_name<'a>(&'a self, cli_design: Option<&'a str>) -> &'a str {
        cli_design
            .or(self.design.preset.as_deref())
            .unwrap_or("hardened")
    }
}

fn unknown_design(name: &str) -> ScenarioError {
    ScenarioError::UnknownDesign {
        name: name.to_string(),
        presets: Design::PRESETS.map(String::from).to_vec(),
    }
}

fn parse(
    file: &str,
    text: &str,
    overrides: &[String],
    catalogue_name: Option<&str>,
) -> Result<Scenario, ScenarioError> {
    scenario::parse(file, text, overrides, |s: &Scenario| {
        s.validate(catalogue_name)
    })
}

impl Scenario {
    fn validate(&self, catalogue_name: Option<&str>) -> Check {
        scenario_name(&self.name, catalogue_name)?;
        non_empty(KeyPath::of(&["description"]), &self.description)?;
        self.topology.validate()?;
        self.run.validate()?;
        self.workload.validate()?;
        self.system.validate()?;
        self.faults.validate(self.run.duration)?;
        self.design.validate()?;
        validate_expect(&self.expect)?;
        self.swarm.validate()?;
        self.test.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_scenario_loads_under_its_own_name() {
        for name in catalogue_names() {
            let s = Scenario::load(name, &[]).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.name, name);
        }
    }
}
