//! Guided swarm through the public API, on the fleet ([`fleet`]):
//! generation 0 draws as plain swarm; generation 1 leans the levers of
//! what generation 0 never reached (here the crash rate, as no crash was
//! ever effective, and buggify) and nothing else; a sweep that reached
//! everything it draws draws as plain swarm; results, failures included,
//! are the same for any number of jobs.

use crate::fleet;

use lastcopy_harness::plan::guided::{stream_generations, Bias};
use lastcopy_harness::plan::swarm::Swarm;
use lastcopy_harness::scenario::Source;
use lastcopy_harness::sweep::{stream_map, StreamEnd, NEVER};
use std::ops::ControlFlow;

/// One seed's result: its seed, whether it kept the promise, what it drew.
type Ran = (u64, bool, Vec<String>);

fn guided(source: &Source, design: &str, seeds: u64, jobs: usize) -> Vec<Ran> {
    let base = fleet::case(source, design, &[]);
    let swarm = Swarm::new(&base, source, false).unwrap();
    let mut out = Vec::new();
    let end = stream_generations::<fleet::Fleet, _>(
        0..seeds,
        jobs,
        &NEVER,
        |bias: &Bias, seed| {
            let case = swarm.leaned(seed, bias).unwrap();
            (case.run_seed(seed), case.scenario.buggify)
        },
        |(run, buggify)| vec![(&run.outcome, *buggify)],
        |seed, (run, _)| {
            out.push((seed, run.outcome.kept_promise(), run.outcome.drawn));
            ControlFlow::Continue(())
        },
    );
    assert_eq!(end, StreamEnd::Complete);
    out
}

fn plain_swarm(source: &Source, design: &str, seeds: u64) -> Vec<Ran> {
    let base = fleet::case(source, design, &[]);
    let swarm = Swarm::new(&base, source, false).unwrap();
    let mut out = Vec::new();
    stream_map(
        0..seeds,
        2,
        &NEVER,
        |&seed| swarm.case(seed).unwrap().run_seed(seed).outcome,
        |seed, o| {
            out.push((seed, o.kept_promise(), o.drawn));
            ControlFlow::Continue(())
        },
    );
    out
}

/// `seeds` of `design` guided on 2 jobs, and under plain swarm.
fn both(source: &Source, design: &str, seeds: u64) -> (Vec<Ran>, Vec<Ran>) {
    (
        guided(source, design, seeds, 2),
        plain_swarm(source, design, seeds),
    )
}

fn failed(runs: &[Ran]) -> Vec<u64> {
    runs.iter().filter(|r| !r.1).map(|r| r.0).collect()
}

/// What each seed drew, in seed order.
fn draws(runs: &[Ran]) -> Vec<&[String]> {
    runs.iter().map(|r| r.2.as_slice()).collect()
}

/// The crash rate a seed drew.
fn crash_rate(drawn: &[String]) -> f64 {
    let rate = drawn
        .iter()
        .find_map(|o| o.strip_prefix("faults.crash_per_node_day="))
        .unwrap();
    rate.parse().unwrap()
}

#[test]
fn generation_one_leans_toward_what_generation_zero_never_made_effective() {
    // No crash of the fleet is ever effective (it keeps no copies the
    // harness sees), and buggify is off: generation 1 switches it on and
    // mirrors every crash factor below 1 into the upper half.
    let source = fleet::source("crash_per_node_day = 0.1", "");
    let (g, p) = both(&source, "careful", 100);
    assert_eq!(draws(&g)[..50], draws(&p)[..50], "generation 0 is plain");
    let mut raised = 0;
    for (g, p) in g[50..].iter().zip(&p[50..]) {
        let (gr, pr) = (crash_rate(&g.2), crash_rate(&p.2));
        assert!((0.1..=0.4).contains(&gr), "seed {}: {gr}", g.0);
        raised += usize::from(pr < 0.1);
        assert_eq!(gr == pr, pr >= 0.1, "seed {}: {gr} vs {pr}", g.0);
        assert_eq!(g.2.last().unwrap(), "buggify=true", "seed {}", g.0);
    }
    assert!(raised > 5, "only {raised} rates were raised");
    assert!(g.iter().chain(&p).all(|r| r.1), "careful broke");
}

#[test]
fn a_sweep_that_reached_everything_it_draws_draws_as_plain_swarm() {
    // No fault to lean, buggify on, and long bursts reached in generation
    // 0: the system's lever (`system.burst`) is left alone.
    let source = fleet::source("", "buggify = true");
    let (g, p) = both(&source, "careful", 100);
    assert_eq!(draws(&g), draws(&p));
}

#[test]
fn guided_sweeps_are_the_same_for_any_jobs() {
    let source = fleet::source("crash_per_node_day = 0.2", "");
    let one = guided(&source, "crash-bug", 120, 1);
    assert_eq!(one, guided(&source, "crash-bug", 120, 3));
    assert!(
        !failed(&one).is_empty(),
        "no seed failed: a weak comparison"
    );
}
