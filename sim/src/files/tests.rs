use super::*;
use crate::disk::{CrashMode, Disk, DiskFault};
use crate::host::disk_handle;

const CONFIG: FilesConfig = FilesConfig {
    slots: 4,
    slot_sectors: 16,
};

fn fresh() -> Files {
    let disk = disk_handle(Disk::new(DiskConfig {
        sector_size: 512,
        sectors: 128,
    }));
    Files::mount(disk, CONFIG).unwrap()
}

fn read_all(f: &Files, id: FileId) -> Vec<u8> {
    let mut buf = vec![0xee; f.size(id).unwrap() as usize + 3];
    let n = f.read(id, 0, &mut buf).unwrap();
    assert_eq!(n as u64, f.size(id).unwrap());
    assert_eq!(&buf[n..], &[0xee; 3]);
    buf.truncate(n);
    buf
}

/// Power loss: drop every unsynced write, then mount again.
fn power_loss(f: Files) -> Files {
    let disk = f.disk().clone();
    drop(f);
    lock_disk(&disk).crash(CrashMode::DropUnsynced);
    Files::mount(disk, CONFIG).unwrap()
}

#[test]
fn reads_back_writes_with_zero_gaps() {
    let mut f = fresh();
    let id = f.create("a").unwrap();
    assert_eq!(f.size(id), Ok(0));
    f.write(id, 700, b"hello").unwrap();
    assert_eq!(f.size(id), Ok(705));
    let mut want = vec![0u8; 700];
    want.extend_from_slice(b"hello");
    assert_eq!(read_all(&f, id), want);
    // An overwrite inside a sector keeps its neighbours.
    f.write(id, 702, b"LL").unwrap();
    want[702..704].copy_from_slice(b"LL");
    assert_eq!(read_all(&f, id), want);
    // Reads past the end are short.
    let mut buf = [7u8; 10];
    assert_eq!(f.read(id, 700, &mut buf), Ok(5));
    assert_eq!(&buf[..5], b"heLLo");
    assert_eq!(f.read(id, 705, &mut buf), Ok(0));
    assert_eq!(f.read(id, 9999, &mut buf), Ok(0));
}

#[test]
fn truncate_then_grow_reads_zeros() {
    let mut f = fresh();
    let id = f.create("a").unwrap();
    f.write(id, 0, &[9u8; 2000]).unwrap();
    f.truncate(id, 600).unwrap();
    assert_eq!(read_all(&f, id), vec![9u8; 600]);
    f.write(id, 1500, b"x").unwrap();
    let mut want = vec![9u8; 600];
    want.resize(1500, 0);
    want.push(b'x');
    assert_eq!(read_all(&f, id), want);
    f.truncate(id, 0).unwrap();
    f.truncate(id, 1024).unwrap();
    assert_eq!(read_all(&f, id), vec![0u8; 1024]);
    assert_eq!(
        f.truncate(id, 16 * 512 + 1),
        Err(FilesError::TooLarge {
            size: 16 * 512 + 1,
            max: 16 * 512
        })
    );
    assert!(matches!(
        f.write(id, 16 * 512, b"x"),
        Err(FilesError::TooLarge { .. })
    ));
    assert!(matches!(
        f.write(id, u64::MAX, b"x"),
        Err(FilesError::TooLarge { .. })
    ));
}

#[test]
fn names_ids_and_errors() {
    let mut f = fresh();
    let a = f.create("a").unwrap();
    assert_eq!(f.create("a"), Err(FilesError::Exists("a".into())));
    assert!(matches!(f.create(""), Err(FilesError::InvalidName(_))));
    assert!(matches!(
        f.create(&"n".repeat(MAX_NAME + 1)),
        Err(FilesError::InvalidName(_))
    ));
    assert_eq!(f.open("a"), Ok(a));
    assert_eq!(f.open("b"), Err(FilesError::NotFound("b".into())));
    f.delete("a").unwrap();
    assert_eq!(f.size(a), Err(FilesError::Stale));
    assert_eq!(f.delete("a"), Err(FilesError::NotFound("a".into())));
    assert!(!f.exists("a"));
    f.create("b").unwrap();
    f.create("a").unwrap();
    assert_eq!(f.names(), vec!["a".to_string(), "b".to_string()]);
}

#[test]
fn deleted_slots_wait_for_a_durable_deletion() {
    let mut f = fresh();
    for n in ["a", "b", "c", "d"] {
        f.create(n).unwrap();
    }
    assert_eq!(f.create("e"), Err(FilesError::DirectoryFull));
    f.sync_dir().unwrap();
    f.delete("a").unwrap();
    // The deletion is not durable: the slot cannot be reused yet.
    assert_eq!(f.create("e"), Err(FilesError::DirectoryFull));
    f.sync_dir().unwrap();
    f.create("e").unwrap();
}

