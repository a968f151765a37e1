//! The log engine: a database as entries of the project's log store.
//!
//! Commits are entries, live at once. Images (restores, backup images) are
//! staged entries that go live only when a seal entry counting exactly their
//! rows is durable, so a torn, lost or misdirected image never goes live.
//! Every entry fills one sector, so a spoiled sector costs the rows in it
//! and nothing after it.

use super::{Engine, EngineError, Loaded, Meta, Rows};
use crate::logstore::{LogStore, Opened};
use crate::record::{RecordId, Row};
use serde::{Deserialize, Serialize};
use sim::host::{lock_disk, DiskHandle};
use std::collections::BTreeMap;

/// One entry of a database's log.
#[derive(Debug, Serialize, Deserialize)]
enum Entry {
    /// The database's metadata from here on.
    Meta(Meta),
    /// A committed row: live at once.
    Commit { row: Row, seq: u64 },
    /// A row of image `image`: live only once the image is sealed.
    Stage { image: u64, row: Row, seq: u64 },
    /// Image `image` is complete with `rows` rows: it replaces every row and
    /// the metadata. An image whose staged rows do not number `rows` never
    /// goes live.
    Seal { image: u64, rows: u64, meta: Meta },
}

/// A database on the log store.
pub struct LogEngine {
    disk: DiskHandle,
    log: Option<LogStore>,
    next_seq: u64,
}

impl LogEngine {
    /// The engine for the database on `disk`.
    pub fn new(disk: DiskHandle) -> Self {
        LogEngine {
            disk,
            log: None,
            next_seq: 1,
        }
    }

    fn append(&mut self, entry: &Entry) -> Result<u64, EngineError> {
        let bytes = postcard::to_allocvec(entry).expect("entries always encode");
        let mut disk = lock_disk(&self.disk);
        if self.log.is_none() {
            self.log = Some(LogStore::open(&disk)?.0);
        }
        let log = self.log.as_mut().expect("opened above");
        Ok(log.append(&mut disk, &bytes)?)
    }

    fn sync(&mut self) -> Result<(), EngineError> {
        Ok(lock_disk(&self.disk).sync()?)
    }
}

/// Replays log entries in order; with `verify`, rows whose end-to-end
/// checksum fails are left out.
fn replay(opened: &Opened, verify: bool) -> Loaded {
    let mut r = Loaded {
        next_seq: 1,
        blank: opened.blank,
        damaged: opened.damaged.clone(),
        ..Loaded::default()
    };
    let mut staged: BTreeMap<u64, (Rows, BTreeMap<RecordId, u64>, u64)> = BTreeMap::new();
    for (bytes, &sector) in opened.entries.iter().zip(&opened.positions) {
        let Ok(entry) = postcard::from_bytes::<Entry>(bytes) else {
            continue;
        };
        match entry {
            Entry::Meta(meta) => r.meta = meta,
            Entry::Commit { row, seq } | Entry::Stage { row, seq, .. }
                if verify && !row.verifies() =>
            {
                r.next_seq = r.next_seq.max(seq + 1);
            }
            Entry::Commit { row, seq } => {
                r.next_seq = r.next_seq.max(seq + 1);
                r.sectors.insert(row.record, sector);
                r.rows
                    .entry(row.record.owner)
                    .or_default()
                    .insert(row.record, (row, seq));
            }
            Entry::Stage { image, row, seq } => {
                r.next_seq = r.next_seq.max(seq + 1);
                let (users, sectors, count) = staged.entry(image).or_default();
                sectors.insert(row.record, sector);
                users
                    .entry(row.record.owner)
                    .or_default()
                    .insert(row.record, (row, seq));
                *count += 1;
            }
            Entry::Seal { image, rows, meta } => {
                r.next_seq = r.next_seq.max(image + 1);
                let (users, sectors, count) = staged.remove(&image).unwrap_or_default();
                if count == rows {
                    (r.rows, r.sectors, r.meta) = (users, sectors, meta);
                }
            }
        }
    }
    r
}

impl Engine for LogEngine {
    fn load(&mut self, verify: bool) -> Result<Loaded, EngineError> {
        let disk = lock_disk(&self.disk);
        let (log, opened) = LogStore::open(&disk)?;
        drop(disk);
        self.log = Some(log);
        let loaded = replay(&opened, verify);
        self.next_seq = loaded.next_seq;
        Ok(loaded)
    }

    fn format(&mut self, meta: Meta) -> Result<(), EngineError> {
        self.set_meta(meta)
    }

    fn commit(&mut self, rows: &[(Row, u64)]) -> Result<Vec<Option<u64>>, EngineError> {
        let mut sectors = Vec::with_capacity(rows.len());
        for (row, seq) in rows {
            let sector = self.append(&Entry::Commit {
                row: row.clone(),
                seq: *seq,
            })?;
            self.next_seq = self.next_seq.max(seq + 1);
            sectors.push(Some(sector));
        }
        if !rows.is_empty() {
            self.sync()?;
        }
        Ok(sectors)
    }

    fn set_meta(&mut self, meta: Meta) -> Result<(), EngineError> {
        self.append(&Entry::Meta(meta))?;
        self.sync()
    }

    fn replace_all(
        &mut self,
        rows: &[(Row, u64)],
        meta: Meta,
    ) -> Result<Vec<Option<u64>>, EngineError> {
        let image = rows
            .iter()
            .map(|(_, s)| s + 1)
            .max()
            .unwrap_or(0)
            .max(self.next_seq);
        let mut sectors = Vec::with_capacity(rows.len());
        for (row, seq) in rows {
            let sector = self.append(&Entry::Stage {
                image,
                row: row.clone(),
                seq: *seq,
            })?;
            sectors.push(Some(sector));
        }
        self.append(&Entry::Seal {
            image,
            rows: rows.len() as u64,
            meta,
        })?;
        self.sync()?;
        self.next_seq = image + 1;
        Ok(sectors)
    }

    fn spoiled(&mut self, rows: &[(Row, Option<u64>)]) -> Vec<bool> {
        let disk = lock_disk(&self.disk);
        rows.iter()
            .map(|(row, sector)| {
                let on_disk = sector
                    .and_then(|s| LogStore::read_entry(&disk, s))
                    .and_then(|bytes| postcard::from_bytes::<Entry>(&bytes).ok());
                !matches!(
                    on_disk,
                    Some(Entry::Commit { row: r, .. } | Entry::Stage { row: r, .. }) if r == *row
                )
            })
            .collect()
    }
}
