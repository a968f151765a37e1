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

/// How power is lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CrashMode {
    /// Every unsynced write is dropped whole.
    DropUnsynced,
    /// Each unsynced write keeps a prefix of its sectors (0 to all of them,
    /// uniformly, drawn from `seed` in write order) and loses the rest.
    Tear {
        /// The seed of the draws.
        seed: u64,
    },
}

/// What a crash did to one unsynced write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CrashedWrite {
    /// The first sector the write landed on.
    pub sector: u64,
    /// How many sectors it spanned.
    pub sectors: u64,
    /// How many of its leading sectors became durable (`0..=sectors`).
    pub kept: u64,
}

/// What a crash did: one entry per unsynced write, in write order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CrashReport {
    /// Every write that was unsynced at the crash, in write order.
    pub writes: Vec<CrashedWrite>,
    /// Sectors whose cached copy of a lost write (see
    /// [`DiskFault::LostWrite`]) was discarded, revealing the older durable
    /// contents. Ascending.
    pub lost_write_revealed: Vec<u64>,
}

impl CrashReport {
    /// How many writes kept none of their sectors.
    pub fn dropped_writes(&self) -> usize {
        self.writes.iter().filter(|w| w.kept == 0).count()
    }

    /// How many writes kept some but not all of their sectors.
    pub fn torn_writes(&self) -> usize {
        self.writes
            .iter()
            .filter(|w| w.kept > 0 && w.kept < w.sectors)
            .count()
    }

    /// Whether the crash changed what reads see.
    pub fn lost_anything(&self) -> bool {
        !self.lost_write_revealed.is_empty() || self.writes.iter().any(|w| w.kept < w.sectors)
    }
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

/// A storage fault, in the manner of TigerBeetle's simulated storage: each
/// variant is one named fault and its documentation states its exact effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DiskFault {
    /// Immediately flips 1 to 3 distinct bits (positions drawn from `seed`)
    /// within the written bytes of `sector`, in every stored copy of it:
    /// the durable one and any cached one. Reads succeed and return the
    /// wrong bytes; nothing reports it. No effect on a sector that holds no
    /// data, or out of range.
    BitRot {
        /// The sector to rot.
        sector: u64,
        /// The seed of the bit positions.
        seed: u64,
    },
    /// Immediately makes reads of `sector` fail with
    /// [`DiskError::Unreadable`] whenever they would be served from the
    /// medium (the durable contents). A read served from an unsynced write's
    /// cached copy succeeds. The error is cleared for good when a write to
    /// the sector becomes durable (a sync, or a crash that keeps it). No
    /// effect out of range.
    LatentSectorError {
        /// The sector that becomes unreadable.
        sector: u64,
    },
    /// Armed: the next sync that has unsynced writes reports success, but
    /// the most recent unsynced write is not persisted (every earlier one
    /// is). Its data stays in the cache, so reads keep seeing it, until the
    /// next crash or clean shutdown discards the cache and reveals the
    /// older durable contents. No effect if already armed.
    LostWrite,
    /// Armed: the next non-empty write that succeeds lands `offset` sectors away from
    /// its target (clamped so that it fits on the device) instead. Target
    /// sectors outside the landing range keep their old contents. The
    /// misdirected write is otherwise an ordinary unsynced write. If
    /// clamping brings it back onto its target it is an ordinary write. No
    /// effect if `offset` is 0 or one is already armed.
    MisdirectedWrite {
        /// Where the write lands, in sectors relative to its target.
        offset: i64,
    },
    /// Armed: the next sync that has unsynced writes fails with
    /// [`DiskError::SyncFailed`] and drops every unsynced write, from the
    /// cache too. Fires before an armed lost write. No effect if already
    /// armed.
    SyncFailure,
    /// From now on, a write fails with [`DiskError::NoSpace`] (and writes
    /// nothing) if it would bring the number of sectors written for the
    /// first time since this fault past `free_sectors`. A sector counts as
    /// new if it holds no data (durable or cached); the budget is not
    /// refunded when a crash drops a write. Overwrites of sectors that hold
    /// data always succeed. Injecting it again resets the budget; device
    /// loss clears it.
    DiskFull {
        /// How many new sectors may still be written.
        free_sectors: u64,
    },
    /// Immediately replaces the device with a blank one, as
    /// [`Disk::replace_blank`] does.
    DeviceLoss,
}

impl DiskFault {
    /// The stable kebab-case name of the fault (the trace's `fault_kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            DiskFault::BitRot { .. } => "bit-rot",
            DiskFault::LatentSectorError { .. } => "latent-sector-error",
            DiskFault::LostWrite => "lost-write",
            DiskFault::MisdirectedWrite { .. } => "misdirected-write",
            DiskFault::SyncFailure => "sync-failure",
            DiskFault::DiskFull { .. } => "disk-full",
            DiskFault::DeviceLoss => "device-loss",
        }
    }
}

/// Every [`DiskFault`]: its name (as [`DiskFault::kind`] gives it) and its
/// effect in one line.
pub const FAULT_TABLE: &[(&str, &str)] = &[
    (
        "bit-rot",
        "flips 1-3 bits in the written bytes of one sector, durable and cached copies; reads succeed with wrong bytes",
    ),
    (
        "latent-sector-error",
        "reads of one sector served from the medium fail Unreadable until a write to it becomes durable",
    ),
    (
        "lost-write",
        "armed: the next sync with unsynced writes succeeds but does not persist the latest write; the cache shows it until crash or shutdown",
    ),
    (
        "misdirected-write",
        "armed: the next write lands offset sectors away (clamped); its target keeps the old contents",
    ),
    (
        "sync-failure",
        "armed: the next sync with unsynced writes fails SyncFailed and drops every unsynced write",
    ),
    (
        "disk-full",
        "writes needing more than free_sectors never-written sectors fail NoSpace; overwrites succeed; cleared by device loss",
    ),
    (
        "device-loss",
        "the device is replaced with a blank one: every sector and fault state gone",
    ),
];

