//! A crash-faithful simulated block device.
//!
//! A [`Disk`] is an array of fixed-size sectors. It is sparse: it stores only
//! the sectors that were written, each as the bytes that were written (zeros
//! are implied after them), so its memory is proportional to the bytes
//! written, never to the size of the device. It reads no clock and no OS
//! randomness; every random choice it makes comes from a seed passed in.
//!
//! # Model
//!
//! Each sector has a *durable* content (what survives power loss) and may
//! have *cached* content above it (what reads see). A [`Disk::write`] is
//! visible to reads at once but becomes durable only at the next successful
//! [`Disk::sync`], or [`Disk::sync_range`] over its sectors (a file system's
//! `fsync` of one file). Every sector is written atomically: a sector is never half
//! old and half new. One call to `write` is one *write*, whatever number of
//! sectors it spans.
//!
//! # Fault contract
//!
//! Without a fault, the device never loses, reorders or changes a write that
//! a successful `sync` covered, never returns bytes that were not written
//! (or zeros for a sector never written), and never fails an in-range I/O.
//! Out-of-range I/O fails with [`DiskError::OutOfRange`]; nothing panics on
//! the I/O paths.
//!
//! - **Power loss** ([`Disk::crash`]). With [`CrashMode::DropUnsynced`] every
//!   unsynced write is dropped and every sector holds its last durable
//!   content. With [`CrashMode::Tear`] each unsynced write independently
//!   keeps a prefix of its sectors (from none to all, drawn from the seed in
//!   write order) and loses the rest; the kept prefixes are applied in write
//!   order. Synced writes are never touched. The device is unfenced.
//! - **Fence** ([`Disk::fence`]). Every read, write, sync and shutdown fails
//!   with [`DiskError::Fenced`] and changes nothing, until `crash`,
//!   `unfence` or `replace_blank`. It is how a node that lost power (or
//!   whose process crashed) is kept from running clean-up writes.
//! - **Clean shutdown** ([`Disk::shutdown`]). A sync, then power off: the
//!   cache is emptied, so afterwards reads see exactly the durable contents.
//! - **Device loss** ([`Disk::replace_blank`], [`DiskFault::DeviceLoss`]).
//!   Every sector, durable or not, is gone; every fault state is cleared.
//! - **Storage faults** ([`DiskFault`], applied by [`Disk::inject`]). Each
//!   does exactly what its variant's documentation says and nothing else;
//!   [`FAULT_TABLE`] lists them. A fault that is *armed* waits for the
//!   operation it corrupts; armed faults survive crashes and are cleared only
//!   by device loss. When an armed fault fires, or a crash drops or tears
//!   writes, the device queues a [`FaultEffect`] that the caller drains with
//!   [`Disk::take_effects`] and writes to the trace.
//!
//! A fault never corrupts a sector other than the ones it names in its
//! effect, never makes a synced write of another sector disappear, and never
//! makes the device lie about anything its documentation does not say it
//! lies about.

use crate::rng::from_seed;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

mod crash;
mod fault;
mod read;
#[cfg(test)]
mod tests;
mod write;

pub use crash::{CrashMode, CrashReport, CrashedWrite};
pub use fault::{DiskFault, FaultEffect, FAULT_TABLE};

/// The shape of a device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiskConfig {
    /// Bytes per sector: a power of two, at least 512. Default 4096.
    pub sector_size: usize,
    /// Number of sectors: at least 1. Default 2^20 (4 GiB at 4 KiB sectors).
    /// Costs nothing until written.
    pub sectors: u64,
}

impl Default for DiskConfig {
    fn default() -> Self {
        DiskConfig {
            sector_size: 4096,
            sectors: 1 << 20,
        }
    }
}

impl DiskConfig {
    /// Checks the shape: `sector_size` a power of two of at least 512 bytes,
    /// at least one sector. Returns what is wrong otherwise.
    pub fn validate(&self) -> Result<(), String> {
        if self.sector_size < 512 || !self.sector_size.is_power_of_two() {
            return Err(format!(
                "disk sector_size must be a power of two of at least 512 bytes, not {}",
                self.sector_size
            ));
        }
        if self.sectors == 0 {
            return Err("disk sectors must be at least 1".to_string());
        }
        Ok(())
    }
}

