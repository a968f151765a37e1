//! The primary and backup databases: the project's own log engine on a
//! volume of a storage array.
//!
//! The primary commits pushed versions durably (append, then sync) before
//! it reports them committed, answers pulls, and sends the backup a full
//! image every `backup_interval`. The backup keeps the last image it sealed.
//! Restores and images are staged: they replace the contents only once a
//! seal entry is durable, so a crash in the middle leaves the old contents.
//!
//! On a blank volume (after its array was destroyed) a database either
//! formats itself and serves the empty result under a new epoch (the 2009
//! way) or waits for the operator to restore it, as the design says.

use crate::design::{BlankBoot, Design};
use crate::logstore::{LogStore, Opened};
use crate::msg::{DbHealth, Msg, SyncResult};
use crate::record::{RecordId, Row, VersionId};
use serde::{Deserialize, Serialize};
use sim::disk::DiskError;
use sim::fields;
use sim::host::{lock_disk, Addr, Boot, DiskHandle, Io};
use sim::lineage::EndCause;
use sim::time::SimTime;
use std::collections::BTreeMap;
use std::time::Duration;
use xxhash_rust::xxh3::Xxh3;

const TIMER_BACKUP: u64 = 1;
const TIMER_SCRUB: u64 = 2;
/// How often a scrubbing database reads its volume back.
pub const SCRUB_INTERVAL: Duration = Duration::from_secs(3600);

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

