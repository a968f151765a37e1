//! Throughput of the harness: seeds per second as the system grows and as
//! runs get longer, messages delivered per wall second side by side with a
//! hand-written event loop driving the same models, and 1 vs 2 jobs.
//!
//! Every group takes few samples so that `cargo bench` finishes in a few
//! minutes on two cores. Run one group with `cargo bench --bench throughput
//! -- handsets`. Seeds/s is criterion's `elem/s` where a group counts seeds;
//! messages/s is `elem/s` in the `messages` group.
//!
//! - `handsets/N`: one seed of sidekick-2009 (fragile-2009, all faults) at N
//!   handsets, the full pipeline `run` uses (plan, world, checker), a new
//!   seed each iteration. 1000 handsets run one simulated day instead of
//!   three (the upgrade moved to 13h) to keep the bench short.
//! - `run_length/3d` and `/6d`: 50 handsets, the run doubled.
//! - `messages/harness` and `/baseline`: seed 1 at 50 handsets, fragile-2009,
//!   no faults, the same drawn workload: the engine (madsim) against
//!   `lastcopy::baseline`, a BinaryHeap loop; elements are messages delivered.
//! - `jobs/1` and `/2`: a sweep of 8 seeds at 50 handsets.

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use lastcopy::runner::{self, Case};
use lastcopy::{baseline, world};
use sim::plan::Plan;
use std::hint::black_box;
use std::time::Duration;

fn case(overrides: &[&str], design: Option<&str>) -> Case {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    runner::case("sidekick-2009", design, &overrides).expect("catalogue scenario loads")
}

/// Runs one seed of `case` as `run` does: on a fresh thread of its own.
fn one_seed(case: &Case, seed: u64) -> bool {
    case.sweep(seed..seed + 1, 1)[0].kept_promise()
}

fn handsets(c: &mut Criterion) {
    let mut g = c.benchmark_group("handsets");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(1));
    for n in [10u32, 50, 200, 1000] {
        let h = format!("topology.handsets={n}");
        let mut overrides = vec![h.as_str()];
        if n >= 1000 {
            overrides.extend([
                "run.duration=1d",
                "faults.upgrades=[{array=\"array-a\",at=\"13h\",downtime=\"6h\"}]",
            ]);
        }
        let case = case(&overrides, None);
        let mut seed = 0u64;
        g.bench_with_input(BenchmarkId::from_parameter(n), &case, |b, case| {
            b.iter(|| {
                seed += 1;
                black_box(one_seed(case, seed))
            })
        });
    }
    g.finish();
}

fn run_length(c: &mut Criterion) {
    let mut g = c.benchmark_group("run_length");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(1));
    for d in ["3d", "6d"] {
        let dur = format!("run.duration={d}");
        let case = case(&[&dur], None);
        let mut seed = 0u64;
        g.bench_with_input(BenchmarkId::from_parameter(d), &case, |b, case| {
            b.iter(|| {
                seed += 1;
                black_box(one_seed(case, seed))
            })
        });
    }
    g.finish();
}

fn messages(c: &mut Criterion) {
    const SEED: u64 = 1;
    let case = case(&[], None);
    let workload = world::draw_workload(&case.scenario, SEED);
    let no_faults = Plan::new(vec![]);
    let harness = || {
        std::thread::scope(|s| {
            s.spawn(|| {
                let (scenario, design) = (&case.scenario, &case.design);
                world::run(scenario, design, &no_faults, &workload, SEED, false)
            })
            .join()
            .expect("world runs")
        })
    };
    let base = || baseline::run(&case.scenario, &case.design, &workload, SEED);
    let (h, b) = (harness(), base());
    println!(
        "messages: harness {} messages ({} trace events), baseline {} messages ({} trace events)",
        h.messages,
        h.trace.events().len(),
        b.messages,
        b.trace.events().len()
    );
    let mut g = c.benchmark_group("messages");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(h.messages));
    g.bench_function("harness", |bn| bn.iter(|| black_box(harness().messages)));
    g.throughput(Throughput::Elements(b.messages));
    g.bench_function("baseline", |bn| bn.iter(|| black_box(base().messages)));
    g.finish();
}

fn jobs(c: &mut Criterion) {
    const SEEDS: u64 = 8;
    let case = case(&[], None);
    let mut g = c.benchmark_group("jobs");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(SEEDS));
    for jobs in [1usize, 2] {
        g.bench_with_input(BenchmarkId::from_parameter(jobs), &jobs, |b, &jobs| {
            b.iter(|| black_box(case.sweep(0..SEEDS, jobs).len()))
        });
    }
    g.finish();
}

criterion_group!(benches, handsets, run_length, messages, jobs);
criterion_main!(benches);
