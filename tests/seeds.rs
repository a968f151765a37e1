//! Seeds, ranges, sweeps and builds as a user meets them: the last seed of
//! u64 runs, empty and oversized ranges are refused before any work, an
//! endless sweep streams until Ctrl-C and then prints its summary, a long
//! sweep shows a bar on a terminal only, and results files carry the build
//! that wrote them, so `merge` refuses mixtures with a clear message.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_lastcopy");

/// A tiny flagship: 2 handsets, 12 hours, one upgrade: seeds run in
/// milliseconds.
const TINY: [&str; 6] = [
    "--set",
    "topology.handsets=2",
    "--set",
    "run.duration=\"12h\"",
    "--set",
    "faults.upgrades=[{ array = \"array-a\", at = \"6h\", downtime = \"1h\" }]",
];

/// The small report scenario of tests/report.rs.
const SMALL_REPORT: &str = "tests/data/report-small.toml";

/// A fresh directory for one test's files.
fn dir(test: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("seeds-{test}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs the binary on `args`, failing the test (never hanging) if it has
/// not exited within `limit`.
fn lastcopy_within(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("JOB_COMPLETION_INDEX")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`lastcopy {}` still ran after {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn lastcopy(args: &[&str]) -> Output {
    lastcopy_within(args, Duration::from_secs(120))
}

/// `run sidekick-2009` on the tiny case with `args` after it.
fn run_tiny(args: &[&str]) -> Output {
    let mut all = vec!["run", "sidekick-2009"];
    all.extend_from_slice(&TINY);
    all.extend_from_slice(args);
    lastcopy(&all)
}

fn summary(out: &Output) -> String {
    text(&out.stdout)
        .lines()
        .find(|l| l.starts_with("seeds: "))
        .unwrap_or_default()
        .to_string()
}

fn assert_refused(out: &Output, needles: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(
        out.stdout.is_empty(),
        "nothing printed: {}",
        text(&out.stdout)
    );
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn the_last_seed_of_u64_runs() {
    let max = u64::MAX.to_string();
    let one = run_tiny(&["--seed", &max]);
    assert!(
        matches!(one.status.code(), Some(0 | 1)),
        "{}",
        text(&one.stderr)
    );
    assert!(summary(&one).starts_with("seeds: 1,"), "{}", summary(&one));
    // It is the seed replay names: its line (if it failed) says so.
    if one.status.code() == Some(1) {
        assert!(text(&one.stdout).contains(&format!("--seed {max}")));
    }
    let range = format!("{}..={max}", u64::MAX - 2);
    let three = run_tiny(&["--seeds", &range, "--jobs", "2"]);
    assert!(
        summary(&three).starts_with("seeds: 3,"),
        "{}",
        summary(&three)
    );
    // A shard whose index lies past u64::MAX runs nothing, and says so.
    let past = run_tiny(&["--seeds", &range, "--shard", "3/4"]);
    assert_eq!(past.status.code(), Some(0), "{}", text(&past.stderr));
    assert!(summary(&past).starts_with("seeds: 0,"));
    assert!(
        text(&past.stderr).contains("holds no seed"),
        "{}",
        text(&past.stderr)
    );
}

#[test]
fn empty_and_unparsable_ranges_are_refused() {
    for (range, needle) in [
        ("5..5", "empty"),
        ("7..=6", "empty"),
        ("0..0", "empty"),
        ("0..18446744073709551616", "not a seed"),
        ("1..x", "not a seed"),
    ] {
        assert_refused(&run_tiny(&["--seeds", range]), &["--seeds", needle]);
        let report = lastcopy(&["report", SMALL_REPORT, "--seeds", range, "--out", "unused"]);
        assert_refused(&report, &["--seeds", needle]);
    }
    assert_refused(&run_tiny(&["--jobs", "100000"]), &["--jobs", "at most"]);
}

#[test]
fn report_refuses_more_than_a_million_seeds_at_once() {
    let d = dir("report-limit");
    let out = d.join("out").display().to_string();
    let results = d.join("r.jsonl").display().to_string();
    let limit = Duration::from_secs(20);
    for seeds in [
        "0..1000001",
        "0..18446744073709551615",
        "5..=18446744073709551615",
    ] {
        let whole = lastcopy_within(
            &["report", SMALL_REPORT, "--seeds", seeds, "--out", &out],
            limit,
        );
        assert_refused(&whole, &["at most 1000000"]);
        let shard = lastcopy_within(
            &[
                "report",
                SMALL_REPORT,
                "--seeds",
                seeds,
                "--shard",
                "0/1000000",
                "--results",
                &results,
            ],
            limit,
        );
        assert_refused(&shard, &["at most 1000000"]);
    }
    assert!(!Path::new(&out).exists() && !Path::new(&results).exists());
    // A million shards of a small range: each runs its few seeds, at once.
    for shard in ["0/1000000", "999999/1000000"] {
        let r = lastcopy_within(
            &[
                "report",
                SMALL_REPORT,
                "--designs",
                "hardened",
                "--seeds",
                "0..2",
                "--shard",
                shard,
                "--results",
                &results,
            ],
            Duration::from_secs(60),
        );
        assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    }
}

/// Writes shard 0/1 of `seeds` of the tiny case to `<dir>/name`.
fn tiny_results(d: &Path, name: &str, seeds: &str) -> PathBuf {
    let path = d.join(name);
    let out = run_tiny(&["--seeds", seeds, "--results", &path.display().to_string()]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
    path
}

/// `path`'s lines, each passed through `edit` as JSON, written to `to`.
fn edit_lines(path: &Path, to: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let body: String = std::fs::read_to_string(path)
        .expect("results")
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("json");
            edit(&mut v);
            format!("{v}\n")
        })
        .collect();
    std::fs::write(to, body).expect("write");
}

#[test]
fn results_lines_carry_the_build_and_merge_refuses_mixtures() {
    let d = dir("build");
    let results = tiny_results(&d, "run.jsonl", "0..2");
    let body = std::fs::read_to_string(&results).expect("results");
    let version = text(&lastcopy(&["--version"]).stdout);
    for line in body.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        assert_eq!(v["package"], "lastcopy");
        let build = v["build"].as_str().expect("a build");
        assert_eq!(build, lastcopy::build_identity::LONG_VERSION);
        assert!(version.contains(build), "{version}");
    }
    let name = |p: &Path| p.display().to_string();

    // Another build's shard.
    let other = d.join("other-build.jsonl");
    edit_lines(&results, &other, |v| {
        v["build"] = "0.1.0 (commit 0000000)".into()
    });
    let (k0, k1) = (d.join("k0.jsonl"), d.join("k1.jsonl"));
    let shards: Vec<PathBuf> = [&k0, &k1]
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let out = run_tiny(&[
                "--seeds",
                "0..4",
                "--shard",
                &format!("{k}/2"),
                "--results",
                &name(p),
            ]);
            assert!(matches!(out.status.code(), Some(0 | 1)));
            p.to_path_buf()
        })
        .collect();
    let foreign = d.join("k1-foreign.jsonl");
    edit_lines(&shards[1], &foreign, |v| {
        v["build"] = "0.1.0 (commit 0000000)".into()
    });
    let mixed = lastcopy(&["merge", &name(&shards[0]), &name(&foreign)]);
    assert_refused(&mixed, &["different builds", "0000000", "k0.jsonl"]);
    let fine = lastcopy(&["merge", &name(&shards[0]), &name(&shards[1])]);
    assert!(
        matches!(fine.status.code(), Some(0 | 1)),
        "{}",
        text(&fine.stderr)
    );

    // An unknown top-level key, and a missing build.
    let unknown = d.join("unknown.jsonl");
    edit_lines(&results, &unknown, |v| v["surprise"] = 1.into());
    assert_refused(
        &lastcopy(&["merge", &name(&unknown)]),
        &["unknown.jsonl:1", "unknown key `surprise`"],
    );
    let unbuilt = d.join("unbuilt.jsonl");
    edit_lines(&results, &unbuilt, |v| {
        v.as_object_mut().expect("object").remove("build");
    });
    assert_refused(
        &lastcopy(&["merge", &name(&unbuilt)]),
        &["unbuilt.jsonl:1", "build"],
    );

    // A run's shard mixed with a report's: each file named with its kind.
    let report = d.join("report-0.jsonl");
    let r = lastcopy(&[
        "report",
        SMALL_REPORT,
        "--designs",
        "hardened",
        "--seeds",
        "0..2",
        "--shard",
        "0/1",
        "--results",
        &name(&report),
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let report_body = std::fs::read_to_string(&report).expect("report results");
    assert!(report_body.lines().all(|l| l.contains(&format!(
        "\"commit\":\"{}\"",
        lastcopy::build_identity::COMMIT
    ))));
    for files in [[&results, &report], [&report, &results]] {
        let out = lastcopy(&["merge", &name(files[0]), &name(files[1])]);
        assert_refused(
            &out,
            &[
                "run.jsonl",
                "report-0.jsonl",
                "a run's results",
                "a report's results",
            ],
        );
        assert!(
            !text(&out.stderr).contains("give --out"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn merge_refuses_a_range_edited_past_a_million_seeds() {
    let d = dir("merge-limit");
    let results = tiny_results(&d, "run.jsonl", "0..2");
    let edited = d.join("edited.jsonl");
    edit_lines(&results, &edited, |v| {
        v["run"]["seeds"]["last"] = u64::MAX.into();
    });
    let out = lastcopy_within(
        &["merge", &edited.display().to_string()],
        Duration::from_secs(20),
    );
    assert_refused(&out, &["edited.jsonl", "at most 1000000"]);
    let empty = d.join("empty-range.jsonl");
    edit_lines(&results, &empty, |v| {
        v["run"]["seeds"]["first"] = 9.into();
    });
    assert_refused(
        &lastcopy(&["merge", &empty.display().to_string()]),
        &["empty-range.jsonl:1", "empty"],
    );
}

#[cfg(unix)]
#[test]
fn an_endless_sweep_streams_until_ctrl_c_then_prints_its_summary() {
    let d = dir("endless");
    let results = d.join("results.jsonl");
    std::fs::write(&results, "what was there\n").expect("write");
    let mut args = vec!["run", "sidekick-2009"];
    args.extend_from_slice(&TINY);
    let results_arg = results.display().to_string();
    args.extend_from_slice(&[
        "--seeds",
        "0..=18446744073709551615",
        "--jobs",
        "2",
        "--results",
        &results_arg,
    ]);
    let mut child = Command::new(BIN)
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // Wait until the sweep has printed its first failing seed: it streams.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.contains(&b'\n') {
        let n = stdout.read(&mut buf).expect("read");
        assert!(n > 0, "stdout closed early: {}", text(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(seen.starts_with(b"seed "), "{}", text(&seen));
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: sending SIGINT to the child this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    stdout.read_to_end(&mut seen).expect("read");
    let out = child.wait_with_output().expect("exits");
    let (stdout, stderr) = (text(&seen), text(&out.stderr));
    assert_eq!(out.status.code(), Some(130), "stderr: {stderr}");
    let last = stdout.lines().last().expect("a summary");
    assert!(last.starts_with("seeds: "), "{last}");
    let ran: u64 = last["seeds: ".len()..]
        .split(',')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(ran >= 1, "{last}");
    assert!(
        stderr.contains(&format!(
            "interrupted by Ctrl-C: {ran} of 18446744073709551616 seeds ran"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("not written"), "{stderr}");
    // Every seed that ran, in order: the failing lines name seeds below `ran`.
    for l in stdout.lines().filter(|l| l.starts_with("seed ")) {
        let seed: u64 = l["seed ".len()..]
            .split(':')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a seed");
        assert!(seed < ran, "{l}");
    }
    assert_eq!(
        std::fs::read_to_string(&results).expect("left as it was"),
        "what was there\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&d)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp."))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn streamed_results_equal_for_any_jobs_and_complete_on_success() {
    let d = dir("jobs");
    let (a, b) = (d.join("a.jsonl"), d.join("b.jsonl"));
    let one = run_tiny(&[
        "--seeds",
        "0..40",
        "--jobs",
        "1",
        "--results",
        &a.display().to_string(),
    ]);
    let three = run_tiny(&[
        "--seeds",
        "0..40",
        "--jobs",
        "3",
        "--results",
        &b.display().to_string(),
    ]);
    assert_eq!(text(&one.stdout), text(&three.stdout));
    assert_eq!(one.status.code(), three.status.code());
    let (a, b) = (
        std::fs::read_to_string(&a).expect("a"),
        std::fs::read_to_string(&b).expect("b"),
    );
    assert_eq!(a, b);
    assert_eq!(a.lines().count(), 40);
    assert!(
        one.stderr.is_empty(),
        "no bar when stderr is not a terminal"
    );
}

/// Runs `command` under a pseudo-terminal (util-linux `script`), returning
/// what the terminal showed, or `None` where `script` is missing.
fn on_a_terminal(command: &str) -> Option<String> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
    let out = Command::new(script)
        .args(["-qec", command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    Some(text(&out.stdout))
}

#[test]
fn a_long_sweep_shows_a_bar_on_a_terminal_only() {
    let quoted: Vec<String> = TINY
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let command = format!(
        "{BIN} run sidekick-2009 {} --set faults.upgrades=[] --seeds 0..6 --jobs 2 >/dev/null",
        quoted.join(" ")
    );
    let Some(screen) = on_a_terminal(&command) else {
        eprintln!("no `script` here: the terminal case is not checked");
        return;
    };
    assert!(
        screen.contains("/6 seeds"),
        "no bar on the terminal: {screen:?}"
    );
}

#[test]
fn the_report_names_the_build_without_running_git() {
    let d = dir("provenance");
    let out = d.join("report");
    // No `git` on the PATH: the commit comes from the build, not from now.
    let r = Command::new(BIN)
        .args([
            "report",
            SMALL_REPORT,
            "--designs",
            "hardened",
            "--seeds",
            "0..1",
            "--out",
            &out.display().to_string(),
        ])
        .env("PATH", "")
        .output()
        .expect("runs");
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    let line = md
        .lines()
        .find(|l| l.starts_with("_Generated "))
        .expect("a provenance line");
    assert!(
        line.contains(&format!(
            "by lastcopy {} at commit {}._",
            env!("CARGO_PKG_VERSION"),
            lastcopy::build_identity::COMMIT
        )),
        "{line}"
    );
}
