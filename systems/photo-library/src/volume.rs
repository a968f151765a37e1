//! A volume of the object store: content-addressed blobs on its own disk.
//!
//! Hardened: a blob is synced before the volume says it is stored; a boot
//! drops blobs whose bytes no longer verify (the devices upload them
//! again); garbage collection deletes only blobs the primary's rows do not
//! reference, asked again right before deleting, and only those stored
//! more than [`GRACE`] ago, so it never races an upload.
//! Naive: the volume says stored before it syncs; a boot
//! keeps what it finds; garbage collection deletes every blob the primary
//! does not reference at that moment, uploads in flight included.

use crate::copies::{self, Held, Logged};
use crate::log::{Entry, Log};
use crate::msg::Msg;
use crate::row::record;
use crate::topology::{Topology, VOLUME_NAMES};
use crate::{blob, Design, PhotoEvent, TICK_TIMER};
use lastcopy_harness::sim::fields;
use lastcopy_harness::sim::host::{Addr, DiskHandle, Io};
use lastcopy_harness::sim::lineage::EndCause;
use lastcopy_harness::sim::record::VersionId;
use lastcopy_harness::sim::time::SimTime;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long a hardened volume keeps an unreferenced blob.
pub const GRACE: Duration = Duration::from_secs(2 * 86_400);

#[derive(Clone, Copy, Debug)]
struct Stored {
    at: u64,
    len: u32,
    of: (u32, u32, VersionId),
    since: SimTime,
    intact: bool,
}

impl Stored {
    /// A blob of `len` bytes at sector `at`, backing `of`, kept here since
    /// `since`, its bytes verified (`intact`) or not.
    fn new(at: u64, len: u32, of: (u32, u32, VersionId), since: SimTime, intact: bool) -> Self {
        Stored {
            at,
            len,
            of,
            since,
            intact,
        }
    }
}

/// One volume node.
pub struct Volume {
    number: u8,
    design: Design,
    topology: Topology,
    every: Duration,
    disk: DiskHandle,
    log: Option<Log>,
    blobs: BTreeMap<u64, Stored>,
    held: Held,
}

impl Volume {
    /// Volume `number` under `design` on `disk`, ticking every `every`.
    pub fn new(
        number: u8,
        design: Design,
        topology: Topology,
        every: Duration,
        disk: DiskHandle,
    ) -> Self {
        Volume {
            number,
            design,
            topology,
            every,
            disk,
            log: None,
            blobs: BTreeMap::new(),
            held: Held::new(),
        }
    }

