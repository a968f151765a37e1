//! Swarm over everything a scenario sets: each seed draws the workload's
//! shape and timing (the workload table, burstiness and the exchange
//! timeout included), a heal bound that grows with the drawn sync interval
//! and exchange timeout, the databases' engine, buggify and the handsets'
//! store, beside the fault rates and the handset count. Each dimension is
//! drawn within its bounds (or a scenario's narrower ones), dimensions
//! added later leave what a seed drew before alone, a drawn configuration
//! replays to the same trace without the swarm, and the work budget bounds
//! every draw.

mod common;

use lastcopy::budget::Work;
use lastcopy::scenario::Scenario;
use lastcopy::swarm;
use lastcopy::workload_table::{Kind, WORKLOAD_TABLE};
use models::event::SidekickEvent;
use std::collections::BTreeSet;

/// The value seed `seed`'s draw from `s` gives `key`, if it sets it.
fn drawn(s: &Scenario, seed: u64, key: &str) -> Option<String> {
    let prefix = format!("{key}=");
    swarm::draw(s, seed, false)
        .iter()
        .find_map(|o| o.strip_prefix(&prefix).map(str::to_string))
}

/// A duration override's milliseconds (`1234ms`).
fn ms(v: &str) -> f64 {
    v.strip_suffix("ms")
        .expect("durations are drawn in ms")
        .parse()
        .unwrap()
}

/// The scenario's own value of a workload table key, as the draw writes it.
fn base(s: &Scenario, key: &str) -> f64 {
    let w = &s.workload;
    match key {
        "workload.edits_per_handset_day" => w.edits_per_handset_day,
        "workload.new_record_probability" => w.new_record_probability,
        "workload.max_records_per_handset" => f64::from(w.max_records_per_handset),
        "workload.delete_probability" => w.delete_probability,
        "workload.portal_edits_per_user_day" => w.portal_edits_per_user_day,
        "workload.sync_interval" => w.sync_interval.as_millis() as f64,
        "workload.sync_after_edit" => w.sync_after_edit.as_millis() as f64,
        "system.network_latency" => s.system.network_latency.as_millis() as f64,
        "workload.exchange_timeout" => w.exchange_timeout.as_millis() as f64,
        "workload.burstiness" => w.burstiness,
        other => panic!("a new workload table key {other}: add it here"),
    }
}

#[test]
fn every_workload_and_timing_key_is_drawn_within_its_bounds() {
    // two-writers sets every key of the table above zero (portal, deletes).
    let s = Scenario::load("two-writers", &[]).expect("loads");
    for row in WORKLOAD_TABLE.iter().filter(|r| r.kind.scales()) {
        let b = base(&s, row.key);
        assert!(b > 0.0, "two-writers sets {}", row.key);
        let values: Vec<f64> = (0..100)
            .map(|seed| {
                let v = drawn(&s, seed, row.key).unwrap_or_else(|| panic!("{} drawn", row.key));
                if v.ends_with("ms") {
                    ms(&v)
                } else {
                    v.parse().unwrap()
                }
            })
            .collect();
        let distinct: BTreeSet<u64> = values.iter().map(|v| v.to_bits()).collect();
        assert!(distinct.len() > 10, "{} varies: {values:?}", row.key);
        for v in &values {
            let f = v / b;
            // Rounding (4 digits, whole counts and ms) and the cap at 1 aside.
            let capped = row.key.ends_with("_probability") && *v == 1.0;
            let slack = if row.key.ends_with("per_handset") {
                0.5 / b
            } else {
                1e-3
            };
            assert!(
                capped || (row.min - slack..=row.max + slack).contains(&f),
                "{} drew {v}: factor {f} outside {}..{}",
                row.key,
                row.min,
                row.max
            );
        }
        assert!(values.iter().any(|v| *v < b) && values.iter().any(|v| *v > b));
    }
}

#[test]
fn the_heal_bound_grows_with_the_drawn_sync_interval_and_never_shrinks() {
    let s = Scenario::load("chaos", &[]).expect("loads");
    let heal = s.run.heal_bound.as_millis() as f64;
    let interval = s.workload.sync_interval.as_millis() as f64;
    let timeout = s.workload.exchange_timeout.as_millis() as f64;
    let mut grew = 0;
    for seed in 0..100 {
        let h = ms(&drawn(&s, seed, "run.heal_bound").expect("drawn"));
        let i = ms(&drawn(&s, seed, "workload.sync_interval").expect("drawn"));
        let t = ms(&drawn(&s, seed, "workload.exchange_timeout").expect("drawn"));
        assert!(h >= heal, "seed {seed}: heal {h} < {heal}");
        // A longer exchange timeout is waited out once more.
        let want = heal * (i / interval).max(1.0) + (t - timeout).max(0.0);
        assert!(
            (h - want).abs() <= heal * 1e-3 + 1.0,
            "seed {seed}: {h} vs {want}"
        );
        grew += usize::from(h > heal);
    }
    assert!(grew > 20, "the heal bound grew in {grew} of 100 seeds");
}

