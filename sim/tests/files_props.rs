//! Properties of the file layer (`sim::files`): without a crash it reads
//! back what was written; after any crash, synced data and sizes survive,
//! a synced directory keeps its files, each unsynced creation or deletion
//! either happened or not, and nothing is read that no write put there;
//! the same operations and seeds give the same bytes.

use lastcopy_sim::disk::{CrashMode, Disk, DiskConfig};
use lastcopy_sim::files::{FileId, Files, FilesConfig, FilesError};
use lastcopy_sim::host::{disk_handle, lock_disk};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const CONFIG: FilesConfig = FilesConfig {
    slots: 4,
    slot_sectors: 8,
};
const NAMES: [&str; 3] = ["f0", "f1", "f2"];
/// Words (8 bytes) per file at most: 8 sectors of 512 bytes.
const MAX_WORDS: usize = 512;

#[derive(Clone, Debug)]
enum Op {
    Create(usize),
    Delete(usize),
    /// Writes `words` words at word offset `at`.
    Write {
        n: usize,
        at: usize,
        words: usize,
    },
    Truncate {
        n: usize,
        words: usize,
    },
    Sync(usize),
    SyncDir,
    /// Power loss: `None` drops every unsynced write, `Some(seed)` tears.
    Crash(Option<u64>),
}

fn op() -> impl Strategy<Value = Op> {
    let n = 0..NAMES.len();
    prop_oneof![
        3 => n.clone().prop_map(Op::Create),
        1 => n.clone().prop_map(Op::Delete),
        8 => (n.clone(), 0usize..300, 1usize..140).prop_map(|(n, at, words)| Op::Write { n, at, words }),
        2 => (n.clone(), 0usize..320).prop_map(|(n, words)| Op::Truncate { n, words }),
        3 => n.prop_map(Op::Sync),
        2 => Just(Op::SyncDir),
        1 => proptest::option::of(any::<u64>()).prop_map(Op::Crash),
    ]
}

/// The word a write numbered `id` puts at word offset `w`: it names both,
/// so a word read back tells which write (if any) put it there.
fn word(id: u32, w: usize) -> u64 {
    u64::from(id) << 32 | w as u64
}

/// One file (one creation of a name) as the test saw it.
#[derive(Clone, Debug, Default)]
struct Inc {
    content: Vec<u64>,
    /// Its contents at its last sync, if it had one.
    synced: Option<Vec<u64>>,
    /// Words changed since the last sync (or ever, if never synced).
    touched: BTreeSet<usize>,
    /// Sizes it had since the last sync (or ever), in words.
    sizes: BTreeSet<usize>,
}

impl Inc {
    fn resize(&mut self, words: usize) {
        let old = self.content.len();
        self.touched.extend(words.min(old)..words.max(old));
        self.content.resize(words, 0);
        self.sizes.insert(words);
    }

    /// Whether `got` is what this file may read as after a crash.
    fn allows(&self, got: &[u64], written: &BTreeMap<usize, BTreeSet<u32>>) -> Result<(), String> {
        let never_synced = Vec::new();
        let synced = self.synced.as_ref().unwrap_or(&never_synced);
        let size_ok = got.len() == synced.len() || self.sizes.contains(&got.len());
        if !size_ok {
            return Err(format!(
                "size {} words; synced {}, sizes since {:?}",
                got.len(),
                synced.len(),
                self.sizes
            ));
        }
        for (w, &v) in got.iter().enumerate() {
            if w < synced.len() && !self.touched.contains(&w) {
                if v != synced[w] {
                    return Err(format!("word {w}: {v:#x}, synced {:#x}", synced[w]));
                }
            } else if v != 0 {
                let by = (v >> 32) as u32;
                if (v & 0xffff_ffff) as usize != w
                    || !written.get(&w).is_some_and(|ids| ids.contains(&by))
                {
                    return Err(format!("word {w}: {v:#x} was never written there"));
                }
            }
        }
        Ok(())
    }
}

/// Per name: the file at the last directory sync, the files since, and
/// which is current.
#[derive(Clone, Debug, Default)]
struct NameState {
    /// The file the durable directory lists under this name.
    durable: Option<usize>,
    /// Files created since the last directory sync.
    since: Vec<usize>,
    /// Whether the name was deleted since the last directory sync.
    deleted_since: bool,
    current: Option<usize>,
}

#[derive(Default)]
struct Model {
    incs: Vec<Inc>,
    names: [NameState; 3],
    /// Per word offset, every write id that wrote it, in any file.
    written: BTreeMap<usize, BTreeSet<u32>>,
}

impl Model {
    fn slots_taken(&self) -> usize {
        self.names
            .iter()
            .map(|n| {
                let live = n.current.is_some();
                let pending_delete = n.durable.is_some() && n.current != n.durable;
                usize::from(live) + usize::from(pending_delete)
            })
            .sum()
    }
}

