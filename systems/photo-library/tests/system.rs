//! The photo library's side of the trait: its workload, its places, its
//! nodes and its own fault table.

use lastcopy_harness::sim::rng::Seeds;
use lastcopy_harness::system::System;
use lastcopy_photo::action::Action;
use lastcopy_photo::{Design, PhotoLibrary, Section, SERVICE_PLACE};
use std::time::Duration;

fn system() -> PhotoLibrary {
    PhotoLibrary::try_from(Section::default()).expect("defaults are valid")
}

#[test]
fn the_workload_comes_from_the_seed_alone_and_versions_never_collide() {
    let p = system();
    let days = Duration::from_secs(10 * 86_400);
    let draw = |seed| format!("{:?}", p.workload(&Seeds::new(seed), days));
    assert_eq!(draw(3), draw(3));
    assert_ne!(draw(3), draw(4));
    let actions = p.workload(&Seeds::new(3), days);
    let mut seqs = Vec::new();
    for a in &actions {
        assert!(a.at < days && a.node.0 < p.devices);
        match a.input {
            Action::Add { seq, blob_len, .. } => {
                assert!((4096..=65536).contains(&blob_len));
                seqs.push(seq);
            }
            Action::Edit { seq, .. } | Action::Trash { seq, .. } | Action::Restore { seq, .. } => {
                seqs.push(seq)
            }
            other => panic!("the user does not {other:?}"),
        }
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1] && w[0] % 4 == 0));
    assert!((100..=200).contains(&actions.len()), "{}", actions.len());
}

#[test]
fn each_device_is_a_place_and_the_service_is_the_reference() {
    let p = system();
    let places = p.places();
    assert_eq!(places.len(), p.devices as usize + 1);
    let service: Vec<_> = places.iter().filter(|(pl, _)| pl.kind.reference).collect();
    assert_eq!(service.len(), 1);
    assert_eq!(service[0].0.kind, SERVICE_PLACE);
    let nodes = p.nodes(&Design::Hardened);
    let names: Vec<_> = nodes
        .iter()
        .map(|n| (n.name.as_str(), n.domain.as_str(), n.disks[0].0.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("phone", "phone", "phone"),
            ("tablet", "tablet", "tablet"),
            ("laptop", "laptop", "laptop"),
            ("meta-primary", "zone-a", "meta-primary"),
            ("meta-sync", "zone-b", "meta-sync"),
            ("meta-async", "zone-c", "meta-async"),
            ("volume-0", "zone-a", "volume-0"),
            ("volume-1", "zone-b", "volume-1"),
        ]
    );
}

#[test]
fn every_own_fault_strikes_a_node_of_a_four_device_run() {
    let p = PhotoLibrary::try_from(Section {
        devices: 4,
        ..Section::default()
    })
    .expect("valid");
    let names: Vec<String> = p
        .nodes(&Design::Naive)
        .into_iter()
        .map(|n| n.name)
        .collect();
    for row in PhotoLibrary::own_faults() {
        assert!(names.iter().any(|n| n == row.node), "{}", row.name);
        let (to, _) = p.own_fault(row.name, 7).expect("strikes");
        assert_eq!(names[to.0 as usize], row.node, "{}", row.name);
    }
    assert!(p.own_fault("meteor", 7).is_none());
}
