//! The scenario loader and `--set` fed garbage and extreme values (huge
//! rates, durations and counts, deep and long keys, broken files): every
//! case ends in an error, or in a scenario whose work estimate the budget
//! either refuses or bounds what planning and the workload draw, in bounded
//! time and never with a panic. A few cases go through the built binary,
//! where an abort or a hang would show as a signal or a timeout.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lastcopy::budget::{Budget, Work};
use lastcopy::scenario::{Scenario, CATALOGUE, MAX_KEY_PARTS, MAX_RATE_PER_DAY};
use lastcopy::{planner, world};
use proptest::prelude::*;

/// The most one case may take in-process (loading, estimating, planning).
const PER_CASE: Duration = Duration::from_secs(5);

fn flagship() -> &'static str {
    CATALOGUE
        .iter()
        .find(|(name, _)| *name == "sidekick-2009")
        .map(|(_, text)| *text)
        .expect("in the catalogue")
}

/// What a key of the schema holds, for values that fit it.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Count,
    Rate,
    Share,
    Span,
    Other,
}

/// Keys of every kind the schema has (counts, rates, probabilities,
/// durations, lists, tables) and keys it does not have.
const KEYS: &[(&str, Kind)] = &[
    ("name", Kind::Other),
    ("topology.handsets", Kind::Count),
    ("run.duration", Kind::Span),
    ("run.heal_bound", Kind::Span),
    ("run.converge_check", Kind::Span),
    ("workload.edits_per_handset_day", Kind::Rate),
    ("workload.portal_edits_per_user_day", Kind::Rate),
    ("workload.new_record_probability", Kind::Share),
    ("workload.delete_probability", Kind::Share),
    ("workload.max_records_per_handset", Kind::Count),
    ("workload.sync_interval", Kind::Span),
    ("workload.sync_after_edit", Kind::Span),
    ("system.backup_interval", Kind::Span),
    ("system.backup_offset", Kind::Span),
    ("system.sector_size", Kind::Count),
    ("faults.battery_pull_per_handset_day", Kind::Rate),
    ("faults.mid_sync_pull_per_handset_day", Kind::Rate),
    ("faults.edit_race_per_handset_day", Kind::Rate),
    ("faults.edit_race_delay_max", Kind::Span),
    ("faults.reset_per_handset_day", Kind::Rate),
    ("faults.server_crash_per_day", Kind::Rate),
    ("faults.db_crash_per_day", Kind::Rate),
    ("faults.clock_skew_per_handset_day", Kind::Rate),
    ("faults.clock_skew_max", Kind::Span),
    ("faults.node_down_for", Kind::Span),
    ("faults.upgrades", Kind::Other),
    ("faults.upgrades.0.at", Kind::Span),
    ("faults.upgrades.0.downtime", Kind::Span),
    ("faults.aftermath.window", Kind::Span),
    ("faults.aftermath.reset_probability", Kind::Share),
    ("faults.storage.targets", Kind::Other),
    ("faults.storage.bit_rot_per_day", Kind::Rate),
    ("faults.storage.device_loss_per_day", Kind::Rate),
    ("faults.storage.window", Kind::Span),
    ("faults.storage.max_domains", Kind::Count),
    ("faults.network.targets", Kind::Other),
    ("faults.network.partition_per_link_day", Kind::Rate),
    ("faults.network.offline_per_handset_day", Kind::Rate),
    ("faults.network.delay_for", Kind::Span),
    ("faults.incidents.failover_per_day", Kind::Rate),
    ("faults.incidents.backup_stopped_per_day", Kind::Rate),
    ("faults.incidents.aftermath", Kind::Other),
    ("test.seeds", Kind::Count),
    ("design.preset", Kind::Other),
    ("nonsense", Kind::Other),
    ("faults.nonsense.deeper", Kind::Other),
];

/// Rates the flagship sets, and one it leaves at 0.
const RATES: &[&str] = &[
    "workload.edits_per_handset_day",
    "workload.portal_edits_per_user_day",
    "faults.battery_pull_per_handset_day",
    "faults.reset_per_handset_day",
    "faults.server_crash_per_day",
    "faults.db_crash_per_day",
    "faults.clock_skew_per_handset_day",
];

/// Durations whose length or interval sets how much a run does.
const SPANS: &[&str] = &[
    "run.duration",
    "run.heal_bound",
    "workload.sync_interval",
    "system.backup_interval",
    "faults.aftermath.window",
];

/// From 1 to `max`, log-uniformly: as many tiny values as huge ones.
fn log_uniform(max: f64) -> impl Strategy<Value = f64> {
    (0.0f64..=1.0).prop_map(move |u| max.powf(u))
}

