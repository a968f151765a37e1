//! Handsets on SQLite stay deterministic: the same seed gives the same
//! trace whatever ran before it in the process or beside it on another
//! thread (SQLite's process-wide state is reseeded per call).

mod common;

#[test]
fn same_seed_same_trace_on_sqlite_whatever_ran_before_or_beside() {
    let case = common::case("sqlite-handsets", "hardened", &["topology.handsets=3"]);
    let a1 = case.run_seed(1).outcome.trace_hash;
    let b1 = case.run_seed(2).outcome.trace_hash;
    let c = &case;
    let (a2, b2) = std::thread::scope(|s| {
        let a = s.spawn(move || c.run_seed(1).outcome.trace_hash);
        let b = s.spawn(move || c.run_seed(2).outcome.trace_hash);
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!((&a1, &b1), (&a2, &b2));
    assert_ne!(a1, b1);
}
