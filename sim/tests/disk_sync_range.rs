//! Properties of `Disk::sync_range`, the per-file sync the file layer is
//! built on: it makes durable exactly the unsynced sectors in its range, in
//! write order, and nothing outside it.

use lastcopy_sim::disk::{CrashMode, Disk, DiskConfig};
use proptest::prelude::*;
use std::collections::BTreeMap;

const SS: usize = 512;
const SECTORS: u64 = 24;

#[derive(Clone, Debug)]
enum Op {
    Write { sector: u64, sectors: u64 },
    SyncRange { first: u64, count: u64 },
    Sync,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..SECTORS - 3, 1u64..=3).prop_map(|(sector, sectors)| Op::Write { sector, sectors }),
        3 => (0..SECTORS, 1u64..=8)
            .prop_map(|(first, count)| Op::SyncRange { first, count: count.min(SECTORS - first) }),
        1 => Just(Op::Sync),
    ]
}

/// Per sector: its durable contents and the versions written since.
#[derive(Default)]
struct Model {
    durable: BTreeMap<u64, Vec<u8>>,
    since: BTreeMap<u64, Vec<Vec<u8>>>,
}

fn sector_data(id: usize, k: u64) -> Vec<u8> {
    let mut v = vec![(id as u8) | 1; SS];
    v[..8].copy_from_slice(&(id as u64 * 100 + k).to_le_bytes());
    v
}

fn run(ops: &[Op]) -> (Disk, Model) {
    let mut d = Disk::new(DiskConfig {
        sector_size: SS,
        sectors: SECTORS,
    });
    let mut m = Model::default();
    for (id, op) in ops.iter().enumerate() {
        match *op {
            Op::Write { sector, sectors } => {
                let mut bytes = Vec::new();
                for k in 0..sectors {
                    let data = sector_data(id, k);
                    m.since.entry(sector + k).or_default().push(data.clone());
                    bytes.extend(data);
                }
                d.write(sector, &bytes).unwrap();
            }
            Op::SyncRange { first, count } => {
                d.sync_range(first, count).unwrap();
                for s in first..first + count {
                    if let Some(mut v) = m.since.remove(&s) {
                        m.durable.insert(s, v.pop().unwrap());
                    }
                }
            }
            Op::Sync => {
                d.sync().unwrap();
                for (s, mut v) in std::mem::take(&mut m.since) {
                    m.durable.insert(s, v.pop().unwrap());
                }
            }
        }
    }
    (d, m)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// After a crash that drops unsynced writes, every sector holds what it
    /// held at the last sync or synced range that covered it.
    #[test]
    fn crash_keeps_exactly_what_ranges_synced(ops in prop::collection::vec(op(), 1..50)) {
        let (mut d, m) = run(&ops);
        let unsynced_sectors: usize = m.since.len();
        prop_assert_eq!(d.unsynced_writes() == 0, unsynced_sectors == 0);
        d.crash(CrashMode::DropUnsynced);
        for s in 0..SECTORS {
            let want = m.durable.get(&s).cloned().unwrap_or_else(|| vec![0; SS]);
            prop_assert_eq!(d.read(s, 1).unwrap(), want, "sector {}", s);
        }
    }

    /// After a torn crash, every sector holds its durable contents or a
    /// version written to it since; the same ops and seed give the same
    /// history.
    #[test]
    fn tear_keeps_durable_or_later(ops in prop::collection::vec(op(), 1..50), seed in any::<u64>()) {
        let (mut d, m) = run(&ops);
        let (mut e, _) = run(&ops);
        d.crash(CrashMode::Tear { seed });
        e.crash(CrashMode::Tear { seed });
        prop_assert_eq!(d.history_hash(), e.history_hash());
        for s in 0..SECTORS {
            let got = d.read(s, 1).unwrap();
            let durable = m.durable.get(&s).cloned().unwrap_or_else(|| vec![0; SS]);
            let later = m.since.get(&s).is_some_and(|v| v.contains(&got));
            prop_assert!(got == durable || later, "sector {}", s);
            prop_assert_eq!(&got, &e.read(s, 1).unwrap());
        }
    }
}
