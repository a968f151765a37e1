//! Where lastcopy writes: a results file or a report directory that must not
//! be replaced (a symbolic link, a directory, a device, one of the command's
//! own inputs, a directory lastcopy did not write) or cannot be written (a
//! missing or read-only folder) is refused with exit code 2 before the first
//! seed, and left as it was; a results file that cannot be written at the
//! end loses no printed result; stale temporaries of a killed writer are
//! cleaned, other writers' kept; printed commands quote paths; chart file
//! names never collide.

use lastcopy::output::MARKER;
use lastcopy::report::{self, Config};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const SMALL: &str = "tests/data/report-small.toml";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_command(mut cmd: Command) -> Run {
    let out = cmd.output().expect("the binary runs");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

fn lastcopy<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lastcopy"));
    cmd.args(args);
    run_command(cmd)
}

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("outputs-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Every entry under `dir` (recursively, links not followed): its kind and,
/// for a file, its content; for a link, where it points.
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("readable dir") {
        let p = e.expect("entry").path();
        let meta = std::fs::symlink_metadata(&p).expect("metadata");
        if meta.file_type().is_symlink() {
            let to = std::fs::read_link(&p).expect("link");
            out.insert(p, format!("link to {}", to.display()));
        } else if meta.is_dir() {
            out.insert(p.clone(), "dir".into());
            out.extend(tree(&p));
        } else {
            out.insert(p.clone(), std::fs::read_to_string(&p).expect("file"));
        }
    }
    out
}

