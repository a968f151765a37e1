//! `run`: load and check everything a run needs, then run the seeds on
//! `--jobs` threads and print in seed order: a row of phases, each below.

use super::Program;
use crate::case::{Case, SeedRun};
use crate::commands::{self, Results};
use crate::coverage::Coverage;
use crate::determinism;
use crate::guided::{self, Bias};
use crate::load::CaseSpec;
use crate::rig::{Rig, Stage};
use crate::save_target::SaveTarget;
use crate::seed_range::SeedRange;
use crate::story;
use crate::summary::{failure_line, Summary};
use crate::swarm::Swarm;
use crate::trace_filter::Filter;
use crate::{interrupt, progress, sweep};
use indicatif::ProgressBar;
use std::ops::ControlFlow;

/// Arguments of `run`.
#[derive(clap::Args, Debug)]
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
    /// the run it belongs to) to FILE, atomically, for `merge`.
    #[arg(long, value_name = "FILE", conflicts_with = "check_determinism")]
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
    /// With --seed: shrink the failing seed's plan to the faults that matter.
    #[arg(long, requires = "seed")]
    shrink: bool,
    /// With --shrink: keep the shrunk case as a regression file: a bare
    /// NAME writes ./regressions/NAME.json under the current directory; an
    /// argument with a '/' or ending in .json is the file's path.
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
    /// Run every seed twice (the second time after another seed, on
    /// another thread) and compare the traces event by event.
    #[arg(long)]
    check_determinism: bool,
    /// After the summary: per fault kind, how often it fired, was
    /// effective and struck a record's last copies (a near miss).
    #[arg(long, conflicts_with = "check_determinism")]
    coverage: bool,
    /// Each seed draws its own fault mix and rates, and the system's
    /// swarmable keys, from the scenario's; a failing seed prints what it
    /// drew and a replay that sets exactly that.
    #[arg(long, conflicts_with_all = ["plan", "check_determinism"])]
    swarm: bool,
    /// With --swarm: bias each generation of 50 seeds (in seed order)
    /// toward what the generations before it never reached: situations,
    /// buggify sites, fault kinds that never fired or were never effective
    /// (see the `guided` module). The output is the same for any --jobs;
    /// not with --shard.
    #[arg(long)]
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
    if args.check_determinism {
        let replay = |seed| replay_command(program, &case, args, seed, &[]);
        return Ok(check_determinism(&case, checked.range, &replay));
    }
    let shards =
        commands::Shards::check(program, &spec, checked.range, &args.shard, &args.results)?;
    let results = shards.writer()?;
    interrupt::set_pending(results.temp_path());
    interrupt::on_ctrl_c();
    let swarm = match args.swarm {
        true => Some(Swarm::new(&case, &source)?),
        false => None,
    };
    let seeds = SeedRunner {
        case: &case,
        swarm: swarm.as_ref(),
    };
    let mut tally = Tally {
        program,
        case: &case,
        args,
        save: checked.save.as_ref(),
        results,
        coverage: R::coverage(),
        summary: Summary::default(),
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

/// One seed's run: the case itself, or the seed's swarm draw of it
/// (leaned by `--guided`'s bias), on its own plan or `--plan`'s.
struct SeedRunner<'a, R: Rig> {
    case: &'a Case<R>,
    swarm: Option<&'a Swarm<'a, R>>,
}

/// A seed's run, the overrides it drew and whether buggify was on; or why
/// its draw could not run.
type Ran<F> = Result<(SeedRun<F>, Vec<String>, bool), String>;

