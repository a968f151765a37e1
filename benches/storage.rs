//! Storage: how fast the disk model takes writes and syncs, and what one seed
//! of each storage scenario costs on each engine (the log store and redb).
//!
//! - `disk/write+sync`: one 100-byte write then a sync, on a 4 KiB-sector
//!   disk (elements: write+sync pairs).
//! - `seed/SCENARIO/ENGINE`: one seed of the scenario under `hardened`, the
//!   full pipeline `run` uses, a new seed each iteration.
//! - `handsets/sidekick-2009/ENGINE`: seed 0 of sidekick-2009 under
//!   `hardened` with the handsets' store on the log store or on SQLite
//!   (`handset_engine`), the same seed every iteration.
//! - `jobs/sqlite-handsets/ENGINE/JOBS`: seeds 0..4 of sqlite-handsets under
//!   `hardened`, handsets on the log store or on SQLite, on 1 or 2 worker
//!   threads (`run --jobs`): what the process-wide SQLite lock costs a
//!   parallel sweep is the SQLite speedup from 1 to 2 jobs against the log
//!   store's (elements: seeds).

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use lastcopy::runner::{self, Case};
use sim::disk::{Disk, DiskConfig};
use std::hint::black_box;
use std::time::Duration;

fn disk_model(c: &mut Criterion) {
    let mut group = c.benchmark_group("disk");
    const PAIRS: u64 = 10_000;
    group.throughput(Throughput::Elements(PAIRS));
    group.bench_function("write+sync", |b| {
        b.iter(|| {
            let mut disk = Disk::new(DiskConfig {
                sector_size: 4096,
                sectors: 1 << 16,
            });
            for i in 0..PAIRS {
                disk.write(i % (1 << 16), &[i as u8; 100]).expect("writes");
                disk.sync().expect("syncs");
            }
            black_box(disk.stats())
        })
    });
    group.finish();
}

fn case(scenario: &str, engine: &str) -> Case {
    case_with(scenario, vec![format!("engine={engine}")])
}

fn case_with(scenario: &str, overrides: Vec<String>) -> Case {
    runner::case(scenario, Some("hardened"), &overrides).expect("catalogue scenario loads")
}

fn storage_seeds(c: &mut Criterion) {
    let mut group = c.benchmark_group("seed");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    for scenario in ["disk-rot", "torn-writes", "lying-disk"] {
        for engine in ["log", "redb"] {
            let case = case(scenario, engine);
            let mut seed = 0;
            group.bench_function(format!("{scenario}/{engine}"), |b| {
                b.iter(|| {
                    seed += 1;
                    black_box(case.run_seed(seed).outcome.verdicts.len())
                })
            });
        }
    }
    group.finish();
}

fn handset_engines(c: &mut Criterion) {
    let mut group = c.benchmark_group("handsets");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for engine in ["log", "sqlite"] {
        let case = case_with("sidekick-2009", vec![format!("handset_engine={engine}")]);
        group.bench_function(format!("sidekick-2009/{engine}"), |b| {
            b.iter(|| black_box(case.run_seed(0).outcome.verdicts.len()))
        });
    }
    group.finish();
}

/// Seeds of `sqlite-handsets` per sweep in the `jobs` group.
const JOB_SEEDS: u64 = 4;

fn jobs(c: &mut Criterion) {
    let mut group = c.benchmark_group("jobs");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(JOB_SEEDS));
    for engine in ["log", "sqlite"] {
        let case = case_with("sqlite-handsets", vec![format!("handset_engine={engine}")]);
        for jobs in [1usize, 2] {
            group.bench_function(format!("sqlite-handsets/{engine}/{jobs}"), |b| {
                b.iter(|| black_box(case.sweep(0..JOB_SEEDS, jobs).len()))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, disk_model, storage_seeds, handset_engines, jobs);
criterion_main!(benches);
