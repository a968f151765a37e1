//! The metadata service: a primary with a synchronous and an asynchronous
//! replica, each a node with its own disk.
//!
//! The primary alone answers devices. Hardened: it commits a pushed row
//! only over the version the device made it over, and a new photo only
//! once its blob is on a volume; it syncs its log, waits for the
//! synchronous replica to sync too, and only then says committed, so every
//! confirmed row is on two disks in two zones. It purges the trash by its
//! own clock 30 days after a photo went there, keeps purge tombstones, and
//! after a boot or a restore catches up from the replicas (newest version
//! wins) before it answers again.
//! Naive: last writer wins by the devices' wall clocks; it says committed
//! at once (whether the row won or not) and syncs its log and replicates
//! in the background; a restored primary serves what the snapshot held.

use crate::copies::{self, Held, Logged};
use crate::log::{Entry, Log};
use crate::msg::{Msg, Push, Refusal};
use crate::row::{record, Life, Row};
use crate::topology::{purge_version, Topology, META_NAMES, SERVICE_WRITER};
use crate::{Design, PhotoEvent, TICK_TIMER, TRASH_DAYS};
use lastcopy_harness::sim::fields;
use lastcopy_harness::sim::host::{Addr, DiskHandle, Io};
use lastcopy_harness::sim::ledger::Write;
use lastcopy_harness::sim::lineage::EndCause;
use lastcopy_harness::sim::place::{Served, View};
use lastcopy_harness::sim::record::{RecordId, VersionId};
use lastcopy_harness::sim::time::SimTime;
use std::collections::BTreeMap;
use std::time::Duration;

/// Which metadata node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The primary, which devices talk to.
    Primary,
    /// The replica the primary waits for (hardened).
    SyncReplica,
    /// The replica the primary never waits for.
    AsyncReplica,
}

/// What a metadata node is, apart from its disk.
#[derive(Clone, Copy, Debug)]
pub struct MetaSetup {
    /// Which node.
    pub role: Role,
    /// The design.
    pub design: Design,
    /// The run's addresses.
    pub topology: Topology,
    /// Time between its housekeeping ticks (flushes, purges).
    pub every: Duration,
}

enum Pending {
    Reply(Addr, Msg),
    Purges(Vec<(RecordId, VersionId)>),
}

type Key = (u32, u32);

/// One metadata node.
pub struct Meta {
    setup: MetaSetup,
    disk: DiskHandle,
    log: Option<Log>,
    rows: BTreeMap<Key, Row>,
    held: Held,
    holders: BTreeMap<u64, (u8, u8)>,
    blame: BTreeMap<Key, u32>,
    ready: bool,
    pending: BTreeMap<u64, Pending>,
    next_req: u64,
}

impl Meta {
    /// The node `setup` describes on `disk`; its rows come from the disk
    /// at boot.
    pub fn new(setup: MetaSetup, disk: DiskHandle) -> Self {
        Meta {
            setup,
            disk,
            log: None,
            rows: BTreeMap::new(),
            held: Held::new(),
            holders: BTreeMap::new(),
            blame: BTreeMap::new(),
            ready: false,
            pending: BTreeMap::new(),
            next_req: 0,
        }
    }

