//! The runner: one case (scenario, design, overrides, optional saved plan)
//! over one seed or a range of seeds, each seed on a fresh thread, with the
//! outcome of each judged by the checker.

use crate::checker;
use crate::planner;
use crate::scenario::Scenario;
use crate::shell::shell_word;
use crate::survivable::SkipReason;
use crate::world::{self, RunOutput};
use models::design::Design;
use models::fault::Fault;
use models::workload::Workload;
use sim::outcome::{FaultCount, SeedOutcome, VerdictKind};
use sim::plan::Plan;
use sim::trace::EngineEvent;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

/// What to run: a scenario under a design, with overrides and an optional
/// saved plan that replaces the drawn one.
#[derive(Clone, Debug)]
pub struct Case {
    /// The scenario as given on the command line (catalogue name or path).
    pub spec: String,
    /// The loaded scenario, overrides applied.
    pub scenario: Scenario,
    /// The design name given with `--design`, if any.
    pub design_arg: Option<String>,
    /// The design knobs.
    pub design: Design,
    /// `--set` overrides, in order.
    pub overrides: Vec<String>,
    /// A saved plan to run instead of drawing one, and where it came from.
    pub plan: Option<(String, Plan<Fault>)>,
    /// A saved workload to run instead of drawing one.
    pub workload: Option<Workload>,
    /// Whether runs count the situations coverage reports
    /// ([`crate::situations`]); counting watches every machine step, so
    /// it is on only when asked for (`--coverage`, `--guided`).
    pub situations: bool,
}

/// One seed's full result: the judged outcome and everything behind it.
pub struct SeedRun {
    /// The judged outcome.
    pub outcome: SeedOutcome,
    /// The plan that ran.
    pub plan: Plan<Fault>,
    /// The trace, ledger and final state.
    pub output: RunOutput,
}

impl Case {
    /// The plan for `seed`: the saved one, or one drawn from the seed.
    pub fn plan(&self, seed: u64) -> Plan<Fault> {
        match &self.plan {
            Some((_, p)) => p.clone(),
            None => planner::plan(&self.scenario, seed),
        }
    }

    /// The workload for `seed`: the saved one, or one drawn from the seed.
    pub fn workload(&self, seed: u64) -> Workload {
        match &self.workload {
            Some(w) => w.clone(),
            None => world::draw_workload(&self.scenario, seed),
        }
    }

    /// The command that replays `seed` of this case exactly, as run from
    /// the current directory ([`crate::shell::invocation`]).
    pub fn replay_command(&self, seed: u64) -> String {
        let mut cmd = format!(
            "{} replay {} --seed {seed}",
            crate::shell::invocation(),
            shell_word(&self.spec)
        );
        // The preset, not the knobs' name: `--set design.*` overrides below
        // make a `custom` design from it again.
        let preset = self.scenario.preset_name(self.design_arg.as_deref());
        cmd.push_str(&format!(" --design {preset}"));
        for o in &self.overrides {
            cmd.push_str(&format!(" --set {}", shell_word(o)));
        }
        if let Some((path, _)) = &self.plan {
            cmd.push_str(&format!(" --plan {}", shell_word(path)));
        }
        cmd
    }

