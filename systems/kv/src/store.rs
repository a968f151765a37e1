//! A node's rows in memory over its log on disk, and what the copy lineage
//! hears of them.
//!
//! Rows change in memory when an entry is appended; the lineage hears of a
//! copy only when [`Store::flush`] made it durable, and of the copy it
//! replaced at the same moment. A failed sync drops every unsynced write,
//! so the rows are then read back from the disk.

use crate::log::{self, Entry};
use crate::{fingerprint, record};
use lastcopy_harness::sim::host::{DiskHandle, Io};
use lastcopy_harness::sim::lineage::EndCause;
use lastcopy_harness::sim::place::{Served, View};
use lastcopy_harness::sim::record::VersionId;
use std::collections::{BTreeMap, BTreeSet};

/// One node's rows, keyed by (owner, key), over its log.
pub struct Store {
    disk: DiskHandle,
    rows: BTreeMap<(u32, u32), Entry>,
    durable: BTreeMap<(u32, u32), VersionId>,
    changed: BTreeSet<(u32, u32)>,
    next: u64,
}

impl Store {
    /// The store on `disk` as its log reads back: the last intact entry of
    /// each key wins.
    pub fn open(disk: DiskHandle) -> Self {
        let mut store = Store {
            disk,
            rows: BTreeMap::new(),
            durable: BTreeMap::new(),
            changed: BTreeSet::new(),
            next: 0,
        };
        store.reload();
        store.durable = store.rows.iter().map(|(k, e)| (*k, e.version)).collect();
        store
    }

    fn reload(&mut self) {
        let scan = log::scan(&self.disk);
        self.rows = scan
            .entries
            .iter()
            .map(|f| ((f.entry.owner, f.entry.key), f.entry))
            .collect();
        self.next = scan.next;
        self.changed.clear();
    }

    /// At boot: tells the copy lineage which copies it held on this store
    /// the disk no longer has (a crash, a torn or lost write, rot took
    /// them) and which the disk has that it never heard of (a write a
    /// crash happened to keep).
    pub fn reconcile<M>(&self, io: &mut Io<'_, M>) {
        let store = io.node().to_string();
        let held: BTreeSet<(String, String)> = self
            .rows
            .values()
            .map(|e| (record(e.owner, e.key).to_string(), e.version.to_string()))
            .collect();
        let believed: BTreeSet<(String, String)> =
            io.lineage().on_store(&store).into_iter().collect();
        for (r, v) in believed.difference(&held) {
            io.copy_ended(&store, r, v, EndCause::Lost);
        }
        for (r, v) in held.difference(&believed) {
            io.copy_created(&store, r, v);
        }
    }

    /// The row of `owner`'s `key`, if any.
    pub fn get(&self, owner: u32, key: u32) -> Option<&Entry> {
        self.rows.get(&(owner, key))
    }

    /// Every row of `owner`, by key.
    pub fn rows_of(&self, owner: u32) -> impl Iterator<Item = &Entry> {
        self.rows
            .range((owner, 0)..=(owner, u32::MAX))
            .map(|(_, e)| e)
    }

    /// Appends `version` of `owner`'s `key` (with its own content) to the
    /// log, unsynced, and serves it from now on. On a disk error nothing
    /// changes and the error is returned.
    pub fn put(&mut self, owner: u32, key: u32, version: VersionId) -> Result<(), String> {
        let entry = Entry {
            owner,
            key,
            version,
            content: fingerprint(record(owner, key), version),
        };
        log::append(&self.disk, self.next, &entry)?;
        self.next += 1;
        self.rows.insert((owner, key), entry);
        self.changed.insert((owner, key));
        Ok(())
    }

    /// Syncs the log; on success tells the lineage which copies are now
    /// durable and which they superseded. On failure the unsynced writes
    /// are gone, so the rows are read back from the disk.
    pub fn flush<M>(&mut self, io: &mut Io<'_, M>) -> Result<(), String> {
        if let Err(e) = log::sync(&self.disk) {
            self.reload();
            return Err(e);
        }
        let store = io.node().to_string();
        for k in std::mem::take(&mut self.changed) {
            let new = self.rows[&k].version;
            let rs = record(k.0, k.1).to_string();
            match self.durable.insert(k, new) {
                Some(old) if old == new => continue,
                Some(old) => {
                    let cause = if new > old {
                        EndCause::Superseded
                    } else {
                        EndCause::Overwritten
                    };
                    io.copy_ended(&store, &rs, &old.to_string(), cause);
                }
                None => {}
            }
            io.copy_created(&store, &rs, &new.to_string());
        }
        Ok(())
    }

    /// What this store serves of `owner`'s records: genuine when the
    /// stored content is the version's own (entries that failed their
    /// checksum were never loaded).
    pub fn view(&self, owner: u32) -> View {
        self.rows_of(owner)
            .map(|e| {
                let r = record(e.owner, e.key);
                let served = Served {
                    version: e.version,
                    deleted: false,
                    content: e.content,
                    genuine: e.content == fingerprint(r, e.version),
                    conflicts: Vec::new(),
                };
                (r, served)
            })
            .collect()
    }
}
