//! The handset: a user's phone with a local store on flash and a sync client.
//!
//! The user's edits arrive as inputs; the handset writes them to its log
//! store and tells the user `saved` when the design says (on write, or only
//! once durable). Every `sync_interval`, and shortly after an edit, it runs
//! one sync exchange with the server: push what the server has not
//! confirmed, pull what the handset lacks, and tell the user `synced` for
//! what the server committed.
//!
//! Design knobs change what happens after a fault: a `cache` store re-fetches
//! everything from the server after a crash boot or a reset and overwrites
//! itself with it (as 2009 handsets did); an `authoritative` store keeps what
//! is durable and, with digest sync, re-uploads what the server lacks.
//!
//! The same machine is a user's web portal session (a second writer of the
//! user's records, with its own writer id): it is told its edits like a
//! handset and syncs through the same server. Every version is stamped with
//! the writer's clock ([`crate::clock::Rtc`], or a hybrid logical clock),
//! deletions are tombstone versions, and a server version meets the local
//! one by the rules of [`crate::merge`].

use crate::clock::Rtc;
use crate::design::{Design, HandsetStore, SavedAck, SCRUB_INTERVAL};
use crate::engine::sqlite::{self as sqlite, HandsetEngine, SqliteStore};
use crate::event::SidekickEvent;
use crate::logstore::{LogStore, Opened};
use crate::merge::{self, AtWriter};
use crate::msg::{Msg, SyncResult};
use crate::readback;
use crate::record::{fingerprint, RecordId, Row, VersionId};
use serde::{Deserialize, Serialize};
use sim::disk::DiskError;
use sim::fields;
use sim::host::{lock_disk, Addr, Boot, DiskHandle, Io};
use sim::ledger::Write;
use sim::lineage::EndCause;
use sim::time::SimTime;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use xxhash_rust::xxh3::Xxh3;

const TIMER_SYNC: u64 = 1;
const TIMER_TIMEOUT: u64 = 2;
const TIMER_SCRUB: u64 = 3;
/// The default of [`HandsetConfig::exchange_timeout`]: how long a handset
/// waits for the answer to its sync request before it gives the exchange
/// up (and retries later).
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(60);
const RETRY_AFTER: Duration = Duration::from_secs(300);

/// Buggify site: after a timeout or an unavailable server, the handset
/// retries after [`EARLY_RETRY`] instead of its usual back-off.
pub const SITE_RETRY_EARLY: &str = "handset.retry-early";
/// The early retry's delay.
pub const EARLY_RETRY: Duration = Duration::from_secs(1);
/// Buggify site: the exchange's timeout fires at the edge of its window,
/// [`EDGE_TIMEOUT`] after the request (about a round trip), so that the
/// reply often arrives after the handset gave up on it.
pub const SITE_TIMEOUT_AT_EDGE: &str = "handset.timeout-at-edge";
/// Buggify site: the handset pushes its unsynced rows (one per record,
/// independent of each other) in reverse record order, so that the server
/// commits them in another order.
pub const SITE_REORDER_PUSH: &str = "handset.reorder-push";
/// The timeout at the edge: a few network latencies.
pub const EDGE_TIMEOUT: Duration = Duration::from_millis(20);
/// How long a handset may go without a successful sync before a design with
/// [`Design::offline_refresh`] treats its sync session as expired.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// A handset's fixed settings.
#[derive(Clone, Debug)]
pub struct HandsetConfig {
    /// The user (and writer) number.
    pub user: u32,
    /// The sync server.
    pub server: Addr,
    /// The name of the flash store in the trace (`handset-3/flash`).
    pub store: String,
    /// How often it syncs on its own.
    pub sync_interval: Duration,
    /// Delay from an edit to the sync it triggers.
    pub sync_after_edit: Duration,
    /// How long it waits for the answer to its sync request before it
    /// gives the exchange up and retries later (> 0; [`EXCHANGE_TIMEOUT`]
    /// unless a scenario says otherwise).
    pub exchange_timeout: Duration,
    /// The writer's clock (survives crash boots; faults may move it).
    pub rtc: Rtc,
    /// The store it keeps its records in.
    pub engine: HandsetEngine,
}

