//! A user's client: applies the user's puts to its own log, acknowledges
//! them as its design says, and syncs with the server on a timer.
//!
//! Hardened: a put is told `saved` only once its log entry is synced; the
//! client keeps every row, re-pushes whatever the server does not show
//! (after a reboot, everything), and takes only newer versions from it.
//! Naive: a put is told `saved` at once and synced to disk on the next
//! timer; once the server confirms a key the client forgets it is its own
//! and takes whatever the server shows, older or not.

use crate::msg::{Msg, Row};
use crate::store::Store;
use crate::{fingerprint, record, Design, Put, SYNC_TIMER};
use lastcopy_harness::sim::host::{Addr, Boot, DiskHandle, Io};
use lastcopy_harness::sim::ledger::Write;
use lastcopy_harness::sim::record::VersionId;
use std::collections::BTreeSet;
use std::time::Duration;

/// One user's client node.
pub struct Client {
    user: u32,
    server: Addr,
    design: Design,
    every: Duration,
    disk: DiskHandle,
    store: Option<Store>,
    seq: u32,
    unsynced: BTreeSet<u32>,
    ready: bool,
}

impl Client {
    /// The client of `user` under `design`, on `disk`, syncing with the
    /// server at `server` every `every`. Its state comes from the disk at boot.
    pub fn new(user: u32, server: Addr, design: Design, every: Duration, disk: DiskHandle) -> Self {
        Client {
            user,
            server,
            design,
            every,
            disk,
            store: None,
            seq: 0,
            unsynced: BTreeSet::new(),
            ready: false,
        }
    }

    fn store(&mut self) -> &mut Store {
        self.store
            .get_or_insert_with(|| Store::open(self.disk.clone()))
    }

    /// Reads the log back (squaring the copy lineage with it), re-pushes (hardened) and asks the server for
    /// the user's rows. Takes puts at once on a first boot, else only
    /// after the server answered (so no version number is reused).
    pub fn boot(&mut self, boot: Boot, io: &mut Io<'_, Msg>) {
        let user = self.user;
        self.store().reconcile(io);
        let keys: Vec<(u32, u32)> = self
            .store()
            .rows_of(user)
            .map(|e| (e.key, e.version.seq))
            .collect();
        self.seq = keys.iter().map(|k| k.1).max().unwrap_or(0);
        if self.design == Design::Hardened {
            self.unsynced = keys.iter().map(|k| k.0).collect();
        }
        self.ready = boot == Boot::First;
        self.push(io);
        io.set_timer(SYNC_TIMER, self.every);
    }

    fn push(&mut self, io: &mut Io<'_, Msg>) {
        let user = self.user;
        let keys: Vec<u32> = self.unsynced.iter().copied().collect();
        let store = self.store();
        let rows = keys
            .into_iter()
            .filter_map(|key| {
                store.get(user, key).map(|e| Row {
                    key,
                    version: e.version,
                })
            })
            .collect();
        io.send(self.server, Msg::Sync { user, rows });
    }

    /// The user puts a new version of a key.
    pub fn put(&mut self, put: Put, io: &mut Io<'_, Msg>) {
        if !self.ready {
            return;
        }
        let (user, key) = (self.user, put.key);
        self.seq += 1;
        let version = VersionId {
            writer: user,
            seq: self.seq,
        };
        let r = record(user, key);
        let parent = self.store().get(user, key).map(|e| e.version);
        io.wrote(r, version, Write::edit(parent, fingerprint(r, version)));
        if self.store().put(user, key, version).is_err() {
            return;
        }
        if self.design == Design::Hardened && self.store().flush(io).is_err() {
            return;
        }
        io.told_saved(r, version);
        self.unsynced.insert(key);
        self.push(io);
    }

    /// The sync timer: naive flushes its log now; both push and pull.
    pub fn tick(&mut self, io: &mut Io<'_, Msg>) {
        if self.design == Design::Naive {
            let _ = self.store().flush(io);
        }
        self.push(io);
        io.set_timer(SYNC_TIMER, self.every);
    }

    /// The server's answer: tell `synced` for what it committed, take its
    /// rows as the design says, and (hardened) queue what it lacks.
    pub fn on_state(&mut self, committed: Vec<Row>, all: Vec<Row>, io: &mut Io<'_, Msg>) {
        let user = self.user;
        self.ready = true;
        let theirs = all.iter().filter(|r| r.version.writer == user);
        self.seq = self
            .seq
            .max(theirs.map(|r| r.version.seq).max().unwrap_or(0));
        for row in &committed {
            io.told_synced(record(user, row.key), row.version);
            if self.store().get(user, row.key).map(|e| e.version) == Some(row.version) {
                self.unsynced.remove(&row.key);
            }
        }
        let hardened = self.design == Design::Hardened;
        for row in &all {
            let mine = self.store().get(user, row.key).map(|e| e.version);
            let take = match mine {
                None => true,
                Some(v) if hardened => row.version > v,
                Some(v) => row.version != v && !self.unsynced.contains(&row.key),
            };
            if take {
                let _ = self.store().put(user, row.key, row.version);
            }
        }
        if hardened {
            let server: Vec<Row> = all;
            let lacking: Vec<u32> = self
                .store()
                .rows_of(user)
                .filter(|e| {
                    !server
                        .iter()
                        .any(|r| r.key == e.key && r.version >= e.version)
                })
                .map(|e| e.key)
                .collect();
            self.unsynced.extend(lacking);
            let _ = self.store().flush(io);
        }
    }

    /// What the client serves of its user's records.
    pub fn view(&self) -> lastcopy_harness::sim::place::View {
        self.store
            .as_ref()
            .map(|s| s.view(self.user))
            .unwrap_or_default()
    }
}