#[test]
fn the_engine_and_buggify_are_drawn_and_a_scenario_may_fix_them() {
    let s = Scenario::load("chaos", &[]).expect("loads");
    let engines: BTreeSet<String> = (0..40)
        .filter_map(|seed| drawn(&s, seed, "engine"))
        .collect();
    assert_eq!(engines, ["log", "redb"].map(String::from).into());
    let buggify: BTreeSet<String> = (0..40)
        .filter_map(|seed| drawn(&s, seed, "buggify"))
        .collect();
    assert_eq!(buggify, ["false", "true"].map(String::from).into());

    let sets = ["swarm.engines=[\"redb\"]", "swarm.buggify=true"].map(String::from);
    let narrow = Scenario::load("chaos", &sets).expect("loads");
    for seed in 0..20 {
        assert_eq!(drawn(&narrow, seed, "engine").as_deref(), Some("redb"));
        assert_eq!(drawn(&narrow, seed, "buggify").as_deref(), Some("true"));
    }
}

#[test]
fn the_handsets_store_is_drawn_and_a_scenario_may_narrow_it() {
    let s = Scenario::load("chaos", &[]).expect("loads");
    let stores: BTreeSet<String> = (0..40)
        .filter_map(|seed| drawn(&s, seed, "handset_engine"))
        .collect();
    assert_eq!(stores, ["log", "sqlite"].map(String::from).into());
    // sqlite-handsets narrows it to SQLite in its own [swarm].
    let sqlite = Scenario::load("sqlite-handsets", &[]).expect("loads");
    let only = ["swarm.handset_engines=[\"log\"]".to_string()];
    let log = Scenario::load("chaos", &only).expect("loads");
    for seed in 0..20 {
        assert_eq!(
            drawn(&sqlite, seed, "handset_engine").as_deref(),
            Some("sqlite")
        );
        assert_eq!(drawn(&log, seed, "handset_engine").as_deref(), Some("log"));
    }
    let twice = "swarm.handset_engines=[\"sqlite\", \"sqlite\"]".to_string();
    let e = Scenario::load("chaos", std::slice::from_ref(&twice)).expect_err(&twice);
    assert!(e.to_string().contains("swarm.handset_engines"), "{e}");
}

#[test]
fn a_seed_that_draws_sqlite_handsets_replays_as_a_set_override() {
    let case = common::case("two-writers", "hardened", &["topology.handsets=2"]);
    let seed = (0..40u64)
        .find(|&seed| {
            swarm::draw(&case.scenario, seed, false).contains(&"handset_engine=sqlite".to_string())
        })
        .expect("some seed draws SQLite");
    let swarmed = swarm::run_seed(&case, seed, false).expect("loads");
    assert!(swarmed.drawn.contains(&"handset_engine=sqlite".to_string()));
    let sets: Vec<&str> = ["topology.handsets=2"]
        .into_iter()
        .chain(swarmed.drawn.iter().map(String::as_str))
        .collect();
    let replay = common::case("two-writers", "hardened", &sets);
    assert_eq!(
        replay.scenario.handset_engine,
        models::engine::sqlite::HandsetEngine::Sqlite
    );
    assert_eq!(replay.run_seed(seed).outcome.trace_hash, swarmed.trace_hash);
}

#[test]
fn a_scenario_may_narrow_a_keys_factors_but_not_widen_them() {
    let key = "workload.sync_interval";
    let sets = [format!("swarm.factors={{\"{key}\" = [1.0, 1.0]}}")];
    let s = Scenario::load("chaos", &sets).expect("loads");
    let base = s.workload.sync_interval.as_millis() as f64;
    for seed in 0..20 {
        assert_eq!(ms(&drawn(&s, seed, key).unwrap()), base);
    }
    for bad in [
        format!("swarm.factors={{\"{key}\" = [0.1, 1.0]}}"),
        format!("swarm.factors={{\"{key}\" = [1.5, 1.0]}}"),
        "swarm.factors={\"faults.no_such_key\" = [1.0, 1.0]}".to_string(),
        "swarm.engines=[\"log\", \"log\"]".to_string(),
    ] {
        let e = Scenario::load("chaos", std::slice::from_ref(&bad)).expect_err(&bad);
        assert!(e.to_string().contains("swarm"), "{bad}: {e}");
    }
}

