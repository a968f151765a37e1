//! `--set KEY=VALUE` overrides: edits of the document before it is read.

use super::checks::truncated;
use super::error::ScenarioError;
use super::key_path::{KeyPath, Seg};
use super::locate::Edit;
use std::borrow::Cow;
use toml_edit::{Document, DocumentMut, Item, Value};

/// The most dotted parts the key of a `--set KEY=VALUE` may have.
pub const MAX_KEY_PARTS: usize = 16;

/// The longest key of a `--set KEY=VALUE`, in bytes.
pub const MAX_KEY_BYTES: usize = 256;

/// Applies every override to a copy of `original`; returns the edited text
/// and what each override replaced.
pub(super) fn apply_overrides<'t>(
    text: &'t str,
    original: &Document<&'t str>,
    overrides: &[String],
) -> Result<(Cow<'t, str>, Vec<Edit>), ScenarioError> {
    if overrides.is_empty() {
        return Ok((Cow::Borrowed(text), Vec::new()));
    }
    let mut doc: DocumentMut = original.clone().into_mut();
    let edits = overrides
        .iter()
        .map(|set| apply_override(&mut doc, set))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((Cow::Owned(doc.to_string()), edits))
}

fn apply_override(doc: &mut DocumentMut, set: &str) -> Result<Edit, ScenarioError> {
    let bad = |message: String| ScenarioError::BadOverride {
        set: set.to_string(),
        message,
    };
    let Some((key, raw)) = set.split_once('=') else {
        return Err(bad(
            "expected KEY=VALUE, e.g. faults.reset_per_handset_day=0.2".to_string(),
        ));
    };
    check_key_size(key).map_err(|message| ScenarioError::BadOverride {
        set: truncated(set, 64),
        message,
    })?;
    let segments: Vec<&str> = key.split('.').map(str::trim).collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(bad(format!(
            "`{key}` is not a dotted key such as `run.duration`"
        )));
    }
    let mut path = KeyPath::default();
    let created =
        set_at(doc.as_item_mut(), &segments, override_value(raw), &mut path).map_err(bad)?;
    Ok(Edit {
        set: set.to_string(),
        created: KeyPath(path.0[..created].to_vec()),
    })
}

/// Refuses a `--set` key longer than [`MAX_KEY_BYTES`] or of more than
/// [`MAX_KEY_PARTS`] dotted parts, before it is split or walked: no key of
/// the schema comes near either bound.
fn check_key_size(key: &str) -> Result<(), String> {
    if key.len() > MAX_KEY_BYTES {
        return Err(format!(
            "the key is {} bytes long; a key has at most {MAX_KEY_BYTES}",
            key.len()
        ));
    }
    let parts = 1 + key.bytes().filter(|b| *b == b'.').count();
    if parts > MAX_KEY_PARTS {
        return Err(format!(
            "the key has {parts} dotted parts; a key has at most {MAX_KEY_PARTS}"
        ));
    }
    Ok(())
}

/// `raw` as a TOML value if it is one (`0.2`, `false`, `[]`, `"3d"`), else
/// as a bare string (`on-write`, `3d`).
fn override_value(raw: &str) -> Value {
    let raw = raw.trim();
    raw.parse::<Value>().unwrap_or_else(|_| Value::from(raw))
}

/// Sets `value` at `segments` below `item`, creating missing tables. On
/// success, returns how many parts of the full key (now in `path`) lead to
/// what the override created or replaced.
fn set_at(
    item: &mut Item,
    segments: &[&str],
    value: Value,
    path: &mut KeyPath,
) -> Result<usize, String> {
    let Some((seg, rest)) = segments.split_first() else {
        return Err("empty key".to_string());
    };
    if is_array(item) {
        return set_in_array(item, seg, rest, value, path);
    }
    let here = path.to_string();
    let table = item
        .as_table_like_mut()
        .ok_or_else(|| format!("`{here}` is a value, not a table: it has no key `{seg}`"))?;
    path.0.push(Seg::Key(seg.to_string()));
    if rest.is_empty() {
        table.insert(seg, Item::Value(value));
        return Ok(path.0.len());
    }
    let mut created = None;
    if table.get(seg).is_none() {
        table.insert(seg, Item::Table(toml_edit::Table::new()));
        created = Some(path.0.len());
    }
    let child = table
        .get_mut(seg)
        .ok_or_else(|| format!("`{path}` cannot be created"))?;
    let deeper = set_at(child, rest, value, path)?;
    Ok(created.unwrap_or(deeper))
}

fn is_array(item: &Item) -> bool {
    item.is_array_of_tables() || item.is_array()
}

fn set_in_array(
    item: &mut Item,
    seg: &str,
    rest: &[&str],
    value: Value,
    path: &mut KeyPath,
) -> Result<usize, String> {
    let here = path.to_string();
    let index: usize = seg
        .parse()
        .map_err(|_| format!("`{here}` is a list: index it by number, e.g. `{here}.0`"))?;
    let len = array_len(item);
    path.0.push(Seg::Index(index));
    let child = item
        .get_mut(index)
        .ok_or_else(|| no_entry(&here, len, index))?;
    if !rest.is_empty() {
        return set_at(child, rest, value, path);
    }
    match (child, value) {
        (Item::Table(slot), Value::InlineTable(t)) => *slot = t.into_table(),
        (Item::Table(_), _) => {
            return Err(format!(
                "the entries of `{here}` are tables: set one of their keys, \
                 e.g. `{here}.{index}.KEY=VALUE`"
            ))
        }
        (slot, value) => *slot = Item::Value(value),
    }
    Ok(path.0.len())
}

fn no_entry(list: &str, len: usize, index: usize) -> String {
    let entries = if len == 1 { "entry" } else { "entries" };
    format!("`{list}` has {len} {entries} (numbered from 0), so no entry {index}")
}

fn array_len(item: &Item) -> usize {
    match item {
        Item::ArrayOfTables(a) => a.len(),
        Item::Value(Value::Array(a)) => a.len(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_create_tables_and_index_lists() {
        let text = "[a]\nx = [[1], [2]]\n";
        let original = Document::parse(text).unwrap();
        let sets = ["a.x.1.0=5".to_string(), "b.c.d=on".to_string()];
        let (text, edits) = apply_overrides(text, &original, &sets).unwrap();
        let value: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(value["a"]["x"][1][0].as_integer(), Some(5));
        assert_eq!(value["b"]["c"]["d"].as_str(), Some("on"));
        assert_eq!(edits[1].created.to_string(), "b");
    }
}
