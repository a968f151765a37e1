//! The survivable atlas: a fault mode in which storage faults and resets
//! land only where recovery stays possible.
//!
//! TigerBeetle's `ClusterFaultAtlas` puts faults only where the cluster's
//! replication can still recover. Here the lineage ([`sim::lineage`]) and
//! the ghost ledger tell, at the moment a fault fires, which stores hold
//! the last live copy of an acknowledged version (one of a record's latest
//! promised versions; for a fault that forfeits what never synced, a synced
//! one). With `faults.survivable = true` the injector asks this module
//! before it strikes:
//!
//! - **A whole store** (factory reset, device loss, botched upgrade of an
//!   array, failover): skipped if the store holds the last copy of an
//!   acknowledged version.
//! - **One sector** (bit rot, latent sector error): resolved only onto a
//!   sector whose records still have another live copy; skipped if there is
//!   none. A store that keeps no sector map (SQLite) counts as one unit.
//! - **The next write** (lost write, misdirected write): strikes a write
//!   not made yet, so the atlas cannot know at fire time whether it will be
//!   the last copy of something. On a store where versions are first
//!   written (handset flash: a save is its version's first copy, and an
//!   offline handset keeps it the only one until the heal's clean restart
//!   shows it was never written) it is always skipped. Elsewhere (database
//!   volumes, which hold only versions a handset sent and keeps) it is
//!   skipped if the store holds a last copy now; let through, a lost write
//!   leaves the store *lying* until its node next loses power, and a
//!   misdirected write marks every copy on the store struck.
//! - **A power loss** (battery pull, crash, torn write, clock reset) of a
//!   node whose store is lying: skipped while the store holds a last copy
//!   (the lost write may be that copy; nothing can recover it).
//!
//! Copies a fault was let through onto (a rotten sector, a misdirected
//! write) are *struck*, and copies on a lying store are in doubt: neither
//! counts as another live copy (struck ones until the lineage ends them).
//! Faults the atlas does not name (sync failures, full disks, incidents,
//! network and clock faults) are never skipped.
//!
//! Every skip is traced as [`EngineEvent::FaultSkipped`](sim::trace::EngineEvent::FaultSkipped) with an `atlas` field
//! naming its [`SkipReason`]; the run's start says the mode is on
//! ([`EngineEvent::FaultAtlas`](sim::trace::EngineEvent::FaultAtlas)). Every decision reads only the lineage, the
//! ledger and the node's sector map, in a fixed order: the same run decides
//! the same.

use models::fault::Fault;
use models::record::RecordId;
use sim::ledger::LedgerHandle;
use sim::lineage::Lineage;
use sim::record::VersionId;
use std::collections::BTreeSet;
use std::sync::Mutex;

sim::named! {
    /// Why the atlas skipped a fault.
    pub enum SkipReason {
        /// The stores it strikes hold the last live copy of an acknowledged
        /// version.
        LastCopy = "last-copy",
        /// Every sector it could land on holds a last copy.
        NoSafeSector = "no-safe-sector",
        /// A power loss of a node whose store has a lost write pending while
        /// it holds a last copy.
        LostWritePending = "lost-write-pending",
        /// A lost or misdirected write on a store where versions are first
        /// written: the write it strikes may be a version's only copy.
        FirstCopyAhead = "first-copy-ahead",
    }
}

impl SkipReason {
    /// What it means, in words (the trace's `why` field).
    pub fn why(self) -> &'static str {
        match self {
            SkipReason::LastCopy => "survivable atlas: the last copy of acknowledged data is there",
            SkipReason::NoSafeSector => {
                "survivable atlas: every live sector holds the last copy of acknowledged data"
            }
            SkipReason::LostWritePending => {
                "survivable atlas: a lost write is pending where the last copy is"
            }
            SkipReason::FirstCopyAhead => {
                "survivable atlas: the write it strikes may be a version's only copy"
            }
        }
    }
}

/// A fault the atlas skipped: why, and one acknowledged version (record,
/// version) it would have struck the last copy of, with how many there were.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    /// Why.
    pub reason: SkipReason,
    /// The first (record, version) in order whose last copy is there.
    pub record: String,
    /// Its version.
    pub version: String,
    /// How many such versions.
    pub versions: usize,
}

/// What a fault kind reaches, as the atlas sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Every copy on the target's stores.
    Stores,
    /// One live sector of the target's store.
    Sector,
    /// The store's next write, which a later power loss may reveal lost.
    LostWrite,
    /// The store's next write, landing on other sectors.
    MisdirectedWrite,
    /// What the node had not synced, and a pending lost write.
    PowerLoss,
    /// Nothing the atlas guards.
    Other,
}

