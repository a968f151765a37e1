//! `lastcopy run`: a scenario over a range of seeds; one line per seed that
//! broke the promise, with the command that replays it; then the summary.
//! With `--shard K/N` it runs only its share of the range; with
//! `--results FILE` it also writes each seed's outcome, for `lastcopy merge`.
//!
//! The sweep streams: seeds are drawn from the range as they start, and
//! each outcome is printed (if it broke the promise), counted and written
//! as soon as it and every earlier seed are done, so any range runs in
//! bounded memory, `0..=18446744073709551615` too: a fuzzing mode that
//! runs until Ctrl-C. On Ctrl-C the seeds in flight finish, the summary of
//! the seeds that ran is printed, `--results` is not written (its file
//! stays as it was: it would be incomplete) and the exit code is 130; a
//! second Ctrl-C stops at once.

use super::case::CaseArgs;
use harness::coverage::Coverage;
use harness::interrupt::{on_ctrl_c, set_pending, INTERRUPTED};
use harness::rig::Rig;
use harness::summary::failure_line;
use indicatif::ProgressBar;
use lastcopy::determinism::{self, Difference};
use lastcopy::guided;
use lastcopy::output::{self, FileTarget};
use lastcopy::rig::{Sidekick, PROGRAM};
use lastcopy::runner::{self, Case, StreamEnd, Summary};
use lastcopy::seed_range::{SeedRange, MAX_HELD_SEEDS};
use lastcopy::shard::{ResultsWriter, RunInfo, Shard, INDEX_ENV};
use lastcopy::swarm;
use sim::outcome::SeedOutcome;
use sim::trace::Trace;
use std::ops::ControlFlow;
use std::path::Path;
use std::process::ExitCode;

/// Arguments of `lastcopy run`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit codes: 0 every seed kept the promise; 1 some seed broke it; \
    2 bad input (nothing run, nothing written); 3 with --check-determinism, some seed's \
    two runs differed; 130 interrupted by Ctrl-C (the summary covers the seeds that ran; \
    --results is not written)."
)]
pub struct Args {
    /// Catalogue name or path to a scenario file (default: sidekick-2009).
    pub scenario: Option<String>,
    #[command(flatten)]
    pub case: CaseArgs,
    /// Run only this seed (any u64).
    #[arg(long, conflicts_with = "seeds")]
    pub seed: Option<u64>,
    /// Seeds A..B (B excluded) or A..=B (B included). Default: 0..20. Any
    /// range: seeds stream, so an enormous one runs until Ctrl-C.
    #[arg(long, value_name = "A..B")]
    pub seeds: Option<String>,
    /// Seeds run in parallel (default: available cores). Output is the same for any value.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only shard K of N: the seeds whose index in the range is K mod N.
    /// `auto/N` takes K from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Also write one JSON line per seed run (its outcome, the build and
    /// the run it belongs to) to FILE, atomically, for `lastcopy merge`.
    /// Not written if the sweep is interrupted.
    #[arg(long, value_name = "FILE")]
    pub results: Option<String>,
    /// After the summary, print per fault class how often it fired, was
    /// effective and struck a record's last copies (a near miss), and the
    /// classes that never fired.
    #[arg(long)]
    pub coverage: bool,
    /// Swarm testing: each seed draws its own fault mix, rates and handset
    /// count from the scenario's (see `lastcopy::swarm`); a failure prints
    /// what its seed drew, and its replay command sets exactly that.
    #[arg(long, conflicts_with = "plan")]
    pub swarm: bool,
    /// With `--swarm`: let storage faults fall outside the fault atlas.
    #[arg(long, requires = "swarm")]
    pub unbounded: bool,
    /// With `--swarm`: bias each generation of 50 seeds (in seed order)
    /// toward the situations earlier generations never reached (see
    /// `lastcopy::guided`); the output is the same for any `--jobs`. Not
    /// with `--shard`.
    #[arg(long, requires = "swarm", conflicts_with = "check_determinism")]
    pub guided: bool,
    /// Stop at the first seed (in seed order) that breaks the promise:
    /// print it and the summary of the seeds run up to it.
    #[arg(long, conflicts_with_all = ["results", "shard"])]
    pub fail_fast: bool,
    /// Run every seed twice, the second time on a thread that has already
    /// run another seed, and compare the traces event by event; a seed whose
    /// runs differ prints its first differing event and its replay command,
    /// and the sweep exits 3. Twice the work of a plain run.
    #[arg(long, conflicts_with = "shard")]
    pub check_determinism: bool,
}

