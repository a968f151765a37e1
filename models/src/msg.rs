//! The messages the nodes of the system exchange, and the inputs from
//! outside the network (the users and the plan's operator notices).

use crate::record::{RecordId, Row, VersionId};
use serde::{Deserialize, Serialize};

/// What a sync exchange came back with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncResult {
    /// The server took part.
    Ok {
        /// The server's epoch (changes whenever its data is restored or rebuilt).
        epoch: u64,
        /// The cursor to send next time: everything up to it has been sent.
        cursor: u64,
        /// Pushed versions the server has committed durably.
        committed: Vec<(RecordId, VersionId)>,
        /// Rows the handset may lack: since its cursor, or all of them if `full`.
        rows: Vec<Row>,
        /// Whether `rows` is the user's whole state on the server.
        full: bool,
    },
    /// The server cannot serve now (its database is down, lost or read-only
    /// for commits is reported as Ok with nothing committed).
    Unavailable,
}

/// A database's health, as it reports it to the operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DbHealth {
    /// Serving, under this epoch; `rebuilt` if it formatted itself after
    /// finding its volume blank.
    Serving {
        /// The current epoch.
        epoch: u64,
        /// Whether it formatted itself on a blank volume since the last restore.
        rebuilt: bool,
    },
    /// Its volume was found blank and it waits for a restore.
    AwaitingRestore,
}

/// Every message of the system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// Handset to server: push local changes, pull what the handset lacks.
    Sync {
        /// The handset's request number.
        req: u64,
        /// The user.
        user: u32,
        /// The epoch the handset last saw.
        epoch: u64,
        /// The handset's cursor.
        cursor: u64,
        /// Ask for the user's whole state.
        full: bool,
        /// A digest of the handset's records, when the design compares digests.
        digest: Option<u64>,
        /// Versions to commit.
        push: Vec<Row>,
    },
    /// Server to handset: the outcome of a sync.
    SyncReply {
        /// The handset's request number.
        req: u64,
        /// The outcome.
        result: SyncResult,
    },
    /// Server to primary database: a sync on behalf of a handset.
    DbSync {
        /// The server's request number.
        req: u64,
        /// The user.
        user: u32,
        /// The epoch the handset last saw.
        epoch: u64,
        /// The handset's cursor.
        cursor: u64,
        /// Send the user's whole state.
        full: bool,
        /// The handset's digest, if any.
        digest: Option<u64>,
        /// Versions to commit.
        push: Vec<Row>,
    },
    /// Primary database to server.
    DbSyncReply {
        /// The server's request number.
        req: u64,
        /// The outcome.
        result: SyncResult,
    },
    /// Primary to backup database: a full image for the nightly backup.
    BackupImage {
        /// The primary's epoch.
        epoch: u64,
        /// Every row the primary holds.
        rows: Vec<Row>,
    },
    /// Operator to a database: stop (or resume) committing writes.
    Quiesce {
        /// The operator's request number.
        req: u64,
        /// True to stop commits, false to resume.
        on: bool,
    },
    /// Operator to a database: send every row you hold.
    Dump {
        /// The operator's request number.
        req: u64,
    },
    /// Operator to a database: how are you?
    Status {
        /// The operator's request number.
        req: u64,
    },
    /// Operator to the primary: replace your contents with these rows,
    /// under a new epoch.
    Restore {
        /// The operator's request number.
        req: u64,
        /// The new epoch.
        epoch: u64,
        /// The rows to restore.
        rows: Vec<Row>,
    },
    /// Operator to the primary: replace account `account`'s rows with
    /// these, under a new epoch (the other accounts are kept).
    RestoreAccount {
        /// The operator's request number.
        req: u64,
        /// The new epoch.
        epoch: u64,
        /// The account written.
        account: u32,
        /// The rows, all filed under `account`.
        rows: Vec<Row>,
    },
    /// A database's answer to the operator.
    OpReply {
        /// The operator's request number.
        req: u64,
        /// The database's health.
        health: DbHealth,
        /// The rows, for a dump (None if it has no image to give).
        rows: Option<Vec<Row>>,
        /// Whether the request was carried out durably.
        done: bool,
    },
}

/// Inputs from outside the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The handset's user edits `record`, making `version`.
    Edit {
        /// The record.
        record: RecordId,
        /// The version the edit makes.
        version: VersionId,
        /// Whether it creates the record; an edit of a record the handset
        /// does not show cannot happen (the user cannot see it).
        creates: bool,
        /// Whether the edit deletes the record (writes a tombstone).
        deletes: bool,
    },
    /// The operator learns that `array` will be upgraded at `at_ms`.
    UpgradeNotice {
        /// The array.
        array: String,
        /// When, in simulated milliseconds.
        at_ms: u64,
    },
    /// Storage of `array` is back after an upgrade or a volume replacement,
    /// possibly blank: the operator checks the primary and restores it if needed.
    StorageBack {
        /// The array.
        array: String,
    },
    /// An operator, backup or upgrade incident for this node to carry out.
    Incident {
        /// The planned fault it comes from (the trace names it).
        fault: u32,
        /// What happens.
        incident: crate::incident::Incident,
    },
}
