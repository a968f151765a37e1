//! Regression files of the key-value system: the ones kept in
//! `systems/kv/regressions/` still break the promise as they say
//! ([`check_dir`], as a user's `cargo test` calls it); one that no longer
//! does, or now fails otherwise, fails with a message naming the file; and
//! `--save` writes one that replays.

use lastcopy_harness::triage::regression::{check_dir, Regression};
use lastcopy_kv::KvStore;
use std::path::{Path, PathBuf};
use std::process::Command;

const KEPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/regressions");

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lastcopy-kv-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

#[test]
fn every_kept_regression_still_breaks_the_promise() {
    match check_dir::<KvStore>(Path::new(KEPT)) {
        Ok(n) => assert!(n >= 1, "no regression file in {KEPT}"),
        Err(failures) => panic!("{failures}"),
    }
}

#[test]
fn a_regression_that_no_longer_breaks_or_differs_fails_by_name() {
    let dir = scratch("regression-drift");
    let kept = Path::new(KEPT).join("naive-rollback.json");
    let reg: Regression = Regression::load(&kept.to_string_lossy()).expect("a regression file");
    let mut fixed = reg.clone();
    fixed.design = "hardened".into();
    let mut other = reg.clone();
    other.expect.record = "u9/key-9".into();
    for (name, r) in [("fixed.json", &fixed), ("other.json", &other)] {
        r.save(&dir.join(name)).expect("written");
    }
    let e = check_dir::<KvStore>(&dir).expect_err("both fail");
    assert!(e.starts_with("2 of 2 regression files"), "{e}");
    assert!(
        e.contains("fixed.json: expected rolled-back on u2/key-7")
            && e.contains("no longer breaks"),
        "{e}"
    );
    assert!(
        e.contains("other.json: expected rolled-back on u9/key-9")
            && e.contains("is now rolled-back on u2/key-7"),
        "{e}"
    );
    std::fs::write(dir.join("broken.json"), "{\"from\": 1}\n").unwrap();
    let e = check_dir::<KvStore>(&dir).expect_err("fails");
    assert!(e.contains("broken.json:1:"), "{e}");
}

#[test]
fn a_saved_shrink_is_a_regression_that_replays() {
    let dir = scratch("regression-save");
    let kv = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lastcopy-kv"))
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("the binary runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.code(), text)
    };
    let save = [
        "run", "kv-power", "--design", "naive", "--seed", "4", "--shrink", "--save", "mine",
    ];
    let (code, out) = kv(&save);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("# saved regressions/mine.json; replay: "),
        "{out}"
    );
    assert_eq!(check_dir::<KvStore>(&dir.join("regressions")), Ok(1));
    let (code, again) = kv(&save);
    assert_eq!(code, Some(2), "an existing file is kept: {again}");
    let (code, replayed) = kv(&["replay", "regressions/mine.json"]);
    assert_eq!(code, Some(1));
    assert!(
        replayed.contains("# verdicts\nrolled-back u2/key-7"),
        "{replayed}"
    );
}
