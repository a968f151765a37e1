//! The determinism check, for code that is not ours: a user's machine that
//! iterates a `HashMap` into a message, reads a clock or keeps state in a
//! thread local makes the same seed give different traces.
//!
//! [`check_pair`] runs each seed twice: once on a fresh thread, as a sweep
//! runs it, and once more on a fresh thread that has already run another
//! seed (so state a run leaves behind on its thread, or in the process, has
//! its chance to leak into the next). Seeds are checked in pairs, each
//! seed's second run following its partner's first, so a pair costs four
//! runs: twice the work of running it. The two traces of a seed are
//! compared event by event ([`first_difference`]).

use sim::trace::{Event, Trace};

/// Where two runs of one seed first differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The index of the first event that differs (from 0).
    pub index: usize,
    /// That event in the first run, if it has that many events.
    pub first: Option<String>,
    /// That event in the second run, if it has that many events.
    pub second: Option<String>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let or_end = |e: &Option<String>| e.clone().unwrap_or_else(|| "(the trace ends)".into());
        write!(
            f,
            "first difference at event {}:\n  run 1: {}\n  run 2: {}",
            self.index,
            or_end(&self.first),
            or_end(&self.second)
        )
    }
}

/// The first event at which `a` and `b` differ (an event one has and the
/// other lacks counts), or `None` if they are the same event for event.
pub fn first_difference(a: &Trace, b: &Trace) -> Option<Difference> {
    let (ea, eb) = (a.events(), b.events());
    let text = |e: Option<&Event>| e.map(Event::to_string);
    (0..ea.len().max(eb.len()))
        .find(|&i| text(ea.get(i)) != text(eb.get(i)))
        .map(|index| Difference {
            index,
            first: text(ea.get(index)),
            second: text(eb.get(index)),
        })
}

/// One seed checked: what its first run gave, and where its second run
/// differed, if it did.
pub struct Checked<T> {
    /// The seed.
    pub seed: u64,
    /// The first run's result (the run a plain sweep would have made).
    pub result: T,
    /// The first difference between the two runs' traces, if any.
    pub difference: Option<Difference>,
}

/// Checks `lead` and, if `partner_checked`, `partner` (another seed) by
/// running each twice with `run`: thread one runs `lead` then `partner`,
/// thread two runs `partner` then `lead`, each on a fresh thread, one after
/// the other. The first run of each seed is the one on a fresh thread, the
/// second the one that follows the other seed. When `partner` is not to be
/// checked it is still run once, before `lead`'s second run. Returns the
/// checked seeds in the order `lead`, `partner`.
pub fn check_pair<T: Send>(
    run: &(impl Fn(u64) -> (T, Trace) + Sync),
    lead: u64,
    partner: u64,
    partner_checked: bool,
) -> Vec<Checked<T>> {
    let on_fresh_thread = |first: u64, then: Option<u64>| {
        std::thread::scope(|s| {
            s.spawn(|| (run(first), then.map(run)))
                .join()
                .expect("a seed's thread never panics: machine panics are caught")
        })
    };
    let (lead_first, partner_second) = on_fresh_thread(lead, partner_checked.then_some(partner));
    let (partner_first, lead_second) = on_fresh_thread(partner, Some(lead));
    let lead_second = lead_second.expect("asked for");
    let mut out = vec![Checked {
        seed: lead,
        difference: first_difference(&lead_first.1, &lead_second.1),
        result: lead_first.0,
    }];
    if let Some(second) = partner_second {
        out.push(Checked {
            seed: partner,
            difference: first_difference(&partner_first.1, &second.1),
            result: partner_first.0,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::time::SimTime;
    use sim::trace::Tracer;

    sim::event_kinds! {
        /// Kinds for the tests.
        enum T in "test" {
            /// a
            A = "t.a",
            /// b
            B = "t.b",
            /// c
            C = "t.c",
        }
    }

    fn trace(kinds: &[T]) -> Trace {
        let t = Tracer::new();
        for (i, k) in kinds.iter().enumerate() {
            t.emit(SimTime(i as u64), "n", *k, vec![]);
        }
        t.snapshot()
    }

    #[test]
    fn the_first_differing_or_missing_event_is_named() {
        assert_eq!(
            first_difference(&trace(&[T::A, T::B]), &trace(&[T::A, T::B])),
            None
        );
        let d = first_difference(&trace(&[T::A, T::B]), &trace(&[T::A, T::C])).expect("differs");
        assert_eq!(d.index, 1);
        assert!(
            d.first.as_deref().is_some_and(|e| e.ends_with(" t.b")),
            "{d}"
        );
        let d = first_difference(&trace(&[T::A]), &trace(&[T::A, T::C])).expect("differs");
        assert_eq!((d.index, d.first), (1, None));
    }

    #[test]
    fn a_run_that_remembers_its_thread_is_caught_on_the_second_run() {
        thread_local! {
            static RUNS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
        }
        // Deterministic but for what the thread ran before.
        let run = |seed: u64| {
            let before = RUNS.with(|r| r.replace(r.get() + 1));
            let kinds: &[T] = if before == 0 { &[T::A] } else { &[T::B] };
            (seed, trace(kinds))
        };
        let checked = check_pair(&run, 4, 5, true);
        assert_eq!(checked.iter().map(|c| c.seed).collect::<Vec<_>>(), [4, 5]);
        assert!(checked.iter().all(|c| c.difference.is_some()));
        let pure = |seed: u64| (seed, trace(&[T::A]));
        assert!(check_pair(&pure, 7, 6, false)
            .iter()
            .all(|c| c.difference.is_none()));
    }
}
