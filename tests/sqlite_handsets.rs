//! Handsets on SQLite stay deterministic: the same seed gives the same
//! trace and leaves the same bytes on every disk, whatever ran before it in
//! the process or beside it on another thread (SQLite's process-wide state
//! is reseeded per call).

use lastcopy::runner::{parallel_map, Case};
use std::collections::BTreeMap;

mod common;

/// What a seed must reproduce: its trace hash and each disk's final bytes.
type Fingerprint = (String, BTreeMap<String, u64>);

fn fingerprint(case: &Case, seed: u64) -> Fingerprint {
    let run = case.run_seed(seed);
    (run.outcome.trace_hash, run.output.disks)
}

#[test]
fn same_seed_same_trace_and_disk_bytes_on_sqlite_whatever_ran_before_or_beside() {
    let case = common::case("sqlite-handsets", "hardened", &["topology.handsets=3"]);
    // Alone: the first SQLite run of this process.
    let a1 = fingerprint(&case, 1);
    let b1 = fingerprint(&case, 2);
    assert!(
        a1.1.keys().any(|d| d.starts_with("handset-")) && a1.1.len() >= 5,
        "every disk is hashed: {:?}",
        a1.1
    );
    assert_ne!(a1, b1, "the seed matters");
    assert_ne!(
        a1.1.get("handset-0/flash"),
        b1.1.get("handset-0/flash"),
        "the seed reaches a handset's database bytes"
    );
    // After other seeds.
    assert_eq!(fingerprint(&case, 1), a1, "seed 1 after seed 2");
    // Under --jobs 2: both seeds at once, on two worker threads.
    let both = parallel_map(&[1, 2], 2, |&seed| fingerprint(&case, seed));
    assert_eq!(both, vec![a1, b1], "on two threads at once");
    // Every handset's database was closed or dropped when its seed ended.
    assert_eq!(sim::sqlite::open_databases(), 0, "databases left open");
}
