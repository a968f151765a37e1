//! What reaches a node from outside the network: the user's actions on a
//! device, and the incidents of this system's own fault table
//! ([`crate::incident`]).

use std::time::Duration;

/// An input to a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The user adds photo `photo`, whose bytes are drawn from `blob_seed`.
    Add {
        /// The photo's number.
        photo: u32,
        /// The version's sequence number (unique in the run).
        seq: u32,
        /// The seed of its bytes.
        blob_seed: u64,
        /// Its length in bytes.
        blob_len: u32,
    },
    /// The user edits a photo's album, caption and favourite mark.
    Edit {
        /// The photo's number.
        photo: u32,
        /// The version's sequence number.
        seq: u32,
        /// The new album.
        album: u8,
        /// The new caption.
        caption: u32,
        /// Whether it is now a favourite.
        favourite: bool,
    },
    /// The user deletes a photo: it goes to the trash.
    Trash {
        /// The photo's number.
        photo: u32,
        /// The version's sequence number.
        seq: u32,
    },
    /// The user restores a photo from the trash.
    Restore {
        /// The photo's number.
        photo: u32,
        /// The version's sequence number.
        seq: u32,
    },
    /// Incident: the device's wall clock jumps by this many milliseconds.
    ClockJump {
        /// The jump (negative: back).
        by_ms: i64,
    },
    /// Incident: the device loses the network for this long.
    GoOffline {
        /// How long.
        for_: Duration,
    },
    /// Incident: a client release re-runs an old migration on the library.
    OldMigration,
    /// Incident: an operator restores the metadata node from a snapshot
    /// this old.
    StaleRestore {
        /// The snapshot's age.
        age: Duration,
    },
    /// Incident: the volume's disk is lost and replaced by a blank one.
    VolumeLost,
    /// Incident: the object store's garbage collection runs on the volume.
    Gc,
}
