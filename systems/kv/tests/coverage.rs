//! `run --coverage` on the key-value system: power and storage faults fire
//! and some strike a record's last copies (near misses), read from the
//! run's output alone; the command prints the table after its summary.

use lastcopy_harness::case::Case;
use lastcopy_harness::report::coverage::Coverage;
use lastcopy_harness::scenario::Source;
use lastcopy_kv::KvStore;
use std::process::Command;

const STORM: &str = include_str!("../scenarios/kv-storm.toml");

#[test]
fn power_and_storage_faults_fire_and_some_are_near_misses() {
    let case =
        Case::<KvStore>::load(&Source::new("kv-storm.toml", STORM), &[], "hardened").unwrap();
    let mut c = Coverage::new(&[]);
    for seed in 0..20 {
        c.add(&case.run_seed(seed).outcome);
    }
    let fired = |kind: &str| c.kind(kind).map_or(0, |k| k.total.fired);
    assert!(fired("power-loss") > 0, "{c}");
    let storage: u64 = c
        .kinds
        .iter()
        .filter(|k| k.class == "storage")
        .map(|k| k.total.fired)
        .sum();
    assert!(storage > 0, "{c}");
    let near: u64 = c.kinds.iter().map(|k| k.total.near_miss).sum();
    assert!(near > 0 && c.seeds_near_miss > 0, "{c}");
    assert!(
        c.kinds.iter().all(|k| k.total.near_miss <= k.total.fired),
        "{c}"
    );
}

#[test]
fn the_command_prints_coverage_after_its_summary() {
    let out = Command::new(env!("CARGO_BIN_EXE_lastcopy-kv"))
        .args(["run", "kv-power", "--seeds", "0..3", "--coverage"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let summary = text.find("seeds: 3, failed:").expect("a summary");
    let table = text.find("coverage over 3 seeds").expect("coverage");
    assert!(summary < table, "{text}");
    assert!(text.contains("power-loss"), "{text}");
    assert!(text.contains("never fired: torn-write"), "{text}");
}