impl Reach {
    /// What `kind` reaches.
    pub fn of(kind: &Fault) -> Self {
        match kind {
            Fault::FactoryReset
            | Fault::DeviceLoss { .. }
            | Fault::BotchedUpgrade { .. }
            | Fault::Failover { .. } => Reach::Stores,
            Fault::BitRot | Fault::LatentSectorError => Reach::Sector,
            Fault::LostWrite => Reach::LostWrite,
            Fault::MisdirectedWrite => Reach::MisdirectedWrite,
            Fault::BatteryPull { .. }
            | Fault::NodeCrash { .. }
            | Fault::TornWrite { .. }
            | Fault::ClockReset { .. }
            | Fault::MidSyncPull { .. } => Reach::PowerLoss,
            _ => Reach::Other,
        }
    }
}

/// A copy: (store, record, version), as the lineage names them.
type CopyKey = (String, String, String);

/// What the lineage and ledger say of copies, for one decision.
pub struct Copies<'a> {
    /// The run's lineage.
    pub lineage: &'a Lineage,
    /// The run's ledger.
    pub ledger: &'a LedgerHandle,
}

impl Copies<'_> {
    /// The acknowledged versions whose every live copy, but `struck` ones,
    /// is on `stores`: latest promised versions of their record, and synced
    /// ones only if the fault `forfeits` what never synced. In (record,
    /// version) order.
    pub fn last_on(
        &self,
        stores: &[&str],
        forfeits: bool,
        struck: &BTreeSet<CopyKey>,
    ) -> Vec<(String, String)> {
        self.last_on_but(stores, forfeits, struck, &BTreeSet::new())
    }

    /// As [`Copies::last_on`], where copies on the `lying` stores do not
    /// count as other copies either.
    fn last_on_but(
        &self,
        stores: &[&str],
        forfeits: bool,
        struck: &BTreeSet<CopyKey>,
        lying: &BTreeSet<String>,
    ) -> Vec<(String, String)> {
        let held: BTreeSet<(String, String)> = stores
            .iter()
            .flat_map(|s| self.lineage.on_store(s))
            .collect();
        held.into_iter()
            .filter(|(r, v)| {
                let here = stores
                    .iter()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .filter(|s| self.lineage.is_live(s, r, v))
                    .count() as u32;
                let doubtful: BTreeSet<&str> = struck
                    .iter()
                    .filter(|(_, sr, sv)| sr == r && sv == v)
                    .map(|(s, ..)| s.as_str())
                    .chain(lying.iter().map(String::as_str))
                    .filter(|s| !stores.contains(s) && self.lineage.is_live(s, r, v))
                    .collect();
                let elsewhere = doubtful.len() as u32;
                self.lineage.copies(r, v).saturating_sub(here + elsewhere) == 0
            })
            .filter(|(r, v)| self.acknowledged(r, v, forfeits))
            .collect()
    }

    /// Whether the promise covers (record, version) now: one of the
    /// record's latest promised versions, and synced if `forfeits`.
    fn acknowledged(&self, record: &str, version: &str, forfeits: bool) -> bool {
        match (
            self.ledger.record_named(record),
            version.parse::<VersionId>(),
        ) {
            (Some(r), Ok(v)) => {
                self.ledger.is_latest_promised(r, v) && (!forfeits || self.ledger.is_synced(r, v))
            }
            _ => false,
        }
    }
}

/// One run's survivable atlas: the copies it let faults strike and the
/// stores with a lost write pending. Decisions depend on nothing else than
/// the lineage, the ledger and this memory.
#[derive(Debug, Default)]
pub struct Survivable {
    memory: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    /// Copies a fault was let through onto, until the lineage ends them.
    struck: BTreeSet<CopyKey>,
    /// Stores with a lost write let through, until their node loses power.
    lying: BTreeSet<String>,
}

