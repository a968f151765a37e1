//! Power loss, fences, clean shutdown and device loss: what a crash keeps
//! of the unsynced writes, and the report of what it dropped or tore.

use super::*;

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

impl Disk {
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
}
