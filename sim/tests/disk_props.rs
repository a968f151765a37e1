//! Properties of the simulated disk: it keeps exactly what it promised to
//! keep, loses exactly what it may lose, and does so reproducibly.

use lastcopy_sim::disk::{CrashMode, Disk, DiskConfig, DiskError, DiskFault, FaultEffect};
use proptest::prelude::*;
use std::collections::BTreeMap;

const SS: usize = 512;
const SECTORS: u64 = 32;

fn disk() -> Disk {
    Disk::new(DiskConfig {
        sector_size: SS,
        sectors: SECTORS,
    })
}

/// One I/O of a generated sequence.
#[derive(Clone, Debug)]
enum Op {
    /// A write of `sectors` sectors at `sector`, its last sector `tail` bytes long.
    Write {
        sector: u64,
        sectors: u64,
        tail: usize,
    },
    Sync,
    Read {
        sector: u64,
        count: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..SECTORS + 2, 1u64..=4, 8usize..=SS)
            .prop_map(|(sector, sectors, tail)| Op::Write { sector, sectors, tail }),
        2 => Just(Op::Sync),
        3 => (0..SECTORS + 2, 0u64..=5).prop_map(|(sector, count)| Op::Read { sector, count }),
    ]
}

/// The data of write number `id`: every sector of it starts with the id and
/// its index in the write, so a sector's contents name the write it came from.
fn data(id: u32, sectors: u64, tail: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for k in 0..sectors {
        let len = if k + 1 == sectors { tail } else { SS };
        let mut chunk = vec![(id as u8).wrapping_mul(31).wrapping_add(k as u8) | 1; len];
        chunk[..4].copy_from_slice(&id.to_le_bytes());
        chunk[4..8].copy_from_slice(&(k as u32).to_le_bytes());
        out.extend_from_slice(&chunk);
    }
    out
}

/// The sectors of `data` as they read back: each padded to a full sector.
fn split(data: &[u8]) -> Vec<Vec<u8>> {
    data.chunks(SS)
        .map(|c| {
            let mut v = c.to_vec();
            v.resize(SS, 0);
            v
        })
        .collect()
}

/// What a range of sectors should read as, per `model`.
fn expect(model: &BTreeMap<u64, Vec<u8>>, sector: u64, count: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for s in sector..sector + count {
        match model.get(&s) {
            Some(v) => out.extend_from_slice(v),
            None => out.resize(out.len() + SS, 0),
        }
    }
    out
}

fn in_range(sector: u64, count: u64) -> bool {
    sector + count <= SECTORS
}

/// An unsynced write as the test saw it: where and its per-sector contents.
#[derive(Clone, Debug)]
struct Unsynced {
    id: u32,
    sector: u64,
    sectors: Vec<Vec<u8>>,
}

/// The test's model of a disk with no faults: what reads see, what is
/// durable, and the writes not yet synced.
#[derive(Default)]
struct Model {
    visible: BTreeMap<u64, Vec<u8>>,
    synced: BTreeMap<u64, Vec<u8>>,
    unsynced: Vec<Unsynced>,
}

impl Model {
    /// Applies `ops` to `d` and the model, checking every result.
    fn run(&mut self, d: &mut Disk, ops: &[Op]) -> Result<(), TestCaseError> {
        for (i, op) in ops.iter().enumerate() {
            match *op {
                Op::Write {
                    sector,
                    sectors,
                    tail,
                } => {
                    let bytes = data(i as u32, sectors, tail);
                    let r = d.write(sector, &bytes);
                    if in_range(sector, sectors) {
                        prop_assert_eq!(r, Ok(()));
                        let parts = split(&bytes);
                        for (k, part) in parts.iter().enumerate() {
                            self.visible.insert(sector + k as u64, part.clone());
                        }
                        self.unsynced.push(Unsynced {
                            id: i as u32,
                            sector,
                            sectors: parts,
                        });
                    } else {
                        prop_assert_eq!(
                            r,
                            Err(DiskError::OutOfRange {
                                sector,
                                count: sectors
                            })
                        );
                    }
                }
                Op::Sync => {
                    prop_assert_eq!(d.sync(), Ok(()));
                    self.synced = self.visible.clone();
                    self.unsynced.clear();
                    prop_assert_eq!(d.unsynced_writes(), 0);
                }
                Op::Read { sector, count } => {
                    let r = d.read(sector, count);
                    if in_range(sector, count) {
                        prop_assert_eq!(r, Ok(expect(&self.visible, sector, count)));
                    } else {
                        prop_assert_eq!(r, Err(DiskError::OutOfRange { sector, count }));
                    }
                }
            }
            prop_assert_eq!(d.unsynced_writes(), self.unsynced.len());
        }
        Ok(())
    }

