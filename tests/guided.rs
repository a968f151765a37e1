//! `run --swarm --guided`: generations of 50 seeds, each leaning toward
//! what the generations before it never reached; the output is the same
//! for any `--jobs`; refused with `--shard`.

mod common;

use lastcopy::guided::{self, Bias};
use lastcopy::swarm;
use std::process::{Command, Output};

fn lastcopy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lastcopy"))
        .args(args)
        .output()
        .expect("the binary runs")
}

const SWEEP: [&str; 10] = [
    "run",
    "edit-races",
    "--design",
    "hardened",
    "--set",
    "topology.handsets=2",
    "--swarm",
    "--guided",
    "--coverage",
    "--seeds=0..60",
];

#[test]
fn a_guided_sweep_prints_the_same_for_any_jobs() {
    let one = lastcopy(&[&SWEEP[..], &["--jobs", "1"]].concat());
    let two = lastcopy(&[&SWEEP[..], &["--jobs", "2"]].concat());
    let text = String::from_utf8_lossy(&one.stdout).to_string();
    assert_eq!(one.status.code(), Some(0), "{text}");
    assert!(text.contains("seeds: 60"), "{text}");
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn a_guided_sweep_is_refused_with_a_shard() {
    let out = lastcopy(&[&SWEEP[..], &["--shard", "0/2"]].concat());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--guided cannot run with --shard"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn generation_one_leans_toward_what_generation_zero_missed() {
    let case = common::case("edit-races", "hardened", &["topology.handsets=2"]);
    let gen0: Vec<u64> = (0..guided::GENERATION as u64).collect();
    let outcomes = swarm::sweep(&case, gen0, common::jobs(), false).unwrap();
    let mut reached = guided::nothing_reached();
    outcomes.iter().for_each(|o| reached.add(o, false));
    // edit-races reaches its own situation, never a restore (it has none).
    assert!(!guided::unreached(&reached).contains(&lastcopy::situations::Situation::EditDuringPush));
    assert!(!guided::unreached(&reached).is_empty());
    let bias = Bias::toward(&reached);
    assert!(!bias.is_none());
    let gen1 = guided::GENERATION as u64..2 * guided::GENERATION as u64;
    let changed = gen1
        .filter(|&seed| {
            let plain = swarm::draw(&case.scenario, seed, false);
            let (leaned, _) = guided::seed_case(&case, seed, false, &bias).unwrap();
            leaned != plain
        })
        .count();
    assert!(
        changed > 10,
        "the bias changes generation 1's draws: {changed}"
    );
    // Generation 0 draws as plain swarm does.
    let (first, _) =
        guided::seed_case(&case, 0, false, &Bias::toward(&guided::nothing_reached())).unwrap();
    assert_eq!(first, swarm::draw(&case.scenario, 0, false));
}