pub use harness::interrupt::INTERRUPTED_EXIT;

/// Runs the sweep. Exit 0 if every seed kept the promise, 1 if any broke
/// it, 130 if Ctrl-C interrupted it.
pub fn execute(args: Args) -> Result<ExitCode, String> {
    let mut case = args
        .case
        .load(args.scenario.as_deref().unwrap_or("sidekick-2009"))?;
    // Situations are counted only where they are shown or steer the draws.
    case.watch_situations = args.coverage || args.guided;
    let range = match (args.seed, &args.seeds) {
        (Some(s), _) => SeedRange::single(s),
        (None, Some(r)) => SeedRange::parse("--seeds", r)?,
        (None, None) => SeedRange::half_open(0, 20)?,
    };
    let jobs = runner::jobs(args.jobs)?;
    let shard = match &args.shard {
        Some(s) => Shard::parse(s, std::env::var(INDEX_ENV).ok().as_deref())?,
        None => Shard::ALL,
    };
    let target = match &args.results {
        Some(path) => Some((path, check_writable(&case, Path::new(path))?)),
        None => None,
    };
    if args.guided && args.shard.is_some() {
        return Err(format!(
            "--guided cannot run with --shard: each generation of {} seeds leans toward \
             what every seed of the generations before it missed, and a shard runs only \
             some of those seeds",
            guided::GENERATION
        ));
    }
    let count = shard.seed_count(range);
    if args.swarm {
        args.case
            .check_swarm(&case, shard.seeds(range), count, args.unbounded)?;
    }
    if args.swarm && !args.guided && count <= u128::from(MAX_HELD_SEEDS) {
        // Every drawn configuration is checked before any seed runs (past a
        // million seeds, each as its seed starts).
        swarm::check_draws(&case, shard.seeds(range), args.unbounded)?;
    }
    if count == 0 {
        eprintln!(
            "note: shard {shard} of seeds {range} holds no seed (the range has {} seeds)",
            range.seed_count()
        );
    }
    on_ctrl_c();
    let mut results = match &target {
        Some((path, target)) => {
            let writer = ResultsWriter::create(target, RunInfo::new(&case, range, shard))
                .map_err(|e| format!("--results {e}"))?;
            set_pending(Some(writer.temp_path().to_path_buf()));
            Some((path, writer))
        }
        None => None,
    };
    let bar = (count > 1).then(|| harness::progress::bar(u64::try_from(count).unwrap_or(u64::MAX)));
    let mut out = Printer::new(&case, args.coverage)
        .with_bar(bar)
        .with_max_work(args.case.max_work);
    let mut failure: Option<String> = None;
    let (mut broke, mut unsteady) = (false, 0u64);
    let mut sink = |checked: Result<Vec<Seed>, String>| {
        let checked = match checked {
            Ok(c) => c,
            Err(e) => {
                failure = Some(e);
                return ControlFlow::Break(());
            }
        };
        for (o, difference) in checked {
            if let Some((path, w)) = &mut results {
                if let Err(e) = w.write(&o) {
                    failure = Some(format!("--results {path}: {e}"));
                    return ControlFlow::Break(());
                }
            }
            out.add(&o);
            if let Some(d) = difference {
                unsteady += 1;
                out.line(&format!(
                    "seed {}: not deterministic: {d}\n  replay: {}",
                    o.seed,
                    replay_for(&case, &o, args.case.max_work)
                ));
            }
            if args.fail_fast && !o.kept_promise() {
                broke = true;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    };
    let how = How {
        swarm: args.swarm,
        unbounded: args.unbounded,
        check: args.check_determinism.then_some(range),
        bias: None,
    };
    let end = if args.guided {
        guided_sweep(&case, shard.seeds(range), jobs, &how, &mut sink)
    } else {
        runner::stream_map(
            shard.seeds(range),
            jobs,
            &INTERRUPTED,
            |&seed| how.run(&case, seed),
            |_, o| sink(o),
        )
    };
    let outcome = match end {
        StreamEnd::Refused if broke => Ok(out.finish(None)),
        StreamEnd::Refused => Err(failure.unwrap_or_else(|| "the sweep stopped".into())),
        StreamEnd::Stopped => {
            // The results would be incomplete: the writer is dropped and
            // its temporary file removed; FILE stays as it was.
            let note = results.take().map(|(path, _)| {
                format!("; --results {path} not written (it would be incomplete)")
            });
            Ok(out.finish(Some(Interrupted {
                of: count,
                note: note.unwrap_or_default(),
            })))
        }
        StreamEnd::Complete => {
            let written = match results.take() {
                Some((_, w)) => w.finish().map_err(|e| format!("--results {e}")),
                None => Ok(()),
            };
            // The summary either way; a file that could not be put in
            // place is then an error (exit 2).
            let code = out.finish(None);
            written.map(|()| code)
        }
    };
    set_pending(None);
    if unsteady > 0 && outcome.is_ok() {
        println!("not deterministic: {unsteady} seeds");
        return Ok(ExitCode::from(NONDETERMINISTIC_EXIT));
    }
    outcome
}

/// Exit code of a `--check-determinism` sweep in which some seed's two runs
/// differed.
pub const NONDETERMINISTIC_EXIT: u8 = 3;

/// One seed's outcome, and where its two runs differed (with
/// `--check-determinism`).
type Seed = (SeedOutcome, Option<Difference>);

/// Runs `seeds` in generations of [`guided::GENERATION`], each leaning
/// toward what the seeds of the generations before it never reached, and
/// hands each seed's outcome to `sink` in seed order.
fn guided_sweep(
    case: &Case,
    seeds: impl Iterator<Item = u64> + Send,
    jobs: usize,
    how: &How,
    sink: &mut impl FnMut(Result<Vec<Seed>, String>) -> ControlFlow<()>,
) -> StreamEnd {
    let mut seeds = seeds;
    let mut reached = guided::nothing_reached();
    loop {
        let generation: Vec<u64> = seeds.by_ref().take(guided::GENERATION).collect();
        if generation.is_empty() {
            return StreamEnd::Complete;
        }
        let lean = Sidekick::lean(&reached);
        let bias = guided::Bias::of_keys(lean.keys.iter().map(String::as_str), lean.buggify);
        let how = How {
            bias: Some(&bias),
            ..*how
        };
        let mut next = reached.clone();
        let end = runner::stream_map(
            generation.into_iter(),
            jobs,
            &INTERRUPTED,
            |&seed| how.run(case, seed),
            |_, r| {
                if let Ok(seeds) = &r {
                    seeds
                        .iter()
                        .for_each(|(o, _)| next.add(o, !o.buggify.is_empty()));
                }
                sink(r)
            },
        );
        reached = next;
        if end != StreamEnd::Complete {
            return end;
        }
    }
}

/// How each seed of a sweep runs.
#[derive(Clone, Copy)]
struct How<'a> {
    swarm: bool,
    unbounded: bool,
    /// With `--check-determinism`: the sweep's range (seeds are checked in
    /// pairs within it).
    check: Option<SeedRange>,
    /// With `--guided`: how this generation's draws lean.
    bias: Option<&'a guided::Bias>,
}

impl How<'_> {
    /// Runs `seed` (and with `--check-determinism` its pair's partner, or
    /// nothing if the partner leads the pair), in seed order.
    fn run(&self, case: &Case, seed: u64) -> Result<Vec<Seed>, String> {
        let Some(range) = self.check else {
            return Ok(vec![(self.outcome_and_trace(case, seed)?.0, None)]);
        };
        let partner = seed ^ 1;
        if seed % 2 == 1 && range.contains(partner) {
            return Ok(Vec::new()); // its even partner leads
        }
        let run = |s: u64| match self.outcome_and_trace(case, s) {
            Ok((o, t)) => (Ok(o), t),
            Err(e) => (Err(e), Trace::new()),
        };
        let partner_checked = partner > seed && range.contains(partner);
        determinism::check_pair(&run, seed, partner, partner_checked)
            .into_iter()
            .map(|c| c.result.map(|o| (o, c.difference)))
            .collect()
    }

    fn outcome_and_trace(&self, case: &Case, seed: u64) -> Result<(SeedOutcome, Trace), String> {
        if !self.swarm {
            let run = case.run_seed(seed);
            return Ok((run.outcome, run.output.trace));
        }
        let (drawn, seed_case) = match self.bias {
            Some(bias) => guided::seed_case(case, seed, self.unbounded, bias)?,
            None => swarm::seed_case(case, seed, self.unbounded)?,
        };
        let run = seed_case.run_seed(seed);
        let mut outcome = run.outcome;
        outcome.overrides.clone_from(&case.overrides);
        outcome.drawn = drawn;
        Ok((outcome, run.output.trace))
    }
}

