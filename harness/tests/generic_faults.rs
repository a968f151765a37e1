//! The harness's generic process and clock faults, on a system of one
//! node with one disk: `crash` kills the node's process (nothing more of
//! it runs or writes) and restarts it after `restart_after` with every
//! write on its disk, unsynced ones too, where a power loss drops them;
//! `clock-skew` and `clock-reset` move only the node's wall clock
//! ([`Io::wall_clock`]), which outlives the process, while true time
//! ([`Io::now`]) and the timers stay; the new kinds are planned from
//! their `[faults]` rates, leave the other kinds' plans as they were, and
//! shrink and explain like any fault.

mod common;

use common::{CONTENT, RECORD, VERSION};
use lastcopy_harness::case::{Case, SeedRun};
use lastcopy_harness::plan::faults::{plan, Fault, FaultKind, FaultName, Rates, Target};
use lastcopy_harness::scenario::Source;
use lastcopy_harness::sim::event_kinds;
use lastcopy_harness::sim::host::{lock_disk, Addr, Boot, DiskHandle, Io, Machine};
use lastcopy_harness::sim::ledger::Write;
use lastcopy_harness::sim::place::{Place, View};
use lastcopy_harness::sim::plan::{Plan, PlannedFault};
use lastcopy_harness::sim::rng::Seeds;
use lastcopy_harness::sim::time::SimTime;
use lastcopy_harness::sim::trace::{EngineEvent, Event};
use lastcopy_harness::system::{blank_disk, NodeSpec, System, UserAction};
use lastcopy_harness::triage::explain::explain;
use lastcopy_harness::triage::shrink::{shrink_plan, Options};
use std::time::Duration;

event_kinds! {
    /// What the box does.
    enum BoxEvent in "box" {
        /// It booted. Fields: `found` (the first byte of sector 0), `closed`
        /// (of sector 1, which its machine writes when dropped: 0xd0, or
        /// 0xd1 with the note), `wall_ms`.
        Booted = "box.booted",
        /// It read its clocks. Fields: `wall_ms`, `now_ms`.
        Stamped = "box.stamped",
        /// A timer fired. Fields: `now_ms`.
        Ticked = "box.ticked",
    }
}

const MINUTE: u64 = 60_000;

/// One box with one disk. With `note`, a user's note is acknowledged while
/// the box holds it in memory, to be written only by a clean close (a
/// design a crash breaks).
#[derive(Clone, Debug, serde::Deserialize)]
struct Boxed {
    #[serde(default)]
    note: bool,
}

enum Do {
    /// Write this byte over sector 0, unsynced.
    Write(u8),
    /// Trace both clocks, and tick in 30 minutes.
    Stamp,
    /// Take the user's note, in memory until a clean close, and say it is
    /// saved.
    Note,
}

struct Boxy {
    disk: DiskHandle,
    note: bool,
}

impl Drop for Boxy {
    /// A clean close writes sector 1 (and so the note): a killed process
    /// never runs it.
    fn drop(&mut self) {
        let _ = lock_disk(&self.disk).write(1, &[0xd0 | u8::from(self.note)]);
    }
}

