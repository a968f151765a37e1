//! `run`: load and check everything a run needs, then run the seeds on
//! `--jobs` threads and print in seed order: a row of phases, each below.

use super::Program;
use crate::case::{Case, SeedRun};
use crate::cli::commands::{self, Results};
use crate::plan::guided::{self, Bias};
use crate::plan::swarm::{self, Swarm};
use crate::report::coverage::Coverage;
use crate::report::summary::{failure_line, Summary};
use crate::rig::{Rig, Stage};
use crate::scenario::load::CaseSpec;
use crate::sweep::determinism;
use crate::sweep::determinism::Difference;
use crate::sweep::seed_range::{SeedRange, MAX_HELD_SEEDS};
use crate::sweep::{self, interrupt, progress};
use crate::triage::save_target::SaveTarget;
use crate::triage::story;
use crate::triage::trace_filter::Filter;
use indicatif::ProgressBar;
use sim::trace::Trace;
use std::ops::ControlFlow;

/// Arguments of `run`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit codes: 0 every seed kept the promise; 1 some seed broke it; \
    2 bad input (nothing run, nothing written); 3 with --check-determinism, some seed's \
    two runs differed; 130 interrupted by Ctrl-C (the summary covers the seeds that ran; \
    --results is not written)."
)]
pub struct RunArgs {
    /// A built-in scenario's name, or a path to a scenario file (default:
    /// the first built-in one).
    scenario: Option<String>,
    /// The design (default: the one a run takes when none is named, the
    /// system's first unless its scenario names one).
    #[arg(long)]
    design: Option<String>,
    /// One seed.
    #[arg(long, conflicts_with = "seeds")]
    seed: Option<u64>,
    /// Seeds `A..B` (B excluded) or `A..=B` (B included); default `0..20`.
    #[arg(long)]
    seeds: Option<String>,
    /// Seeds run in parallel (default: available cores). Output is the
    /// same for any value.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only shard K of N: the seeds whose index in the range is K mod
    /// N. `auto/N` takes K from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).
    #[arg(long, value_name = "K/N", conflicts_with = "check_determinism")]
    shard: Option<String>,
    /// Also write one JSON line per seed run (its outcome, the build and
    /// the run it belongs to) to FILE, atomically, for `merge`. Not
    /// written if the sweep is interrupted.
    #[arg(long, value_name = "FILE")]
    results: Option<String>,
    /// `KEY=VALUE` overrides of the scenario (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Stop at the first seed (in seed order) that breaks the promise.
    #[arg(long, conflicts_with_all = ["results", "shard"])]
    fail_fast: bool,
    /// With --seed: tell the story of every record the seed lost.
    #[arg(long, requires = "seed")]
    explain: bool,
    /// With --seed: shrink the failing seed to what matters (its faults
    /// first), as `shrink` does.
    #[arg(long, requires = "seed")]
    shrink: bool,
    /// With --shrink: keep the shrunk case as a regression file: a bare
    /// NAME writes it under the current directory, where the system keeps
    /// its regression files; an argument with a '/' or ending in the
    /// files' extension is the file's path.
    #[arg(long, requires = "shrink", value_name = "NAME|PATH")]
    save: Option<String>,
    /// With --save: replace an existing regression file.
    #[arg(long, requires = "save")]
    force: bool,
    /// Run this plan file (from `plan`, or a regression file's) on every
    /// seed instead of each seed's own.
    #[arg(long, value_name = "FILE")]
    plan: Option<String>,
    /// The most work units one seed may take, for a system that estimates
    /// its work before a run: a case estimated to take more is refused
    /// before anything runs (a system that estimates none refuses the
    /// flag); replay commands carry it.
    #[arg(long, value_name = "UNITS")]
    max_work: Option<u64>,
    /// Run every seed twice, the second time on a thread that has already
    /// run another seed, and compare the traces event by event; a seed
    /// whose runs differ prints its first differing event and its replay
    /// command, and the sweep exits 3. Twice the work of a plain run.
    #[arg(long)]
    check_determinism: bool,
    /// After the summary: per fault kind, how often it fired, was
    /// effective and struck a record's last copies (a near miss).
    #[arg(long)]
    coverage: bool,
    /// Each seed draws its own fault mix and rates, and the system's
    /// swarmable keys, from the scenario's; a failing seed prints what it
    /// drew and a replay that sets exactly that.
    #[arg(long, conflicts_with = "plan")]
    swarm: bool,
    /// With --swarm: let storage faults fall outside the fault atlas (for
    /// a system on the harness's table, every failure domain's disks may
    /// be struck).
    #[arg(long, requires = "swarm")]
    unbounded: bool,
    /// With --swarm: bias each generation of 50 seeds (in seed order)
    /// toward what the generations before it never reached: situations,
    /// buggify sites, fault kinds that never fired or were never effective
    /// (see the `guided` module). The output is the same for any --jobs;
    /// not with --shard.
    #[arg(long, conflicts_with = "check_determinism")]
    guided: bool,
}

