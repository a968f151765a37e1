//! The device's contract, fault by fault.

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