/// Why an I/O failed. A failed I/O changes nothing on the device (except
/// [`DiskError::SyncFailed`], which drops every unsynced write).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DiskError {
    /// The device is fenced because its node lost power; no I/O until the
    /// crash is applied or the device is replaced.
    #[error("device is fenced (its node lost power)")]
    Fenced,
    /// The sectors `sector..sector + count` are not all on the device.
    #[error("sectors {sector}..+{count} lie outside the device")]
    OutOfRange {
        /// The first sector asked for.
        sector: u64,
        /// How many sectors were asked for.
        count: u64,
    },
    /// A read covered a sector with a latent sector error.
    #[error("sector {sector} is unreadable (latent sector error)")]
    Unreadable {
        /// The first unreadable sector of the read.
        sector: u64,
    },
    /// The device is full: the write needed sectors never written before.
    #[error("no space left on the device")]
    NoSpace,
    /// The sync failed; every unsynced write was dropped.
    #[error("sync failed: every unsynced write was dropped")]
    SyncFailed,
}

/// Counts of the I/O that succeeded on this device, across replacements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiskStats {
    /// Writes that succeeded.
    pub writes: u64,
    /// Syncs that succeeded.
    pub syncs: u64,
    /// Reads that succeeded.
    pub reads: u64,
    /// Bytes passed to writes that succeeded.
    pub bytes_written: u64,
}

/// One sector of an unsynced write.
#[derive(Clone)]
struct PendingSector {
    sector: u64,
    data: Box<[u8]>,
}

/// One unsynced write: sectors `pending[first..first + count]`, which are
/// `sector..sector + count`.
#[derive(Clone, Copy)]
struct PendingWrite {
    first: usize,
    sector: u64,
    count: u64,
}

#[derive(Clone, Copy, Default)]
struct Armed {
    lost_write: bool,
    sync_failure: bool,
    misdirect: Option<i64>,
}

// History operation tags.
const OP_NEW: u8 = 0;
const OP_WRITE: u8 = 1;
const OP_SYNC: u8 = 2;
const OP_CRASH: u8 = 3;
const OP_SHUTDOWN: u8 = 4;
const OP_FENCE: u8 = 5;
const OP_REPLACE: u8 = 6;
const OP_INJECT: u8 = 7;
const OP_SYNC_RANGE: u8 = 8;
const OP_UNFENCE: u8 = 9;

/// A simulated block device. See the [module documentation](self) for what
/// it promises under each fault.
#[derive(Clone)]
pub struct Disk {
    config: DiskConfig,
    /// Durable contents of every sector that has any.
    durable: BTreeMap<u64, Box<[u8]>>,
    /// Sectors of unsynced writes, in write order.
    pending: Vec<PendingSector>,
    /// Unsynced writes, in write order.
    writes: Vec<PendingWrite>,
    /// For each sector with unsynced data, the index in `pending` of its latest copy.
    overlay: BTreeMap<u64, usize>,
    /// Cached copies of a lost write: seen by reads, not durable.
    lost: BTreeMap<u64, Box<[u8]>>,
    /// Sectors with a latent sector error.
    latent: BTreeSet<u64>,
    armed: Armed,
    /// New sectors that may still be written, under a disk-full fault.
    space_left: Option<u64>,
    fenced: bool,
    effects: Vec<FaultEffect>,
    history: u64,
    stats: DiskStats,
    reads: Cell<u64>,
}

impl fmt::Debug for Disk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Disk")
            .field("config", &self.config)
            .field("durable_sectors", &self.durable.len())
            .field("unsynced_writes", &self.writes.len())
            .field("fenced", &self.fenced)
            .field("history", &format_args!("{:016x}", self.history))
            .finish_non_exhaustive()
    }
}

