//! Parallel sweeps: items (seeds, or a report's cells and seeds) run on
//! worker threads, each on a fresh thread of its own, their results handed
//! on in item order, so what a sweep prints or writes is the same for any
//! number of jobs.
//!
//! [`stream_map`] is the one loop every sweep goes through: `run`'s seeds,
//! a report's cells, a merge's reruns. It holds a bounded window of
//! results, so a sweep of any length (an endless one too) runs in bounded
//! memory, and it stops cleanly when asked ([`StreamEnd`]).

pub mod determinism;
pub mod interrupt;
pub mod merge;
pub mod progress;
pub mod results;
pub mod seed_range;
pub mod shard;

use sim::outcome::SeedOutcome;
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// A stop flag no one sets: for a sweep that runs to its end (or until
/// its sink refuses).
pub static NEVER: AtomicBool = AtomicBool::new(false);

/// The most worker threads `--jobs` accepts: each runs one simulation on a
/// thread of its own, so more threads than this only exhaust memory.
pub const MAX_JOBS: usize = 1024;

/// The worker threads of `--jobs VALUE`: VALUE if it is from 1 to
/// [`MAX_JOBS`], else an error; without it, the available cores.
pub fn jobs(value: Option<usize>) -> Result<usize, String> {
    match value {
        Some(0) => Err("--jobs must be at least 1".into()),
        Some(j) if j > MAX_JOBS => Err(format!("--jobs {j}: at most {MAX_JOBS}")),
        Some(j) => Ok(j),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_JOBS))),
    }
}

/// Runs `run` for every seed in `seeds` on `jobs` worker threads, each seed
/// on a fresh thread of its own, and returns the outcomes in the order of
/// `seeds`: the same for any number of jobs.
pub fn sweep_with(
    seeds: impl IntoIterator<Item = u64>,
    jobs: usize,
    run: impl Fn(u64) -> SeedOutcome + Sync,
) -> Vec<SeedOutcome> {
    let list: Vec<u64> = seeds.into_iter().collect();
    parallel_map(&list, jobs, |&seed| run(seed))
}

/// Runs `f` over `items` on `jobs` worker threads, each item on a fresh
/// thread of its own (a simulation owns its thread while it runs), and
/// returns the results in item order: the same for any number of jobs.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let mut out = Vec::with_capacity(items.len());
    stream_map(
        items.iter(),
        jobs,
        &AtomicBool::new(false),
        |item| f(item),
        |_, r| {
            out.push(r);
            ControlFlow::Continue(())
        },
    );
    out
}

/// How many items per worker thread [`stream_map`] runs ahead of the
/// oldest item not yet handed over: the bound of its reorder window.
pub const WINDOW_PER_JOB: usize = 16;

/// How a [`stream_map`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamEnd {
    /// Every item ran and was handed over.
    Complete,
    /// `stop` was set: the items in flight then finished and were handed
    /// over, and no later item started.
    Stopped,
    /// The sink asked to stop: no item was handed over after that.
    Refused,
}

/// Runs `f` over every item of `items` (any number of them, an endless
/// iterator too) on `jobs` worker threads, each item on a fresh thread of
/// its own, and hands each item and its result to `sink` in item order, as
/// soon as it and every earlier one are done: the same calls for any number
/// of jobs. Memory stays bounded: no worker starts an item more than
/// `jobs * WINDOW_PER_JOB` places after the oldest one not yet handed over,
/// and items are drawn from the iterator only as they start.
///
/// Once `stop` is set (a Ctrl-C handler may set it), no new item starts;
/// those in flight finish and are handed over. If `sink` returns
/// `Break`, no new item starts and nothing more is handed over.
pub fn stream_map<T: Send, R: Send>(
    items: impl Iterator<Item = T> + Send,
    jobs: usize,
    stop: &AtomicBool,
    f: impl Fn(&T) -> R + Sync,
    sink: impl FnMut(T, R) -> ControlFlow<()>,
) -> StreamEnd {
    let jobs = jobs.max(1);
    let shared = Shared {
        state: Mutex::new(Stream {
            items,
            started: 0,
            handed: 0,
            exhausted: false,
            refused: false,
            done: BTreeMap::new(),
            workers: jobs,
        }),
        changed: Condvar::new(),
        window: u128::try_from(jobs.saturating_mul(WINDOW_PER_JOB)).unwrap_or(u128::MAX),
        stop,
    };
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| shared.work(&f));
        }
        shared.hand_over(sink)
    })
}

