//! BUGGIFY in the models: with `buggify = true` each site of the server,
//! the databases and the handsets takes its rare but legal path in some
//! seeds (each class shown firing, with its trace event), the hardened
//! design keeps the promise while they do, a buggified seed replays to the
//! same trace, and a run without the key reaches no site at all. The
//! release CLI sweeps far more (`run CATALOGUE --design hardened --set
//! buggify=true`; scenarios/README.md).

mod common;

use harness::rig::Rig;
use lastcopy::rig::Sidekick;
use lastcopy::runner::Summary;
use models::database::SITE_SPLIT_REPLY;
use models::event::SidekickEvent;
use models::handset::{SITE_REORDER_PUSH, SITE_RETRY_EARLY, SITE_TIMEOUT_AT_EDGE};
use models::server::SITE_DELAY_REPLY;

/// Every site of the models, with the trace event it leaves when it fires.
const SITES: [(&str, SidekickEvent); 5] = [
    (SITE_DELAY_REPLY, SidekickEvent::ServerDelayedReply),
    (SITE_SPLIT_REPLY, SidekickEvent::DbSplitReply),
    (SITE_RETRY_EARLY, SidekickEvent::SyncRetryEarly),
    (SITE_TIMEOUT_AT_EDGE, SidekickEvent::SyncTimeoutAtEdge),
    (SITE_REORDER_PUSH, SidekickEvent::SyncReorderedPush),
];

/// partitions at four handsets with its network faults: cheap, and every
/// exchange path (timeouts, unavailable servers, pushes) is taken.
const SMALL: [&str; 2] = ["topology.handsets=4", "buggify=true"];

#[test]
fn every_site_fires_in_some_seed_and_hardened_keeps_the_promise() {
    let case = common::case("partitions", "hardened", &SMALL);
    let outcomes = case.sweep(0..common::sweep(16), common::jobs());
    let s = Summary::of(&outcomes);
    let broke: Vec<u64> = outcomes
        .iter()
        .filter(|o| !o.kept_promise())
        .map(|o| o.seed)
        .collect();
    assert!(broke.is_empty(), "hardened broke on seeds {broke:?}: {s}");
    let cov = Sidekick::coverage().with_outcomes(&outcomes);
    for (site, event) in SITES {
        let c = cov
            .site(site)
            .unwrap_or_else(|| panic!("{site} never reached:\n{cov}"));
        assert!(c.fired > 0, "{site} never fired:\n{cov}");
        assert!(
            c.seeds_active < c.seeds_reached,
            "{site} is active in only some seeds:\n{cov}"
        );
        // The seed where it fired shows it in the trace.
        let seed = outcomes
            .iter()
            .find(|o| o.buggify.get(site).is_some_and(|c| c.fired > 0))
            .expect("fired somewhere")
            .seed;
        let run = case.run_seed(seed);
        let shown = run
            .output
            .trace
            .events()
            .iter()
            .filter(|e| e.kind == event)
            .count() as u64;
        assert_eq!(
            shown, run.outcome.buggify[site].fired,
            "seed {seed}: {site} fired as often as its event {event} shows"
        );
    }
}

#[test]
fn a_buggified_seed_replays_to_the_same_trace_and_differs_from_the_plain_run() {
    let case = common::case("partitions", "hardened", &SMALL);
    let seed = (0..32)
        .find(|&s| {
            let o = case.run_seed(s).outcome;
            o.buggify.values().any(|c| c.fired > 0)
        })
        .expect("some seed fires a site");
    let a = case.run_seed(seed).outcome;
    let b = case.run_seed(seed).outcome;
    assert_eq!(a.trace_hash, b.trace_hash, "seed {seed} replays");
    assert_eq!(a.buggify, b.buggify);
    let plain = common::case("partitions", "hardened", &["topology.handsets=4"]);
    let p = plain.run_seed(seed).outcome;
    assert_ne!(p.trace_hash, a.trace_hash, "a fired site changes the run");
    assert!(p.buggify.is_empty(), "without the key no site is reached");
    let off = common::case(
        "partitions",
        "hardened",
        &["topology.handsets=4", "buggify=false"],
    );
    assert_eq!(off.run_seed(seed).outcome.trace_hash, p.trace_hash);
}

#[test]
fn the_results_line_of_a_plain_run_has_no_buggify_key() {
    let plain = common::case("partitions", "hardened", &["topology.handsets=4"]);
    let line = serde_json::to_string(&plain.run_seed(0).outcome).unwrap();
    assert!(!line.contains("buggify"), "{line}");
    let on = common::case("partitions", "hardened", &SMALL);
    let line = serde_json::to_string(&on.run_seed(0).outcome).unwrap();
    assert!(line.contains("\"buggify\""), "{line}");
}
