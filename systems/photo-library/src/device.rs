//! A user's device (phone, tablet, laptop, desktop): its local library on
//! its own flash, the user's actions, and its sync with the service.
//!
//! The library is the log of [`crate::log`]: each version of a photo's
//! metadata the device holds (with whether the service confirmed it and
//! what it was made over) and each blob it keeps. Every tick (the
//! `sync_interval_s` of the scenario) the device uploads blobs the service
//! lacks to the volumes, pushes its unconfirmed rows to the metadata
//! primary, takes the user's rows back and downloads blobs it lacks.
//!
//! Hardened: an action is synced to flash at once; a photo is pushed only
//! once its blob is stored on both volumes, and the user is told `backed
//! up` only when the primary confirms; the device keeps every original,
//! re-uploads a blob the service holds on fewer than two volumes, re-pushes
//! a confirmed row the service lacks, takes only newer versions, re-applies
//! an edit the service refused as stale onto the service's version (and
//! pushes that), and skips a migration its library's schema already passed.
//! Naive: the library is synced on the tick; the original is dropped as
//! soon as a volume acknowledges its upload (before the photo is backed
//! up) and fetched back later; the device mirrors whatever the service
//! shows, purges its trash by its own wall clock, and after a long time
//! offline pushes its whole library back as new.

use crate::action::Action;
use crate::copies::{self, Held, Logged};
use crate::log::{Entry, Log};
use crate::msg::{Msg, Push, Refusal};
use crate::row::{record, Life, Row};
use crate::topology::{purge_version, writer_of, Topology};
use crate::{blob, Design, PhotoEvent, SYNC_TIMER, TRASH_DAYS};
use lastcopy_harness::sim::fields;
use lastcopy_harness::sim::host::{Boot, DiskHandle, Io};
use lastcopy_harness::sim::ledger::Write;
use lastcopy_harness::sim::lineage::EndCause;
use lastcopy_harness::sim::place::{Served, View};
use lastcopy_harness::sim::record::VersionId;
use lastcopy_harness::sim::time::SimTime;
use std::collections::BTreeMap;
use std::time::Duration;

/// The library schema the current client release writes.
pub const SCHEMA: u32 = 3;
/// The schema the old migration moves a library to when it runs again.
pub const OLD_SCHEMA: u32 = 2;
/// How long offline (or unsynced: a reboot brings the network back, not
/// the library up to date) makes a naive device push its whole library back.
pub const STALE_AFTER: Duration = Duration::from_secs(7 * 86_400);
const DAY_MS: u64 = 86_400_000;

/// What a device is, apart from its disk.
#[derive(Clone, Copy, Debug)]
pub struct DeviceSetup {
    /// The device's user.
    pub user: u32,
    /// Its number among the user's devices.
    pub index: u32,
    /// The design.
    pub design: Design,
    /// Time between syncs.
    pub every: Duration,
    /// The run's addresses.
    pub topology: Topology,
    /// When it joins the user's account (before: not in use).
    pub join_at: SimTime,
    /// When the user replaces it by a new one (a wiped disk), if ever.
    pub replace_at: Option<SimTime>,
}

/// What the user changed in a version a device made, as a bit set: a
/// hardened device whose version the service refuses as stale re-applies
/// exactly these onto the service's newer version.
pub struct Changed;

impl Changed {
    /// The album, caption and favourite mark.
    pub const METADATA: u8 = 1;
    /// Where the photo stands: sent to the trash, or restored from it.
    pub const LIFE: u8 = 2;
}

#[derive(Clone, Copy, Debug)]
struct Local {
    row: Row,
    acked: bool,
    base: Option<VersionId>,
    repair: bool,
    changed: u8,
}

impl Local {
    /// A row the service has not confirmed, made over `base`, with the
    /// user's `changed` fields.
    fn unconfirmed(row: Row, base: Option<VersionId>, changed: u8) -> Self {
        Local {
            row,
            acked: false,
            base,
            repair: false,
            changed,
        }
    }