/// How an interrupted sweep ended, for its closing note.
pub struct Interrupted {
    /// Seeds the sweep (this shard) would have run.
    pub of: u128,
    /// What else to say (results not written).
    pub note: String,
}

/// What a sweep prints as its seeds complete: one line per seed that broke
/// the promise, in seed order, with the command that replays it; then the
/// summary (and the fault-class coverage, if asked). It keeps only running
/// totals, so a sweep of any length prints in bounded memory. `run` and
/// `merge` print through it, so a merged sweep prints what one run does.
pub struct Printer<'a> {
    case: &'a Case,
    summary: Summary,
    coverage: Option<Coverage>,
    bar: Option<ProgressBar>,
    max_work: Option<u64>,
}

impl<'a> Printer<'a> {
    /// A printer for a sweep of `case`, with the coverage if `coverage`.
    pub fn new(case: &'a Case, coverage: bool) -> Self {
        Printer {
            case,
            summary: Summary::default(),
            coverage: coverage.then(Sidekick::coverage),
            bar: None,
            max_work: None,
        }
    }

    /// The same, with `--max-work` in every replay command when the sweep
    /// ran under a raised budget (so the command works as printed).
    pub fn with_max_work(self, max_work: Option<u64>) -> Self {
        Printer { max_work, ..self }
    }

