//! Scenario files: the catalogue loads, and every mistake a user can make in
//! a file or a `--set` is reported with the file, the line and the key (or
//! the override), never with a panic.

use std::time::Duration;

use lastcopy::scenario::{Expectation, Scenario, ScenarioError, CATALOGUE};
use models::design::{Design, SavedAck};
use proptest::prelude::*;

/// The flagship scenario's text: a valid file to break one line at a time.
fn flagship() -> &'static str {
    CATALOGUE
        .iter()
        .find(|(name, _)| *name == "sidekick-2009")
        .map(|(_, text)| *text)
        .expect("sidekick-2009 is in the catalogue")
}

/// `flagship()` with the line that starts with `line_start` replaced by
/// `new_line`; returns the new text and the (1-based) number of that line.
fn with_line(line_start: &str, new_line: &str) -> (String, usize) {
    let mut found = None;
    let lines: Vec<&str> = flagship()
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if found.is_none() && line.starts_with(line_start) {
                found = Some(i + 1);
                new_line
            } else {
                line
            }
        })
        .collect();
    let line = found.unwrap_or_else(|| panic!("no line starts with {line_start:?}"));
    (lines.join("\n") + "\n", line)
}

fn sets(overrides: &[&str]) -> Vec<String> {
    overrides.iter().map(|s| s.to_string()).collect()
}

/// The error message for `text` (named `bad.toml`) with `overrides`.
fn error(text: &str, overrides: &[&str]) -> String {
    match Scenario::from_str("bad.toml", text, &sets(overrides)) {
        Ok(_) => panic!("expected an error for overrides {overrides:?}"),
        Err(e) => e.to_string(),
    }
}

/// Asserts that the file error for replacing `line_start` by `new_line`
/// names `bad.toml`, that line and `key`, and contains `detail`.
fn assert_file_error(line_start: &str, new_line: &str, key: &str, detail: &str) {
    let (text, line) = with_line(line_start, new_line);
    let message = error(&text, &[]);
    let head = format!("bad.toml:{line}: key `{key}`:");
    assert!(
        message.starts_with(&head),
        "{message:?} should start with {head:?}"
    );
    assert!(
        message.contains(detail),
        "{message:?} should contain {detail:?}"
    );
}

#[test]
fn the_catalogue_scenario_loads_with_its_documented_values() {
    let s = Scenario::load("sidekick-2009", &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.name, "sidekick-2009");
    assert_eq!(s.topology.handsets, 50);
    assert_eq!(s.run.duration, Duration::from_secs(3 * 86_400));
    assert_eq!(s.run.heal_bound, Duration::from_secs(86_400));
    assert_eq!(s.faults.upgrades.len(), 1);
    assert_eq!(s.faults.upgrades[0].array, "array-a");
    assert_eq!(s.faults.upgrades[0].at, Duration::from_secs(25 * 3600));
    assert_eq!(s.faults.upgrades[0].downtime, Duration::from_secs(6 * 3600));
    assert_eq!(s.faults.aftermath.reset_probability, 0.25);
    assert_eq!(
        s.expect.get("fragile-2009"),
        Some(&Expectation::Breaks { min_share: 0.9 })
    );
    assert_eq!(s.expect.get("hardened"), Some(&Expectation::Keeps));
    assert_eq!(s.test.seeds, 10);
}

#[test]
fn a_path_loads_the_same_scenario_as_the_name() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/sidekick-2009.toml");
    let by_path = Scenario::load(path, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(by_path, Scenario::load("sidekick-2009", &[]).unwrap());
}

#[test]
fn an_unknown_key_names_file_line_and_key() {
    assert_file_error(
        "handsets",
        "handset = 50",
        "topology.handset",
        "unknown key, expected `handsets`",
    );
    assert_file_error(
        "window",
        "windw = \"12h\"",
        "faults.aftermath.windw",
        "unknown key",
    );
}

