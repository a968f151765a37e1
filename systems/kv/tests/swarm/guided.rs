//! `run --swarm --guided` on the key-value system, through its binary:
//! the output is the same for any `--jobs`; generation 0 draws as plain
//! swarm and a later generation leans toward what the first never
//! reached; a failing guided seed replays as printed without `--guided`;
//! `--guided` without `--swarm` or with `--shard` is refused (exit 2).

use std::process::Command;

fn kv(args: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lastcopy-kv"))
        .args(args.split(' '))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// The seed a failure line (`seed N: ...`) is about.
fn seed_of(line: &str) -> Option<u64> {
    line.strip_prefix("seed ")?.split(':').next()?.parse().ok()
}

const GUIDED: &str = "run kv-power --design naive --swarm --guided --seeds 0..70 --coverage";

#[test]
fn guided_output_is_the_same_for_any_jobs() {
    let one = kv(&format!("{GUIDED} --jobs 1"));
    let two = kv(&format!("{GUIDED} --jobs 2"));
    assert_eq!(one.0, 1, "{}", one.1);
    assert_eq!(one, two);
    assert!(one.1.contains("never reached:"), "{}", one.1);
}

#[test]
fn the_first_generation_draws_as_plain_swarm_and_the_next_leans() {
    let (_, guided, _) = kv(GUIDED);
    let (_, plain, _) = kv("run kv-power --design naive --swarm --seeds 0..70 --coverage");
    let first = |text: &str| -> Vec<String> {
        let mut keep = true;
        let mut out = Vec::new();
        for line in text.lines() {
            if let Some(seed) = seed_of(line) {
                keep = seed < 50;
            }
            if line.starts_with("seeds:") {
                break;
            }
            if keep {
                out.push(line.to_string());
            }
        }
        out
    };
    assert_eq!(first(&guided), first(&plain), "generation 0 is plain swarm");
    // Nothing in 50 plain seeds ran with buggify, so generation 1 turns it
    // on; the failing seeds of generation 1 show it in what they drew.
    let drew = |l: &str| -> Option<String> {
        let head = l.split_once("; replay: ")?.0;
        Some(head.split_once("; drew ")?.1.to_string())
    };
    let leaned: Vec<String> = guided
        .lines()
        .filter(|l| seed_of(l).is_some_and(|s| s >= 50))
        .filter_map(drew)
        .collect();
    assert!(!leaned.is_empty(), "{guided}");
    assert!(
        leaned.iter().all(|l| l.ends_with("buggify=true")),
        "{leaned:?}"
    );
    assert!(!plain.contains("buggify=true"), "{plain}");
}

#[test]
fn a_failing_guided_seed_replays_as_printed_without_guided() {
    let (code, text, _) = kv(&format!("{GUIDED} --jobs 2"));
    assert_eq!(code, 1, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| seed_of(l).is_some_and(|s| s >= 50))
        .expect("a failing seed of generation 1");
    let (head, replay) = lines[at].split_once("; replay: ").unwrap();
    let seed_line = head.split("; drew ").next().unwrap();
    assert!(!replay.contains("--guided") && !replay.contains("--swarm"));
    let words = shlex::split(replay).unwrap();
    let run = words.iter().position(|w| w == "--").unwrap() + 1;
    let out = Command::new(env!("CARGO_BIN_EXE_lastcopy-kv"))
        .args(&words[run..])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let again = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{again}");
    assert!(again.starts_with(seed_line), "{seed_line} vs {again}");
}

#[test]
fn guided_without_swarm_or_with_a_shard_is_refused() {
    for alone in ["", " --check-determinism"] {
        let (code, out, err) = kv(&format!("run kv-power --guided --seeds 0..3{alone}"));
        assert_eq!((code, out.as_str()), (2, ""), "{err}");
        let why = if alone.is_empty() {
            "--swarm"
        } else {
            "--check-determinism"
        };
        assert!(err.contains("--guided") && err.contains(why), "{err}");
    }
    let (code, out, err) = kv("run kv-power --swarm --guided --shard 0/2 --seeds 0..3");
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("cannot run with --shard"), "{err}");
}
