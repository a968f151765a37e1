//! How long shrinking takes on the catalogue's failing cases.
//!
//! For every catalogue scenario and every design its `[expect]` table says
//! breaks the promise, the first two seeds that do fail (of the scenario's
//! `test.seeds`) are shrunk end to end, as `lastcopy shrink` does: the
//! original run, the lineage cut, ddmin over the faults, the topology and
//! workload cuts and the 1-minimal check. Each benchmark is one whole
//! shrink (`shrink/SCENARIO/DESIGN/seed-N`); the aim is under 30 s
//! each on two cores. Before timing, each case prints its size before and
//! after to stderr.
//!
//! Run with `cargo bench --bench shrink`.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use lastcopy::runner::{self, Case};
use lastcopy::scenario::{Expectation, Scenario, CATALOGUE};
use lastcopy::shrink::{self, Options};
use std::hint::black_box;
use std::time::Duration;

/// The failing cases: (label, case, seed).
fn failing_cases() -> Vec<(String, Case, u64)> {
    let mut out = Vec::new();
    for (name, _) in CATALOGUE {
        let scenario = Scenario::load(name, &[]).expect("catalogue scenarios load");
        for (design, expect) in &scenario.expect {
            if !matches!(expect, Expectation::Breaks { .. }) {
                continue;
            }
            let case = runner::case(name, Some(design), &[]).expect("catalogue scenarios load");
            let seeds = u64::from(scenario.test.seeds);
            let failing = case
                .sweep(0..seeds, 2)
                .into_iter()
                .filter(|o| !o.kept_promise())
                .map(|o| o.seed)
                .take(2);
            for seed in failing {
                out.push((format!("{name}/{design}/seed-{seed}"), case.clone(), seed));
            }
        }
    }
    out
}

fn shrink_catalogue(c: &mut Criterion) {
    let mut g = c.benchmark_group("shrink");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (label, case, seed) in failing_cases() {
        let s = shrink::shrink(&case, seed, &Options::default(), &mut |_| {})
            .expect("a failing seed shrinks");
        eprintln!(
            "{label}: `{}` -> `{}`: {} -> {} faults, {} -> {} handsets, {} -> {} edits, {} runs",
            s.original_target,
            s.target,
            s.original.plan.faults.len(),
            s.shrunk.plan.faults.len(),
            s.original.handsets,
            s.shrunk.handsets,
            s.original.edits(),
            s.shrunk.edits(),
            s.runs
        );
        g.bench_function(label, |b| {
            b.iter(|| {
                let s = shrink::shrink(&case, seed, &Options::default(), &mut |_| {});
                black_box(s.map(|s| s.runs))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, shrink_catalogue);
criterion_main!(benches);
