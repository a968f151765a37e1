//! Every saved regression case (scenarios/regressions/*.toml) still shows
//! what it recorded: its verdict on its design, the promise kept on the
//! designs it names, and the verdict gone when any one fault is removed.

mod common;

use lastcopy::regression::{self, Regression, RegressionError};
use lastcopy::shrink::{self, Options};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(regression::DIR)
}

#[test]
fn every_saved_regression_keeps_its_expectation() {
    let files = regression::files_in(&dir()).expect("scenarios/regressions is readable");
    assert!(
        !files.is_empty(),
        "scenarios/regressions holds at least one case"
    );
    let mut failures = Vec::new();
    for path in &files {
        let name = path.to_string_lossy();
        match Regression::load(&name, &[]) {
            Err(e) => failures.push(format!("malformed: {e}")),
            Ok(reg) => {
                if let Err(f) = reg.check() {
                    failures.extend(f);
                }
                let size = std::fs::metadata(path).map_or(0, |m| m.len());
                if size > 16 * 1024 {
                    failures.push(format!(
                        "{name}: {size} bytes; a regression file stays small (shrink it)"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "regressions failed:\n{}",
        failures.join("\n")
    );
}

/// The whole round trip: shrink a failing seed, save it, load it back, and
/// its expectation holds, including on `hardened`.
#[test]
fn a_saved_shrink_reads_back_and_keeps_its_expectation() {
    let case = common::case("sidekick-2009", "fragile-2009", &["topology.handsets=5"]);
    let s = shrink::shrink(&case, 3, &Options::default(), &mut |_| {}).unwrap();
    let tmp = std::env::temp_dir().join(format!("lastcopy-regression-{}", std::process::id()));
    let file = tmp.join("case.toml");
    let path = file.to_string_lossy().into_owned();
    let reg = Regression::of_shrunk(
        &path,
        &s.case,
        s.seed,
        &s.target,
        "a test".into(),
        vec!["hardened".into()],
    );
    reg.save(&file, false).unwrap();
    assert!(
        reg.save(&file, false).is_err(),
        "an existing file is not replaced without force"
    );
    assert!(regression::is_regression_file(&path));
    let back = Regression::load(&path, &[]).unwrap();
    std::fs::remove_dir_all(&tmp).ok();
    assert_eq!(back.plan, s.shrunk.plan);
    assert_eq!(back.workload, s.shrunk.workload);
    assert_eq!(back.scenario.topology.handsets, s.shrunk.handsets);
    assert_eq!(back.expect.target(), s.target);
    let checked = back.check().unwrap_or_else(|f| panic!("{}", f.join("\n")));
    assert!(checked
        .iter()
        .any(|l| l.contains("promise kept on hardened")));
    assert_eq!(
        checked
            .iter()
            .filter(|l| l.contains("without fault"))
            .count(),
        back.plan.faults.len()
    );
}

fn malformed(text: &str) -> String {
    match Regression::parse("scenarios/regressions/bad.toml", text, &[]) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// A valid file's text, from the first saved case.
fn valid_text() -> String {
    let files = regression::files_in(&dir()).unwrap();
    std::fs::read_to_string(&files[0]).unwrap()
}

#[test]
fn malformed_regression_files_are_errors_naming_the_file_and_key() {
    let good = valid_text();
    let cases = [
        (good.replacen("seed =", "sead =", 1), "unknown field `sead`"),
        (
            good.replacen("verdict = \"", "verdict = \"gone", 1),
            "expect.verdict",
        ),
        (
            good.replacen("design = \"", "design = \"x", 1),
            "key `design`",
        ),
        (
            good.replacen("target = \"handset-0\"", "target = \"handset-9\"", 1),
            "outside the topology",
        ),
        (
            good.replacen("record = \"u0/", "record = \"u3/", 1),
            "expect.record",
        ),
        (
            good.replacen("[scenario.run]", "[scenario.rn]", 1),
            "key `scenario.",
        ),
        (good.replacen("faults = [", "faults = [[", 1), "line"),
    ];
    for (text, needle) in cases {
        assert_ne!(text, good, "the mutation applies ({needle})");
        let e = malformed(&text);
        assert!(
            e.starts_with("scenarios/regressions/bad.toml"),
            "names the file: {e}"
        );
        assert!(e.contains(needle), "mentions {needle:?}: {e}");
    }
    let missing = Regression::load("scenarios/regressions/none.toml", &[]).unwrap_err();
    assert!(matches!(missing, RegressionError::Read { .. }));
    assert!(missing.to_string().contains("none.toml"));
}

/// A regression file is also a plan file: `--plan FILE` runs its faults
/// (checked against the scenario it is run with, as any plan file's).
#[test]
fn a_regression_file_is_also_a_plan_file() {
    for path in regression::files_in(&dir()).expect("readable") {
        let name = path.to_string_lossy();
        let reg = Regression::load(&name, &[]).expect("loads");
        let text = std::fs::read_to_string(&path).expect("readable");
        let plan = lastcopy::plan_file::read(&name, &text, &reg.scenario).expect("reads as a plan");
        assert_eq!(plan, reg.plan, "{name}");
    }
}
