//! The survivable atlas (`faults.survivable`): a fault that would strike
//! the last live copy of acknowledged data is skipped, traced with why and
//! counted per design; with the mode off the same plan fires it; reports
//! show the counts per design.

mod common;

use lastcopy::survivable::SkipReason;
use sim::outcome::SeedOutcome;
use sim::trace::{EngineEvent, Event};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

/// The atlas's skips in a trace: (fault id, event).
fn skips(events: &[Event]) -> Vec<(u64, &Event)> {
    events
        .iter()
        .filter(|e| e.kind == EngineEvent::FaultSkipped)
        .filter(|e| e.str("atlas").and_then(SkipReason::parse).is_some())
        .map(|e| {
            (
                e.field("fault").and_then(|v| v.as_u64()).expect("fault id"),
                e,
            )
        })
        .collect()
}

fn atlas_skipped(o: &SeedOutcome) -> u64 {
    o.faults.values().map(|c| c.atlas_skipped).sum()
}

#[test]
fn a_reset_on_the_last_copy_is_skipped_and_recorded_and_fires_without_the_mode() {
    let on = common::case("restore-resets", "fragile-2009", &[]).run_seed(0);
    let events = on.output.trace.events();
    assert!(
        events.iter().any(|e| e.kind == EngineEvent::FaultAtlas),
        "the mode is in the trace"
    );
    let skipped = skips(events);
    assert!(
        !skipped.is_empty(),
        "fragile-2009 keeps few copies: some fault is skipped"
    );
    assert_eq!(atlas_skipped(&on.outcome), skipped.len() as u64);
    // Each skip names a version whose every live copy, by the trace's own
    // copy events up to the skip, is on the target handset's flash.
    let mut live: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for e in events {
        let key = || {
            (
                e.str("record").unwrap_or_default().to_string(),
                e.str("version").unwrap_or_default().to_string(),
            )
        };
        let store = || e.str("store").unwrap_or_default().to_string();
        match e.kind.engine() {
            Some(EngineEvent::CopyCreated) => {
                live.entry(key()).or_default().insert(store());
            }
            Some(EngineEvent::CopyEnded) => {
                live.entry(key()).or_default().remove(&store());
            }
            Some(EngineEvent::FaultSkipped)
                if e.str("record").is_some() && e.node.starts_with("handset") =>
            {
                let flash = format!("{}/flash", e.node);
                let stores = live.get(&key()).cloned().unwrap_or_default();
                assert_eq!(stores, BTreeSet::from([flash]), "{e:?}");
            }
            _ => {}
        }
    }
    // Without the mode, the same plan fires every fault the atlas skipped.
    let off = common::case(
        "restore-resets",
        "fragile-2009",
        &["faults.survivable=false"],
    )
    .run_seed(0);
    assert_eq!(off.plan, on.plan);
    let events = off.output.trace.events();
    assert!(events.iter().all(|e| e.kind != EngineEvent::FaultAtlas));
    assert!(skips(events).is_empty());
    for (id, _) in &skipped {
        assert!(
            off.output.fired.contains(&(*id as u32)),
            "fault {id} fires without the atlas"
        );
        assert!(
            !on.output.fired.contains(&(*id as u32)),
            "fault {id} is not counted fired"
        );
    }
}

#[test]
fn a_design_with_fewer_copies_gets_more_faults_skipped() {
    let count = |design: &str| -> u64 {
        common::case("restore-resets", design, &[])
            .sweep(0..3, common::jobs())
            .iter()
            .map(atlas_skipped)
            .sum()
    };
    let (fragile, hardened) = (count("fragile-2009"), count("hardened"));
    assert!(
        fragile > hardened,
        "fragile-2009 {fragile}, hardened {hardened}"
    );
}

#[test]
fn rot_on_flash_lands_only_on_sectors_with_another_copy() {
    // offline-media's rot strikes handset flash; every sector it resolves
    // onto holds records that keep another copy, so hardened keeps the
    // promise on these seeds although the flash of offline handsets rots.
    let outcomes = common::case("offline-media", "hardened", &[]).sweep(0..3, common::jobs());
    for o in &outcomes {
        assert!(o.kept_promise(), "seed {}: {:?}", o.seed, o.verdicts);
        assert!(
            o.faults["bit-rot"].effective > 0,
            "seed {}: rot took effect",
            o.seed
        );
    }
    assert!(outcomes.iter().map(atlas_skipped).sum::<u64>() > 0);
}

#[test]
fn a_report_shows_the_faults_the_atlas_skipped_per_design() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-atlas");
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_lastcopy"))
        .args([
            "report",
            "tests/data/report-small.toml",
            "--designs",
            "fragile-2009,hardened",
            "--seeds",
            "0..3",
            "--shrink-runs",
            "10",
            "--no-provenance",
            "--set",
            "faults.survivable=true",
            "--out",
        ])
        .arg(&dir)
        .output()
        .expect("the binary runs");
    assert!(out.status.code().is_some(), "{out:?}");
    let md = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    let line = md
        .lines()
        .find(|l| l.starts_with("Faults skipped by the survivable atlas"))
        .expect("the report has the atlas line");
    assert!(
        line.contains("`fragile-2009` ") && line.contains("`hardened` "),
        "{line}"
    );
}

#[test]
fn swarm_draws_the_hard_mixes_under_the_atlas() {
    for name in ["offline-media", "restore-resets"] {
        let case = common::case(name, "fragile-2009", &[]);
        let outcomes: Vec<SeedOutcome> = (0..2)
            .map(|seed| lastcopy::swarm::run_seed(&case, seed, false).expect("draws load"))
            .collect();
        assert!(
            outcomes.iter().map(atlas_skipped).sum::<u64>() > 0,
            "{name}: the atlas stays on under the swarm"
        );
        assert!(outcomes.iter().all(|o| !o.drawn.is_empty()));
    }
}
