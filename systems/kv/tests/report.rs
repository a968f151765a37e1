//! `report` for the key-value system: a small report's README.md as a
//! snapshot (without provenance, the same arguments give the same bytes),
//! a directory lastcopy did not write is never replaced, and bad arguments
//! exit 2 before any work.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_lastcopy-kv");

/// Runs the binary from the package's folder (inside the workspace, so
/// printed commands say `cargo run`); exit code and stderr.
fn kv(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    (out.status.code().unwrap_or(-1), err)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("kv-report-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn a_small_report_reads_as_its_snapshot_and_is_byte_identical_when_made_again() {
    let out = scratch("small");
    let dir = out.to_str().unwrap();
    let args = [
        "report",
        "kv-power",
        "--designs",
        "hardened,naive",
        "--seeds",
        "3..6",
        "--out",
        dir,
        "--no-provenance",
    ];
    let (code, err) = kv(&args);
    assert_eq!(code, 0, "{err}");
    let (readme, json) = (read(&out, "README.md"), read(&out, "results.json"));
    let again: Vec<&str> = args.iter().copied().chain(["--force"]).collect();
    let (code, err) = kv(&again);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        readme,
        read(&out, "README.md"),
        "same arguments, same bytes"
    );
    assert_eq!(json, read(&out, "results.json"));
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("results.json is JSON");
    assert_eq!(parsed["cells"].as_array().map(Vec::len), Some(2));
    insta::assert_snapshot!(readme.replace(dir, "OUT"));
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn a_directory_lastcopy_did_not_write_is_never_replaced() {
    let out = scratch("foreign");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let dir = out.to_str().unwrap();
    for force in [false, true] {
        let mut args = vec!["report", "kv-power", "--seeds", "0..1", "--out", dir];
        if force {
            args.push("--force");
        }
        let (code, err) = kv(&args);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("--out "), "{err}");
    }
    assert_eq!(read(&out, "notes.txt"), "mine");
    assert!(!out.join("README.md").exists());
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn bad_arguments_exit_2_and_write_nothing() {
    let out = scratch("bad");
    let dir = out.to_str().unwrap();
    for bad in [
        &["report", "nope", "--out", dir][..],
        &["report", "kv-power", "--designs", "nope", "--out", dir],
        &[
            "report",
            "kv-power",
            "--designs",
            "naive,naive",
            "--out",
            dir,
        ],
        &["report", "kv-power", "kv-power", "--out", dir],
        &["report", "kv-power", "--seeds", "5..5", "--out", dir],
        &[
            "report",
            "kv-power",
            "--set",
            "system.clients=oops",
            "--out",
            dir,
        ],
        &["report", "kv-power"],
    ] {
        let (code, err) = kv(bad);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(!out.exists(), "{bad:?} wrote {dir}");
    }
}