/// Loads everything the run needs, refusing bad input before any work,
/// then runs the seeds on `--jobs` threads ([`sweep::stream_map`]),
/// printing in seed order.
pub(super) fn run<R: Rig>(program: &Program, args: &RunArgs) -> Result<u8, String> {
    let scenario = match &args.scenario {
        Some(s) => s.clone(),
        None => match program.catalogue.first() {
            Some((name, _)) => name.to_string(),
            None => return Err("name a scenario file: this system has no built-in one".into()),
        },
    };
    let spec = CaseSpec {
        scenario,
        design: args.design.clone(),
        overrides: args.overrides.clone(),
        plan: args.plan.clone(),
    };
    let source = program.scenario(&spec.scenario)?;
    let mut case = spec.load_from::<R>(&source)?;
    // Situations only watching can see are counted where coverage shows
    // them or --guided steers by them.
    case.watch_situations = args.coverage || args.guided;
    R::check_work(&case, Stage::Run, args.max_work)?;
    let checked = Checked::of::<R>(args)?;
    let shards = commands::Shards::check(
        program,
        &case,
        checked.range,
        &args.shard,
        &args.results,
        args.max_work,
    )?;
    let swarm = match args.swarm {
        true => Some(Swarm::new(&case, &source, args.unbounded)?),
        false => None,
    };
    let draw_budget = match &swarm {
        Some(swarm) => check_draws(swarm, &case, &shards, args)?,
        None => None,
    };
    let results = shards.writer()?;
    interrupt::set_pending(results.temp_path());
    interrupt::on_ctrl_c();
    let seeds = SeedRunner {
        case: &case,
        swarm: swarm.as_ref(),
        check: args.check_determinism.then_some(checked.range),
        draw_budget,
    };
    let mut tally = Tally {
        program,
        case: &case,
        args,
        save: checked.save.as_ref(),
        results,
        coverage: R::coverage(),
        summary: Summary::default(),
        differed: 0,
        failure: None,
        bar: (shards.seed_count() > 1)
            .then(|| progress::bar(u64::try_from(shards.seed_count()).unwrap_or(u64::MAX))),
    };
    let end = stream(&shards, checked.jobs, args.guided, &seeds, &mut tally);
    interrupt::set_pending(None);
    tally.finish(end, shards.seed_count())
}

/// The run's inputs beyond the case, each checked before any work.
struct Checked {
    range: SeedRange,
    jobs: usize,
    save: Option<SaveTarget>,
}

impl Checked {
    /// The seed range (`--seed`, `--seeds`, or `0..20`), the jobs, the
    /// `--save` target; `--guided` needs `--swarm` and refuses `--shard`.
    fn of<R: Rig>(args: &RunArgs) -> Result<Checked, String> {
        let range = match (args.seed, &args.seeds) {
            (Some(s), _) => SeedRange::single(s),
            (None, Some(r)) => SeedRange::parse("--seeds", r)?,
            (None, None) => SeedRange::half_open(0, 20)?,
        };
        let jobs = sweep::jobs(args.jobs)?;
        let save = match &args.save {
            Some(arg) => Some(SaveTarget::check(arg, args.force, R::regression_rules())?),
            None => None,
        };
        if args.guided && !args.swarm {
            return Err("--guided leans --swarm's draws: it needs --swarm".into());
        }
        if args.guided && args.shard.is_some() {
            return Err(format!(
                "--guided cannot run with --shard: the draws of seeds {g}.. lean on what seeds \
                 0..{g} reached (generations of {g}), and a shard would not see the other \
                 shards' seeds",
                g = guided::GENERATION
            ));
        }
        Ok(Checked { range, jobs, save })
    }
}