#[test]
fn a_drawn_configuration_replays_to_the_same_trace_without_the_swarm() {
    let case = common::case("two-writers", "hardened", &["topology.handsets=3"]);
    // Seeds whose draws cover both engines and both buggify values.
    let mut seen = BTreeSet::new();
    for seed in 0..40u64 {
        let d = swarm::draw(&case.scenario, seed, false);
        let key = (
            d.contains(&"engine=redb".to_string()),
            d.contains(&"buggify=true".to_string()),
        );
        if !seen.insert(key) {
            continue;
        }
        let swarmed = swarm::run_seed(&case, seed, false).expect("loads");
        assert_eq!(swarmed.drawn, d);
        let sets: Vec<&str> = ["topology.handsets=3"]
            .into_iter()
            .chain(d.iter().map(String::as_str))
            .collect();
        let replay = common::case("two-writers", "hardened", &sets).run_seed(seed);
        assert_eq!(
            replay.outcome.trace_hash, swarmed.trace_hash,
            "seed {seed} drew {d:?}"
        );
        assert_eq!(replay.outcome.buggify, swarmed.buggify);
    }
    assert_eq!(seen.len(), 4, "every engine x buggify pair replayed");
}

#[test]
fn the_work_budget_bounds_every_draw_of_every_catalogue_scenario() {
    for name in lastcopy::scenario::catalogue_names() {
        let case = common::case(name, "hardened", &[]);
        let bound = Work::swarm_bound(&case.scenario).total();
        for seed in 0..30 {
            let d = swarm::draw(&case.scenario, seed, false);
            let drawn = swarm::case_with(&case, &d).expect("loads");
            let work = Work::of_case(&drawn).total();
            assert!(
                work <= bound,
                "{name} seed {seed}: {work} > bound {bound}: {d:?}"
            );
        }
    }
}

#[test]
fn network_latency_is_a_key_whose_default_is_the_plain_run() {
    let plain = common::case("partitions", "hardened", &["topology.handsets=3"]);
    let same = common::case(
        "partitions",
        "hardened",
        &["topology.handsets=3", "system.network_latency=10ms"],
    );
    let slow = common::case(
        "partitions",
        "hardened",
        &["topology.handsets=3", "system.network_latency=200ms"],
    );
    let h = |c: &lastcopy::runner::Case| c.run_seed(0).outcome.trace_hash;
    assert_eq!(h(&plain), h(&same), "the default is madsim's own latency");
    assert_ne!(h(&plain), h(&slow), "a longer latency changes the run");
    for bad in ["system.network_latency=1ms", "system.network_latency=11s"] {
        let e = Scenario::load("partitions", &[bad.to_string()]).expect_err(bad);
        assert!(e.to_string().contains("network_latency"), "{e}");
    }
}

#[test]
fn later_dimensions_leave_what_a_seed_drew_before_them_alone() {
    // chaos seeds 0 and 1 as drawn before burstiness and the exchange
    // timeout were dimensions (drawn after the handsets' store), from the
    // chaos of edit races and 30-day skews (pinned with the swarm code of
    // the commit before those dimensions).
    let s = Scenario::load("chaos", &[]).expect("loads");
    let before: [(u64, &[&str]); 2] = [
        (
            0,
            &[
                "topology.handsets=2",
                "workload.edits_per_handset_day=17.53",
                "workload.sync_interval=2003345ms",
                "system.network_latency=8ms",
                "engine=log",
                "buggify=true",
                "handset_engine=sqlite",
            ],
        ),
        (
            1,
            &[
                "topology.handsets=9",
                "workload.max_records_per_handset=4",
                "workload.sync_after_edit=9739ms",
                "system.network_latency=28ms",
                "engine=log",
                "buggify=false",
                "handset_engine=sqlite",
            ],
        ),
    ];
    for (seed, overrides) in before {
        let d = swarm::draw(&s, seed, false);
        for o in overrides {
            assert!(d.contains(&o.to_string()), "seed {seed} lost {o}: {d:?}");
        }
        let n = d.len();
        assert!(d[n - 2].starts_with("workload.burstiness="), "{d:?}");
        assert!(d[n - 1].starts_with("workload.exchange_timeout="), "{d:?}");
    }
}

