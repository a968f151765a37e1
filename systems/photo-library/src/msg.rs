//! What the nodes say to each other.
//!
//! A device syncs with the metadata primary in one round trip per tick
//! ([`Msg::Sync`], [`Msg::State`]) and moves blobs to and from the volumes
//! itself. Volumes tell the primary what they hold, so the service knows
//! which photos it can serve. The primary replicates to its two replicas.

use crate::row::Row;
use lastcopy_harness::sim::record::VersionId;
use serde::{Deserialize, Serialize};

/// One row a device asks the service to commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    /// The row.
    pub row: Row,
    /// The service's version the device made it over (hardened commits
    /// only over the current one).
    pub base: Option<VersionId>,
    /// A re-push of a row the service confirmed once and now lacks.
    pub repair: bool,
}

/// Why the service refused a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// It was made over a version the service has moved past.
    Stale,
    /// Its blob is on no volume.
    NoBlob,
}

/// A message between two nodes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Msg {
    /// Device to primary: commit these rows, then tell me everything of
    /// the user's.
    Sync {
        /// The device's number.
        device: u32,
        /// Its user.
        user: u32,
        /// Rows to commit.
        push: Vec<Push>,
        /// The planned fault of the last incident that struck the device
        /// (for the copy lineage: rows it overwrites are blamed on it).
        blame: Option<u32>,
    },
    /// Primary to device: the answer to a sync.
    State {
        /// Pushed rows committed: (photo, version).
        accepted: Vec<(u32, VersionId)>,
        /// Pushed rows refused: (photo, version, why).
        refused: Vec<(u32, VersionId, Refusal)>,
        /// Every row of the user.
        rows: Vec<Row>,
        /// For each of those rows' blobs: which volumes hold it (bit k:
        /// volume-k).
        holders: Vec<(u64, u8)>,
        /// Rows an incident made what they are: (photo, planned fault).
        blame: Vec<(u32, u32)>,
    },
    /// Device to volume: keep this blob.
    PutBlob {
        /// Its content address.
        id: u64,
        /// Its bytes as the device read them.
        bytes: Vec<u8>,
        /// The photo it belongs to: (owner, photo, version).
        of: (u32, u32, VersionId),
    },
    /// Volume to device: the blob is stored (as the design understands it).
    BlobStored {
        /// Its content address.
        id: u64,
        /// The volume's number.
        volume: u8,
    },
    /// Device to volume: send me this blob.
    GetBlob {
        /// Its content address.
        id: u64,
    },
    /// Volume to device: the blob's bytes as read.
    BlobData {
        /// Its content address.
        id: u64,
        /// The bytes.
        bytes: Vec<u8>,
        /// The photo it belongs to.
        of: (u32, u32, VersionId),
    },
    /// Volume to primary: what it holds, and whether each verifies.
    Inventory {
        /// The volume's number.
        volume: u8,
        /// (blob, intact).
        blobs: Vec<(u64, bool)>,
        /// Whether this is everything it holds (else: additions).
        full: bool,
    },
    /// Volume to primary: these blobs are gone.
    Dropped {
        /// The volume's number.
        volume: u8,
        /// The blobs.
        blobs: Vec<u64>,
    },
    /// Primary to volume: tell me everything you hold.
    AskInventory,
    /// Volume to primary (garbage collection): which blobs are referenced?
    AskRefs,
    /// Primary to volume: the blobs its rows reference.
    Refs {
        /// The blobs.
        blobs: Vec<u64>,
    },
    /// Primary to volume: these blobs now back these photo versions.
    Backs {
        /// (blob, (owner, photo, version)).
        rows: Vec<(u64, (u32, u32, VersionId))>,
    },
    /// Primary to replica: store these rows.
    Replicate {
        /// The request, for the answer.
        req: u64,
        /// The rows.
        rows: Vec<Row>,
    },
    /// Replica to primary: stored (as the design understands it).
    Replicated {
        /// The request.
        req: u64,
    },
    /// Metadata node to a peer: send me every row you hold.
    CatchUp,
    /// A peer's every row.
    Snapshot {
        /// The rows.
        rows: Vec<Row>,
    },
}