impl Machine for Boxy {
    type Msg = ();
    type Input = Do;
    fn boot(&mut self, _: Boot, io: &mut Io<'_, ()>) {
        let byte = |sector| lock_disk(&self.disk).read(sector, 1).map_or(0, |b| b[0]);
        let fields = vec![
            ("found", u64::from(byte(0)).into()),
            ("closed", u64::from(byte(1)).into()),
            ("wall_ms", io.wall_clock().as_millis().into()),
        ];
        self.note = byte(1) == 0xd1;
        io.trace(BoxEvent::Booted, fields);
    }
    fn on_message(&mut self, _: Addr, _: (), _: &mut Io<'_, ()>) {}
    fn on_timer(&mut self, _: u64, io: &mut Io<'_, ()>) {
        io.trace(
            BoxEvent::Ticked,
            vec![("now_ms", io.now().as_millis().into())],
        );
    }
    fn on_input(&mut self, input: Do, io: &mut Io<'_, ()>) {
        match input {
            Do::Write(b) => lock_disk(&self.disk).write(0, &[b]).expect("disk up"),
            Do::Stamp => {
                let fields = vec![
                    ("wall_ms", io.wall_clock().as_millis().into()),
                    ("now_ms", io.now().as_millis().into()),
                ];
                io.trace(BoxEvent::Stamped, fields);
                io.set_timer(0, Duration::from_secs(1800));
            }
            Do::Note => {
                self.note = true;
                io.wrote(RECORD, VERSION, Write::edit(None, CONTENT));
                io.told_saved(RECORD, VERSION);
            }
        }
    }
}

impl System for Boxed {
    type Node = Boxy;
    type Design = ();
    fn designs() -> Vec<(&'static str, ())> {
        vec![("plain", ())]
    }
    fn nodes(&self, _: &()) -> Vec<NodeSpec<Boxy>> {
        let disk = blank_disk();
        let spec_disk = disk.clone();
        vec![NodeSpec::new(
            "box",
            "rack-a",
            vec![("box/disk".into(), spec_disk)],
            move || Boxy {
                disk: disk.clone(),
                note: false,
            },
        )]
    }
    fn workload(&self, _: &Seeds, _: Duration) -> Vec<UserAction<Do>> {
        let at = |min: u64, input| UserAction {
            at: Duration::from_millis(min * MINUTE),
            node: Addr(0),
            input,
        };
        let mut w = vec![at(60, Do::Write(7)), at(120, Do::Stamp)];
        if self.note {
            w.push(at(60, Do::Note));
        }
        w
    }
    fn places(&self) -> Vec<(Place, Addr)> {
        common::places("vault")
    }
    fn served(node: &Boxy, _: Place) -> Option<View> {
        common::served(node.note)
    }
}

fn case(faults: &str, note: bool) -> Case<Boxed> {
    let text = format!(
        "name = \"box\"\n[run]\nduration = \"5h\"\nheal_bound = \"1h\"\n\
         [faults]\n{faults}\n[system]\nnote = {note}\n"
    );
    Case::load(&Source::new("box.toml", &text), &[], "plain").unwrap()
}

/// A plan of `faults` on the box: (minute, kind), seed 42 for each.
fn plan_of(faults: &[(u64, FaultKind)]) -> Plan<Fault> {
    let faults = faults
        .iter()
        .enumerate()
        .map(|(i, &(min, kind))| PlannedFault {
            id: i as u32,
            at: SimTime(min * MINUTE),
            target: "box".into(),
            kind: Fault {
                name: FaultName::Generic(kind),
                peer: None,
            },
            resolve_seed: 42,
        })
        .collect();
    Plan::new(faults)
}

fn box_events(run: &SeedRun, kind: BoxEvent) -> Vec<&Event> {
    let events = run.output.trace.events();
    let of_kind = |e: &&Event| e.kind.system::<BoxEvent>() == Some(kind);
    events.iter().filter(of_kind).collect()
}

fn engine_events(run: &SeedRun, kind: EngineEvent) -> Vec<&Event> {
    let events = run.output.trace.events();
    events.iter().filter(|e| e.kind == kind).collect()
}

fn num(e: &Event, field: &str) -> u64 {
    e.field(field).and_then(|v| v.as_u64()).expect(field)
}

/// The first byte of sector 0 and of sector 1 at the first boot after the
/// first one, which must come at `at` (the engine's boot takes a moment).
fn reboot(run: &SeedRun, at: SimTime) -> (u64, u64) {
    let b = box_events(run, BoxEvent::Booted)[1];
    assert!(
        b.at >= at && b.at.since(at) < Duration::from_secs(1),
        "{}",
        b.at
    );
    (num(b, "found"), num(b, "closed"))
}

#[test]
fn a_crash_restarts_the_process_with_every_write_the_os_holds() {
    let c = case("restart_after = \"2m\"", false);
    let run = c.run_plan(0, plan_of(&[(90, FaultKind::Crash)]));
    let crash = engine_events(&run, EngineEvent::NodeProcessCrash)[0];
    assert_eq!(
        (crash.at, crash.node.as_str()),
        (SimTime(90 * MINUTE), "box")
    );
    assert_eq!(crash.field("fault").and_then(|v| v.as_u64()), Some(0));
    assert!(engine_events(&run, EngineEvent::NodeCrash).is_empty());
    // Back after `restart_after`, with the unsynced write; the killed
    // process's clean close never ran.
    assert_eq!(reboot(&run, SimTime(92 * MINUTE)), (7, 0));
    assert_eq!(run.output.fired, vec![0]);

    // A power loss at the same moment drops the unsynced write.
    let lost = c.run_plan(0, plan_of(&[(90, FaultKind::PowerLoss)]));
    assert_eq!(reboot(&lost, SimTime(100 * MINUTE)), (0, 0));
}

#[test]
fn a_crash_of_a_node_that_is_down_does_nothing() {
    let c = case("restart_after = \"2m\"", false);
    let run = c.run_plan(
        0,
        plan_of(&[(90, FaultKind::PowerLoss), (91, FaultKind::Crash)]),
    );
    let skipped = engine_events(&run, EngineEvent::FaultSkipped);
    assert_eq!(skipped.len(), 1);
    assert_eq!(num(skipped[0], "fault"), 1);
    assert_eq!(skipped[0].str("why"), Some("its node is down"));
    // It comes back when the power loss says, not when a restart would.
    reboot(&run, SimTime(100 * MINUTE));
}

#[test]
fn a_clock_skew_moves_the_wall_clock_only_and_outlives_the_process() {
    let c = case("clock_skew_max = \"3h\"", false);
    let run = c.run_plan(
        0,
        plan_of(&[(90, FaultKind::ClockSkew), (160, FaultKind::PowerLoss)]),
    );
    let resolved = engine_events(&run, EngineEvent::FaultResolved)[0];
    let skew = num(resolved, "skew_ms") as i64;
    assert!((1..=3 * 60 * MINUTE as i64).contains(&skew), "{skew}");
    let skew = match resolved.str("direction") {
        Some("back") => -skew,
        Some("forward") => skew,
        d => panic!("direction {d:?}"),
    };
    let wall = |now: u64| (now as i64 + skew).max(0) as u64;
    assert_eq!(num(resolved, "clock_ms"), wall(90 * MINUTE));
    let stamp = box_events(&run, BoxEvent::Stamped)[0];
    assert_eq!(num(stamp, "now_ms"), 120 * MINUTE, "true time stays");
    assert_eq!(num(stamp, "wall_ms"), wall(120 * MINUTE));
    // The timer set at the stamp fires 30 minutes later in true time.
    let tick = box_events(&run, BoxEvent::Ticked)[0];
    assert_eq!(num(tick, "now_ms"), 150 * MINUTE);
    // The clock outlives the power loss and the boot after it.
    let boot = box_events(&run, BoxEvent::Booted)[1];
    assert!(boot.at.since(SimTime(170 * MINUTE)) < Duration::from_secs(1));
    assert_eq!(num(boot, "wall_ms"), wall(boot.at.as_millis()));
    // Another seed of the fault, another skew; the same, the same.
    let other = |seed| {
        let mut p = plan_of(&[(90, FaultKind::ClockSkew)]);
        p.faults[0].resolve_seed = seed;
        let r = c.run_plan(0, p);
        num(box_events(&r, BoxEvent::Stamped)[0], "wall_ms")
    };
    assert_eq!(other(5), other(5));
    assert_ne!(other(5), other(6));
}

#[test]
fn a_clock_reset_sends_the_wall_clock_back_to_the_start() {
    let c = case("", false);
    let run = c.run_plan(0, plan_of(&[(90, FaultKind::ClockReset)]));
    let stamp = box_events(&run, BoxEvent::Stamped)[0];
    assert_eq!(num(stamp, "now_ms"), 120 * MINUTE);
    assert_eq!(num(stamp, "wall_ms"), 30 * MINUTE, "it ran on from 0");
    let calm = c.run_plan(0, Plan::default());
    let stamp = box_events(&calm, BoxEvent::Stamped)[0];
    assert_eq!(num(stamp, "wall_ms"), 120 * MINUTE, "no fault, true time");
}

#[test]
fn the_new_kinds_are_planned_at_their_rates_and_fire_deterministically() {
    let c = case(
        "crash_per_node_day = 24\nclock_skew_per_node_day = 24\nclock_reset_per_node_day = 24",
        false,
    );
    let run = c.run_seed(3);
    for kind in [
        FaultKind::Crash,
        FaultKind::ClockSkew,
        FaultKind::ClockReset,
    ] {
        let name = kind.to_string();
        let planned = run
            .plan
            .faults
            .iter()
            .filter(|f| f.kind.name == FaultName::Generic(kind))
            .count() as u64;
        assert!(planned > 0, "{name} planned at 24 a day over 5 hours");
        assert_eq!(run.outcome.faults[&name].fired, planned, "{name}");
    }
    assert!(!engine_events(&run, EngineEvent::NodeProcessCrash).is_empty());
    assert_eq!(run.outcome.trace_hash, c.run_seed(3).outcome.trace_hash);
}

#[test]
fn new_kinds_leave_the_other_kinds_plans_as_they_were() {
    let t = |node: &str, domain: &str| Target {
        node: node.into(),
        domain: domain.into(),
        disks: vec![format!("{node}/disk")],
    };
    let targets = [t("a", "x"), t("b", "y"), t("c", "x")];
    let old = Rates {
        power_loss_per_node_day: 1.0,
        torn_write_per_node_day: 1.0,
        bit_rot_per_disk_day: 2.0,
        latent_sector_error_per_disk_day: 1.0,
        sync_failure_per_disk_day: 1.0,
        lost_write_per_disk_day: 1.0,
        device_loss_per_disk_day: 0.5,
        partition_per_link_day: 1.0,
        ..Rates::default()
    };
    let days = Duration::from_secs(3 * 86_400);
    // The plans these rates drew before the new kinds existed.
    let before = [
        (0x5927_8078_39db_89f8, 46),
        (0xa737_f964_0fbc_a93e, 53),
        (0xf87e_83f2_8332_3509, 52),
        (0x5192_a5ca_5d51_f661, 45),
    ];
    let new = Rates {
        crash_per_node_day: 3.0,
        clock_skew_per_node_day: 3.0,
        clock_reset_per_node_day: 3.0,
        ..old.clone()
    };
    let is_new = |f: &PlannedFault<Fault>| {
        matches!(
            f.kind.name,
            FaultName::Generic(FaultKind::Crash | FaultKind::ClockSkew | FaultKind::ClockReset)
        )
    };
    let strip = |p: &Plan<Fault>| -> Vec<_> {
        p.faults
            .iter()
            .filter(|f| !is_new(f))
            .map(|f| (f.at, f.target.clone(), f.kind.clone(), f.resolve_seed))
            .collect()
    };
    for (seed, (hash, len)) in before.into_iter().enumerate() {
        let p = plan(&old, &targets, &[], seed as u64, days);
        assert_eq!((p.hash(), p.faults.len()), (hash, len), "seed {seed}");
        let with_new = plan(&new, &targets, &[], seed as u64, days);
        assert!(with_new.faults.iter().any(is_new));
        assert_eq!(strip(&with_new), strip(&p), "seed {seed}");
    }
}

#[test]
fn a_crash_that_breaks_the_promise_shrinks_to_itself() {
    let c = case("restart_after = \"2m\"", true);
    let plan = plan_of(&[
        (80, FaultKind::ClockSkew),
        (90, FaultKind::Crash),
        (100, FaultKind::ClockReset),
    ]);
    let failing = c.run_plan(0, plan.clone());
    assert_eq!(failing.outcome.verdicts[0].kind.to_string(), "lost");
    assert!(c.run_plan(0, Plan::default()).outcome.kept_promise());
    let mut with = c.clone();
    with.plan = Some(("three faults".into(), plan));
    let shrunk = shrink_plan(&with, 0, &Options::default(), &mut |_| {})
        .expect("a failing seed shrinks")
        .run;
    let left: Vec<String> = shrunk
        .plan
        .faults
        .iter()
        .map(|f| f.kind.to_string())
        .collect();
    assert_eq!(left, vec!["crash"]);
    let story = explain(&shrunk);
    assert!(story.starts_with("u0/note-0: lost"), "{story}");
}

#[test]
fn the_new_rates_are_checked_with_their_keys() {
    for (set, key) in [
        ("crash_per_node_day = -1", "faults.crash_per_node_day"),
        ("clock_skew_max = \"0s\"", "faults.clock_skew_max"),
        ("restart_after = \"31d\"", "faults.restart_after"),
    ] {
        let text = format!(
            "name = \"box\"\n[run]\nduration = \"5h\"\nheal_bound = \"1h\"\n\
             [faults]\n{set}\n[system]\n"
        );
        let e = Case::<Boxed>::load(&Source::new("box.toml", &text), &[], "plain").unwrap_err();
        assert!(e.to_string().contains(key), "{e}");
    }
}
