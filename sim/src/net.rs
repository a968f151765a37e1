//! The project's own network fault layer, over the hosts' endpoints.
//!
//! madsim's network offers latency, loss and clogging (which drops, never
//! holds). This layer adds what it lacks, on encoded frames between
//! [`Addr`]esses: partitions of chosen links, loss, duplication, reordering
//! (a message held so that later ones overtake it), long delays and payload
//! corruption in transit. It knows nothing of phones: a fault is a set of
//! links ([`Links`]) and an [`Impairment`], installed under the plan id of
//! the fault that set it.
//!
//! Promises:
//! - **Deterministic**: every draw comes from the fault's own generator,
//!   seeded from its resolve seed; a rule draws only for messages crossing
//!   its links, and only for the effects whose rate is above zero.
//! - **Inert when empty**: with no rule installed, [`NetFaults::route`]
//!   returns the frame unchanged with no delay and draws nothing.
//! - **Without corruption, nothing new**: every frame it delivers is
//!   byte-for-byte a frame that was sent; with no loss and no partition,
//!   every frame sent is delivered at least once.
//! - Rules are applied in plan id order; the first partition covering a link
//!   drops the frame before any other rule sees it.

use crate::host::Addr;
use crate::rng::{from_seed, Rng};
use rand::RngExt;
use std::collections::BTreeMap;
use std::time::Duration;

/// A set of links: every directed link from a node of `a` to a node of `b`
/// and back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Links {
    a: Vec<Addr>,
    b: Vec<Addr>,
}

impl Links {
    /// Every link between a node of `a` and a node of `b`, both directions.
    pub fn between(a: Vec<Addr>, b: Vec<Addr>) -> Self {
        Links { a, b }
    }

    /// Whether a frame from `from` to `to` crosses one of these links.
    pub fn covers(&self, from: Addr, to: Addr) -> bool {
        (self.a.contains(&from) && self.b.contains(&to))
            || (self.b.contains(&from) && self.a.contains(&to))
    }

    /// Whether `node` is an end of any of these links.
    pub fn touches(&self, node: Addr) -> bool {
        self.a.contains(&node) || self.b.contains(&node)
    }
}

/// What a rule does to each frame crossing its links. Probabilities are
/// per frame, from 0 to 1.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Impairment {
    /// Drop every frame (a partition; nothing is held).
    pub cut: bool,
    /// Chance that a frame is dropped.
    pub loss: f64,
    /// Chance that a frame is delivered twice; the copy trails by up to
    /// `hold_for`.
    pub duplicate: f64,
    /// Chance that a frame is held for up to `hold_for`, so that frames sent
    /// after it overtake it.
    pub reorder: f64,
    /// The longest a reordered frame (or a duplicate) trails.
    pub hold_for: Duration,
    /// Chance that a frame is delayed by `delay_for / 2` to `delay_for`.
    pub delay: f64,
    /// The longest delay.
    pub delay_for: Duration,
    /// Chance that a frame has one to three of its bytes garbled (a garbled
    /// frame always differs from the one sent).
    pub corrupt: f64,
}

impl Impairment {
    /// A partition: every frame dropped.
    pub fn cut() -> Self {
        Impairment {
            cut: true,
            ..Impairment::default()
        }
    }
}

/// What a rule did to one frame, for the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Dropped by a partition (counted, not traced per frame).
    Cut {
        /// The fault's plan id.
        fault: u32,
    },
    /// Dropped by loss.
    Dropped {
        /// The fault's plan id.
        fault: u32,
    },
    /// Delivered twice; the copy trails by `lag`.
    Duplicated {
        /// The fault's plan id.
        fault: u32,
        /// How long the copy trails.
        lag: Duration,
    },
    /// Held for `hold`, so that later frames overtake it.
    Held {
        /// The fault's plan id.
        fault: u32,
        /// How long.
        hold: Duration,
    },
    /// Delayed for `delay`.
    Delayed {
        /// The fault's plan id.
        fault: u32,
        /// How long.
        delay: Duration,
    },
    /// `bytes` bytes garbled.
    Corrupted {
        /// The fault's plan id.
        fault: u32,
        /// How many bytes.
        bytes: usize,
    },
}

impl Effect {
    /// The plan id of the fault that had this effect.
    pub fn fault(&self) -> u32 {
        match self {
            Effect::Cut { fault }
            | Effect::Dropped { fault }
            | Effect::Duplicated { fault, .. }
            | Effect::Held { fault, .. }
            | Effect::Delayed { fault, .. }
            | Effect::Corrupted { fault, .. } => *fault,
        }
    }
}