/// Everything observable after a run.
#[derive(Debug, PartialEq)]
struct Observed {
    files: Vec<(String, Vec<u8>)>,
    history: u64,
}

fn read_words(f: &Files, id: FileId) -> Result<Vec<u64>, TestCaseError> {
    let size = f.size(id).unwrap() as usize;
    prop_assert_eq!(size % 8, 0);
    let mut buf = vec![0u8; size];
    prop_assert_eq!(f.read(id, 0, &mut buf), Ok(size));
    Ok(buf
        .chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect())
}

fn mount(disk: Option<Disk>) -> Files {
    let disk = disk_handle(disk.unwrap_or_else(|| {
        Disk::new(DiskConfig {
            sector_size: 512,
            sectors: 1 + 8 + 32,
        })
    }));
    Files::mount(disk, CONFIG).unwrap()
}

/// Runs `ops`, checking every result against the model.
fn run(ops: &[Op]) -> Result<Observed, TestCaseError> {
    let mut f = mount(None);
    let mut m = Model::default();
    for (i, op) in ops.iter().enumerate() {
        let id = i as u32 + 1;
        match *op {
            Op::Create(n) => {
                let r = f.create(NAMES[n]);
                if m.names[n].current.is_some() {
                    prop_assert_eq!(r, Err(FilesError::Exists(NAMES[n].into())));
                } else if m.slots_taken() >= CONFIG.slots as usize {
                    prop_assert_eq!(r, Err(FilesError::DirectoryFull));
                } else {
                    prop_assert!(r.is_ok(), "{:?}", r);
                    m.incs.push(Inc {
                        sizes: [0].into(),
                        ..Inc::default()
                    });
                    let inc = m.incs.len() - 1;
                    m.names[n].since.push(inc);
                    m.names[n].current = Some(inc);
                }
            }
            Op::Delete(n) => {
                let r = f.delete(NAMES[n]);
                if m.names[n].current.take().is_some() {
                    prop_assert_eq!(r, Ok(()));
                    m.names[n].deleted_since = true;
                } else {
                    prop_assert_eq!(r, Err(FilesError::NotFound(NAMES[n].into())));
                }
            }
            Op::Write { n, at, words } => {
                let Some(inc) = m.names[n].current else {
                    continue;
                };
                let fid = f.open(NAMES[n]).unwrap();
                let data: Vec<u8> = (at..at + words)
                    .flat_map(|w| word(id, w).to_le_bytes())
                    .collect();
                prop_assert_eq!(f.write(fid, at as u64 * 8, &data), Ok(()));
                let file = &mut m.incs[inc];
                if at + words > file.content.len() {
                    file.resize(at + words);
                }
                for w in at..at + words {
                    file.content[w] = word(id, w);
                    file.touched.insert(w);
                    m.written.entry(w).or_default().insert(id);
                }
            }
            Op::Truncate { n, words } => {
                let Some(inc) = m.names[n].current else {
                    continue;
                };
                let fid = f.open(NAMES[n]).unwrap();
                prop_assert_eq!(f.truncate(fid, words as u64 * 8), Ok(()));
                if words != m.incs[inc].content.len() {
                    m.incs[inc].resize(words);
                }
            }
            Op::Sync(n) => {
                let Some(inc) = m.names[n].current else {
                    continue;
                };
                prop_assert_eq!(f.sync(f.open(NAMES[n]).unwrap()), Ok(()));
                let file = &mut m.incs[inc];
                file.synced = Some(file.content.clone());
                file.touched.clear();
                file.sizes = [file.content.len()].into();
            }
            Op::SyncDir => {
                prop_assert_eq!(f.sync_dir(), Ok(()));
                for s in &mut m.names {
                    s.durable = s.current;
                    s.since.clear();
                    s.deleted_since = false;
                }
            }
            Op::Crash(seed) => {
                let disk = f.disk().clone();
                drop(f);
                let mode = seed.map_or(CrashMode::DropUnsynced, |seed| CrashMode::Tear { seed });
                lock_disk(&disk).crash(mode);
                let d = lock_disk(&disk).clone();
                f = mount(Some(d));
                check_crash(&f, &mut m)?;
            }
        }
        // Without a crash, every file reads back as written.
        for (n, s) in m.names.iter().enumerate() {
            match s.current {
                Some(inc) => {
                    let got = read_words(&f, f.open(NAMES[n]).unwrap())?;
                    prop_assert_eq!(&got, &m.incs[inc].content, "{} after op {}", NAMES[n], i);
                }
                None => prop_assert!(!f.exists(NAMES[n])),
            }
        }
    }
    let files = f
        .names()
        .into_iter()
        .map(|name| {
            let id = f.open(&name).unwrap();
            let mut buf = vec![0u8; f.size(id).unwrap() as usize];
            f.read(id, 0, &mut buf).unwrap();
            (name, buf)
        })
        .collect();
    let history = lock_disk(f.disk()).history_hash();
    Ok(Observed { files, history })
}

