//! What clients and the server say to each other: one round trip per sync.

use lastcopy_harness::sim::record::VersionId;
use serde::{Deserialize, Serialize};

/// One key of one user at one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The key's number among its owner's keys.
    pub key: u32,
    /// The version.
    pub version: VersionId,
}

/// A message between a client and the server.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Msg {
    /// Client to server: store these rows of `user` (possibly none), then
    /// tell me everything you hold of mine.
    Sync {
        /// The user whose rows these are.
        user: u32,
        /// Rows the server has not confirmed yet.
        rows: Vec<Row>,
    },
    /// Server to client: what it committed from the last `Sync` (as the
    /// design understands committed), and every row it holds of the user.
    State {
        /// The pushed rows the server now holds.
        committed: Vec<Row>,
        /// Every row the server holds of the user, by key.
        all: Vec<Row>,
    },
}