/// How many frames a rule changed, by effect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Frames dropped (by the partition or by loss).
    pub dropped: u64,
    /// Frames delivered twice.
    pub duplicated: u64,
    /// Frames held for reordering.
    pub held: u64,
    /// Frames delayed long.
    pub delayed: u64,
    /// Frames garbled.
    pub corrupted: u64,
}

impl Counts {
    fn add(&mut self, e: &Effect) {
        match e {
            Effect::Cut { .. } | Effect::Dropped { .. } => self.dropped += 1,
            Effect::Duplicated { .. } => self.duplicated += 1,
            Effect::Held { .. } => self.held += 1,
            Effect::Delayed { .. } => self.delayed += 1,
            Effect::Corrupted { .. } => self.corrupted += 1,
        }
    }

    /// Whether the rule changed any frame.
    pub fn any(&self) -> bool {
        *self != Counts::default()
    }
}

struct Rule {
    links: Links,
    imp: Impairment,
    rng: Rng,
    counts: Counts,
}

/// One frame's fate: the copies to deliver, each after its own delay (zero
/// for at once), and what was done to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Route {
    /// The copies to deliver: (delay, frame).
    pub deliveries: Vec<(Duration, Vec<u8>)>,
    /// What the rules did, in order.
    pub effects: Vec<Effect>,
}

/// The network faults in force, by plan id.
#[derive(Default)]
pub struct NetFaults {
    rules: BTreeMap<u32, Rule>,
}

impl NetFaults {
    /// No faults in force.
    pub fn new() -> Self {
        NetFaults::default()
    }

    /// Whether no fault is in force.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Puts `imp` in force on `links` under plan id `fault`, drawing from a
    /// generator seeded with `seed`. Replaces any rule under the same id.
    pub fn add(&mut self, fault: u32, links: Links, imp: Impairment, seed: u64) {
        let rule = Rule {
            links,
            imp,
            rng: from_seed(seed),
            counts: Counts::default(),
        };
        self.rules.insert(fault, rule);
    }

    /// Lifts the rule of `fault`; returns what it did, if it was in force.
    pub fn remove(&mut self, fault: u32) -> Option<Counts> {
        self.rules.remove(&fault).map(|r| r.counts)
    }

    /// Lifts every rule; returns what each did, by plan id.
    pub fn clear(&mut self) -> Vec<(u32, Counts)> {
        std::mem::take(&mut self.rules)
            .into_iter()
            .map(|(id, r)| (id, r.counts))
            .collect()
    }

    /// Lifts every rule with `node` at one end of a link; returns what each did.
    pub fn clear_node(&mut self, node: Addr) -> Vec<(u32, Counts)> {
        let ids: Vec<u32> = self
            .rules
            .iter()
            .filter(|(_, r)| r.links.touches(node))
            .map(|(id, _)| *id)
            .collect();
        ids.into_iter()
            .filter_map(|id| self.remove(id).map(|c| (id, c)))
            .collect()
    }

    /// The partition cutting the link from `from` to `to`, if any: a frame
    /// held in transit that arrives while it is in force is dropped.
    pub fn cut_by(&mut self, from: Addr, to: Addr) -> Option<u32> {
        let (id, rule) = self
            .rules
            .iter_mut()
            .find(|(_, r)| r.imp.cut && r.links.covers(from, to))?;
        rule.counts.dropped += 1;
        Some(*id)
    }

    /// Decides the fate of `frame`, sent from `from` to `to`, now.
    pub fn route(&mut self, from: Addr, to: Addr, frame: Vec<u8>) -> Route {
        let mut copies = vec![(Duration::ZERO, frame)];
        let mut effects = Vec::new();
        for (&fault, rule) in self.rules.iter_mut() {
            if !rule.links.covers(from, to) {
                continue;
            }
            let before = effects.len();
            rule.apply(fault, &mut copies, &mut effects);
            for e in &effects[before..] {
                rule.counts.add(e);
            }
            if copies.is_empty() {
                break;
            }
        }
        Route {
            deliveries: copies,
            effects,
        }
    }
}

/// A duration drawn uniformly from `lo..=hi`, in whole milliseconds (at least 1 ms).
fn between(rng: &mut Rng, lo: Duration, hi: Duration) -> Duration {
    let (lo, hi) = (lo.as_millis() as u64, hi.as_millis() as u64);
    Duration::from_millis(rng.random_range(lo.max(1)..=hi.max(lo).max(1)))
}

