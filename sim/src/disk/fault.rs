//! Storage faults: the table of what each does, their injection, and the
//! effects the device queues when an armed fault fires.

use super::*;

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

impl Disk {
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
    pub(super) fn rot(&mut self, sector: u64, seed: u64) -> FaultEffect {
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
}

fn arm(flag: &mut bool, kind: &'static str) -> FaultEffect {
    if *flag {
        FaultEffect::None
    } else {
        *flag = true;
        FaultEffect::Armed { kind }
    }
}
