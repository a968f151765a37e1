//! A handset whose store is SQLite (`handset_engine = "sqlite"`): a saved
//! edit survives a power loss with `synchronous=FULL` and may not with
//! `NORMAL` (WAL mode), and a database that no longer opens is a finding
//! the handset recovers from, never a panic.

extern crate lastcopy_models as models;

mod common;

use common::*;
use models::clock::Rtc;
use models::design::Design;
use models::engine::sqlite::{files_config, HandsetEngine, NAME};
use models::event::SidekickEvent;
use models::handset::{Handset, HandsetConfig};
use models::msg::Msg;
use sim::disk::CrashMode;
use sim::files::Files;
use sim::host::{lock_disk, Boot, DiskHandle};
use sim::sqlite::Synchronous;
use sim::trace::EngineEvent;
use std::time::Duration;

const TIMER_SYNC: u64 = 1;

fn machine(design: &Design, disk: &DiskHandle) -> Handset {
    let cfg = HandsetConfig {
        user: 0,
        server: SERVER,
        store: "handset-0/flash".into(),
        sync_interval: Duration::from_secs(1800),
        sync_after_edit: Duration::from_secs(10),
        exchange_timeout: models::handset::EXCHANGE_TIMEOUT,
        rtc: Rtc::new(),
        engine: HandsetEngine::Sqlite,
    };
    Handset::new(cfg, design.clone(), disk.clone())
}

/// Boots a handset of `design` on a blank flash, has the user save three
/// records, then pulls the battery and boots it again: returns what it
/// holds, with the environment.
fn saved_then_power_loss(design: &Design) -> (Env, Handset, usize) {
    let mut env = Env::new();
    let disk = blank_disk();
    let mut h = machine(design, &disk);
    env.step("handset-0", HANDSET_0, |io| h.boot(Boot::First, io));
    for n in 0..3 {
        env.advance(Duration::from_secs(1));
        env.step("handset-0", HANDSET_0, |io| {
            h.edit(rec(0, n), ver(0, n + 1), true, false, io)
        });
    }
    let saved = env.events(EngineEvent::AckSaved).len();
    lock_disk(&disk).fence();
    drop(h);
    lock_disk(&disk).crash(CrashMode::DropUnsynced);
    let mut h = machine(design, &disk);
    env.advance(Duration::from_secs(60));
    env.step("handset-0", HANDSET_0, |io| h.boot(Boot::Crash, io));
    (env, h, saved)
}

#[test]
fn with_synchronous_full_every_saved_edit_survives_a_power_loss() {
    let (_, h, saved) = saved_then_power_loss(&Design::hardened());
    assert_eq!(saved, 3);
    assert_eq!(h.view().len(), 3, "{:?}", h.view());
}

#[test]
fn with_wal_and_synchronous_normal_a_saved_edit_can_roll_back() {
    let mut design = Design::hardened();
    design.sqlite_synchronous = Synchronous::Normal;
    let (_, h, saved) = saved_then_power_loss(&design);
    assert_eq!(saved, 3, "NORMAL still tells the user saved");
    assert!(h.view().len() < 3, "nothing was lost: {:?}", h.view());
}

#[test]
fn a_database_that_does_not_open_is_a_finding_and_the_handset_restores() {
    let mut env = Env::new();
    let disk = blank_disk();
    let design = Design::hardened();
    let mut h = machine(&design, &disk);
    env.step("handset-0", HANDSET_0, |io| h.boot(Boot::First, io));
    env.step("handset-0", HANDSET_0, |io| {
        h.edit(rec(0, 1), ver(0, 1), true, false, io)
    });
    drop(h);
    lock_disk(&disk).shutdown().unwrap();
    {
        let mut files = Files::mount(disk.clone(), files_config(&disk)).unwrap();
        let id = files.open(NAME).unwrap();
        files.write(id, 0, &[0xa5; 100]).unwrap();
        files.sync(id).unwrap();
    }
    let mut h = machine(&design, &disk);
    env.advance(Duration::from_secs(60));
    env.step("handset-0", HANDSET_0, |io| h.boot(Boot::Crash, io));
    let why = env.event(SidekickEvent::StoreUnusable);
    assert!(format!("{why:?}").contains("not a database") || format!("{why:?}").contains("open"));
    assert!(h.view().is_empty());
    // It starts empty, as on a blank flash, and asks the server for all.
    env.advance(Duration::from_secs(60));
    let (_, out) = env.step("handset-0", HANDSET_0, |io| h.on_timer(TIMER_SYNC, io));
    match only_send(&out) {
        (_, Msg::Sync { full, .. }) => assert!(full, "a restore asks for everything"),
        other => panic!("expected a Sync, got {other:?}"),
    }
}

#[test]
fn flash_whose_files_no_longer_mount_is_formatted_and_used_again() {
    let mut env = Env::new();
    let disk = blank_disk();
    let design = Design::hardened();
    let mut h = machine(&design, &disk);
    env.step("handset-0", HANDSET_0, |io| h.boot(Boot::First, io));
    env.step("handset-0", HANDSET_0, |io| {
        h.edit(rec(0, 1), ver(0, 1), true, false, io)
    });
    drop(h);
    {
        let mut d = lock_disk(&disk);
        d.shutdown().unwrap();
        // The file layer's directory, garbled (as a misdirected write does).
        d.write(1, &[0xa5; 512]).unwrap();
        d.sync().unwrap();
    }
    let mut h = machine(&design, &disk);
    env.advance(Duration::from_secs(60));
    env.step("handset-0", HANDSET_0, |io| h.boot(Boot::Crash, io));
    assert!(format!("{:?}", env.event(SidekickEvent::StoreUnusable)).contains("do not mount"));
    assert!(env.events(SidekickEvent::StoreDiscardFailed).is_empty());
    env.advance(Duration::from_secs(1));
    env.step("handset-0", HANDSET_0, |io| {
        h.edit(rec(0, 2), ver(0, 2), true, false, io)
    });
    assert_eq!(
        env.events(EngineEvent::AckSaved).len(),
        2,
        "the new store takes edits"
    );
}
