//! The primary and backup databases, on a volume of a storage array, kept by
//! an engine ([`crate::engine`]: the project's log store, or redb).
//!
//! The primary commits pushed versions durably (append, then sync) before
//! it reports them committed, answers pulls, and sends the backup a full
//! image every `backup_interval` (live records only, unless the design keeps
//! tombstones). A pushed version meets the current one by the rules of
//! [`crate::merge`]: last-writer-wins, or conflict copies. The backup
//! keeps the last image it stored.
//! Restores and images replace the contents all or nothing, so a crash in
//! the middle leaves the old contents.
//!
//! On a blank volume (after its array was destroyed) a database either
//! formats itself and serves the empty result under a new epoch (the 2009
//! way) or waits for the operator to restore it, as the design says.
//!
//! Incidents reach databases too: a backup job that stops part-way or
//! fails silently (unless `backup_verified` reruns it), retention that
//! deletes the backup's last image (unless `retention_keeps_verified`), a
//! schema migration or a rollback half-way that drops rows (unless
//! `migration_checked` aborts it).

use crate::design::{BlankBoot, Design, SCRUB_INTERVAL};
use crate::engine::log::LogEngine;
use crate::engine::redb::RedbEngine;
use crate::engine::{Engine, EngineError, EngineKind, Loaded, Meta, Rows};
use crate::event::SidekickEvent;
use crate::incident::{Dropped, Incident};
use crate::merge;
use crate::msg::{DbHealth, Msg, SyncResult};
use crate::readback;
use crate::record::{RecordId, Row, VersionId};
use sim::fields;
use sim::host::{Addr, Boot, DiskHandle, Io};
use sim::lineage::EndCause;
use sim::time::SimTime;
use std::collections::BTreeMap;
use std::time::Duration;
use xxhash_rust::xxh3::Xxh3;

const TIMER_BACKUP: u64 = 1;
const TIMER_SCRUB: u64 = 2;

/// Buggify site: an incremental sync reply (not a full one) carries only
/// the older half of the rows past the cursor, and a cursor that stops
/// there; the handset gets the rest on its next sync (paging: legal, since
/// the cursor promises only what the reply holds).
pub const SITE_SPLIT_REPLY: &str = "database.split-reply";

/// Which database this is.
#[derive(Clone, Debug)]
pub enum Role {
    /// The primary: serves the sync server and sends nightly images.
    Primary {
        /// The backup database.
        backup: Addr,
        /// How often the backup job runs.
        interval: Duration,
        /// When the first backup job runs.
        offset: Duration,
    },
    /// The backup: keeps the last full image it received.
    Backup,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Serving,
    AwaitingRestore,
}

/// A database's state machine.
pub struct Database {
    role: Role,
    design: Design,
    store: String,
    engine: Box<dyn Engine>,
    state: State,
    epoch: u64,
    rebuilt: bool,
    read_only: bool,
    users: Rows,
    /// The sector holding each live row's entry.
    sectors: BTreeMap<RecordId, u64>,
    next_seq: u64,
    /// What goes wrong with the next backup job, if an incident said so
    /// (kept in memory: a restart of the job runner forgets it).
    backup_fault: Option<(u32, Incident)>,
}

impl Database {
    /// A database kept by `engine` on `disk`, named `store` in the trace.
    pub fn new(
        role: Role,
        design: Design,
        store: String,
        disk: DiskHandle,
        engine: EngineKind,
    ) -> Self {
        let engine: Box<dyn Engine> = match engine {
            EngineKind::Log => Box::new(LogEngine::new(disk)),
            EngineKind::Redb => Box::new(RedbEngine::new(disk)),
        };
        Database {
            role,
            design,
            store,
            engine,
            state: State::Serving,
            epoch: 0,
            rebuilt: false,
            read_only: false,
            users: Rows::new(),
            sectors: BTreeMap::new(),
            next_seq: 1,
            backup_fault: None,
        }
    }

