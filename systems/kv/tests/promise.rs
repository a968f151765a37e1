//! The key-value system under the harness: the naive design is caught
//! (lost or rolled back) on some seed of 0..50 in every catalogue
//! scenario; the hardened one keeps the promise on 0..50 (0..50 times
//! `LASTCOPY_SWEEP` when set, e.g. `LASTCOPY_SWEEP=4` for 0..200).

use lastcopy_harness::case::Case;
use lastcopy_harness::scenario::Source;
use lastcopy_harness::sim::outcome::VerdictKind;
use lastcopy_kv::KvStore;

const CATALOGUE: &[(&str, &str)] = &[
    ("kv-power", include_str!("../scenarios/kv-power.toml")),
    ("kv-storm", include_str!("../scenarios/kv-storm.toml")),
];

fn case(name: &str, text: &str, design: &str) -> Case<KvStore> {
    Case::load(&Source::new(format!("{name}.toml"), text), &[], design)
        .expect("catalogue scenario loads")
}

fn sweep() -> u64 {
    std::env::var("LASTCOPY_SWEEP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1)
}

#[test]
fn naive_is_caught_losing_or_rolling_back_on_some_seed() {
    for (name, text) in CATALOGUE {
        let case = case(name, text, "naive");
        let caught = (0..50).find(|&seed| {
            let o = case.run_seed(seed).outcome;
            o.verdict_count(VerdictKind::Lost) + o.verdict_count(VerdictKind::RolledBack) > 0
        });
        assert!(caught.is_some(), "{name}: naive kept the promise on 0..50");
    }
}

#[test]
fn hardened_keeps_the_promise() {
    for (name, text) in CATALOGUE {
        let case = case(name, text, "hardened");
        for seed in 0..50 * sweep() {
            let o = case.run_seed(seed).outcome;
            assert!(o.kept_promise(), "{name} seed {seed}: {:?}", o.verdicts);
        }
    }
}

#[test]
fn a_seed_replays_to_the_same_trace() {
    let (name, text) = CATALOGUE[1];
    let case = case(name, text, "naive");
    let hash = |seed| case.run_seed(seed).outcome.trace_hash;
    assert_eq!(hash(7), hash(7));
}

#[test]
fn an_unknown_system_key_is_refused_with_its_line() {
    let text = CATALOGUE[0].1.replace("keys_per_client", "keys_per_user");
    let err = Case::<KvStore>::load(&Source::new("bad.toml", text), &[], "hardened").unwrap_err();
    assert!(err.to_string().contains("bad.toml:"), "{err}");
    assert!(err.to_string().contains("keys_per_user"), "{err}");
}
