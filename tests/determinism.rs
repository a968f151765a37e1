//! Determinism: the same seed, scenario and binary give the same trace,
//! byte for byte, whatever else ran before it on the thread or in the process.

mod common;

use std::process::Command;

fn small() -> lastcopy::runner::Case {
    common::case(
        "sidekick-2009",
        "fragile-2009",
        &[
            "topology.handsets=6",
            "run.duration=\"1d\"",
            "faults.upgrades=[{ array = \"array-a\", at = \"12h\", downtime = \"2h\" }]",
        ],
    )
}

#[test]
fn same_seed_same_trace_in_either_order_and_different_seeds_differ() {
    let case = small();
    let a1 = case.run_seed(1).outcome.trace_hash;
    let b1 = case.run_seed(2).outcome.trace_hash;
    let b2 = case.run_seed(2).outcome.trace_hash;
    let a2 = case.run_seed(1).outcome.trace_hash;
    assert_eq!(a1, a2, "seed 1 replays to the same trace");
    assert_eq!(b1, b2, "seed 2 replays to the same trace");
    assert_ne!(a1, b1, "different seeds give different traces");
    assert_eq!(a1.len(), 16);
}

#[test]
fn same_seed_same_trace_in_two_processes() {
    let bin = env!("CARGO_BIN_EXE_lastcopy");
    let args = [
        "replay",
        "sidekick-2009",
        "--seed",
        "3",
        "--design",
        "hardened",
        "--set",
        "topology.handsets=4",
        "--set",
        "run.duration=\"12h\"",
        "--set",
        "faults.upgrades=[{ array = \"array-a\", at = \"6h\", downtime = \"1h\" }]",
    ];
    let hash = || {
        let out = Command::new(bin).args(args).output().expect("binary runs");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let err = String::from_utf8_lossy(&out.stderr);
        let last = text
            .lines()
            .last()
            .unwrap_or_else(|| panic!("no output; stderr: {err}"))
            .to_string();
        assert!(
            last.starts_with("trace-hash: "),
            "last line is the hash: {last}"
        );
        last
    };
    assert_eq!(hash(), hash());
}

#[test]
fn removing_a_fault_or_handset_leaves_the_rest_of_the_plan_and_workload_alone() {
    use models::workload::schedule;
    use sim::rng::Seeds;
    let case = small();
    let plan = lastcopy::planner::plan(&case.scenario, 9);
    assert!(
        plan.faults.len() >= 2,
        "the small case has faults to remove"
    );
    let dropped = plan.faults[0].id;
    let without = plan.without(dropped);
    assert_eq!(without.faults, plan.faults[1..].to_vec());

    // Fewer handsets: every remaining handset's faults and workload are unchanged.
    let fewer = common::case(
        "sidekick-2009",
        "fragile-2009",
        &[
            "topology.handsets=5",
            "run.duration=\"1d\"",
            "faults.upgrades=[{ array = \"array-a\", at = \"12h\", downtime = \"2h\" }]",
        ],
    );
    let p5 = lastcopy::planner::plan(&fewer.scenario, 9);
    let per_target = |p: &sim::plan::Plan<models::fault::Fault>, t: &str| -> Vec<(u64, String)> {
        p.faults
            .iter()
            .filter(|f| f.target == t)
            .map(|f| (f.at.as_millis(), format!("{:?}", f.kind)))
            .collect()
    };
    for h in 0..5 {
        let t = format!("handset-{h}");
        assert_eq!(per_target(&plan, &t), per_target(&p5, &t), "{t}'s faults");
    }
    let cfg = case.scenario.workload.config();
    let seeds = Seeds::new(9);
    for h in 0..5 {
        assert_eq!(
            schedule(&seeds, h, &cfg, case.scenario.run.duration),
            schedule(&seeds, h, &cfg, fewer.scenario.run.duration),
        );
    }
}
