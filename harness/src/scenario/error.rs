//! Why a scenario was refused, and where the problem is.

use super::source::MAX_FILE_BYTES;
use std::fmt;

/// Where a problem in a scenario comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A scenario file, by the name used for errors, and the 1-based line
    /// of the offending key when there is one (a missing top-level key has
    /// none).
    File {
        /// The file's name as given (a path, or `scenarios/NAME.toml`).
        file: String,
        /// The line of the key (or of its table's header when it is missing).
        line: Option<usize>,
    },
    /// A `--set KEY=VALUE` override, as typed.
    Override {
        /// The override's text, `KEY=VALUE`.
        set: String,
    },
}

impl fmt::Display for Origin {
    /// `FILE:LINE`, `FILE`, or `--set 'KEY=VALUE'`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File {
                file,
                line: Some(line),
            } => write!(f, "{file}:{line}"),
            Origin::File { file, line: None } => write!(f, "{file}"),
            Origin::Override { set } => write!(f, "--set '{set}'"),
        }
    }
}

/// Why a scenario could not be loaded. Each message says where and what, so
/// that the user can fix it without reading the code.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The scenario file could not be read.
    #[error("cannot read scenario file `{path}`: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The scenario file is longer than [`MAX_FILE_BYTES`].
    #[error(
        "scenario file `{path}` is longer than the {MAX_FILE_BYTES} bytes a scenario may have"
    )]
    TooLarge {
        /// The path as given.
        path: String,
    },
    /// The name is neither in the catalogue nor an existing file.
    #[error(
        "unknown scenario `{name}`: not a catalogue name and no such file; \
         catalogue names: {}; a file path must contain `/` or end in `.toml`",
        valid.join(", ")
    )]
    UnknownScenario {
        /// The name as given.
        name: String,
        /// Every catalogue name.
        valid: Vec<String>,
    },
    /// The file is not valid TOML.
    #[error("{origin}: not valid TOML: {message}")]
    Syntax {
        /// Where the syntax error is.
        origin: Origin,
        /// What the TOML parser expected.
        message: String,
    },
    /// A `--set` override that cannot be applied to the document.
    #[error("--set '{set}': {message}")]
    BadOverride {
        /// The override's text, `KEY=VALUE`.
        set: String,
        /// Why it cannot be applied.
        message: String,
    },
    /// An unknown key, a value of the wrong type, or an impossible value.
    #[error("{origin}: key `{key}`: {message}")]
    Invalid {
        /// The file line or override the key came from.
        origin: Origin,
        /// The dotted key, e.g. `faults.upgrades[0].at`.
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A design name that is not a preset.
    #[error("unknown design `{name}`; presets: {}", presets.join(", "))]
    UnknownDesign {
        /// The name as given.
        name: String,
        /// Every preset name.
        presets: Vec<String>,
    },
}
