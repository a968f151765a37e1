//! The photo library under the harness, scenario by scenario, against each
//! scenario's `[expect]`: hardened keeps the promise, naive breaks it, and
//! `--explain`'s last-copy lines of a typical failing naive seed (three in
//! four at least) name the scenario's own incident ([`last_copy`], what
//! those lines tell). Cheap by default (a few seeds); with
//! `LASTCOPY_SWEEP` set, the sweep: hardened on 0..200, naive
//! failing on at least half of 0..50.

use lastcopy_harness::case::{Case, SeedRun};
use lastcopy_harness::plan::faults::FaultName;
use lastcopy_harness::scenario::Expect;
use lastcopy_harness::scenario::Source;
use lastcopy_harness::sim::outcome::VerdictKind;
use lastcopy_harness::sim::record::RecordId;
use lastcopy_harness::triage::explain::{explain_verdict, last_copy, LastCopy};
use lastcopy_photo::incident::Incident;
use lastcopy_photo::PhotoLibrary;

/// Each catalogue scenario with the incidents its naive failures must be
/// blamed on.
const CATALOGUE: &[(&str, &str, &[Incident])] = &[
    (
        "photo-gc-race",
        include_str!("../scenarios/photo-gc-race.toml"),
        &[Incident::GcRace, Incident::VolumeLost],
    ),
    (
        "photo-offline",
        include_str!("../scenarios/photo-offline.toml"),
        &[Incident::LongOffline],
    ),
    (
        "photo-stale-snapshot",
        include_str!("../scenarios/photo-stale-snapshot.toml"),
        &[Incident::StaleSnapshotRestore],
    ),
    (
        "photo-everything",
        include_str!("../scenarios/photo-everything.toml"),
        &Incident::ALL,
    ),
];

fn case(name: &str, text: &str, design: &str) -> Case<PhotoLibrary> {
    Case::load(
        &Source::new(format!("scenarios/{name}.toml"), text),
        &[],
        design,
    )
    .expect("catalogue scenario loads")
}

fn sweeping() -> bool {
    std::env::var_os("LASTCOPY_SWEEP").is_some()
}

/// The fault that ended the last copy of a failing record, as
/// `--explain`'s `last copy:` line tells it: `Some(incident)` for one of
/// the system's own, `Some(None)` for a generic fault, `None` when no
/// fault did (the system's own work, or no copy ended).
fn blamed(run: &SeedRun, record: RecordId) -> Option<Option<Incident>> {
    match last_copy(run, record) {
        LastCopy::Fault(f) => Some(match f.kind.name {
            FaultName::Own(name) => Incident::parse(&name),
            FaultName::Generic(_) => None,
        }),
        LastCopy::NeverEnded | LastCopy::NoFault => None,
    }
}

/// The fault the most last-copy lines of `run`'s failing records blame
/// (`None`: a generic one, or none at all).
fn most_blamed(run: &SeedRun) -> Option<Incident> {
    let mut counts = std::collections::BTreeMap::<Option<Incident>, usize>::new();
    for v in &run.outcome.verdicts {
        let record = run.output.ledger.record_named(&v.subject);
        if let Some(fault) = record.and_then(|r| blamed(run, r)) {
            *counts.entry(fault).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .and_then(|(k, _)| k)
}

#[test]
fn every_scenario_expects_hardened_to_keep_and_naive_to_break() {
    for (name, text, _) in CATALOGUE {
        let c = case(name, text, "hardened");
        assert_eq!(
            c.scenario.expect.get("hardened"),
            Some(&Expect::Keeps),
            "{name}"
        );
        assert_eq!(
            c.scenario.expect.get("naive"),
            Some(&Expect::Breaks),
            "{name}"
        );
    }
}

#[test]
fn hardened_keeps_the_promise() {
    let seeds = if sweeping() { 0..200 } else { 0..2 };
    for (name, text, _) in CATALOGUE {
        let c = case(name, text, "hardened");
        for seed in seeds.clone() {
            let o = c.run_seed(seed).outcome;
            assert!(o.kept_promise(), "{name} seed {seed}: {:?}", o.verdicts);
        }
    }
}

#[test]
fn naive_breaks_it_and_the_last_copy_names_the_scenarios_own_incident() {
    for (name, text, incidents) in CATALOGUE {
        let c = case(name, text, "naive");
        let seeds = if sweeping() { 0..50 } else { 0..2 };
        let n = seeds.end - seeds.start;
        let (mut failed, mut elsewhere) = (0, Vec::new());
        for seed in seeds {
            let run = c.run_seed(seed);
            if run.outcome.kept_promise() {
                continue;
            }
            failed += 1;
            let blamed = most_blamed(&run);
            if !blamed.is_some_and(|b| incidents.contains(&b)) {
                elsewhere.push((seed, blamed));
            }
        }
        assert!(2 * failed >= n, "{name}: naive broke {failed} of {n} seeds");
        // A typical failing seed names the incident: at least three in four.
        assert!(
            4 * elsewhere.len() as u64 <= failed,
            "{name}: last copies mostly blamed elsewhere on {elsewhere:?} of {failed}"
        );
    }
}

#[test]
fn explain_names_a_lost_photos_blob_metadata_and_library_copies_in_its_own_words() {
    let (name, text, _) = CATALOGUE[0];
    let run = case(name, text, "naive").run_seed(0);
    let lost = run
        .outcome
        .verdicts
        .iter()
        .find(|v| v.kind == VerdictKind::Lost)
        .expect("naive loses a photo on seed 0");
    let story = explain_verdict(&run, lost).to_string();
    for words in [
        "metadata w",
        "on meta-primary",
        "on volume-0",
        "'s library",
        "last copy: blob b",
    ] {
        assert!(story.contains(words), "{words:?} not in {story}");
    }
}

#[test]
fn hardened_shows_near_misses_where_an_incident_cut_a_photos_copies() {
    // Seeds where a lost volume cut blobs to volume-0 and the devices, and
    // a garbage collection or a power loss struck one of those before the
    // devices uploaded them again.
    let (name, text, _) = CATALOGUE[0];
    let c = case(name, text, "hardened");
    let near: u64 = (0..3)
        .flat_map(|seed| c.run_seed(seed).outcome.faults.into_values())
        .map(|f| f.near_miss)
        .sum();
    assert!(near > 0, "no near miss on {name} seeds 0..3");
}

#[test]
fn a_seed_replays_to_the_same_trace() {
    let (name, text, _) = CATALOGUE[0];
    let c = case(name, text, "naive");
    let hash = |seed| c.run_seed(seed).outcome.trace_hash;
    assert_eq!(hash(3), hash(3));
}

#[test]
fn bad_system_keys_are_refused_with_their_line() {
    let (_, text, _) = CATALOGUE[0];
    for (from, to, key) in [
        ("adds_per_day", "photos_per_day", "photos_per_day"),
        (
            "devices = 3",
            "devices = 7",
            "key `system.devices`: 7 is not from 2 to 4",
        ),
        ("gc_race_per_day", "gc_per_day", "gc_per_day"),
        (
            "devices = 3",
            "users = 5\ndevices = 3",
            "key `system.users`: 5 is not from 1 to 4",
        ),
    ] {
        let bad = text.replace(from, to);
        let err =
            Case::<PhotoLibrary>::load(&Source::new("bad.toml", bad), &[], "hardened").unwrap_err();
        let err = err.to_string();
        assert!(err.starts_with("bad.toml:") && err.contains(key), "{err}");
    }
}