/// Refuses, before any seed runs, a swarm some seed of which draws a
/// configuration that does not load or is estimated to take more work
/// than `--max-work` allows. Draws are checked one by one for a sweep of
/// at most [`MAX_HELD_SEEDS`] seeds (under `--guided`, only where the
/// rig's bound on every draw exceeds the budget); a longer sweep must
/// have that bound within the budget. Under `--guided` a seed's leaned
/// draw is known only as its generation starts: where the bound exceeds
/// the budget, returns the `--max-work` each leaned draw is checked
/// against as its seed starts.
fn check_draws<R: Rig>(
    swarm: &Swarm<'_, R>,
    case: &Case<R>,
    shards: &commands::Shards,
    args: &RunArgs,
) -> Result<Option<Option<u64>>, String> {
    let bounded = R::check_work(case, Stage::Swarm, args.max_work);
    let count = shards.seed_count();
    if count > u128::from(MAX_HELD_SEEDS) {
        return bounded.map(|()| None).map_err(|over| {
            format!(
                "--swarm over {count} seeds: some draw may exceed the work budget and a sweep \
                 this long is not checked draw by draw ({over}); raise --max-work or narrow the \
                 range"
            )
        });
    }
    if bounded.is_ok() && args.guided {
        return Ok(None);
    }
    for seed in shards.seeds() {
        let drawn = swarm.case(seed)?;
        if bounded.is_err() {
            check_draw_work(&drawn, seed, args.max_work)?;
        }
    }
    Ok((bounded.is_err() && args.guided).then_some(args.max_work))
}

/// Refuses seed `seed`'s swarm draw `drawn` if it is estimated to take
/// more work than `max_work` allows ([`Rig::check_work`]).
fn check_draw_work<R: Rig>(
    drawn: &Case<R>,
    seed: u64,
    max_work: Option<u64>,
) -> Result<(), String> {
    R::check_work(drawn, Stage::Run, max_work).map_err(|e| swarm::refused(seed, &drawn.drawn, e))
}

/// One seed's run: the case itself, or the seed's swarm draw of it
/// (leaned by `--guided`'s bias), on its own plan or `--plan`'s; with
/// `--check-determinism`, run twice in pairs of seeds.
struct SeedRunner<'a, R: Rig> {
    case: &'a Case<R>,
    swarm: Option<&'a Swarm<'a, R>>,
    /// With `--check-determinism`: the sweep's range (seeds are checked in
    /// pairs within it).
    check: Option<SeedRange>,
    /// With `--guided`, where the rig's bound on every draw exceeds the
    /// budget: the `--max-work` each leaned draw is checked against as
    /// its seed starts ([`check_draws`]).
    draw_budget: Option<Option<u64>>,
}

/// A seed's run, the overrides it drew, whether buggify was on, and
/// (with `--check-determinism`) where its two runs differed.
struct Ran<F> {
    run: SeedRun<F>,
    drawn: Vec<String>,
    buggify: bool,
    difference: Option<Difference>,
}

/// The runs one stream item hands over, in seed order (a seed's, or with
/// `--check-determinism` its pair's, or none when its partner leads the
/// pair); or why a draw could not run.
type Runs<F> = Result<Vec<Ran<F>>, String>;

impl<R: Rig> SeedRunner<'_, R> {
    /// Runs `seed` (and with `--check-determinism` its pair's partner, or
    /// nothing if the partner leads the pair).
    fn run(&self, bias: Option<&Bias>, seed: u64) -> Runs<R::Fault> {
        let Some(range) = self.check else {
            return Ok(vec![self.once(bias, seed)?]);
        };
        let partner = seed ^ 1;
        if seed % 2 == 1 && range.contains(partner) {
            return Ok(Vec::new()); // its even partner leads
        }
        let once = |s: u64| match self.once(bias, s) {
            Ok(ran) => {
                let trace = ran.run.output.trace.clone();
                (Ok(ran), trace)
            }
            Err(e) => (Err(e), Trace::new()),
        };
        let both = partner > seed && range.contains(partner);
        determinism::check_pair(&once, seed, partner, both)
            .into_iter()
            .map(|c| {
                c.result.map(|ran| Ran {
                    difference: c.difference,
                    ..ran
                })
            })
            .collect()
    }

    /// One run of `seed`.
    fn once(&self, bias: Option<&Bias>, seed: u64) -> Result<Ran<R::Fault>, String> {
        let swarmed = self.swarm.map(|s| match bias {
            Some(b) => s.leaned(seed, b),
            None => s.case(seed),
        });
        let swarmed = swarmed.transpose()?;
        if let (Some(drawn), Some(max_work)) = (&swarmed, self.draw_budget) {
            check_draw_work(drawn, seed, max_work)?;
        }
        let case = swarmed.as_ref().unwrap_or(self.case);
        Ok(Ran {
            run: case.run_seed(seed),
            drawn: case.drawn.clone(),
            buggify: R::about(&case.scenario).buggify,
            difference: None,
        })
    }
}

