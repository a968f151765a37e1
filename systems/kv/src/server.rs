//! The server: keeps every user's rows in its log and answers syncs.
//!
//! Hardened: the rows a sync pushed are synced to disk before the server
//! says they are committed. Naive: it says so at once and syncs its log on
//! a timer. Either way it keeps the newest version of each key it was
//! pushed, rebuilds from its log at boot, and answers with all the user's
//! rows.

use crate::msg::{Msg, Row};
use crate::store::Store;
use crate::{Design, SYNC_TIMER};
use lastcopy_harness::sim::host::{Addr, DiskHandle, Io};
use lastcopy_harness::sim::place::View;
use std::time::Duration;

/// The server node.
pub struct Server {
    design: Design,
    every: Duration,
    store: Store,
}

impl Server {
    /// The server under `design` on `disk` (read back now), flushing every
    /// `every` when the design defers its syncs.
    pub fn new(design: Design, every: Duration, disk: DiskHandle) -> Self {
        Server {
            design,
            every,
            store: Store::open(disk),
        }
    }

    /// Squares the copy lineage with the disk; starts the naive design's
    /// flush timer.
    pub fn boot(&mut self, io: &mut Io<'_, Msg>) {
        self.store.reconcile(io);
        if self.design == Design::Naive {
            io.set_timer(SYNC_TIMER, self.every);
        }
    }

    /// Naive: the deferred sync of the log.
    pub fn tick(&mut self, io: &mut Io<'_, Msg>) {
        let _ = self.store.flush(io);
        io.set_timer(SYNC_TIMER, self.every);
    }

    fn version(&self, user: u32, key: u32) -> Option<lastcopy_harness::sim::record::VersionId> {
        self.store.get(user, key).map(|e| e.version)
    }

    /// A client's sync: store what is newer, commit as the design says,
    /// answer with what is committed and all of the user's rows.
    pub fn on_sync(&mut self, from: Addr, user: u32, rows: Vec<Row>, io: &mut Io<'_, Msg>) {
        let mut wrote = false;
        for row in &rows {
            if self.version(user, row.key).is_none_or(|v| v < row.version) {
                wrote |= self.store.put(user, row.key, row.version).is_ok();
            }
        }
        if wrote && self.design == Design::Hardened {
            let _ = self.store.flush(io);
        }
        let committed = rows
            .into_iter()
            .filter(|r| self.version(user, r.key).is_some_and(|v| v >= r.version))
            .collect();
        let all = self
            .store
            .rows_of(user)
            .map(|e| Row {
                key: e.key,
                version: e.version,
            })
            .collect();
        io.send(from, Msg::State { committed, all });
    }

    /// What the server serves of `user`'s records.
    pub fn view(&self, user: u32) -> View {
        self.store.view(user)
    }
}
