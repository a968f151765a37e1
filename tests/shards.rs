//! Scale-out: a sweep split with `--shard K/N --results FILE` and put back
//! together with `lastcopy merge` prints exactly what one unsharded run
//! prints and exits with the same code; incomplete or mixed results are
//! refused rather than summarized.

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_lastcopy");

/// A fresh directory for one test's results files.
fn dir(test: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("shards-{test}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn lastcopy(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("JOB_COMPLETION_INDEX");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `case` on `seeds` in `n` shards, writing `<dir>/shard-K.jsonl`, and
/// returns the files in the order they were written.
fn run_shards(d: &std::path::Path, case: &[&str], seeds: &str, n: u32) -> Vec<String> {
    (0..n)
        .map(|k| {
            let file = d.join(format!("shard-{k}.jsonl")).display().to_string();
            let shard = format!("{k}/{n}");
            let jobs = if k % 2 == 0 { "1" } else { "2" };
            let mut args = vec!["run"];
            args.extend_from_slice(case);
            args.extend_from_slice(&[
                "--seeds",
                seeds,
                "--shard",
                &shard,
                "--jobs",
                jobs,
                "--results",
                &file,
            ]);
            let out = lastcopy(&args, &[]);
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "shard {shard} failed: {}",
                text(&out.stderr)
            );
            file
        })
        .collect()
}

#[test]
fn three_shards_merged_equal_the_unsharded_run() {
    let cases: [&[&str]; 2] = [
        &["sidekick-2009"],
        &[
            "sidekick-2009",
            "--design",
            "hardened",
            "--set",
            "topology.handsets=10",
        ],
    ];
    for (i, case) in cases.into_iter().enumerate() {
        let d = dir(&format!("equal-{i}"));
        let seeds = "3..10"; // 7 seeds: shards of 3, 2 and 2
        let mut args = vec!["run"];
        args.extend_from_slice(case);
        args.extend_from_slice(&["--seeds", seeds, "--jobs", "2"]);
        let whole = lastcopy(&args, &[]);
        let mut files = run_shards(&d, case, seeds, 3);
        files.reverse();
        let mut margs = vec!["merge"];
        margs.extend(files.iter().map(String::as_str));
        let merged = lastcopy(&margs, &[]);
        assert_eq!(
            text(&merged.stdout),
            text(&whole.stdout),
            "case {case:?}: merged stdout differs; stderr: {}",
            text(&merged.stderr)
        );
        assert_eq!(merged.status.code(), whole.status.code(), "case {case:?}");
        assert!(text(&whole.stdout).contains("seeds: 7,"), "case {case:?}");
        let expected = if i == 0 { 1 } else { 0 };
        assert_eq!(whole.status.code(), Some(expected), "case {case:?}");
    }
}

#[test]
fn every_results_line_is_a_seed_outcome() {
    let d = dir("lines");
    let files = run_shards(
        &d,
        &["sidekick-2009", "--set", "topology.handsets=5"],
        "0..5",
        2,
    );
    let body = std::fs::read_to_string(&files[1]).expect("results written");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2, "shard 1/2 of 0..5 runs seeds 1 and 3");
    for (line, seed) in lines.iter().zip([1, 3]) {
        let o: sim::outcome::SeedOutcome = serde_json::from_str(line).expect("a SeedOutcome");
        assert_eq!(o.seed, seed);
        assert_eq!(o.scenario, "sidekick-2009");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&d)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn auto_takes_the_shard_from_job_completion_index() {
    let d = dir("auto");
    let case = ["run", "sidekick-2009", "--set", "topology.handsets=5"];
    let (a, b) = (d.join("auto.jsonl"), d.join("explicit.jsonl"));
    let (a, b) = (a.display().to_string(), b.display().to_string());
    let mut args = case.to_vec();
    args.extend_from_slice(&["--seeds", "0..6", "--shard", "auto/3", "--results", &a]);
    let out = lastcopy(&args, &[("JOB_COMPLETION_INDEX", "2")]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
    let mut args = case.to_vec();
    args.extend_from_slice(&["--seeds", "0..6", "--shard", "2/3", "--results", &b]);
    lastcopy(&args, &[]);
    assert_eq!(
        std::fs::read_to_string(&a).expect("auto results"),
        std::fs::read_to_string(&b).expect("explicit results")
    );
    let mut args = case.to_vec();
    args.extend_from_slice(&["--shard", "auto/3"]);
    let unset = lastcopy(&args, &[]);
    assert_eq!(unset.status.code(), Some(2));
    assert!(text(&unset.stderr).contains("JOB_COMPLETION_INDEX"));
    let mut args = case.to_vec();
    args.extend_from_slice(&["--shard", "3/3"]);
    assert_eq!(lastcopy(&args, &[]).status.code(), Some(2));
}

#[test]
fn merge_refuses_missing_repeated_or_mixed_shards() {
    let d = dir("refuse");
    let case = ["sidekick-2009", "--set", "topology.handsets=5"];
    let files = run_shards(&d, &case, "0..5", 3);
    let merge = |files: &[&str]| {
        let mut args = vec!["merge"];
        args.extend_from_slice(files);
        lastcopy(&args, &[])
    };
    let missing = merge(&[&files[0], &files[2]]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("missing shard 1/3"),
        "{}",
        text(&missing.stderr)
    );
    assert!(missing.stdout.is_empty(), "no summary of a partial sweep");
    let twice = merge(&[&files[0], &files[1], &files[2], &files[1]]);
    assert_eq!(twice.status.code(), Some(2));
    let other = d.join("other.jsonl").display().to_string();
    let mut args = vec!["run"];
    args.extend_from_slice(&case);
    args.extend_from_slice(&[
        "--design",
        "hardened",
        "--seeds",
        "0..5",
        "--shard",
        "1/3",
        "--results",
        &other,
    ]);
    lastcopy(&args, &[]);
    let mixed = merge(&[&files[0], &other, &files[2]]);
    assert_eq!(mixed.status.code(), Some(2));
    assert!(
        text(&mixed.stderr).contains("different runs"),
        "{}",
        text(&mixed.stderr)
    );
    let garbage = d.join("garbage.jsonl");
    std::fs::write(&garbage, "not json\n").expect("write");
    let bad = merge(&[&garbage.display().to_string()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("garbage.jsonl:1"));
}

#[test]
fn shards_with_no_seeds_merge_fine() {
    let d = dir("empty");
    let case = ["sidekick-2009", "--set", "topology.handsets=5"];
    let files = run_shards(&d, &case, "0..2", 4);
    assert!(std::fs::read_to_string(&files[3])
        .expect("written")
        .is_empty());
    let mut args = vec!["merge"];
    args.extend(files.iter().map(String::as_str));
    let merged = lastcopy(&args, &[]);
    let mut args = vec!["run"];
    args.extend_from_slice(&case);
    args.extend_from_slice(&["--seeds", "0..2"]);
    let whole = lastcopy(&args, &[]);
    assert_eq!(
        text(&merged.stdout),
        text(&whole.stdout),
        "{}",
        text(&merged.stderr)
    );
    assert_eq!(merged.status.code(), whole.status.code());
}

/// Every file of a report directory, by name.
fn report_files(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("the report directory exists")
        .map(|e| {
            let e = e.expect("dir entry");
            let name = e.file_name().to_string_lossy().to_string();
            (name, std::fs::read(e.path()).expect("readable"))
        })
        .collect()
}

#[test]
fn report_shards_merged_write_the_unsharded_report() {
    let d = dir("report");
    let common = [
        "tests/data/report-small.toml",
        "--designs",
        "fragile-2009,hardened",
        "--seeds",
        "0..5",
        "--shrink-runs",
        "40",
    ];
    let whole = d.join("whole").display().to_string();
    let mut args = vec!["report"];
    args.extend_from_slice(&common);
    args.extend_from_slice(&["--out", &whole, "--no-provenance"]);
    let out = lastcopy(&args, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let shards: Vec<String> = (0..3)
        .map(|k| {
            let file = d.join(format!("report-{k}.jsonl")).display().to_string();
            let shard = format!("{k}/3");
            let mut args = vec!["report"];
            args.extend_from_slice(&common);
            args.extend_from_slice(&["--shard", &shard, "--results", &file]);
            let out = lastcopy(&args, &[]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            file
        })
        .collect();
    let merged = d.join("merged").display().to_string();
    let mut args = vec!["merge", &shards[2], &shards[0], &shards[1]];
    args.extend_from_slice(&["--out", &merged, "--no-provenance"]);
    let out = lastcopy(&args, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let (a, b) = (
        report_files(std::path::Path::new(&whole)),
        report_files(std::path::Path::new(&merged)),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        let other = b.get(name).expect("same files");
        // The regenerating command names its own --out; all else is equal.
        let fix = |s: &[u8], from: &str| text(s).replace(from, "OUT");
        assert_eq!(
            fix(bytes, &whole),
            fix(other, &merged),
            "{name} differs between the unsharded and the merged report"
        );
    }

    let missing = lastcopy(&["merge", &shards[0], &shards[1], "--out", &merged], &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("missing shard 2/3"),
        "{}",
        text(&missing.stderr)
    );
    let no_out = lastcopy(&["merge", &shards[0], &shards[1], &shards[2]], &[]);
    assert_eq!(no_out.status.code(), Some(2));
    assert!(text(&no_out.stderr).contains("--out"));
}
