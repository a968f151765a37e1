//! The photo library's binary, as a user runs it from outside the source
//! tree: a sweep that breaks the promise exits 1 and prints, per failing
//! seed, a replay command that works as printed; `--explain` and
//! `--shrink` on it speak of phones, the metadata service and volumes in
//! this system's words, never of the Sidekick; bad input exits 2 before
//! any work.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_lastcopy-photo");

fn run_in(dir: &std::path::Path, words: &[String]) -> (i32, String) {
    let (program, args) = words.split_first().expect("a command");
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    (out.status.code().unwrap_or(-1), text)
}

fn words(line: &str) -> Vec<String> {
    shlex::split(line).expect("a replay line is shell words")
}

#[test]
fn a_failing_seed_replays_as_printed_and_explains_itself() {
    let outside = std::env::temp_dir();
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
    let (code, text) = run_in(&outside, &sweep.map(String::from));
    assert_eq!(code, 1, "{text}");
    let (seed_line, replay) = text
        .lines()
        .zip(text.lines().skip(1))
        .find(|(_, next)| next.trim_start().starts_with("replay: "))
        .expect("a failing seed with its replay line");
    let replay = replay.trim_start().trim_start_matches("replay: ");
    let (code, again) = run_in(&outside, &words(replay));
    assert_eq!(code, 1);
    assert!(again.starts_with(seed_line), "{seed_line:?} vs {again}");
    let mut explain = words(replay);
    explain.extend(["--explain", "--shrink"].map(String::from));
    let (_, story) = run_in(&outside, &explain);
    assert!(
        story.contains("last copy: ") && story.contains("shrunk: "),
        "{story}"
    );
    for word in ["meta-primary", "stale-snapshot-restore", "u0/photo-"] {
        assert!(story.contains(word), "{word} not in {story}");
    }
    for word in ["handset", "sidekick", "contact", "portal"] {
        assert!(!story.to_lowercase().contains(word), "{word} in {story}");
    }
}

#[test]
fn bad_input_exits_2_before_any_work() {
    let here = std::env::temp_dir();
    for bad in [
        &["run", "nope"][..],
        &["run", "photo-gc-race", "--design", "nope"],
        &["run", "photo-gc-race", "--set", "system.devices=5"],
        &["run", "photo-gc-race", "--set", "system.restore_fraction=2"],
        &[
            "run",
            "photo-gc-race",
            "--set",
            "faults.system.meteor_per_day=1",
        ],
        &["run", "photo-gc-race", "--seeds", "5..5"],
    ] {
        let mut w = vec![BIN.to_string()];
        w.extend(bad.iter().map(|s| s.to_string()));
        let (code, out) = run_in(&here, &w);
        assert_eq!(code, 2, "{bad:?}: {out}");
        assert!(!out.contains("seeds:"), "nothing ran: {out}");
    }
}