/// Runs the shard's seeds, in generations under `--guided`, handing each
/// result to `tally` in seed order.
fn stream<R: Rig>(
    shards: &commands::Shards,
    jobs: usize,
    guided: bool,
    seeds: &SeedRunner<'_, R>,
    tally: &mut Tally<'_, R>,
) -> sweep::StreamEnd {
    let sink = |_, runs| tally.take(runs);
    if guided {
        guided::stream_generations::<R, _>(
            shards.seeds(),
            jobs,
            &interrupt::INTERRUPTED,
            |bias, seed| seeds.run(Some(bias), seed),
            |runs| match runs {
                Ok(runs) => runs.iter().map(|r| (&r.run.outcome, r.buggify)).collect(),
                Err(_) => Vec::new(),
            },
            sink,
        )
    } else {
        sweep::stream_map(
            shards.seeds(),
            jobs,
            &interrupt::INTERRUPTED,
            |&seed| seeds.run(None, seed),
            sink,
        )
    }
}

/// What the run has seen so far, seed by seed: the summary, coverage and
/// results file; it prints each failing seed (with `--explain` and
/// `--shrink`) and each seed whose two runs differed, and stops the run on
/// `--fail-fast` or an error.
struct Tally<'a, R: Rig> {
    program: &'a Program,
    case: &'a Case<R>,
    args: &'a RunArgs,
    save: Option<&'a SaveTarget>,
    results: Results<'a>,
    coverage: Coverage,
    summary: Summary,
    /// Seeds whose two runs differed (`--check-determinism`).
    differed: u64,
    failure: Option<String>,
    /// Progress on stderr, for a sweep of more than one seed.
    bar: Option<ProgressBar>,
}

impl<R: Rig> Tally<'_, R> {
    /// Takes one stream item's runs (in seed order).
    fn take(&mut self, runs: Runs<R::Fault>) -> ControlFlow<()> {
        let judged = runs.and_then(|runs| {
            for ran in runs {
                if self.judge(ran)?.is_break() {
                    return Ok(ControlFlow::Break(()));
                }
            }
            Ok(ControlFlow::Continue(()))
        });
        judged.unwrap_or_else(|e| {
            self.failure = Some(e);
            ControlFlow::Break(())
        })
    }

    fn judge(&mut self, ran: Ran<R::Fault>) -> Result<ControlFlow<()>, String> {
        let Ran {
            run,
            drawn,
            difference,
            ..
        } = ran;
        let seed = run.outcome.seed;
        self.coverage.add(&run.outcome);
        self.results.write(&run.outcome)?;
        self.summary.add(&run.outcome);
        progress::seed_done(self.bar.as_ref(), self.summary.failed);
        let max_work = self.args.max_work;
        let replay = || commands::replay_command(self.program, self.case, seed, &drawn, max_work);
        let mut lines = String::new();
        if !run.outcome.kept_promise() {
            lines.push_str(&format!("{}\n", failure_line(&run.outcome, &replay())));
            if self.args.explain {
                lines.push_str(&story::text(&R::stories(&run, &Filter::default())));
            }
        }
        if let Some(d) = difference {
            self.differed += 1;
            let replay = replay();
            lines.push_str(&format!(
                "seed {seed}: not deterministic: {d}\n  replay: {replay}\n"
            ));
        }
        progress::print_around(self.bar.as_ref(), &lines);
        if run.outcome.kept_promise() {
            return Ok(ControlFlow::Continue(()));
        }
        if self.args.shrink {
            drop(run);
            let opts = crate::triage::shrink::Options::default();
            commands::shrink_and_print(self.program, self.case, seed, &opts, self.save)?;
        }
        Ok(match self.args.fail_fast {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        })
    }

    /// The summary (and coverage) once the seeds have run, and `not
    /// deterministic: N seeds` if some seed's two runs differed; the exit
    /// code: 3 if some differed, else 130 if the sweep was interrupted,
    /// else the summary's.
    fn finish(self, end: sweep::StreamEnd, of: u128) -> Result<u8, String> {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if let Some(e) = self.failure {
            return Err(e);
        }
        let summary = self.summary;
        let stopped = end == sweep::StreamEnd::Stopped;
        let written = match stopped {
            true => Err(self.results.abandon()),
            false => Ok(self.results.finish()),
        };
        println!("{summary}");
        if self.args.coverage {
            println!("{}", self.coverage);
        }
        let code = match written {
            Err(note) => {
                eprintln!(
                    "interrupted by Ctrl-C: {} of {of} seeds ran{note}",
                    summary.seeds
                );
                interrupt::INTERRUPTED_EXIT
            }
            Ok(finished) => {
                finished?;
                summary.exit_code()
            }
        };
        if self.differed > 0 {
            println!("not deterministic: {} seeds", self.differed);
            return Ok(NONDETERMINISTIC_EXIT);
        }
        Ok(code)
    }
}

/// The exit code of a `--check-determinism` sweep in which some seed's
/// two runs differed.
const NONDETERMINISTIC_EXIT: u8 = 3;