impl<R: Rig> SeedRunner<'_, R> {
    fn run(&self, bias: Option<&Bias>, seed: u64) -> Ran<R::Fault> {
        let swarmed = self.swarm.map(|s| match bias {
            Some(b) => s.leaned(seed, b),
            None => s.case(seed),
        });
        let swarmed = swarmed.transpose();
        let swarmed = swarmed.map_err(|e| format!("seed {seed}'s swarm draw: {e}"))?;
        let case = swarmed.as_ref().unwrap_or(self.case);
        let run = case.run_seed(seed);
        Ok((run, case.drawn.clone(), R::about(&case.scenario).buggify))
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
    let sink = |seed, ran| tally.take(seed, ran);
    if guided {
        guided::stream_generations::<R, _>(
            shards.seeds(),
            jobs,
            &interrupt::INTERRUPTED,
            |bias, seed| seeds.run(Some(bias), seed),
            |ran| ran.as_ref().ok().map(|(run, _, b)| (&run.outcome, *b)),
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
/// `--shrink`) and stops the run on `--fail-fast` or an error.
struct Tally<'a, R: Rig> {
    program: &'a Program,
    case: &'a Case<R>,
    args: &'a RunArgs,
    save: Option<&'a SaveTarget>,
    results: Results<'a>,
    coverage: Coverage,
    summary: Summary,
    failure: Option<String>,
    /// Progress on stderr, for a sweep of more than one seed.
    bar: Option<ProgressBar>,
}

impl<R: Rig> Tally<'_, R> {
    /// Takes one seed's result (in seed order).
    fn take(&mut self, seed: u64, ran: Ran<R::Fault>) -> ControlFlow<()> {
        match self.judge(seed, ran) {
            Ok(flow) => flow,
            Err(e) => {
                self.failure = Some(e);
                ControlFlow::Break(())
            }
        }
    }

    fn judge(&mut self, seed: u64, ran: Ran<R::Fault>) -> Result<ControlFlow<()>, String> {
        let (run, drawn, _) = ran?;
        self.coverage.add(&run.outcome);
        self.results.write(&run.outcome)?;
        self.summary.add(&run.outcome);
        progress::seed_done(self.bar.as_ref(), self.summary.failed);
        if run.outcome.kept_promise() {
            return Ok(ControlFlow::Continue(()));
        }
        let replay = replay_command(self.program, self.case, self.args, seed, &drawn);
        let mut lines = format!("{}\n", failure_line(&run.outcome, &replay));
        if self.args.explain {
            lines.push_str(&story::text(&R::stories(&run, &Filter::default())));
        }
        progress::print_around(self.bar.as_ref(), &lines);
        if self.args.shrink {
            drop(run);
            let opts = crate::shrink::Options::default();
            commands::shrink_and_print(self.program, self.case, seed, &opts, self.save)?;
        }
        Ok(match self.args.fail_fast {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        })
    }

    /// The summary (and coverage) once the seeds have run; the exit code.
    fn finish(self, end: sweep::StreamEnd, of: u128) -> Result<u8, String> {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if let Some(e) = self.failure {
            return Err(e);
        }
        let summary = self.summary;
        if end == sweep::StreamEnd::Stopped {
            let note = self.results.abandon();
            println!("{summary}");
            eprintln!(
                "interrupted by Ctrl-C: {} of {of} seeds ran{note}",
                summary.seeds
            );
            return Ok(interrupt::INTERRUPTED_EXIT);
        }
        let written = self.results.finish();
        println!("{summary}");
        if self.args.coverage {
            println!("{}", self.coverage);
        }
        written.map(|()| summary.exit_code())
    }
}

/// The command that replays `seed` of `case` with `drawn` overrides (a
/// swarm seed's) as the rig spells it ([`Rig::replay_command`]), and
/// `--max-work` if the run was given it.
fn replay_command<R: Rig>(
    program: &Program,
    case: &Case<R>,
    args: &RunArgs,
    seed: u64,
    drawn: &[String],
) -> String {
    let mut replay = R::replay_command(program, case, seed, drawn);
    if let Some(units) = args.max_work {
        replay.push_str(&format!(" --max-work {units}"));
    }
    replay
}

/// Runs every seed twice, the second time on a thread that has just run
/// another seed (seeds checked in pairs, `2k` with `2k+1`), and prints
/// what a plain run prints (each failing seed, then the summary) with, for
/// each seed whose two traces differ, its first differing event and its
/// replay; exit 3 if any differed (`not deterministic: N seeds`), else the
/// plain run's code.
fn check_determinism<R: Rig>(
    case: &Case<R>,
    seeds: SeedRange,
    replay: &dyn Fn(u64) -> String,
) -> u8 {
    let run = |seed: u64| {
        let r = case.run_seed(seed);
        (r.outcome, r.output.trace)
    };
    let (mut summary, mut differed) = (Summary::default(), 0u64);
    for seed in seeds.iter() {
        let partner = seed ^ 1;
        if seed % 2 == 1 && seeds.contains(partner) {
            continue; // its even partner leads the pair
        }
        let both = partner > seed && seeds.contains(partner);
        for checked in determinism::check_pair(&run, seed, partner, both) {
            let o = &checked.result;
            if !o.kept_promise() {
                println!("{}", failure_line(o, &replay(o.seed)));
            }
            summary.add(o);
            if let Some(d) = checked.difference {
                differed += 1;
                println!(
                    "seed {}: not deterministic: {d}\n  replay: {}",
                    checked.seed,
                    replay(checked.seed)
                );
            }
        }
    }
    println!("{summary}");
    if differed > 0 {
        println!("not deterministic: {differed} seeds");
        return 3;
    }
    summary.exit_code()
}
