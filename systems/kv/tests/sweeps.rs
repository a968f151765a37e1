//! The harness's sweeps, as a user of the key-value system's binary runs
//! them: output that is the same for any `--jobs`, shards that merge into
//! what the unsharded run prints, merges that refuse files of different
//! runs, `replay` and `plan` that agree with `run`, an endless sweep that
//! Ctrl-C ends with its summary, and bad input that exits 2 before any
//! work.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lastcopy-kv");

/// Runs the binary with `args` in `dir`: exit code, stdout, stderr.
fn kv(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh, empty directory of this test's own.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lastcopy-kv-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

const SWEEP: [&str; 6] = ["run", "kv-power", "--design", "naive", "--seeds", "0..8"];

fn sweep(dir: &Path, more: &[&str]) -> (i32, String, String) {
    let args: Vec<&str> = SWEEP.iter().chain(more).copied().collect();
    kv(dir, &args)
}

#[test]
fn output_is_the_same_for_any_jobs() {
    let dir = scratch("jobs");
    let one = sweep(&dir, &["--jobs", "1"]);
    let two = sweep(&dir, &["--jobs", "2"]);
    assert_eq!(one.0, 1, "naive breaks some seed of 0..8: {}", one.1);
    assert!(one.1.contains("seeds: 8, failed: "), "{}", one.1);
    assert_eq!((one.0, &one.1), (two.0, &two.1));
}

#[test]
fn shards_merge_into_the_unsharded_run() {
    let dir = scratch("shards");
    let whole = sweep(&dir, &[]);
    for k in ["0", "1"] {
        let (code, _, err) = sweep(
            &dir,
            &[
                "--shard",
                &format!("{k}/2"),
                "--results",
                &format!("s{k}.jsonl"),
            ],
        );
        assert!(code == 0 || code == 1, "{err}");
    }
    let merged = kv(&dir, &["merge", "s1.jsonl", "s0.jsonl"]);
    assert_eq!((merged.0, &merged.1), (whole.0, &whole.1), "{}", merged.2);
    // Each line is a seed's outcome with the build and the run.
    let text = std::fs::read_to_string(dir.join("s0.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    for key in ["seed", "verdicts", "trace_hash", "package", "build", "run"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!(first["run"]["shards"], 2);
}

/// A swarm's shards merge into what the unsharded swarm prints: each
/// failing seed with what it drew and a replay that sets exactly that.
#[test]
fn swarm_shards_merge_into_the_unsharded_swarm() {
    let dir = scratch("swarm-shards");
    let swarm = [
        "run", "kv-storm", "--design", "naive", "--swarm", "--seeds", "0..8",
    ];
    let whole = kv(&dir, &swarm);
    assert_eq!(whole.0, 1, "{}", whole.2);
    assert!(whole.1.contains("; drew "), "{}", whole.1);
    for k in ["0", "1"] {
        let shard = format!("{k}/2");
        let results = format!("s{k}.jsonl");
        let args = [&swarm[..], &["--shard", &shard, "--results", &results]].concat();
        let (code, _, err) = kv(&dir, &args);
        assert!(code == 0 || code == 1, "{err}");
    }
    let merged = kv(&dir, &["merge", "s0.jsonl", "s1.jsonl"]);
    assert_eq!((merged.0, &merged.1), (whole.0, &whole.1), "{}", merged.2);
    // With --coverage, as the unsharded run prints it.
    let covered = kv(&dir, &[&swarm[..], &["--coverage"]].concat());
    assert!(covered.1.contains("never fired"), "{}", covered.1);
    let merged = kv(&dir, &["merge", "s0.jsonl", "s1.jsonl", "--coverage"]);
    assert_eq!(
        (merged.0, &merged.1),
        (covered.0, &covered.1),
        "{}",
        merged.2
    );
}

/// `--swarm --unbounded` lets storage faults strike every failure
/// domain's disks: each seed draws `faults.unbounded=true`, and a failing
/// seed's printed replay runs exactly that.
#[test]
fn unbounded_swarm_seeds_draw_past_the_atlas_and_replay_as_printed() {
    let dir = scratch("unbounded");
    let swarm = [
        "run",
        "kv-storm",
        "--design",
        "naive",
        "--swarm",
        "--unbounded",
        "--seeds",
        "0..8",
    ];
    let (code, out, err) = kv(&dir, &swarm);
    assert_eq!(code, 1, "{out}{err}");
    let line = out
        .lines()
        .find(|l| l.contains("broke the promise"))
        .expect("a failing seed");
    let (drew, replay) = line.split_once("; replay: ").expect("a replay");
    assert!(drew.ends_with(" faults.unbounded=true"), "{drew}");
    assert!(replay.contains("--set faults.unbounded=true"), "{replay}");
    let args: Vec<&str> = replay
        .split_whitespace()
        .skip_while(|w| *w != "run")
        .collect();
    let (code, again, err) = kv(&dir, &args);
    assert_eq!(code, 1, "{err}");
    let verdicts = drew.split("; drew").next().unwrap();
    assert!(again.starts_with(verdicts), "{again} vs {verdicts}");
}

#[test]
fn merge_refuses_files_that_are_not_one_run() {
    let dir = scratch("mixed");
    sweep(&dir, &["--shard", "0/2", "--results", "naive0.jsonl"]);
    let hardened = ["run", "kv-power", "--design", "hardened", "--seeds", "0..8"];
    let args: Vec<&str> = hardened
        .iter()
        .chain(&["--shard", "1/2", "--results", "hard1.jsonl"])
        .copied()
        .collect();
    kv(&dir, &args);
    let (code, out, err) = kv(&dir, &["merge", "naive0.jsonl", "hard1.jsonl"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("different runs"), "{err}");
    let (code, _, err) = kv(&dir, &["merge", "naive0.jsonl"]);
    assert_eq!(code, 2);
    assert!(err.contains("missing shard 1/2"), "{err}");
    let (code, _, err) = kv(&dir, &["merge", "naive0.jsonl", "naive0.jsonl"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("seed 0 is in naive0.jsonl and in naive0.jsonl"),
        "{err}"
    );
    // A line of another build of the binary.
    let text = std::fs::read_to_string(dir.join("naive0.jsonl")).unwrap();
    let other = text.replacen("\"build\":\"binary ", "\"build\":\"binary 0", 1);
    std::fs::write(dir.join("other.jsonl"), other).unwrap();
    let (code, _, err) = kv(&dir, &["merge", "other.jsonl"]);
    assert_eq!(code, 2);
    assert!(err.contains("different builds"), "{err}");
    let extra = text.replacen("{\"scenario\"", "{\"surprise\":1,\"scenario\"", 1);
    std::fs::write(dir.join("extra.jsonl"), extra).unwrap();
    let (code, _, err) = kv(&dir, &["merge", "extra.jsonl"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("extra.jsonl:1:") && err.contains("surprise"),
        "{err}"
    );
}

/// The kinds of the verdicts a replay prints, in order.
fn replay_verdicts(text: &str) -> Vec<String> {
    let verdicts = text
        .split("# verdicts\n")
        .nth(1)
        .expect("a verdicts section");
    verdicts
        .lines()
        .take_while(|l| !l.starts_with("trace-hash:") && !l.starts_with('#'))
        .map(|l| l.split(' ').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn replay_and_plan_agree_with_run() {
    let dir = scratch("replay");
    sweep(&dir, &["--results", "all.jsonl"]);
    let text = std::fs::read_to_string(dir.join("all.jsonl")).unwrap();
    let failing: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|o| !o["verdicts"].as_array().unwrap().is_empty())
        .expect("a failing seed");
    let seed = failing["seed"].to_string();
    let args = ["replay", "kv-power", "--design", "naive", "--seed", &seed];
    let (code, out, err) = kv(&dir, &args);
    assert_eq!(code, 1, "{err}");
    let kinds: Vec<String> = failing["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(replay_verdicts(&out), kinds, "{out}");
    let hash = format!("trace-hash: {}", failing["trace_hash"].as_str().unwrap());
    assert!(out.trim_end().ends_with(&hash), "{out}");
    // The plan it prints is the seed's: run as a --plan, the same trace.
    let (code, plan, _) = kv(&dir, &["plan", "kv-power", "--seed", &seed]);
    assert_eq!(code, 0);
    std::fs::write(dir.join("plan.json"), &plan).unwrap();
    assert!(
        out.contains(&plan),
        "the replay prints the plan as `plan` does"
    );
    let mut again = args.to_vec();
    again.extend(["--plan", "plan.json"]);
    let (_, out, _) = kv(&dir, &again);
    assert!(out.trim_end().ends_with(&hash), "{out}");
}

/// The JSON objects of a replay's section `# NAME...` (up to the next
/// `#` line), one per line.
fn json_section(text: &str, name: &str) -> Vec<serde_json::Value> {
    let start = text.find(&format!("# {name}")).expect("the section");
    text[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('#') && !l.starts_with("trace-hash:"))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// `--node` and `--record` show only their events (and stories), as
/// JSON with `--trace-format json`, without changing the run; a filter
/// naming what the system lacks is refused before the run, one matching
/// nothing after it, both exit 2.
#[test]
fn replay_shows_only_the_node_or_record_asked_for() {
    let dir = scratch("filters");
    let seed = (0..50)
        .map(|s| s.to_string())
        .find(|s| {
            kv(
                &dir,
                &["replay", "kv-power", "--design", "naive", "--seed", s],
            )
            .0 == 1
        })
        .expect("naive breaks the promise on some seed of 0..50");
    let base = ["replay", "kv-power", "--design", "naive", "--seed", &seed];
    let with = |more: &[&str]| kv(&dir, &[&base[..], more].concat());
    let (_, whole, _) = with(&[]);
    let hash = whole.lines().last().unwrap().to_string();
    let (code, out, err) = with(&["--node", "client-0", "--trace-format", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains(" events)\n"), "{out}");
    let events = json_section(&out, "trace");
    assert!(!events.is_empty());
    for e in &events {
        let store = e["fields"]["store"].as_str().unwrap_or_default();
        assert!(
            e["node"] == "client-0" || store == "client-0" || store.starts_with("client-0/"),
            "{e}"
        );
    }
    assert_eq!(out.lines().last().unwrap(), hash, "the same run");
    let verdict = out
        .split("# verdicts\n")
        .nth(1)
        .and_then(|v| v.lines().next())
        .unwrap();
    let record = verdict.split(' ').nth(1).unwrap().trim_end_matches(':');
    let (_, out, _) = with(&["--record", record, "--trace-format", "json"]);
    let events = json_section(&out, "trace");
    assert!(!events.is_empty());
    assert!(
        events.iter().all(|e| e["fields"]["record"] == record),
        "{out}"
    );
    let (_, out, _) = with(&["--record", record, "--explain", "--trace-format", "json"]);
    let story = json_section(&out, "explanation");
    assert!(story.len() > 1, "{out}");
    assert!(story.iter().all(|l| l["record"] == record), "{out}");
    assert_eq!(story[0]["part"], "verdict");
    let (code, out, err) = with(&["--node", "toaster"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.contains("no such node") && err.contains("client-0, "),
        "{err}"
    );
    let (code, out, err) = with(&["--record", "u9/nothing"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("matched no event"), "{err}");
}

#[test]
fn bad_input_exits_2_before_any_work() {
    let dir = scratch("bad");
    std::fs::write(dir.join("not-results.jsonl"), "{\"a\": 1}\n").unwrap();
    for bad in [
        &["--jobs", "0"][..],
        &["--shard", "2/2"],
        &["--shard", "auto/2"],
        &["--shard", "1"],
        &["--results", "no-such-dir/r.jsonl"],
        &["--results", "."],
        &["--fail-fast", "--results", "r.jsonl"],
    ] {
        let (code, out, err) = sweep(&dir, bad);
        assert_eq!(code, 2, "{bad:?}: {out}{err}");
        assert!(!out.contains("seeds:"), "nothing ran: {out}");
    }
    for bad in [
        &["merge", "no-such.jsonl"][..],
        &["merge", "not-results.jsonl"],
        &["replay", "kv-power"],
        &["replay", "nope", "--seed", "1"],
        &[
            "replay",
            "kv-power",
            "--seed",
            "1",
            "--plan",
            "not-results.jsonl",
        ],
        &["plan", "kv-power", "--seed", "1", "--design", "nope"],
        &["shrink", "kv-power", "--seed", "1", "--save", "Bad Name"],
    ] {
        let (code, out, err) = kv(&dir, bad);
        assert_eq!(code, 2, "{bad:?}: {out}{err}");
        assert!(err.starts_with("error: "), "{bad:?}: {err}");
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "nothing written"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_ends_an_endless_sweep_with_its_summary_and_no_results() {
    let dir = scratch("ctrl-c");
    std::fs::write(dir.join("r.jsonl"), "what was there\n").unwrap();
    let mut child = Command::new(BIN)
        .args(["run", "kv-power", "--design", "naive", "--jobs", "2"])
        .args([
            "--seeds",
            "0..=18446744073709551615",
            "--results",
            "r.jsonl",
        ])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // It streams: wait for its first failing seed.
    let mut stdout = child.stdout.take().expect("stdout");
    let (mut seen, mut buf) = (Vec::new(), [0u8; 4096]);
    while !seen.contains(&b'\n') {
        let n = stdout.read(&mut buf).expect("read");
        assert!(n > 0, "stdout closed early");
        seen.extend_from_slice(&buf[..n]);
    }
    let kill = format!("kill -INT {}", child.id());
    let sent = Command::new("sh").args(["-c", &kill]).status().unwrap();
    assert!(sent.success());
    stdout.read_to_end(&mut seen).expect("read");
    let out = child.wait_with_output().expect("exits");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&seen),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let last = stdout.lines().last().expect("a summary");
    assert!(last.starts_with("seeds: "), "{last}");
    assert!(
        stderr.contains("interrupted by Ctrl-C: ")
            && stderr.contains(" of 18446744073709551616 seeds ran; --results r.jsonl not written"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("r.jsonl")).unwrap(),
        "what was there\n"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary left"
    );
}

/// `run` without a scenario runs the first built-in one; `--plan` runs one
/// plan file on every seed of a range (and the replay commands carry it);
/// a shard that holds no seed of the range says so and runs none.
#[test]
fn run_takes_a_default_scenario_a_plan_on_a_range_and_an_empty_shard() {
    let dir = scratch("defaults");
    let named = kv(
        &dir,
        &["run", "kv-power", "--design", "naive", "--seeds", "0..6"],
    );
    let default = kv(&dir, &["run", "--design", "naive", "--seeds", "0..6"]);
    assert_eq!(
        (named.0, &named.1),
        (default.0, &default.1),
        "{}",
        default.2
    );
    let plan = kv(&dir, &["plan", "kv-power", "--seed", "4"]);
    std::fs::write(dir.join("p.json"), &plan.1).unwrap();
    let planned = [
        "run", "kv-power", "--design", "naive", "--seeds", "0..6", "--plan", "p.json",
    ];
    let (code, out, err) = kv(&dir, &planned);
    assert_eq!(
        code, 1,
        "seed 4's plan breaks the promise on seed 4: {out}{err}"
    );
    assert!(out.contains("seeds: 6, failed: "), "{out}");
    assert!(out.contains("--seed 4 --plan p.json"), "{out}");
    let (code, out, err) = kv(
        &dir,
        &["run", "kv-power", "--seeds", "0..2", "--shard", "3/5"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("seeds: 0, failed: 0"), "{out}");
    assert!(
        err.contains("note: shard 3/5 of seeds 0..2 holds no seed (the range has 2 seeds)"),
        "{err}"
    );
}

/// `--check-determinism` runs every seed twice and prints what a plain run
/// prints when every seed's two runs agree (kv's do), exit code included.
#[test]
fn check_determinism_prints_the_plain_run_when_every_seed_agrees() {
    let dir = scratch("determinism");
    let plain = sweep(&dir, &[]);
    let checked = sweep(&dir, &["--check-determinism"]);
    assert_eq!(plain.0, 1, "naive breaks some seed of 0..8: {}", plain.1);
    assert_eq!(
        (checked.0, &checked.1),
        (plain.0, &plain.1),
        "{}",
        checked.2
    );
    assert!(!checked.1.contains("not deterministic"), "{}", checked.1);
    // A swarm with its coverage, checked on two threads, too.
    let more = ["--swarm", "--coverage", "--jobs", "2"];
    let plain = sweep(&dir, &more);
    let checked = sweep(&dir, &[&more[..], &["--check-determinism"]].concat());
    assert!(plain.1.contains("; drew "), "{}", plain.1);
    assert_eq!(
        (checked.0, &checked.1),
        (plain.0, &plain.1),
        "{}",
        checked.2
    );
}
