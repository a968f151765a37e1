//! Designs: every design choice of the system under test is a knob.
//!
//! The two presets are the 2009-style design ([`Design::fragile_2009`]) and a
//! hardened one ([`Design::hardened`]). Each knob can be set on its own in a
//! scenario file (`[design]` table) or with `--set design.KNOB=VALUE`. No
//! knob lets a design see, veto or delay the fault plan.

use serde::{Deserialize, Serialize};
use sim::sqlite::{JournalMode, Synchronous};
use std::time::Duration;

/// How often a store with [`Design::scrub`] reads itself back.
pub const SCRUB_INTERVAL: Duration = Duration::from_secs(3600);

/// When a handset tells its user that an edit is `saved`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SavedAck {
    /// As soon as the edit is written to the flash's write cache (not yet durable).
    OnWrite,
    /// Only after the edit is durable on flash (written and synced).
    AfterSync,
}

/// What a handset's local store is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HandsetStore {
    /// A cache of the server: a crash boot or a reset re-fetches everything
    /// from the server and overwrites the local store with it.
    Cache,
    /// The handset's own records: a crash boot keeps what is durable and
    /// re-uploads what the server has not confirmed.
    Authoritative,
}

/// What a database does when it boots on a blank volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlankBoot {
    /// Format a new, empty database and serve it (under a new epoch).
    Format,
    /// Serve nothing until an operator restores it from a verified copy.
    AwaitRestore,
}

/// Every design knob. Field docs state each knob's effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    /// When the user is told `saved`.
    pub saved_ack: SavedAck,
    /// Whether the handset store is a server cache or authoritative.
    pub handset_store: HandsetStore,
    /// On every sync, handset and server compare a per-user digest; on a
    /// mismatch the handset re-uploads what the server lacks and restores
    /// only what it lacks itself.
    pub digest_sync: bool,
    /// A changed server epoch (data restored or rebuilt) resets the
    /// handset's sync cursor, so it sees the server's whole state again.
    pub epoch_resets_cursor: bool,
    /// The backup database lives on an array independent of the primary's
    /// (`true`), or on the same array (`false`).
    pub backup_independent: bool,
    /// Before a storage upgrade the operator quiesces writes and takes a
    /// snapshot on another failure domain, reads it back and verifies it.
    pub upgrade_snapshot: bool,
    /// What a database does when it boots on a blank volume.
    pub blank_boot: BlankBoot,
    /// Restores (from a snapshot or a backup) check every record's
    /// end-to-end checksum before the copy is trusted.
    pub verified_restore: bool,
    /// Every row read from a disk or a message is checked against its
    /// end-to-end checksum; a row that fails is treated as missing (and
    /// repaired from another copy), never served or stored as good.
    pub verify_reads: bool,
    /// Databases and handsets periodically read their store back and
    /// rewrite, from their verified in-memory copy, every row whose durable
    /// copy is gone, corrupt or unreadable.
    pub scrub: bool,
    /// Every message frame is sealed with an end-to-end checksum when it is
    /// sent and checked when it arrives: a frame garbled in transit is
    /// dropped (and retried as a lost message would be), never acted on.
    /// Without it, a garbled frame that still decodes is acted on: a wrong
    /// row stored, a wrong `committed` ack believed.
    pub wire_checksum: bool,
    /// The primary commits a pushed version only if it is newer than the
    /// version it holds, so a push that arrives twice, or late after newer
    /// ones, changes nothing. Without it (last arrival wins) a duplicated or
    /// delayed stale push overwrites a newer committed version.
    pub idempotent_commit: bool,
    /// A handset that has not synced for longer than
    /// [`crate::handset::SESSION_TTL`] (12 h; offline, or cut off) treats
    /// its session as expired and refreshes from the server, the 2009 slow
    /// sync: it pushes nothing and replaces its store with the server's
    /// state, so edits made offline are dropped. Without it the handset
    /// simply resumes: it pushes what the server has not confirmed.
    pub offline_refresh: bool,
    /// Concurrent edits of one record (neither version the parent of the
    /// other) are merged: the last writer by stamp is served and the losing
    /// side is kept beside it as a conflict copy, never dropped; a version
    /// whose parent is the current one always replaces it; a handset never
    /// drops an edit the server has not committed for a concurrent server
    /// version. Off: plain last-writer-wins by stamp, the loser silently
    /// discarded (and still reported committed).
    pub conflict_copies: bool,
    /// Writers stamp versions with a hybrid logical clock (the larger of
    /// the local clock and one past the highest stamp they have seen), so a
    /// version always outranks what its writer saw, whatever the clock
    /// says. Off: the writer's wall clock, which skew and resets move.
    pub hlc: bool,
    /// Tombstones are kept for the whole run, longer than the oldest backup
    /// image, so a restore from a stale image cannot bring a deleted record
    /// back. Off: a writer drops its tombstone once the server committed
    /// it, and the nightly backup image carries live records only.
    pub keep_tombstones: bool,
    /// A record that a full sync reply lacks is taken as deleted elsewhere:
    /// a handset drops its synced copy. Off: only explicit tombstones
    /// delete; absence triggers a re-upload (with digest sync).
    pub absence_deletes: bool,
    /// Before restoring the primary from a copy, the operator checks that
    /// the primary really lost its data: a restore over a primary that
    /// still serves its own, newer data is refused (no stale restore).
    pub restore_checks_freshness: bool,
    /// Before an account restore writes rows into an account, the operator
    /// checks that they are that account's: a restore of another account's
    /// rows (a wrong-account restore) is refused and traced, and nothing is
    /// written into the wrong account.
    pub restore_checks_account: bool,
    /// A failover to the backup gives the promoted copy a new epoch, so
    /// handsets see the change and resync in full; without it the promoted
    /// copy keeps the epoch of the image it was made from.
    pub failover_bumps_epoch: bool,
    /// Every backup job is verified complete and fresh (the rows sent match
    /// the primary's count); a job that stopped part-way or sent nothing
    /// raises an alarm and is rerun at once.
    pub backup_verified: bool,
    /// Retention never deletes the last verified backup image.
    pub retention_keeps_verified: bool,
    /// Schema migrations and upgrade rollbacks are checked against row
    /// counts per record kind and every row's end-to-end checksum before
    /// they take effect, and abort automatically on a mismatch.
    pub migration_checked: bool,
    /// Handsets and the sync server negotiate a protocol version on every
    /// exchange, so a server in the middle of a rolling upgrade speaks each
    /// handset's version and never acknowledges rows it could not parse.
    pub protocol_negotiation: bool,
    /// The journal mode of a handset's SQLite store (scenario key
    /// `handset_engine = "sqlite"`); no effect on the log store.
    pub sqlite_journal_mode: JournalMode,
    /// The synchronous level of a handset's SQLite store: with `normal`
    /// in WAL mode a commit the user was told is saved may roll back at a
    /// power loss; `full` syncs before the commit returns. No effect on
    /// the log store.
    pub sqlite_synchronous: Synchronous,
}

