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

#[test]
fn two_users_have_their_own_devices_places_and_photos_on_one_shared_service() {
    let p = PhotoLibrary::try_from(Section {
        users: 2,
        devices: 2,
        ..Section::default()
    })
    .expect("valid");
    let names: Vec<String> = p
        .nodes(&Design::Hardened)
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(
        names,
        [
            "phone",
            "tablet",
            "u1-phone",
            "u1-tablet",
            "meta-primary",
            "meta-sync",
            "meta-async",
            "volume-0",
            "volume-1"
        ]
    );
    let places = p.places();
    for user in 0..2 {
        let mine: Vec<_> = places.iter().filter(|(pl, _)| pl.user == user).collect();
        assert_eq!(mine.len(), 3, "two devices and the service");
        assert_eq!(mine.iter().filter(|(pl, _)| pl.kind.reference).count(), 1);
        for (pl, at) in &mine {
            if !pl.kind.reference {
                assert_eq!(at.0 / 2, user, "{pl} is served by its user's device");
            }
        }
    }
    let days = Duration::from_secs(10 * 86_400);
    let actions = p.workload(&Seeds::new(3), days);
    let users: Vec<u32> = actions.iter().map(|a| a.node.0 / 2).collect();
    assert!(users.contains(&0) && users.contains(&1));
    // User 0's workload is the one a run of one user draws.
    let alone = PhotoLibrary::try_from(Section {
        devices: 2,
        ..Section::default()
    })
    .expect("valid");
    let first: Vec<String> = actions
        .iter()
        .filter(|a| a.node.0 < 2)
        .map(|a| format!("{a:?}"))
        .collect();
    let only: Vec<String> = alone
        .workload(&Seeds::new(3), days)
        .iter()
        .map(|a| format!("{a:?}"))
        .collect();
    assert_eq!(first, only);
}
