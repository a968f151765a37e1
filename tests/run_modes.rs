//! `run --fail-fast` stops at the first seed that breaks the promise, and
//! `run --check-determinism` runs every seed twice and finds the catalogue
//! deterministic (a planted nondeterministic machine is caught in
//! tests/determinism_check.rs).

use std::process::{Command, Output};

fn lastcopy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lastcopy"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn fail_fast_stops_at_the_first_failing_seed() {
    // battery-pulls under fragile-2009 keeps on some seeds and breaks on
    // others: the sweep stops at the first that breaks, in seed order.
    let full = lastcopy(&["run", "battery-pulls", "--seeds", "0..6", "--jobs", "2"]);
    let first = stdout(&full)
        .lines()
        .find(|l| l.starts_with("seed "))
        .map(|l| l.split(':').next().expect("seed N").to_string())
        .expect("some seed of 0..6 breaks");
    let n: u64 = first.trim_start_matches("seed ").parse().expect("a seed");
    let fast = lastcopy(&[
        "run",
        "battery-pulls",
        "--seeds",
        "0..6",
        "--jobs",
        "2",
        "--fail-fast",
    ]);
    assert_eq!(fast.status.code(), Some(1));
    let text = stdout(&fast);
    let failing: Vec<&str> = text.lines().filter(|l| l.starts_with("seed ")).collect();
    assert_eq!(failing.len(), 1, "{text}");
    assert!(failing[0].starts_with(&format!("{first}:")), "{text}");
    assert!(
        text.contains(&format!("seeds: {}, failed: 1,", n + 1)),
        "the summary covers the seeds up to the failing one: {text}"
    );
    let refused = lastcopy(&["run", "--fail-fast", "--results", "r.jsonl"]);
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn check_determinism_passes_on_catalogue_seeds_and_keeps_the_verdicts() {
    let plain = lastcopy(&["run", "sidekick-2009", "--seeds", "3..6"]);
    let checked = lastcopy(&[
        "run",
        "sidekick-2009",
        "--seeds",
        "3..6",
        "--check-determinism",
    ]);
    assert_eq!(
        checked.status.code(),
        Some(1),
        "fragile-2009 breaks the promise"
    );
    assert_eq!(
        stdout(&plain),
        stdout(&checked),
        "the same lines as a plain run"
    );
    assert!(!stdout(&checked).contains("not deterministic"));
}
