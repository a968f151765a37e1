//! Network faults (issue #5): the project's own layer over the endpoints is
//! deterministic and traced, heal lifts every network fault, every network
//! fault class breaks some design, and each defence of the hardened design
//! against them is needed: flipping it alone breaks a focused variant of
//! `partitions`, which the hardened design keeps.

mod common;

use lastcopy::runner::{Case, Summary};
use models::fault::{FaultClass, FaultKind};
use sim::trace::EngineEvent;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// `partitions` (four handsets) under `design` with only the faults `extra`
/// turns on.
fn focused(design: &str, extra: &[&str]) -> Case {
    let mut overrides: Vec<&str> = common::QUIET_NETWORK.to_vec();
    overrides.extend_from_slice(extra);
    common::case("partitions", design, &overrides)
}

fn failed(case: &Case, seeds: Range<u64>) -> Summary {
    Summary::of(&case.sweep(seeds, common::jobs()))
}

/// Asserts that `extra` breaks `design` on some of `seeds`, and that with
/// `fix` added (one knob) the same seeds keep.
fn breaks_unless(design: &str, extra: &[&str], fix: &str, seeds: Range<u64>) {
    let broken = failed(&focused(design, extra), seeds.clone());
    assert!(
        broken.failed > 0,
        "{design} {extra:?} should break: {broken}"
    );
    let mut fixed: Vec<&str> = extra.to_vec();
    fixed.push(fix);
    let kept = failed(&focused(design, &fixed), seeds);
    assert_eq!(kept.failed, 0, "{design} {fixed:?} should keep: {kept}");
}

const EFFECTS: [EngineEvent; 5] = [
    EngineEvent::NetDropped,
    EngineEvent::NetDuplicated,
    EngineEvent::NetHeld,
    EngineEvent::NetDelayed,
    EngineEvent::NetCorrupted,
];

#[test]
fn network_effects_are_deterministic_traced_and_healed() {
    let case = common::case("partitions", "fragile-2009", &[]);
    let run = case.run_seed(3);
    let again = case.run_seed(3);
    assert_eq!(run.output.trace.hash(), again.output.trace.hash());
    let events = run.output.trace.events();
    let fired: Vec<(u64, &str)> = events
        .iter()
        .filter(|e| e.kind == EngineEvent::FaultFired)
        .filter_map(|e| Some((e.field("fault")?.as_u64()?, e.str("fault_kind")?)))
        .collect();
    let kind_of = |id: u64| fired.iter().find(|(f, _)| *f == id).map(|(_, k)| *k);
    // Every effect names a fault that fired, of the kind that has it.
    for effect in EFFECTS {
        let seen: Vec<_> = events.iter().filter(|e| e.kind == effect).collect();
        assert!(!seen.is_empty(), "no {effect} in seed 3");
        for e in seen {
            let id = e.field("fault").and_then(|v| v.as_u64()).expect("fault");
            let k = kind_of(id).expect("the fault fired");
            let expected = match effect {
                EngineEvent::NetDropped => "packet-loss",
                EngineEvent::NetDuplicated => "duplication",
                EngineEvent::NetHeld => "reordering",
                EngineEvent::NetDelayed => "long-delay",
                _ => "transit-corruption",
            };
            assert_eq!(k, expected, "{e}");
            assert!(e.str("to").is_some(), "{e}");
        }
    }
    // Every network fault that fired was resolved to its links, and lifted
    // no later than the heal phase began; after that no frame is touched.
    let heal = events
        .iter()
        .find(|e| e.kind == EngineEvent::Phase && e.str("phase") == Some("heal"))
        .expect("a heal phase")
        .at;
    let network: BTreeSet<u64> = fired
        .iter()
        .filter(|(_, k)| FaultKind::parse(k).is_some_and(|k| k.class() == FaultClass::Network))
        .map(|(f, _)| *f)
        .collect();
    assert!(!network.is_empty());
    for id in &network {
        let of = |k: EngineEvent| {
            events
                .iter()
                .find(|e| e.kind == k && e.field("fault").and_then(|v| v.as_u64()) == Some(*id))
        };
        assert!(of(EngineEvent::FaultResolved).is_some_and(|e| e.str("links").is_some()));
        let ended = of(EngineEvent::NetFaultEnded).expect("every network fault ends");
        assert!(ended.at <= heal, "{ended}");
    }
    let late: Vec<_> = events
        .iter()
        .filter(|e| {
            e.at > heal
                && (e.kind.engine().is_some_and(|k| EFFECTS.contains(&k))
                    || e.kind == EngineEvent::NetFrameRejected)
        })
        .collect();
    assert!(late.is_empty(), "network effects after heal: {late:?}");
    assert!(run.output.final_state.converged);
}

