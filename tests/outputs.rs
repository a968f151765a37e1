//! Where lastcopy writes, and what it prints about it: the commands it
//! prints quote every path a shell would split or expand; chart file names
//! never collide.

use lastcopy::report::{self, Config};
use std::path::{Path, PathBuf};
use std::process::Command;

const SMALL: &str = "tests/data/report-small.toml";

struct Run {
    code: i32,
    stderr: String,
}

fn run_command(mut cmd: Command) -> Run {
    let out = cmd.output().expect("the binary runs");
    Run {
        code: out.status.code().expect("exited, not killed"),
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
fn chart_file_names_never_collide() {
    let config = Config {
        specs: vec![SMALL.into()],
        designs: vec!["hardened".into()],
        seeds: 0..1,
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