#[test]
fn burstiness_is_drawn_as_a_level_though_every_scenario_leaves_it_at_zero() {
    let row = WORKLOAD_TABLE
        .iter()
        .find(|r| r.key == "workload.burstiness")
        .expect("a row");
    assert_eq!(row.kind, Kind::Level);
    let s = Scenario::load("chaos", &[]).expect("loads");
    assert_eq!(s.workload.burstiness, 0.0);
    let values: Vec<f64> = (0..100)
        .map(|seed| drawn(&s, seed, row.key).expect("drawn").parse().unwrap())
        .collect();
    assert!(values.iter().all(|v| (row.min..=row.max).contains(v)));
    assert!(values.iter().any(|v| *v < 1.0) && values.iter().any(|v| *v > 3.0));
    // A scenario narrows the level itself; [0, 0] keeps the Poisson stream.
    let poisson = Scenario::load(
        "chaos",
        &["swarm.factors={\"workload.burstiness\" = [0.0, 0.0]}".to_string()],
    )
    .expect("loads");
    for seed in 0..20 {
        assert_eq!(drawn(&poisson, seed, row.key).as_deref(), Some("0"));
    }
    let wide = "swarm.factors={\"workload.burstiness\" = [0.0, 5.0]}".to_string();
    let e = Scenario::load("chaos", std::slice::from_ref(&wide)).expect_err(&wide);
    assert!(e.to_string().contains("workload.burstiness"), "{e}");
}

/// The share of the gaps between a handset's consecutive edits shorter
/// than a minute, over every handset of seed `seed` of `case`.
fn short_gaps(case: &lastcopy::runner::Case, seed: u64) -> (f64, usize) {
    let w = case.workload(seed);
    let (mut short, mut gaps, mut edits) = (0, 0, 0);
    for h in &w.handsets {
        edits += h.edits.len();
        for pair in h.edits.windows(2) {
            gaps += 1;
            short += usize::from(pair[1].at.0 - pair[0].at.0 < 60_000);
        }
    }
    (short as f64 / gaps as f64, edits)
}

#[test]
fn a_bursty_workload_clusters_edits_at_the_same_mean_rate() {
    let sets = ["run.duration=10d"];
    let plain = common::case("two-writers", "hardened", &sets);
    let bursty = common::case(
        "two-writers",
        "hardened",
        &["run.duration=10d", "workload.burstiness=3"],
    );
    let (p, p_edits) = short_gaps(&plain, 5);
    let (b, b_edits) = short_gaps(&bursty, 5);
    // 10 edits a day: ~0.7% of Poisson gaps are under a minute; three
    // extra edits per burst, 20 s apart, make most of them so.
    assert!(p < 0.05, "Poisson: {p}");
    assert!(b > 0.5, "bursty: {b}");
    // 10 handsets x 10 days x 10 a day: 1,000 edits expected of each.
    let ratio = b_edits as f64 / p_edits as f64;
    assert!((0.75..1.33).contains(&ratio), "{b_edits} vs {p_edits}");
    // The default draws nothing more: the schedule is the plain one.
    let zero = common::case(
        "two-writers",
        "hardened",
        &["run.duration=10d", "workload.burstiness=0"],
    );
    assert_eq!(zero.workload(5), plain.workload(5));
}

#[test]
fn the_exchange_timeout_is_drawn_and_a_short_one_shows_in_the_trace() {
    let s = Scenario::load("chaos", &[]).expect("loads");
    let timeouts: BTreeSet<u64> = (0..40)
        .map(|seed| ms(&drawn(&s, seed, "workload.exchange_timeout").expect("drawn")) as u64)
        .collect();
    assert!(timeouts.len() > 30, "{timeouts:?}");
    assert!(timeouts.iter().all(|t| (15_000..=240_000).contains(t)));

    let small = ["topology.handsets=3", "run.duration=1d"];
    let timed_out = |extra: &[&str]| {
        let sets: Vec<&str> = small.iter().chain(extra).copied().collect();
        let run = common::case("two-writers", "hardened", &sets).run_seed(2);
        let n = run
            .output
            .trace
            .events()
            .iter()
            .filter(|e| e.kind == SidekickEvent::SyncTimeout)
            .count();
        (n, run.outcome.trace_hash)
    };
    let (plain, plain_hash) = timed_out(&[]);
    let (same, same_hash) = timed_out(&["workload.exchange_timeout=60s"]);
    assert_eq!(
        (plain, &plain_hash),
        (same, &same_hash),
        "60 s is the default"
    );
    // 10 ms is under a round trip through the server to the database.
    let (short, _) = timed_out(&["workload.exchange_timeout=10ms"]);
    assert!(short > plain + 10, "{short} timeouts against {plain}");
}
