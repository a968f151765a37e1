//! The photo library's machines stepped by hand, without madsim: a small
//! router delivers every message at once, and the tests drive ticks,
//! incidents and crashes themselves. Each test shows one thing a design
//! does that the promise depends on.

use lastcopy_harness::sim::disk::CrashMode;
use lastcopy_harness::sim::host::{lock_disk, Addr, Boot, Io, Machine};
use lastcopy_harness::sim::ledger::LedgerHandle;
use lastcopy_harness::sim::lineage::Lineage;
use lastcopy_harness::sim::place::{Place, View};
use lastcopy_harness::sim::record::VersionId;
use lastcopy_harness::sim::time::SimTime;
use lastcopy_harness::sim::trace::Tracer;
use lastcopy_harness::system::{NodeSpec, System};
use lastcopy_photo::action::Action;
use lastcopy_photo::msg::Msg;
use lastcopy_photo::row::record;
use lastcopy_photo::topology::writer_of;
use lastcopy_photo::{
    Design, PhotoLibrary, PhotoNode, Section, DEVICE_PLACES, SERVICE_PLACE, SYNC_TIMER, TICK_TIMER,
};
use std::collections::VecDeque;
use std::time::Duration;

const PHONE: u32 = 0;
const TABLET: u32 = 1;
const PRIMARY: u32 = 3;
const META_SYNC: u32 = 4;
const VOLUME_0: u32 = 6;

/// Every node of a three-device run, with a router and the run's trace,
/// lineage and ledger.
struct Rig {
    tracer: Tracer,
    lineage: Lineage,
    ledger: LedgerHandle,
    specs: Vec<NodeSpec<PhotoNode>>,
    nodes: Vec<PhotoNode>,
    now: SimTime,
    queue: VecDeque<(Addr, Addr, Msg)>,
}

impl Rig {
    fn new(design: Design) -> Self {
        let system = PhotoLibrary::try_from(Section::default()).expect("defaults are valid");
        let specs = system.nodes(&design);
        let nodes = specs.iter().map(|s| (s.factory)()).collect();
        let tracer = Tracer::new();
        let mut rig = Rig {
            lineage: Lineage::new(tracer.clone()),
            tracer,
            ledger: LedgerHandle::new(),
            specs,
            nodes,
            now: SimTime(1000),
            queue: VecDeque::new(),
        };
        for i in 0..rig.nodes.len() as u32 {
            rig.step(i, |n, io| n.boot(Boot::First, io));
        }
        rig.deliver();
        rig
    }

