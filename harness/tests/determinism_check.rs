//! `--check-determinism` finds nondeterminism in code that is not ours: a
//! machine that iterates a std `HashMap` into its messages gives the same
//! seed different traces, once its thread has run another seed; a machine
//! that iterates a `BTreeMap` does not.

use lastcopy_harness::sim::host::{Addr, Boot, Clock, Cluster, Io, Machine};
use lastcopy_harness::sim::lineage::Lineage;
use lastcopy_harness::sim::trace::{Trace, Tracer};
use lastcopy_harness::sweep::determinism::check_pair;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

lastcopy_harness::sim::event_kinds! {
    /// What the gossip machine traces.
    enum GossipEvent in "gossip" {
        /// A key arrived. Fields: `key`.
        Key = "gossip.key",
    }
}

/// On boot, sends its peer the keys of a map of 32 entries, in the map's
/// iteration order; traces every key it receives.
struct Gossip {
    peer: Addr,
    hashed: bool,
}

impl Machine for Gossip {
    type Msg = u32;
    type Input = ();

    fn boot(&mut self, _boot: Boot, io: &mut Io<'_, u32>) {
        let keys: Vec<u32> = if self.hashed {
            (0..32u32)
                .map(|k| (k, ()))
                .collect::<HashMap<_, _>>()
                .into_keys()
                .collect()
        } else {
            (0..32u32)
                .map(|k| (k, ()))
                .collect::<BTreeMap<_, _>>()
                .into_keys()
                .collect()
        };
        for k in keys {
            io.send(self.peer, k);
        }
    }

    fn on_message(&mut self, _from: Addr, key: u32, io: &mut Io<'_, u32>) {
        io.trace(
            GossipEvent::Key,
            lastcopy_harness::sim::fields!["key" => key],
        );
    }

    fn on_timer(&mut self, _key: u64, _io: &mut Io<'_, u32>) {}

    fn on_input(&mut self, _input: (), _io: &mut Io<'_, u32>) {}
}

/// One seed of a two-node gossip, on the calling thread.
fn run(seed: u64, hashed: bool) -> ((), Trace) {
    let rt = madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default());
    let trace = rt.block_on(async move {
        let tracer = Tracer::new();
        let cluster: Cluster<Gossip> =
            Cluster::new(Clock::start(), tracer.clone(), Lineage::new(tracer.clone()));
        let (a, b) = (Addr(0), Addr(1));
        assert_eq!(
            cluster.add("a", vec![], move || Gossip { peer: b, hashed }),
            a
        );
        assert_eq!(
            cluster.add("b", vec![], move || Gossip { peer: a, hashed }),
            b
        );
        madsim::time::sleep(Duration::from_secs(1)).await;
        tracer.snapshot()
    });
    ((), trace)
}

#[test]
fn a_machine_that_iterates_a_hash_map_into_messages_is_caught_five_times_of_five() {
    for seed in 0..5 {
        let checked = check_pair(&|s| run(s, true), 2 * seed, 2 * seed + 1, true);
        for c in &checked {
            let d = c
                .difference
                .as_ref()
                .unwrap_or_else(|| panic!("seed {} not caught", c.seed));
            let (first, second) = (d.first.as_deref(), d.second.as_deref());
            assert!(first.is_some_and(|e| e.contains("gossip.key")), "{d}");
            assert!(second.is_some_and(|e| e.contains("gossip.key")), "{d}");
            assert_ne!(first, second);
        }
    }
}

#[test]
fn a_machine_that_iterates_a_btree_map_is_deterministic() {
    let checked = check_pair(&|s| run(s, false), 0, 1, true);
    assert!(checked.iter().all(|c| c.difference.is_none()));
}
