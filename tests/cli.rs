//! The command line as a user meets it: what `list`, `run`, `replay` and
//! `plan` print and exit with, that a printed replay command reproduces its
//! failure, that output does not depend on `--jobs`, and that bad input is
//! refused with exit code 2 and a clear message, never a panic.

use std::path::PathBuf;
use std::process::Command;

/// Overrides that keep every run small: 4 handsets, 12 hours, one upgrade.
const SMALL: [&str; 6] = [
    "--set",
    "topology.handsets=4",
    "--set",
    "run.duration=\"12h\"",
    "--set",
    "faults.upgrades=[{ array = \"array-a\", at = \"6h\", downtime = \"1h\" }]",
];

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn last_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or("")
    }
}

fn lastcopy<S: AsRef<str>>(args: &[S]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_lastcopy"))
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .expect("the binary runs");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// `args` followed by the small-run overrides.
fn small(args: &[&str]) -> Vec<String> {
    args.iter()
        .chain(SMALL.iter())
        .map(|s| s.to_string())
        .collect()
}

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Splits a command line as a POSIX shell would, for the quoting the
/// replay line uses: bare words, '...' and \x.
fn shell_words(s: &str) -> Vec<String> {
    let (mut words, mut cur, mut in_word) = (Vec::new(), String::new(), false);
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    cur.push(q);
                }
            }
            '\\' => {
                in_word = true;
                cur.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// The arguments of the binary in a `replay: cargo run --release -- ...` line.
fn replay_args(line: &str) -> Vec<String> {
    let (_, cmd) = line.split_once("; replay: ").expect("a replay command");
    let words = shell_words(cmd);
    assert_eq!(words[..4], ["cargo", "run", "--release", "--"], "{cmd}");
    words[4..].to_vec()
}

/// The number after `name: ` in the summary line.
fn summary_field(summary: &str, name: &str) -> u64 {
    summary
        .split(", ")
        .find_map(|part| part.strip_prefix(&format!("{name}: ")))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `{name}` in {summary:?}"))
}

fn trace_hash(run: &Run) -> &str {
    let hash = run
        .last_line()
        .strip_prefix("trace-hash: ")
        .unwrap_or_else(|| panic!("last line is not a trace hash: {:?}", run.last_line()));
    assert!(
        hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{hash:?}"
    );
    hash
}

/// Exit code 2, nothing on stdout, a message on stderr that contains each of
/// `needles`, and no panic.
fn assert_refused(run: &Run, needles: &[&str]) {
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert_eq!(run.stdout, "", "bad input must print nothing on stdout");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for n in needles {
        assert!(
            run.stderr.contains(n),
            "{:?} should mention {n:?}",
            run.stderr
        );
    }
}

#[test]
fn list_prints_the_scenarios_and_the_design_presets() {
    let run = lastcopy(&["list"]);
    assert_eq!(run.code, 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    for expected in [
        "scenario sidekick-2009",
        "design fragile-2009",
        "design hardened",
    ] {
        assert!(lines.contains(&expected), "{lines:?} lacks {expected:?}");
    }
}

#[test]
fn run_of_a_failing_design_prints_a_replay_line_per_failing_seed_that_reproduces_it() {
    let run = lastcopy(&small(&[
        "run",
        "sidekick-2009",
        "--seeds",
        "0..3",
        "--jobs",
        "2",
    ]));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let summary = run.last_line();
    assert!(summary.starts_with("seeds: 3, failed: "), "{summary}");
    assert!(summary.contains(", records lost: "), "{summary}");
    let failing: Vec<&str> = run.stdout.lines().filter(|l| *l != summary).collect();
    assert_eq!(failing.len() as u64, summary_field(summary, "failed"));
    assert!(!failing.is_empty(), "the 2009 design breaks the promise");
    for line in &failing {
        assert!(line.starts_with("seed "), "{line}");
        assert!(
            line.contains("replay: cargo run --release -- replay "),
            "{line}"
        );
    }
    let replay = lastcopy(&replay_args(failing[0]));
    assert_eq!(
        replay.code, 1,
        "the replay reproduces the failure: {}",
        replay.stderr
    );
    trace_hash(&replay);
}

#[test]
fn run_of_the_hardened_design_keeps_the_promise_and_exits_0() {
    let run = lastcopy(&small(&["run", "--design", "hardened", "--seeds", "0..3"]));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert!(run
        .last_line()
        .starts_with("seeds: 3, failed: 0, records lost: 0,"));
}

#[test]
fn the_output_does_not_depend_on_jobs() {
    let one = lastcopy(&small(&["run", "--seeds", "0..4", "--jobs", "1"]));
    let two = lastcopy(&small(&["run", "--seeds", "0..4", "--jobs", "2"]));
    assert_eq!(one.code, two.code);
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn a_saved_plan_runs_exactly_as_the_drawn_one() {
    let dir = temp_dir("plan");
    let plan = lastcopy(&small(&["plan", "sidekick-2009", "--seed", "1"]));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(plan.stdout.contains("[[faults]]"), "{}", plan.stdout);
    let file = dir.join("plan.toml");
    std::fs::write(&file, &plan.stdout).expect("write plan");
    let file = file.to_str().expect("utf-8 path");

    let drawn = lastcopy(&small(&["run", "--seed", "1"]));
    let saved = lastcopy(&small(&["run", "--seed", "1", "--plan", file]));
    assert_eq!(saved.code, drawn.code, "{}", saved.stderr);
    assert_eq!(saved.last_line(), drawn.last_line());

    let drawn = lastcopy(&small(&["replay", "sidekick-2009", "--seed", "1"]));
    let saved = lastcopy(&small(&[
        "replay",
        "sidekick-2009",
        "--seed",
        "1",
        "--plan",
        file,
    ]));
    assert_eq!(saved.code, drawn.code, "{}", saved.stderr);
    assert_eq!(trace_hash(&saved), trace_hash(&drawn));
}

#[test]
fn an_unknown_scenario_is_refused_with_the_catalogue() {
    assert_refused(&lastcopy(&["run", "nope"]), &["nope", "sidekick-2009"]);
}

#[test]
fn an_unknown_design_is_refused_with_the_presets() {
    let run = lastcopy(&["run", "--design", "nope"]);
    assert_refused(&run, &["nope", "fragile-2009", "hardened"]);
}

#[test]
fn a_malformed_scenario_file_is_refused_naming_the_file_the_line_and_the_key() {
    let dir = temp_dir("malformed");
    let text = include_str!("../scenarios/sidekick-2009.toml");
    let (line, _) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.starts_with("handsets = "))
        .expect("the flagship sets handsets");
    let bad: Vec<&str> = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i == line { "handsets = \"many\"" } else { l })
        .collect();
    let file = dir.join("bad.toml");
    std::fs::write(&file, bad.join("\n")).expect("write scenario");
    let file = file.to_str().expect("utf-8 path");
    let at = format!("{file}:{}", line + 1);
    assert_refused(&lastcopy(&["run", file]), &[&at, "topology.handsets"]);
}

#[test]
fn a_missing_scenario_file_is_refused_naming_it() {
    let file = temp_dir("missing").join("absent.toml");
    let file = file.to_str().expect("utf-8 path");
    assert_refused(&lastcopy(&["run", file]), &[file]);
}

#[test]
fn an_empty_seed_range_is_refused() {
    assert_refused(&lastcopy(&["run", "--seeds", "5..5"]), &["5..5", "empty"]);
}

#[test]
fn a_seed_range_that_is_not_a_range_is_refused() {
    assert_refused(&lastcopy(&["run", "--seeds", "x"]), &["--seeds", "A..B"]);
}

#[test]
fn zero_jobs_is_refused() {
    assert_refused(&lastcopy(&["run", "--jobs", "0"]), &["--jobs"]);
}

#[test]
fn a_plan_file_that_does_not_exist_is_refused_naming_it() {
    let file = temp_dir("no-plan").join("absent-plan.toml");
    let file = file.to_str().expect("utf-8 path");
    assert_refused(&lastcopy(&["run", "--plan", file]), &[file]);
}

#[test]
fn a_plan_file_that_is_not_a_plan_is_refused_naming_it() {
    let dir = temp_dir("not-a-plan");
    let file = dir.join("not-a-plan.toml");
    std::fs::write(&file, "[topology]\nhandsets = 4\n").expect("write");
    let file = file.to_str().expect("utf-8 path");
    assert_refused(&lastcopy(&["run", "--plan", file]), &[file]);
    std::fs::write(file, "this is { not toml").expect("write");
    assert_refused(
        &lastcopy(&["replay", "sidekick-2009", "--seed", "0", "--plan", file]),
        &[file],
    );
}

#[test]
fn replay_without_a_seed_is_refused() {
    assert_refused(&lastcopy(&["replay", "sidekick-2009"]), &["--seed"]);
}

#[test]
fn shell_words_undoes_the_replay_lines_quoting() {
    assert_eq!(
        shell_words(r#"a 'b c' 'it'\''s' d=e"#),
        ["a", "b c", "it's", "d=e"]
    );
}

#[test]
fn coverage_counts_each_fault_class_and_its_near_misses() {
    let run = lastcopy(&small(&[
        "run",
        "sidekick-2009",
        "--design",
        "hardened",
        "--seeds",
        "0..4",
        "--coverage",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(out.contains("coverage over 4 seeds"), "{out}");
    let pull = out
        .lines()
        .find(|l| l.trim_start().starts_with("battery-pull"))
        .unwrap_or_else(|| panic!("a battery-pull line: {out}"));
    assert_eq!(pull.split_whitespace().count(), 8, "{pull}");
    assert!(
        pull.contains(" node "),
        "battery-pull is of the node class: {pull}"
    );
    // Storage faults are not in sidekick-2009's plan: listed as never fired.
    let never = out
        .lines()
        .find(|l| l.starts_with("never fired:"))
        .expect("the never-fired line");
    assert!(
        never.contains("bit-rot") && never.contains("device-loss"),
        "{never}"
    );
    assert!(!never.contains("battery-pull"), "{never}");
    assert!(run.last_line().starts_with("near miss"), "{out}");
}

#[test]
fn a_swarm_failure_prints_what_its_seed_drew_and_a_replay_that_reproduces_it_exactly() {
    let dir = temp_dir("swarm");
    let results = dir.join("swarm.jsonl").display().to_string();
    let mut args = small(&["run", "sidekick-2009", "--seeds", "0..4", "--swarm"]);
    args.extend(["--results".to_string(), results.clone()]);
    let run = lastcopy(&args);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("seed "))
        .expect("a failing seed");
    let (_, drew) = line.split_once("; drew ").expect("the drawn configuration");
    let (drew, _) = drew.split_once("; replay: ").expect("then the replay");
    assert!(drew.contains("topology.handsets="), "{drew}");
    let seed: u64 = line["seed ".len()..line.find(':').unwrap()]
        .parse()
        .unwrap();
    let outcome: serde_json::Value = std::fs::read_to_string(&results)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["seed"] == seed)
        .expect("the seed's results line");
    let drawn: Vec<&str> = outcome["drawn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(drew, drawn.join(" "));
    // No swarm flag at replay: the drawn overrides say it all.
    let replay_args = replay_args(line);
    assert!(!replay_args.contains(&"--swarm".to_string()));
    let replay = lastcopy(&replay_args);
    assert_eq!(replay.code, 1, "{}", replay.stderr);
    assert_eq!(trace_hash(&replay), outcome["trace_hash"].as_str().unwrap());
}

#[test]
fn a_seed_that_only_did_not_converge_is_reported_apart_from_loss_with_what_is_apart() {
    // Without digest sync, handsets whose server lost rows never push them
    // again: nothing is lost (the handsets keep them) but sync never converges.
    let run = lastcopy(&[
        "run",
        "battery-pulls",
        "--design",
        "hardened",
        "--set",
        "design.digest_sync=false",
        "--seeds",
        "0..2",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("seed "))
        .expect("a failing seed");
    assert!(
        line.contains(": did not converge within the heal bound (handset-")
            && line.contains("records apart"),
        "{line}"
    );
    assert!(!line.contains("broke the promise"), "{line}");
    let summary = run.last_line();
    assert!(summary.contains("records lost: 0"), "{summary}");
    assert!(summary.contains("only not converged: "), "{summary}");
}
