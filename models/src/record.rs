//! Records, versions and their contents.
//!
//! A record belongs to one user (`u17/contact-3`). A version is (record,
//! writer, writer sequence number); its content is a deterministic function
//! of that, sealed with an end-to-end checksum made when the user makes the
//! edit. Anything that serves a row can therefore be checked: content that
//! fails its checksum, or that no writer ever wrote, is corrupt.

use serde::{Deserialize, Serialize};
use std::fmt;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// What a record holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RecordKind {
    /// An address-book entry.
    Contact,
    /// A calendar entry.
    Calendar,
    /// A to-do item.
    Todo,
    /// A photo.
    Photo,
}

impl RecordKind {
    /// Every kind, in a fixed order.
    pub const ALL: [RecordKind; 4] = [
        RecordKind::Contact,
        RecordKind::Calendar,
        RecordKind::Todo,
        RecordKind::Photo,
    ];

    /// The lowercase name used in record ids.
    pub const fn name(self) -> &'static str {
        match self {
            RecordKind::Contact => "contact",
            RecordKind::Calendar => "calendar",
            RecordKind::Todo => "todo",
            RecordKind::Photo => "photo",
        }
    }
}

/// A record: its owner, its kind and its number among the owner's records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordId {
    /// The user (and handset index) who owns it.
    pub owner: u32,
    /// What it holds.
    pub kind: RecordKind,
    /// Its number among the owner's records.
    pub n: u32,
}

impl fmt::Display for RecordId {
    /// `u17/contact-3`: as the harness names it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        sim::record::RecordId::from(*self).fmt(f)
    }
}

/// The harness's version id: who wrote it and that writer's sequence number.
pub use sim::record::VersionId;

impl RecordKind {
    /// This kind as the harness names records of it.
    pub const fn promised(self) -> sim::record::RecordKind {
        sim::record::RecordKind::new(self as u16, self.name())
    }
}

/// Every kind as the harness names records of it, to parse record ids.
pub const PROMISED_KINDS: [sim::record::RecordKind; 4] = [
    RecordKind::Contact.promised(),
    RecordKind::Calendar.promised(),
    RecordKind::Todo.promised(),
    RecordKind::Photo.promised(),
];

impl From<RecordId> for sim::record::RecordId {
    /// The same record as the harness's ledger and checker name it.
    fn from(r: RecordId) -> Self {
        sim::record::RecordId {
            owner: r.owner,
            kind: r.kind.promised(),
            n: r.n,
        }
    }
}

/// The fingerprint of `content` the ledger keeps (see
/// [`sim::ledger::Write::content`]): content is a hash already, so its
/// first eight bytes.
pub fn fingerprint(content: &[u8; CONTENT_LEN]) -> u64 {
    u64::from_le_bytes(content[..8].try_into().expect("eight bytes"))
}

/// Bytes of content per version.
pub const CONTENT_LEN: usize = 16;

/// One version of one record as stores hold it and messages carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The record.
    pub record: RecordId,
    /// This version.
    pub version: VersionId,
    /// The version the writer saw when making this one.
    pub parent: Option<VersionId>,
    /// The writer's timestamp for this version, in milliseconds: its wall
    /// clock (which may be skewed or reset) or its hybrid logical clock, as
    /// the design says. Last-writer-wins orders versions by it.
    pub stamp: u64,
    /// Whether this version deletes the record (a tombstone).
    pub deleted: bool,
    /// The content.
    pub content: [u8; CONTENT_LEN],
    /// The end-to-end checksum made at edit time, over identity, stamp,
    /// deletion flag and content.
    pub sum: u64,
    /// Conflict copies: the losing sides of concurrent edits, kept beside
    /// this version (each sealed with its own writer's checksum).
    pub conflicts: Vec<Row>,
}

/// The content every version has: a pure function of record and version.
pub fn content_of(record: RecordId, version: VersionId) -> [u8; CONTENT_LEN] {
    let a = xxh3_64_with_seed(&key_bytes(record, version), 0xc0de);
    let b = xxh3_64_with_seed(&key_bytes(record, version), 0xbeef);
    let mut out = [0; CONTENT_LEN];
    out[..8].copy_from_slice(&a.to_le_bytes());
    out[8..].copy_from_slice(&b.to_le_bytes());
    out
}

fn key_bytes(record: RecordId, version: VersionId) -> [u8; 20] {
    let mut k = [0u8; 20];
    k[..4].copy_from_slice(&record.owner.to_le_bytes());
    k[4..8].copy_from_slice(&(record.kind as u32).to_le_bytes());
    k[8..12].copy_from_slice(&record.n.to_le_bytes());
    k[12..16].copy_from_slice(&version.writer.to_le_bytes());
    k[16..20].copy_from_slice(&version.seq.to_le_bytes());
    k
}

/// The end-to-end checksum over a row's identity, stamp, deletion flag
/// and content: everything its writer wrote.
pub fn checksum(
    record: RecordId,
    version: VersionId,
    stamp: u64,
    deleted: bool,
    content: &[u8; CONTENT_LEN],
) -> u64 {
    let mut buf = [0u8; 20 + 9 + CONTENT_LEN];
    buf[..20].copy_from_slice(&key_bytes(record, version));
    buf[20..28].copy_from_slice(&stamp.to_le_bytes());
    buf[28] = u8::from(deleted);
    buf[29..].copy_from_slice(content);
    xxh3_64_with_seed(&buf, 0x5afe)
}

