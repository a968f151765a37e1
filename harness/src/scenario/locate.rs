//! Turns a problem at a key into an error naming the file's line or the
//! `--set` override that put the key there.

use super::error::{Origin, ScenarioError};
use super::key_path::{KeyPath, Problem, Seg};
use std::ops::Range;
use toml_edit::{Document, Item};

pub(super) fn syntax_error(file: &str, text: &str, e: &toml_edit::TomlError) -> ScenarioError {
    ScenarioError::Syntax {
        origin: Origin::File {
            file: file.to_string(),
            line: e.span().map(|s| line_of(text, s.start)),
        },
        message: e.message().trim().to_string(),
    }
}

/// The 1-based line of byte `offset` in `text`.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}

/// An applied `--set`: its text and the key it created or replaced (every
/// problem at or below that key is the override's).
pub(super) struct Edit {
    pub(super) set: String,
    pub(super) created: KeyPath,
}

/// Turns problems into errors naming the file line or the override.
pub(super) struct Locator<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
    pub(super) original: &'a Document<&'a str>,
    pub(super) edits: &'a [Edit],
}

impl Locator<'_> {
    pub(super) fn error(&self, p: Problem) -> ScenarioError {
        ScenarioError::Invalid {
            origin: self.origin(&p.path),
            key: p.path.to_string(),
            message: p.message,
        }
    }

    /// The last override that put `path` there or changed something inside
    /// it, else the line in the file of `path` (or of its nearest enclosing
    /// key that the file has).
    fn origin(&self, path: &KeyPath) -> Origin {
        let touches = |e: &&Edit| path.starts_with(&e.created) || e.created.starts_with(path);
        if let Some(edit) = self.edits.iter().rev().find(touches) {
            return Origin::Override {
                set: edit.set.clone(),
            };
        }
        let text = self.text;
        Origin::File {
            file: self.file.to_string(),
            line: anchor(self.original.as_item(), &path.0).map(|s| line_of(text, s.start)),
        }
    }

    /// Locates a deserialization error of `edited` (the document after the
    /// overrides) by its span, then words it for a user.
    pub(super) fn serde_error(&self, edited: &str, e: &toml::de::Error) -> ScenarioError {
        let mut path = match (Document::parse(edited), e.span()) {
            (Ok(doc), Some(span)) => locate(doc.as_item(), &span),
            _ => KeyPath::default(),
        };
        let mut message = e.message().trim().to_string();
        if let Some(field) = quoted_after(&message, "missing field `") {
            path = path.key(&field);
            message = "required key is missing".to_string();
        } else if let Some(field) = quoted_after(&message, "unknown field `") {
            let rest = &message["unknown field `".len() + field.len() + 1..];
            message = format!("unknown key{rest}");
        }
        self.error(Problem { path, message })
    }
}

/// If `message` starts with `prefix`, the text from there to the next backtick.
fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    rest.find('`').map(|end| rest[..end].to_string())
}

/// The dotted key of the deepest key or value whose span holds `span`
/// (an empty span matches only a table header equal to it; the root
/// otherwise).
fn locate(root: &Item, span: &Range<usize>) -> KeyPath {
    let mut path = Vec::new();
    locate_in(root, span, &mut path);
    KeyPath(path)
}

fn covers(outer: Option<Range<usize>>, inner: &Range<usize>) -> bool {
    match outer {
        None => false,
        Some(o) if inner.is_empty() => o == *inner,
        Some(o) => o.start <= inner.start && inner.start < o.end,
    }
}

/// Searches strictly inside `item`; on success `path` leads to the match.
fn locate_in(item: &Item, span: &Range<usize>, path: &mut Vec<Seg>) -> bool {
    if let Some(table) = item.as_table_like() {
        for (key, child) in table.iter() {
            let key_span = table.key(key).and_then(|k| k.span());
            path.push(Seg::Key(key.to_string()));
            if locate_in(child, span, path) || covers(key_span, span) || covers(child.span(), span)
            {
                return true;
            }
            path.pop();
        }
        return false;
    }
    for i in 0.. {
        let Some(child) = item.get(i) else {
            break;
        };
        path.push(Seg::Index(i));
        if locate_in(child, span, path) || covers(child.span(), span) {
            return true;
        }
        path.pop();
    }
    false
}

/// The span that shows where `path` is written: its key (a key-value line or
/// a table header), or its element for an array index. Stops at the deepest
/// part of `path` the document has; `None` if it has no part of it.
fn anchor(root: &Item, path: &[Seg]) -> Option<Range<usize>> {
    let mut item = root;
    let mut found = None;
    for seg in path {
        let Some((span, child)) = child_of(item, seg) else {
            break;
        };
        found = span.or(found);
        item = child;
    }
    found
}

/// The child of `item` at `seg`, with the span that shows where it is written.
fn child_of<'i>(item: &'i Item, seg: &Seg) -> Option<(Option<Range<usize>>, &'i Item)> {
    match seg {
        Seg::Key(k) => {
            let (key, child) = item.as_table_like()?.get_key_value(k)?;
            Some((key.span().or_else(|| child.span()), child))
        }
        Seg::Index(i) => {
            let child = item.get(*i)?;
            Some((child.span(), child))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_finds_the_deepest_key() {
        let text = "a = 1\n[t]\nb = { c = [1, { d = 2 }] }\n";
        let doc = Document::parse(text).unwrap();
        let at = text.find("2 }").unwrap();
        let path = locate(doc.as_item(), &(at..at + 1));
        assert_eq!(path.to_string(), "t.b.c[1].d");
        assert_eq!(
            anchor(doc.as_item(), &path.0).map(|s| line_of(text, s.start)),
            Some(3)
        );
    }
}