#[test]
fn sync_makes_data_durable_and_sync_dir_the_name() {
    let mut f = fresh();
    let a = f.create("a").unwrap();
    f.write(a, 0, b"synced").unwrap();
    f.sync(a).unwrap();
    // The file's sync does not make its creation durable.
    let f2 = power_loss(f);
    assert!(f2.names().is_empty());
    let mut f = f2;
    let a = f.create("a").unwrap();
    f.write(a, 0, b"synced").unwrap();
    f.sync(a).unwrap();
    f.sync_dir().unwrap();
    f.write(a, 0, b"UNSYNCED-and-longer").unwrap();
    let b = f.create("b").unwrap();
    f.write(b, 0, b"b").unwrap();
    f.sync(b).unwrap();
    let f = power_loss(f);
    assert_eq!(f.names(), vec!["a".to_string()]);
    let a = f.open("a").unwrap();
    assert_eq!(read_all(&f, a), b"synced");
}

#[test]
fn a_created_file_never_synced_is_empty() {
    let mut f = fresh();
    let a = f.create("a").unwrap();
    f.sync_dir().unwrap();
    f.write(a, 0, b"never synced").unwrap();
    let f = power_loss(f);
    let a = f.open("a").unwrap();
    assert_eq!(f.size(a), Ok(0));
}

#[test]
fn deleted_file_comes_back_whole() {
    let mut f = fresh();
    let a = f.create("a").unwrap();
    f.write(a, 0, &[5u8; 1000]).unwrap();
    f.sync(a).unwrap();
    f.sync_dir().unwrap();
    f.delete("a").unwrap();
    let b = f.create("b").unwrap();
    f.write(b, 0, &[6u8; 3000]).unwrap();
    f.sync(b).unwrap();
    let f = power_loss(f);
    assert_eq!(f.names(), vec!["a".to_string()]);
    assert_eq!(read_all(&f, f.open("a").unwrap()), vec![5u8; 1000]);
}

#[test]
fn a_surviving_recreation_wins_over_its_name() {
    let mut f = fresh();
    let a = f.create("a").unwrap();
    f.write(a, 0, b"old").unwrap();
    f.sync(a).unwrap();
    f.sync_dir().unwrap();
    f.delete("a").unwrap();
    let a = f.create("a").unwrap();
    f.write(a, 0, b"new").unwrap();
    f.sync(a).unwrap();
    // Lose only the deletion: sync the new file's directory sector alone.
    let new_dir_sector = f.layout.dir_sector(a.slot);
    lock_disk(f.disk()).sync_range(new_dir_sector, 1).unwrap();
    let mut f = power_loss(f);
    assert_eq!(f.names(), vec!["a".to_string()]);
    let a = f.open("a").unwrap();
    assert_eq!(read_all(&f, a), b"new");
    // Mount made the old entry's deletion durable: delete the new file,
    // keep only that deletion through a crash, and nothing comes back.
    f.delete("a").unwrap();
    lock_disk(f.disk()).sync_range(new_dir_sector, 1).unwrap();
    let f = power_loss(f);
    assert!(f.names().is_empty(), "{:?}", f.names());
}

#[test]
fn a_surviving_recreation_in_a_lower_slot_wins_too() {
    let mut f = fresh();
    f.create("x").unwrap();
    // Churn slot 1 so that its file's generation is not below slot 0's.
    for _ in 0..3 {
        f.create("a").unwrap();
        f.sync_dir().unwrap();
        f.delete("a").unwrap();
        f.sync_dir().unwrap();
    }
    let a = f.create("a").unwrap();
    assert_eq!(a.slot, 1);
    f.write(a, 0, b"old").unwrap();
    f.sync(a).unwrap();
    f.delete("x").unwrap();
    f.sync_dir().unwrap();
    f.delete("a").unwrap();
    let a = f.create("a").unwrap();
    assert_eq!(a.slot, 0);
    f.write(a, 0, b"new").unwrap();
    f.sync(a).unwrap();
    lock_disk(f.disk())
        .sync_range(f.layout.dir_sector(0), 1)
        .unwrap();
    let f = power_loss(f);
    assert_eq!(f.names(), vec!["a".to_string()]);
    assert_eq!(read_all(&f, f.open("a").unwrap()), b"new");
}

