//! The key-value system's side of the trait: its workload and its places.

use lastcopy_harness::sim::rng::Seeds;
use lastcopy_harness::system::System;
use lastcopy_kv::{KvStore, CLIENT_PLACE, SERVER_PLACE};
use std::time::Duration;

#[test]
fn the_workload_comes_from_the_seed_alone_and_stays_in_bounds() {
    let kv = KvStore::default();
    let day = Duration::from_secs(86_400);
    let draw = |seed| format!("{:?}", kv.workload(&Seeds::new(seed), day));
    assert_eq!(draw(3), draw(3));
    assert_ne!(draw(3), draw(4));
    let actions = kv.workload(&Seeds::new(3), day);
    assert!(
        (60..=180).contains(&actions.len()),
        "about 3 x 40: {}",
        actions.len()
    );
    assert!(actions
        .iter()
        .all(|a| a.at < day && a.input.key < kv.keys_per_client && a.node.0 < kv.clients));
}

#[test]
fn each_user_reads_its_client_and_the_server_which_is_the_reference() {
    let kv = KvStore::default();
    let places = kv.places();
    assert_eq!(places.len(), 2 * kv.clients as usize);
    for (place, addr) in places {
        match place.kind {
            k if k == CLIENT_PLACE => assert_eq!(addr.0, place.user),
            k if k == SERVER_PLACE => assert_eq!(addr.0, kv.clients),
            k => panic!("unexpected kind {k:?}"),
        }
    }
    let nodes = kv.nodes(&lastcopy_kv::Design::Hardened);
    let names: Vec<_> = nodes
        .iter()
        .map(|n| (n.name.as_str(), n.domain.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("client-0", "client-0"),
            ("client-1", "client-1"),
            ("client-2", "client-2"),
            ("server", "rack-a")
        ]
    );
}
