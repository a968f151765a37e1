//! Database engines: how a database keeps its rows on its volume.
//!
//! Two engines sit behind one trait: the project's own log store
//! ([`log::LogEngine`], the fast default) and redb ([`redb::RedbEngine`]), a
//! real embedded database engine, unpatched, on the same simulated volume.
//! Every write an engine reports done is durable; a write that fails leaves
//! the database to reload from its volume.

pub mod log;
pub mod redb;
pub mod sqlite;

use crate::record::{RecordId, Row};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Per user, per record: the live row and the sequence number it was
/// committed under.
pub type Rows = BTreeMap<u32, BTreeMap<RecordId, (Row, u64)>>;

/// Which engine a database runs on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineKind {
    /// The project's own log store.
    #[default]
    Log,
    /// redb 4, through its `StorageBackend` trait.
    Redb,
}

/// What a database keeps beside its rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The epoch: changes whenever the data is restored or rebuilt.
    pub epoch: u64,
    /// Whether it formatted itself on a blank volume after a loss.
    pub rebuilt: bool,
    /// Whether commits are stopped (quiesced by the operator).
    pub read_only: bool,
}

/// What reading a volume back found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The live rows.
    pub rows: Rows,
    /// Where each live row is, where the engine knows it.
    pub sectors: BTreeMap<RecordId, u64>,
    /// The metadata.
    pub meta: Meta,
    /// The next sequence number to commit under.
    pub next_seq: u64,
    /// Whether the volume was blank (never written, or lost).
    pub blank: bool,
    /// Sectors found damaged (log engine) while reading back.
    pub damaged: Vec<u64>,
}

/// Why an engine could not do what it was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The volume refused the I/O.
    #[error("volume: {0}")]
    Disk(#[from] sim::disk::DiskError),
    /// The engine found its store unusable (corrupt, not a database).
    #[error("engine: {0}")]
    Engine(String),
}

/// A database engine on one volume.
pub trait Engine: Send {
    /// Reads the volume back (opening the engine). A blank volume gives
    /// `Loaded { blank: true, .. }`; with `verify`, rows whose end-to-end
    /// checksum fails are left out (and engines that can check their own
    /// structures on open do).
    fn load(&mut self, verify: bool) -> Result<Loaded, EngineError>;
    /// Creates an empty database with `meta` on a blank volume, durably.
    fn format(&mut self, meta: Meta) -> Result<(), EngineError>;
    /// Durably commits `rows` (each with its sequence number) over what is
    /// there; returns where each went, where the engine knows it.
    fn commit(&mut self, rows: &[(Row, u64)]) -> Result<Vec<Option<u64>>, EngineError>;
    /// Durably sets the metadata.
    fn set_meta(&mut self, meta: Meta) -> Result<(), EngineError>;
    /// Durably replaces every row with `rows` and sets `meta`, all or nothing.
    fn replace_all(
        &mut self,
        rows: &[(Row, u64)],
        meta: Meta,
    ) -> Result<Vec<Option<u64>>, EngineError>;
    /// Which of `rows` (with where they are, if known) no longer read back
    /// from the volume exactly as they are.
    fn spoiled(&mut self, rows: &[(Row, Option<u64>)]) -> Vec<bool>;
}