impl Row {
    /// The row a writer makes for `version` of `record`, having seen
    /// `parent`, with stamp 0 (see [`Row::make`]).
    pub fn new(record: RecordId, version: VersionId, parent: Option<VersionId>) -> Self {
        Self::make(record, version, parent, 0, false)
    }

    /// The row a writer makes for `version` of `record`, having seen
    /// `parent`, stamped `stamp`; a tombstone if `deleted`.
    pub fn make(
        record: RecordId,
        version: VersionId,
        parent: Option<VersionId>,
        stamp: u64,
        deleted: bool,
    ) -> Self {
        let content = content_of(record, version);
        Row {
            record,
            version,
            parent,
            stamp,
            deleted,
            content,
            sum: checksum(record, version, stamp, deleted, &content),
            conflicts: Vec::new(),
        }
    }

    /// Whether the content still matches its end-to-end checksum, and so
    /// does every conflict copy it carries.
    pub fn verifies(&self) -> bool {
        checksum(
            self.record,
            self.version,
            self.stamp,
            self.deleted,
            &self.content,
        ) == self.sum
            && self.conflicts.iter().all(Row::verifies)
    }

    /// Whether the content is exactly what its writer wrote (and so is
    /// every conflict copy's).
    pub fn is_genuine(&self) -> bool {
        self.verifies()
            && self.content == content_of(self.record, self.version)
            && self.conflicts.iter().all(Row::is_genuine)
    }

    /// What a place serving this row serves, in the harness's terms.
    pub fn served(&self) -> sim::place::Served {
        sim::place::Served {
            version: self.version,
            deleted: self.deleted,
            content: fingerprint(&self.content),
            genuine: self.is_genuine(),
            conflicts: self.conflicts.iter().map(Row::served).collect(),
        }
    }

    /// The order last-writer-wins uses: stamp, then version.
    pub fn lww_key(&self) -> (u64, VersionId) {
        (self.stamp, self.version)
    }

    /// Whether this row is `version` or keeps it as a conflict copy.
    pub fn holds(&self, version: VersionId) -> bool {
        self.version == version || self.conflicts.iter().any(|c| c.holds(version))
    }

    /// This row with `other` (and the conflict copies `other` carries)
    /// kept as conflict copies, unless already held.
    pub fn keeping(mut self, other: Row) -> Row {
        let Row {
            conflicts: mut nested,
            ..
        } = other.clone();
        let mut plain = other;
        plain.conflicts.clear();
        nested.push(plain);
        for c in nested {
            if !self.holds(c.version) {
                self.conflicts.push(c);
            }
        }
        self.conflicts.sort_by_key(|c| c.version);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_verify_until_touched() {
        let r = RecordId {
            owner: 3,
            kind: RecordKind::Photo,
            n: 2,
        };
        let v = VersionId { writer: 3, seq: 9 };
        let mut row = Row::new(r, v, None);
        assert!(row.is_genuine());
        assert_eq!(r.to_string(), "u3/photo-2");
        assert_eq!(v.to_string(), "w3.9");
        row.content[0] ^= 1;
        assert!(!row.verifies());
    }

    #[test]
    fn versions_order_by_sequence() {
        let a = VersionId { writer: 9, seq: 1 };
        let b = VersionId { writer: 1, seq: 2 };
        assert!(a < b);
    }
}

impl std::str::FromStr for RecordId {
    type Err = String;

    /// Parses `u17/contact-3`, as the harness does.
    fn from_str(s: &str) -> Result<Self, String> {
        let r = sim::record::RecordId::parse(s, &PROMISED_KINDS)?;
        Ok(RecordId {
            owner: r.owner,
            kind: RecordKind::ALL[usize::from(r.kind.code)],
            n: r.n,
        })
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn ids_parse_back_from_their_display() {
        let r = RecordId {
            owner: 17,
            kind: RecordKind::Calendar,
            n: 3,
        };
        let v = VersionId {
            writer: 17,
            seq: 42,
        };
        assert_eq!(r.to_string().parse::<RecordId>().unwrap(), r);
        let promised = sim::record::RecordId::from(r);
        assert_eq!(promised.to_string(), r.to_string());
        assert_eq!(
            sim::record::RecordId::parse(&r.to_string(), &PROMISED_KINDS),
            Ok(promised)
        );
        assert_eq!(v.to_string().parse::<VersionId>().unwrap(), v);
        assert!("x".parse::<RecordId>().is_err());
        assert!("w1".parse::<VersionId>().is_err());
    }
}

/// What a place holding `rows` serves, in the harness's terms.
pub fn served_view(rows: &std::collections::BTreeMap<RecordId, Row>) -> sim::place::View {
    rows.iter()
        .map(|(r, row)| ((*r).into(), row.served()))
        .collect()
}

/// The bytes one record adds to a sync digest: its id, the version served
/// and the versions of the conflict copies kept beside it. A record with
/// no copies adds what it always did: `(record, version)`.
pub fn digest_entry(record: &RecordId, row: &Row) -> Vec<u8> {
    let mut bytes = postcard::to_allocvec(&(record, row.version)).expect("encodes");
    for c in &row.conflicts {
        bytes.extend(postcard::to_allocvec(&c.version).expect("encodes"));
    }
    bytes
}
