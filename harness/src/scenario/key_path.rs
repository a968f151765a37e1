//! Dotted keys into a scenario document (`faults.upgrades[0].at`), and a
//! problem found at one before it is located in the file or an override.

use std::fmt;

/// One part of a dotted key: a table key or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A table's key.
    Key(String),
    /// An array's index.
    Index(usize),
}

/// A dotted key into the document, e.g. `faults.upgrades[0].at`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    /// The path of these table keys, outermost first.
    pub fn of(keys: &[&str]) -> Self {
        KeyPath(keys.iter().map(|k| Seg::Key(k.to_string())).collect())
    }

    /// This path, one table key deeper.
    pub fn key(mut self, key: &str) -> Self {
        self.0.push(Seg::Key(key.to_string()));
        self
    }

    /// This path, one array index deeper.
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Seg::Index(index));
        self
    }

    /// Whether this path is `prefix` or lies under it.
    pub fn starts_with(&self, prefix: &KeyPath) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Index(n) => write!(f, "[{n}]")?,
                Seg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if bare {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A problem with the value at `path`, before it is located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The key the problem is at.
    pub path: KeyPath,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// A check of one part of a scenario: fine, or the problem it found.
pub type Check = Result<(), Problem>;

impl KeyPath {
    /// This path under `prefix` (a section's checks name keys from the
    /// section down; the scenario puts them under the section's name).
    pub fn under(self, prefix: &KeyPath) -> Self {
        KeyPath(prefix.0.iter().cloned().chain(self.0).collect())
    }
}

impl Problem {
    /// This problem with its key put under `prefix`.
    pub fn under(self, prefix: &KeyPath) -> Self {
        Problem {
            path: self.path.under(prefix),
            message: self.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_print_as_dotted_keys() {
        let p = KeyPath::of(&["faults", "upgrades"]).index(2).key("at");
        assert_eq!(p.to_string(), "faults.upgrades[2].at");
        assert_eq!(KeyPath::of(&["a b"]).to_string(), "\"a b\"");
        assert_eq!(
            KeyPath::of(&["x"]).under(&p).to_string(),
            "faults.upgrades[2].at.x"
        );
    }
}