    /// Checks that every sector of `d` reads as `model` says.
    fn check_all(d: &Disk, model: &BTreeMap<u64, Vec<u8>>) -> Result<(), TestCaseError> {
        prop_assert_eq!(d.read(0, SECTORS), Ok(expect(model, 0, SECTORS)));
        let live: Vec<u64> = model.keys().copied().collect();
        prop_assert_eq!(d.live_sectors(), live);
        Ok(())
    }
}

/// Every sector of the device, one entry per sector.
fn contents(d: &Disk) -> Vec<Result<Vec<u8>, DiskError>> {
    (0..SECTORS).map(|s| d.read(s, 1)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// With no faults, every read returns exactly what was last written
    /// (zeros where nothing was), before and after syncs.
    #[test]
    fn reads_return_last_write(ops in prop::collection::vec(op(), 1..60)) {
        let mut d = disk();
        let mut m = Model::default();
        m.run(&mut d, &ops)?;
        Model::check_all(&d, &m.visible)?;
        d.sync().unwrap();
        Model::check_all(&d, &m.visible)?;
    }

    /// After a crash that drops unsynced writes, each sector holds its last
    /// synced contents; after a clean shutdown, a crash loses nothing.
    #[test]
    fn crash_keeps_exactly_the_synced(
        ops in prop::collection::vec(op(), 1..60),
        more in prop::collection::vec(op(), 0..30),
    ) {
        let mut d = disk();
        let mut m = Model::default();
        m.run(&mut d, &ops)?;
        let report = d.crash(CrashMode::DropUnsynced);
        prop_assert_eq!(report.writes.len(), m.unsynced.len());
        prop_assert!(report.writes.iter().all(|w| w.kept == 0));
        prop_assert_eq!(d.unsynced_writes(), 0);
        Model::check_all(&d, &m.synced)?;
        let mut m = Model { visible: m.synced.clone(), synced: m.synced, unsynced: vec![] };
        m.run(&mut d, &more)?;
        prop_assert_eq!(d.shutdown(), Ok(()));
        let report = d.crash(CrashMode::DropUnsynced);
        prop_assert!(!report.lost_anything());
        Model::check_all(&d, &m.visible)?;
        prop_assert_eq!(d.is_blank(), m.visible.is_empty());
    }

    /// After a torn crash, each sector holds its last synced contents or
    /// those of an unsynced write covering it, and each write kept a prefix
    /// of its sectors, applied in write order.
    #[test]
    fn tear_keeps_prefixes(ops in prop::collection::vec(op(), 1..60), seed in any::<u64>()) {
        let mut d = disk();
        let mut m = Model::default();
        m.run(&mut d, &ops)?;
        let report = d.crash(CrashMode::Tear { seed });
        prop_assert_eq!(d.unsynced_writes(), 0);
        prop_assert!(!d.is_fenced());
        // The report describes the unsynced writes, each keeping a prefix.
        prop_assert_eq!(report.writes.len(), m.unsynced.len());
        let mut want = m.synced.clone();
        for (w, u) in report.writes.iter().zip(&m.unsynced) {
            prop_assert_eq!((w.sector, w.sectors), (u.sector, u.sectors.len() as u64));
            prop_assert!(w.kept <= w.sectors);
            for k in 0..w.kept as usize {
                want.insert(u.sector + k as u64, u.sectors[k].clone());
            }
        }
        Model::check_all(&d, &want)?;
        // Independently of the report: each sector holds its synced contents
        // or one of the unsynced writes covering it...
        let got = contents(&d);
        let source = |s: u64| -> Option<u32> {
            let bytes = got[s as usize].as_ref().unwrap();
            m.unsynced.iter().rev().find(|u| {
                s >= u.sector
                    && s < u.sector + u.sectors.len() as u64
                    && u.sectors[(s - u.sector) as usize] == *bytes
            }).map(|u| u.id)
        };
        for s in 0..SECTORS {
            let bytes = got[s as usize].as_ref().unwrap();
            let synced = m.synced.get(&s).cloned().unwrap_or_else(|| vec![0; SS]);
            prop_assert!(*bytes == synced || source(s).is_some(), "sector {}", s);
        }
        // ...and a write that survives at one of its sectors survives at
        // every earlier one, unless a later write covers it.
        for u in &m.unsynced {
            for k in 1..u.sectors.len() as u64 {
                if source(u.sector + k) == Some(u.id) {
                    let before = source(u.sector + k - 1);
                    prop_assert!(before.is_some_and(|id| id >= u.id), "write {} torn mid-way", u.id);
                }
            }
        }
    }

    /// A fenced device fails every I/O and changes nothing until the crash.
    #[test]
    fn fence_fails_all_io_until_crash(
        ops in prop::collection::vec(op(), 0..40),
        after in prop::collection::vec(op(), 1..20),
    ) {
        let mut d = disk();
        let mut m = Model::default();
        m.run(&mut d, &ops)?;
        d.fence();
        for (i, op) in after.iter().enumerate() {
            let r = match *op {
                Op::Write { sector, sectors, tail } => d.write(sector, &data(1000 + i as u32, sectors, tail)),
                Op::Sync => d.sync(),
                Op::Read { sector, count } => d.read(sector, count).map(|_| ()),
            };
            prop_assert_eq!(r, Err(DiskError::Fenced));
            let mut buf = Vec::new();
            prop_assert_eq!(d.read_into(0, 1, &mut buf), Err(DiskError::Fenced));
        }
        prop_assert_eq!(d.shutdown(), Err(DiskError::Fenced));
        prop_assert_eq!(d.unsynced_writes(), m.unsynced.len());
        d.crash(CrashMode::DropUnsynced);
        prop_assert!(!d.is_fenced());
        Model::check_all(&d, &m.synced)?;
    }
}

/// A step of a sequence with faults, crashes and fences in it.
#[derive(Clone, Debug)]
enum Step {
    Io(Op),
    Fault(DiskFault),
    Crash(Option<u64>),
    Shutdown,
    Fence,
}

fn fault() -> impl Strategy<Value = DiskFault> {
    prop_oneof![
        (0..SECTORS + 2, any::<u64>())
            .prop_map(|(sector, seed)| DiskFault::BitRot { sector, seed }),
        (0..SECTORS + 2).prop_map(|sector| DiskFault::LatentSectorError { sector }),
        Just(DiskFault::LostWrite),
        (-40i64..40).prop_map(|offset| DiskFault::MisdirectedWrite { offset }),
        Just(DiskFault::SyncFailure),
        (0u64..8).prop_map(|free_sectors| DiskFault::DiskFull { free_sectors }),
        Just(DiskFault::DeviceLoss),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        12 => op().prop_map(Step::Io),
        2 => fault().prop_map(Step::Fault),
        1 => proptest::option::of(any::<u64>()).prop_map(Step::Crash),
        1 => Just(Step::Shutdown),
        1 => Just(Step::Fence),
    ]
}

/// Everything observable about one run of `steps`.
#[derive(Debug, PartialEq)]
struct Observed {
    results: Vec<String>,
    effects: Vec<FaultEffect>,
    contents: Vec<Result<Vec<u8>, DiskError>>,
    history: u64,
}

fn observe(steps: &[Step]) -> Observed {
    let mut d = disk();
    let mut results = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let r = match step {
            Step::Io(Op::Write {
                sector,
                sectors,
                tail,
            }) => format!("{:?}", d.write(*sector, &data(i as u32, *sectors, *tail))),
            Step::Io(Op::Sync) => format!("{:?}", d.sync()),
            Step::Io(Op::Read { sector, count }) => format!("{:?}", d.read(*sector, *count)),
            Step::Fault(f) => format!("{:?}", d.inject(*f)),
            Step::Crash(None) => format!("{:?}", d.crash(CrashMode::DropUnsynced)),
            Step::Crash(Some(seed)) => format!("{:?}", d.crash(CrashMode::Tear { seed: *seed })),
            Step::Shutdown => format!("{:?}", d.shutdown()),
            Step::Fence => {
                d.fence();
                String::new()
            }
        };
        results.push(r);
    }
    let effects = d.take_effects();
    d.crash(CrashMode::DropUnsynced);
    Observed {
        results,
        effects,
        contents: contents(&d),
        history: d.history_hash(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The same operations on the same seeds give the same results, effects,
    /// contents and history; faults never make the device panic.
    #[test]
    fn same_seed_same_history(steps in prop::collection::vec(step(), 1..60)) {
        let a = observe(&steps);
        let b = observe(&steps);
        prop_assert_eq!(a, b);
    }

    /// The history hash tells apart runs whose writes differ.
    #[test]
    fn history_covers_write_data(steps in prop::collection::vec(step(), 1..30), byte in 1u8..) {
        let mut d = disk();
        let mut e = disk();
        for s in &steps {
            if let Step::Fault(f) = s {
                d.inject(*f);
                e.inject(*f);
            }
        }
        let _ = d.write(0, &[0]);
        let _ = e.write(0, &[byte]);
        prop_assert_ne!(d.history_hash(), e.history_hash());
    }
}
