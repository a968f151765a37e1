//! Reading a scenario document: syntax, `--set` overrides, deserializing
//! into the scenario's type, then its own checks, every error located.

use super::error::ScenarioError;
use super::key_path::Check;
use super::locate::{syntax_error, Locator};
use super::overrides::apply_overrides;
use serde::de::DeserializeOwned;
use toml_edit::Document;

/// `text` (the file `file`, for errors) with `overrides` (`KEY=VALUE`, in
/// order, later ones winning) applied, read as a `T` and checked by
/// `validate`. Every error names the dotted key and where it came from:
/// the file's line, or the `--set` that put it there. Never panics.
pub fn parse<T: DeserializeOwned>(
    file: &str,
    text: &str,
    overrides: &[String],
    validate: impl FnOnce(&T) -> Check,
) -> Result<T, ScenarioError> {
    let original = Document::parse(text).map_err(|e| syntax_error(file, text, &e))?;
    let (edited, edits) = apply_overrides(text, &original, overrides)?;
    let locator = Locator {
        file,
        text,
        original: &original,
        edits: &edits,
    };
    let value: T = toml::from_str(&edited).map_err(|e| locator.serde_error(&edited, &e))?;
    validate(&value).map_err(|p| locator.error(p))?;
    Ok(value)
}
