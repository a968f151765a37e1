//! What a promise is about: records and their versions, named the same way
//! in the ledger, the lineage, the trace and every verdict.
//!
//! A record belongs to one user (`u17/contact-3`): its owner, a kind the
//! system names, and its number among the owner's records of that kind. A
//! version (`w17.42`) is one writer's edit of it, numbered in that writer's
//! sequence. A system keeps its own types for what it stores and sends; it
//! names what it promises with these.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A kind of record a system holds (`contact`, `photo`, `key`): a code that
/// orders kinds and the name records are printed with. Two kinds are the
/// same kind when their codes are.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct RecordKind {
    /// Orders and identifies the kind within its system.
    pub code: u16,
    /// The lowercase name in record ids (`u17/contact-3`).
    pub name: &'static str,
}

impl RecordKind {
    /// The kind `name`, ordered by `code`.
    pub const fn new(code: u16, name: &'static str) -> Self {
        RecordKind { code, name }
    }
}

impl PartialEq for RecordKind {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

impl Eq for RecordKind {}

impl Hash for RecordKind {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.code.hash(state);
    }
}

impl Ord for RecordKind {
    fn cmp(&self, other: &Self) -> Ordering {
        self.code.cmp(&other.code)
    }
}

impl PartialOrd for RecordKind {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// A record: its owner, its kind and its number among the owner's records
/// of that kind. Records order by owner, kind code, then number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RecordId {
    /// The user who owns it: the places of this user must serve it.
    pub owner: u32,
    /// What it holds.
    pub kind: RecordKind,
    /// Its number among the owner's records of its kind.
    pub n: u32,
}

impl fmt::Display for RecordId {
    /// `u17/contact-3`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "u{}/{}-{}", self.owner, self.kind.name, self.n)
    }
}

impl RecordId {
    /// Parses `u17/contact-3`, whose kind must be one of `kinds` (the
    /// system's); anything else is an error that says what was expected.
    pub fn parse(s: &str, kinds: &[RecordKind]) -> Result<Self, String> {
        let example = kinds.first().map_or("kind", |k| k.name);
        let bad = || format!("not a record id: {s:?} (expected e.g. u17/{example}-3)");
        let (owner, rest) = s
            .strip_prefix('u')
            .and_then(|r| r.split_once('/'))
            .ok_or_else(bad)?;
        let (kind, n) = rest.rsplit_once('-').ok_or_else(bad)?;
        let kind = *kinds.iter().find(|k| k.name == kind).ok_or_else(bad)?;
        Ok(RecordId {
            owner: owner.parse().map_err(|_| bad())?,
            kind,
            n: n.parse().map_err(|_| bad())?,
        })
    }
}

/// A version of a record: who wrote it and that writer's sequence number.
/// Versions order by sequence number, then writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VersionId {
    /// The writer (a device, a portal: the system numbers its writers).
    pub writer: u32,
    /// The writer's edit counter, from 1.
    pub seq: u32,
}

impl Ord for VersionId {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.seq, self.writer).cmp(&(other.seq, other.writer))
    }
}

impl PartialOrd for VersionId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for VersionId {
    /// `w17.42`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "w{}.{}", self.writer, self.seq)
    }
}

impl std::str::FromStr for VersionId {
    type Err = String;

    /// Parses `w17.42`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("not a version id: {s:?} (expected e.g. w17.42)");
        let (w, seq) = s
            .strip_prefix('w')
            .and_then(|r| r.split_once('.'))
            .ok_or_else(bad)?;
        Ok(VersionId {
            writer: w.parse().map_err(|_| bad())?,
            seq: seq.parse().map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTACT: RecordKind = RecordKind::new(0, "contact");
    const PHOTO: RecordKind = RecordKind::new(3, "photo");

    #[test]
    fn ids_print_and_parse_back() {
        let r = RecordId {
            owner: 3,
            kind: PHOTO,
            n: 2,
        };
        assert_eq!(r.to_string(), "u3/photo-2");
        assert_eq!(RecordId::parse("u3/photo-2", &[CONTACT, PHOTO]), Ok(r));
        let err = RecordId::parse("u3/todo-2", &[CONTACT, PHOTO]).unwrap_err();
        assert!(err.contains("u17/contact-3"), "{err}");
        let v = VersionId { writer: 3, seq: 9 };
        assert_eq!(v.to_string().parse::<VersionId>(), Ok(v));
        assert!("3.9".parse::<VersionId>().is_err());
    }

    #[test]
    fn kinds_order_by_code_and_versions_by_sequence() {
        let at = |kind| RecordId {
            owner: 0,
            kind,
            n: 9,
        };
        assert!(at(CONTACT) < at(PHOTO), "contact (0) before photo (3)");
        assert!(VersionId { writer: 9, seq: 1 } < VersionId { writer: 1, seq: 2 });
    }
}
