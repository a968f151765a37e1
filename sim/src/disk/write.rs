//! Writes and syncs: a write is visible at once and durable only once a
//! sync (of the device, or of a range of its sectors) covers it.

use super::*;

impl Disk {
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

    pub(super) fn write_inner(&mut self, sector: u64, data: &[u8]) -> Result<(), DiskError> {
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

    /// Makes every unsynced write durable, in write order. A sync with no
    /// unsynced writes succeeds and leaves armed faults armed. See
    /// [`DiskFault::SyncFailure`] and [`DiskFault::LostWrite`] for how it
    /// can fail or lie.
    pub fn sync(&mut self) -> Result<(), DiskError> {
        let r = self.sync_inner();
        self.record(OP_SYNC, error_code(&r), 0, 0);
        r
    }

    pub(super) fn sync_inner(&mut self) -> Result<(), DiskError> {
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

    pub(super) fn sync_range_inner(&mut self, first: u64, count: u64) -> Result<(), DiskError> {
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