impl Design {
    /// The names of the presets, in the order `lastcopy list` prints them.
    pub const PRESETS: [&'static str; 2] = ["fragile-2009", "hardened"];

    /// The 2009-style design: saved on local write, handsets are a cache of
    /// the server, nightly backup on the primary's own array, upgrades in
    /// place with no independent snapshot, frames sent without a checksum,
    /// pushes applied as they arrive (last arrival wins), and a handset
    /// long out of touch refreshing from the server (server wins);
    /// last-writer-wins by the writer's wall clock, tombstones purged once
    /// synced, absence taken as deletion; restores, backups, migrations and
    /// protocol versions taken on trust; a SQLite handset store in WAL mode
    /// with `synchronous=NORMAL`.
    pub fn fragile_2009() -> Self {
        Design {
            saved_ack: SavedAck::OnWrite,
            handset_store: HandsetStore::Cache,
            digest_sync: false,
            epoch_resets_cursor: false,
            backup_independent: false,
            upgrade_snapshot: false,
            blank_boot: BlankBoot::Format,
            verified_restore: false,
            verify_reads: false,
            scrub: false,
            wire_checksum: false,
            idempotent_commit: false,
            offline_refresh: true,
            conflict_copies: false,
            hlc: false,
            keep_tombstones: false,
            absence_deletes: true,
            restore_checks_freshness: false,
            restore_checks_account: false,
            failover_bumps_epoch: false,
            backup_verified: false,
            retention_keeps_verified: false,
            migration_checked: false,
            protocol_negotiation: false,
            sqlite_journal_mode: JournalMode::Wal,
            sqlite_synchronous: Synchronous::Normal,
        }
    }

    /// The hardened design: saved only when durable, handsets keep and
    /// re-upload their own records (digest sync, epoch-aware cursors),
    /// backups on an independent array, upgrades behind a verified snapshot,
    /// checksums verified on every read, stores scrubbed and repaired,
    /// frames sealed end to end, and commits idempotent (newer versions only);
    /// conflict copies, hybrid logical clocks, long-lived tombstones and
    /// deletion only by explicit tombstone; restores checked for freshness
    /// and account, failovers under a new epoch, backups verified with
    /// retention that keeps the last good one, migrations checked with
    /// automatic abort, protocol versions negotiated; a SQLite handset
    /// store in WAL mode with `synchronous=FULL`.
    pub fn hardened() -> Self {
        Design {
            saved_ack: SavedAck::AfterSync,
            handset_store: HandsetStore::Authoritative,
            digest_sync: true,
            epoch_resets_cursor: true,
            backup_independent: true,
            upgrade_snapshot: true,
            blank_boot: BlankBoot::AwaitRestore,
            verified_restore: true,
            verify_reads: true,
            scrub: true,
            wire_checksum: true,
            idempotent_commit: true,
            offline_refresh: false,
            conflict_copies: true,
            hlc: true,
            keep_tombstones: true,
            absence_deletes: false,
            restore_checks_freshness: true,
            restore_checks_account: true,
            failover_bumps_epoch: true,
            backup_verified: true,
            retention_keeps_verified: true,
            migration_checked: true,
            protocol_negotiation: true,
            sqlite_journal_mode: JournalMode::Wal,
            sqlite_synchronous: Synchronous::Full,
        }
    }

    /// The preset called `name`, if there is one.
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "fragile-2009" => Some(Self::fragile_2009()),
            "hardened" => Some(Self::hardened()),
            _ => None,
        }
    }

    /// The name of the preset this design equals, or `custom`.
    pub fn name(&self) -> &'static str {
        Self::PRESETS
            .into_iter()
            .find(|p| Self::preset(p).as_ref() == Some(self))
            .unwrap_or("custom")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_round_trip_by_name() {
        for p in Design::PRESETS {
            assert_eq!(Design::preset(p).unwrap().name(), p);
        }
        let mut d = Design::hardened();
        d.digest_sync = false;
        assert_eq!(d.name(), "custom");
        assert!(Design::preset("nope").is_none());
    }
}