impl Rule {
    fn apply(
        &mut self,
        fault: u32,
        copies: &mut Vec<(Duration, Vec<u8>)>,
        effects: &mut Vec<Effect>,
    ) {
        let imp = &self.imp;
        let rng = &mut self.rng;
        if imp.cut {
            copies.clear();
            effects.push(Effect::Cut { fault });
            return;
        }
        let mut out = Vec::with_capacity(copies.len());
        for (mut after, mut frame) in copies.drain(..) {
            if imp.loss > 0.0 && rng.random_bool(imp.loss) {
                effects.push(Effect::Dropped { fault });
                continue;
            }
            if imp.duplicate > 0.0 && rng.random_bool(imp.duplicate) {
                let lag = between(rng, Duration::ZERO, imp.hold_for);
                effects.push(Effect::Duplicated { fault, lag });
                out.push((after + lag, frame.clone()));
            }
            if imp.reorder > 0.0 && rng.random_bool(imp.reorder) {
                let hold = between(rng, Duration::ZERO, imp.hold_for);
                effects.push(Effect::Held { fault, hold });
                after += hold;
            }
            if imp.delay > 0.0 && rng.random_bool(imp.delay) {
                let delay = between(rng, imp.delay_for / 2, imp.delay_for);
                effects.push(Effect::Delayed { fault, delay });
                after += delay;
            }
            if imp.corrupt > 0.0 && !frame.is_empty() && rng.random_bool(imp.corrupt) {
                // One to three distinct bytes, each changed: a garbled frame
                // always differs from the one sent.
                let n = rng.random_range(1..=3usize).min(frame.len());
                let start = rng.random_range(0..frame.len());
                for k in 0..n {
                    let i = (start + k) % frame.len();
                    frame[i] ^= rng.random_range(1..=255u8);
                }
                effects.push(Effect::Corrupted { fault, bytes: n });
            }
            out.push((after, frame));
        }
        *copies = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> Links {
        Links::between(vec![Addr(0)], vec![Addr(1)])
    }

    #[test]
    fn empty_layer_passes_frames_unchanged() {
        let mut net = NetFaults::new();
        let r = net.route(Addr(0), Addr(1), vec![1, 2, 3]);
        assert_eq!(r.deliveries, vec![(Duration::ZERO, vec![1, 2, 3])]);
        assert!(r.effects.is_empty());
    }

    #[test]
    fn partitions_cut_both_directions_only_on_their_links() {
        let mut net = NetFaults::new();
        net.add(7, link(), Impairment::cut(), 1);
        assert!(net.route(Addr(0), Addr(1), vec![1]).deliveries.is_empty());
        assert!(net.route(Addr(1), Addr(0), vec![1]).deliveries.is_empty());
        assert_eq!(net.route(Addr(0), Addr(2), vec![1]).deliveries.len(), 1);
        assert_eq!(net.cut_by(Addr(1), Addr(0)), Some(7));
        assert_eq!(net.remove(7).map(|c| c.dropped), Some(3));
        assert!(net.is_empty());
    }

    #[test]
    fn same_seed_same_fates() {
        let imp = Impairment {
            loss: 0.2,
            duplicate: 0.2,
            reorder: 0.2,
            hold_for: Duration::from_secs(60),
            delay: 0.1,
            delay_for: Duration::from_secs(3600),
            corrupt: 0.2,
            ..Impairment::default()
        };
        let fates = |seed| {
            let mut net = NetFaults::new();
            net.add(1, link(), imp.clone(), seed);
            (0..200u8)
                .map(|i| net.route(Addr(0), Addr(1), vec![i; 8]))
                .collect::<Vec<_>>()
        };
        assert_eq!(fates(5), fates(5));
        assert_ne!(fates(5), fates(6));
        let all = fates(5);
        let has = |f: fn(&Effect) -> bool| all.iter().any(|r| r.effects.iter().any(f));
        assert!(has(|e| matches!(e, Effect::Dropped { .. })));
        assert!(has(|e| matches!(e, Effect::Duplicated { .. })));
        assert!(has(|e| matches!(e, Effect::Held { .. })));
        assert!(has(|e| matches!(e, Effect::Delayed { .. })));
        assert!(has(|e| matches!(e, Effect::Corrupted { .. })));
    }

    #[test]
    fn clear_node_lifts_only_rules_touching_it() {
        let mut net = NetFaults::new();
        net.add(1, link(), Impairment::cut(), 1);
        net.add(
            2,
            Links::between(vec![Addr(2)], vec![Addr(3)]),
            Impairment::cut(),
            1,
        );
        assert_eq!(net.clear_node(Addr(1)).len(), 1);
        assert!(!net.is_empty());
        assert_eq!(net.clear().len(), 1);
        assert!(net.is_empty());
    }
}