    fn name(&self) -> &'static str {
        VOLUME_NAMES[usize::from(self.number)]
    }

    fn hardened(&self) -> bool {
        self.design == Design::Hardened
    }

    fn flush(&mut self, io: &Io<'_, Msg>, gone: EndCause) -> bool {
        copies::flush(self, io, gone, |_, _| None)
    }

    fn inventory(&self, full: bool, ids: impl Iterator<Item = u64>) -> Msg {
        let blobs = ids
            .filter_map(|id| self.blobs.get(&id).map(|s| (id, s.intact)))
            .collect();
        Msg::Inventory {
            volume: self.number,
            blobs,
            full,
        }
    }

    /// Reads its blobs back and verifies them (hardened drops those that
    /// fail), then tells the primary what it holds.
    pub fn boot(&mut self, io: &mut Io<'_, Msg>) {
        let (log, entries) = Log::open(self.disk.clone());
        self.log = Some(log);
        self.reload(entries, io.now());
        self.held = copies::believed(io, self.name());
        if self.hardened() {
            self.drop_where(io, |_, s| !s.intact);
        }
        let now = self.holding();
        copies::settle(io, self.name(), &mut self.held, now, EndCause::Lost, |_| {
            None
        });
        self.flush(io, EndCause::Lost);
        self.report(io);
        io.set_timer(TICK_TIMER, self.every);
    }

    fn report(&self, io: &mut Io<'_, Msg>) {
        let all = self.inventory(true, self.blobs.keys().copied());
        io.send(self.topology.primary(), all);
    }

    /// Naive: the deferred sync.
    pub fn tick(&mut self, io: &mut Io<'_, Msg>) {
        io.set_timer(TICK_TIMER, self.every);
        if !self.hardened() {
            self.flush(io, EndCause::Lost);
        }
    }

    /// Primary asks what this volume holds.
    pub fn on_ask_inventory(&self, io: &mut Io<'_, Msg>) {
        self.report(io);
    }

    /// A device uploads a blob.
    pub fn on_put(
        &mut self,
        from: Addr,
        id: u64,
        bytes: Vec<u8>,
        of: (u32, u32, VersionId),
        io: &mut Io<'_, Msg>,
    ) {
        let have = self.blobs.get(&id).is_some_and(|s| s.intact);
        if !have {
            if !blob::intact(id, &bytes) {
                return;
            }
            let Ok(at) = self.log().put_blob(id, &bytes, of) else {
                return;
            };
            let len = bytes.len() as u32;
            self.blobs
                .insert(id, Stored::new(at, len, of, io.now(), true));
            if self.hardened() && !self.flush(io, EndCause::Lost) {
                return;
            }
            let note = self.inventory(false, std::iter::once(id));
            io.send(self.topology.primary(), note);
        }
        let volume = self.number;
        io.send(from, Msg::BlobStored { id, volume });
        if !self.hardened() {
            // Naive: the answer went first; the sync follows.
            self.flush(io, EndCause::Lost);
        }
    }

    /// The primary committed rows: the blobs it holds of them now back
    /// those versions (newer only).
    pub fn on_backs(&mut self, rows: Vec<(u64, (u32, u32, VersionId))>, io: &mut Io<'_, Msg>) {
        let mut moved = false;
        for (id, of) in rows {
            let Some(s) = self.blobs.get(&id).copied() else {
                continue;
            };
            if of.2 <= s.of.2 {
                continue;
            }
            let e = Entry::Blob {
                id,
                len: s.len,
                at: s.at,
                of,
            };
            if self.log().append(&e).is_ok() {
                self.blobs.insert(id, Stored { of, ..s });
                moved = true;
            }
        }
        if moved && self.hardened() {
            self.flush(io, EndCause::Lost);
        }
    }

    /// A device asks for a blob: its bytes as read now (hardened: only if
    /// they verify).
    pub fn on_get(&mut self, from: Addr, id: u64, io: &mut Io<'_, Msg>) {
        let Some(s) = self.blobs.get(&id).copied() else {
            return;
        };
        let Some(bytes) = self.log().read_blob(s.at, s.len) else {
            return;
        };
        if self.hardened() && !blob::intact(id, &bytes) {
            return;
        }
        io.send(
            from,
            Msg::BlobData {
                id,
                bytes,
                of: s.of,
            },
        );
    }

    /// Incident: garbage collection starts; it asks the primary which
    /// blobs are referenced.
    pub fn start_gc(&mut self, io: &mut Io<'_, Msg>) {
        io.trace(PhotoEvent::GcStarted, fields!["blobs" => self.blobs.len()]);
        io.send(self.topology.primary(), Msg::AskRefs);
    }

    /// The primary's references: delete every other blob (hardened: only
    /// those stored more than [`GRACE`] ago), and tell the primary.
    pub fn on_refs(&mut self, refs: Vec<u64>, io: &mut Io<'_, Msg>) {
        let now = io.now();
        let hardened = self.hardened();
        let doomed = self.drop_where(io, |id, s| {
            refs.binary_search(&id).is_err() && (!hardened || now.since(s.since) >= GRACE)
        });
        io.trace(PhotoEvent::GcDeleted, fields!["blobs" => doomed.len()]);
        self.flush(io, EndCause::Wiped);
        let volume = self.number;
        io.send(
            self.topology.primary(),
            Msg::Dropped {
                volume,
                blobs: doomed,
            },
        );
    }

    /// Deletes every blob `doomed` picks, unsynced; returns them.
    fn drop_where(&mut self, io: &Io<'_, Msg>, doomed: impl Fn(u64, &Stored) -> bool) -> Vec<u64> {
        let ids: Vec<u64> = self
            .blobs
            .iter()
            .filter(|(id, s)| doomed(**id, s))
            .map(|(id, _)| *id)
            .collect();
        let mut out = Vec::new();
        for id in ids {
            if self.log().append(&Entry::Unblob { id }).is_ok() {
                self.blobs.remove(&id);
                out.push(id);
            }
        }
        if !out.is_empty() {
            io.trace(PhotoEvent::BlobsDropped, fields!["blobs" => out.len()]);
        }
        out
    }

    /// Incident: the volume's disk is lost and replaced by a blank one.
    pub fn lose(&mut self, io: &mut Io<'_, Msg>) {
        io.trace(PhotoEvent::VolumeLost, fields!["blobs" => self.blobs.len()]);
        self.log().wipe();
        self.blobs.clear();
        self.flush(io, EndCause::DeviceLost);
        self.report(io);
    }
}

impl copies::Logged for Volume {
    fn store(&self) -> String {
        self.name().to_string()
    }

    fn log(&mut self) -> &mut Log {
        Log::opened(&mut self.log, &self.disk)
    }

    fn reload(&mut self, entries: Vec<Entry>, now: SimTime) {
        self.blobs.clear();
        for e in entries {
            match e {
                Entry::Blob { id, len, at, of } => {
                    self.blobs.insert(id, Stored::new(at, len, of, now, false));
                }
                Entry::Unblob { id } => {
                    self.blobs.remove(&id);
                }
                _ => {}
            }
        }
        let log = self.log.as_ref().expect("opened");
        for (id, s) in self.blobs.iter_mut() {
            s.intact = log.blob_intact(*id, s.at, s.len);
        }
    }

    fn holding(&self) -> Held {
        self.blobs
            .values()
            .filter(|s| s.intact)
            .map(|s| (record(s.of.0, s.of.1), s.of.2))
            .collect()
    }

    fn held(&mut self) -> &mut Held {
        &mut self.held
    }
}