    /// The same, showing progress on `bar` (lines are printed around it).
    pub fn with_bar(self, bar: Option<ProgressBar>) -> Self {
        Printer { bar, ..self }
    }

    /// Prints a line of its own (around the progress bar).
    pub fn line(&self, text: &str) {
        harness::progress::print_around(self.bar.as_ref(), &format!("{text}\n"));
    }

    /// Takes the next seed's outcome (seeds in order): prints its line if it
    /// broke the promise, and counts it.
    pub fn add(&mut self, o: &SeedOutcome) {
        if !o.kept_promise() {
            self.line(&failure_line(o, &replay_for(self.case, o, self.max_work)));
        }
        self.summary.add(o);
        if let Some(c) = &mut self.coverage {
            c.add(o);
        }
        harness::progress::seed_done(self.bar.as_ref(), self.summary.failed);
    }

    /// Prints the summary (and the coverage, if asked) and returns the exit
    /// code: 0 if every seed kept the promise, else 1; 130 if the sweep was
    /// `interrupted` (then a note on stderr says how many seeds ran).
    pub fn finish(self, interrupted: Option<Interrupted>) -> ExitCode {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        println!("{}", self.summary);
        if let Some(c) = &self.coverage {
            println!("{c}");
        }
        if let Some(i) = interrupted {
            eprintln!(
                "interrupted by Ctrl-C: {} of {} seeds ran{}",
                self.summary.seeds, i.of, i.note
            );
            return ExitCode::from(INTERRUPTED_EXIT);
        }
        if self.summary.failed > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// The command that replays `o`'s seed exactly (with what a swarm seed
/// drew, and `--max-work` if the sweep raised the budget).
fn replay_for(case: &Case, o: &SeedOutcome, max_work: Option<u64>) -> String {
    let mut replay = Sidekick::replay_command(&PROGRAM, case, o.seed, &o.drawn);
    if let Some(units) = max_work.filter(|_| !replay.starts_with('(')) {
        replay.push_str(&format!(" --max-work {units}"));
    }
    replay
}

/// Checks, before any seed runs, that the results file `path` can be
/// written and may be replaced: not a directory, a symbolic link, a device
/// or one of the case's input files, in a folder that exists and takes new
/// files ([`output::check_target`]).
fn check_writable(case: &Case, path: &Path) -> Result<FileTarget, String> {
    let plan = case.plan.as_ref().map(|(p, _)| p.as_str());
    output::check_target(path, std::iter::once(case.spec.as_str()).chain(plan))
        .map_err(|e| format!("--results {e}"))
}