/// One [`stream_map`]'s state, shared by its workers and its caller, and
/// what wakes them when it changes.
struct Shared<'a, I, T, R> {
    state: Mutex<Stream<I, T, R>>,
    changed: Condvar,
    /// How far past the oldest item not handed over an item may start.
    window: u128,
    stop: &'a AtomicBool,
}

impl<I: Iterator<Item = T>, T: Send, R: Send> Shared<'_, I, T, R> {
    fn lock(&self) -> MutexGuard<'_, Stream<I, T, R>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'g>(&self, st: MutexGuard<'g, Stream<I, T, R>>) -> MutexGuard<'g, Stream<I, T, R>> {
        self.changed
            .wait(st)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A worker: claims items and runs each on a fresh thread of its own
    /// until none may start; counted out however it ends, so the caller
    /// never waits for a worker that is gone.
    fn work(&self, f: &(impl Fn(&T) -> R + Sync)) {
        let _leaving = OnDrop(|| {
            self.lock().workers -= 1;
            self.changed.notify_all();
        });
        while let Some((index, item)) = self.claim() {
            let (item, r) = std::thread::scope(|inner| {
                inner
                    .spawn(|| {
                        let r = f(&item);
                        (item, r)
                    })
                    .join()
                    .expect("a seed's thread never panics: machine panics are caught")
            });
            self.lock().done.insert(index, (item, r));
            self.changed.notify_all();
        }
    }

    /// The next item and its index, once the window lets it start; `None`
    /// once none may (the items ran out, the sink refused, or stop is set).
    fn claim(&self) -> Option<(u128, T)> {
        let mut st = self.lock();
        loop {
            if st.exhausted || st.refused || self.stop.load(Ordering::SeqCst) {
                return None;
            }
            if st.started - st.handed < self.window {
                break;
            }
            st = self.wait(st);
        }
        let Some(item) = st.items.next() else {
            st.exhausted = true;
            return None;
        };
        let index = st.started;
        st.started += 1;
        Some((index, item))
    }

    /// The caller: hands each finished item to `sink` in item order until
    /// every worker has left, and says how the stream ended.
    fn hand_over(&self, mut sink: impl FnMut(T, R) -> ControlFlow<()>) -> StreamEnd {
        let mut st = self.lock();
        loop {
            let ready = st.take_ready();
            if ready.is_empty() {
                if st.workers == 0 {
                    break;
                }
                st = self.wait(st);
                continue;
            }
            self.changed.notify_all();
            if st.refused {
                continue;
            }
            drop(st);
            let refused = ready.into_iter().any(|(item, r)| sink(item, r).is_break());
            st = self.lock();
            if refused {
                st.refused = true;
                self.changed.notify_all();
            }
        }
        if st.refused {
            StreamEnd::Refused
        } else if st.exhausted {
            StreamEnd::Complete
        } else {
            StreamEnd::Stopped
        }
    }
}

impl<I, T, R> Stream<I, T, R> {
    /// The finished items next in order, counted as handed over.
    fn take_ready(&mut self) -> Vec<(T, R)> {
        let mut ready = Vec::new();
        while let Some(entry) = self.done.remove(&self.handed) {
            self.handed += 1;
            ready.push(entry);
        }
        ready
    }
}

/// Runs its closure when dropped.
struct OnDrop<F: Fn()>(F);

impl<F: Fn()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// The shared state of one [`stream_map`].
struct Stream<I, T, R> {
    /// The items not yet started.
    items: I,
    /// Items started so far (the next one's index).
    started: u128,
    /// Items handed to the sink so far (the next one's index).
    handed: u128,
    /// Whether `items` ran out.
    exhausted: bool,
    /// Whether the sink asked to stop.
    refused: bool,
    /// Finished items not yet handed over, by index.
    done: BTreeMap<u128, (T, R)>,
    /// Worker threads still running.
    workers: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    /// A cost that varies with the item, so that items finish out of order.
    fn busy(i: u64) -> u64 {
        std::thread::sleep(std::time::Duration::from_micros((i * 7919) % 500));
        i * 2
    }

    #[test]
    fn results_come_in_item_order_for_any_jobs() {
        for jobs in [1, 2, 5] {
            let mut seen = Vec::new();
            let end = stream_map(
                0..300u64,
                jobs,
                &AtomicBool::new(false),
                |&i| busy(i),
                |i, r| {
                    seen.push((i, r));
                    ControlFlow::Continue(())
                },
            );
            assert_eq!(end, StreamEnd::Complete);
            assert_eq!(seen, (0..300).map(|i| (i, i * 2)).collect::<Vec<_>>());
        }
    }

    #[test]
    fn no_item_starts_more_than_a_window_ahead() {
        let jobs = 3;
        let window = (jobs * WINDOW_PER_JOB) as u64;
        // Item 0 is slow: while it runs, nothing is handed over, so no item
        // a window or more after it may start.
        let (zero_done, furthest) = (AtomicBool::new(false), AtomicU64::new(0));
        stream_map(
            0..2000u64,
            jobs,
            &AtomicBool::new(false),
            |&i| {
                if i == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(300));
                    zero_done.store(true, Ordering::SeqCst);
                } else if !zero_done.load(Ordering::SeqCst) {
                    furthest.fetch_max(i, Ordering::SeqCst);
                }
            },
            |_, ()| ControlFlow::Continue(()),
        );
        let furthest = furthest.load(Ordering::SeqCst);
        assert_eq!(
            furthest,
            window - 1,
            "items up to the window's end ran meanwhile"
        );
    }

    #[test]
    fn stop_finishes_what_is_in_flight_of_an_endless_stream() {
        let stop = AtomicBool::new(false);
        let mut seen = Vec::new();
        let end = stream_map(
            0u64..,
            2,
            &stop,
            |&i| busy(i),
            |i, _| {
                seen.push(i);
                if i == 40 {
                    stop.store(true, Ordering::SeqCst);
                }
                ControlFlow::Continue(())
            },
        );
        assert_eq!(end, StreamEnd::Stopped);
        let n = seen.len() as u64;
        assert!(n > 40 && n <= 41 + 2 * WINDOW_PER_JOB as u64, "{n}");
        assert_eq!(
            seen,
            (0..n).collect::<Vec<_>>(),
            "every item that ran, in order"
        );
    }

    #[test]
    fn a_refusing_sink_gets_nothing_more() {
        let mut seen = Vec::new();
        let end = stream_map(
            0..1000u64,
            3,
            &AtomicBool::new(false),
            |&i| busy(i),
            |i, _| {
                seen.push(i);
                if i == 10 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        );
        assert_eq!(end, StreamEnd::Refused);
        assert_eq!(seen, (0..=10).collect::<Vec<_>>());
    }

    #[test]
    fn jobs_are_bounded() {
        assert!(jobs(Some(0)).is_err());
        assert!(jobs(Some(MAX_JOBS + 1)).unwrap_err().contains("at most"));
        assert_eq!(jobs(Some(3)), Ok(3));
        assert!((1..=MAX_JOBS).contains(&jobs(None).unwrap()));
    }
}