    /// Runs and judges one seed, on the calling thread.
    pub fn run_seed(&self, seed: u64) -> SeedRun {
        let plan = self.plan(seed);
        let output = world::run(
            &self.scenario,
            &self.design,
            &plan,
            &self.workload(seed),
            seed,
            self.situations,
        );
        let judgement = checker::judge(&output.evidence());
        let near_misses: BTreeSet<u64> = output
            .trace
            .events()
            .iter()
            .filter(|e| e.kind == EngineEvent::FaultNearMiss)
            .filter_map(|e| e.field("fault").and_then(sim::trace::Value::as_u64))
            .collect();
        let atlas_skipped: BTreeSet<u64> = output
            .trace
            .events()
            .iter()
            .filter(|e| e.kind == EngineEvent::FaultSkipped)
            .filter(|e| e.str("atlas").and_then(SkipReason::parse).is_some())
            .filter_map(|e| e.field("fault").and_then(sim::trace::Value::as_u64))
            .collect();
        let mut faults: BTreeMap<String, FaultCount> = BTreeMap::new();
        for f in &plan.faults {
            let c = faults.entry(f.kind.name().to_string()).or_default();
            if output.fired.contains(&f.id) {
                c.fired += 1;
            }
            if output.effective.contains(&f.id) {
                c.effective += 1;
            }
            if near_misses.contains(&u64::from(f.id)) {
                c.near_miss += 1;
            }
            if atlas_skipped.contains(&u64::from(f.id)) {
                c.atlas_skipped += 1;
            }
        }
        let outcome = SeedOutcome {
            scenario: self.scenario.name.clone(),
            design: self.design.name().to_string(),
            overrides: self.overrides.clone(),
            seed,
            plan_hash: format!("{:016x}", plan.hash()),
            trace_hash: output.trace.hash().to_string(),
            verdicts: judgement.verdicts,
            counts: judgement.counts,
            faults,
            findings: judgement.findings,
            drawn: Vec::new(),
            buggify: output
                .buggify
                .iter()
                .map(|(site, c)| (site.to_string(), (*c).into()))
                .collect(),
            situations: output
                .situations
                .iter()
                .map(|(s, n)| (s.name().to_string(), *n))
                .collect(),
        };
        SeedRun {
            outcome,
            plan,
            output,
        }
    }

    /// Runs every seed in `seeds` (a range, or any list) on `jobs` worker
    /// threads, each seed on a fresh thread of its own, and returns the
    /// outcomes in the order of `seeds`: the same for any number of jobs.
    pub fn sweep(&self, seeds: impl IntoIterator<Item = u64>, jobs: usize) -> Vec<SeedOutcome> {
        sweep_with(seeds, jobs, |seed| self.run_seed(seed).outcome)
    }

    /// Runs every seed of `seeds` (any number, an endless iterator too) on
    /// `jobs` worker threads and hands each outcome to `sink` in the order
    /// of `seeds` as it completes, holding only a bounded window of
    /// outcomes (see [`stream_map`]); `stop` ends the sweep after the seeds
    /// in flight.
    pub fn stream(
        &self,
        seeds: impl Iterator<Item = u64> + Send,
        jobs: usize,
        stop: &AtomicBool,
        mut sink: impl FnMut(SeedOutcome) -> ControlFlow<()>,
    ) -> StreamEnd {
        stream_map(
            seeds,
            jobs,
            stop,
            |&seed| self.run_seed(seed).outcome,
            |_, o| sink(o),
        )
    }
}

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
    mut sink: impl FnMut(T, R) -> ControlFlow<()>,
) -> StreamEnd {
    let jobs = jobs.max(1);
    let window = u128::try_from(jobs.saturating_mul(WINDOW_PER_JOB)).unwrap_or(u128::MAX);
    let state = Mutex::new(Stream {
        items,
        started: 0,
        handed: 0,
        exhausted: false,
        refused: false,
        done: BTreeMap::new(),
        workers: jobs,
    });
    let changed = Condvar::new();
    let lock = || state.lock().unwrap_or_else(PoisonError::into_inner);
    let worker = || {
        // Counted out however the worker ends, so the caller never waits
        // for a worker that is gone.
        let _leaving = OnDrop(|| {
            lock().workers -= 1;
            changed.notify_all();
        });
        loop {
            let (index, item) = {
                let mut st = lock();
                loop {
                    if st.exhausted || st.refused || stop.load(Ordering::SeqCst) {
                        return;
                    }
                    if st.started - st.handed < window {
                        break;
                    }
                    st = changed.wait(st).unwrap_or_else(PoisonError::into_inner);
                }
                let Some(item) = st.items.next() else {
                    st.exhausted = true;
                    return;
                };
                let index = st.started;
                st.started += 1;
                (index, item)
            };
            let (item, r) = std::thread::scope(|inner| {
                inner
                    .spawn(|| {
                        let r = f(&item);
                        (item, r)
                    })
                    .join()
                    .expect("a seed's thread never panics: machine panics are caught")
            });
            lock().done.insert(index, (item, r));
            changed.notify_all();
        }
    };
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(worker);
        }
        let mut st = lock();
        loop {
            let mut ready = Vec::new();
            while let Some(entry) = {
                let next = st.handed;
                st.done.remove(&next)
            } {
                st.handed += 1;
                ready.push(entry);
            }
            if ready.is_empty() {
                if st.workers == 0 {
                    break;
                }
                st = changed.wait(st).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            changed.notify_all();
            if st.refused {
                continue;
            }
            drop(st);
            let mut refused = false;
            for (item, r) in ready {
                if sink(item, r).is_break() {
                    refused = true;
                    break;
                }
            }
            st = lock();
            if refused {
                st.refused = true;
                changed.notify_all();
            }
        }
        if st.refused {
            StreamEnd::Refused
        } else if st.exhausted {
            StreamEnd::Complete
        } else {
            StreamEnd::Stopped
        }
    })
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

