//! `run --swarm` on the key-value system: a seed's draw is a function of
//! the seed and the scenario; it moves only the rates the scenario sets
//! and the system's swarm keys; a failing swarm seed's printed replay,
//! which sets exactly what it drew and has no swarm flag, reproduces it.

use lastcopy_harness::case::Case;
use lastcopy_harness::plan::swarm::{draw, Swarm};
use lastcopy_harness::scenario::Source;
use lastcopy_kv::KvStore;
use std::process::Command;

const POWER: &str = include_str!("../../scenarios/kv-power.toml");
const STORM: &str = include_str!("../../scenarios/kv-storm.toml");

#[test]
fn same_seed_same_draw_of_only_what_the_scenario_sets() {
    let case = Case::<KvStore>::load(&Source::new("kv-power.toml", POWER), &[], "naive").unwrap();
    let a = draw(&case.scenario, 7);
    assert_eq!(a, draw(&case.scenario, 7));
    assert_ne!(a, draw(&case.scenario, 8));
    let keys: Vec<&str> = a.iter().map(|o| o.split('=').next().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "faults.power_loss_per_node_day",
            "system.writes_per_client_day",
            "system.keys_per_client",
            "system.sync_interval_s"
        ]
    );
    // Only power loss is on, so it is never switched off.
    assert!((0..20).all(|s| !draw(&case.scenario, s)[0].ends_with("=0.0")));
}

#[test]
fn a_swarm_seed_runs_as_the_scenario_with_what_it_drew() {
    let base = Case::<KvStore>::load(&Source::new("kv-storm.toml", STORM), &[], "naive").unwrap();
    let source = Source::new("kv-storm.toml", STORM);
    let swarm = Swarm::new(&base, &source, false).unwrap();
    let case = swarm.case(3).unwrap();
    let plain =
        Case::<KvStore>::load(&Source::new("kv-storm.toml", STORM), &case.drawn, "naive").unwrap();
    let (a, b) = (case.run_seed(3).outcome, plain.run_seed(3).outcome);
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.drawn, case.drawn);
    assert_ne!(a.trace_hash, base.run_seed(3).outcome.trace_hash);
}

fn kv(args: &[String]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lastcopy-kv"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_failing_swarm_seed_replays_as_printed_without_the_swarm_flag() {
    let sweep = "run kv-storm --design naive --swarm --seeds 0..20 --fail-fast";
    let (code, text) = kv(&sweep.split(' ').map(String::from).collect::<Vec<_>>());
    assert_eq!(code, 1, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let (head, replay) = lines[0].split_once("; replay: ").expect(&text);
    let (seed_line, drew) = head.split_once("; drew ").expect(&text);
    let words = shlex::split(replay).unwrap();
    let run = words.iter().position(|w| w == "--").unwrap() + 1;
    assert!(!words.contains(&"--swarm".to_string()), "{replay}");
    for d in drew.split(' ') {
        assert!(replay.contains(&format!("--set {d}")), "{d} in {replay}");
    }
    let (code, again) = kv(&words[run..]);
    assert_eq!(code, 1, "{again}");
    assert!(again.starts_with(seed_line), "{seed_line:?} vs {again}");
}
