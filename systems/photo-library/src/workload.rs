//! What the users do, each drawn from their own keyed stream of the seed:
//! photos added, edited, sent to the trash and some restored from it,
//! each on one of the user's devices.
//!
//! Every action of a user that makes a version gets the next sequence
//! number in time order (multiples of 4, so a purge can take the number
//! right after the trashing it purges): versions of a user's photos never
//! collide, and a later action always makes a higher version. A user's
//! photos are theirs alone (`u1/photo-3`), so users' numbers may repeat.

use crate::action::Action;
use crate::blob;
use crate::PhotoLibrary;
use lastcopy_harness::sim::rng::{Rng, Seeds};
use lastcopy_harness::system::UserAction;
use rand::RngExt;
use std::time::Duration;

const DAY_S: f64 = 86_400.0;

/// What kind of action, before it gets its sequence number.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Add(u32, u64, u32),
    Edit(u32, u8, u32, bool),
    Trash(u32),
    Restore(u32),
}

/// Times of a Poisson process of `per_day` over `end_s` seconds.
fn arrivals(rng: &mut Rng, per_day: f64, end_s: f64) -> Vec<f64> {
    let mut out = Vec::new();
    if per_day <= 0.0 {
        return out;
    }
    let mut t = 0.0;
    loop {
        let u: f64 = rng.random_range(f64::EPSILON..1.0);
        t += -u.ln() * DAY_S / per_day;
        if t >= end_s {
            return out;
        }
        out.push(t);
    }
}

/// Every user's actions over `duration`, from `seeds`, user by user.
pub fn draw(system: &PhotoLibrary, seeds: &Seeds, duration: Duration) -> Vec<UserAction<Action>> {
    (0..system.users)
        .flat_map(|user| draw_user(system, user, seeds, duration))
        .collect()
}

/// User `user`'s actions over `duration`, from their own stream of `seeds`.
fn draw_user(
    system: &PhotoLibrary,
    user: u32,
    seeds: &Seeds,
    duration: Duration,
) -> Vec<UserAction<Action>> {
    let end = duration.as_secs_f64();
    let topology = system.topology();
    let mut rng = seeds.keyed("photo-workload", user);
    let devices = system.devices.max(1);
    let mut acts: Vec<(f64, u32, Kind)> = Vec::new();
    let adds = arrivals(&mut rng, system.adds_per_day, end);
    for (n, &t) in adds.iter().enumerate() {
        let len = rng.random_range(blob::MIN_LEN..=blob::MAX_LEN);
        let kind = Kind::Add(n as u32, rng.random(), len);
        acts.push((t, rng.random_range(0..devices), kind));
    }
    // A photo is acted on once it has had an hour to reach other devices.
    let known = |t: f64| adds.partition_point(|&a| a + 3600.0 < t) as u32;
    for t in arrivals(&mut rng, system.edits_per_day, end) {
        if known(t) > 0 {
            let photo = rng.random_range(0..known(t));
            let kind = Kind::Edit(photo, rng.random_range(1..8), rng.random(), rng.random());
            acts.push((t, rng.random_range(0..devices), kind));
        }
    }
    for t in arrivals(&mut rng, system.trashes_per_day, end) {
        if known(t) == 0 {
            continue;
        }
        let photo = rng.random_range(0..known(t));
        acts.push((t, rng.random_range(0..devices), Kind::Trash(photo)));
        if rng.random_bool(system.restore_fraction.clamp(0.0, 1.0)) {
            let later = t + rng.random_range(1.0..25.0) * DAY_S;
            if later < end {
                acts.push((later, rng.random_range(0..devices), Kind::Restore(photo)));
            }
        }
    }
    acts.sort_by(|a, b| a.0.total_cmp(&b.0));
    acts.into_iter()
        .enumerate()
        .map(|(i, (t, device, kind))| {
            let seq = 4 * (i as u32 + 1);
            let input = match kind {
                Kind::Add(photo, blob_seed, blob_len) => Action::Add {
                    photo,
                    seq,
                    blob_seed,
                    blob_len,
                },
                Kind::Edit(photo, album, caption, favourite) => Action::Edit {
                    photo,
                    seq,
                    album,
                    caption,
                    favourite,
                },
                Kind::Trash(photo) => Action::Trash { photo, seq },
                Kind::Restore(photo) => Action::Restore { photo, seq },
            };
            UserAction {
                at: Duration::from_secs_f64(t),
                node: topology.device(user, device),
                input,
            }
        })
        .collect()
}
