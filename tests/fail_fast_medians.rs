//! `scripts/fail-fast-medians.sh`, which measures the README's table of how
//! long `run --fail-fast` takes to find a failing seed: on a short sweep it
//! prints a row per scenario with the preset that breaks it and the first
//! failing seed's index, names a scenario no design breaks, and refuses an
//! unknown scenario with exit 2.

use std::process::{Command, Output};

fn script(args: &[&str]) -> Output {
    let root = env!("CARGO_MANIFEST_DIR");
    Command::new("bash")
        .arg(format!("{root}/scripts/fail-fast-medians.sh"))
        .args(args)
        .env("LASTCOPY", env!("CARGO_BIN_EXE_lastcopy"))
        .env("RANGES", "2")
        .env("SIZE", "3")
        .output()
        .expect("bash runs the script")
}

#[test]
fn the_script_prints_a_row_per_scenario_with_its_breaking_preset() {
    let out = script(&["battery-pulls", "torn-writes"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let row = |name: &str| -> Vec<String> {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{text}"));
        line.split('|').map(|c| c.trim().to_string()).collect()
    };
    let pulls = row("battery-pulls");
    assert_eq!(pulls[2], "`fragile-2009`", "{pulls:?}");
    let index: u64 = pulls[5].parse().expect("a failing seed in each range");
    assert!(index < 3, "{pulls:?}");
    let wall: f64 = pulls[3].parse().expect("seconds");
    assert!(wall > 0.0, "{pulls:?}");
    assert_eq!(row("torn-writes")[2], "none breaks it");

    let unknown = script(&["no-such-scenario"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("unknown scenario 'no-such-scenario'")
    );
}
