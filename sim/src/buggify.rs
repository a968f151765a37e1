//! Rare paths on purpose: a seeded "sometimes" for machine code, with
//! FoundationDB's `BUGGIFY` semantics.
//!
//! A *site* is a named place in a machine's code where it may take a rare
//! but legal path (delay or split a reply, retry early, fire a timer at the
//! edge of its window, reorder independent steps). Per run:
//!
//! - [`Buggify::disabled`] (the default): every site answers `false` and
//!   draws nothing, so runs without buggify keep their traces bit for bit.
//! - [`Buggify::enabled`]: the first time a site is reached it is
//!   *activated* for the whole run with probability 1/4, from a stream keyed
//!   by the site's name alone (so adding a site never changes another's
//!   draws). An inactive site then answers `false` without drawing; an
//!   active one answers `true` with the probability its caller gives, drawn
//!   from the site's own stream.
//!
//! The handle is shared by every node of one run (one thread) and is never
//! process-wide: two seeds never share a handle. [`Buggify::counts`] says,
//! per site reached, whether it was active and how often it fired, in site
//! order.

use crate::rng::Rng;
use rand::{RngExt, SeedableRng};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use xxhash_rust::xxh3::xxh3_64;

/// The chance that a reached site is active for a run.
pub const ACTIVATION: f64 = 0.25;

/// What one site did in a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SiteCount {
    /// Whether the site was active this run.
    pub active: bool,
    /// How often the site was reached.
    pub reached: u64,
    /// How often it took its rare path.
    pub fired: u64,
}

struct Site {
    count: SiteCount,
    rng: Option<Rng>,
}

#[derive(Default)]
struct State {
    root: Option<u64>,
    sites: BTreeMap<&'static str, Site>,
}

/// One run's buggify: a clonable handle, disabled unless made with
/// [`Buggify::enabled`].
#[derive(Clone, Default)]
pub struct Buggify {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Buggify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buggify")
            .field("enabled", &self.is_enabled())
            .finish()
    }
}

impl Buggify {
    /// A handle on which every site answers `false` and draws nothing.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// A handle for the run whose root seed is `root`: sites activate and
    /// fire as the module describes, the same way for the same seed.
    pub fn enabled(root: u64) -> Self {
        Buggify {
            state: Arc::new(Mutex::new(State {
                root: Some(root),
                sites: BTreeMap::new(),
            })),
        }
    }

    /// Whether sites may fire at all this run.
    pub fn is_enabled(&self) -> bool {
        self.lock().root.is_some()
    }

    /// Whether `site` takes its rare path now: never when disabled or when
    /// the site is inactive this run; else with probability `p` (clamped
    /// to 0..=1).
    pub fn sometimes(&self, site: &'static str, p: f64) -> bool {
        let mut state = self.lock();
        let Some(root) = state.root else {
            return false;
        };
        let entry = state.sites.entry(site).or_insert_with(|| {
            // The site's stream: the run's root seed, keyed by its name.
            let mut rng = Rng::seed_from_u64(root ^ xxh3_64(site.as_bytes()));
            let active = rng.random_bool(ACTIVATION);
            Site {
                count: SiteCount {
                    active,
                    ..SiteCount::default()
                },
                rng: active.then_some(rng),
            }
        });
        entry.count.reached += 1;
        let Some(rng) = entry.rng.as_mut() else {
            return false;
        };
        let fire = rng.random_bool(p.clamp(0.0, 1.0));
        entry.count.fired += u64::from(fire);
        fire
    }

    /// Per site reached this run, in name order: whether it was active,
    /// how often it was reached and how often it fired.
    pub fn counts(&self) -> BTreeMap<&'static str, SiteCount> {
        self.lock()
            .sites
            .iter()
            .map(|(name, s)| (*name, s.count))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half made:
        // every change is one insert or one counter step.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_sites_never_fire_and_record_nothing() {
        let b = Buggify::disabled();
        assert!((0..100).all(|_| !b.sometimes("site", 1.0)));
        assert!(b.counts().is_empty());
    }

    #[test]
    fn about_a_quarter_of_sites_activate_and_active_sites_fire_at_their_rate() {
        let mut active = 0;
        for root in 0..400 {
            let b = Buggify::enabled(root);
            let fired = (0..100).filter(|_| b.sometimes("site", 0.5)).count();
            let c = b.counts()["site"];
            assert_eq!(c.reached, 100);
            assert_eq!(c.fired, fired as u64);
            if c.active {
                active += 1;
                assert!((20..=80).contains(&fired), "fired {fired} of 100 at p=0.5");
            } else {
                assert_eq!(fired, 0);
            }
        }
        assert!((60..=140).contains(&active), "{active} of 400 active");
    }

    #[test]
    fn the_same_seed_fires_the_same_way_and_sites_do_not_disturb_each_other() {
        let root = (0..)
            .find(|&r| {
                let b = Buggify::enabled(r);
                b.sometimes("site", 0.0);
                b.counts()["site"].active
            })
            .expect("some seed activates the site");
        let run = |with_other: bool| {
            let b = Buggify::enabled(root);
            (0..50)
                .map(|_| {
                    if with_other {
                        b.sometimes("other", 0.5);
                    }
                    b.sometimes("site", 0.5)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(false), run(false));
        assert_eq!(run(false), run(true), "another site's draws are its own");
    }
}