/// The totals of a sweep, as the summary line prints them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Seeds run.
    pub seeds: u64,
    /// Seeds that broke the promise.
    pub failed: u64,
    /// Records lost, over all seeds.
    pub lost: u64,
    /// Records rolled back.
    pub rolled_back: u64,
    /// Records corrupted.
    pub corrupted: u64,
    /// Liveness verdicts.
    pub liveness: u64,
    /// Versions forfeited by users' own resets.
    pub forfeited: u64,
    /// Records with an acknowledged edit discarded for another writer's.
    pub lost_updates: u64,
    /// Records served again after their deletion was acknowledged.
    pub resurrected: u64,
    /// Records (or versions) served to a user who does not own them.
    pub leaked: u64,
    /// Seeds whose only failure is that sync did not converge in the heal
    /// bound (no record lost, rolled back, corrupted or leaked).
    pub not_converged: u64,
}

impl Summary {
    /// Totals over `outcomes`.
    pub fn of(outcomes: &[SeedOutcome]) -> Self {
        let mut s = Summary::default();
        for o in outcomes {
            s.add(o);
        }
        s
    }

    /// Adds one seed's outcome to the totals (a running summary: a sweep
    /// of any length keeps only this).
    pub fn add(&mut self, o: &SeedOutcome) {
        self.seeds += 1;
        self.failed += u64::from(!o.kept_promise());
        self.lost += o.verdict_count(VerdictKind::Lost);
        self.rolled_back += o.verdict_count(VerdictKind::RolledBack);
        self.corrupted += o.verdict_count(VerdictKind::Corrupted);
        self.liveness += o.verdict_count(VerdictKind::Liveness);
        self.forfeited += o.count("forfeited");
        self.lost_updates += o.verdict_count(VerdictKind::LostUpdate);
        self.resurrected += o.verdict_count(VerdictKind::Resurrected);
        self.leaked += o.verdict_count(VerdictKind::Leaked);
        self.not_converged += u64::from(
            !o.kept_promise() && o.verdicts.iter().all(|v| v.kind == VerdictKind::Liveness),
        );
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seeds: {}, failed: {}, records lost: {}, rolled back: {}, corrupted: {}, liveness: {}, forfeited: {}",
            self.seeds, self.failed, self.lost, self.rolled_back, self.corrupted, self.liveness, self.forfeited
        )?;
        // Two-writer verdicts are printed only when some seed has them, so
        // single-writer scenarios keep their summary line.
        if self.lost_updates + self.resurrected > 0 {
            write!(
                f,
                ", lost updates: {}, resurrected: {}",
                self.lost_updates, self.resurrected
            )?;
        }
        // So are leaks, and seeds that failed on liveness alone.
        if self.leaked > 0 {
            write!(f, ", leaked: {}", self.leaked)?;
        }
        if self.not_converged > 0 {
            write!(f, ", only not converged: {} seeds", self.not_converged)?;
        }
        Ok(())
    }
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