#[test]
fn a_wrong_type_names_file_line_and_key() {
    assert_file_error(
        "handsets",
        "handsets = \"fifty\"",
        "topology.handsets",
        "invalid type",
    );
    assert_file_error(
        "at =",
        "at = 25",
        "faults.upgrades[0].at",
        "expected a duration string",
    );
    assert_file_error(
        "sync_interval",
        "sync_interval = \"30 fortnights\"",
        "workload.sync_interval",
        "not a duration",
    );
    assert_file_error(
        "battery_pull_down_for",
        "survivable = \"yes\"",
        "faults.survivable",
        "invalid type",
    );
}

#[test]
fn impossible_values_name_file_line_and_key() {
    assert_file_error(
        "reset_per_handset_day",
        "reset_per_handset_day = -1",
        "faults.reset_per_handset_day",
        "must be a rate >= 0 (mean events per handset per day), got -1",
    );
    assert_file_error(
        "reset_probability",
        "reset_probability = 1.5",
        "faults.aftermath.reset_probability",
        "must be a probability from 0 to 1, got 1.5",
    );
    assert_file_error(
        "at =",
        "at = \"4d\"",
        "faults.upgrades[0].at",
        "must be before the end of the run",
    );
    assert_file_error(
        "handsets",
        "handsets = 0",
        "topology.handsets",
        "must be from 1 to 10000, got 0",
    );
    assert_file_error(
        "array =",
        "array = \"array-z\"",
        "faults.upgrades[0].array",
        "must be one of array-a, array-b",
    );
    assert_file_error(
        "fragile-2009 =",
        "fragile-2009 = { outcome = \"breaks\", min_share = 0 }",
        "expect.fragile-2009.min_share",
        "must be a share above 0",
    );
}

#[test]
fn burstiness_and_the_exchange_timeout_name_file_line_and_key() {
    // Each key is written on the line of sync_after_edit, which follows it.
    let after = "\nsync_after_edit = \"10s\"";
    for (line, key, detail) in [
        (
            "burstiness = 10.5",
            "workload.burstiness",
            "must be from 0 to 10 (mean extra edits per burst), got 10.5",
        ),
        (
            "burstiness = -1",
            "workload.burstiness",
            "must be from 0 to 10",
        ),
        (
            "exchange_timeout = \"5ms\"",
            "workload.exchange_timeout",
            "must be from 10ms to 1h, got 5ms",
        ),
        (
            "exchange_timeout = \"2h\"",
            "workload.exchange_timeout",
            "must be from 10ms to 1h, got 2h",
        ),
    ] {
        assert_file_error("sync_after_edit", &format!("{line}{after}"), key, detail);
    }
    let message = error(flagship(), &["workload.exchange_timeout=0s"]);
    assert!(
        message
            .starts_with("--set 'workload.exchange_timeout=0s': key `workload.exchange_timeout`"),
        "{message}"
    );
    let s = Scenario::from_str("ok.toml", flagship(), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.workload.burstiness, 0.0);
    assert_eq!(s.workload.exchange_timeout, Duration::from_secs(60));
    let sets = sets(&["workload.burstiness=2.5", "workload.exchange_timeout=90s"]);
    let s = Scenario::from_str("ok.toml", flagship(), &sets).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.workload.burstiness, 2.5);
    assert_eq!(s.workload.exchange_timeout, Duration::from_secs(90));
}

#[test]
fn a_missing_key_names_its_table() {
    let (text, line) = with_line("heal_bound", "");
    let message = error(&text, &[]);
    let run_header = line - 2;
    assert!(
        message.starts_with(&format!(
            "bad.toml:{run_header}: key `run.heal_bound`: required"
        )),
        "{message}"
    );
}

#[test]
fn a_syntax_error_names_file_and_line() {
    let (text, line) = with_line("duration", "duration = \"3d");
    let message = error(&text, &[]);
    assert!(
        message.starts_with(&format!("bad.toml:{line}: not valid TOML")),
        "{message}"
    );
}