impl Survivable {
    /// An atlas that has let nothing through yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn memory(&self, copies: &Copies<'_>) -> std::sync::MutexGuard<'_, Memory> {
        let mut m = self.memory.lock().expect("atlas lock");
        // A struck copy the lineage ended is gone; a new one is sound.
        m.struck.retain(|(s, r, v)| copies.lineage.is_live(s, r, v));
        m
    }

    /// Whether a fault of `reach` on `stores` must be skipped, and why.
    /// `forfeits`: the fault is the user's own wipe, so only synced versions
    /// count. `first`: versions are first written on these stores (handset
    /// flash). Sector faults are judged by [`Survivable::safe_sectors`].
    pub fn judge(
        &self,
        copies: &Copies<'_>,
        reach: Reach,
        stores: &[&str],
        forfeits: bool,
        first: bool,
    ) -> Option<Skip> {
        let m = self.memory(copies);
        let reason = match reach {
            Reach::LostWrite | Reach::MisdirectedWrite if first => {
                return Some(Skip {
                    reason: SkipReason::FirstCopyAhead,
                    record: String::new(),
                    version: String::new(),
                    versions: 0,
                });
            }
            Reach::Stores | Reach::LostWrite | Reach::MisdirectedWrite => SkipReason::LastCopy,
            Reach::PowerLoss if stores.iter().any(|s| m.lying.contains(*s)) => {
                SkipReason::LostWritePending
            }
            Reach::Sector | Reach::PowerLoss | Reach::Other => return None,
        };
        let last = copies.last_on_but(stores, forfeits, &m.struck, &m.lying);
        let (record, version) = last.first()?.clone();
        Some(Skip {
            reason,
            record,
            version,
            versions: last.len(),
        })
    }

    /// Remembers that a fault of `reach` struck `stores` (it was not
    /// skipped): a lost write leaves them lying, a misdirected write strikes
    /// every copy on them, a power loss or a whole-store fault ends a
    /// pending lost write.
    pub fn struck(&self, copies: &Copies<'_>, reach: Reach, stores: &[&str]) {
        let mut m = self.memory(copies);
        for s in stores {
            match reach {
                Reach::LostWrite => {
                    m.lying.insert(s.to_string());
                }
                Reach::MisdirectedWrite => {
                    for (r, v) in copies.lineage.on_store(s) {
                        m.struck.insert((s.to_string(), r, v));
                    }
                }
                Reach::PowerLoss | Reach::Stores => {
                    m.lying.remove(*s);
                }
                Reach::Sector | Reach::Other => {}
            }
        }
    }

    /// The sectors of `live` on `store` a sector fault may land on: those
    /// whose records (by `map`, sector to record) have no last copy there.
    /// Without a map the store is one unit: every live sector, or none.
    pub fn safe_sectors(
        &self,
        copies: &Copies<'_>,
        store: &str,
        live: &[u64],
        map: Option<&[(u64, RecordId)]>,
    ) -> Vec<u64> {
        let m = self.memory(copies);
        let last = copies.last_on_but(&[store], false, &m.struck, &m.lying);
        let Some(map) = map else {
            return if last.is_empty() {
                live.to_vec()
            } else {
                Vec::new()
            };
        };
        let doomed: BTreeSet<RecordId> = last.iter().filter_map(|(r, _)| r.parse().ok()).collect();
        live.iter()
            .copied()
            .filter(|s| {
                let records = || map.iter().filter(move |(at, _)| at == s);
                // A sector no map names is as unknown as a store without one.
                let known = records().next().is_some();
                (known || last.is_empty()) && records().all(|(_, r)| !doomed.contains(r))
            })
            .collect()
    }

    /// Whether a sector fault on `store` (over its `live` sectors and its
    /// sector `map`) must be skipped: when no sector is safe
    /// ([`Survivable::safe_sectors`]).
    pub fn judge_sector(
        &self,
        copies: &Copies<'_>,
        store: &str,
        live: &[u64],
        map: Option<&[(u64, RecordId)]>,
    ) -> Option<Skip> {
        if !self.safe_sectors(copies, store, live, map).is_empty() {
            return None;
        }
        let m = self.memory(copies);
        let last = copies.last_on_but(&[store], false, &m.struck, &m.lying);
        let (record, version) = last.first().cloned().unwrap_or_default();
        Some(Skip {
            reason: SkipReason::NoSafeSector,
            record,
            version,
            versions: last.len(),
        })
    }

    /// Remembers that a sector fault landed on `sector` of `store`: every
    /// copy there of the records `map` puts on it is struck.
    pub fn struck_sector(
        &self,
        copies: &Copies<'_>,
        store: &str,
        sector: u64,
        map: Option<&[(u64, RecordId)]>,
    ) {
        let mut m = self.memory(copies);
        let on: Vec<(String, String)> = copies.lineage.on_store(store);
        // A sector no map names strikes every copy there, as without a map.
        let records: Option<BTreeSet<String>> = map
            .map(|map| {
                map.iter()
                    .filter(|(s, _)| *s == sector)
                    .map(|(_, r)| r.to_string())
                    .collect::<BTreeSet<_>>()
            })
            .filter(|rs| !rs.is_empty());
        for (r, v) in on {
            if records.as_ref().is_none_or(|rs| rs.contains(&r)) {
                m.struck.insert((store.to_string(), r, v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::record::RecordKind;
    use sim::ledger::Write;
    use sim::time::SimTime;
    use sim::trace::Tracer;

    const R: RecordId = RecordId {
        owner: 0,
        kind: RecordKind::Contact,
        n: 0,
    };
    const S: RecordId = RecordId {
        owner: 0,
        kind: RecordKind::Contact,
        n: 1,
    };
    const V: VersionId = VersionId { writer: 0, seq: 1 };

    /// A lineage and ledger where `R` and `S` at `V` are saved and synced,
    /// `R` on the handset's flash only, `S` on the flash and the primary.
    fn world() -> (Lineage, LedgerHandle) {
        let lineage = Lineage::new(Tracer::new());
        let ledger = LedgerHandle::new();
        for r in [R, S] {
            ledger.written(r.into(), V, Write::edit(None, 0), SimTime(1));
            ledger.saved(r.into(), V, SimTime(2));
            ledger.synced(r.into(), V, SimTime(3));
            lineage.created(SimTime(2), "h", "h/flash", &r.to_string(), &V.to_string());
        }
        lineage.created(
            SimTime(3),
            "db",
            "a/primary",
            &S.to_string(),
            &V.to_string(),
        );
        (lineage, ledger)
    }

    #[test]
    fn a_whole_store_fault_on_the_last_copy_is_skipped_and_names_it() {
        let (lineage, ledger) = world();
        let copies = Copies {
            lineage: &lineage,
            ledger: &ledger,
        };
        let atlas = Survivable::new();
        let skip = atlas
            .judge(&copies, Reach::Stores, &["h/flash"], true, true)
            .expect("the flash holds R's last copy");
        assert_eq!(skip.reason, SkipReason::LastCopy);
        assert_eq!((skip.record.as_str(), skip.versions), ("u0/contact-0", 1));
    }

    #[test]
    fn a_whole_store_fault_where_every_version_has_another_copy_strikes() {
        let (lineage, ledger) = world();
        lineage.created(
            SimTime(4),
            "db",
            "a/primary",
            &R.to_string(),
            &V.to_string(),
        );
        let copies = Copies {
            lineage: &lineage,
            ledger: &ledger,
        };
        let atlas = Survivable::new();
        assert_eq!(
            atlas.judge(&copies, Reach::Stores, &["h/flash"], true, true),
            None
        );
        // The primary holds nothing that is not also on the flash.
        assert_eq!(
            atlas.judge(&copies, Reach::Stores, &["a/primary"], false, false),
            None
        );
    }

    #[test]
    fn a_sector_fault_lands_only_where_the_records_have_another_copy() {
        let (lineage, ledger) = world();
        let copies = Copies {
            lineage: &lineage,
            ledger: &ledger,
        };
        let atlas = Survivable::new();
        let map = [(7, R), (9, S)];
        assert_eq!(
            atlas.safe_sectors(&copies, "h/flash", &[7, 9], Some(&map)),
            vec![9]
        );
        // Without a map the flash is one unit, and it holds a last copy.
        assert!(atlas
            .safe_sectors(&copies, "h/flash", &[7, 9], None)
            .is_empty());
        // Once sector 9 is rotten, S's copy there is no longer another copy
        // for the primary's.
        atlas.struck_sector(&copies, "h/flash", 9, Some(&map));
        let skip = atlas.judge(&copies, Reach::Stores, &["a/primary"], false, false);
        assert_eq!(skip.map(|s| s.record), Some("u0/contact-1".to_string()));
    }

    #[test]
    fn a_lost_write_is_skipped_on_flash_and_makes_a_power_loss_wait_elsewhere() {
        let (lineage, ledger) = world();
        let copies = Copies {
            lineage: &lineage,
            ledger: &ledger,
        };
        let atlas = Survivable::new();
        let flash = atlas.judge(&copies, Reach::LostWrite, &["h/flash"], false, true);
        assert_eq!(flash.map(|s| s.reason), Some(SkipReason::FirstCopyAhead));
        // The primary holds no last copy: a lost write there strikes.
        assert_eq!(
            atlas.judge(&copies, Reach::LostWrite, &["a/primary"], false, false),
            None
        );
        atlas.struck(&copies, Reach::LostWrite, &["a/primary"]);
        // Now the primary's copy of S is in doubt: the flash holds S's last
        // sure copy, and a reset there waits.
        let reset = atlas.judge(&copies, Reach::Stores, &["h/flash"], false, true);
        assert_eq!(reset.map(|s| s.versions), Some(2));
        // A power loss of the primary is fine (the flash has S), and ends the doubt.
        assert_eq!(
            atlas.judge(&copies, Reach::PowerLoss, &["a/primary"], false, false),
            None
        );
        atlas.struck(&copies, Reach::PowerLoss, &["a/primary"]);
        let reset = atlas.judge(&copies, Reach::Stores, &["h/flash"], false, true);
        assert_eq!(reset.map(|s| s.versions), Some(1));
    }

    #[test]
    fn reasons_round_trip_through_their_names() {
        for &r in SkipReason::ALL {
            assert_eq!(SkipReason::parse(r.name()), Some(r));
        }
    }
}