#[test]
fn every_network_fault_kind_fires_effectively() {
    let mut effective: BTreeMap<String, u64> = BTreeMap::new();
    for design in ["fragile-2009", "hardened"] {
        let case = common::case("partitions", design, &[]);
        for o in case.sweep(0..common::sweep(4), common::jobs()) {
            for (k, c) in o.faults {
                *effective.entry(k).or_default() += c.effective;
            }
        }
    }
    for name in FaultKind::of_class(FaultClass::Network).map(FaultKind::name) {
        assert!(
            effective.get(name).copied().unwrap_or(0) > 0,
            "{name} never took effect: {effective:?}"
        );
    }
}

#[test]
fn a_long_partition_or_offline_period_breaks_a_handset_that_refreshes() {
    // A handset cut off for a day refreshes from the server (the 2009 slow
    // sync) and drops what its user saved meanwhile.
    let partition = [
        "faults.network.partition_per_link_day=0.5",
        "faults.network.partition_for=1d",
    ];
    breaks_unless(
        "fragile-2009",
        &partition,
        "design.offline_refresh=false",
        2..4,
    );
    let offline = ["faults.network.offline_per_handset_day=0.2"];
    breaks_unless(
        "fragile-2009",
        &offline,
        "design.offline_refresh=false",
        2..4,
    );
}

#[test]
fn a_day_of_total_packet_loss_breaks_a_handset_that_refreshes() {
    let loss = [
        "faults.network.packet_loss_per_link_day=0.5",
        "faults.network.window=1d",
        "faults.network.loss_share=1",
    ];
    breaks_unless("fragile-2009", &loss, "design.offline_refresh=false", 2..3);
}

#[test]
fn duplicated_reordered_or_delayed_pushes_break_last_arrival_wins() {
    let busy = [
        "workload.edits_per_handset_day=100",
        "faults.network.hold_for=1h",
    ];
    let dup = [
        busy[0],
        busy[1],
        "faults.network.duplication_per_link_day=3",
        "faults.network.duplicate_share=0.5",
    ];
    breaks_unless("fragile-2009", &dup, "design.idempotent_commit=true", 0..2);
    let reorder = [
        busy[0],
        busy[1],
        "faults.network.reordering_per_link_day=3",
        "faults.network.reorder_share=0.5",
    ];
    breaks_unless(
        "fragile-2009",
        &reorder,
        "design.idempotent_commit=true",
        0..2,
    );
    let delay = ["faults.network.long_delay_per_link_day=3"];
    breaks_unless(
        "fragile-2009",
        &delay,
        "design.idempotent_commit=true",
        0..2,
    );
}

#[test]
fn corruption_in_transit_breaks_a_design_that_acts_on_garbled_frames() {
    let corrupt = ["faults.network.transit_corruption_per_link_day=3"];
    breaks_unless("fragile-2009", &corrupt, "design.wire_checksum=true", 1..3);
    // Rows checked end to end are not enough on their own in fragile-2009,
    // and the frame checksum alone is: hardened without row checks keeps.
    let kept = failed(
        &focused("hardened", &[corrupt[0], "design.verify_reads=false"]),
        1..3,
    );
    assert_eq!(kept.failed, 0, "{kept}");
}

#[test]
fn hardened_without_wire_checksum_breaks_under_heavy_corruption() {
    // Rows are checked end to end, but a garbled header is acted on: in
    // seed 71 garbled exchanges file other users' records in a handset's
    // account (leaked) and leave it apart from the server (liveness); 8 of
    // seeds 0..100 break so, none with the frame checksum on.
    let heavy = [
        "faults.network.transit_corruption_per_link_day=12",
        "faults.network.corrupt_share=1",
        "workload.edits_per_handset_day=50",
    ];
    let mut flipped = heavy.to_vec();
    flipped.push("design.wire_checksum=false");
    let broken = failed(&focused("hardened", &flipped), 71..72);
    assert!(broken.failed > 0, "{broken}");
    let kept = failed(&focused("hardened", &heavy), 71..72);
    assert_eq!(kept.failed, 0, "{kept}");
}

#[test]
fn hardened_without_idempotent_commit_breaks_under_long_delays_and_resets() {
    // A push delayed by hours rolls the server back to an older version; a
    // handset reset before its next digest sync restores that older version.
    let delays = [
        "faults.network.long_delay_per_link_day=3",
        "faults.network.delay_share=0.5",
        "faults.reset_per_handset_day=2",
        "workload.edits_per_handset_day=50",
    ];
    let mut flipped = delays.to_vec();
    flipped.push("design.idempotent_commit=false");
    breaks_unless("hardened", &flipped, "design.idempotent_commit=true", 0..2);
}

#[test]
fn hardened_with_offline_refresh_breaks_partitions() {
    let broken = failed(
        &common::case("partitions", "hardened", &["design.offline_refresh=true"]),
        0..2,
    );
    assert!(broken.failed > 0, "{broken}");
}