/// The small scenario copied into `dir` (a test must never risk a
/// checked-in file).
fn scenario_in(dir: &Path) -> PathBuf {
    let path = dir.join("v.toml");
    std::fs::copy(SMALL, &path).expect("copy the small scenario");
    path
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn results_that_must_not_be_replaced_are_refused_before_the_first_seed() {
    let dir = temp_dir("refused");
    let scenario = scenario_in(&dir);
    let plan = dir.join("plan.toml");
    let planned = lastcopy(&["plan", s(&scenario), "--seed", "0"]);
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    std::fs::write(&plan, planned.stdout).expect("write plan");
    let file = dir.join("file.txt");
    std::fs::write(&file, "keep").expect("write");
    let link = dir.join("link.jsonl");
    std::os::unix::fs::symlink(&file, &link).expect("symlink");
    let hard = dir.join("hard.jsonl");
    std::fs::hard_link(&scenario, &hard).expect("hard link");
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    let sub_slash = format!("{}/", s(&dir.join("new")));
    let missing = dir.join("missing/dir/r.jsonl");
    let before = tree(&dir);

    let run = |results: &str, extra: &[&str]| {
        let mut args = vec!["run", s(&scenario), "--seeds", "0..2", "--results", results];
        args.extend_from_slice(extra);
        lastcopy(&args)
    };
    let report_shard = |results: &str| {
        lastcopy(&[
            "report",
            s(&scenario),
            "--designs",
            "hardened",
            "--seeds",
            "0..2",
            "--shard",
            "0/1",
            "--results",
            results,
        ])
    };
    let mut cases: Vec<(Run, &str)> = vec![
        (run(s(&link), &[]), "is a symbolic link"),
        (run(s(&sub), &[]), "is a directory"),
        (run(&sub_slash, &[]), "names a directory, not a file"),
        (run(s(&scenario), &[]), "is the same file as the input"),
        (run(s(&hard), &[]), "is the same file as the input"),
        (
            run(s(&plan), &["--plan", s(&plan)]),
            "is the same file as the input",
        ),
        (run(s(&missing), &[]), "no such directory"),
        (report_shard(s(&scenario)), "is the same file as the input"),
        (report_shard(s(&link)), "is a symbolic link"),
    ];
    if Path::new("/dev/null").exists() {
        cases.push((run("/dev/null", &[]), "is not a regular file"));
    }
    if Path::new("/proc/self").is_dir() {
        // A folder that takes no new files, even for root.
        cases.push((run("/proc/r.jsonl", &[]), "cannot write in /proc"));
    }
    for (i, (r, message)) in cases.iter().enumerate() {
        assert_eq!(r.code, 2, "case {i}: {}", r.stderr);
        assert!(
            r.stderr.starts_with("error: --results ") && r.stderr.contains(message),
            "case {i}: {}",
            r.stderr
        );
        assert_eq!(r.stdout, "", "case {i}: no seed ran, nothing printed");
    }
    assert_eq!(
        tree(&dir),
        before,
        "every target as it was, nothing left beside"
    );
}

#[test]
fn a_results_file_written_replaces_its_own_stale_temporaries_only() {
    let dir = temp_dir("stale");
    let scenario = scenario_in(&dir);
    let results = dir.join("r.jsonl");
    std::fs::write(&results, "an earlier results file").expect("write");
    let dead = {
        let mut child = Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        child.wait().expect("wait");
        pid
    };
    let stale = dir.join(format!(".r.jsonl.lastcopy-tmp-{dead}"));
    let live = dir.join(".r.jsonl.lastcopy-tmp-1");
    let other = dir.join(format!(".s.jsonl.lastcopy-tmp-{dead}"));
    for f in [&stale, &live, &other] {
        std::fs::write(f, "partial").expect("write");
    }
    let r = lastcopy(&[
        "run",
        s(&scenario),
        "--seed",
        "0",
        "--design",
        "hardened",
        "--results",
        s(&results),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&results).expect("written");
    assert_eq!(
        text.lines().count(),
        1,
        "one line per seed, replacing the old file"
    );
    assert!(
        !stale.exists(),
        "a temporary of a writer that is gone is removed"
    );
    assert!(live.exists(), "one whose writer (pid 1) runs is kept");
    assert!(other.exists(), "another target's is kept");
}

#[test]
fn a_results_file_that_cannot_be_written_at_the_end_loses_no_printed_result() {
    use std::os::unix::process::CommandExt;
    let dir = temp_dir("full");
    let scenario = scenario_in(&dir);
    let results = dir.join("r.jsonl");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lastcopy"));
    cmd.args([
        "run",
        s(&scenario),
        "--seeds",
        "0..2",
        "--design",
        "fragile-2009",
        "--results",
        s(&results),
    ]);
    // SAFETY: between fork and exec, only async-signal-safe calls: no file
    // may grow past 0 bytes (a full disk, as writes see it), and the signal
    // that would kill the process for trying is ignored, so writes fail
    // with EFBIG instead.
    unsafe {
        cmd.pre_exec(|| {
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &none) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let r = run_command(cmd);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let last = r.stdout.lines().last().unwrap_or("");
    assert!(
        last.starts_with("seeds: 2, failed: "),
        "the summary is printed before the error: {}",
        r.stdout
    );
    assert!(
        r.stderr
            .starts_with(&format!("error: --results {}: ", s(&results))),
        "{}",
        r.stderr
    );
    assert!(!results.exists());
    assert_eq!(
        tree(&dir).len(),
        1,
        "no temporary left: {:?}",
        tree(&dir).keys()
    );
}

#[test]
fn the_regenerate_command_quotes_the_scenario_and_the_directory() {
    let dir = temp_dir("quoted");
    // A scenario and a folder whose names a shell would split or expand.
    let scenarios = dir.join("my scenarios");
    std::fs::create_dir(&scenarios).expect("mkdir");
    let scenario = scenario_in(&scenarios);
    let out = dir.join("rep $(id) 'x'");
    let r = lastcopy(&[
        "report",
        s(&scenario),
        "--designs",
        "hardened",
        "--seeds",
        "0..1",
        "--no-provenance",
        "--out",
        s(&out),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    let regenerate = md
        .lines()
        .find_map(|l| l.strip_prefix("- Regenerate: `"))
        .and_then(|l| l.strip_suffix('`'))
        .expect("a Regenerate line");
    let words = shlex::split(regenerate).expect("a shell can read it");
    assert_eq!(
        words[4..],
        [
            "report",
            s(&scenario),
            "--designs",
            "hardened",
            "--seeds",
            "0..1",
            "--out",
            s(&out),
            "--force"
        ],
        "{regenerate}"
    );
}

#[test]
fn force_replaces_a_report_lastcopy_wrote_whole_and_never_through_a_link() {
    let dir = temp_dir("force");
    let scenario = scenario_in(&dir);
    let out = dir.join("rep");
    let report = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "report",
            s(&scenario),
            "--designs",
            "hardened",
            "--seeds",
            "0..1",
            "--no-provenance",
            "--out",
            s(out),
        ];
        args.extend_from_slice(extra);
        lastcopy(&args)
    };
    let first = report(&out, &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(
        std::fs::read_to_string(out.join(MARKER)).expect("marked"),
        lastcopy::output::MARKER_TEXT,
        "the report is marked as lastcopy's"
    );
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");

    // Replaced with --force: whole, nothing left beside it.
    std::fs::write(out.join("stale.txt"), "from before").expect("write");
    let again = report(&out, &["--force"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(!out.join("stale.txt").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("report.md")).expect("report.md"),
        md
    );
    let beside: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(beside, ["rep", "v.toml"]);

    // A link to it is not it.
    let link = dir.join("link");
    std::os::unix::fs::symlink(&out, &link).expect("symlink");
    let through = report(&link, &["--force"]);
    assert_eq!(through.code, 2);
    assert!(
        through.stderr.contains("is a symbolic link"),
        "{}",
        through.stderr
    );
    assert!(std::fs::symlink_metadata(&link)
        .expect("still there")
        .file_type()
        .is_symlink());
}

#[test]
fn force_never_replaces_a_folder_lastcopy_did_not_write() {
    let dir = temp_dir("theirs");
    // The case: a folder holding a report.md and other files.
    let proj = dir.join("proj");
    std::fs::create_dir(&proj).expect("mkdir");
    std::fs::write(proj.join("report.md"), "x").expect("write");
    std::fs::write(proj.join("important.txt"), "p").expect("write");
    let before = tree(&dir);
    let refused = lastcopy(&[
        "report",
        "sidekick-2009",
        "--designs",
        "hardened",
        "--seeds",
        "0..1",
        "--out",
        s(&proj),
        "--force",
    ]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.starts_with("error: --out ")
            && refused.stderr.contains(&format!("no {MARKER} marker")),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.stdout, "");
    assert_eq!(tree(&dir), before, "important.txt and report.md kept");
}

#[test]
fn chart_file_names_never_collide() {
    let config = Config {
        specs: vec![SMALL.into()],
        designs: vec!["hardened".into()],
        seeds: lastcopy::seed_range::SeedRange::half_open(0, 1).expect("not empty"),
        overrides: vec![],
        jobs: 1,
        shrink_runs: 0,
        command: "test".into(),
    };
    let cases = report::cases(&config).expect("the small case loads");
    let cell = report::sweep(cases, &[0], 1, &|_| {}).remove(0);
    // Two scenarios whose names make the same file word, a third that makes
    // the second's disambiguated name, and one differing only in case.
    let cells: Vec<report::Cell> = ["a/b", "a_b", "a_b-2", "A/B"]
        .iter()
        .map(|name| {
            let mut c = cell.clone();
            c.case.scenario.name = name.to_string();
            c
        })
        .collect();
    let files = report::render(&cells, &config, None);
    let lower: std::collections::BTreeSet<String> =
        files.keys().map(|k| k.to_ascii_lowercase()).collect();
    assert_eq!(lower.len(), files.len(), "{:?}", files.keys());
    let charts: Vec<&String> = files
        .keys()
        .filter(|k| k.starts_with("exposure-"))
        .collect();
    assert_eq!(
        charts.len(),
        4,
        "one exposure chart per scenario: {charts:?}"
    );
    let md = &files["report.md"];
    for chart in charts {
        assert_eq!(
            md.matches(&format!("]({chart})")).count(),
            1,
            "{chart} is linked once"
        );
        let title = &files[chart];
        assert!(title.contains("<svg"), "{chart}");
    }
    let names = report::FileNames::of(&cells);
    assert!(files[&names.exposure("a/b")].contains("a/b"));
    assert!(files[&names.exposure("a_b")].contains("a_b"));
}

#[test]
fn a_regression_is_saved_whole_and_never_through_a_link() {
    let dir = temp_dir("regression");
    let kept = dir.join("kept.toml");
    std::fs::write(&kept, "keep").expect("write");
    let link = dir.join("case.toml");
    std::os::unix::fs::symlink(&kept, &link).expect("symlink");
    let reg = lastcopy::regression::Regression::load(
        "scenarios/regressions/sidekick-2009-upgrade-then-reset.toml",
        &[],
    )
    .expect("a checked-in regression loads");
    let e = reg.save(&link, true).expect_err("a link is not replaced");
    assert!(e.to_string().contains("is a symbolic link"), "{e}");
    assert_eq!(std::fs::read_to_string(&kept).expect("kept"), "keep");
    assert!(std::fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    let file = dir.join("real.toml");
    reg.save(&file, false).expect("saved");
    assert_eq!(
        tree(&dir).len(),
        3,
        "the link, its file and the saved case; no temporary"
    );
}
