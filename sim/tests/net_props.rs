//! Properties of the network fault layer: without corruption it never
//! invents a frame, without loss or a partition it never loses one, and the
//! same seed always gives the same fates.

use lastcopy_sim::host::{seal, unseal, Addr};
use lastcopy_sim::net::{Impairment, Links, NetFaults};
use proptest::prelude::*;
use std::time::Duration;

fn share() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), 0.0..=1.0f64, Just(1.0)]
}

fn impairment(lossy: bool, corrupting: bool) -> impl Strategy<Value = Impairment> {
    (share(), share(), share(), share(), share(), 1u64..600_000).prop_map(
        move |(loss, duplicate, reorder, delay, corrupt, ms)| Impairment {
            cut: false,
            loss: if lossy { loss } else { 0.0 },
            duplicate,
            reorder,
            hold_for: Duration::from_millis(ms),
            delay,
            delay_for: Duration::from_millis(ms * 10),
            corrupt: if corrupting { corrupt } else { 0.0 },
        },
    )
}

/// Frames sent from node 0 to node 1 (the link the rules cover) or node 2.
fn frames() -> impl Strategy<Value = Vec<(u32, Vec<u8>)>> {
    prop::collection::vec((1u32..=2, prop::collection::vec(any::<u8>(), 0..24)), 0..40)
}

proptest! {
    #[test]
    fn without_corruption_every_delivered_frame_was_sent(
        rules in prop::collection::vec(impairment(true, false), 1..4),
        seed in any::<u64>(),
        sent in frames(),
    ) {
        let mut net = NetFaults::new();
        for (i, imp) in rules.into_iter().enumerate() {
            let links = Links::between(vec![Addr(0)], vec![Addr(1)]);
            net.add(i as u32 + 1, links, imp, seed ^ i as u64);
        }
        for (to, frame) in &sent {
            let route = net.route(Addr(0), Addr(*to), frame.clone());
            for (_, delivered) in &route.deliveries {
                prop_assert_eq!(delivered, frame);
            }
        }
    }

    #[test]
    fn without_loss_or_partition_every_frame_arrives_at_least_once(
        rules in prop::collection::vec(impairment(false, true), 1..4),
        seed in any::<u64>(),
        sent in frames(),
    ) {
        let mut net = NetFaults::new();
        for (i, imp) in rules.into_iter().enumerate() {
            let links = Links::between(vec![Addr(0)], vec![Addr(1)]);
            net.add(i as u32 + 1, links, imp, seed ^ i as u64);
        }
        for (to, frame) in &sent {
            let route = net.route(Addr(0), Addr(*to), frame.clone());
            prop_assert!(!route.deliveries.is_empty());
            if *to == 2 {
                // Off the rules' links: untouched, at once.
                prop_assert_eq!(&route.deliveries, &vec![(Duration::ZERO, frame.clone())]);
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_fates(
        imp in impairment(true, true),
        seed in any::<u64>(),
        sent in frames(),
    ) {
        let fates = || {
            let mut net = NetFaults::new();
            net.add(1, Links::between(vec![Addr(0)], vec![Addr(1)]), imp.clone(), seed);
            sent.iter()
                .map(|(to, f)| net.route(Addr(0), Addr(*to), f.clone()))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(fates(), fates());
    }

    #[test]
    fn a_sealed_frame_garbled_in_transit_is_rejected(
        payload in prop::collection::vec(any::<u8>(), 0..64),
        seed in any::<u64>(),
    ) {
        let mut net = NetFaults::new();
        let imp = Impairment { corrupt: 1.0, ..Impairment::default() };
        net.add(1, Links::between(vec![Addr(0)], vec![Addr(1)]), imp, seed);
        let sealed = seal(payload.clone());
        prop_assert_eq!(unseal(&sealed), Some(payload.as_slice()));
        for (_, garbled) in net.route(Addr(0), Addr(1), sealed.clone()).deliveries {
            prop_assert_ne!(&garbled, &sealed);
            prop_assert_eq!(unseal(&garbled), None);
        }
    }
}
