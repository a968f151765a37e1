//! The key-value machines stepped by hand, without madsim: what each
//! design acknowledges, and what survives a crash of a disk.

use lastcopy_harness::sim::disk::{CrashMode, DiskFault};
use lastcopy_harness::sim::host::{lock_disk, Addr, Boot, DiskHandle, Io, Machine, Outputs};
use lastcopy_harness::sim::ledger::LedgerHandle;
use lastcopy_harness::sim::lineage::Lineage;
use lastcopy_harness::sim::place::{Place, View};
use lastcopy_harness::sim::record::VersionId;
use lastcopy_harness::sim::time::SimTime;
use lastcopy_harness::sim::trace::Tracer;
use lastcopy_harness::system::{blank_disk, System};
use lastcopy_kv::client::Client;
use lastcopy_kv::msg::Msg;
use lastcopy_kv::server::Server;
use lastcopy_kv::{record, Design, KvNode, KvStore, Put, CLIENT_PLACE, SERVER_PLACE};
use std::time::Duration;

const SERVER: Addr = Addr(1);
const EVERY: Duration = Duration::from_secs(30);

/// One client (user 0) and the server, with the run's trace, lineage and ledger.
struct Rig {
    tracer: Tracer,
    lineage: Lineage,
    ledger: LedgerHandle,
    design: Design,
    client_disk: DiskHandle,
    server_disk: DiskHandle,
    client: KvNode,
    server: KvNode,
}

impl Rig {
    fn new(design: Design) -> Self {
        let tracer = Tracer::new();
        let (client_disk, server_disk) = (blank_disk(), blank_disk());
        let mut rig = Rig {
            lineage: Lineage::new(tracer.clone()),
            tracer,
            ledger: LedgerHandle::new(),
            design,
            client: KvNode::Client(Client::new(0, SERVER, design, EVERY, client_disk.clone())),
            server: KvNode::Server(Server::new(design, EVERY, server_disk.clone())),
            client_disk,
            server_disk,
        };
        rig.client_step(|n, io| n.boot(Boot::First, io));
        rig.server_step(|n, io| n.boot(Boot::First, io));
        rig
    }

