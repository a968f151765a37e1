//! A photo's metadata at one version: what the metadata service, every
//! replica and every device library keep of it, and the fingerprint that
//! names its content wherever it is stored.

use lastcopy_harness::sim::record::{RecordId, RecordKind, VersionId};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The one kind of record: a user's photo.
pub const PHOTO: RecordKind = RecordKind::new(0, "photo");

/// Where a photo stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Life {
    /// In the library.
    Live,
    /// In the trash: still promised, restorable until it is purged.
    Trashed,
    /// Purged from the trash: a tombstone, never served again.
    Purged,
}

impl Life {
    fn code(self) -> u8 {
        match self {
            Life::Live => 0,
            Life::Trashed => 1,
            Life::Purged => 2,
        }
    }

    fn from_code(c: u8) -> Option<Life> {
        [Life::Live, Life::Trashed, Life::Purged]
            .get(usize::from(c))
            .copied()
    }
}

/// One photo's metadata at one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The user who owns the photo.
    pub owner: u32,
    /// The photo's number among its owner's photos.
    pub photo: u32,
    /// This version.
    pub version: VersionId,
    /// The version it was made over (none for the photo's first).
    pub parent: Option<VersionId>,
    /// The album it is filed in.
    pub album: u8,
    /// Its caption, as a number.
    pub caption: u32,
    /// Whether it is a favourite.
    pub favourite: bool,
    /// In the library, in the trash, or purged.
    pub life: Life,
    /// The blob holding its bytes (content address) and their length.
    pub blob: u64,
    /// The blob's length in bytes.
    pub blob_len: u32,
    /// Milliseconds on the writing device's wall clock when it was written
    /// (naive last-writer-wins compares these).
    pub stamp_ms: u64,
    /// When it went to the trash, in milliseconds: the trashing device's
    /// wall clock, or (hardened) the service's clock at commit.
    pub trashed_ms: u64,
    /// The fingerprint its writer wrote ([`Row::fingerprint`] then).
    pub content: u64,
}

impl Row {
    /// The record this row is a version of.
    pub fn record(&self) -> RecordId {
        record(self.owner, self.photo)
    }

    /// The fingerprint of what this row says now: owner, photo, version,
    /// album, caption, favourite, where it stands and its blob. Clocks are
    /// not content.
    pub fn fingerprint(&self) -> u64 {
        let mut b = Vec::with_capacity(48);
        for n in [
            self.owner,
            self.photo,
            self.version.writer,
            self.version.seq,
            self.caption,
            self.blob_len,
        ] {
            b.extend_from_slice(&n.to_le_bytes());
        }
        b.extend_from_slice(&[self.album, u8::from(self.favourite), self.life.code()]);
        b.extend_from_slice(&self.blob.to_le_bytes());
        xxh3_64_with_seed(&b, u64::from(PHOTO.code))
    }

    /// Whether the row still says what its writer wrote.
    pub fn genuine(&self) -> bool {
        self.fingerprint() == self.content
    }

    /// This row with its writer's fingerprint set to what it says.
    pub fn sealed(mut self) -> Row {
        self.content = self.fingerprint();
        self
    }

    /// Its encoding in a log entry: a fixed 80 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(ENCODED);
        let parent = self.parent.unwrap_or(VersionId { writer: 0, seq: 0 });
        for n in [
            self.owner,
            self.photo,
            self.version.writer,
            self.version.seq,
            parent.writer,
            parent.seq,
            self.caption,
            self.blob_len,
        ] {
            b.extend_from_slice(&n.to_le_bytes());
        }
        b.extend_from_slice(&[
            self.album,
            u8::from(self.favourite),
            self.life.code(),
            u8::from(self.parent.is_some()),
        ]);
        for n in [self.blob, self.stamp_ms, self.trashed_ms, self.content] {
            b.extend_from_slice(&n.to_le_bytes());
        }
        b.resize(ENCODED, 0);
        b
    }

    /// The row `b` encodes, if it is one.
    pub fn decode(b: &[u8]) -> Option<Row> {
        if b.len() < ENCODED {
            return None;
        }
        let w = |i: usize| u32::from_le_bytes(b[i * 4..i * 4 + 4].try_into().expect("4"));
        let l = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8"));
        let v = |i: usize| VersionId {
            writer: w(i),
            seq: w(i + 1),
        };
        Some(Row {
            owner: w(0),
            photo: w(1),
            version: v(2),
            parent: (b[35] == 1).then(|| v(4)),
            caption: w(6),
            blob_len: w(7),
            album: b[32],
            favourite: b[33] == 1,
            life: Life::from_code(b[34])?,
            blob: l(36),
            stamp_ms: l(44),
            trashed_ms: l(52),
            content: l(60),
        })
    }
}

/// The encoded size of a row.
pub const ENCODED: usize = 80;

/// Record `u{owner}/photo-{photo}`.
pub fn record(owner: u32, photo: u32) -> RecordId {
    RecordId {
        owner,
        kind: PHOTO,
        n: photo,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_reads_back_as_written_and_an_edit_in_place_is_not_genuine() {
        let row = Row {
            owner: 0,
            photo: 3,
            version: VersionId { writer: 2, seq: 8 },
            parent: Some(VersionId { writer: 1, seq: 4 }),
            album: 2,
            caption: 77,
            favourite: true,
            life: Life::Trashed,
            blob: 0xdead_beef,
            blob_len: 5000,
            stamp_ms: 9,
            trashed_ms: 10,
            content: 0,
        }
        .sealed();
        assert_eq!(Row::decode(&row.encode()), Some(row));
        assert!(row.genuine());
        let migrated = Row { album: 0, ..row };
        assert!(!migrated.genuine());
    }
}
