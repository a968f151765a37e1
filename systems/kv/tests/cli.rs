//! The key-value system's binary, as a user runs it from outside the
//! source tree: a sweep that breaks the promise exits 1 and prints, per
//! failing seed, a replay command that works as printed; `--explain` and
//! `--shrink` on it speak of clients and the server, never of the
//! Sidekick; bad input exits 2 before any work
//! ([`lastcopy_harness::testing`] checks each).

use lastcopy_harness::testing::{exits_2_before_any_work, replays_as_printed};

const BIN: &str = env!("CARGO_BIN_EXE_lastcopy-kv");

#[test]
fn a_failing_seed_replays_as_printed_and_explains_itself() {
    let sweep = [
        BIN, "run", "kv-power", "--design", "naive", "--seeds", "0..10",
    ];
    let story = replays_as_printed(&sweep);
    assert!(story.contains("client-"), "{story}");
}

#[test]
fn bad_input_exits_2_before_any_work() {
    for bad in [
        &["run", "nope"][..],
        &["run", "kv-power", "--design", "nope"],
        &["run", "kv-power", "--set", "system.clients=oops"],
        &["run", "kv-power", "--seeds", "5..5"],
        &[
            "run",
            "kv-power",
            "--set",
            "faults.power_loss_per_node_day=-1",
        ],
        &[
            "run",
            "kv-power",
            "--swarm",
            "--guided",
            "--check-determinism",
        ],
        &["run", "kv-power", "--unbounded"],
        &[
            "run", "kv-power", "--seed", "1", "--swarm", "--plan", "p.json",
        ],
        &["run", "kv-power", "--check-determinism", "--shard", "0/2"],
        &["run", "kv-power", "--set", "system.clients=100000000"],
        &["run", "kv-power", "--set", "system.clients=0"],
        &["run", "kv-power", "--set", "system.sync_interval_s=0"],
        &[
            "run",
            "kv-power",
            "--set",
            "system.writes_per_client_day=1e12",
        ],
        &[
            "run",
            "kv-power",
            "--set",
            "system.writes_per_client_day=nan",
        ],
        &["run", "kv-power", "--set", "system.keys_per_client=0"],
        // kv estimates no work, so a work budget cannot apply to it.
        &["run", "kv-power", "--max-work", "1000"],
        &["replay", "kv-power", "--seed", "1", "--max-work", "1000"],
        &["plan", "kv-power", "--seed", "1", "--max-work", "1000"],
    ] {
        exits_2_before_any_work(BIN, bad);
    }
}

/// `list` names each built-in scenario and each design, one per line,
/// its first word saying which, as the Sidekick's binary lists its own.
#[test]
fn list_prints_the_scenarios_and_the_designs() {
    let out = std::process::Command::new(BIN)
        .arg("list")
        .output()
        .expect("the binary runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "scenario kv-power",
            "scenario kv-storm",
            "design hardened",
            "design naive"
        ]
    );
}

/// `shrink` keeps the record `--record` names failing, and stops at
/// `--max-runs` without claiming the result 1-minimal; a record with no
/// failing verdict, and a budget with `--save`, are refused (exit 2).
#[test]
fn shrink_keeps_the_record_asked_for_within_the_run_budget() {
    let shrink = |more: &[&str]| {
        let base = ["shrink", "kv-power", "--design", "naive", "--seed", "4"];
        let out = std::process::Command::new(BIN)
            .args(base.iter().chain(more))
            .current_dir(std::env::temp_dir())
            .output()
            .expect("the binary runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), text, err)
    };
    let (code, whole, _) = shrink(&["--record", "u2/key-7"]);
    assert_eq!(code, Some(0), "{whole}");
    assert!(whole.contains("# shrunk: 25 -> 2 faults"), "{whole}");
    assert!(whole.contains("; 1-minimal"), "{whole}");
    assert!(whole.contains("\nu2/key-7: rolled-back"), "{whole}");
    let (code, cut, _) = shrink(&["--record", "u2/key-7", "--max-runs", "3"]);
    assert_eq!(code, Some(0), "{cut}");
    assert!(cut.contains("in 3 runs; run budget ran out"), "{cut}");
    let (code, _, err) = shrink(&["--record", "u2/key-8"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("u2/key-8 has no failing verdict in seed 4; failing: u2/key-7"),
        "{err}"
    );
    let (code, _, _) = shrink(&["--max-runs", "3", "--save", "x"]);
    assert_eq!(code, Some(2));
}