    fn step(
        &mut self,
        server: bool,
        f: impl FnOnce(&mut KvNode, &mut Io<'_, Msg>),
    ) -> Outputs<Msg> {
        let (name, me, node) = if server {
            ("server", SERVER, &mut self.server)
        } else {
            ("client-0", Addr(0), &mut self.client)
        };
        let mut io = Io::new(
            SimTime::ZERO,
            name,
            me,
            &self.tracer,
            &self.lineage,
            &self.ledger,
        );
        f(node, &mut io);
        io.into_outputs()
    }

    fn client_step(&mut self, f: impl FnOnce(&mut KvNode, &mut Io<'_, Msg>)) -> Vec<Msg> {
        self.step(false, f).sends.into_iter().map(|s| s.1).collect()
    }

    fn server_step(&mut self, f: impl FnOnce(&mut KvNode, &mut Io<'_, Msg>)) -> Vec<Msg> {
        self.step(true, f).sends.into_iter().map(|s| s.1).collect()
    }

    /// Delivers `msgs` from the client to the server and the answers back.
    fn round_trip(&mut self, msgs: Vec<Msg>) {
        for m in msgs {
            let answers = self.server_step(|n, io| n.on_message(Addr(0), m, io));
            for a in answers {
                self.client_step(|n, io| n.on_message(SERVER, a, io));
            }
        }
    }

    /// Power loss on the client: unsynced writes dropped, machine rebuilt.
    fn crash_client(&mut self) -> Vec<Msg> {
        lock_disk(&self.client_disk).crash(CrashMode::DropUnsynced);
        let d = self.client_disk.clone();
        self.client = KvNode::Client(Client::new(0, SERVER, self.design, EVERY, d));
        self.client_step(|n, io| n.boot(Boot::Crash, io))
    }

    fn crash_server(&mut self) {
        lock_disk(&self.server_disk).crash(CrashMode::DropUnsynced);
        let d = self.server_disk.clone();
        self.server = KvNode::Server(Server::new(self.design, EVERY, d));
        self.server_step(|n, io| n.boot(Boot::Crash, io));
    }

    fn client_view(&self) -> View {
        KvStore::served(&self.client, place(CLIENT_PLACE)).expect("client serves")
    }

    fn server_view(&self) -> View {
        KvStore::served(&self.server, place(SERVER_PLACE)).expect("server serves")
    }
}

fn place(kind: lastcopy_harness::sim::place::PlaceKind) -> Place {
    Place {
        user: 0,
        kind,
        index: 0,
    }
}

const V1: VersionId = VersionId { writer: 0, seq: 1 };

#[test]
fn hardened_put_is_saved_durably_then_synced() {
    let mut rig = Rig::new(Design::Hardened);
    let msgs = rig.client_step(|n, io| n.on_input(Put { key: 3 }, io));
    let r = record(0, 3);
    assert!(rig.ledger.is_promised(r, V1), "told saved");
    assert_eq!(
        lock_disk(&rig.client_disk).unsynced_writes(),
        0,
        "synced first"
    );
    assert!(!rig.ledger.is_synced(r, V1));
    rig.round_trip(msgs);
    assert!(rig.ledger.is_synced(r, V1), "told synced after the commit");
    assert_eq!(lock_disk(&rig.server_disk).unsynced_writes(), 0);
    rig.crash_server();
    rig.crash_client();
    assert_eq!(rig.client_view()[&r].version, V1);
    assert_eq!(rig.server_view()[&r].version, V1);
    assert!(rig.server_view()[&r].genuine);
}

#[test]
fn naive_loses_an_acknowledged_put_when_the_client_loses_power() {
    let mut rig = Rig::new(Design::Naive);
    rig.client_step(|n, io| n.on_input(Put { key: 3 }, io));
    let r = record(0, 3);
    assert!(rig.ledger.is_promised(r, V1), "told saved at once");
    assert_eq!(lock_disk(&rig.client_disk).unsynced_writes(), 1);
    // The push never arrives; the client loses power before its flush.
    let msgs = rig.crash_client();
    rig.round_trip(msgs);
    assert!(!rig.client_view().contains_key(&r), "gone from the client");
    assert!(
        !rig.server_view().contains_key(&r),
        "never reached the server"
    );
}

#[test]
fn naive_rolls_the_client_back_when_the_server_loses_an_unflushed_commit() {
    let mut rig = Rig::new(Design::Naive);
    let first = rig.client_step(|n, io| n.on_input(Put { key: 3 }, io));
    rig.client_step(|n, io| n.on_timer(lastcopy_kv::SYNC_TIMER, io));
    rig.round_trip(first);
    rig.server_step(|n, io| n.on_timer(lastcopy_kv::SYNC_TIMER, io));
    let msgs = rig.client_step(|n, io| n.on_input(Put { key: 3 }, io));
    rig.round_trip(msgs);
    let v2 = VersionId { writer: 0, seq: 2 };
    assert!(rig.ledger.is_synced(record(0, 3), v2), "told synced");
    rig.crash_server();
    let pull = rig.client_step(|n, io| n.on_timer(lastcopy_kv::SYNC_TIMER, io));
    rig.round_trip(pull);
    assert_eq!(rig.client_view()[&record(0, 3)].version, V1, "rolled back");
}

#[test]
fn hardened_client_repushes_after_reboot_what_the_server_never_got() {
    let mut rig = Rig::new(Design::Hardened);
    rig.client_step(|n, io| n.on_input(Put { key: 5 }, io));
    let msgs = rig.crash_client();
    rig.round_trip(msgs);
    let r = record(0, 5);
    assert_eq!(rig.server_view()[&r].version, V1, "re-pushed at boot");
    assert!(rig.ledger.is_synced(r, V1));
}

#[test]
fn a_rotten_entry_is_skipped_at_boot_and_pulled_back_from_the_server() {
    let mut rig = Rig::new(Design::Hardened);
    let msgs = rig.client_step(|n, io| n.on_input(Put { key: 1 }, io));
    rig.round_trip(msgs);
    lock_disk(&rig.client_disk).inject(DiskFault::BitRot { sector: 0, seed: 7 });
    let msgs = rig.crash_client();
    assert!(
        !rig.client_view().contains_key(&record(0, 1)),
        "checksum failed"
    );
    let live = |rig: &Rig| rig.lineage.is_live("client-0", "u0/key-1", "w0.1");
    assert!(!live(&rig), "the lineage heard the copy is gone");
    rig.round_trip(msgs);
    assert_eq!(rig.client_view()[&record(0, 1)].version, V1, "pulled back");
    assert!(live(&rig), "and that it is back");
}

#[test]
fn hardened_client_repushes_what_a_replaced_server_disk_lost() {
    let mut rig = Rig::new(Design::Hardened);
    let msgs = rig.client_step(|n, io| n.on_input(Put { key: 2 }, io));
    rig.round_trip(msgs);
    lock_disk(&rig.server_disk).replace_blank();
    rig.crash_server();
    assert!(rig.server_view().is_empty(), "the new disk is blank");
    for _ in 0..2 {
        let msgs = rig.client_step(|n, io| n.on_timer(lastcopy_kv::SYNC_TIMER, io));
        rig.round_trip(msgs);
    }
    assert_eq!(rig.server_view()[&record(0, 2)].version, V1, "pushed again");
}
