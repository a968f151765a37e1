//! Reads: what each sector shows (the cache above the durable contents),
//! and the range checks every I/O makes.

use super::*;

impl Disk {
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

    pub(super) fn source(&self, s: u64) -> Source<'_> {
        if let Some(&i) = self.overlay.get(&s) {
            return Source::Cache(&self.pending[i].data);
        }
        if let Some(d) = self.lost.get(&s) {
            return Source::Cache(d);
        }
        Source::Medium(self.durable.get(&s).map_or(&[], |d| d))
    }

    pub(super) fn holds_data(&self, s: u64) -> bool {
        self.overlay.contains_key(&s) || self.lost.contains_key(&s) || self.durable.contains_key(&s)
    }

    pub(super) fn check_range(&self, sector: u64, count: u64) -> Result<(), DiskError> {
        match sector.checked_add(count) {
            Some(end) if end <= self.config.sectors => Ok(()),
            _ => Err(DiskError::OutOfRange { sector, count }),
        }
    }
}