/// A value for a key of `kind`: at or past an edge (see [`extreme`]), or
/// within the schema but far from the catalogue's.
fn value(kind: Kind) -> BoxedStrategy<String> {
    let fitting = match kind {
        Kind::Count => prop_oneof![1u64..50, 1u64..20_000]
            .prop_map(|v| v.to_string())
            .boxed(),
        Kind::Rate => prop_oneof![0.0f64..2.0, 0.0f64..5_000.0]
            .prop_map(|v| v.to_string())
            .boxed(),
        Kind::Share => (0.0f64..1.0).prop_map(|v| v.to_string()).boxed(),
        Kind::Span => prop_oneof![
            (1u64..600).prop_map(|v| format!("\"{v}m\"")),
            (1u64..400).prop_map(|v| format!("\"{v}d\"")),
        ]
        .boxed(),
        Kind::Other => prop_oneof![
            Just("[\"handsets\"]".to_string()),
            Just("[\"handset-server\"]".to_string()),
            Just("[\"failover\"]".to_string()),
            Just("hardened".to_string()),
            "[a-z0-9-]{1,20}",
        ]
        .boxed(),
    };
    prop_oneof![1 => extreme(), 2 => fitting].boxed()
}

/// A key of the schema with a value, as `KEY=VALUE`.
fn key_value() -> impl Strategy<Value = (String, String)> {
    prop::sample::select(KEYS).prop_flat_map(|(key, kind)| (Just(key.to_string()), value(kind)))
}

/// Values at and past every edge: huge and tiny numbers, the longest
/// durations, wrong types, long lists, garbage.
fn extreme() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1e308".to_string()),
        Just("-1e308".to_string()),
        Just("inf".to_string()),
        Just("nan".to_string()),
        Just("-0.0".to_string()),
        Just("1e-300".to_string()),
        Just("86400000".to_string()),
        Just("86400000.1".to_string()),
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("4294967295".to_string()),
        Just("4294967296".to_string()),
        Just("9223372036854775807".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("10000".to_string()),
        Just("\"36500d\"".to_string()),
        Just("36501d".to_string()),
        Just("1ms".to_string()),
        Just("1ns".to_string()),
        Just("0s".to_string()),
        Just("99999999999999999999d".to_string()),
        Just("[]".to_string()),
        Just("[\"handsets\", \"handsets\"]".to_string()),
        Just("{}".to_string()),
        Just("true".to_string()),
        Just("x\ntrace-hash: 0000000000000000".to_string()),
        (0.0f64..1e12).prop_map(|v| v.to_string()),
        (0u64..100_000).prop_map(|v| v.to_string()),
        (1u64..100_000).prop_map(|v| format!("{v}ms")),
        (1u64..40_000).prop_map(|v| format!("{v}d")),
        (0usize..2_000).prop_map(|n| {
            let one = "{array=\"array-a\",at=\"1h\",downtime=\"1h\"}";
            format!("[{}]", vec![one; n].join(","))
        }),
        (1usize..200).prop_map(|n| "[".repeat(n) + &"]".repeat(n)),
        ".{0,40}",
    ]
}

/// A `--set` text: a schema key (or nonsense) and a value, or garbage.
fn override_text() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => key_value().prop_map(|(k, v)| format!("{k}={v}")),
        1 => ".{0,60}",
        1 => ("[a-z.]{0,40}", ".{0,20}").prop_map(|(k, v)| format!("{k}={v}")),
    ]
}