#[test]
fn a_slot_is_reused_only_once_its_deletion_is_durable() {
    let mut f = fresh();
    // Created, synced and deleted, never in a synced directory.
    let a = f.create("a").unwrap();
    f.write(a, 0, b"deleted").unwrap();
    f.sync(a).unwrap();
    f.delete("a").unwrap();
    // Other free slots are taken first.
    for n in ["b", "c", "d"] {
        assert_ne!(f.create(n).unwrap().slot, a.slot);
    }
    // The last free slot is a's: its deletion is made durable, then reused.
    let syncs = lock_disk(f.disk()).stats().syncs;
    let e = f.create("e").unwrap();
    assert_eq!(e.slot, a.slot);
    assert_eq!(lock_disk(f.disk()).stats().syncs, syncs + 1);
    // Whatever a crash keeps, "a" stays deleted.
    for seed in 0..64 {
        let disk = disk_handle(lock_disk(f.disk()).clone());
        lock_disk(&disk).crash(CrashMode::Tear { seed });
        let g = Files::mount(disk, CONFIG).unwrap();
        assert!(!g.exists("a"), "seed {seed}: {:?}", g.names());
    }
}

#[test]
fn storage_faults_reach_file_contents() {
    let mut f = fresh();
    let a = f.create("a").unwrap();
    f.write(a, 0, &[1u8; 1024]).unwrap();
    f.sync(a).unwrap();
    let sectors = f.data_sectors(a).unwrap();
    assert_eq!(sectors.end - sectors.start, 2);
    lock_disk(f.disk()).inject(DiskFault::BitRot {
        sector: sectors.start + 1,
        seed: 3,
    });
    assert_ne!(read_all(&f, a), vec![1u8; 1024]);
    lock_disk(f.disk()).inject(DiskFault::LatentSectorError {
        sector: sectors.start,
    });
    let mut buf = [0u8; 10];
    assert!(matches!(
        f.read(a, 0, &mut buf),
        Err(FilesError::Disk(DiskError::Unreadable { .. }))
    ));
}

#[test]
fn failed_sync_reloads_what_it_dropped() {
    let mut f = fresh();
    let a = f.create("a").unwrap();
    f.write(a, 0, b"kept").unwrap();
    f.sync(a).unwrap();
    f.sync_dir().unwrap();
    f.write(a, 0, b"dropped by the failed sync").unwrap();
    lock_disk(f.disk()).inject(DiskFault::SyncFailure);
    assert_eq!(f.sync(a), Err(FilesError::Disk(DiskError::SyncFailed)));
    assert_eq!(read_all(&f, a), b"kept");
    let b = f.create("b").unwrap();
    lock_disk(f.disk()).inject(DiskFault::SyncFailure);
    assert_eq!(f.sync_dir(), Err(FilesError::Disk(DiskError::SyncFailed)));
    assert!(!f.exists("b"));
    assert_eq!(f.size(b), Err(FilesError::Stale));
}

#[test]
fn corrupt_metadata_fails_the_mount() {
    let mut f = fresh();
    f.create("a").unwrap();
    f.sync_dir().unwrap();
    let disk = f.disk().clone();
    let sector = f.layout.dir_sector(0);
    drop(f);
    lock_disk(&disk).inject(DiskFault::BitRot { sector, seed: 1 });
    assert!(matches!(
        Files::mount(disk.clone(), CONFIG),
        Err(FilesError::Corrupt { sector: 1, .. })
    ));
    let other = FilesConfig {
        slots: 2,
        slot_sectors: 16,
    };
    assert!(matches!(
        Files::mount(disk, other),
        Err(FilesError::Layout(_))
    ));
    let small = disk_handle(Disk::new(DiskConfig {
        sector_size: 512,
        sectors: 8,
    }));
    assert!(matches!(
        Files::mount(small, CONFIG),
        Err(FilesError::Layout(_))
    ));
}

#[test]
fn fenced_disk_fails_every_operation() {
    let mut f = fresh();
    let a = f.create("a").unwrap();
    lock_disk(f.disk()).fence();
    assert!(matches!(
        f.write(a, 0, b"x"),
        Err(FilesError::Disk(DiskError::Fenced))
    ));
    assert!(matches!(
        f.create("b"),
        Err(FilesError::Disk(DiskError::Fenced))
    ));
    assert!(matches!(
        f.delete("a"),
        Err(FilesError::Disk(DiskError::Fenced))
    ));
    assert!(matches!(
        f.sync(a),
        Err(FilesError::Disk(DiskError::Fenced))
    ));
    assert_eq!(f.size(a), Ok(0));
    assert_eq!(f.names(), vec!["a".to_string()]);
}