    fn step(&mut self, i: u32, f: impl FnOnce(&mut PhotoNode, &mut Io<'_, Msg>)) {
        let name = self.specs[i as usize].name.clone();
        let mut io = Io::new(
            self.now,
            &name,
            Addr(i),
            &self.tracer,
            &self.lineage,
            &self.ledger,
        );
        f(&mut self.nodes[i as usize], &mut io);
        for (to, m) in io.into_outputs().sends {
            self.queue.push_back((Addr(i), to, m));
        }
    }

    fn deliver(&mut self) {
        while let Some((from, to, m)) = self.queue.pop_front() {
            self.step(to.0, |n, io| n.on_message(from, m, io));
        }
    }

    fn act(&mut self, i: u32, action: Action) {
        self.step(i, |n, io| n.on_input(action, io));
        self.deliver();
    }

    /// A device's sync tick (or a service node's housekeeping), answered.
    fn tick(&mut self, i: u32) {
        let key = if i < PRIMARY { SYNC_TIMER } else { TICK_TIMER };
        self.step(i, |n, io| n.on_timer(key, io));
        self.deliver();
    }

    fn later(&mut self, d: Duration) {
        self.now = self.now.after(d);
    }

    fn crash(&mut self, i: u32) {
        let disk = self.specs[i as usize].disks[0].1.clone();
        lock_disk(&disk).crash(CrashMode::DropUnsynced);
        self.nodes[i as usize] = (self.specs[i as usize].factory)();
        self.step(i, |n, io| n.boot(Boot::Crash, io));
        self.deliver();
    }

    fn device_view(&self, d: u32) -> View {
        let place = Place {
            user: 0,
            kind: DEVICE_PLACES[d as usize],
            index: d,
        };
        PhotoLibrary::served(&self.nodes[d as usize], place).expect("a device serves")
    }

    fn service_view(&self) -> Option<View> {
        let place = Place {
            user: 0,
            kind: SERVICE_PLACE,
            index: 0,
        };
        PhotoLibrary::served(&self.nodes[PRIMARY as usize], place)
    }

    fn synced(&self, photo: u32, version: VersionId) -> bool {
        self.ledger.is_synced(record(0, photo), version)
    }
}

fn add(photo: u32, seq: u32) -> Action {
    Action::Add {
        photo,
        seq,
        blob_seed: u64::from(photo) * 7 + 1,
        blob_len: 5000 + photo * 100,
    }
}

fn v(device: u32, seq: u32) -> VersionId {
    VersionId {
        writer: writer_of(device),
        seq,
    }
}

#[test]
fn hardened_says_backed_up_only_once_blob_and_row_are_on_two_disks_each() {
    let mut rig = Rig::new(Design::Hardened);
    rig.act(PHONE, add(0, 4));
    // The first tick uploads the blob to both volumes; the row waits.
    rig.tick(PHONE);
    assert!(!rig.synced(0, v(PHONE, 4)));
    assert!(
        rig.device_view(PHONE).contains_key(&record(0, 0)),
        "original kept"
    );
    // The second pushes the row; the primary answers only after meta-sync.
    rig.step(PHONE, |n, io| n.on_timer(SYNC_TIMER, io));
    let (from, to, sync) = rig.queue.pop_front().expect("a sync");
    assert_eq!(to, Addr(PRIMARY));
    rig.step(PRIMARY, |n, io| n.on_message(from, sync, io));
    let first: Vec<u32> = rig.queue.iter().map(|q| q.1 .0).collect();
    assert!(
        first.contains(&META_SYNC) && !first.contains(&PHONE),
        "{first:?}"
    );
    rig.deliver();
    assert!(rig.synced(0, v(PHONE, 4)));
    let service = rig.service_view().expect("the primary serves");
    assert!(service[&record(0, 0)].genuine);
}

#[test]
fn naive_drops_the_original_before_the_photo_is_backed_up() {
    let mut rig = Rig::new(Design::Naive);
    rig.act(PHONE, add(0, 4));
    rig.tick(PHONE);
    assert!(!rig.synced(0, v(PHONE, 4)));
    assert!(
        !rig.device_view(PHONE).contains_key(&record(0, 0)),
        "dropped on upload"
    );
}

#[test]
fn gc_deletes_an_upload_in_flight_only_when_naive() {
    for design in [Design::Hardened, Design::Naive] {
        let mut rig = Rig::new(design);
        rig.act(PHONE, add(1, 4));
        rig.tick(PHONE);
        for vol in [VOLUME_0, VOLUME_0 + 1] {
            rig.act(vol, Action::Gc);
        }
        rig.tick(PHONE);
        rig.tick(TABLET);
        let served = rig
            .service_view()
            .expect("serves")
            .contains_key(&record(0, 1));
        assert_eq!(served, design == Design::Hardened, "{design:?}");
        // Past the grace period, an unreferenced blob goes in both designs.
        if design == Design::Hardened {
            rig.act(PHONE, Action::Trash { photo: 1, seq: 8 });
            rig.tick(PHONE);
            rig.later(Duration::from_secs(31 * 86_400));
            rig.tick(PRIMARY);
            rig.act(VOLUME_0, Action::Gc);
            rig.tick(PHONE);
            assert!(
                rig.device_view(PHONE)[&record(0, 1)].deleted,
                "purged after 30 days"
            );
        }
    }
}

#[test]
fn a_stale_edit_is_refused_when_hardened_and_acknowledged_anyway_when_naive() {
    for design in [Design::Hardened, Design::Naive] {
        let mut rig = Rig::new(design);
        rig.act(PHONE, add(0, 4));
        for _ in 0..3 {
            rig.tick(PHONE);
            rig.tick(TABLET);
        }
        let edit = |seq| Action::Edit {
            photo: 0,
            seq,
            album: 2,
            caption: seq,
            favourite: true,
        };
        rig.act(PHONE, edit(8));
        rig.act(TABLET, edit(12));
        rig.tick(TABLET);
        rig.tick(PHONE);
        assert!(rig.synced(0, v(TABLET, 12)));
        assert_eq!(
            rig.synced(0, v(PHONE, 8)),
            design == Design::Naive,
            "{design:?}: the phone's edit was made over a version the service has moved past"
        );
    }
}

#[test]
fn hardened_rebases_a_refused_edit_onto_the_services_version_and_backs_it_up() {
    let mut rig = Rig::new(Design::Hardened);
    rig.act(PHONE, add(0, 4));
    for _ in 0..3 {
        rig.tick(PHONE);
        rig.tick(TABLET);
    }
    // Offline on the phone the user captions the photo; on the tablet they
    // move it to another album, which the service takes first.
    rig.act(
        PHONE,
        Action::Edit {
            photo: 0,
            seq: 8,
            album: 1,
            caption: 77,
            favourite: false,
        },
    );
    rig.act(
        TABLET,
        Action::Edit {
            photo: 0,
            seq: 12,
            album: 5,
            caption: 0,
            favourite: true,
        },
    );
    rig.tick(TABLET);
    rig.tick(PHONE);
    assert!(!rig.synced(0, v(PHONE, 8)), "refused as stale");
    // The phone keeps its edit, made again over the tablet's version.
    let rebased = v(PHONE, 14);
    let mine = rig.device_view(PHONE)[&record(0, 0)].clone();
    assert_eq!(mine.version, rebased);
    assert!(
        !rig.synced(0, rebased),
        "not backed up before the service has it"
    );
    rig.tick(PHONE);
    assert!(
        rig.synced(0, rebased),
        "backed up once the service confirms"
    );
    let service = rig.service_view().expect("serves")[&record(0, 0)].clone();
    assert_eq!(service.version, rebased);
    rig.tick(TABLET);
    assert_eq!(rig.device_view(TABLET)[&record(0, 0)].version, rebased);
    let ledger = rig.ledger.snapshot();
    for over in [v(TABLET, 12), v(PHONE, 8)] {
        assert!(ledger.descends(record(0, 0), rebased, over), "{over}");
    }
    let served = ledger.get(record(0, 0), rebased).expect("written").content;
    assert_eq!(service.content, served);
}

#[test]
fn a_restored_primary_catches_up_only_when_hardened() {
    for design in [Design::Hardened, Design::Naive] {
        let mut rig = Rig::new(design);
        rig.act(PHONE, add(0, 4));
        rig.tick(PHONE);
        rig.tick(PHONE);
        rig.tick(PRIMARY);
        rig.later(Duration::from_secs(3600));
        rig.step(PRIMARY, |n, io| {
            n.on_input(
                Action::StaleRestore {
                    age: Duration::from_secs(7200),
                },
                io,
            )
        });
        if design == Design::Hardened {
            assert!(rig.service_view().is_none(), "not serving until caught up");
        }
        rig.deliver();
        let kept = rig
            .service_view()
            .is_some_and(|s| s.contains_key(&record(0, 0)));
        assert_eq!(kept, design == Design::Hardened, "{design:?}");
    }
}

#[test]
fn the_old_migration_spoils_the_naive_library_and_is_skipped_by_the_hardened_one() {
    for design in [Design::Hardened, Design::Naive] {
        let mut rig = Rig::new(design);
        rig.act(PHONE, add(0, 4));
        rig.act(PHONE, Action::Trash { photo: 0, seq: 8 });
        rig.act(PHONE, Action::OldMigration);
        let row = rig.device_view(PHONE)[&record(0, 0)].clone();
        assert_eq!(row.genuine, design == Design::Hardened, "{design:?}");
    }
}

#[test]
fn a_crash_keeps_what_hardened_synced_and_loses_what_naive_did_not() {
    for design in [Design::Hardened, Design::Naive] {
        let mut rig = Rig::new(design);
        rig.act(PHONE, add(0, 4));
        rig.crash(PHONE);
        let kept = rig.device_view(PHONE).contains_key(&record(0, 0));
        assert_eq!(kept, design == Design::Hardened, "{design:?}");
    }
}
