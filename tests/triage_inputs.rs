//! The triage commands' inputs as a new user meets them (issue #12): where
//! `shrink --save` writes and what it refuses before any work, hand-edited
//! plan files, replay's filters, and replay's JSON trace. Every refusal is
//! exit code 2 with nothing on stdout and a message naming what is wrong.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Overrides that keep every run small: 2 handsets, 12 hours, one upgrade.
const SMALL: [&str; 6] = [
    "--set",
    "topology.handsets=2",
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

/// Runs `program` with `args` in `cwd`.
fn exec<S: AsRef<str>>(program: &str, args: &[S], cwd: &Path) -> Run {
    let out = Command::new(program)
        .args(args.iter().map(|a| a.as_ref()))
        .current_dir(cwd)
        .output()
        .expect("the binary runs");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// Runs lastcopy with `args` in `cwd`.
fn lastcopy<S: AsRef<str>>(args: &[S], cwd: &Path) -> Run {
    exec(env!("CARGO_BIN_EXE_lastcopy"), args, cwd)
}

/// `args` followed by the small-run overrides.
fn small(args: &[&str]) -> Vec<String> {
    args.iter()
        .chain(SMALL.iter())
        .map(|s| s.to_string())
        .collect()
}

/// A fresh directory for one test, outside the source tree (as a user's
/// working directory would be).
fn work_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lastcopy-triage-inputs-{test}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The repository's own directory, where the build's manifest is.
fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Exit code 2, nothing on stdout, no panic, and a message on stderr that
/// contains each of `needles`.
fn assert_refused(run: &Run, needles: &[&str]) {
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
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

/// The words of the replay command printed on the line of `stdout` that
/// starts with `prefix` (after its `; replay: `), split as a POSIX shell
/// would.
fn replay_words(stdout: &str, prefix: &str) -> Vec<String> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in {stdout}"));
    let (_, cmd) = line.split_once("; replay: ").expect("a replay command");
    shlex::split(cmd).expect("a shell can read it")
}

fn trace_hash(run: &Run) -> String {
    let last = run.stdout.lines().last().unwrap_or("");
    last.strip_prefix("trace-hash: ")
        .unwrap_or_else(|| panic!("last line is not a trace hash: {last:?}"))
        .to_string()
}

// Item 4: shrink --save.

#[test]
fn shrink_save_writes_under_the_current_directory_and_prints_a_replay_that_works_there() {
    let dir = work_dir("save");
    let name = format!("triage-inputs-{}", std::process::id());
    let run = lastcopy(
        &small(&["shrink", "sidekick-2009", "--seed", "0", "--save", &name]),
        &dir,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let file = dir.join(format!("scenarios/regressions/{name}.toml"));
    assert!(file.is_file(), "{} written", file.display());
    assert!(
        !repo()
            .join(format!("scenarios/regressions/{name}.toml"))
            .exists(),
        "nothing is written into the source tree"
    );
    let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary left: {leftovers:?}");

    // The printed replay command works as printed, from where shrink ran.
    let words = replay_words(&run.stdout, "# saved ");
    assert_eq!(
        words[1..],
        ["replay", &format!("scenarios/regressions/{name}.toml")]
    );
    let replay = exec(&words[0], &words[1..], &dir);
    assert_eq!(
        replay.code, 1,
        "the case fails on its design: {}",
        replay.stderr
    );
    trace_hash(&replay);

    // The same name again is refused before any work, the file kept.
    let before = std::fs::read(&file).unwrap();
    let again = lastcopy(
        &small(&["shrink", "sidekick-2009", "--seed", "0", "--save", &name]),
        &dir,
    );
    assert_refused(
        &again,
        &[&format!("{name}.toml"), "already exists", "--force"],
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn shrink_save_refuses_bad_names_and_targets_before_any_work() {
    let dir = work_dir("save-refused");
    let shrink = |extra: &[&str]| {
        let mut args = small(&["shrink", "sidekick-2009", "--seed", "0"]);
        args.extend(extra.iter().map(|s| s.to_string()));
        lastcopy(&args, &dir)
    };
    let long = "x".repeat(65);
    for bad in ["My-Case", "a b", "_x", long.as_str()] {
        assert_refused(&shrink(&["--save", bad]), &["--save", "lowercase"]);
    }
    assert_refused(&shrink(&["--save", "missing/case.toml"]), &["missing"]);
    assert_refused(&shrink(&["--save", "sub/case"]), &[".toml"]);
    // --max-runs may stop short of a 1-minimal case, which cargo test rejects.
    assert_refused(
        &shrink(&["--save", "x", "--max-runs", "1"]),
        &["--save", "--max-runs"],
    );
    // --force replaces only a regression file lastcopy wrote.
    let mine = dir.join("notes.toml");
    std::fs::write(&mine, "my = \"notes\"\n").unwrap();
    assert_refused(
        &shrink(&["--save", "notes.toml", "--force"]),
        &["notes.toml", "not a regression file"],
    );
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my = \"notes\"\n");
    assert!(
        !dir.join("scenarios").exists(),
        "nothing is created when the input is refused"
    );
    std::fs::remove_dir_all(&dir).ok();
}

// Item 11: hand-edited plan files.

/// The plan `plan` draws for the small case, with `edit` applied to its text.
fn edited_plan(dir: &Path, edit: impl Fn(&str) -> String) -> (PathBuf, String) {
    let plan = lastcopy(&small(&["plan", "sidekick-2009", "--seed", "0"]), dir);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let text = edit(&plan.stdout);
    assert_ne!(text, plan.stdout, "the edit applies");
    let file = dir.join("plan.toml");
    std::fs::write(&file, &text).unwrap();
    (file, text)
}

#[test]
fn a_plan_file_whose_fault_would_never_fire_is_refused_naming_the_file_and_fault() {
    let dir = work_dir("plans");
    let replace_target = |to: &'static str| {
        move |t: &str| t.replacen("target = \"handset-1\"", &format!("target = \"{to}\""), 1)
    };
    for to in ["handset-999", "toaster", ""] {
        let (file, text) = edited_plan(&dir, replace_target(to));
        let line = text
            .lines()
            .position(|l| l == format!("target = \"{to}\""))
            .unwrap();
        // The line of the fault's [[faults]] header, four lines up.
        let at = format!("{}:{}", file.display(), line + 1 - 3);
        let f = file.to_str().unwrap();
        for cmd in [
            small(&["run", "sidekick-2009", "--plan", f]),
            small(&["replay", "sidekick-2009", "--seed", "0", "--plan", f]),
            small(&["shrink", "sidekick-2009", "--seed", "0", "--plan", f]),
        ] {
            assert_refused(
                &lastcopy(&cmd, &dir),
                &[
                    &at,
                    "fault ",
                    &format!("{to:?}"),
                    "no such target",
                    "handset-0..handset-1",
                ],
            );
        }
    }
    // A fault after the end of the run (12h).
    let (file, _) = edited_plan(&dir, |t| t.replacen("at = \"0d 07:", "at = \"2d 07:", 1));
    let f = file.to_str().unwrap();
    assert_refused(
        &lastcopy(&small(&["run", "sidekick-2009", "--plan", f]), &dir),
        &[f, "end of the run"],
    );
    // Two faults with one id.
    let (file, _) = edited_plan(&dir, |t| {
        let first = t.find("id = ").unwrap();
        let second = first + 1 + t[first + 1..].find("\nid = ").unwrap();
        let end = t[second + 1..].find('\n').unwrap() + second + 1;
        format!("{}\nid = 1{}", &t[..second], &t[end..])
    });
    let f = file.to_str().unwrap();
    assert_refused(
        &lastcopy(&small(&["run", "sidekick-2009", "--plan", f]), &dir),
        &[f, "fault 1 (", "unique"],
    );
    // A kind on a target it does not apply to.
    let (file, _) = edited_plan(&dir, |t| {
        t.replacen("target = \"array-a\"", "target = \"handset-0\"", 1)
    });
    let f = file.to_str().unwrap();
    assert_refused(
        &lastcopy(&small(&["run", "sidekick-2009", "--plan", f]), &dir),
        &[f, "(botched-upgrade)", "does not apply", "array-a, array-b"],
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_regression_file_whose_fault_targets_nothing_is_refused() {
    let dir = work_dir("regression-plan");
    let files: Vec<PathBuf> = std::fs::read_dir(repo().join("scenarios/regressions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let bad = text.replacen("target = \"", "target = \"toaster", 1);
    assert_ne!(bad, text);
    let file = dir.join("case.toml");
    std::fs::write(&file, bad).unwrap();
    let f = file.to_str().unwrap();
    assert_refused(
        &lastcopy(&["replay", f], &dir),
        &[f, "faults.", "no such target"],
    );
    std::fs::remove_dir_all(&dir).ok();
}

// Item 15: replay's filters.

#[test]
fn a_filter_that_names_nothing_or_matches_nothing_is_refused_with_the_valid_form() {
    let dir = work_dir("filters");
    let replay = |extra: &[&str]| {
        let mut args = small(&["replay", "sidekick-2009", "--seed", "0"]);
        args.extend(extra.iter().map(|s| s.to_string()));
        lastcopy(&args, &dir)
    };
    assert_refused(
        &replay(&["--node", "handset-9999"]),
        &[
            "--node",
            "handset-9999",
            "handset-0..handset-1",
            "sync-server",
        ],
    );
    assert_refused(
        &replay(&["--record", "nope/x"]),
        &["--record", "nope/x", "USER/RECORD", "u0/contact-1"],
    );
    assert_refused(
        &replay(&["--record", "u7/contact-1"]),
        &["u7", "USER/RECORD"],
    );
    // Of the valid form, but no event of the run is about it.
    let none = replay(&["--record", "u0/photo-999", "--explain"]);
    assert_refused(&none, &["u0/photo-999", "matched no event", "e.g. u"]);
    // A filter that does match still prints, with the run's trace hash.
    let all = replay(&[]);
    let some = replay(&["--node", "handset-0"]);
    assert_eq!(some.code, all.code, "{}", some.stderr);
    assert_eq!(trace_hash(&some), trace_hash(&all));
    std::fs::remove_dir_all(&dir).ok();
}

// Item 16: the JSON trace.

#[test]
fn the_json_trace_has_each_events_fields_as_an_object_of_typed_values() {
    let dir = work_dir("json");
    let pretty = lastcopy(&small(&["replay", "sidekick-2009", "--seed", "0"]), &dir);
    let json = lastcopy(
        &small(&[
            "replay",
            "sidekick-2009",
            "--seed",
            "0",
            "--trace-format",
            "json",
        ]),
        &dir,
    );
    assert_eq!(json.code, pretty.code, "{}", json.stderr);
    assert_eq!(trace_hash(&json), trace_hash(&pretty));
    let trace_of = |out: &str| -> Vec<String> {
        out.lines()
            .skip_while(|l| !l.starts_with("# trace"))
            .skip(1)
            .take_while(|l| !l.starts_with("# verdicts"))
            .map(str::to_string)
            .collect()
    };
    let (text, lines) = (trace_of(&pretty.stdout), trace_of(&json.stdout));
    assert_eq!(lines.len(), text.len(), "one JSON object per event");
    let mut numbers = 0;
    for (line, shown) in lines.iter().zip(&text) {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert_eq!(v["message"].as_str(), Some(shown.as_str()));
        assert!(v["at_ms"].is_u64(), "{line}");
        assert!(v["node"].is_string() && v["kind"].is_string(), "{line}");
        let fields = v["fields"]
            .as_object()
            .unwrap_or_else(|| panic!("fields is an object: {line}"));
        for (k, value) in fields {
            // The text shows each field as k=v: the JSON value is that, typed.
            let as_text = match value {
                serde_json::Value::Number(n) => {
                    numbers += 1;
                    n.to_string()
                }
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::String(s) => s.clone(),
                other => panic!("{k} is {other}: {line}"),
            };
            assert!(shown.contains(&format!("{k}=")), "{shown} has {k}");
            assert!(shown.contains(as_text.as_str()), "{shown} has {as_text}");
        }
        if v["kind"] == "fault.fired" {
            assert!(
                v["fields"]["fault"].is_u64(),
                "fault ids are numbers: {line}"
            );
        }
    }
    assert!(numbers > 0, "the trace has numeric fields");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_failing_runs_replay_line_works_as_printed_outside_the_source_tree() {
    let dir = work_dir("run-replay");
    let run = lastcopy(&small(&["run", "sidekick-2009", "--seeds", "0..1"]), &dir);
    assert_eq!(run.code, 1, "seed 0 breaks the promise: {}", run.stderr);
    let words = replay_words(&run.stdout, "seed 0: broke the promise");
    assert_ne!(
        words[0], "cargo",
        "no cargo outside the source tree: {words:?}"
    );
    let replay = exec(&words[0], &words[1..], &dir);
    assert_eq!(
        replay.code, 1,
        "the replay fails as the run did: {}",
        replay.stderr
    );
    trace_hash(&replay);
    std::fs::remove_dir_all(&dir).ok();
}