/// Why a write to the handset's store failed.
#[derive(Debug, thiserror::Error)]
enum StoreError {
    /// The flash refused it.
    #[error(transparent)]
    Disk(#[from] DiskError),
    /// SQLite refused it.
    #[error(transparent)]
    Sqlite(#[from] sim::sqlite::SqliteError),
    /// The SQLite store could not be opened, even empty.
    #[error("the store is unusable")]
    Unusable,
}

/// One entry of the handset's log.
#[derive(Debug, Serialize, Deserialize)]
enum Entry {
    Put {
        row: Row,
        synced: bool,
    },
    Synced {
        record: RecordId,
        version: VersionId,
    },
    Cursor {
        epoch: u64,
        cursor: u64,
    },
    Clear,
    /// The record is forgotten (a purged tombstone, or taken as deleted).
    Drop {
        record: RecordId,
    },
}

#[derive(Clone, Debug)]
struct Local {
    row: Row,
    synced: bool,
}

/// What the flash holds, replayed.
#[derive(Default)]
struct Stored {
    rows: BTreeMap<RecordId, Local>,
    sectors: BTreeMap<RecordId, u64>,
    epoch: u64,
    cursor: u64,
}

impl Stored {
    /// Replays log entries in order; with `verify`, rows whose end-to-end
    /// checksum fails are left out.
    fn replay(opened: &Opened, verify: bool) -> Self {
        let mut s = Stored::default();
        for (bytes, &sector) in opened.entries.iter().zip(&opened.positions) {
            match postcard::from_bytes::<Entry>(bytes) {
                Ok(Entry::Put { row, .. }) if verify && !row.verifies() => {}
                Ok(Entry::Put { row, synced }) => {
                    s.sectors.insert(row.record, sector);
                    s.rows.insert(row.record, Local { row, synced });
                }
                Ok(Entry::Synced { record, version }) => {
                    if let Some(l) = s.rows.get_mut(&record).filter(|l| l.row.version == version) {
                        l.synced = true;
                    }
                }
                Ok(Entry::Cursor { epoch, cursor }) => (s.epoch, s.cursor) = (epoch, cursor),
                Ok(Entry::Clear) => {
                    s.rows.clear();
                    s.sectors.clear();
                }
                Ok(Entry::Drop { record }) => {
                    s.rows.remove(&record);
                    s.sectors.remove(&record);
                }
                Err(_) => {}
            }
        }
        s
    }
}

/// The handset's state machine.
pub struct Handset {
    cfg: HandsetConfig,
    design: Design,
    disk: DiskHandle,
    log: Option<LogStore>,
    /// The SQLite store, with `handset_engine = "sqlite"`.
    sqlite: Option<Box<SqliteStore>>,
    rows: BTreeMap<RecordId, Local>,
    /// The sector holding each record's current entry.
    sectors: BTreeMap<RecordId, u64>,
    /// What is durably on flash, per record (for copy lineage).
    durable: BTreeMap<RecordId, VersionId>,
    changed: BTreeSet<RecordId>,
    epoch: u64,
    cursor: u64,
    need_full: bool,
    overwrite_on_reply: bool,
    restoring: bool,
    in_flight: Option<u64>,
    next_req: u64,
    /// When the last sync exchange succeeded (or the handset booted).
    last_ok: SimTime,
    /// The highest stamp seen or issued (the hybrid logical clock's floor).
    hlc: u64,
}

impl Handset {
    /// A handset that will read its state from `disk` when it boots.
    pub fn new(cfg: HandsetConfig, design: Design, disk: DiskHandle) -> Self {
        Handset {
            cfg,
            design,
            disk,
            log: None,
            sqlite: None,
            rows: BTreeMap::new(),
            sectors: BTreeMap::new(),
            durable: BTreeMap::new(),
            changed: BTreeSet::new(),
            epoch: 0,
            cursor: 0,
            need_full: false,
            overwrite_on_reply: false,
            restoring: false,
            in_flight: None,
            next_req: 1,
            last_ok: SimTime::ZERO,
            hlc: 0,
        }
    }

    /// The rows this handset holds, in record order, without copying them
    /// (see [`Handset::view`]).
    pub fn rows(&self) -> impl Iterator<Item = (&RecordId, &Row)> {
        self.rows.iter().map(|(r, l)| (r, &l.row))
    }

    /// The records this handset holds, with the version of each (a
    /// tombstone for a record deleted here and not yet purged).
    pub fn view(&self) -> BTreeMap<RecordId, Row> {
        self.rows.iter().map(|(r, l)| (*r, l.row.clone())).collect()
    }

    /// The sectors holding the records this handset serves: where a storage
    /// fault does harm.
    pub fn live_sectors(&self) -> Vec<u64> {
        if let Some(db) = &self.sqlite {
            return db.live_sectors();
        }
        self.sectors.values().copied().collect()
    }

    /// Which record each sector of [`Handset::live_sectors`] holds, for a
    /// fault atlas that must know what a sector fault would strike; `None`
    /// when the engine keeps no such map (SQLite pages hold many rows).
    pub fn sector_records(&self) -> Option<Vec<(u64, RecordId)>> {
        if self.sqlite.is_some() {
            return None;
        }
        Some(self.sectors.iter().map(|(r, s)| (*s, *r)).collect())
    }

    /// How much is at stake right now: a sync exchange in flight and
    /// versions not yet durable count one each.
    pub fn at_stake(&self) -> u32 {
        let undurable = self
            .rows
            .iter()
            .filter(|(r, l)| self.durable.get(r) != Some(&l.row.version))
            .count();
        u32::from(self.in_flight.is_some()) + undurable as u32
    }

    fn append(&mut self, entry: &Entry) -> Result<u64, StoreError> {
        if self.cfg.engine == HandsetEngine::Sqlite {
            let db = self.sqlite.as_mut().ok_or(StoreError::Unusable)?;
            match entry {
                Entry::Put { row, synced } => db.put(row, *synced)?,
                Entry::Synced { record, version } => db.synced(*record, *version)?,
                Entry::Cursor { epoch, cursor } => db.cursor(*epoch, *cursor)?,
                Entry::Clear => db.clear()?,
                Entry::Drop { record } => db.forget(*record)?,
            }
            return Ok(0);
        }
        let bytes = postcard::to_allocvec(entry).expect("entries always encode");
        let log = self.log.as_mut().expect("store opened at boot");
        Ok(log.append(&mut lock_disk(&self.disk), &bytes)?)
    }

    /// Syncs the flash; on success, records in the lineage which versions
    /// are now durable copies and which copies they replaced.
    /// A failed sync took the unsynced writes with it, so the store in
    /// memory is reloaded from flash before the error is returned.
    fn flush(&mut self, io: &mut Io<'_, Msg>) -> Result<(), StoreError> {
        let synced = match self.sqlite.as_mut() {
            Some(db) => db.commit().map_err(StoreError::from),
            None if self.cfg.engine == HandsetEngine::Sqlite => Err(StoreError::Unusable),
            None => lock_disk(&self.disk).sync().map_err(StoreError::from),
        };
        if let Err(e) = synced {
            self.reload(io);
            return Err(e);
        }
        for record in std::mem::take(&mut self.changed) {
            let old = self.durable.get(&record).copied();
            let new = self.rows.get(&record).map(|l| l.row.version);
            if old == new {
                continue;
            }
            let (rs, store) = (record.to_string(), self.cfg.store.as_str());
            if let Some(o) = old {
                let cause = if new.is_some_and(|n| n > o) {
                    EndCause::Superseded
                } else {
                    EndCause::Overwritten
                };
                io.copy_ended(store, &rs, &o.to_string(), cause);
            }
            match new {
                Some(n) => {
                    io.copy_created(store, &rs, &n.to_string());
                    self.durable.insert(record, n);
                }
                None => {
                    self.durable.remove(&record);
                }
            }
        }
        Ok(())
    }

    fn put(&mut self, row: Row, synced: bool) -> Result<(), StoreError> {
        self.see(&row);
        let sector = self.append(&Entry::Put {
            row: row.clone(),
            synced,
        })?;
        self.sectors.insert(row.record, sector);
        self.changed.insert(row.record);
        self.rows.insert(row.record, Local { row, synced });
        Ok(())
    }

    /// Raises the hybrid logical clock's floor to `row`'s stamps.
    fn see(&mut self, row: &Row) {
        self.hlc = self.hlc.max(row.stamp);
        for c in &row.conflicts {
            self.hlc = self.hlc.max(c.stamp);
        }
    }

    /// The stamp of a new version: the wall clock, or with a hybrid logical
    /// clock the larger of it and one past every stamp seen.
    fn stamp(&mut self, io: &Io<'_, Msg>) -> u64 {
        let wall = self.cfg.rtc.read(io.now());
        if !self.design.hlc {
            return wall;
        }
        self.hlc = wall.max(self.hlc + 1);
        self.hlc
    }

    /// Forgets `record` (durably, once flushed).
    fn forget(&mut self, record: RecordId) -> Result<(), StoreError> {
        if self.rows.contains_key(&record) {
            self.append(&Entry::Drop { record })?;
            self.rows.remove(&record);
            self.sectors.remove(&record);
            self.changed.insert(record);
        }
        Ok(())
    }

    /// Takes the server's `row`: a tombstone is purged at once when the
    /// design does not keep tombstones.
    fn take(&mut self, row: Row) -> Result<(), StoreError> {
        if row.deleted && !self.design.keep_tombstones {
            self.see(&row);
            return self.forget(row.record);
        }
        self.put(row, true)
    }

    /// What the handset shows, per record (its version and the versions
    /// of its conflict copies), hashed as the server hashes its own
    /// ([`crate::record::digest_entry`]): a copy one side lacks makes the
    /// digests differ, so sync sends everything again.
    fn digest(&self) -> u64 {
        let mut h = Xxh3::new();
        for (r, l) in &self.rows {
            h.update(&crate::record::digest_entry(r, &l.row));
        }
        h.digest()
    }

    /// Reads the store back from flash: what a boot, a reload after a
    /// failed sync, and a scrub all start from.
    fn read_flash(&self) -> (LogStore, Opened, Stored) {
        let disk = lock_disk(&self.disk);
        let (log, opened) = match LogStore::open(&disk) {
            Ok(x) => x,
            Err(e) => panic!("{}: flash not readable: {e}", self.cfg.store),
        };
        let stored = Stored::replay(&opened, self.design.verify_reads);
        (log, opened, stored)
    }

    /// Rebuilds the in-memory store from flash. Copies the lineage holds on
    /// this store that flash no longer has ended on the media.
    fn load(&mut self, io: &mut Io<'_, Msg>) -> bool {
        let (stored, damaged, blank) = match self.cfg.engine {
            HandsetEngine::Log => {
                let (log, opened, stored) = self.read_flash();
                self.log = Some(log);
                (stored, opened.damaged, opened.blank)
            }
            HandsetEngine::Sqlite => {
                let (stored, blank) = self.open_sqlite(io);
                (stored, Vec::new(), blank)
            }
        };
        readback::settle(io, &self.cfg.store, &damaged, |r, v| {
            stored.rows.get(&r).is_some_and(|l| l.row.version == v)
        });
        (self.rows, self.sectors) = (stored.rows, stored.sectors);
        (self.epoch, self.cursor) = (stored.epoch, stored.cursor);
        let rows: Vec<Row> = self.rows.values().map(|l| l.row.clone()).collect();
        rows.iter().for_each(|r| self.see(r));
        self.durable.clear();
        self.changed.clear();
        for (r, l) in &self.rows {
            io.copy_created(&self.cfg.store, &r.to_string(), &l.row.version.to_string());
            self.durable.insert(*r, l.row.version);
        }
        blank
    }

    /// Opens the SQLite store (closing the connection first, if any) and
    /// reads it back. A database that fails to open or its integrity check
    /// is a finding: traced, its files deleted, and the handset starts
    /// empty, as on a blank flash (and restores from the server).
    fn open_sqlite(&mut self, io: &mut Io<'_, Msg>) -> (Stored, bool) {
        self.sqlite = None;
        let settings = (
            self.design.sqlite_journal_mode,
            self.design.sqlite_synchronous,
        );
        let seed = xxhash_rust::xxh3::xxh3_64(self.cfg.store.as_bytes());
        let mut opened = SqliteStore::open(&self.disk, settings, seed);
        let mut unusable = false;
        if let sqlite::Opened::Unusable(why) = &opened {
            io.trace(SidekickEvent::StoreUnusable, fields!["why" => why.clone()]);
            unusable = true;
            if let Err(e) = SqliteStore::discard(&self.disk) {
                io.trace(SidekickEvent::StoreDiscardFailed, fields!["why" => e]);
            }
            opened = SqliteStore::open(&self.disk, settings, seed);
        }
        let sqlite::Opened::Ok(db, read) = opened else {
            return (Stored::default(), true);
        };
        self.sqlite = Some(Box::new(db));
        let mut s = Stored {
            epoch: read.epoch,
            cursor: read.cursor,
            ..Stored::default()
        };
        for (row, synced) in read.rows {
            if self.design.verify_reads && !row.verifies() {
                continue;
            }
            s.rows.insert(row.record, Local { row, synced });
        }
        (s, read.blank || unusable)
    }

    /// A sync of the flash failed and took the unsynced writes with it: the
    /// store in memory goes back to what flash holds.
    fn reload(&mut self, io: &mut Io<'_, Msg>) {
        io.trace(
            SidekickEvent::StoreReload,
            fields!["why" => "flash sync failed"],
        );
        self.load(io);
    }

    /// Reads back the entry of every durable row and rewrites, from the
    /// verified copy in memory, each one whose entry is gone or spoiled.
    fn scrub(&mut self, io: &mut Io<'_, Msg>) {
        let missing: Vec<Local> = if self.cfg.engine == HandsetEngine::Sqlite {
            if self.sqlite.as_ref().is_none_or(|db| db.pending()) {
                return;
            }
            // Reading through a fresh connection reads the flash, not
            // SQLite's page cache.
            let (stored, _) = self.open_sqlite(io);
            self.rows
                .iter()
                .filter(|(r, l)| self.durable.get(r) == Some(&l.row.version) && l.row.verifies())
                .filter(|(r, l)| stored.rows.get(r).map(|s| &s.row) != Some(&l.row))
                .map(|(_, l)| l.clone())
                .collect()
        } else {
            let disk = lock_disk(&self.disk);
            self.rows
                .iter()
                .filter(|(r, l)| self.durable.get(r) == Some(&l.row.version) && l.row.verifies())
                .filter(|(r, l)| {
                    let on_disk = self
                        .sectors
                        .get(r)
                        .and_then(|&sector| LogStore::read_entry(&disk, sector))
                        .and_then(|bytes| postcard::from_bytes::<Entry>(&bytes).ok());
                    !matches!(on_disk, Some(Entry::Put { row, .. }) if row == l.row)
                })
                .map(|(_, l)| l.clone())
                .collect()
        };
        if missing.is_empty() {
            return;
        }
        for l in &missing {
            let (rs, vs) = (l.row.record.to_string(), l.row.version.to_string());
            io.copy_ended(&self.cfg.store, &rs, &vs, EndCause::Corrupted);
            self.durable.remove(&l.row.record);
            self.changed.insert(l.row.record);
            let entry = Entry::Put {
                row: l.row.clone(),
                synced: l.synced,
            };
            match self.append(&entry) {
                Ok(sector) => self.sectors.insert(l.row.record, sector),
                Err(_) => break,
            };
        }
        let repaired = self.flush(io).is_ok();
        io.trace(
            SidekickEvent::StoreScrub,
            fields!["rows" => missing.len(), "repaired" => repaired],
        );
    }

    /// Boot: rebuild the store from flash and decide what the next sync asks.
    pub fn boot(&mut self, boot: Boot, io: &mut Io<'_, Msg>) {
        let blank = self.load(io);
        self.last_ok = io.now();
        if self.design.scrub {
            io.set_timer(TIMER_SCRUB, SCRUB_INTERVAL);
        }
        if blank && boot != Boot::First {
            self.restoring = true;
            self.need_full = true;
        }
        if boot == Boot::Crash && self.design.handset_store == HandsetStore::Cache {
            self.need_full = true;
            self.overwrite_on_reply = true;
        }
        let phase =
            (u64::from(self.cfg.user) * 7_919) % self.cfg.sync_interval.as_millis().max(1) as u64;
        let first = if self.need_full || self.rows.values().any(|l| !l.synced) {
            self.cfg.sync_after_edit
        } else {
            Duration::from_millis(phase + 1)
        };
        io.set_timer(TIMER_SYNC, first);
    }

    /// The user makes `version` of `record` (creating it if `creates`,
    /// deleting it if `deletes`). A user cannot edit or delete a record the
    /// handset does not show (never had, or shows as deleted): such an edit
    /// is skipped and nothing is written. A new version carries the conflict
    /// copies its parent carried: the user resolved none of them.
    pub fn edit(
        &mut self,
        record: RecordId,
        version: VersionId,
        creates: bool,
        deletes: bool,
        io: &mut Io<'_, Msg>,
    ) {
        let shown = self.rows.get(&record).filter(|l| !l.row.deleted);
        let (parent, conflicts) = match (shown, self.rows.get(&record)) {
            (Some(l), _) => (Some(l.row.version), l.row.conflicts.clone()),
            (None, Some(l)) if creates => (Some(l.row.version), Vec::new()),
            _ => (None, Vec::new()),
        };
        if shown.is_none() && (!creates || deletes) {
            io.trace(
                SidekickEvent::EditSkipped,
                fields!["record" => record.to_string(), "why" => "not shown on the handset"],
            );
            return;
        }
        let stamp = self.stamp(io);
        let mut row = Row::make(record, version, parent, stamp, deletes);
        row.conflicts = conflicts;
        let content = fingerprint(&row.content);
        let write = if deletes {
            Write::deletion(parent, content)
        } else {
            Write::edit(parent, content)
        };
        io.wrote(record.into(), version, write);
        let (rs, vs) = (record.to_string(), version.to_string());
        if let Err(e) = self.put(row, false) {
            io.trace(
                SidekickEvent::EditFailed,
                fields!["record" => rs, "version" => vs, "error" => e.to_string()],
            );
            return;
        }
        let durable = match self.design.saved_ack {
            SavedAck::OnWrite => true,
            SavedAck::AfterSync => self.flush(io).is_ok(),
        };
        if durable {
            io.told_saved(record.into(), version);
        } else {
            io.trace(
                SidekickEvent::EditFailed,
                fields!["record" => rs, "version" => vs, "error" => "sync failed"],
            );
        }
        io.set_timer(TIMER_SYNC, self.cfg.sync_after_edit);
    }

    /// A timer fired.
    pub fn on_timer(&mut self, key: u64, io: &mut Io<'_, Msg>) {
        match key {
            TIMER_SYNC => self.start_sync(io),
            TIMER_SCRUB => {
                self.scrub(io);
                io.set_timer(TIMER_SCRUB, SCRUB_INTERVAL);
            }
            TIMER_TIMEOUT if self.in_flight.take().is_some() => {
                io.trace(SidekickEvent::SyncTimeout, vec![]);
                io.set_timer(TIMER_SYNC, Self::retry_after(io));
            }
            _ => {}
        }
    }

    /// When to try again after a failed exchange: the usual back-off, or
    /// at once when [`SITE_RETRY_EARLY`] fires.
    fn retry_after(io: &Io<'_, Msg>) -> Duration {
        if io.sometimes(SITE_RETRY_EARLY, 0.5) {
            io.trace(
                SidekickEvent::SyncRetryEarly,
                fields!["after_ms" => EARLY_RETRY.as_millis() as u64],
            );
            EARLY_RETRY
        } else {
            RETRY_AFTER
        }
    }

    fn start_sync(&mut self, io: &mut Io<'_, Msg>) {
        io.set_timer(TIMER_SYNC, self.cfg.sync_interval);
        if self.in_flight.is_some() {
            return;
        }
        if self.flush(io).is_err() {
            io.trace(
                SidekickEvent::SyncAborted,
                fields!["why" => "flash sync failed"],
            );
            return;
        }
        let offline = io.now().since(self.last_ok);
        let refresh = self.design.offline_refresh && offline > SESSION_TTL;
        if refresh {
            // The 2009 slow sync: the session expired, the server wins.
            io.trace(
                SidekickEvent::SyncRefresh,
                fields!["offline_ms" => offline.as_millis() as u64],
            );
            self.need_full = true;
            self.overwrite_on_reply = true;
        }
        let mut push: Vec<Row> = self
            .rows
            .values()
            .filter(|l| !l.synced && !refresh)
            .map(|l| l.row.clone())
            .collect();
        if push.len() > 1 && io.sometimes(SITE_REORDER_PUSH, 0.5) {
            io.trace(
                SidekickEvent::SyncReorderedPush,
                fields!["rows" => push.len()],
            );
            push.reverse();
        }
        let req = self.next_req;
        self.next_req += 1;
        self.in_flight = Some(req);
        let timeout = if io.sometimes(SITE_TIMEOUT_AT_EDGE, 0.1) {
            io.trace(
                SidekickEvent::SyncTimeoutAtEdge,
                fields!["req" => req, "after_ms" => EDGE_TIMEOUT.as_millis() as u64],
            );
            EDGE_TIMEOUT
        } else {
            self.cfg.exchange_timeout
        };
        io.set_timer(TIMER_TIMEOUT, timeout);
        let digest = self.design.digest_sync.then(|| self.digest());
        io.send(
            self.cfg.server,
            Msg::Sync {
                req,
                user: self.cfg.user,
                epoch: self.epoch,
                cursor: self.cursor,
                full: self.need_full,
                digest,
                push,
            },
        );
    }

    /// A message arrived.
    pub fn on_message(&mut self, msg: Msg, io: &mut Io<'_, Msg>) {
        let Msg::SyncReply { req, result } = msg else {
            return;
        };
        if self.in_flight != Some(req) {
            return;
        }
        self.in_flight = None;
        io.cancel_timer(TIMER_TIMEOUT);
        match result {
            SyncResult::Unavailable => {
                io.trace(SidekickEvent::SyncUnavailable, vec![]);
                io.set_timer(TIMER_SYNC, Self::retry_after(io));
            }
            SyncResult::Ok {
                epoch,
                cursor,
                committed,
                rows,
                full,
            } => {
                self.last_ok = io.now();
                if let Err(e) = self.apply_reply(epoch, cursor, committed, rows, full, io) {
                    io.trace(SidekickEvent::SyncAborted, fields!["why" => e.to_string()]);
                }
                if self.need_full || self.rows.values().any(|l| !l.synced) {
                    io.set_timer(TIMER_SYNC, Duration::from_secs(1));
                }
            }
        }
    }

    fn apply_reply(
        &mut self,
        epoch: u64,
        cursor: u64,
        committed: Vec<(RecordId, VersionId)>,
        rows: Vec<Row>,
        full: bool,
        io: &mut Io<'_, Msg>,
    ) -> Result<(), StoreError> {
        for (record, version) in committed {
            io.told_synced(record.into(), version);
            let Some(l) = self.rows.get(&record).filter(|l| l.row.version == version) else {
                continue;
            };
            if l.row.deleted && !self.design.keep_tombstones {
                self.forget(record)?;
            } else if !l.synced {
                self.append(&Entry::Synced { record, version })?;
                self.rows.get_mut(&record).expect("checked").synced = true;
            }
        }
        if self.overwrite_on_reply && full {
            self.overwrite_with(rows, io)?;
        } else {
            self.merge(rows, full, io)?;
        }
        if full {
            self.need_full = false;
        }
        if epoch != self.epoch {
            if self.epoch != 0 && self.design.epoch_resets_cursor && !full {
                io.trace(
                    SidekickEvent::SyncEpochChanged,
                    fields!["old" => self.epoch, "new" => epoch],
                );
                self.need_full = true;
            }
            self.epoch = epoch;
        }
        self.cursor = cursor;
        self.append(&Entry::Cursor {
            epoch: self.epoch,
            cursor,
        })?;
        self.flush(io)
    }

    /// The cache design: the server's state replaces the local store.
    fn overwrite_with(&mut self, rows: Vec<Row>, io: &mut Io<'_, Msg>) -> Result<(), StoreError> {
        let server: BTreeSet<RecordId> = rows.iter().map(|r| r.record).collect();
        let dropped = self.rows.keys().filter(|r| !server.contains(r)).count();
        self.append(&Entry::Clear)?;
        self.changed.extend(self.rows.keys().copied());
        self.rows.clear();
        self.sectors.clear();
        for row in rows {
            self.take(row)?;
        }
        self.overwrite_on_reply = false;
        self.restoring = false;
        io.trace(
            SidekickEvent::CacheRefetch,
            fields!["records" => self.rows.len(), "dropped" => dropped],
        );
        Ok(())
    }

    /// Take what the server has newer; with digest sync, mark for re-upload
    /// what the server lacks.
    fn merge(
        &mut self,
        rows: Vec<Row>,
        full: bool,
        io: &mut Io<'_, Msg>,
    ) -> Result<(), StoreError> {
        let mut seen = BTreeSet::new();
        let mut restored = 0usize;
        for row in rows {
            seen.insert(row.record);
            if self.design.verify_reads && !row.verifies() {
                io.trace(
                    SidekickEvent::SyncRejectedRow,
                    fields!["record" => row.record.to_string()],
                );
                continue;
            }
            let Some(l) = self.rows.get(&row.record) else {
                restored += usize::from(!row.deleted);
                self.take(row)?;
                continue;
            };
            match merge::at_writer(&row, &l.row, l.synced, self.design.conflict_copies) {
                AtWriter::Take => self.take(row)?,
                AtWriter::Same if l.row.conflicts.iter().any(|c| !row.holds(c.version)) => {
                    // The server lost conflict copies this writer keeps:
                    // keep the union and push it again.
                    let merged = row
                        .conflicts
                        .iter()
                        .fold(l.row.clone(), |r, c| r.keeping(c.clone()));
                    io.trace(
                        SidekickEvent::RecoverReupload,
                        fields!["record" => merged.record.to_string(), "version" => merged.version.to_string()],
                    );
                    self.put(merged, false)?;
                }
                AtWriter::Same if row.conflicts != l.row.conflicts => self.take(row)?,
                AtWriter::Same => {
                    if !l.synced {
                        let (record, version) = (row.record, row.version);
                        self.append(&Entry::Synced { record, version })?;
                        self.rows.get_mut(&record).expect("present").synced = true;
                    }
                }
                AtWriter::Keep => {}
                AtWriter::Reupload => self.reupload(row.record, io)?,
            }
        }
        if full {
            let missing: Vec<RecordId> = self
                .rows
                .keys()
                .filter(|r| !seen.contains(r))
                .copied()
                .collect();
            for record in missing {
                let synced = self.rows.get(&record).is_some_and(|l| l.synced);
                if self.design.absence_deletes && synced {
                    io.trace(
                        SidekickEvent::SyncAbsentDeleted,
                        fields!["record" => record.to_string()],
                    );
                    self.forget(record)?;
                } else {
                    self.reupload(record, io)?;
                }
            }
        }
        if full && self.restoring {
            self.restoring = false;
            io.trace(
                SidekickEvent::RecoverRestore,
                fields!["records" => restored],
            );
        }
        Ok(())
    }

    /// The server lacks this handset's version of `record`: with digest sync,
    /// push it again.
    fn reupload(&mut self, record: RecordId, io: &mut Io<'_, Msg>) -> Result<(), StoreError> {
        let Some(l) = self.rows.get(&record) else {
            return Ok(());
        };
        if !l.synced || !self.design.digest_sync {
            return Ok(());
        }
        let row = l.row.clone();
        io.trace(
            SidekickEvent::RecoverReupload,
            fields!["record" => record.to_string(), "version" => row.version.to_string()],
        );
        self.put(row, false)
    }
}