    /// The rows this database serves for `user`, in record order, without
    /// copying them (none while it awaits a restore; see [`Database::view`]).
    pub fn rows_of(&self, user: u32) -> impl Iterator<Item = (&RecordId, &Row)> {
        self.users
            .get(&user)
            .filter(|_| self.state == State::Serving)
            .into_iter()
            .flat_map(|m| m.iter().map(|(r, (row, _))| (r, row)))
    }

    /// The rows this database serves for `user` (none while it awaits a restore).
    pub fn view(&self, user: u32) -> BTreeMap<RecordId, Row> {
        if self.state != State::Serving {
            return BTreeMap::new();
        }
        self.users
            .get(&user)
            .map(|m| m.iter().map(|(r, (row, _))| (*r, row.clone())).collect())
            .unwrap_or_default()
    }

    /// The sectors holding the rows this database serves: where a storage
    /// fault does harm.
    pub fn live_sectors(&self) -> Vec<u64> {
        self.sectors.values().copied().collect()
    }

    /// Which record each sector of [`Database::live_sectors`] holds, for a
    /// fault atlas that must know what a sector fault would strike.
    pub fn sector_records(&self) -> Vec<(u64, RecordId)> {
        self.sectors.iter().map(|(r, s)| (*s, *r)).collect()
    }

    /// Whether the database serves (it is not waiting for a restore).
    pub fn serving(&self) -> bool {
        self.state == State::Serving
    }

    fn all_rows(&self) -> Vec<Row> {
        self.users
            .values()
            .flat_map(|m| m.values().map(|(row, _)| row.clone()))
            .collect()
    }

    fn meta(&self) -> Meta {
        Meta {
            epoch: self.epoch,
            rebuilt: self.rebuilt,
            read_only: self.read_only,
        }
    }

    /// A write failed: the database reloads from its volume.
    fn reload(&mut self, io: &mut Io<'_, Msg>, error: &EngineError) {
        io.trace(
            SidekickEvent::StoreReload,
            fields!["why" => error.to_string()],
        );
        self.load(io);
    }

    /// Rebuilds the database from its volume. Copies the lineage holds on
    /// this store that the volume no longer has ended on the media. A store
    /// the engine cannot open is treated as failed: it comes back blank.
    fn load(&mut self, io: &mut Io<'_, Msg>) -> Loaded {
        let loaded = match self.engine.load(self.design.verify_reads) {
            Ok(loaded) => loaded,
            Err(e) => self.rebuild_failed_store(&e, io),
        };
        readback::settle(io, &self.store, &loaded.damaged, |r, v| {
            let row = loaded.rows.get(&r.owner).and_then(|m| m.get(&r));
            row.is_some_and(|(row, _)| row.version == v)
        });
        (self.users, self.sectors) = (loaded.rows.clone(), loaded.sectors.clone());
        (self.epoch, self.rebuilt, self.read_only) = (
            loaded.meta.epoch,
            loaded.meta.rebuilt,
            loaded.meta.read_only,
        );
        self.next_seq = loaded.next_seq;
        for row in self.all_rows() {
            io.copy_created(
                &self.store,
                &row.record.to_string(),
                &row.version.to_string(),
            );
        }
        loaded
    }

    /// The engine cannot open its store: the store is failed. It is
    /// formatted anew (empty, under a new epoch, marked rebuilt), so that the
    /// design's recovery takes over: handsets that re-upload, an operator
    /// who restores. If even that fails, the node crashes and retries.
    fn rebuild_failed_store(&mut self, error: &EngineError, io: &mut Io<'_, Msg>) -> Loaded {
        io.trace(
            SidekickEvent::StoreFailed,
            fields!["error" => error.to_string()],
        );
        let primary = matches!(self.role, Role::Primary { .. });
        let meta = Meta {
            epoch: if primary { io.now().as_millis() + 1 } else { 0 },
            rebuilt: primary,
            read_only: false,
        };
        if let Err(e) = self.engine.format(meta) {
            panic!(
                "{}: store failed ({error}) and cannot be formatted: {e}",
                self.store
            );
        }
        io.trace(
            SidekickEvent::DbRebuilt,
            fields!["epoch" => meta.epoch, "why" => "store failed"],
        );
        Loaded {
            meta,
            next_seq: 1,
            damaged: vec![0],
            ..Loaded::default()
        }
    }

