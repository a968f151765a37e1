//! The photo library's binary, as a user runs it from outside the source
//! tree: a sweep that breaks the promise exits 1 and prints, per failing
//! seed, a replay command that works as printed; `--explain` and
//! `--shrink` on it speak of phones, the metadata service and volumes in
//! this system's words, never of the Sidekick; bad input exits 2 before
//! any work ([`lastcopy_harness::testing`] checks each).

use lastcopy_harness::testing::{exits_2_before_any_work, replays_as_printed};

const BIN: &str = env!("CARGO_BIN_EXE_lastcopy-photo");

#[test]
fn a_failing_seed_replays_as_printed_and_explains_itself() {
    let sweep = [
        BIN,
        "run",
        "photo-stale-snapshot",
        "--design",
        "naive",
        "--seeds",
        "0..3",
        "--set",
        "run.duration=8d",
        "--set",
        "faults.power_loss_per_node_day=0",
    ];
    let story = replays_as_printed(&sweep);
    for word in ["meta-primary", "stale-snapshot-restore", "u0/photo-"] {
        assert!(story.contains(word), "{word} not in {story}");
    }
}

#[test]
fn bad_input_exits_2_before_any_work() {
    for bad in [
        &["run", "nope"][..],
        &["run", "photo-gc-race", "--design", "nope"],
        &["run", "photo-gc-race", "--set", "system.devices=5"],
        &["run", "photo-gc-race", "--set", "system.users=0"],
        &["run", "photo-gc-race", "--set", "system.restore_fraction=2"],
        &[
            "run",
            "photo-gc-race",
            "--set",
            "faults.system.meteor_per_day=1",
        ],
        &["run", "photo-gc-race", "--seeds", "5..5"],
    ] {
        exits_2_before_any_work(BIN, bad);
    }
}