/// Loads, then estimates; within the budget, draws the plan and the
/// workload and checks that they stay within what the estimate counted.
fn check(result: Result<Scenario, lastcopy::scenario::ScenarioError>, seed: u64) {
    let Ok(s) = result else {
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!message.is_empty());
        return;
    };
    let work = Work::of(&s);
    if Budget::DEFAULT.check(work).is_err() {
        return;
    }
    let plan = planner::plan(&s, seed);
    // A fault is 100 units; the planner never draws far past the count
    // the estimate expected (ten standard deviations and then some).
    let expected = work.faults as f64 / 100.0;
    assert!(
        plan.faults.len() <= planner::most_events(expected) + 100,
        "{} faults for an estimate of {work}",
        plan.faults.len()
    );
    let workload = world::draw_workload(&s, seed);
    let edits: usize = workload.handsets.iter().map(|h| h.edits.len()).sum();
    assert!(
        edits as f64 <= planner::most_events(work.edits as f64 / 8.0) as f64,
        "{edits} edits for an estimate of {work}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn extreme_overrides_end_in_an_error_or_a_bounded_run(
        sets in prop::collection::vec(override_text(), 1..3),
        seed in any::<u64>(),
    ) {
        let start = Instant::now();
        check(Scenario::load("sidekick-2009", &sets), seed);
        prop_assert!(start.elapsed() < PER_CASE, "{sets:?} took {:?}", start.elapsed());
    }

    #[test]
    fn accepted_extremes_are_refused_by_the_budget_or_bounded(
        handsets in log_uniform(10_000.0),
        rates in prop::collection::vec((prop::sample::select(RATES), log_uniform(MAX_RATE_PER_DAY)), 0..3),
        spans in prop::collection::vec((prop::sample::select(SPANS), log_uniform(36_500.0 * 86_400_000.0)), 0..3),
        seed in any::<u64>(),
    ) {
        let mut sets = vec![format!("topology.handsets={}", (handsets as u32).max(1))];
        sets.extend(rates.iter().map(|(k, v)| format!("{k}={v}")));
        sets.extend(spans.iter().map(|(k, v)| format!("{k}=\"{}ms\"", (*v as u64).max(1))));
        let start = Instant::now();
        check(Scenario::load("sidekick-2009", &sets), seed);
        prop_assert!(start.elapsed() < PER_CASE, "{sets:?} took {:?}", start.elapsed());
    }

    #[test]
    fn garbage_lines_in_a_file_end_in_an_error_or_a_bounded_run(
        line in 0usize..80,
        garbage in prop_oneof![
            ".{0,80}",
            key_value().prop_map(|(k, v)| {
                let key = k.rsplit('.').next().unwrap_or(&k).to_string();
                format!("{key} = {v}")
            }),
        ],
        seed in any::<u64>(),
    ) {
        let mut lines: Vec<&str> = flagship().lines().collect();
        let at = line % lines.len();
        lines[at] = &garbage;
        let text = lines.join("\n");
        let start = Instant::now();
        check(Scenario::from_str("garbage.toml", &text, &[]), seed);
        prop_assert!(start.elapsed() < PER_CASE);
    }

    #[test]
    fn any_text_is_refused_or_loaded_without_a_panic(text in "\\PC{0,400}") {
        let start = Instant::now();
        check(Scenario::from_str("any.toml", &text, &[]), 0);
        prop_assert!(start.elapsed() < PER_CASE);
    }

    #[test]
    fn deep_and_long_keys_are_refused_at_once(
        parts in 1usize..30_000,
        part in "[a-z0-9_]{1,12}",
    ) {
        let key = vec![part.as_str(); parts].join(".");
        let set = format!("{key}=1");
        let start = Instant::now();
        let result = Scenario::load("sidekick-2009", &[set]);
        prop_assert!(start.elapsed() < Duration::from_secs(1), "{parts} parts took {:?}", start.elapsed());
        let message = result.expect_err("no key of the schema is like this").to_string();
        if parts > MAX_KEY_PARTS || key.len() > 256 {
            prop_assert!(message.contains("a key has at most"), "{message}");
            prop_assert!(message.len() < 400, "the error stays one short line");
        }
    }
}

/// Runs the binary; a run past `limit` is killed and fails the test.
fn exit_code(args: &[&str], limit: Duration) -> Option<i32> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lastcopy"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            // None: killed by a signal (an abort or a stack overflow).
            return status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`lastcopy {}` still ran after {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn what_aborted_or_hung_exits_2_through_the_binary() {
    let deep = vec!["a"; 20_000].join(".") + "=1";
    let many = vec!["a"; 10_000].join(".") + "=1";
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("loader-props");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let nested = dir.join("nested.toml");
    std::fs::write(&nested, "x = ".to_string() + &"[".repeat(100_000)).expect("write");
    let dotted = dir.join("dotted.toml");
    std::fs::write(&dotted, vec!["a"; 20_000].join(".") + " = 1\n").expect("write");
    let nested = nested.to_string_lossy().to_string();
    let dotted = dotted.to_string_lossy().to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "run",
            "sidekick-2009",
            "--set",
            "faults.reset_per_handset_day=1e308",
        ],
        vec!["run", "sidekick-2009", "--set", "run.duration=36500d"],
        vec![
            "run",
            "sidekick-2009",
            "--set",
            "topology.handsets=10000",
            "--set",
            "run.duration=36500d",
        ],
        vec![
            "run",
            "sidekick-2009",
            "--set",
            "run.heal_bound=36500d",
            "--set",
            "workload.sync_interval=1ms",
        ],
        vec![
            "run",
            "sidekick-2009",
            "--set",
            "workload.edits_per_handset_day=1e9",
        ],
        vec![
            "plan",
            "sidekick-2009",
            "--seed",
            "0",
            "--set",
            "faults.db_crash_per_day=86400000",
            "--set",
            "run.duration=36500d",
        ],
        vec!["run", "sidekick-2009", "--set", &deep],
        vec!["replay", "sidekick-2009", "--seed", "0", "--set", &many],
        vec!["run", &nested],
        vec!["run", &dotted],
    ];
    for args in &cases {
        let code = exit_code(args, Duration::from_secs(20));
        let shown: Vec<String> = args.iter().map(|a| a.chars().take(60).collect()).collect();
        assert_eq!(code, Some(2), "`lastcopy {}`", shown.join(" "));
    }
}
