//! Node lifecycle: a crash loses exactly the unsynced writes, a clean
//! shutdown loses nothing, and a panicking machine is a finding, never a
//! crash of the harness.

use lastcopy_sim::disk::{CrashMode, Disk, DiskConfig};
use lastcopy_sim::host::{
    disk_handle, lock_disk, Addr, Boot, Clock, Cluster, DiskHandle, Io, Machine,
};
use lastcopy_sim::lineage::Lineage;
use lastcopy_sim::trace::{EngineEvent, Tracer};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Writes a sector on each input; syncs only when told. Records each boot.
struct Writer {
    disk: DiskHandle,
    boots: Arc<Mutex<Vec<Boot>>>,
    panic_on_boot: bool,
}

enum Cmd {
    Write(u64, u8),
    Sync,
    Panic,
}

impl Machine for Writer {
    type Msg = ();
    type Input = Cmd;

    fn boot(&mut self, boot: Boot, _io: &mut Io<'_, ()>) {
        self.boots.lock().unwrap().push(boot);
        if self.panic_on_boot {
            panic!("boot always fails");
        }
    }

    fn on_message(&mut self, _from: Addr, _msg: (), _io: &mut Io<'_, ()>) {}

    fn on_timer(&mut self, _key: u64, _io: &mut Io<'_, ()>) {}

    fn on_input(&mut self, input: Cmd, _io: &mut Io<'_, ()>) {
        let mut d = lock_disk(&self.disk);
        match input {
            Cmd::Write(n, b) => d.write(n, &[b; 16]).unwrap(),
            Cmd::Sync => d.sync().unwrap(),
            Cmd::Panic => panic!("asked to"),
        }
    }
}

fn disk() -> DiskHandle {
    disk_handle(Disk::new(DiskConfig {
        sector_size: 512,
        sectors: 64,
    }))
}

fn first_byte(d: &DiskHandle, n: u64) -> u8 {
    lock_disk(d).read(n, 1).unwrap()[0]
}

fn writer(
    cluster: &Cluster<Writer>,
    name: &str,
    panic_on_boot: bool,
) -> (Addr, DiskHandle, Arc<Mutex<Vec<Boot>>>) {
    let (d, boots) = (disk(), Arc::new(Mutex::new(Vec::new())));
    let (dd, bb) = (d.clone(), boots.clone());
    let a = cluster.add(name, vec![(format!("{name}/disk"), d.clone())], move || {
        Writer {
            disk: dd.clone(),
            boots: bb.clone(),
            panic_on_boot,
        }
    });
    (a, d, boots)
}

fn new_cluster() -> (Cluster<Writer>, Tracer) {
    let tracer = Tracer::new();
    let cluster = Cluster::new(Clock::start(), tracer.clone(), Lineage::new(tracer.clone()));
    (cluster, tracer)
}

fn sim<F: std::future::Future<Output = ()>>(f: impl FnOnce() -> F) {
    let rt = madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default());
    rt.block_on(f());
}

async fn settle() {
    madsim::time::sleep(Duration::from_millis(50)).await;
}

#[test]
fn crash_loses_exactly_the_unsynced_writes_and_shutdown_loses_nothing() {
    sim(|| async {
        let (cluster, tracer) = new_cluster();
        let (a, d, boots) = writer(&cluster, "w", false);
        settle().await;
        for cmd in [
            Cmd::Write(1, 1),
            Cmd::Sync,
            Cmd::Write(2, 2),
            Cmd::Write(1, 9),
        ] {
            assert!(cluster.input(a, cmd));
        }
        settle().await;
        assert_eq!(
            (first_byte(&d, 1), first_byte(&d, 2)),
            (9, 2),
            "writes are visible before sync"
        );
        cluster.crash(a, CrashMode::DropUnsynced, None);
        assert!(!cluster.is_up(a));
        assert!(
            !cluster.input(a, Cmd::Write(3, 3)),
            "a crashed node takes no input"
        );
        assert_eq!(
            (first_byte(&d, 1), first_byte(&d, 2)),
            (1, 0),
            "only synced data survives"
        );
        cluster.boot(a, Boot::Crash, false);
        settle().await;
        for cmd in [Cmd::Write(4, 4), Cmd::Write(5, 5)] {
            assert!(cluster.input(a, cmd));
        }
        settle().await;
        cluster.shutdown(a);
        cluster.boot(a, Boot::Clean, false);
        settle().await;
        assert_eq!(
            (first_byte(&d, 4), first_byte(&d, 5)),
            (4, 5),
            "clean shutdown loses nothing"
        );
        assert_eq!(
            *boots.lock().unwrap(),
            vec![Boot::First, Boot::Crash, Boot::Clean]
        );
        let kinds: Vec<_> = tracer.snapshot().events().iter().map(|e| e.kind).collect();
        assert!(
            kinds.contains(&EngineEvent::NodeCrash.into())
                && kinds.contains(&EngineEvent::NodeShutdown.into())
        );
    });
}

#[test]
fn a_panic_is_a_finding_and_a_node_that_always_panics_gives_up() {
    sim(|| async {
        let (cluster, tracer) = new_cluster();
        let (a, d, boots) = writer(&cluster, "ok", false);
        let (b, _, boots_b) = writer(&cluster, "bad", true);
        settle().await;
        assert!(cluster.input(a, Cmd::Write(1, 7)));
        assert!(cluster.input(a, Cmd::Panic));
        madsim::time::sleep(Duration::from_secs(3600)).await;
        // The panicking step was handled as a crash; the node rebooted.
        assert!(cluster.is_up(a));
        assert_eq!(*boots.lock().unwrap(), vec![Boot::First, Boot::Crash]);
        assert_eq!(
            first_byte(&d, 1),
            0,
            "the unsynced write died with the node"
        );
        // The node that panics on every boot stays down after the limit.
        assert!(!cluster.is_up(b));
        let limit = lastcopy_sim::host::MAX_BOOT_PANICS;
        assert_eq!(boots_b.lock().unwrap().len() as u32, limit);
        let trace = tracer.snapshot();
        let count = |k: EngineEvent| trace.events().iter().filter(|e| e.kind == k).count() as u32;
        assert_eq!(count(EngineEvent::NodeGaveUp), 1);
        assert_eq!(count(EngineEvent::NodePanic), limit + 1);
    });
}

/// Counts the messages it receives; sends one to an address on each input.
struct Pinger {
    received: Arc<Mutex<u32>>,
}

impl Machine for Pinger {
    type Msg = u8;
    type Input = Addr;