/// What a fault did, or did to the data, when it took effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultEffect {
    /// It had no effect.
    None,
    /// It changed the device now. `sectors` (ascending) are the sectors
    /// whose contents or readability it changed; it is empty for
    /// whole-device effects (`device-loss`) and for `sync-failure` with
    /// nothing to drop.
    ///
    /// Besides the [`DiskFault::kind`] names, crashes queue
    /// `unsynced-dropped` (sectors of unsynced writes that kept nothing) and
    /// `torn-write` (sectors cut from writes that kept a proper prefix).
    Applied {
        /// The fault's kind (or crash effect's name).
        kind: &'static str,
        /// The sectors concerned, ascending.
        sectors: Vec<u64>,
    },
    /// It is armed and waits for the operation it affects; its effect is
    /// queued for [`Disk::take_effects`] when it fires.
    Armed {
        /// The fault's kind.
        kind: &'static str,
    },
}

impl FaultEffect {
    /// The kind, unless it had no effect.
    pub fn kind(&self) -> Option<&'static str> {
        match self {
            FaultEffect::None => None,
            FaultEffect::Applied { kind, .. } | FaultEffect::Armed { kind } => Some(kind),
        }
    }

    /// Whether it had no effect.
    pub fn is_none(&self) -> bool {
        matches!(self, FaultEffect::None)
    }
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

    /// Writes `data` starting at `sector`. It spans `data.len()` divided by
    /// the sector size, rounded up, sectors; the tail of its last sector reads
    /// as zeros. Empty `data` writes nothing. The write is visible to reads at
    /// once and durable after the next successful [`Disk::sync`]; it is one
    /// write for tearing purposes. On error nothing is written.
    pub fn write(&mut self, sector: u64, data: &[u8]) -> Result<(), DiskError> {
        let r = self.write_inner(sector, data);
        let code = error_code(&r);
        self.record(OP_WRITE, sector, data.len() as u64, xxh3_64(data) ^ code);
        r
    }

    fn write_inner(&mut self, sector: u64, data: &[u8]) -> Result<(), DiskError> {
        if self.fenced {
            return Err(DiskError::Fenced);
        }
        let ss = self.config.sector_size;
        let count = data.len().div_ceil(ss) as u64;
        self.check_range(sector, count)?;
        if count == 0 {
            self.stats.writes += 1;
            return Ok(());
        }
        let land = match self.armed.misdirect {
            Some(offset) => {
                let max = i128::from(self.config.sectors - count);
                (i128::from(sector) + i128::from(offset)).clamp(0, max) as u64
            }
            None => sector,
        };
        if let Some(left) = self.space_left {
            let new = (land..land + count)
                .filter(|&s| !self.holds_data(s))
                .count() as u64;
            if new > left {
                self.effects.push(FaultEffect::Applied {
                    kind: "disk-full",
                    sectors: (land..land + count).collect(),
                });
                return Err(DiskError::NoSpace);
            }
            self.space_left = Some(left - new);
        }
        if self.armed.misdirect.take().is_some() && land != sector {
            let sectors: BTreeSet<u64> =
                (sector..sector + count).chain(land..land + count).collect();
            self.effects.push(FaultEffect::Applied {
                kind: "misdirected-write",
                sectors: sectors.into_iter().collect(),
            });
        }
        let first = self.pending.len();
        self.pending.reserve(count as usize);
        for (i, chunk) in data.chunks(ss).enumerate() {
            let s = land + i as u64;
            self.overlay.insert(s, first + i);
            self.pending.push(PendingSector {
                sector: s,
                data: chunk.into(),
            });
        }
        self.writes.push(PendingWrite {
            first,
            sector: land,
            count,
        });
        self.stats.writes += 1;
        self.stats.bytes_written += data.len() as u64;
        Ok(())
    }

    /// Reads `count` sectors from `sector`: `count * sector_size` bytes of
    /// what reads currently see (unsynced writes included). Sectors never
    /// written read as zeros.
    pub fn read(&self, sector: u64, count: u64) -> Result<Vec<u8>, DiskError> {
        let mut out = Vec::new();
        self.read_into(sector, count, &mut out)?;
        Ok(out)
    }

    /// As [`Disk::read`], but appends the bytes to `out`. On error `out` is
    /// left as it was.
    pub fn read_into(&self, sector: u64, count: u64, out: &mut Vec<u8>) -> Result<(), DiskError> {
        if self.fenced {
            return Err(DiskError::Fenced);
        }
        self.check_range(sector, count)?;
        let ss = self.config.sector_size;
        let bytes = usize::try_from(count)
            .ok()
            .and_then(|c| c.checked_mul(ss))
            .ok_or(DiskError::OutOfRange { sector, count })?;
        let start = out.len();
        out.reserve(bytes);
        for s in sector..sector + count {
            let data = match self.source(s) {
                Source::Cache(d) => d,
                Source::Medium(d) => {
                    if !self.latent.is_empty() && self.latent.contains(&s) {
                        out.truncate(start);
                        return Err(DiskError::Unreadable { sector: s });
                    }
                    d
                }
            };
            out.extend_from_slice(data);
            out.resize(out.len() + (ss - data.len()), 0);
        }
        self.reads.set(self.reads.get() + 1);
        Ok(())
    }

    /// Whether a read of `sector` would succeed and see only zeros because
    /// the sector holds no data at all (never written, or every write of it
    /// dropped) and no latent error: then it counts as a read, as
    /// [`Disk::read`] of it would, and is `true`. `false` says nothing
    /// either way (read it to know), and counts nothing. Errors as a read.
    pub fn reads_unwritten(&self, sector: u64) -> Result<bool, DiskError> {
        if self.fenced {
            return Err(DiskError::Fenced);
        }
        self.check_range(sector, 1)?;
        let unwritten = !self.holds_data(sector) && !self.latent.contains(&sector);
        if unwritten {
            self.reads.set(self.reads.get() + 1);
        }
        Ok(unwritten)
    }

    fn source(&self, s: u64) -> Source<'_> {
        if let Some(&i) = self.overlay.get(&s) {
            return Source::Cache(&self.pending[i].data);
        }
        if let Some(d) = self.lost.get(&s) {
            return Source::Cache(d);
        }
        Source::Medium(self.durable.get(&s).map_or(&[], |d| d))
    }

    fn holds_data(&self, s: u64) -> bool {
        self.overlay.contains_key(&s) || self.lost.contains_key(&s) || self.durable.contains_key(&s)
    }

    fn check_range(&self, sector: u64, count: u64) -> Result<(), DiskError> {
        match sector.checked_add(count) {
            Some(end) if end <= self.config.sectors => Ok(()),
            _ => Err(DiskError::OutOfRange { sector, count }),
        }
    }

    /// Makes every unsynced write durable, in write order. A sync with no
    /// unsynced writes succeeds and leaves armed faults armed. See
    /// [`DiskFault::SyncFailure`] and [`DiskFault::LostWrite`] for how it
    /// can fail or lie.
    pub fn sync(&mut self) -> Result<(), DiskError> {
        let r = self.sync_inner();
        self.record(OP_SYNC, error_code(&r), 0, 0);
        r
    }

    fn sync_inner(&mut self) -> Result<(), DiskError> {
        if self.fenced {
            return Err(DiskError::Fenced);
        }
        if self.writes.is_empty() {
            self.stats.syncs += 1;
            return Ok(());
        }
        if self.armed.sync_failure {
            self.armed.sync_failure = false;
            let sectors: Vec<u64> = self.overlay.keys().copied().collect();
            self.pending.clear();
            self.writes.clear();
            self.overlay.clear();
            self.effects.push(FaultEffect::Applied {
                kind: "sync-failure",
                sectors,
            });
            return Err(DiskError::SyncFailed);
        }
        let lost = if self.armed.lost_write {
            self.armed.lost_write = false;
            let w = self.writes.pop().expect("an unsynced write");
            Some((w, self.pending.split_off(w.first)))
        } else {
            None
        };
        for p in self.pending.drain(..) {
            if !self.lost.is_empty() {
                self.lost.remove(&p.sector);
            }
            if !self.latent.is_empty() {
                self.latent.remove(&p.sector);
            }
            self.durable.insert(p.sector, p.data);
        }
        self.writes.clear();
        self.overlay.clear();
        if let Some((w, sectors)) = lost {
            for p in sectors {
                self.lost.insert(p.sector, p.data);
            }
            self.effects.push(FaultEffect::Applied {
                kind: "lost-write",
                sectors: (w.sector..w.sector + w.count).collect(),
            });
        }
        self.stats.syncs += 1;
        Ok(())
    }

    /// Makes durable, in write order, exactly the unsynced sectors in
    /// `first..first + count`, as a file system's `fsync` of one file does;
    /// unsynced sectors outside the range stay unsynced. A write that
    /// straddles the range is split: its sectors outside the range stay
    /// unsynced, as one write per contiguous run, for tearing purposes. A
    /// range with no unsynced sector succeeds and leaves armed faults armed.
    /// Armed faults fire as for [`Disk::sync`], restricted to the range: a
    /// sync failure drops the range's unsynced sectors only, and a lost
    /// write loses the most recent unsynced write (or part of one) in the
    /// range. Out-of-range ranges fail with [`DiskError::OutOfRange`].
    pub fn sync_range(&mut self, first: u64, count: u64) -> Result<(), DiskError> {
        let r = self.sync_range_inner(first, count);
        self.record(OP_SYNC_RANGE, first, count, error_code(&r));
        r
    }

    fn sync_range_inner(&mut self, first: u64, count: u64) -> Result<(), DiskError> {
        if self.fenced {
            return Err(DiskError::Fenced);
        }
        self.check_range(first, count)?;
        let end = first + count;
        let inside = |s: u64| s >= first && s < end;
        if !self.overlay.keys().any(|&s| inside(s)) {
            self.stats.syncs += 1;
            return Ok(());
        }
        // Split every unsynced write into runs inside and outside the range.
        let mut kept_pending = Vec::with_capacity(self.pending.len());
        let mut kept_writes = Vec::with_capacity(self.writes.len());
        let mut synced: Vec<Vec<PendingSector>> = Vec::new();
        let mut sectors = std::mem::take(&mut self.pending).into_iter();
        for w in std::mem::take(&mut self.writes) {
            let mut run: Vec<PendingSector> = Vec::new();
            let mut run_inside = None;
            for _ in 0..w.count {
                let p = sectors.next().expect("pending sectors match writes");
                let is_in = inside(p.sector);
                if run_inside.is_some_and(|r| r != is_in) {
                    let done = std::mem::take(&mut run);
                    push_run(
                        done,
                        run_inside == Some(true),
                        &mut synced,
                        &mut kept_pending,
                        &mut kept_writes,
                    );
                }
                run_inside = Some(is_in);
                run.push(p);
            }
            push_run(
                run,
                run_inside == Some(true),
                &mut synced,
                &mut kept_pending,
                &mut kept_writes,
            );
        }
        self.pending = kept_pending;
        self.writes = kept_writes;
        self.overlay.clear();
        for (i, p) in self.pending.iter().enumerate() {
            self.overlay.insert(p.sector, i);
        }
        if self.armed.sync_failure {
            self.armed.sync_failure = false;
            let dropped: BTreeSet<u64> = synced.iter().flatten().map(|p| p.sector).collect();
            self.effects.push(FaultEffect::Applied {
                kind: "sync-failure",
                sectors: dropped.into_iter().collect(),
            });
            return Err(DiskError::SyncFailed);
        }
        let lost = if self.armed.lost_write {
            self.armed.lost_write = false;
            synced.pop()
        } else {
            None
        };
        for p in synced.into_iter().flatten() {
            if !self.lost.is_empty() {
                self.lost.remove(&p.sector);
            }
            if !self.latent.is_empty() {
                self.latent.remove(&p.sector);
            }
            self.durable.insert(p.sector, p.data);
        }
        if let Some(run) = lost {
            let sectors: BTreeSet<u64> = run.iter().map(|p| p.sector).collect();
            for p in run {
                self.lost.insert(p.sector, p.data);
            }
            self.effects.push(FaultEffect::Applied {
                kind: "lost-write",
                sectors: sectors.into_iter().collect(),
            });
        }
        self.stats.syncs += 1;
        Ok(())
    }

    /// Fences the device: every later read, write, sync and shutdown fails
    /// with [`DiskError::Fenced`] and changes nothing, until [`Disk::crash`],
    /// [`Disk::unfence`] or [`Disk::replace_blank`]. Faults can still be
    /// injected.
    pub fn fence(&mut self) {
        self.fenced = true;
        self.record(OP_FENCE, 0, 0, 0);
    }

    /// Lifts a fence and touches nothing else: every write, synced or not,
    /// stays as it was, and reads see the cached contents again. It is how
    /// a node whose process crashed (the device kept power, and the
    /// operating system still holds what the process wrote) gets its disk
    /// back once its machine is gone.
    pub fn unfence(&mut self) {
        self.fenced = false;
        self.record(OP_UNFENCE, 0, 0, 0);
    }

    /// Whether the device is fenced.
    pub fn is_fenced(&self) -> bool {
        self.fenced
    }

    /// Power loss (works on a fenced device, and unfences it). Unsynced
    /// writes are dropped, or torn as `mode` says (see [`CrashMode`]); the
    /// kept sectors become durable in write order. The cache is emptied, so
    /// afterwards reads see exactly the durable contents. Synced data is
    /// never touched. Armed faults stay armed. Queues an `unsynced-dropped`
    /// and a `torn-write` effect when there were such writes.
    pub fn crash(&mut self, mode: CrashMode) -> CrashReport {
        self.fenced = false;
        let mut rng = match mode {
            CrashMode::DropUnsynced => None,
            CrashMode::Tear { seed } => Some(from_seed(seed)),
        };
        let mut report = CrashReport {
            writes: Vec::with_capacity(self.writes.len()),
            lost_write_revealed: self.lost.keys().copied().collect(),
        };
        for w in &self.writes {
            let kept = rng.as_mut().map_or(0, |r| r.random_range(0..=w.count));
            report.writes.push(CrashedWrite {
                sector: w.sector,
                sectors: w.count,
                kept,
            });
        }
        self.lost.clear();
        let mut dropped = BTreeSet::new();
        let mut torn = BTreeSet::new();
        let mut sectors = self.pending.drain(..);
        for w in &report.writes {
            for i in 0..w.sectors {
                let p = sectors.next().expect("pending sectors match writes");
                if i < w.kept {
                    if !self.latent.is_empty() {
                        self.latent.remove(&p.sector);
                    }
                    self.durable.insert(p.sector, p.data);
                } else if w.kept == 0 {
                    dropped.insert(p.sector);
                } else {
                    torn.insert(p.sector);
                }
            }
        }
        drop(sectors);
        self.writes.clear();
        self.overlay.clear();
        if !dropped.is_empty() {
            self.effects.push(FaultEffect::Applied {
                kind: "unsynced-dropped",
                sectors: dropped.into_iter().collect(),
            });
        }
        if !torn.is_empty() {
            self.effects.push(FaultEffect::Applied {
                kind: "torn-write",
                sectors: torn.into_iter().collect(),
            });
        }
        let (tag, seed) = match mode {
            CrashMode::DropUnsynced => (0, 0),
            CrashMode::Tear { seed } => (1, seed),
        };
        let mut kept = 0u64;
        for w in &report.writes {
            kept = xxh3_64_with_seed(&w.kept.to_le_bytes(), kept);
        }
        self.record(OP_CRASH, tag, seed, kept);
        report
    }

    /// Clean shutdown: a [`Disk::sync`], then power off, which empties the
    /// cache (so a lost write's cached copy is gone). Fails with
    /// [`DiskError::Fenced`], changing nothing, if fenced; otherwise returns
    /// the sync's result, and no unsynced write remains either way.
    pub fn shutdown(&mut self) -> Result<(), DiskError> {
        if self.fenced {
            self.record(OP_SHUTDOWN, 1, 0, 0);
            return Err(DiskError::Fenced);
        }
        let r = self.sync();
        self.lost.clear();
        self.record(OP_SHUTDOWN, error_code(&r), 0, 0);
        r
    }

    /// Whole-device loss: the device becomes a blank one of the same shape.
    /// Every sector (durable or not), latent error, armed fault and
    /// disk-full budget is gone, and it is unfenced. Statistics, history and
    /// effects not yet taken are kept: they describe the slot, not the
    /// medium.
    pub fn replace_blank(&mut self) {
        self.durable.clear();
        self.pending.clear();
        self.writes.clear();
        self.overlay.clear();
        self.lost.clear();
        self.latent.clear();
        self.armed = Armed::default();
        self.space_left = None;
        self.fenced = false;
        self.record(OP_REPLACE, 0, 0, 0);
    }

    /// Whether no sector holds data, durable or cached: the device was never
    /// written, or was replaced and not written since.
    pub fn is_blank(&self) -> bool {
        self.durable.is_empty() && self.writes.is_empty() && self.lost.is_empty()
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

    /// Effects queued since the last call, in order: armed faults firing,
    /// writes refused by `disk-full`, writes dropped or torn by crashes.
    /// (What `inject` does at once is its return value, and is not queued.)
    pub fn take_effects(&mut self) -> Vec<FaultEffect> {
        std::mem::take(&mut self.effects)
    }

    /// Applies `fault` as its documentation says and returns what took
    /// effect now: [`FaultEffect::Applied`], [`FaultEffect::Armed`], or
    /// [`FaultEffect::None`] if it had no effect.
    pub fn inject(&mut self, fault: DiskFault) -> FaultEffect {
        let effect = match fault {
            DiskFault::BitRot { sector, seed } => self.rot(sector, seed),
            DiskFault::LatentSectorError { sector } => {
                if sector < self.config.sectors && self.latent.insert(sector) {
                    FaultEffect::Applied {
                        kind: fault.kind(),
                        sectors: vec![sector],
                    }
                } else {
                    FaultEffect::None
                }
            }
            DiskFault::LostWrite => arm(&mut self.armed.lost_write, fault.kind()),
            DiskFault::SyncFailure => arm(&mut self.armed.sync_failure, fault.kind()),
            DiskFault::MisdirectedWrite { offset } => {
                if offset == 0 || self.armed.misdirect.is_some() {
                    FaultEffect::None
                } else {
                    self.armed.misdirect = Some(offset);
                    FaultEffect::Armed { kind: fault.kind() }
                }
            }
            DiskFault::DiskFull { free_sectors } => {
                self.space_left = Some(free_sectors);
                FaultEffect::Armed { kind: fault.kind() }
            }
            DiskFault::DeviceLoss => {
                self.replace_blank();
                FaultEffect::Applied {
                    kind: fault.kind(),
                    sectors: Vec::new(),
                }
            }
        };
        let (a, b) = match fault {
            DiskFault::BitRot { sector, seed } => (sector, seed),
            DiskFault::LatentSectorError { sector } => (sector, 0),
            DiskFault::MisdirectedWrite { offset } => (offset as u64, 0),
            DiskFault::DiskFull { free_sectors } => (free_sectors, 0),
            DiskFault::LostWrite | DiskFault::SyncFailure | DiskFault::DeviceLoss => (0, 0),
        };
        let mut c = xxh3_64(fault.kind().as_bytes());
        match &effect {
            FaultEffect::None => {}
            FaultEffect::Armed { .. } => c = xxh3_64_with_seed(b"armed", c),
            FaultEffect::Applied { sectors, .. } => {
                for s in sectors {
                    c = xxh3_64_with_seed(&s.to_le_bytes(), c);
                }
            }
        }
        self.record(OP_INJECT, a, b, c);
        effect
    }

    /// Flips 1 to 3 distinct bits within the written bytes of every stored
    /// copy of `sector`.
    fn rot(&mut self, sector: u64, seed: u64) -> FaultEffect {
        let mut copies: Vec<&mut Box<[u8]>> = Vec::new();
        if let Some(d) = self.durable.get_mut(&sector) {
            copies.push(d);
        }
        if let Some(d) = self.lost.get_mut(&sector) {
            copies.push(d);
        }
        if self.overlay.contains_key(&sector) {
            copies.extend(
                self.pending
                    .iter_mut()
                    .filter(|p| p.sector == sector)
                    .map(|p| &mut p.data),
            );
        }
        let len = copies.iter().map(|d| d.len()).max().unwrap_or(0);
        if len == 0 {
            return FaultEffect::None;
        }
        let mut rng = from_seed(seed);
        let bits = len * 8;
        let flips = rng.random_range(1..=3usize);
        let mut positions: Vec<usize> = Vec::with_capacity(flips);
        while positions.len() < flips {
            let p = rng.random_range(0..bits);
            if !positions.contains(&p) {
                positions.push(p);
            }
        }
        for copy in copies {
            if copy.len() < len {
                let mut v = copy.to_vec();
                v.resize(len, 0);
                *copy = v.into_boxed_slice();
            }
            for &p in &positions {
                copy[p / 8] ^= 1 << (p % 8);
            }
        }
        FaultEffect::Applied {
            kind: "bit-rot",
            sectors: vec![sector],
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

/// Appends one run of a split unsynced write: to `synced` if it lies in the
/// range being synced, else back to the unsynced writes as a write of its own.
fn push_run(
    run: Vec<PendingSector>,
    inside: bool,
    synced: &mut Vec<Vec<PendingSector>>,
    pending: &mut Vec<PendingSector>,
    writes: &mut Vec<PendingWrite>,
) {
    if run.is_empty() {
        return;
    }
    if inside {
        synced.push(run);
    } else {
        writes.push(PendingWrite {
            first: pending.len(),
            sector: run[0].sector,
            count: run.len() as u64,
        });
        pending.extend(run);
    }
}

fn arm(flag: &mut bool, kind: &'static str) -> FaultEffect {
    if *flag {
        FaultEffect::None
    } else {
        *flag = true;
        FaultEffect::Armed { kind }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk() -> Disk {
        Disk::new(DiskConfig {
            sector_size: 512,
            sectors: 64,
        })
    }

    fn sector(d: &Disk, s: u64) -> Vec<u8> {
        d.read(s, 1).unwrap()
    }

    fn filled(byte: u8, len: usize) -> Vec<u8> {
        vec![byte; len]
    }

    #[test]
    fn contents_hash_is_the_bytes_seen_and_durable() {
        let (mut a, mut b) = (disk(), disk());
        assert_eq!(a.contents_hash(), b.contents_hash());
        a.write(3, &filled(7, 512)).unwrap();
        assert_ne!(a.contents_hash(), b.contents_hash(), "an unsynced write");
        b.write(3, &filled(7, 512)).unwrap();
        assert_eq!(a.contents_hash(), b.contents_hash());
        let before = a.contents_hash();
        a.sync().unwrap();
        assert_ne!(a.contents_hash(), before, "the write became durable");
        // Another way to the same bytes: the history differs, the contents not.
        b.write(3, &filled(9, 512)).unwrap();
        b.write(3, &filled(7, 512)).unwrap();
        b.sync().unwrap();
        assert_ne!(a.history_hash(), b.history_hash());
        assert_eq!(a.contents_hash(), b.contents_hash());
        sector(&a, 3);
        a.fence();
        assert_eq!(
            a.contents_hash(),
            b.contents_hash(),
            "reads and a fence change nothing"
        );
    }

    fn padded(data: &[u8]) -> Vec<u8> {
        let mut v = data.to_vec();
        v.resize(512, 0);
        v
    }

    #[test]
    fn config_validation() {
        assert!(DiskConfig::default().validate().is_ok());
        let bad = |sector_size, sectors| DiskConfig {
            sector_size,
            sectors,
        };
        assert!(bad(256, 8).validate().is_err());
        assert!(bad(1000, 8).validate().is_err());
        assert!(bad(512, 0).validate().is_err());
        assert!(bad(512, 1).validate().is_ok());
        let parsed: DiskConfig = serde_json::from_str(r#"{"sectors": 9}"#).unwrap();
        assert_eq!(parsed.sector_size, 4096);
        assert!(serde_json::from_str::<DiskConfig>(r#"{"bogus": 1}"#).is_err());
    }

    #[test]
    fn fault_table_names_every_variant() {
        let all = [
            DiskFault::BitRot { sector: 0, seed: 0 },
            DiskFault::LatentSectorError { sector: 0 },
            DiskFault::LostWrite,
            DiskFault::MisdirectedWrite { offset: 1 },
            DiskFault::SyncFailure,
            DiskFault::DiskFull { free_sectors: 0 },
            DiskFault::DeviceLoss,
        ];
        assert_eq!(all.len(), FAULT_TABLE.len());
        for (f, (name, effect)) in all.iter().zip(FAULT_TABLE) {
            assert_eq!(f.kind(), *name);
            assert!(!effect.is_empty());
        }
        let json = serde_json::to_string(&all[3]).unwrap();
        assert_eq!(json, r#"{"kind":"misdirected-write","offset":1}"#);
        assert_eq!(serde_json::from_str::<DiskFault>(&json).unwrap(), all[3]);
    }

    #[test]
    fn a_sector_reads_unwritten_only_when_it_holds_no_data_and_reads_as_zeros() {
        let mut d = disk();
        d.write(1, &[0, 0]).unwrap();
        d.write(2, b"x").unwrap();
        d.sync().unwrap();
        d.write(3, b"pending").unwrap();
        d.inject(DiskFault::LatentSectorError { sector: 4 });
        let reads = d.stats().reads;
        assert_eq!(d.reads_unwritten(0), Ok(true));
        assert_eq!(
            d.stats().reads,
            reads + 1,
            "counted as the read it stands for"
        );
        assert_eq!(d.read(0, 1).unwrap(), vec![0; 512]);
        for written in [1, 2, 3] {
            assert_eq!(d.reads_unwritten(written), Ok(false), "sector {written}");
        }
        assert_eq!(
            d.reads_unwritten(4),
            Ok(false),
            "a latent error reads as an error"
        );
        let end = d.config().sectors;
        assert!(d.reads_unwritten(end).is_err());
        d.crash(CrashMode::DropUnsynced);
        assert_eq!(d.reads_unwritten(3), Ok(true), "its only write was dropped");
        d.fence();
        assert_eq!(d.reads_unwritten(0), Err(DiskError::Fenced));
    }

    #[test]
    fn sparse_reads_and_tail_zeros() {
        let mut d = disk();
        assert!(d.is_blank());
        assert_eq!(d.read(10, 2).unwrap(), vec![0; 1024]);
        d.write(3, &filled(7, 600)).unwrap();
        assert!(!d.is_blank());
        let mut want = filled(7, 600);
        want.resize(1024, 0);
        assert_eq!(d.read(3, 2).unwrap(), want);
        assert_eq!(d.live_sectors(), vec![3, 4]);
        let mut buf = vec![1, 2];
        d.read_into(4, 1, &mut buf).unwrap();
        assert_eq!(buf.len(), 2 + 512);
        assert_eq!(&buf[..2], &[1, 2]);
        assert_eq!(d.stats().reads, 3);
        assert_eq!(d.stats().bytes_written, 600);
    }

    #[test]
    fn out_of_range_never_panics() {
        let mut d = disk();
        let oor = |sector, count| Err(DiskError::OutOfRange { sector, count });
        assert_eq!(d.write(64, b"x"), oor(64, 1));
        assert_eq!(d.write(63, &filled(1, 513)), oor(63, 2));
        assert_eq!(d.write(u64::MAX, b"x"), oor(u64::MAX, 1));
        assert_eq!(d.read(60, 5), oor(60, 5).map(|()| vec![]));
        assert_eq!(d.read(u64::MAX, 2), oor(u64::MAX, 2).map(|()| vec![]));
        assert_eq!(d.read(0, u64::MAX), oor(0, u64::MAX).map(|()| vec![]));
        assert_eq!(d.read(64, 0).unwrap(), Vec::<u8>::new());
        assert!(d.is_blank());
        assert_eq!(d.unsynced_writes(), 0);
    }

    #[test]
    fn fence_blocks_io_until_crash() {
        let mut d = disk();
        d.write(0, b"synced").unwrap();
        d.sync().unwrap();
        d.write(1, b"pending").unwrap();
        d.fence();
        assert!(d.is_fenced());
        assert_eq!(d.write(2, b"cleanup"), Err(DiskError::Fenced));
        assert_eq!(d.read(0, 1), Err(DiskError::Fenced));
        assert_eq!(d.sync(), Err(DiskError::Fenced));
        assert_eq!(d.shutdown(), Err(DiskError::Fenced));
        let report = d.crash(CrashMode::DropUnsynced);
        assert!(!d.is_fenced());
        assert_eq!(report.dropped_writes(), 1);
        assert_eq!(sector(&d, 0), padded(b"synced"));
        assert_eq!(sector(&d, 1), padded(b""));
        assert_eq!(sector(&d, 2), padded(b""));
        assert_eq!(
            d.take_effects(),
            vec![FaultEffect::Applied {
                kind: "unsynced-dropped",
                sectors: vec![1]
            }]
        );
    }

    #[test]
    fn unfence_keeps_every_write_unsynced_ones_too() {
        let mut d = disk();
        d.write(0, b"synced").unwrap();
        d.sync().unwrap();
        d.write(1, b"pending").unwrap();
        d.fence();
        assert_eq!(d.write(2, b"cleanup"), Err(DiskError::Fenced));
        d.unfence();
        assert!(!d.is_fenced());
        assert_eq!(d.unsynced_writes(), 1);
        assert_eq!(sector(&d, 1), padded(b"pending"));
        assert_eq!(sector(&d, 2), padded(b""));
        assert!(d.take_effects().is_empty());
        // Still unsynced: a later power loss drops it.
        assert_eq!(d.crash(CrashMode::DropUnsynced).dropped_writes(), 1);
        assert_eq!(sector(&d, 0), padded(b"synced"));
    }

    #[test]
    fn bit_rot_returns_different_bytes() {
        let mut d = disk();
        d.write(5, b"precious record").unwrap();
        d.sync().unwrap();
        let before = sector(&d, 5);
        assert_eq!(
            d.inject(DiskFault::BitRot { sector: 5, seed: 9 }),
            FaultEffect::Applied {
                kind: "bit-rot",
                sectors: vec![5]
            }
        );
        let after = sector(&d, 5);
        assert_ne!(before, after);
        // Only the written bytes rot, and only a few bits.
        assert!(after[15..].iter().all(|&b| b == 0));
        let flipped: u32 = before
            .iter()
            .zip(&after)
            .map(|(a, b)| (a ^ b).count_ones())
            .sum();
        assert!((1..=3).contains(&flipped));
        // The rot is durable.
        d.crash(CrashMode::DropUnsynced);
        assert_eq!(sector(&d, 5), after);
        // A sector that holds nothing cannot rot.
        assert_eq!(
            d.inject(DiskFault::BitRot { sector: 6, seed: 9 }),
            FaultEffect::None
        );
        assert_eq!(
            d.inject(DiskFault::BitRot {
                sector: 99,
                seed: 9
            }),
            FaultEffect::None
        );
    }

    #[test]
    fn bit_rot_hits_cached_copy_too() {
        let mut d = disk();
        d.write(5, b"old").unwrap();
        d.sync().unwrap();
        d.write(5, b"new").unwrap();
        d.inject(DiskFault::BitRot { sector: 5, seed: 1 });
        assert_ne!(sector(&d, 5), padded(b"new"));
        d.crash(CrashMode::DropUnsynced);
        assert_ne!(sector(&d, 5), padded(b"old"));
    }

    #[test]
    fn latent_sector_error_until_rewrite() {
        let mut d = disk();
        d.write(2, &filled(4, 1024)).unwrap();
        d.sync().unwrap();
        assert_eq!(
            d.inject(DiskFault::LatentSectorError { sector: 3 }),
            FaultEffect::Applied {
                kind: "latent-sector-error",
                sectors: vec![3]
            }
        );
        assert_eq!(d.read(2, 2), Err(DiskError::Unreadable { sector: 3 }));
        let mut buf = vec![9];
        assert_eq!(
            d.read_into(3, 1, &mut buf),
            Err(DiskError::Unreadable { sector: 3 })
        );
        assert_eq!(buf, vec![9]);
        assert_eq!(d.read(2, 1).unwrap(), filled(4, 512));
        // A rewrite is readable at once, but the error is cleared only when it is durable.
        d.write(3, b"fresh").unwrap();
        assert_eq!(sector(&d, 3), padded(b"fresh"));
        d.crash(CrashMode::DropUnsynced);
        assert_eq!(d.read(3, 1), Err(DiskError::Unreadable { sector: 3 }));
        d.write(3, b"fresh").unwrap();
        d.sync().unwrap();
        d.crash(CrashMode::DropUnsynced);
        assert_eq!(sector(&d, 3), padded(b"fresh"));
    }

    #[test]
    fn lost_write_survives_sync_but_vanishes_at_crash() {
        let mut d = disk();
        d.write(0, b"v1").unwrap();
        d.sync().unwrap();
        assert_eq!(
            d.inject(DiskFault::LostWrite),
            FaultEffect::Armed { kind: "lost-write" }
        );
        assert_eq!(d.inject(DiskFault::LostWrite), FaultEffect::None);
        // A sync with nothing to lose leaves it armed.
        d.sync().unwrap();
        assert!(d.take_effects().is_empty());
        d.write(1, b"other").unwrap();
        d.write(0, b"v2").unwrap();
        assert_eq!(d.sync(), Ok(()));
        assert_eq!(
            d.take_effects(),
            vec![FaultEffect::Applied {
                kind: "lost-write",
                sectors: vec![0]
            }]
        );
        assert_eq!(d.unsynced_writes(), 0);
        assert_eq!(sector(&d, 0), padded(b"v2"));
        let report = d.crash(CrashMode::DropUnsynced);
        assert_eq!(report.lost_write_revealed, vec![0]);
        assert_eq!(sector(&d, 0), padded(b"v1"));
        assert_eq!(sector(&d, 1), padded(b"other"));
        // Fired once: the next sync is honest.
        d.write(0, b"v3").unwrap();
        d.sync().unwrap();
        d.crash(CrashMode::DropUnsynced);
        assert_eq!(sector(&d, 0), padded(b"v3"));
    }

    #[test]
    fn lost_write_revealed_by_clean_shutdown() {
        let mut d = disk();
        d.inject(DiskFault::LostWrite);
        d.write(0, b"gone").unwrap();
        d.shutdown().unwrap();
        assert_eq!(sector(&d, 0), padded(b""));
        assert!(d.is_blank());
    }

    #[test]
    fn lost_write_superseded_by_later_synced_write() {
        let mut d = disk();
        d.inject(DiskFault::LostWrite);
        d.write(0, b"lost").unwrap();
        d.sync().unwrap();
        d.write(0, b"kept").unwrap();
        d.sync().unwrap();
        d.crash(CrashMode::DropUnsynced);
        assert_eq!(sector(&d, 0), padded(b"kept"));
    }

    #[test]
    fn misdirected_write_lands_elsewhere() {
        let mut d = disk();
        d.write(10, b"old10").unwrap();
        d.sync().unwrap();
        assert_eq!(
            d.inject(DiskFault::MisdirectedWrite { offset: 0 }),
            FaultEffect::None
        );
        assert_eq!(
            d.inject(DiskFault::MisdirectedWrite { offset: -7 }),
            FaultEffect::Armed {
                kind: "misdirected-write"
            }
        );
        d.write(10, b"new10").unwrap();
        assert_eq!(sector(&d, 10), padded(b"old10"));
        assert_eq!(sector(&d, 3), padded(b"new10"));
        assert_eq!(
            d.take_effects(),
            vec![FaultEffect::Applied {
                kind: "misdirected-write",
                sectors: vec![3, 10]
            }]
        );
        // Fired once.
        d.write(10, b"again").unwrap();
        assert_eq!(sector(&d, 10), padded(b"again"));
        // Clamped to the device.
        d.inject(DiskFault::MisdirectedWrite { offset: 1000 });
        d.write(0, &filled(1, 1024)).unwrap();
        assert_eq!(d.read(62, 2).unwrap(), filled(1, 1024));
        assert_eq!(sector(&d, 0), padded(b""));
    }

    #[test]
    fn sync_failure_drops_unsynced() {
        let mut d = disk();
        d.write(0, b"durable").unwrap();
        d.sync().unwrap();
        assert_eq!(
            d.inject(DiskFault::SyncFailure),
            FaultEffect::Armed {
                kind: "sync-failure"
            }
        );
        d.write(0, b"doomed").unwrap();
        d.write(4, &filled(2, 700)).unwrap();
        assert_eq!(d.sync(), Err(DiskError::SyncFailed));
        assert_eq!(d.unsynced_writes(), 0);
        assert_eq!(sector(&d, 0), padded(b"durable"));
        assert_eq!(d.read(4, 2).unwrap(), vec![0; 1024]);
        assert_eq!(
            d.take_effects(),
            vec![FaultEffect::Applied {
                kind: "sync-failure",
                sectors: vec![0, 4, 5]
            }]
        );
        d.write(0, b"retry").unwrap();
        assert_eq!(d.sync(), Ok(()));
    }

    #[test]
    fn disk_full_refuses_new_sectors_only() {
        let mut d = disk();
        d.write(0, &filled(1, 1024)).unwrap();
        d.sync().unwrap();
        assert_eq!(
            d.inject(DiskFault::DiskFull { free_sectors: 1 }),
            FaultEffect::Armed { kind: "disk-full" }
        );
        assert_eq!(d.write(5, &filled(2, 1024)), Err(DiskError::NoSpace));
        assert_eq!(d.read(5, 2).unwrap(), vec![0; 1024]);
        assert_eq!(d.unsynced_writes(), 0);
        // Overwrites of live sectors, plus one new one, fit.
        d.write(0, &filled(3, 1536)).unwrap();
        assert_eq!(d.write(9, b"x"), Err(DiskError::NoSpace));
        d.write(1, b"overwrite").unwrap();
        assert_eq!(d.take_effects().len(), 2);
        d.replace_blank();
        d.write(9, &filled(1, 4096)).unwrap();
    }

    #[test]
    fn device_loss_blanks_everything() {
        let mut d = disk();
        d.write(0, b"a").unwrap();
        d.sync().unwrap();
        d.write(1, b"b").unwrap();
        d.inject(DiskFault::LatentSectorError { sector: 0 });
        d.inject(DiskFault::SyncFailure);
        d.fence();
        assert_eq!(
            d.inject(DiskFault::DeviceLoss),
            FaultEffect::Applied {
                kind: "device-loss",
                sectors: vec![]
            }
        );
        assert!(d.is_blank());
        assert!(!d.is_fenced());
        assert_eq!(d.live_sectors(), Vec::<u64>::new());
        assert_eq!(d.read(0, 2).unwrap(), vec![0; 1024]);
        d.write(0, b"c").unwrap();
        assert_eq!(d.sync(), Ok(()));
    }

    #[test]
    fn tear_keeps_prefixes_in_write_order() {
        let mut torn = 0;
        for seed in 0..200 {
            let mut d = disk();
            d.write(0, &filled(1, 512 * 4)).unwrap();
            d.write(2, &filled(2, 512 * 4)).unwrap();
            let report = d.crash(CrashMode::Tear { seed });
            let got: Vec<u8> = (0..6).map(|s| sector(&d, s)[0]).collect();
            let mut want = [0u8; 6];
            for (w, byte) in report.writes.iter().zip([1, 2]) {
                for i in 0..w.kept {
                    want[(w.sector + i) as usize] = byte;
                }
            }
            assert_eq!(got, want, "seed {seed}");
            torn += report.torn_writes();
        }
        assert!(torn > 100);
    }

    #[test]
    fn sync_range_makes_only_its_sectors_durable() {
        let mut d = disk();
        d.write(0, b"a").unwrap();
        d.write(10, &filled(2, 1536)).unwrap(); // sectors 10..13, straddles 11..12
        d.write(20, b"c").unwrap();
        let syncs = d.stats().syncs;
        d.sync_range(11, 1).unwrap();
        assert_eq!(d.stats().syncs, syncs + 1);
        // Sector 10 and 12 stay unsynced as writes of their own.
        assert_eq!(d.unsynced_writes(), 4);
        let report = d.crash(CrashMode::DropUnsynced);
        assert_eq!(report.dropped_writes(), 4);
        assert_eq!(d.live_sectors(), vec![11]);
        assert_eq!(sector(&d, 11), filled(2, 512));
        // An empty range succeeds; out of range fails.
        assert_eq!(d.sync_range(0, 64), Ok(()));
        assert_eq!(
            d.sync_range(60, 5),
            Err(DiskError::OutOfRange {
                sector: 60,
                count: 5
            })
        );
        d.fence();
        assert_eq!(d.sync_range(0, 1), Err(DiskError::Fenced));
    }

    #[test]
    fn sync_range_keeps_write_order_per_sector() {
        let mut d = disk();
        d.write(3, b"old").unwrap();
        d.write(3, b"new").unwrap();
        d.write(4, b"other").unwrap();
        d.sync_range(3, 1).unwrap();
        d.crash(CrashMode::DropUnsynced);
        assert_eq!(sector(&d, 3), padded(b"new"));
        assert_eq!(sector(&d, 4), padded(b""));
    }

    #[test]
    fn sync_range_faults_stay_in_the_range() {
        let mut d = disk();
        d.inject(DiskFault::SyncFailure);
        d.write(0, b"outside").unwrap();
        // Nothing unsynced in the range: the fault stays armed.
        d.sync_range(5, 2).unwrap();
        d.write(5, b"inside").unwrap();
        assert_eq!(d.sync_range(5, 2), Err(DiskError::SyncFailed));
        assert_eq!(sector(&d, 5), padded(b""));
        assert_eq!(sector(&d, 0), padded(b"outside"));
        assert_eq!(
            d.take_effects(),
            vec![FaultEffect::Applied {
                kind: "sync-failure",
                sectors: vec![5]
            }]
        );
        d.inject(DiskFault::LostWrite);
        d.write(5, b"first").unwrap();
        d.write(6, b"second").unwrap();
        d.sync_range(5, 2).unwrap();
        assert_eq!(
            d.take_effects(),
            vec![FaultEffect::Applied {
                kind: "lost-write",
                sectors: vec![6]
            }]
        );
        assert_eq!(sector(&d, 6), padded(b"second"));
        d.crash(CrashMode::DropUnsynced);
        assert_eq!(sector(&d, 5), padded(b"first"));
        assert_eq!(sector(&d, 6), padded(b""));
        assert_eq!(sector(&d, 0), padded(b""));
    }

    #[test]
    fn history_tracks_operations_and_results() {
        let run = |second: &[u8]| {
            let mut d = disk();
            d.write(0, b"a").unwrap();
            d.write(1, second).unwrap();
            d.crash(CrashMode::Tear { seed: 3 });
            d.history_hash()
        };
        assert_eq!(run(b"b"), run(b"b"));
        assert_ne!(run(b"b"), run(b"c"));
        let mut d = disk();
        let h = d.history_hash();
        let _ = d.read(0, 1);
        assert_eq!(d.history_hash(), h);
        let _ = d.write(99, b"x");
        assert_ne!(d.history_hash(), h);
    }
}