    /// Reads back every live row and rewrites, from the verified copy in
    /// memory, each one whose durable copy is gone or spoiled.
    fn scrub(&mut self, io: &mut Io<'_, Msg>) {
        let live: Vec<(Row, Option<u64>)> = self
            .all_rows()
            .into_iter()
            .filter(Row::verifies)
            .map(|row| {
                let sector = self.sectors.get(&row.record).copied();
                (row, sector)
            })
            .collect();
        let spoiled = self.engine.spoiled(&live);
        let missing: Vec<(Row, u64)> = live
            .into_iter()
            .zip(spoiled)
            .filter(|(_, bad)| *bad)
            .enumerate()
            .map(|(i, ((row, _), _))| (row, self.next_seq + i as u64))
            .collect();
        if missing.is_empty() {
            return;
        }
        for (row, _) in &missing {
            let (rs, vs) = (row.record.to_string(), row.version.to_string());
            io.copy_ended(&self.store, &rs, &vs, EndCause::Corrupted);
        }
        let repaired = match self.engine.commit(&missing) {
            Ok(sectors) => {
                self.next_seq += missing.len() as u64;
                for ((row, _), sector) in missing.iter().zip(sectors) {
                    if let Some(s) = sector {
                        self.sectors.insert(row.record, s);
                    }
                    io.copy_created(
                        &self.store,
                        &row.record.to_string(),
                        &row.version.to_string(),
                    );
                }
                true
            }
            Err(e) => {
                self.reload(io, &e);
                false
            }
        };
        io.trace(
            SidekickEvent::StoreScrub,
            fields!["rows" => missing.len(), "repaired" => repaired],
        );
    }

    /// Boot: replay the log; on a blank volume, format or wait for a restore.
    pub fn boot(&mut self, boot: Boot, io: &mut Io<'_, Msg>) {
        let opened = self.load(io);
        if self.design.scrub {
            io.set_timer(TIMER_SCRUB, SCRUB_INTERVAL);
        }
        let primary = matches!(self.role, Role::Primary { .. });
        if opened.blank && primary {
            let lost = boot != Boot::First;
            if lost && self.design.blank_boot == BlankBoot::AwaitRestore {
                self.state = State::AwaitingRestore;
                io.trace(SidekickEvent::DbAwaitingRestore, vec![]);
            } else {
                self.epoch = io.now().as_millis() + 1;
                self.rebuilt = lost;
                if let Err(e) = self.engine.format(self.meta()) {
                    panic!("{}: cannot format a blank volume: {e}", self.store);
                }
                if lost {
                    io.trace(SidekickEvent::DbRebuilt, fields!["epoch" => self.epoch]);
                }
            }
        }
        if let Role::Primary {
            interval, offset, ..
        } = self.role
        {
            io.set_timer(TIMER_BACKUP, next_backup(io.now(), interval, offset));
        }
    }

    /// A message arrived from `from`.
    pub fn on_message(&mut self, from: Addr, msg: Msg, io: &mut Io<'_, Msg>) {
        match msg {
            Msg::DbSync {
                req,
                user,
                epoch: _,
                cursor,
                full,
                digest,
                push,
            } => {
                let result = self.sync_user(user, cursor, full, digest, push, io);
                io.send(from, Msg::DbSyncReply { req, result });
            }
            Msg::BackupImage { epoch, rows } => self.store_image(epoch, rows, io),
            Msg::Quiesce { req, on } => {
                let meta = Meta {
                    read_only: on,
                    ..self.meta()
                };
                let done = match self.engine.set_meta(meta) {
                    Ok(()) => {
                        self.read_only = on;
                        io.trace(SidekickEvent::DbQuiesce, fields!["on" => on]);
                        true
                    }
                    Err(e) => {
                        self.reload(io, &e);
                        false
                    }
                };
                self.reply(from, req, None, done, io);
            }
            Msg::Dump { req } => {
                let has_image = self.state == State::Serving
                    && !(matches!(self.role, Role::Backup) && self.epoch == 0);
                let rows = has_image.then(|| self.all_rows());
                self.reply(from, req, rows, true, io);
            }
            Msg::Status { req } => self.reply(from, req, None, true, io),
            Msg::Restore { req, epoch, rows } => {
                let done = self.restore(epoch, rows, io).is_ok();
                self.reply(from, req, None, done, io);
            }
            Msg::RestoreAccount {
                req,
                epoch,
                account,
                rows,
            } => {
                let done = self.state == State::Serving
                    && self.restore_account(epoch, account, rows, io).is_ok();
                self.reply(from, req, None, done, io);
            }
            _ => {}
        }
    }