/// Where a read of one sector is served from.
enum Source<'a> {
    /// A cached copy (an unsynced write, or a lost write).
    Cache(&'a [u8]),
    /// The medium: durable contents, or zeros if there are none.
    Medium(&'a [u8]),
}

fn error_code(r: &Result<(), DiskError>) -> u64 {
    match r {
        Ok(()) => 0,
        Err(DiskError::Fenced) => 1,
        Err(DiskError::OutOfRange { .. }) => 2,
        Err(DiskError::Unreadable { .. }) => 3,
        Err(DiskError::NoSpace) => 4,
        Err(DiskError::SyncFailed) => 5,
    }
}

impl Disk {
    /// A blank, unfenced device of shape `config`: every sector reads as
    /// zeros.
    ///
    /// # Panics
    ///
    /// If `config` does not pass [`DiskConfig::validate`].
    pub fn new(config: DiskConfig) -> Self {
        if let Err(e) = config.validate() {
            panic!("invalid disk config: {e}");
        }
        let mut disk = Disk {
            durable: BTreeMap::new(),
            pending: Vec::new(),
            writes: Vec::new(),
            overlay: BTreeMap::new(),
            lost: BTreeMap::new(),
            latent: BTreeSet::new(),
            armed: Armed::default(),
            space_left: None,
            fenced: false,
            effects: Vec::new(),
            history: 0,
            stats: DiskStats::default(),
            reads: Cell::new(0),
            config,
        };
        disk.record(
            OP_NEW,
            disk.config.sector_size as u64,
            disk.config.sectors,
            0,
        );
        disk
    }

    /// The device's shape.
    pub fn config(&self) -> &DiskConfig {
        &self.config
    }

    /// How many writes are not yet durable.
    pub fn unsynced_writes(&self) -> usize {
        self.writes.len()
    }

    /// Every sector that holds data, durable or cached, ascending.
    pub fn live_sectors(&self) -> Vec<u64> {
        let mut all: BTreeSet<u64> = self.durable.keys().copied().collect();
        all.extend(self.overlay.keys().copied());
        all.extend(self.lost.keys().copied());
        all.into_iter().collect()
    }

    /// A hash over every operation that changes or could change the device
    /// (creation, write with its data, sync, crash with its draws, shutdown,
    /// fence, replacement, fault injection with its effect) and its result,
    /// in order. Reads are not included, so inspecting a device never
    /// changes it. The same operations on the same seeds give the same hash.
    pub fn history_hash(&self) -> u64 {
        self.history
    }

    /// A hash of the device's bytes now, and of nothing else: for every
    /// sector that holds data, in order, its number, what a read of it sees
    /// (unsynced writes included; a latent error or a fence does not hide
    /// it) and its durable contents. Two devices that hash alike hold the
    /// same bytes and would keep the same bytes at a power loss that drops
    /// every unsynced write; how they got there ([`Disk::history_hash`]) may
    /// differ. Reads nothing through the device, so it counts no read.
    pub fn contents_hash(&self) -> u64 {
        let mut h = 0;
        for s in self.live_sectors() {
            let seen = match self.source(s) {
                Source::Cache(d) | Source::Medium(d) => d,
            };
            let durable = self.durable.get(&s).map_or(&[][..], |d| d);
            h = xxh3_64_with_seed(&s.to_le_bytes(), h);
            h = xxh3_64_with_seed(seen, h);
            h = xxh3_64_with_seed(durable, h);
        }
        h
    }

    /// Counts of the I/O that succeeded.
    pub fn stats(&self) -> DiskStats {
        DiskStats {
            reads: self.reads.get(),
            ..self.stats
        }
    }

    fn record(&mut self, op: u8, a: u64, b: u64, c: u64) {
        let mut buf = [0u8; 25];
        buf[0] = op;
        buf[1..9].copy_from_slice(&a.to_le_bytes());
        buf[9..17].copy_from_slice(&b.to_le_bytes());
        buf[17..25].copy_from_slice(&c.to_le_bytes());
        self.history = xxh3_64_with_seed(&buf, self.history);
    }
}