    fn name(&self) -> &'static str {
        META_NAMES[match self.setup.role {
            Role::Primary => 0,
            Role::SyncReplica => 1,
            Role::AsyncReplica => 2,
        }]
    }

    fn hardened(&self) -> bool {
        self.setup.design == Design::Hardened
    }

    /// Syncs the log and tells the lineage what changed; ends other than
    /// supersession are blamed, per photo, on the incident that made its
    /// row what it is, if `blamed`. A failed sync reads the log back.
    fn flush(&mut self, io: &Io<'_, Msg>, gone: EndCause, blamed: bool) -> bool {
        copies::flush(self, io, gone, |m, r| {
            blamed
                .then(|| m.blame.get(&(r.owner, r.n)).copied())
                .flatten()
        })
    }

    fn store(&mut self, row: Row, now_ms: u64) -> bool {
        let e = Entry::Row {
            row,
            acked: true,
            base: None,
            at_ms: now_ms,
            changed: 0,
        };
        if self.log().append(&e).is_err() {
            return false;
        }
        self.rows.insert((row.owner, row.photo), row);
        true
    }

    fn peers(&self) -> Vec<Addr> {
        let t = self.setup.topology;
        match self.setup.role {
            Role::Primary => vec![t.replica(0), t.replica(1)],
            _ => vec![t.primary()],
        }
    }

    /// Reads the rows back (squaring the lineage with them). The primary
    /// asks the volumes what they hold; hardened nodes catch up from their
    /// peers, the primary answering devices only once it has.
    pub fn boot(&mut self, io: &mut Io<'_, Msg>) {
        let (log, entries) = Log::open(self.disk.clone());
        self.log = Some(log);
        self.reload(entries, io.now());
        self.held = copies::believed(io, self.name());
        let now = self.holding();
        copies::settle(io, self.name(), &mut self.held, now, EndCause::Lost, |_| {
            None
        });
        if self.setup.role == Role::Primary {
            for v in self.setup.topology.volumes() {
                io.send(v, Msg::AskInventory);
            }
        }
        self.ready = !self.hardened();
        if self.hardened() {
            for p in self.peers() {
                io.send(p, Msg::CatchUp);
            }
        }
        io.set_timer(TICK_TIMER, self.setup.every);
    }

    /// Housekeeping: naive syncs its log; the hardened primary purges the
    /// trash, or asks again to catch up.
    pub fn tick(&mut self, io: &mut Io<'_, Msg>) {
        io.set_timer(TICK_TIMER, self.setup.every);
        if !self.hardened() {
            self.flush(io, EndCause::Lost, true);
        } else if self.setup.role == Role::Primary {
            if self.ready {
                self.purge(io);
            } else {
                for p in self.peers() {
                    io.send(p, Msg::CatchUp);
                }
            }
        }
    }

    /// Hardened primary: purges what has been in the trash for the trash
    /// period by the service's clock; tells the user once replicated.
    fn purge(&mut self, io: &mut Io<'_, Msg>) {
        let now_ms = io.now().0;
        let due: Vec<Row> = self
            .rows
            .values()
            .filter(|r| r.life == Life::Trashed)
            .filter(|r| now_ms.saturating_sub(r.trashed_ms) >= TRASH_DAYS * 86_400_000)
            .copied()
            .collect();
        if due.is_empty() {
            return;
        }
        let mut purged = Vec::new();
        for cur in due {
            let mut row = cur;
            row.version = purge_version(cur.version, SERVICE_WRITER);
            row.parent = Some(cur.version);
            (row.life, row.stamp_ms) = (Life::Purged, now_ms);
            let row = row.sealed();
            io.wrote(
                row.record(),
                row.version,
                Write::deletion(row.parent, row.content),
            );
            if self.store(row, now_ms) {
                purged.push(row);
            }
        }
        if !self.flush(io, EndCause::Lost, false) {
            return;
        }
        let acks = purged.iter().map(|r| (r.record(), r.version)).collect();
        self.replicate(purged, Pending::Purges(acks), io);
    }

    /// Sends `rows` to both replicas (and tells the volumes which versions
    /// their blobs now back); hardened waits for the synchronous one
    /// before `then`.
    fn replicate(&mut self, rows: Vec<Row>, then: Pending, io: &mut Io<'_, Msg>) {
        self.next_req += 1;
        let req = self.next_req;
        let t = self.setup.topology;
        // A purged photo's blob backs nothing: it stays filed under the
        // version it last backed, for the garbage collection to free.
        let backs: Vec<_> = rows
            .iter()
            .filter(|r| r.life != Life::Purged)
            .map(|r| (r.blob, (r.owner, r.photo, r.version)))
            .collect();
        for v in t.volumes() {
            let rows = backs.clone();
            io.send(v, Msg::Backs { rows });
        }
        for k in 0..2 {
            let rows = rows.clone();
            io.send(t.replica(k), Msg::Replicate { req, rows });
        }
        if self.hardened() {
            self.pending.insert(req, then);
            while self.pending.len() > 256 {
                self.pending.pop_first();
            }
        } else {
            self.finish(then, io);
        }
    }

    fn finish(&mut self, then: Pending, io: &mut Io<'_, Msg>) {
        match then {
            Pending::Reply(to, msg) => io.send(to, msg),
            Pending::Purges(acks) => {
                for (r, v) in acks {
                    io.told_synced(r, v);
                }
            }
        }
    }

    /// Whether the primary commits `p` now (`Ok(true)`: store it,
    /// `Ok(false)`: already there).
    fn decide(&self, user: u32, p: &Push) -> Result<bool, Refusal> {
        let cur = self.rows.get(&(user, p.row.photo));
        if !self.hardened() {
            let wins =
                cur.is_none_or(|c| (p.row.stamp_ms, p.row.version) > (c.stamp_ms, c.version));
            return Ok(wins);
        }
        let current = cur.map(|c| c.version);
        if current == Some(p.row.version) {
            return Ok(false);
        }
        if p.repair {
            return match current {
                Some(c) if c > p.row.version => Err(Refusal::Stale),
                _ => Ok(true),
            };
        }
        if p.base != current {
            return Err(Refusal::Stale);
        }
        let on_volume = self.holders.get(&p.row.blob).is_some_and(|h| h.0 != 0);
        if p.row.life != Life::Purged && !on_volume {
            return Err(Refusal::NoBlob);
        }
        Ok(true)
    }

    /// A device's sync: commit what the design lets in, then answer (the
    /// hardened primary once the synchronous replica has it).
    /// `device` is the pusher and the incident it says last struck it.
    pub fn on_sync(
        &mut self,
        from: Addr,
        device: (u32, Option<u32>),
        user: u32,
        push: Vec<Push>,
        io: &mut Io<'_, Msg>,
    ) {
        if !self.ready || self.setup.role != Role::Primary {
            return;
        }
        let pusher = self.setup.topology.device_name(user, device.0);
        let pusher_blame = device.1.or_else(|| io.lineage().blame_of(&pusher));
        let now_ms = io.now().0;
        let (mut accepted, mut refused, mut changed) = (Vec::new(), Vec::new(), Vec::new());
        for p in &push {
            let key = (user, p.row.photo);
            match self.decide(user, p) {
                Err(why) => refused.push((p.row.photo, p.row.version, why)),
                Ok(store) => {
                    accepted.push((p.row.photo, p.row.version));
                    if !store {
                        changed.push(self.rows[&key]);
                        continue;
                    }
                    let cur = self.rows.get(&key).copied();
                    let mut row = p.row;
                    if self.hardened() && row.life == Life::Trashed {
                        row.trashed_ms = match cur {
                            Some(c) if c.life == Life::Trashed => c.trashed_ms,
                            _ => now_ms,
                        };
                    }
                    let backwards = cur.is_some_and(|c| c.version >= row.version);
                    match (backwards, pusher_blame) {
                        (true, Some(f)) => {
                            self.blame.insert(key, f);
                        }
                        _ => {
                            self.blame.remove(&key);
                        }
                    }
                    if self.store(row, now_ms) {
                        changed.push(row);
                    }
                }
            }
        }
        if self.hardened() && !changed.is_empty() && !self.flush(io, EndCause::Lost, true) {
            return;
        }
        let reply = self.state_for(user, accepted, refused);
        if changed.is_empty() {
            io.send(from, reply);
        } else {
            self.replicate(changed, Pending::Reply(from, reply), io);
        }
    }

    fn state_for(
        &self,
        user: u32,
        accepted: Vec<(u32, VersionId)>,
        refused: Vec<(u32, VersionId, Refusal)>,
    ) -> Msg {
        let rows: Vec<Row> = self
            .rows
            .range((user, 0)..=(user, u32::MAX))
            .map(|(_, r)| *r)
            .collect();
        let holders = rows
            .iter()
            .map(|r| (r.blob, self.holders.get(&r.blob).map_or(0, |h| h.0)))
            .collect();
        let blame = self
            .blame
            .range((user, 0)..=(user, u32::MAX))
            .map(|((_, p), f)| (*p, *f))
            .collect();
        Msg::State {
            accepted,
            refused,
            rows,
            holders,
            blame,
        }
    }

    /// Replica: store rows the primary sent (hardened: newer only, synced
    /// before it answers).
    pub fn on_replicate(&mut self, from: Addr, req: u64, rows: Vec<Row>, io: &mut Io<'_, Msg>) {
        let now_ms = io.now().0;
        for r in rows {
            let cur = self.rows.get(&(r.owner, r.photo)).map(|c| c.version);
            if !self.hardened() || cur.is_none_or(|c| c < r.version) {
                self.store(r, now_ms);
            }
        }
        if self.hardened() && !self.flush(io, EndCause::Lost, false) {
            return;
        }
        io.send(from, Msg::Replicated { req });
    }

    /// Primary: the synchronous replica has request `req`.
    pub fn on_replicated(&mut self, from: Addr, req: u64, io: &mut Io<'_, Msg>) {
        if from != self.setup.topology.replica(0) {
            return;
        }
        if let Some(then) = self.pending.remove(&req) {
            self.finish(then, io);
        }
    }

    /// A peer's every row: hardened keeps the newest version of each, and
    /// the primary is ready once the synchronous replica answered.
    pub fn on_snapshot(&mut self, from: Addr, rows: Vec<Row>, io: &mut Io<'_, Msg>) {
        if !self.hardened() {
            return;
        }
        let now_ms = io.now().0;
        for r in rows {
            let cur = self.rows.get(&(r.owner, r.photo)).map(|c| c.version);
            if cur.is_none_or(|c| c < r.version) {
                self.store(r, now_ms);
            }
        }
        if self.flush(io, EndCause::Lost, false) && from == self.setup.topology.replica(0) {
            self.ready = true;
        }
    }

    /// Every row this node holds, for a peer catching up.
    pub fn snapshot(&self) -> Msg {
        Msg::Snapshot {
            rows: self.rows.values().copied().collect(),
        }
    }

    /// A volume's inventory (all it holds, or additions).
    pub fn on_inventory(&mut self, volume: u8, blobs: Vec<(u64, bool)>, full: bool) {
        let bit = 1u8 << volume;
        if full {
            for h in self.holders.values_mut() {
                (h.0, h.1) = (h.0 & !bit, h.1 & !bit);
            }
        }
        for (id, intact) in blobs {
            let h = self.holders.entry(id).or_default();
            h.0 |= bit;
            h.1 = if intact { h.1 | bit } else { h.1 & !bit };
        }
    }

    /// A volume dropped blobs.
    pub fn on_dropped(&mut self, volume: u8, blobs: Vec<u64>) {
        for id in blobs {
            if let Some(h) = self.holders.get_mut(&id) {
                (h.0, h.1) = (h.0 & !(1 << volume), h.1 & !(1 << volume));
            }
        }
    }

    /// The blobs the rows reference (purged photos' are free).
    pub fn refs(&self) -> Msg {
        let mut blobs: Vec<u64> = self
            .rows
            .values()
            .filter(|r| r.life != Life::Purged)
            .map(|r| r.blob)
            .collect();
        blobs.sort_unstable();
        blobs.dedup();
        Msg::Refs { blobs }
    }

    /// Incident: an operator restores this node from a snapshot `age` old.
    /// Rows it had since are gone; hardened catches up from its peers
    /// before it answers again.
    pub fn restore(&mut self, age: Duration, io: &mut Io<'_, Msg>) {
        let cutoff = io.now().0.saturating_sub(age.as_millis() as u64);
        let entries = self.log().reread();
        let before = std::mem::take(&mut self.rows);
        self.log().wipe();
        let mut kept = 0u64;
        for e in entries {
            if let Entry::Row { row, at_ms, .. } = e {
                if at_ms < cutoff && self.log().append(&e).is_ok() {
                    self.rows.insert((row.owner, row.photo), row);
                    kept += 1;
                }
            }
        }
        if let Some(f) = io.lineage().blame_of(self.name()) {
            for (k, r) in &before {
                if self.rows.get(k) != Some(r) {
                    self.blame.insert(*k, f);
                }
            }
        }
        io.trace(
            PhotoEvent::RestoredFromSnapshot,
            fields!["entries" => kept, "age_s" => age.as_secs()],
        );
        self.flush(io, EndCause::Overwritten, true);
        if self.hardened() {
            self.ready = false;
            for p in self.peers() {
                io.send(p, Msg::CatchUp);
            }
        }
    }

    /// What the service serves of `user`'s photos (the primary; `None`
    /// while a hardened primary catches up): each row whose blob a volume
    /// holds, a purged one as a tombstone; genuine when the row is as
    /// written and some volume's copy of the blob verifies.
    pub fn view(&self, user: u32) -> Option<View> {
        if !self.ready {
            return None;
        }
        let mut view = View::new();
        for r in self
            .rows
            .range((user, 0)..=(user, u32::MAX))
            .map(|(_, r)| r)
        {
            let (held, intact) = self.holders.get(&r.blob).copied().unwrap_or((0, 0));
            let purged = r.life == Life::Purged;
            if !purged && held == 0 {
                continue;
            }
            view.insert(
                record(r.owner, r.photo),
                Served {
                    version: r.version,
                    deleted: purged,
                    content: r.fingerprint(),
                    genuine: r.genuine() && (purged || intact != 0),
                    conflicts: Vec::new(),
                },
            );
        }
        Some(view)
    }
}

impl copies::Logged for Meta {
    fn store(&self) -> String {
        self.name().to_string()
    }

    fn log(&mut self) -> &mut Log {
        Log::opened(&mut self.log, &self.disk)
    }

    fn reload(&mut self, entries: Vec<Entry>, _now: SimTime) {
        self.rows.clear();
        for e in entries {
            if let Entry::Row { row, .. } = e {
                self.rows.insert((row.owner, row.photo), row);
            }
        }
    }

    fn holding(&self) -> Held {
        self.rows
            .values()
            .filter(|r| r.genuine())
            .map(|r| (r.record(), r.version))
            .collect()
    }

    fn held(&mut self) -> &mut Held {
        &mut self.held
    }
}
