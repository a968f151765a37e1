//! Helpers shared by the models' state-machine tests: drive one machine step
//! at a time, without madsim, and read what it produced.
#![allow(dead_code)]

use models::msg::{Msg, SyncResult};
use models::record::{RecordId, RecordKind, Row, VersionId};
use sim::buggify::Buggify;
use sim::disk::{Disk, DiskConfig};
use sim::host::{disk_handle, lock_disk, Addr, DiskHandle, Io, Outputs};
use sim::ledger::LedgerHandle;
use sim::lineage::Lineage;
use sim::time::SimTime;
use sim::trace::{Event, Kind, Tracer};
use std::time::Duration;

/// The addresses the world gives the nodes.
pub const SERVER: Addr = Addr(0);
pub const PRIMARY: Addr = Addr(1);
pub const BACKUP: Addr = Addr(2);
pub const OPERATOR: Addr = Addr(3);
pub const HANDSET_0: Addr = Addr(4);

/// A clock, a trace, a copy lineage and a ledger to make `Io`s from.
pub struct Env {
    pub tracer: Tracer,
    pub lineage: Lineage,
    pub ledger: LedgerHandle,
    pub now: SimTime,
}

impl Env {
    pub fn new() -> Self {
        let tracer = Tracer::new();
        let lineage = Lineage::new(tracer.clone());
        Env {
            tracer,
            lineage,
            ledger: LedgerHandle::new(),
            now: SimTime::ZERO,
        }
    }

    /// Runs one step of node `node` (at `me`) now; returns what `f` returned
    /// and what the step produced.
    pub fn step<R>(
        &self,
        node: &str,
        me: Addr,
        f: impl FnOnce(&mut Io<'_, Msg>) -> R,
    ) -> (R, Outputs<Msg>) {
        self.step_with(node, me, None, f)
    }

    /// [`Env::step`] with `buggify` answering the machine's rare-path sites.
    pub fn step_buggified<R>(
        &self,
        node: &str,
        me: Addr,
        buggify: &Buggify,
        f: impl FnOnce(&mut Io<'_, Msg>) -> R,
    ) -> (R, Outputs<Msg>) {
        self.step_with(node, me, Some(buggify), f)
    }

    fn step_with<R>(
        &self,
        node: &str,
        me: Addr,
        buggify: Option<&Buggify>,
        f: impl FnOnce(&mut Io<'_, Msg>) -> R,
    ) -> (R, Outputs<Msg>) {
        let io = Io::new(
            self.now,
            node,
            me,
            &self.tracer,
            &self.lineage,
            &self.ledger,
        );
        let mut io = match buggify {
            Some(b) => io.with_buggify(b),
            None => io,
        };
        let r = f(&mut io);
        (r, io.into_outputs())
    }

    /// Moves the clock on.
    pub fn advance(&mut self, d: Duration) {
        self.now = self.now.after(d);
    }

    /// Every trace event of `kind` so far.
    pub fn events(&self, kind: impl Into<Kind>) -> Vec<Event> {
        let kind = kind.into();
        self.tracer
            .snapshot()
            .events()
            .iter()
            .filter(|e| e.kind == kind)
            .cloned()
            .collect()
    }

    /// The one trace event of `kind`; panics if there is none or several.
    pub fn event(&self, kind: impl Into<Kind>) -> Event {
        let kind = kind.into();
        let mut all = self.events(kind);
        assert_eq!(all.len(), 1, "expected one {kind} event, got {all:?}");
        all.remove(0)
    }
}

/// A small blank disk.
pub fn blank_disk() -> DiskHandle {
    disk_handle(Disk::new(DiskConfig {
        sector_size: 512,
        sectors: 1 << 16,
    }))
}

/// Writes not yet durable on `disk`.
pub fn unsynced(disk: &DiskHandle) -> usize {
    lock_disk(disk).unsynced_writes()
}

/// Record `n` (a contact) of `owner`.
pub fn rec(owner: u32, n: u32) -> RecordId {
    RecordId {
        owner,
        kind: RecordKind::Contact,
        n,
    }
}

/// Version `seq` by writer `writer`.
pub fn ver(writer: u32, seq: u32) -> VersionId {
    VersionId { writer, seq }
}

/// The row of `record`'s version `seq`, written by its owner.
pub fn row(record: RecordId, seq: u32) -> Row {
    Row::new(record, ver(record.owner, seq), None)
}

/// A copy of `row` whose content no longer matches its checksum.
pub fn corrupt(row: &Row) -> Row {
    let mut bad = row.clone();
    bad.content[0] ^= 0x40;
    bad
}

/// (record, version) of a row.
pub fn id(row: &Row) -> (RecordId, VersionId) {
    (row.record, row.version)
}

/// (record, version) of each row.
pub fn ids(rows: &[Row]) -> Vec<(RecordId, VersionId)> {
    rows.iter().map(|r| (r.record, r.version)).collect()
}

/// A successful sync result.
pub fn ok(
    epoch: u64,
    cursor: u64,
    committed: Vec<(RecordId, VersionId)>,
    rows: Vec<Row>,
    full: bool,
) -> SyncResult {
    SyncResult::Ok {
        epoch,
        cursor,
        committed,
        rows,
        full,
    }
}

/// The only message a step sent; panics otherwise.
pub fn only_send(out: &Outputs<Msg>) -> (Addr, Msg) {
    assert_eq!(out.sends.len(), 1, "expected one send, got {:?}", out.sends);
    out.sends[0].clone()
}

/// Whether the step (re)armed timer `key` to fire at `at`.
pub fn sets_timer(out: &Outputs<Msg>, key: u64, at: SimTime) -> bool {
    out.timers.contains(&(key, Some(at)))
}
