//! Where a scenario's text comes from: a system's built-in catalogue, or a
//! file the user names, read with a bound.

use super::error::ScenarioError;

/// The largest scenario file read, in bytes (1 MiB; a catalogue's are a
/// few KiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// A scenario's text and the name its errors give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The file as errors name it: `scenarios/NAME.toml` for a catalogue
    /// scenario, the path as given for a file.
    pub file: String,
    /// The catalogue name, when it is one (its `name` key must equal it).
    pub catalogue_name: Option<&'static str>,
    /// The TOML text.
    pub text: String,
}

impl Source {
    /// The text `text`, named `file` in errors (not a catalogue scenario).
    pub fn new(file: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            file: file.into(),
            catalogue_name: None,
            text: text.into(),
        }
    }

    /// The scenario `spec` names: read as a path if it contains `/` or ends
    /// in `.toml`; else a name in `catalogue` (name, TOML text); else a
    /// path if such a file exists; else [`ScenarioError::UnknownScenario`],
    /// which lists the catalogue. A file longer than [`MAX_FILE_BYTES`] is
    /// refused without reading more than one byte past the bound.
    pub fn find(
        spec: &str,
        catalogue: &'static [(&'static str, &'static str)],
    ) -> Result<Source, ScenarioError> {
        let looks_like_path = spec.contains('/')
            || spec.contains(std::path::MAIN_SEPARATOR)
            || spec.ends_with(".toml");
        if !looks_like_path {
            if let Some((name, text)) = catalogue.iter().find(|(name, _)| *name == spec) {
                return Ok(Source {
                    file: format!("scenarios/{name}.toml"),
                    catalogue_name: Some(name),
                    text: text.to_string(),
                });
            }
        }
        if looks_like_path || std::path::Path::new(spec).is_file() {
            return Ok(Source {
                file: spec.to_string(),
                catalogue_name: None,
                text: read_bounded(spec)?,
            });
        }
        Err(ScenarioError::UnknownScenario {
            name: spec.to_string(),
            valid: catalogue.iter().map(|(n, _)| n.to_string()).collect(),
        })
    }
}

/// The text of the scenario file `path`, if it is UTF-8 and at most
/// [`MAX_FILE_BYTES`] long; never reads more than one byte past the bound.
fn read_bounded(path: &str) -> Result<String, ScenarioError> {
    use std::io::Read;
    let read = |source| ScenarioError::Read {
        path: path.to_string(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(read)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ScenarioError::TooLarge {
            path: path.to_string(),
        });
    }
    String::from_utf8(bytes)
        .map_err(|e| read(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}
