//! How the photo library's copies read in `--explain` and near misses: a
//! photo's version lives in parts, its metadata (a row) and its blob; the
//! metadata nodes keep the row, the volumes the blob, a device's library
//! both. `--explain` names each copy by the part it is ("blob b3fa2c1d
//! of w1.4 on volume-0", "metadata w1.4 on meta-primary", "photo w1.4
//! (metadata and blob b3fa2c1d) in phone's library").

use crate::topology::{META_NAMES, VOLUME_NAMES};
use crate::PhotoEvent;
use lastcopy_harness::sim::lineage::CopyOf;
use lastcopy_harness::sim::trace::Event;

/// The part of a version that is its metadata row.
pub const METADATA: u8 = 1;
/// The part of a version that is its blob.
pub const BLOB: u8 = 2;

/// The parts a copy on `store` keeps: the row on a metadata node, the blob
/// on a volume, both in a device's library.
pub fn parts(store: &str) -> u8 {
    if META_NAMES.contains(&store) {
        METADATA
    } else if VOLUME_NAMES.contains(&store) {
        BLOB
    } else {
        METADATA | BLOB
    }
}

/// `copy` in the photo library's words, its blob named from the trace's
/// `library.photo-added` event of its photo (`b?` if the trace lacks it).
pub fn copy_words(copy: CopyOf<'_>, trace: &[Event]) -> String {
    let (store, version) = (copy.store, copy.version);
    let blob = || {
        trace
            .iter()
            .find(|e| e.kind == PhotoEvent::Added && e.str("photo") == Some(copy.record))
            .and_then(|e| e.str("blob"))
            .unwrap_or("b?")
            .to_string()
    };
    match parts(store) {
        METADATA => format!("metadata {version} on {store}"),
        BLOB => format!("blob {} of {version} on {store}", blob()),
        _ => format!(
            "photo {version} (metadata and blob {}) in {store}'s library",
            blob()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_store_keeps_its_part_and_says_so() {
        assert_eq!(parts("meta-sync"), METADATA);
        assert_eq!(parts("volume-1"), BLOB);
        assert_eq!(parts("u1-phone"), METADATA | BLOB);
        let copy = |store| CopyOf {
            store,
            record: "u0/photo-1",
            version: "w1.4",
        };
        assert_eq!(
            copy_words(copy("meta-primary"), &[]),
            "metadata w1.4 on meta-primary"
        );
        assert_eq!(
            copy_words(copy("volume-0"), &[]),
            "blob b? of w1.4 on volume-0"
        );
        assert_eq!(
            copy_words(copy("phone"), &[]),
            "photo w1.4 (metadata and blob b?) in phone's library"
        );
    }
}