    fn boot(&mut self, _boot: Boot, _io: &mut Io<'_, u8>) {}

    fn on_message(&mut self, _from: Addr, _msg: u8, _io: &mut Io<'_, u8>) {
        *self.received.lock().unwrap() += 1;
    }

    fn on_timer(&mut self, _key: u64, _io: &mut Io<'_, u8>) {}

    fn on_input(&mut self, to: Addr, io: &mut Io<'_, u8>) {
        io.send(to, 1);
    }
}

#[test]
fn partitions_and_isolation_drop_messages_until_healed() {
    sim(|| async {
        let tracer = Tracer::new();
        let cluster: Cluster<Pinger> =
            Cluster::new(Clock::start(), tracer.clone(), Lineage::new(tracer.clone()));
        let got = Arc::new(Mutex::new(0));
        let g = got.clone();
        let a = cluster.add("a", vec![], || Pinger {
            received: Arc::new(Mutex::new(0)),
        });
        let b = cluster.add("b", vec![], move || Pinger {
            received: g.clone(),
        });
        settle().await;
        let ping = |n: u32| {
            let (cluster, got) = (cluster.clone(), got.clone());
            async move {
                let before = *got.lock().unwrap();
                assert!(cluster.input(a, b));
                madsim::time::sleep(Duration::from_secs(1)).await;
                assert_eq!(*got.lock().unwrap() - before, n);
            }
        };
        ping(1).await;
        cluster.partition(a, b);
        ping(0).await;
        cluster.heal_network(a);
        ping(1).await;
        cluster.isolate(b);
        ping(0).await;
        cluster.heal_network(b);
        ping(1).await;
        let kinds: Vec<_> = tracer.snapshot().events().iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds
                .iter()
                .filter(|k| **k == EngineEvent::NetPartition)
                .count(),
            2
        );
    });
}

#[test]
fn network_faults_hold_duplicate_and_garble_frames_and_heal_drops_what_is_held() {
    use lastcopy_sim::net::{Impairment, Links};
    sim(|| async {
        let tracer = Tracer::new();
        let cluster: Cluster<Pinger> =
            Cluster::new(Clock::start(), tracer.clone(), Lineage::new(tracer.clone()));
        let got = Arc::new(Mutex::new(0));
        let g = got.clone();
        let a = cluster.add("a", vec![], || Pinger {
            received: Arc::new(Mutex::new(0)),
        });
        let b = cluster.add("b", vec![], move || Pinger {
            received: g.clone(),
        });
        settle().await;
        let count = || *got.lock().unwrap();
        let link = || Links::between(vec![a], vec![b]);
        // Every frame delayed by 30 to 60 minutes: nothing at once, one later,
        // and it still arrives after its sender crashed.
        let delay = Impairment {
            delay: 1.0,
            delay_for: Duration::from_secs(3600),
            ..Impairment::default()
        };
        cluster.net_fault(1, link(), delay, 7);
        assert!(cluster.input(a, b));
        settle().await;
        assert_eq!(count(), 0);
        cluster.crash(a, CrashMode::DropUnsynced, None);
        madsim::time::sleep(Duration::from_secs(3600)).await;
        assert_eq!(count(), 1);
        cluster.end_net_fault(1);
        cluster.boot(a, Boot::Clean, false);
        settle().await;
        // Every frame duplicated: two arrive.
        let dup = Impairment {
            duplicate: 1.0,
            hold_for: Duration::from_secs(1),
            ..Impairment::default()
        };
        cluster.net_fault(2, link(), dup, 7);
        assert!(cluster.input(a, b));
        madsim::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(count(), 3);
        cluster.end_net_fault(2);
        // Sealed frames garbled in transit are rejected, never delivered.
        cluster.set_sealed_frames(true);
        let garble = Impairment {
            corrupt: 1.0,
            ..Impairment::default()
        };
        cluster.net_fault(3, link(), garble, 7);
        assert!(cluster.input(a, b));
        settle().await;
        assert_eq!(count(), 3);
        cluster.end_net_fault(3);
        // Held frames are dropped when every network fault is healed.
        let delay = Impairment {
            delay: 1.0,
            delay_for: Duration::from_secs(60),
            ..Impairment::default()
        };
        cluster.net_fault(4, link(), delay, 7);
        assert!(cluster.input(a, b));
        settle().await;
        cluster.heal_net_faults();
        madsim::time::sleep(Duration::from_secs(120)).await;
        assert_eq!(count(), 3);
        assert!(cluster.input(a, b));
        settle().await;
        assert_eq!(count(), 4);
        let trace = tracer.snapshot();
        let n = |k: EngineEvent| trace.events().iter().filter(|e| e.kind == k).count();
        assert_eq!(n(EngineEvent::NetDelayed), 2);
        assert_eq!(n(EngineEvent::NetDuplicated), 1);
        assert_eq!(n(EngineEvent::NetCorrupted), 1);
        assert_eq!(n(EngineEvent::NetFrameRejected), 1);
        assert_eq!(n(EngineEvent::NetFaultEnded), 4);
    });
}