    /// A row as the service confirmed it.
    fn confirmed(row: Row) -> Self {
        Local {
            row,
            acked: true,
            base: None,
            repair: false,
            changed: 0,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Kept {
    at: u64,
    len: u32,
    intact: bool,
}

/// One device node.
pub struct Device {
    setup: DeviceSetup,
    disk: DiskHandle,
    log: Option<Log>,
    rows: BTreeMap<u32, Local>,
    blobs: BTreeMap<u64, Kept>,
    stored_on: BTreeMap<u64, u8>,
    holders: BTreeMap<u64, u8>,
    blame: BTreeMap<u32, u32>,
    held: Held,
    schema: u32,
    generation: u32,
    offset_ms: i64,
    offline_until: SimTime,
    offline_since: Option<SimTime>,
    incident: Option<u32>,
}

impl Device {
    /// The device `setup` describes, on `disk`; its state comes from the
    /// disk at boot.
    pub fn new(setup: DeviceSetup, disk: DiskHandle) -> Self {
        Device {
            setup,
            disk,
            log: None,
            rows: BTreeMap::new(),
            blobs: BTreeMap::new(),
            stored_on: BTreeMap::new(),
            holders: BTreeMap::new(),
            blame: BTreeMap::new(),
            held: Held::new(),
            schema: 0,
            generation: 0,
            offset_ms: 0,
            offline_until: SimTime(0),
            offline_since: None,
            incident: None,
        }
    }

    fn name(&self) -> String {
        let s = self.setup;
        s.topology.device_name(s.user, s.index)
    }

    fn hardened(&self) -> bool {
        self.setup.design == Design::Hardened
    }

    /// The device's wall clock: true time plus its offset, in ms.
    pub fn wall_ms(&self, now: SimTime) -> u64 {
        (now.0 as i64 + self.offset_ms).max(0) as u64
    }

    /// Syncs the library; tells the lineage what changed (ends other than
    /// supersession for `gone`, blamed per photo on the service's word, or
    /// on what last struck the device). A failed sync drops what was not
    /// synced, so the library is read back.
    fn flush(&mut self, io: &mut Io<'_, Msg>, gone: EndCause, service_said: bool) -> bool {
        copies::flush(self, io, gone, |d, r| {
            let theirs = service_said && r.owner == d.setup.user;
            theirs.then(|| d.blame.get(&r.n).copied()).flatten()
        })
    }

    fn append(&mut self, e: Entry) -> bool {
        self.log().append(&e).is_ok()
    }

    fn store_row(&mut self, local: Local) -> bool {
        let e = Entry::Row {
            row: local.row,
            acked: local.acked,
            base: local.base,
            at_ms: 0,
            changed: local.changed,
        };
        if !self.append(e) {
            return false;
        }
        self.rows.insert(local.row.photo, local);
        true
    }

    fn mark(&mut self) -> bool {
        let e = Entry::Mark {
            schema: self.schema,
            generation: self.generation,
            offset_ms: self.offset_ms,
            offline_since_ms: self.offline_since.map(|t| t.0),
            incident: self.incident,
        };
        self.append(e)
    }

    fn joined(&self, now: SimTime) -> bool {
        now >= self.setup.join_at
    }

    /// Reads the library back (squaring the lineage with it); a device in
    /// use for the first time marks its library; a replaced one starts
    /// blank. Hardened drops blobs that no longer verify, to fetch them
    /// again.
    pub fn boot(&mut self, _boot: Boot, io: &mut Io<'_, Msg>) {
        let (log, entries) = Log::open(self.disk.clone());
        self.log = Some(log);
        self.reload(entries, io.now());
        self.held = copies::believed(io, &self.name());
        if self.hardened() {
            let rotten: Vec<u64> = self
                .blobs
                .iter()
                .filter(|(_, k)| !k.intact)
                .map(|(id, _)| *id)
                .collect();
            for id in rotten {
                if self.append(Entry::Unblob { id }) {
                    self.blobs.remove(&id);
                }
            }
        }
        let now = self.holding();
        copies::settle(
            io,
            &self.name(),
            &mut self.held,
            now,
            EndCause::Lost,
            |_| None,
        );
        self.settle_in(io);
        let at = self
            .setup
            .topology
            .device(self.setup.user, self.setup.index);
        let stagger = Duration::from_secs(u64::from(at.0) * 97);
        io.set_timer(SYNC_TIMER, self.setup.every + stagger);
    }

    /// Joins or gets replaced when its time has come; syncs what that wrote.
    fn settle_in(&mut self, io: &mut Io<'_, Msg>) {
        let now = io.now();
        if !self.joined(now) {
            return;
        }
        let replace = self.setup.replace_at.is_some_and(|t| now >= t) && self.generation < 2;
        if replace {
            self.log().wipe();
            self.rows.clear();
            self.blobs.clear();
            self.stored_on.clear();
            (self.generation, self.schema) = (2, SCHEMA);
            io.trace(PhotoEvent::Replaced, fields!["generation" => 2u64]);
        } else if self.generation == 0 {
            (self.generation, self.schema) = (1, SCHEMA);
            io.trace(PhotoEvent::Joined, fields![]);
        } else {
            return;
        }
        self.mark();
        self.flush(io, EndCause::Wiped, false);
    }

    fn next_version(&self, seq: u32) -> VersionId {
        VersionId {
            writer: writer_of(self.setup.index),
            seq,
        }
    }

    /// The user acts on this device (or an incident strikes it).
    pub fn act(&mut self, action: Action, io: &mut Io<'_, Msg>) {
        if !self.joined(io.now()) {
            return;
        }
        let wall = self.wall_ms(io.now());
        let incident = matches!(
            action,
            Action::ClockJump { .. } | Action::GoOffline { .. } | Action::OldMigration
        );
        if incident {
            // The harness blames what follows a fault on it: this one.
            self.incident = io.lineage().blame_of(&self.name());
        }
        let made = match action {
            Action::Add {
                photo,
                seq,
                blob_seed,
                blob_len,
            } => self.add(photo, seq, blob_seed, blob_len, wall, io),
            Action::Edit {
                photo,
                seq,
                album,
                caption,
                favourite,
            } => {
                let version = (photo, seq, Life::Live, Changed::METADATA);
                self.change(version, wall, io, |r| {
                    (r.album, r.caption, r.favourite) = (album, caption, favourite);
                })
            }
            Action::Trash { photo, seq } => {
                let version = (photo, seq, Life::Live, Changed::LIFE);
                self.change(version, wall, io, |r| {
                    r.life = Life::Trashed;
                    r.trashed_ms = wall;
                })
            }
            Action::Restore { photo, seq } => {
                let version = (photo, seq, Life::Trashed, Changed::LIFE);
                self.change(version, wall, io, |r| r.life = Life::Live)
            }
            Action::ClockJump { by_ms } => {
                self.offset_ms += by_ms;
                io.trace(
                    PhotoEvent::ClockJumped,
                    fields!["offset_ms" => self.offset_ms.to_string()],
                );
                self.mark()
            }
            Action::GoOffline { for_ } => {
                let until = io.now().after(for_);
                self.offline_until = self.offline_until.max(until);
                self.offline_since.get_or_insert(io.now());
                io.trace(
                    PhotoEvent::Offline,
                    fields!["until" => self.offline_until.0],
                );
                self.mark()
            }
            Action::OldMigration => self.migrate(wall, io),
            Action::StaleRestore { .. } | Action::VolumeLost | Action::Gc => false,
        };
        if (made && self.hardened()) || incident {
            self.flush(io, EndCause::Lost, false);
        }
    }

    fn add(
        &mut self,
        photo: u32,
        seq: u32,
        seed: u64,
        len: u32,
        wall: u64,
        io: &mut Io<'_, Msg>,
    ) -> bool {
        if self.rows.contains_key(&photo) {
            return false;
        }
        let bytes = blob::bytes(seed, len);
        let id = blob::id_of(&bytes);
        let version = self.next_version(seq);
        let row = Row {
            owner: self.setup.user,
            photo,
            version,
            parent: None,
            album: 0,
            caption: 0,
            favourite: false,
            life: Life::Live,
            blob: id,
            blob_len: len,
            stamp_ms: wall,
            trashed_ms: 0,
            content: 0,
        }
        .sealed();
        io.wrote(row.record(), version, Write::edit(None, row.content));
        let (photo_name, blob_name) = (row.record().to_string(), blob::name(id));
        io.trace(
            PhotoEvent::Added,
            fields!["photo" => photo_name, "blob" => blob_name],
        );
        let of = (row.owner, photo, version);
        let Ok(at) = self.log().put_blob(id, &bytes, of) else {
            return false;
        };
        let intact = true;
        self.blobs.insert(id, Kept { at, len, intact });
        self.store_row(Local::unconfirmed(row, None, 0))
    }

    /// A new version (sequence number `seq`) of `photo` over the device's
    /// own, if the photo is `from` now; the user changed `changed` of it.
    fn change(
        &mut self,
        (photo, seq, from, changed): (u32, u32, Life, u8),
        wall: u64,
        io: &mut Io<'_, Msg>,
        edit: impl FnOnce(&mut Row),
    ) -> bool {
        let Some(cur) = self.rows.get(&photo).copied() else {
            return false;
        };
        // The user acts only on what the device shows: the row with its bytes.
        if cur.row.life != from || !self.blobs.contains_key(&cur.row.blob) {
            return false;
        }
        let mut row = cur.row;
        row.version = self.next_version(seq);
        row.parent = Some(cur.row.version);
        row.stamp_ms = wall;
        edit(&mut row);
        let row = row.sealed();
        io.wrote(
            row.record(),
            row.version,
            Write::edit(row.parent, row.content),
        );
        let base = if cur.acked {
            Some(cur.row.version)
        } else {
            cur.base
        };
        let changed = if cur.acked {
            changed
        } else {
            changed | cur.changed
        };
        self.store_row(Local::unconfirmed(row, base, changed))
    }

    /// The old migration: every photo back in the library, in no album and
    /// no favourite, rewritten in place under its version. Hardened skips
    /// it when the library's schema is past it.
    fn migrate(&mut self, wall: u64, io: &mut Io<'_, Msg>) -> bool {
        if self.hardened() && self.schema >= OLD_SCHEMA {
            io.trace(
                PhotoEvent::MigrationSkipped,
                fields!["schema" => self.schema],
            );
            return false;
        }
        io.trace(PhotoEvent::MigrationRan, fields!["rows" => self.rows.len()]);
        let rows: Vec<Local> = self.rows.values().copied().collect();
        for mut l in rows {
            if l.row.life == Life::Purged {
                continue;
            }
            (l.row.album, l.row.favourite, l.row.life) = (0, false, Life::Live);
            l.row.stamp_ms = wall;
            l.acked = false;
            self.store_row(l);
        }
        self.schema = OLD_SCHEMA;
        self.mark();
        self.flush(io, EndCause::Corrupted, false);
        true
    }

    /// The sync timer: upload, push, pull, download.
    pub fn tick(&mut self, io: &mut Io<'_, Msg>) {
        io.set_timer(SYNC_TIMER, self.setup.every);
        let now = io.now();
        if !self.joined(now) {
            return;
        }
        self.settle_in(io);
        if now < self.offline_until {
            return;
        }
        if let Some(since) = self.offline_since.take() {
            self.mark();
            if !self.hardened() && now.since(since) >= STALE_AFTER {
                self.push_stale_library(io);
            }
        }
        if !self.hardened() {
            self.sweep_trash(io);
            self.flush(io, EndCause::Lost, false);
        }
        self.upload(io);
        self.push(io);
        self.download(io);
    }

    /// Naive, back from a long time offline: every row it holds is pushed
    /// again as if new.
    fn push_stale_library(&mut self, io: &mut Io<'_, Msg>) {
        let wall = self.wall_ms(io.now());
        io.trace(PhotoEvent::StalePush, fields!["rows" => self.rows.len()]);
        let rows: Vec<Local> = self.rows.values().copied().collect();
        for mut l in rows {
            l.row.stamp_ms = wall;
            (l.acked, l.base) = (false, None);
            self.store_row(l);
        }
    }

    /// Naive: purges what its own wall clock says has been in the trash
    /// for the trash period, and tells the user once the service confirms.
    fn sweep_trash(&mut self, io: &mut Io<'_, Msg>) {
        let wall = self.wall_ms(io.now());
        let due: Vec<Local> = self
            .rows
            .values()
            .filter(|l| l.row.life == Life::Trashed)
            .filter(|l| wall.saturating_sub(l.row.trashed_ms) >= TRASH_DAYS * DAY_MS)
            .copied()
            .collect();
        for cur in due {
            let mut row = cur.row;
            row.version = purge_version(cur.row.version, writer_of(self.setup.index));
            row.parent = Some(cur.row.version);
            (row.life, row.stamp_ms) = (Life::Purged, wall);
            let row = row.sealed();
            let write = Write::deletion(row.parent, row.content);
            io.wrote(row.record(), row.version, write);
            let base = cur.acked.then_some(cur.row.version).or(cur.base);
            self.store_row(Local::unconfirmed(row, base, Changed::LIFE));
            if self.append(Entry::Unblob { id: row.blob }) {
                self.blobs.remove(&row.blob);
            }
        }
    }

    /// The volumes a blob must be on before its photo is pushed.
    fn targets(&self, id: u64) -> u8 {
        if self.hardened() {
            0b11
        } else {
            1 << (id % 2)
        }
    }

    fn stored(&self, id: u64) -> u8 {
        self.stored_on.get(&id).copied().unwrap_or(0) | self.holders.get(&id).copied().unwrap_or(0)
    }

    /// Uploads what the service lacks of blobs this device keeps: its own
    /// unconfirmed photos', and (hardened) any blob on fewer volumes than
    /// the design wants.
    fn upload(&mut self, io: &mut Io<'_, Msg>) {
        let mut sends = Vec::new();
        for l in self.rows.values() {
            let id = l.row.blob;
            let Some(k) = self.blobs.get(&id) else {
                continue;
            };
            let repair = self.hardened() && self.holders.contains_key(&id);
            if l.row.life == Life::Purged || (l.acked && !repair) {
                continue;
            }
            let missing = self.targets(id) & !self.stored(id);
            if missing != 0 {
                sends.push((id, *k, missing, (l.row.owner, l.row.photo, l.row.version)));
            }
        }
        sends.dedup_by_key(|s| s.0);
        for (id, k, missing, of) in sends {
            let Some(bytes) = self.log().read_blob(k.at, k.len) else {
                continue;
            };
            for (v, addr) in self.setup.topology.volumes().into_iter().enumerate() {
                if missing & (1 << v) != 0 {
                    let bytes = bytes.clone();
                    io.send(addr, Msg::PutBlob { id, bytes, of });
                }
            }
        }
    }

    /// Pushes unconfirmed rows whose blobs are stored, and (hardened)
    /// confirmed rows the service lacks; asks for the user's rows.
    fn push(&mut self, io: &mut Io<'_, Msg>) {
        let push: Vec<Push> = self
            .rows
            .values()
            .filter(|l| {
                let ready = l.row.life == Life::Purged || {
                    let want = self.targets(l.row.blob);
                    self.stored(l.row.blob) & want == want
                };
                (!l.acked && ready) || l.repair
            })
            .map(|l| Push {
                row: l.row,
                base: l.base,
                repair: l.repair,
            })
            .collect();
        let (device, user, blame) = (self.setup.index, self.setup.user, self.incident);
        let primary = self.setup.topology.primary();
        let sync = Msg::Sync {
            device,
            user,
            push,
            blame,
        };
        io.send(primary, sync);
    }

    /// Fetches the blobs of photos it holds rows of but not their bytes.
    fn download(&mut self, io: &mut Io<'_, Msg>) {
        for l in self.rows.values() {
            let id = l.row.blob;
            if l.row.life == Life::Purged || self.blobs.contains_key(&id) {
                continue;
            }
            let held = self.holders.get(&id).copied().unwrap_or(0);
            if let Some(v) = (0..2u32).find(|v| held & (1 << v) != 0) {
                io.send(self.setup.topology.volume(v), Msg::GetBlob { id });
            }
        }
    }

    /// A volume stored a blob; naive drops its original now.
    pub fn on_blob_stored(&mut self, id: u64, volume: u8, io: &mut Io<'_, Msg>) {
        *self.stored_on.entry(id).or_default() |= 1 << volume;
        if self.hardened() || !self.blobs.contains_key(&id) {
            return;
        }
        if self.append(Entry::Unblob { id }) {
            self.blobs.remove(&id);
            io.trace(
                PhotoEvent::OriginalDropped,
                fields!["blob" => blob::name(id)],
            );
            self.flush(io, EndCause::Wiped, false);
        }
    }

    /// A volume sent a blob's bytes: keep them (hardened: if they verify).
    pub fn on_blob_data(
        &mut self,
        id: u64,
        bytes: Vec<u8>,
        of: (u32, u32, VersionId),
        io: &mut Io<'_, Msg>,
    ) {
        let intact = blob::intact(id, &bytes);
        if self.blobs.contains_key(&id) || (!intact && self.hardened()) {
            return;
        }
        let wanted = self
            .rows
            .values()
            .any(|l| l.row.blob == id && l.row.life != Life::Purged);
        if !wanted {
            return;
        }
        if let Ok(at) = self.log().put_blob(id, &bytes, of) {
            let len = bytes.len() as u32;
            self.blobs.insert(id, Kept { at, len, intact });
            self.flush(io, EndCause::Lost, false);
        }
    }

    /// The primary's answer: tell the user what is backed up, rebase
    /// (hardened) or drop (naive) what it refused as stale, and take its
    /// rows as the design says.
    pub fn on_state(
        &mut self,
        accepted: Vec<(u32, VersionId)>,
        refused: Vec<(u32, VersionId, Refusal)>,
        rows: Vec<Row>,
        holders: Vec<(u64, u8)>,
        blame: Vec<(u32, u32)>,
        io: &mut Io<'_, Msg>,
    ) {
        self.holders.extend(holders);
        self.blame.extend(blame);
        let user = self.setup.user;
        for (photo, v) in accepted {
            io.told_synced(record(user, photo), v);
            if let Some(l) = self.rows.get(&photo).copied() {
                if l.row.version == v && (!l.acked || l.repair) {
                    self.store_row(Local::confirmed(l.row));
                }
            }
        }
        let theirs: BTreeMap<u32, Row> = rows.into_iter().map(|r| (r.photo, r)).collect();
        for (photo, v, why) in refused {
            let Some(l) = self.rows.get(&photo).copied() else {
                continue;
            };
            io.trace(PhotoEvent::Refused, fields!["photo" => photo, "version" => v.to_string(), "stale" => why == Refusal::Stale]);
            match why {
                Refusal::NoBlob => {
                    self.stored_on.remove(&l.row.blob);
                }
                Refusal::Stale if l.row.version == v && !l.acked => match theirs.get(&photo) {
                    Some(s) if self.hardened() => self.rebase(l, *s, io),
                    Some(s) => self.take(*s),
                    None => self.forget(photo),
                },
                Refusal::Stale => {}
            }
        }
        self.merge(&theirs);
        self.flush(io, EndCause::Overwritten, true);
    }

    /// The photo leaves the library: no row, no blob.
    fn forget(&mut self, photo: u32) {
        let Some(l) = self.rows.get(&photo).copied() else {
            return;
        };
        if self.append(Entry::Forget { photo }) {
            self.rows.remove(&photo);
            if self.append(Entry::Unblob { id: l.row.blob }) {
                self.blobs.remove(&l.row.blob);
            }
        }
    }

    /// Hardened, its version `mine` refused as stale: the user's change
    /// (what `mine.changed` says) made again over the service's `theirs`,
    /// as a new version descending from both, to push on the next sync
    /// (the user is told `backed up` once the service confirms it). Over
    /// a purged photo, or with nothing the user changed, the service's
    /// row is taken.
    fn rebase(&mut self, mine: Local, theirs: Row, io: &mut Io<'_, Msg>) {
        if mine.changed == 0 || theirs.life == Life::Purged {
            self.take(theirs);
            return;
        }
        let mut row = theirs;
        if mine.changed & Changed::METADATA != 0 {
            let m = mine.row;
            (row.album, row.caption, row.favourite) = (m.album, m.caption, m.favourite);
        }
        if mine.changed & Changed::LIFE != 0 {
            (row.life, row.trashed_ms) = (mine.row.life, mine.row.trashed_ms);
        }
        // Above both, and never a workload's (4k) or a purge's (4k + 1)
        // sequence number: 4k + 2.
        let top = theirs.version.seq.max(mine.row.version.seq);
        row.version = self.next_version((top + 2) / 4 * 4 + 2);
        row.parent = Some(theirs.version);
        row.stamp_ms = self.wall_ms(io.now());
        let row = row.sealed();
        let parents = vec![theirs.version, mine.row.version];
        io.wrote(
            row.record(),
            row.version,
            Write::merge(parents, row.content),
        );
        self.store_row(Local::unconfirmed(row, Some(theirs.version), mine.changed));
    }

    fn take(&mut self, row: Row) {
        self.store_row(Local::confirmed(row));
        if row.life == Life::Purged && self.append(Entry::Unblob { id: row.blob }) {
            self.blobs.remove(&row.blob);
        }
    }

    /// Hardened takes only newer versions and marks for repair what the
    /// service lacks or has older; naive mirrors the service.
    fn merge(&mut self, theirs: &BTreeMap<u32, Row>) {
        let hardened = self.hardened();
        for (photo, s) in theirs {
            let Some(l) = self.rows.get(photo).copied() else {
                self.take(*s);
                continue;
            };
            if !l.acked {
                continue;
            }
            if hardened {
                if s.version > l.row.version {
                    self.take(*s);
                } else if s.version < l.row.version {
                    self.rows.get_mut(photo).expect("held").repair = true;
                }
            } else if *s != l.row {
                self.take(*s);
            }
        }
        let gone: Vec<u32> = self
            .rows
            .iter()
            .filter(|(p, l)| l.acked && !theirs.contains_key(p))
            .map(|(p, _)| *p)
            .collect();
        for photo in gone {
            if hardened {
                self.rows.get_mut(&photo).expect("held").repair = true;
            } else {
                self.forget(photo);
            }
        }
    }

    /// What the device serves: each photo's row with its blob (a purged
    /// one as a tombstone); genuine when the row is as written and the
    /// blob's bytes verify.
    pub fn view(&self) -> View {
        let mut view = View::new();
        for l in self.rows.values() {
            let r = &l.row;
            let kept = self.blobs.get(&r.blob);
            if r.life != Life::Purged && kept.is_none() {
                continue;
            }
            let blob_ok = r.life == Life::Purged || kept.is_some_and(|k| k.intact);
            let served = Served {
                version: r.version,
                deleted: r.life == Life::Purged,
                content: r.fingerprint(),
                genuine: r.genuine() && blob_ok,
                conflicts: Vec::new(),
            };
            view.insert(r.record(), served);
        }
        view
    }
}

impl copies::Logged for Device {
    fn store(&self) -> String {
        self.name()
    }

    fn log(&mut self) -> &mut Log {
        Log::opened(&mut self.log, &self.disk)
    }

    fn reload(&mut self, entries: Vec<Entry>, _now: SimTime) {
        self.rows.clear();
        self.blobs.clear();
        for e in entries {
            match e {
                Entry::Row {
                    row,
                    acked,
                    base,
                    changed,
                    ..
                } => {
                    let repair = false;
                    self.rows.insert(
                        row.photo,
                        Local {
                            row,
                            acked,
                            base,
                            repair,
                            changed,
                        },
                    );
                }
                Entry::Blob { id, len, at, .. } => {
                    let intact = false;
                    self.blobs.insert(id, Kept { at, len, intact });
                }
                Entry::Unblob { id } => {
                    self.blobs.remove(&id);
                }
                Entry::Forget { photo } => {
                    self.rows.remove(&photo);
                }
                Entry::Mark {
                    schema,
                    generation,
                    offset_ms,
                    offline_since_ms,
                    incident,
                } => {
                    (self.schema, self.generation) = (schema, generation);
                    (self.offset_ms, self.incident) = (offset_ms, incident);
                    self.offline_since = offline_since_ms.map(SimTime);
                }
            }
        }
        let log = self.log.as_ref().expect("opened");
        for (id, k) in self.blobs.iter_mut() {
            k.intact = log.blob_intact(*id, k.at, k.len);
        }
    }

    /// What the device durably holds: a photo's tombstone, or its row with
    /// its blob, both as their writer wrote them.
    fn holding(&self) -> Held {
        self.rows
            .values()
            .filter(|l| l.row.genuine())
            .filter(|l| {
                l.row.life == Life::Purged || self.blobs.get(&l.row.blob).is_some_and(|k| k.intact)
            })
            .map(|l| (l.row.record(), l.row.version))
            .collect()
    }

    fn held(&mut self) -> &mut Held {
        &mut self.held
    }
}