/// Checks what a crash left against the model, then takes it as the new
/// durable state.
fn check_crash(f: &Files, m: &mut Model) -> Result<(), TestCaseError> {
    for (n, s) in m.names.clone().iter().enumerate() {
        let name = NAMES[n];
        if !f.exists(name) {
            prop_assert!(
                s.durable.is_none() || s.deleted_since,
                "{} vanished though its file's existence was durable",
                name
            );
            m.names[n] = NameState::default();
            continue;
        }
        let got = read_words(f, f.open(name).unwrap())?;
        let candidates: Vec<usize> = s.durable.iter().chain(&s.since).copied().collect();
        prop_assert!(
            !candidates.is_empty(),
            "{} exists though never durably or since created",
            name
        );
        let verdicts: Vec<Result<(), String>> = candidates
            .iter()
            .map(|&c| m.incs[c].allows(&got, &m.written))
            .collect();
        prop_assert!(
            verdicts.iter().any(|v| v.is_ok()),
            "{} after the crash: {:?}",
            name,
            verdicts
        );
        m.incs.push(Inc {
            content: got.clone(),
            synced: Some(got.clone()),
            touched: BTreeSet::new(),
            sizes: [got.len()].into(),
        });
        let inc = m.incs.len() - 1;
        m.names[n] = NameState {
            durable: Some(inc),
            current: Some(inc),
            ..NameState::default()
        };
    }
    Ok(())
}

/// 256 cases from a fixed seed, so `cargo test` is the same run every time;
/// `PROPTEST_RNG_SEED=N` (and `PROPTEST_CASES`) explore other cases.
fn config() -> ProptestConfig {
    let mut c = ProptestConfig::with_cases(256);
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = proptest::test_runner::RngSeed::Fixed(0x1a57_c0b1);
    }
    c
}

proptest! {
    #![proptest_config(config())]

    /// Every result and every read matches the model; every crash leaves
    /// only what the model allows.
    #[test]
    fn crashes_keep_what_the_model_promises(ops in prop::collection::vec(op(), 1..80)) {
        run(&ops)?;
    }

    /// The same operations and crash seeds give the same files and the
    /// same disk history.
    #[test]
    fn same_seed_same_bytes(ops in prop::collection::vec(op(), 1..60)) {
        prop_assert_eq!(run(&ops)?, run(&ops)?);
    }
}

// The strategies keep every file under its slot's size, so that no
// operation is refused for size.
const _: () = assert!(300 + 140 <= MAX_WORDS && 320 <= MAX_WORDS);

/// Found by `crashes_keep_what_the_model_promises` on 2026-11-29: a file
/// deleted and created again (in another slot) before a torn crash can
/// come back with both entries durable. The layer then kept the superseded
/// slot until the next directory sync, refusing a create that needed it,
/// and a second crash could bring the superseded file back. Mount now
/// writes that slot's deletion out and syncs it: the slot is free at once,
/// as the model counts it.
#[test]
fn a_torn_crash_after_a_delete_leaves_the_model_and_the_layer_agreeing() {
    use Op::*;
    let w = |n| Write { n, at: 0, words: 1 };
    let ops = [
        Create(2),
        Create(1),
        SyncDir,
        Crash(None),
        w(1),
        Create(0),
        Sync(0),
        w(0),
        SyncDir,
        Delete(0),
        w(1),
        Create(0),
        Crash(Some(2_775_181_051_118_187_929)),
        Delete(1),
        Create(1),
    ];
    run(&ops).expect("the layer does what the model says");
}

/// Found with `PROPTEST_CASES=4000` on 2026-11-29: a file created, written
/// and synced, then deleted, all before any directory sync, came back from
/// a torn crash with size 0, where the model allows it gone or with its
/// synced word. The layer reused its slot for the next file at once, so
/// the crash could keep the deleted file's old directory record beside the
/// new file's inode. The layer now leaves such a slot alone until its
/// record is durable.
#[test]
fn a_deleted_file_a_torn_crash_brings_back_keeps_its_synced_content() {
    use Op::*;
    let ops = [
        Create(0),
        SyncDir,
        Create(1),
        Write {
            n: 1,
            at: 0,
            words: 1,
        },
        Sync(1),
        Sync(0),
        Delete(1),
        Create(2),
        Crash(Some(15_894_793_945_621_901_340)),
    ];
    run(&ops).expect("the layer does what the model says");
}