#[test]
fn an_unknown_catalogue_name_lists_the_valid_ones() {
    let e = Scenario::load("sidekick-2010", &[]).unwrap_err();
    assert!(matches!(e, ScenarioError::UnknownScenario { .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains("`sidekick-2010`"), "{message}");
    for (name, _) in CATALOGUE {
        assert!(message.contains(name), "{message} should list {name}");
    }
}

#[test]
fn a_missing_file_is_a_read_error() {
    let e = Scenario::load("no/such/scenario.toml", &[]).unwrap_err();
    assert!(matches!(e, ScenarioError::Read { .. }), "{e:?}");
}

#[test]
fn a_bad_override_key_names_the_override() {
    let message = error(flagship(), &["faults.reset_per_handset_dya=0.2"]);
    assert!(
        message.starts_with(
            "--set 'faults.reset_per_handset_dya=0.2': key `faults.reset_per_handset_dya`: unknown key"
        ),
        "{message}"
    );
    let message = error(flagship(), &["nonsense.deep.key=1"]);
    assert!(
        message.starts_with("--set 'nonsense.deep.key=1': key `nonsense`"),
        "{message}"
    );
    let message = error(flagship(), &["topology.handsets.per_user=1"]);
    assert!(
        message.starts_with("--set 'topology.handsets.per_user=1':"),
        "{message}"
    );
    let message = error(flagship(), &["no-equals-sign"]);
    assert!(message.contains("expected KEY=VALUE"), "{message}");
}

#[test]
fn incident_keys_are_checked_with_file_line_and_key() {
    let text = CATALOGUE
        .iter()
        .find(|(name, _)| *name == "stale-restore")
        .map(|(_, text)| *text)
        .expect("stale-restore is in the catalogue");
    let line_of = |start: &str| {
        text.lines()
            .position(|l| l.starts_with(start))
            .expect("line present")
            + 1
    };
    let bad = text.replace("stale_restore_per_day = 0.5", "stale_restore_per_day = -2");
    let message = error(&bad, &[]);
    let line = line_of("stale_restore_per_day");
    assert!(
        message.starts_with(&format!(
            "bad.toml:{line}: key `faults.incidents.stale_restore_per_day`: must be a rate >= 0"
        )),
        "{message}"
    );
    let bad = text.replace(
        "aftermath = [\"stale-restore\", \"wrong-account-restore\"]",
        "aftermath = [\"stale-restore\", \"meteor\"]",
    );
    let message = error(&bad, &[]);
    let line = line_of("aftermath = [");
    assert!(
        message.starts_with(&format!(
            "bad.toml:{line}: key `faults.incidents.aftermath[1]`: must be one of stale-restore"
        )),
        "{message}"
    );
    assert!(message.contains("got `meteor`"), "{message}");
    let message = error(text, &["faults.incidents.failover_per_dya=1"]);
    assert!(
        message.starts_with(
            "--set 'faults.incidents.failover_per_dya=1': key `faults.incidents.failover_per_dya`: unknown key"
        ),
        "{message}"
    );
    let message = error(text, &["faults.incidents.version_skew_for=0s"]);
    assert!(
        message.contains("key `faults.incidents.version_skew_for`"),
        "{message}"
    );
    let message = error(text, &["design.migration_checked=maybe"]);
    assert!(message.contains("design.migration_checked"), "{message}");
}

#[test]
fn a_bad_override_value_names_the_override_and_key() {
    let message = error(flagship(), &["faults.aftermath.reset_probability=1.5"]);
    assert!(
        message.starts_with(
            "--set 'faults.aftermath.reset_probability=1.5': key `faults.aftermath.reset_probability`: must be a probability"
        ),
        "{message}"
    );
    let message = error(flagship(), &["topology.handsets=many"]);
    assert!(message.contains("invalid type"), "{message}");
}

#[test]
fn an_override_leaves_file_lines_right() {
    let (text, line) = with_line("reset_per_handset_day", "reset_per_handset_day = -1");
    let message = error(&text, &["topology.handsets=5", "topology.extra_note=\"x\""]);
    assert!(
        message.starts_with("--set 'topology.extra_note=\"x\"'"),
        "{message}"
    );
    let message = error(
        &text,
        &["design.digest_sync=false", "run.converge_check=30s"],
    );
    assert!(
        message.starts_with(&format!(
            "bad.toml:{line}: key `faults.reset_per_handset_day`"
        )),
        "{message}"
    );
}

#[test]
fn overrides_that_work_change_the_values() {
    let s = Scenario::load(
        "sidekick-2009",
        &sets(&[
            "faults.reset_per_handset_day=0.2",
            "design.digest_sync=false",
            "design.saved_ack=on-write",
            "faults.upgrades=[]",
            "topology.handsets=5",
            "run.heal_bound=2d",
            "test.seeds=1",
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.faults.reset_per_handset_day, 0.2);
    assert_eq!(s.design.digest_sync, Some(false));
    assert_eq!(s.design.saved_ack, Some(SavedAck::OnWrite));
    assert!(s.faults.upgrades.is_empty());
    assert_eq!(s.topology.handsets, 5);
    assert_eq!(s.run.heal_bound, Duration::from_secs(2 * 86_400));
    assert_eq!(s.test.seeds, 1);

    let s = Scenario::load("sidekick-2009", &sets(&["faults.upgrades.0.array=array-b"]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.faults.upgrades[0].array, "array-b");
}

#[test]
fn later_overrides_win() {
    let s = Scenario::load(
        "sidekick-2009",
        &sets(&["topology.handsets=0", "topology.handsets=3"]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.topology.handsets, 3);
}

#[test]
fn optional_sections_take_their_defaults() {
    let text = r#"
name = "minimal"
description = "The least a scenario must say."
[topology]
handsets = 1
[run]
duration = "1h"
heal_bound = "1h"
[workload]
edits_per_handset_day = 1
new_record_probability = 0.5
max_records_per_handset = 1
sync_interval = "30m"
sync_after_edit = "10s"
"#;
    let s = Scenario::from_str("minimal.toml", text, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.run.converge_check, Duration::from_secs(60));
    assert_eq!(s.system.backup_interval, Duration::from_secs(86_400));
    assert_eq!(s.system.sector_size, 4096);
    assert_eq!(s.faults.node_down_for, Duration::from_secs(300));
    assert_eq!(s.faults.reset_per_handset_day, 0.0);
    assert!(s.faults.upgrades.is_empty());
    assert!(s.expect.is_empty());
    assert_eq!(s.test.seeds, 10);
    assert_eq!(s.design(None).unwrap(), Design::hardened());

    let s = Scenario::from_str(
        "minimal.toml",
        text,
        &sets(&[
            "faults.aftermath.window=1h",
            "faults.aftermath.reset_probability=0.5",
            "design.preset=fragile-2009",
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.faults.aftermath.window, Duration::from_secs(3600));
    assert_eq!(s.design_name(None), "fragile-2009");
}

#[test]
fn the_design_comes_from_cli_then_file_then_hardened() {
    let s = Scenario::load("sidekick-2009", &[]).unwrap();
    assert_eq!(
        s.design(None).unwrap(),
        Design::fragile_2009(),
        "the file's preset"
    );
    assert_eq!(s.design(Some("hardened")).unwrap(), Design::hardened());
    assert_eq!(
        s.design(Some("fragile-2009")).unwrap(),
        Design::fragile_2009()
    );
    assert_eq!(s.design_name(Some("fragile-2009")), "fragile-2009");

    let s = Scenario::load("sidekick-2009", &sets(&["design.digest_sync=true"])).unwrap();
    assert!(s.design(None).unwrap().digest_sync);
    assert_eq!(s.design_name(None), "custom");

    let e = s.design(Some("sturdy")).unwrap_err().to_string();
    assert!(e.contains("`sturdy`") && e.contains("hardened"), "{e}");
    let message = error(flagship(), &["design.preset=sturdy"]);
    assert!(
        message.starts_with("--set 'design.preset=sturdy': key `design.preset`"),
        "{message}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn garbage_text_never_panics(text in "\\PC{0,200}") {
        let _ = Scenario::from_str("garbage.toml", &text, &[]);
    }

    #[test]
    fn mangled_catalogue_text_never_panics(
        at in 0usize..4000,
        cut in 0usize..40,
        insert in "[\\[\\]{}=\"'.,a-z0-9 \\n#-]{0,12}",
    ) {
        let text = flagship();
        let at = at.min(text.len());
        let end = (at + cut).min(text.len());
        if text.is_char_boundary(at) && text.is_char_boundary(end) {
            let mangled = format!("{}{}{}", &text[..at], insert, &text[end..]);
            let _ = Scenario::from_str("mangled.toml", &mangled, &[]);
        }
    }

    #[test]
    fn garbage_overrides_never_panic(
        key in "[a-z_]{1,12}(\\.[a-z_0-9]{1,12}){0,3}|faults\\.upgrades\\.[0-9]|[\\PC]{0,20}",
        value in "\\PC{0,20}",
    ) {
        let set = vec![format!("{key}={value}")];
        let _ = Scenario::from_str("base.toml", flagship(), &set);
    }
}

#[test]
fn an_override_inside_a_bad_table_is_named() {
    let message = error(flagship(), &["expect.hardened.outcome=breaks"]);
    assert!(
        message.starts_with("--set 'expect.hardened.outcome=breaks': key `expect.hardened`"),
        "{message}"
    );
    assert!(message.contains("min_share"), "{message}");
}

#[test]
fn network_fault_keys_name_file_line_and_key() {
    let partitions = CATALOGUE
        .iter()
        .find(|(name, _)| *name == "partitions")
        .map(|(_, text)| *text)
        .expect("partitions is in the catalogue");
    let cases = [
        (
            "targets",
            "targets = [\"handset-server\", \"satellite\"]",
            "faults.network.targets[1]",
            "must be one of handset-server, server-database, got `satellite`",
        ),
        (
            "partition_per_link_day",
            "partition_per_link_day = -2",
            "faults.network.partition_per_link_day",
            "must be a rate >= 0 (mean events per link per day), got -2",
        ),
        (
            "offline_per_handset_day",
            "offline_per_handset_day = -1",
            "faults.network.offline_per_handset_day",
            "must be a rate >= 0 (mean events per handset per day), got -1",
        ),
        (
            "corrupt_share",
            "corrupt_share = 2",
            "faults.network.corrupt_share",
            "must be a probability from 0 to 1, got 2",
        ),
        (
            "delay_for",
            "delay_for = \"0s\"",
            "faults.network.delay_for",
            "must be longer than 0",
        ),
        (
            "window",
            "windo = \"1h\"",
            "faults.network.windo",
            "unknown",
        ),
    ];
    for (line_start, new_line, key, detail) in cases {
        let mut found = None;
        let text: Vec<&str> = partitions
            .lines()
            .enumerate()
            .map(|(i, line)| {
                if found.is_none() && line.starts_with(line_start) {
                    found = Some(i + 1);
                    new_line
                } else {
                    line
                }
            })
            .collect();
        let line = found.unwrap_or_else(|| panic!("no line starts with {line_start:?}"));
        let message = error(&(text.join("\n") + "\n"), &[]);
        let head = format!("bad.toml:{line}: key `{key}`:");
        assert!(
            message.starts_with(&head),
            "{message:?} should start with {head:?}"
        );
        assert!(
            message.contains(detail),
            "{message:?} should contain {detail:?}"
        );
    }
    let message = error(flagship(), &["faults.network.loss_share=7"]);
    assert!(
        message.contains("faults.network.loss_share") && message.contains("probability"),
        "{message}"
    );
    let message = error(flagship(), &["design.wire_checksum=maybe"]);
    assert!(message.contains("design.wire_checksum"), "{message}");
}

/// The two-writers scenario's text with the line starting `line_start`
/// replaced; the error must name `bad.toml`, that line and `key`.
fn assert_two_writers_error(line_start: &str, new_line: &str, key: &str, detail: &str) {
    let text = CATALOGUE
        .iter()
        .find(|(name, _)| *name == "two-writers")
        .map(|(_, text)| *text)
        .expect("two-writers is in the catalogue");
    let mut at = None;
    let lines: Vec<&str> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if at.is_none() && line.starts_with(line_start) {
                at = Some(i + 1);
                new_line
            } else {
                line
            }
        })
        .collect();
    let line = at.unwrap_or_else(|| panic!("no line starts with {line_start:?}"));
    let message = error(&(lines.join("\n") + "\n"), &[]);
    let head = format!("bad.toml:{line}: key `{key}`:");
    assert!(
        message.starts_with(&head),
        "{message:?} should start with {head:?}"
    );
    assert!(
        message.contains(detail),
        "{message:?} should contain {detail:?}"
    );
}

#[test]
fn two_writer_clock_and_delete_keys_name_file_line_and_key() {
    assert_two_writers_error(
        "delete_probability",
        "delete_probability = 1.5",
        "workload.delete_probability",
        "must be a probability from 0 to 1, got 1.5",
    );
    assert_two_writers_error(
        "portal_edits_per_user_day",
        "portal_edits_per_user_day = -2",
        "workload.portal_edits_per_user_day",
        "must be a rate >= 0 (mean events per user per day), got -2",
    );
    assert_two_writers_error(
        "clock_reset_per_handset_day",
        "clock_reset_per_handset_day = -1",
        "faults.clock_reset_per_handset_day",
        "must be a rate >= 0",
    );
    assert_two_writers_error(
        "clock_skew_per_handset_day",
        "clock_skew_per_handset_day = \"often\"",
        "faults.clock_skew_per_handset_day",
        "invalid type",
    );
    assert_two_writers_error(
        "clock_skew_max",
        "clock_skew_max = \"0s\"",
        "faults.clock_skew_max",
        "must be longer than 0",
    );
    let message = error(flagship(), &["design.conflict_copies=maybe"]);
    assert!(
        message.starts_with("--set 'design.conflict_copies=maybe': key `design.conflict_copies`"),
        "{message}"
    );
    let message = error(flagship(), &["design.keep_tombstone=true"]);
    assert!(message.contains("unknown key"), "{message}");
}

#[test]
fn new_keys_default_to_off_and_knobs_override() {
    let s = Scenario::load("sidekick-2009", &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.workload.delete_probability, 0.0);
    assert_eq!(s.workload.portal_edits_per_user_day, 0.0);
    assert_eq!(s.faults.clock_reset_per_handset_day, 0.0);
    assert_eq!(s.faults.clock_skew_per_handset_day, 0.0);
    let sets = sets(&[
        "design.conflict_copies=false",
        "design.hlc=false",
        "design.keep_tombstones=false",
        "design.absence_deletes=true",
    ]);
    let s = Scenario::load("two-writers", &sets).unwrap_or_else(|e| panic!("{e}"));
    let d = s.design(Some("hardened")).expect("a preset");
    assert!(!d.conflict_copies && !d.hlc && !d.keep_tombstones && d.absence_deletes);
    assert_eq!(
        (d.saved_ack, d.digest_sync),
        (SavedAck::AfterSync, Design::hardened().digest_sync)
    );
}

#[test]
fn a_name_is_one_short_line_of_lowercase_letters_digits_and_dots() {
    // A name with a newline could forge a `trace-hash:` line in output.
    assert_file_error(
        "name",
        "name = \"x\\ntrace-hash: 0000000000000000\"",
        "name",
        "must be 1 to 64 characters of lowercase letters, digits",
    );
    for bad in ["", "Sidekick", "-x", ".x", "a b", "a/b", &"a".repeat(65)] {
        let set = format!("name={bad:?}");
        let message = error(flagship(), &[&set]);
        assert!(
            message.contains("key `name`: must be 1 to 64 characters"),
            "{bad:?}: {message}"
        );
    }
    for good in ["x", "0", "sidekick-2009", "a.b_c-d", &"a".repeat(64)] {
        let set = format!("name={good:?}");
        let s = Scenario::from_str("good.toml", flagship(), &sets(&[&set]))
            .unwrap_or_else(|e| panic!("{good:?}: {e}"));
        assert_eq!(s.name, good);
    }
}

#[test]
fn every_catalogue_and_regression_scenario_has_a_valid_name() {
    for (name, _) in CATALOGUE {
        let s = Scenario::load(name, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(lastcopy::scenario::is_valid_name(&s.name), "{name}");
    }
    let dir = std::path::Path::new(lastcopy::regression::DIR);
    for path in lastcopy::regression::files_in(dir).expect("regressions") {
        let path = path.to_string_lossy().to_string();
        let reg = lastcopy::regression::Regression::load(&path, &[])
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(lastcopy::scenario::is_valid_name(&reg.scenario.name));
    }
}

#[test]
fn override_keys_are_bounded_in_depth_and_length_before_any_work() {
    let deep = vec!["a"; 20_000].join(".") + "=1";
    let start = std::time::Instant::now();
    let message = error(flagship(), &[&deep]);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert!(
        message.contains("the key is 39999 bytes long; a key has at most 256"),
        "{message}"
    );
    assert!(
        message.len() < 200,
        "the whole key is not echoed: {message}"
    );
    let parts = vec!["a"; 17].join(".") + "=1";
    let message = error(flagship(), &[&parts]);
    assert!(
        message.contains("the key has 17 dotted parts; a key has at most 16"),
        "{message}"
    );
    let long = format!("{}=1", "k".repeat(257));
    assert!(error(flagship(), &[&long]).contains("257 bytes long"));
    // Sixteen parts and 256 bytes are fine as far as the key goes.
    let ok = vec!["a"; 16].join(".") + "=1";
    assert!(error(flagship(), &[&ok]).contains("unknown key"));
}

#[test]
fn rates_beyond_one_event_a_millisecond_are_refused() {
    assert_file_error(
        "reset_per_handset_day",
        "reset_per_handset_day = 1e308",
        "faults.reset_per_handset_day",
        "must be a rate of at most 86400000 (mean events per handset per day: one a millisecond), got 1e308",
    );
    let message = error(flagship(), &["workload.edits_per_handset_day=1e9"]);
    assert!(
        message.starts_with(
            "--set 'workload.edits_per_handset_day=1e9': key `workload.edits_per_handset_day`: \
             must be a rate of at most 86400000"
        ),
        "{message}"
    );
    let s = Scenario::from_str(
        "max.toml",
        flagship(),
        &sets(&["faults.server_crash_per_day=86400000"]),
    );
    assert!(s.is_ok(), "the bound itself is accepted");
}

#[test]
fn lists_are_bounded_and_name_each_entry_once() {
    let one = "{array=\"array-a\",at=\"1h\",downtime=\"1h\"}";
    let many = format!("faults.upgrades=[{}]", vec![one; 1001].join(","));
    let message = error(flagship(), &[&many]);
    assert!(
        message.contains("key `faults.upgrades`: may have at most 1000 entries, got 1001"),
        "{message}"
    );
    let message = error(
        flagship(),
        &["faults.storage.targets=[\"handsets\", \"handsets\"]"],
    );
    assert!(
        message.contains("key `faults.storage.targets[1]`: `handsets` is listed twice"),
        "{message}"
    );
    let message = error(
        flagship(),
        &["faults.network.targets=[\"handset-server\", \"handset-server\"]"],
    );
    assert!(
        message.contains("key `faults.network.targets[1]`"),
        "{message}"
    );
    let message = error(
        flagship(),
        &["faults.incidents.aftermath=[\"failover\", \"failover\"]"],
    );
    assert!(
        message.contains("key `faults.incidents.aftermath[1]`"),
        "{message}"
    );
}

#[test]
fn a_scenario_file_longer_than_a_mebibyte_is_not_read_whole() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scenario-errors");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("huge.toml");
    let mut text = flagship().to_string();
    text.push_str(&"# padding\n".repeat(110_000));
    std::fs::write(&path, &text).expect("write");
    let e = Scenario::load(&path.to_string_lossy(), &[]).unwrap_err();
    assert!(matches!(e, ScenarioError::TooLarge { .. }), "{e:?}");
    assert!(
        e.to_string().contains("is longer than the 1048576 bytes"),
        "{e}"
    );
}