/// One entry of a database's log.
#[derive(Debug, Serialize, Deserialize)]
enum Entry {
    /// The database's epoch (and whether it formatted itself after a loss).
    Epoch { epoch: u64, rebuilt: bool },
    /// A committed row: live at once.
    Commit { row: Row, seq: u64 },
    /// Whether commits are stopped (quiesced by the operator).
    ReadOnly(bool),
    /// A row of image `image` (a restore, a backup image): staged, live
    /// only once the image is sealed.
    Stage { image: u64, row: Row, seq: u64 },
    /// Image `image` is complete with `rows` rows: it replaces every row,
    /// under `epoch`, with commits stopped or not. An image whose staged
    /// rows do not number `rows` (torn, lost or misdirected) never goes live.
    Seal {
        image: u64,
        rows: u64,
        epoch: u64,
        read_only: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Serving,
    AwaitingRestore,
}

type Rows = BTreeMap<u32, BTreeMap<RecordId, (Row, u64)>>;

/// What a volume holds, replayed: staged images (a restore, a backup image)
/// count only once sealed.
#[derive(Default)]
struct Replayed {
    users: Rows,
    sectors: BTreeMap<RecordId, u64>,
    epoch: u64,
    rebuilt: bool,
    read_only: bool,
    next_seq: u64,
}

impl Replayed {
    /// Replays log entries in order; with `verify`, rows whose end-to-end
    /// checksum fails are left out.
    fn of(opened: &Opened, verify: bool) -> Self {
        let mut r = Replayed {
            next_seq: 1,
            ..Replayed::default()
        };
        let mut staged: BTreeMap<u64, (Rows, BTreeMap<RecordId, u64>, u64)> = BTreeMap::new();
        for (bytes, &sector) in opened.entries.iter().zip(&opened.positions) {
            let Ok(entry) = postcard::from_bytes::<Entry>(bytes) else {
                continue;
            };
            match entry {
                Entry::Epoch { epoch, rebuilt } => (r.epoch, r.rebuilt) = (epoch, rebuilt),
                Entry::ReadOnly(on) => r.read_only = on,
                Entry::Commit { row, seq } | Entry::Stage { row, seq, .. }
                    if verify && !row.verifies() =>
                {
                    r.next_seq = r.next_seq.max(seq + 1);
                }
                Entry::Commit { row, seq } => {
                    r.next_seq = r.next_seq.max(seq + 1);
                    r.sectors.insert(row.record, sector);
                    r.users
                        .entry(row.record.owner)
                        .or_default()
                        .insert(row.record, (row, seq));
                }
                Entry::Stage { image, row, seq } => {
                    r.next_seq = r.next_seq.max(seq + 1);
                    let (users, sectors, count) = staged.entry(image).or_default();
                    sectors.insert(row.record, sector);
                    users
                        .entry(row.record.owner)
                        .or_default()
                        .insert(row.record, (row, seq));
                    *count += 1;
                }
                Entry::Seal {
                    image,
                    rows,
                    epoch,
                    read_only,
                } => {
                    r.next_seq = r.next_seq.max(image + 1);
                    let (users, sectors, count) = staged.remove(&image).unwrap_or_default();
                    if count == rows {
                        (r.users, r.sectors) = (users, sectors);
                        (r.epoch, r.rebuilt, r.read_only) = (epoch, false, read_only);
                    }
                }
            }
        }
        r
    }
}

/// A database's state machine.
pub struct Database {
    role: Role,
    design: Design,
    store: String,
    disk: DiskHandle,
    log: Option<LogStore>,
    state: State,
    epoch: u64,
    rebuilt: bool,
    read_only: bool,
    users: Rows,
    /// The sector holding each live row's entry.
    sectors: BTreeMap<RecordId, u64>,
    next_seq: u64,
}

impl Database {
    /// A database on `disk`, named `store` in the trace.
    pub fn new(role: Role, design: Design, store: String, disk: DiskHandle) -> Self {
        Database {
            role,
            design,
            store,
            disk,
            log: None,
            state: State::Serving,
            epoch: 0,
            rebuilt: false,
            read_only: false,
            users: Rows::new(),
            sectors: BTreeMap::new(),
            next_seq: 1,
        }
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

    fn append(&mut self, entry: &Entry) -> Result<u64, DiskError> {
        let bytes = postcard::to_allocvec(entry).expect("entries always encode");
        let log = self.log.as_mut().expect("opened at boot");
        log.append(&mut lock_disk(&self.disk), &bytes)
    }

    /// Syncs the volume. A failed sync took the unsynced writes with it,
    /// so the database reloads from its volume before returning the error.
    fn sync(&mut self, io: &mut Io<'_, Msg>) -> Result<(), DiskError> {
        let synced = lock_disk(&self.disk).sync();
        if synced.is_err() {
            self.reload(io);
        }
        synced
    }

    /// Rebuilds the database from its volume after a failed write.
    fn reload(&mut self, io: &mut Io<'_, Msg>) {
        io.trace(
            "store.reload",
            fields!["why" => "volume write or sync failed"],
        );
        self.load(io);
    }

    /// Reads the volume back and replays it.
    fn read_volume(&self) -> (LogStore, Opened, Replayed) {
        let disk = lock_disk(&self.disk);
        let (log, opened) = match LogStore::open(&disk) {
            Ok(x) => x,
            Err(e) => panic!("{}: volume not readable: {e}", self.store),
        };
        let replayed = Replayed::of(&opened, self.design.verify_reads);
        (log, opened, replayed)
    }

    /// Rebuilds the database from its volume. Copies the lineage holds on
    /// this store that the volume no longer has ended on the media.
    fn load(&mut self, io: &mut Io<'_, Msg>) -> Opened {
        let (log, opened, r) = self.read_volume();
        self.log = Some(log);
        if !opened.damaged.is_empty() {
            let sectors: Vec<String> = opened.damaged.iter().map(u64::to_string).collect();
            io.trace("store.damage", fields!["sectors" => sectors.join(",")]);
        }
        let cause = if opened.damaged.is_empty() {
            EndCause::Lost
        } else {
            EndCause::Corrupted
        };
        for (record, version) in io.lineage().on_store(&self.store) {
            let kept = record
                .parse::<RecordId>()
                .ok()
                .and_then(|rec| r.users.get(&rec.owner).and_then(|m| m.get(&rec)))
                .is_some_and(|(row, _)| row.version.to_string() == version);
            if !kept {
                io.copy_ended(&self.store, &record, &version, cause);
            }
        }
        (self.users, self.sectors) = (r.users, r.sectors);
        (self.epoch, self.rebuilt) = (r.epoch, r.rebuilt);
        (self.read_only, self.next_seq) = (r.read_only, r.next_seq);
        for row in self.all_rows() {
            io.copy_created(
                &self.store,
                &row.record.to_string(),
                &row.version.to_string(),
            );
        }
        opened
    }

    /// Reads back the entry of every live row and rewrites, from the
    /// verified copy in memory, each one whose entry is gone or spoiled.
    fn scrub(&mut self, io: &mut Io<'_, Msg>) {
        let missing: Vec<Row> = {
            let disk = lock_disk(&self.disk);
            self.all_rows()
                .into_iter()
                .filter(|row| row.verifies())
                .filter(|row| {
                    let on_disk = self
                        .sectors
                        .get(&row.record)
                        .and_then(|&sector| LogStore::read_entry(&disk, sector))
                        .and_then(|bytes| postcard::from_bytes::<Entry>(&bytes).ok());
                    !matches!(
                        on_disk,
                        Some(Entry::Commit { row: r, .. } | Entry::Stage { row: r, .. }) if r == *row
                    )
                })
                .collect()
        };
        if missing.is_empty() {
            return;
        }
        let mut rewritten = Vec::new();
        for row in missing {
            let seq = self.next_seq;
            let Ok(sector) = self.append(&Entry::Commit {
                row: row.clone(),
                seq,
            }) else {
                break;
            };
            self.sectors.insert(row.record, sector);
            self.next_seq += 1;
            rewritten.push(row);
        }
        let repaired = self.sync(io).is_ok();
        for row in &rewritten {
            let (rs, vs) = (row.record.to_string(), row.version.to_string());
            io.copy_ended(&self.store, &rs, &vs, EndCause::Corrupted);
            if repaired {
                io.copy_created(&self.store, &rs, &vs);
            }
        }
        io.trace(
            "store.scrub",
            fields!["rows" => rewritten.len(), "repaired" => repaired],
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
                io.trace("db.awaiting-restore", vec![]);
            } else {
                self.epoch = io.now().as_millis() + 1;
                self.rebuilt = lost;
                let entry = Entry::Epoch {
                    epoch: self.epoch,
                    rebuilt: lost,
                };
                if self.append(&entry).is_err() || self.sync(io).is_err() {
                    panic!("{}: cannot format a blank volume", self.store);
                }
                if lost {
                    io.trace("db.rebuilt", fields!["epoch" => self.epoch]);
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
                let done = self.append(&Entry::ReadOnly(on)).is_ok() && self.sync(io).is_ok();
                if done {
                    self.read_only = on;
                    io.trace("db.quiesce", fields!["on" => on]);
                }
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
                h.update(&postcard::to_allocvec(&(r, row.version)).expect("encodes"));
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
        let mut fresh = Vec::new();
        if !self.read_only {
            let verify = self.design.verify_reads;
            for row in push
                .iter()
                .filter(|r| r.record.owner == user && (!verify || r.verifies()))
            {
                let newer = self.current(row.record).is_none_or(|v| row.version > v);
                if newer
                    && !fresh.iter().any(|(r, _, _): &(Row, u64, u64)| {
                        r.record == row.record && r.version >= row.version
                    })
                {
                    let seq = self.next_seq + fresh.len() as u64;
                    let entry = Entry::Commit {
                        row: row.clone(),
                        seq,
                    };
                    let Ok(sector) = self.append(&entry) else {
                        return SyncResult::Unavailable;
                    };
                    fresh.push((row.clone(), seq, sector));
                }
            }
            if !fresh.is_empty() && self.sync(io).is_err() {
                return SyncResult::Unavailable;
            }
        }
        for (row, seq, sector) in fresh {
            self.next_seq = self.next_seq.max(seq + 1);
            self.install(row, seq, sector, io);
        }
        let committed: Vec<(RecordId, VersionId)> = push
            .iter()
            .filter(|r| self.current(r.record).is_some_and(|v| v >= r.version))
            .map(|r| (r.record, r.version))
            .collect();
        let full = full || digest.is_some_and(|d| d != self.user_digest(user));
        let rows = self
            .users
            .get(&user)
            .map(|m| {
                m.values()
                    .filter(|(_, seq)| full || *seq > cursor)
                    .map(|(row, _)| row.clone())
                    .collect()
            })
            .unwrap_or_default();
        SyncResult::Ok {
            epoch: self.epoch,
            cursor: self.next_seq - 1,
            committed,
            rows,
            full,
        }
    }

    fn current(&self, record: RecordId) -> Option<VersionId> {
        self.users
            .get(&record.owner)
            .and_then(|m| m.get(&record))
            .map(|(row, _)| row.version)
    }

    /// Makes a durable row live and records the copy it creates and supersedes.
    fn install(&mut self, row: Row, seq: u64, sector: u64, io: &mut Io<'_, Msg>) {
        let (rs, vs) = (row.record.to_string(), row.version.to_string());
        self.sectors.insert(row.record, sector);
        let old = self
            .users
            .entry(row.record.owner)
            .or_default()
            .insert(row.record, (row, seq));
        if let Some((old, _)) = old {
            io.copy_ended(
                &self.store,
                &rs,
                &old.version.to_string(),
                EndCause::Superseded,
            );
        }
        io.copy_created(&self.store, &rs, &vs);
    }

    /// Replaces every row with `rows` durably, as one staged image sealed
    /// under `epoch`; then updates the lineage: old copies overwritten, new
    /// ones created. On error the database is reloaded from its volume.
    fn replace_all(
        &mut self,
        rows: Vec<Row>,
        epoch: u64,
        read_only: bool,
        io: &mut Io<'_, Msg>,
    ) -> Result<(), DiskError> {
        let written = self.write_image(&rows, epoch, read_only);
        let (next, sectors) = match written.and_then(|staged| self.sync(io).map(|_| staged)) {
            Ok(staged) => staged,
            Err(e) => {
                self.reload(io);
                return Err(e);
            }
        };
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
        (self.users, self.sectors) = (next, sectors);
        (self.epoch, self.rebuilt, self.read_only) = (epoch, false, read_only);
        Ok(())
    }

    /// Appends a staged image and its seal (not yet synced).
    fn write_image(
        &mut self,
        rows: &[Row],
        epoch: u64,
        read_only: bool,
    ) -> Result<(Rows, BTreeMap<RecordId, u64>), DiskError> {
        let image = self.next_seq + rows.len() as u64;
        let mut next = Rows::new();
        let mut sectors = BTreeMap::new();
        for (i, row) in rows.iter().enumerate() {
            let seq = self.next_seq + i as u64;
            let sector = self.append(&Entry::Stage {
                image,
                row: row.clone(),
                seq,
            })?;
            sectors.insert(row.record, sector);
            next.entry(row.record.owner)
                .or_default()
                .insert(row.record, (row.clone(), seq));
        }
        self.append(&Entry::Seal {
            image,
            rows: rows.len() as u64,
            epoch,
            read_only,
        })?;
        self.next_seq = image + 1;
        Ok((next, sectors))
    }

    fn store_image(&mut self, epoch: u64, rows: Vec<Row>, io: &mut Io<'_, Msg>) {
        let n = rows.len();
        match self.replace_all(rows, epoch, false, io) {
            Ok(()) => io.trace("backup.stored", fields!["rows" => n]),
            Err(e) => io.trace("backup.failed", fields!["error" => e.to_string()]),
        }
    }

    fn restore(
        &mut self,
        epoch: u64,
        rows: Vec<Row>,
        io: &mut Io<'_, Msg>,
    ) -> Result<(), DiskError> {
        let n = rows.len();
        self.replace_all(rows, epoch, false, io)?;
        self.state = State::Serving;
        io.trace("db.restored", fields!["epoch" => epoch, "rows" => n]);
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
            let rows = self.all_rows();
            io.trace("backup.sent", fields!["rows" => rows.len()]);
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
