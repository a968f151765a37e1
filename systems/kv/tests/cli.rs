//! The key-value system's binary, as a user runs it from outside the
//! source tree: a sweep that breaks the promise exits 1 and prints, per
//! failing seed, a replay command that works as printed; `--explain` and
//! `--shrink` on it speak of clients and the server, never of the
//! Sidekick; bad input exits 2 before any work.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_lastcopy-kv");

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
        BIN, "run", "kv-power", "--design", "naive", "--seeds", "0..10",
    ];
    let (code, text) = run_in(&outside, &sweep.map(String::from));
    assert_eq!(code, 1, "{text}");
    let (seed_line, replay) = text
        .lines()
        .zip(text.lines().skip(1))
        .find(|(_, next)| next.trim_start().starts_with("replay: "))
        .expect("a failing seed with its replay line");
    let replay = replay.trim_start().trim_start_matches("replay: ");
    assert!(
        replay.starts_with(BIN) || replay.starts_with(&format!("'{BIN}")),
        "{replay}"
    );
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
    assert!(story.contains("client-"), "{story}");
    for word in ["handset", "sidekick", "contact", "portal"] {
        assert!(!story.to_lowercase().contains(word), "{word} in {story}");
    }
}

#[test]
fn bad_input_exits_2_before_any_work() {
    let here = std::env::temp_dir();
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
        &["run", "kv-power", "--swarm", "--check-determinism"],
        &[
            "run", "kv-power", "--seed", "1", "--swarm", "--plan", "p.json",
        ],
        &["run", "kv-power", "--coverage", "--check-determinism"],
    ] {
        let mut w = vec![BIN.to_string()];
        w.extend(bad.iter().map(|s| s.to_string()));
        let (code, out) = run_in(&here, &w);
        assert_eq!(code, 2, "{bad:?}: {out}");
        assert!(!out.contains("seeds:"), "nothing ran: {out}");
    }
}