    fn reply(&self, to: Addr, req: u64, rows: Option<Vec<Row>>, done: bool, io: &mut Io<'_, Msg>) {
        let health = match self.state {
            State::Serving => DbHealth::Serving {
                epoch: self.epoch,
                rebuilt: self.rebuilt,
            },
            State::AwaitingRestore => DbHealth::AwaitingRestore,
        };
        io.send(
            to,
            Msg::OpReply {
                req,
                health,
                rows,
                done,
            },
        );
    }

    fn user_digest(&self, user: u32) -> u64 {
        let mut h = Xxh3::new();
        if let Some(m) = self.users.get(&user) {
            for (r, (row, _)) in m {
                h.update(&crate::record::digest_entry(r, row));
            }
        }
        h.digest()
    }

    fn sync_user(
        &mut self,
        user: u32,
        cursor: u64,
        full: bool,
        digest: Option<u64>,
        push: Vec<Row>,
        io: &mut Io<'_, Msg>,
    ) -> SyncResult {
        if self.state != State::Serving {
            return SyncResult::Unavailable;
        }
        let mut fresh: Vec<(Row, u64)> = Vec::new();
        let copies = self.design.conflict_copies;
        if !self.read_only {
            let verify = self.design.verify_reads;
            for row in push
                .iter()
                .filter(|r| r.record.owner == user && (!verify || r.verifies()))
            {
                let staged = fresh.iter().rposition(|(r, _)| r.record == row.record);
                let current = match staged {
                    Some(i) => Some(&fresh[i].0),
                    None => self.current_row(row.record),
                };
                // Without idempotent commits (the 2009 way) a writer's push
                // is applied as it arrives: a late or repeated push of an
                // older version of its own replaces its newer one.
                let stale_replay = !self.design.idempotent_commit
                    && current.is_some_and(|c| {
                        c.version.writer == row.version.writer
                            && row.version < c.version
                            && !c.holds(row.version)
                    });
                let next = if stale_replay {
                    Some(row.clone())
                } else {
                    merge::at_server(current, row, copies)
                };
                if let Some(next) = next {
                    match staged {
                        Some(i) => fresh[i].0 = next,
                        None => fresh.push((next, self.next_seq + fresh.len() as u64)),
                    }
                }
            }
        }
        match self.engine.commit(&fresh) {
            Ok(sectors) => {
                for ((row, seq), sector) in fresh.into_iter().zip(sectors) {
                    self.next_seq = self.next_seq.max(seq + 1);
                    self.install(row, seq, sector, io);
                }
            }
            Err(e) => {
                self.reload(io, &e);
                return SyncResult::Unavailable;
            }
        }
        let committed: Vec<(RecordId, VersionId)> = push
            .iter()
            .filter(|r| merge::committed(self.current_row(r.record), r, copies))
            .map(|r| (r.record, r.version))
            .collect();
        let full = full || digest.is_some_and(|d| d != self.user_digest(user));
        let mut rows: Vec<(Row, u64)> = self
            .users
            .get(&user)
            .map(|m| {
                m.values()
                    .filter(|(_, seq)| full || *seq > cursor)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let mut cursor = self.next_seq - 1;
        if !full && rows.len() > 1 && io.sometimes(SITE_SPLIT_REPLY, 0.5) {
            // Keep the rows up to the median sequence number; the cursor
            // says the reply holds everything up to there and no more.
            rows.sort_by_key(|(_, seq)| *seq);
            rows.truncate(rows.len() / 2);
            cursor = rows.last().map_or(cursor, |(_, seq)| *seq);
            io.trace(
                SidekickEvent::DbSplitReply,
                fields!["user" => user, "rows" => rows.len(), "cursor" => cursor],
            );
            rows.sort_by_key(|(row, _)| row.record);
        }
        let rows = rows.into_iter().map(|(row, _)| row).collect();
        SyncResult::Ok {
            epoch: self.epoch,
            cursor,
            committed,
            rows,
            full,
        }
    }

    fn current_row(&self, record: RecordId) -> Option<&Row> {
        self.users
            .get(&record.owner)
            .and_then(|m| m.get(&record))
            .map(|(row, _)| row)
    }

    /// Makes a durable row live and records the copy it creates and supersedes.
    fn install(&mut self, row: Row, seq: u64, sector: Option<u64>, io: &mut Io<'_, Msg>) {
        let (rs, vs) = (row.record.to_string(), row.version.to_string());
        let version = row.version;
        match sector {
            Some(s) => self.sectors.insert(row.record, s),
            None => self.sectors.remove(&row.record),
        };
        let old = self
            .users
            .entry(row.record.owner)
            .or_default()
            .insert(row.record, (row, seq));
        if let Some((old, _)) = old {
            // Only a stale push applied by arrival replaces a newer version.
            let cause = if version > old.version {
                EndCause::Superseded
            } else {
                EndCause::Overwritten
            };
            io.copy_ended(&self.store, &rs, &old.version.to_string(), cause);
        }
        io.copy_created(&self.store, &rs, &vs);
    }

    /// Replaces every row with `rows` durably, all or nothing, under
    /// `epoch`; then updates the lineage: old copies overwritten, new ones
    /// created. On error the database is reloaded from its volume.
    fn replace_all(
        &mut self,
        rows: Vec<Row>,
        epoch: u64,
        read_only: bool,
        io: &mut Io<'_, Msg>,
    ) -> Result<(), EngineError> {
        let seqs: Vec<(Row, u64)> = rows
            .into_iter()
            .enumerate()
            .map(|(i, row)| (row, self.next_seq + i as u64))
            .collect();
        let meta = Meta {
            epoch,
            rebuilt: false,
            read_only,
        };
        let sectors = match self.engine.replace_all(&seqs, meta) {
            Ok(sectors) => sectors,
            Err(e) => {
                self.reload(io, &e);
                return Err(e);
            }
        };
        let mut next = Rows::new();
        let mut where_ = BTreeMap::new();
        for ((row, seq), sector) in seqs.into_iter().zip(sectors) {
            if let Some(s) = sector {
                where_.insert(row.record, s);
            }
            self.next_seq = self.next_seq.max(seq + 1);
            next.entry(row.record.owner)
                .or_default()
                .insert(row.record, (row, seq));
        }
        for row in self.all_rows() {
            let kept = next
                .get(&row.record.owner)
                .and_then(|m| m.get(&row.record))
                .is_some_and(|(r, _)| r.version == row.version);
            if !kept {
                let (rs, vs) = (row.record.to_string(), row.version.to_string());
                io.copy_ended(&self.store, &rs, &vs, EndCause::Overwritten);
            }
        }
        for m in next.values() {
            for (row, _) in m.values() {
                io.copy_created(
                    &self.store,
                    &row.record.to_string(),
                    &row.version.to_string(),
                );
            }
        }
        (self.users, self.sectors) = (next, where_);
        (self.epoch, self.rebuilt, self.read_only) = (epoch, false, read_only);
        Ok(())
    }

    fn store_image(&mut self, epoch: u64, rows: Vec<Row>, io: &mut Io<'_, Msg>) {
        let n = rows.len();
        match self.replace_all(rows, epoch, false, io) {
            Ok(()) => io.trace(SidekickEvent::BackupStored, fields!["rows" => n]),
            Err(e) => io.trace(
                SidekickEvent::BackupFailed,
                fields!["error" => e.to_string()],
            ),
        }
    }

    fn restore(
        &mut self,
        epoch: u64,
        rows: Vec<Row>,
        io: &mut Io<'_, Msg>,
    ) -> Result<(), EngineError> {
        let n = rows.len();
        self.replace_all(rows, epoch, false, io)?;
        self.state = State::Serving;
        io.trace(
            SidekickEvent::DbRestored,
            fields!["epoch" => epoch, "rows" => n],
        );
        Ok(())
    }

    /// A timer fired: the backup job, or a scrub.
    pub fn on_timer(&mut self, key: u64, io: &mut Io<'_, Msg>) {
        if key == TIMER_SCRUB {
            self.scrub(io);
            io.set_timer(TIMER_SCRUB, SCRUB_INTERVAL);
            return;
        }
        let Role::Primary {
            backup,
            interval,
            offset,
        } = self.role.clone()
        else {
            return;
        };
        if self.state == State::Serving {
            let mut rows = self.all_rows();
            if !self.design.keep_tombstones {
                // The nightly export carries live records only.
                rows.retain(|r| !r.deleted);
            }
            match self.backup_fault.take() {
                Some((fault, _)) if self.design.backup_verified => {
                    io.trace(
                        SidekickEvent::BackupAlarm,
                        fields!["fault" => fault, "why" => "job incomplete; rerun"],
                    );
                }
                Some((fault, Incident::BackupStopped { keep_permille })) => {
                    let keep = rows.len() * keep_permille as usize / 1000;
                    io.trace(
                        SidekickEvent::BackupStopped,
                        fields!["fault" => fault, "rows" => keep, "of" => rows.len()],
                    );
                    rows.truncate(keep);
                }
                Some((fault, _)) => {
                    io.trace(
                        SidekickEvent::BackupSilentFailure,
                        fields!["fault" => fault],
                    );
                    io.set_timer(TIMER_BACKUP, next_backup(io.now(), interval, offset));
                    return;
                }
                None => {}
            }
            io.trace(SidekickEvent::BackupSent, fields!["rows" => rows.len()]);
            io.send(
                backup,
                Msg::BackupImage {
                    epoch: self.epoch,
                    rows,
                },
            );
        }
        io.set_timer(TIMER_BACKUP, next_backup(io.now(), interval, offset));
    }
}

impl Database {
    /// An incident for this database: a backup job that will go wrong, a
    /// retention purge, a schema migration or an upgrade rolled back.
    pub fn on_incident(&mut self, fault: u32, incident: Incident, io: &mut Io<'_, Msg>) {
        match incident {
            Incident::BackupStopped { .. } | Incident::BackupSilentFailure => {
                self.backup_fault = Some((fault, incident));
            }
            Incident::RetentionPurge => self.retention_purge(fault, io),
            Incident::SchemaMigration { dropped } => {
                let rows = self.all_rows();
                let migrated: Vec<Row> = match dropped {
                    Dropped::Kind(kind) => {
                        rows.into_iter().filter(|r| r.record.kind != kind).collect()
                    }
                    Dropped::Field => rows
                        .into_iter()
                        .map(|mut r| {
                            r.content[crate::record::CONTENT_LEN / 2..].fill(0);
                            r
                        })
                        .collect(),
                };
                self.schema_change(fault, "migration", migrated, io);
            }
            Incident::UpgradeRollback { seed } => {
                let kept: Vec<Row> = self
                    .all_rows()
                    .into_iter()
                    .filter(|r| !rewritten(seed, r.record))
                    .collect();
                self.schema_change(fault, "rollback", kept, io);
            }
            _ => {}
        }
    }

    /// Retention deletes the backup's image, unless it is the last verified
    /// one and the design keeps that.
    fn retention_purge(&mut self, fault: u32, io: &mut Io<'_, Msg>) {
        if self.epoch == 0 || !matches!(self.role, Role::Backup) {
            return;
        }
        if self.design.retention_keeps_verified {
            io.trace(
                SidekickEvent::BackupRetentionKept,
                fields!["fault" => fault, "why" => "the last verified image is never deleted"],
            );
            return;
        }
        match self.replace_all(Vec::new(), 0, false, io) {
            Ok(()) => io.trace(SidekickEvent::BackupPurged, fields!["fault" => fault]),
            Err(e) => io.trace(
                SidekickEvent::BackupFailed,
                fields!["error" => e.to_string()],
            ),
        }
    }

    /// A schema change of the primary (`what`: a migration or a rollback)
    /// that turns its rows into `after`, under the same epoch. With
    /// `migration_checked` the row counts per record kind and every row's
    /// checksum are compared first, and a mismatch aborts the change.
    fn schema_change(&mut self, fault: u32, what: &str, after: Vec<Row>, io: &mut Io<'_, Msg>) {
        if self.state != State::Serving {
            return;
        }
        let before = self.all_rows();
        if self.design.migration_checked {
            let counts = |rows: &[Row]| {
                let mut c: BTreeMap<crate::record::RecordKind, usize> = BTreeMap::new();
                for r in rows.iter().filter(|r| r.verifies()) {
                    *c.entry(r.record.kind).or_default() += 1;
                }
                c
            };
            if counts(&before) != counts(&after) {
                io.trace(
                    SidekickEvent::SchemaAborted,
                    fields!["fault" => fault, "change" => what.to_string(), "why" => "row counts or checksums differ"],
                );
                return;
            }
        }
        let (n, epoch, read_only) = (after.len(), self.epoch, self.read_only);
        match self.replace_all(after, epoch, read_only, io) {
            Ok(()) => io.trace(
                SidekickEvent::SchemaChanged,
                fields!["fault" => fault, "change" => what.to_string(), "rows" => n, "of" => before.len()],
            ),
            Err(e) => io.trace(SidekickEvent::SchemaFailed, fields!["error" => e.to_string()]),
        }
    }

    fn restore_account(
        &mut self,
        epoch: u64,
        account: u32,
        rows: Vec<Row>,
        io: &mut Io<'_, Msg>,
    ) -> Result<(), EngineError> {
        let n = rows.len();
        let mut all: Vec<Row> = self
            .all_rows()
            .into_iter()
            .filter(|r| r.record.owner != account)
            .collect();
        all.extend(rows);
        let read_only = self.read_only;
        self.replace_all(all, epoch, read_only, io)?;
        io.trace(
            SidekickEvent::DbAccountRestored,
            fields!["account" => account, "epoch" => epoch, "rows" => n],
        );
        Ok(())
    }
}

/// Whether an upgrade rolled back half-way (resolved by `seed`) had
/// rewritten `record`: about half the records, chosen by their identity.
/// The old version cannot read those rows back.
pub fn rewritten(seed: u64, record: RecordId) -> bool {
    let bytes = postcard::to_allocvec(&record).expect("encodes");
    xxhash_rust::xxh3::xxh3_64_with_seed(&bytes, seed).is_multiple_of(2)
}

/// How long from `now` until the next backup time (offset + k * interval).
fn next_backup(now: SimTime, interval: Duration, offset: Duration) -> Duration {
    let (now, iv, off) = (
        now.as_millis(),
        interval.as_millis().max(1) as u64,
        offset.as_millis() as u64,
    );
    let next = if now < off {
        off
    } else {
        off + ((now - off) / iv + 1) * iv
    };
    Duration::from_millis(next - now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_run_at_offset_then_every_interval() {
        let h = Duration::from_secs(3600);
        assert_eq!(next_backup(SimTime(0), 24 * h, 3 * h), 3 * h);
        assert_eq!(
            next_backup(SimTime::ZERO.after(3 * h), 24 * h, 3 * h),
            24 * h
        );
        assert_eq!(
            next_backup(SimTime::ZERO.after(4 * h), 24 * h, 3 * h),
            23 * h
        );
    }
}
