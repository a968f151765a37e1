//! The `lastcopy` command line: run, replay and list scenarios.
//!
//! Exit codes: 0 every seed kept the promise; 1 some seed broke it;
//! 2 bad input (nothing was run).

use clap::{Parser, Subcommand};
use lastcopy::runner::{Case, Summary};
use lastcopy::scenario::{Scenario, CATALOGUE};
use models::design::Design;
use models::fault::Fault;
use sim::plan::Plan;
use std::ops::Range;
use std::process::ExitCode;

/// Deterministic fault-injection simulation of a sync system: checks that no
/// record a user was told is saved is ever lost for good.
#[derive(Parser, Debug)]
#[command(name = "lastcopy", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Debug, Clone)]
struct CaseArgs {
    /// Design preset to run (see `lastcopy list`); default: the scenario's.
    #[arg(long)]
    design: Option<String>,
    /// Override a scenario key: `--set faults.upgrades=[]`, `--set design.digest_sync=false`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Run this saved fault plan (TOML, as `lastcopy plan` prints) instead of drawing one.
    #[arg(long, value_name = "FILE")]
    plan: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario over a range of seeds and report seeds that broke the promise.
    Run {
        /// Catalogue name or path to a scenario file (default: sidekick-2009).
        scenario: Option<String>,
        #[command(flatten)]
        case: CaseArgs,
        /// Run only this seed.
        #[arg(long, conflicts_with = "seeds")]
        seed: Option<u64>,
        /// Seeds A..B (B excluded). Default: 0..20.
        #[arg(long, value_name = "A..B")]
        seeds: Option<String>,
        /// Seeds run in parallel (default: available cores). Output is the same for any value.
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Replay one seed: print its plan, its trace and its verdicts.
    Replay {
        /// Catalogue name or path to a scenario file.
        scenario: String,
        #[command(flatten)]
        case: CaseArgs,
        /// The seed to replay.
        #[arg(long)]
        seed: u64,
    },
    /// Print the fault plan a seed draws, as TOML that `--plan` accepts.
    Plan {
        /// Catalogue name or path to a scenario file.
        scenario: String,
        /// The seed.
        #[arg(long)]
        seed: u64,
        /// Overrides, as for `run`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// List the scenario catalogue and the design presets, one per line.
    List,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn execute(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::List => {
            for (name, _) in CATALOGUE {
                println!("scenario {name}");
            }
            for name in Design::PRESETS {
                println!("design {name}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan {
            scenario,
            seed,
            set,
        } => {
            let sc = Scenario::load(&scenario, &set).map_err(|e| e.to_string())?;
            let plan = lastcopy::planner::plan(&sc, seed);
            print!("{}", toml::to_string(&plan).map_err(|e| e.to_string())?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            scenario,
            case,
            seed,
            seeds,
            jobs,
        } => {
            let case = load_case(scenario.as_deref().unwrap_or("sidekick-2009"), &case)?;
            let range = match (seed, seeds) {
                (Some(s), _) => s..s + 1,
                (None, Some(r)) => parse_range(&r)?,
                (None, None) => 0..20,
            };
            let jobs = match jobs {
                Some(0) => return Err("--jobs must be at least 1".into()),
                Some(j) => j,
                None => std::thread::available_parallelism().map_or(1, |n| n.get()),
            };
            let outcomes = case.sweep(range, jobs);
            for o in outcomes.iter().filter(|o| !o.kept_promise()) {
                let mut kinds: Vec<String> = Vec::new();
                for k in lastcopy::checker::VERDICT_KINDS {
                    let n = o.verdict_count(k);
                    if n > 0 {
                        kinds.push(format!("{k} {n}"));
                    }
                }
                println!(
                    "seed {}: broke the promise ({}); replay: {}",
                    o.seed,
                    kinds.join(", "),
                    case.replay_command(o.seed)
                );
            }
            let summary = Summary::of(&outcomes);
            println!("{summary}");
            Ok(if summary.failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Replay {
            scenario,
            case,
            seed,
        } => {
            let case = load_case(&scenario, &case)?;
            let run = case.run_seed(seed);
            println!(
                "# plan (scenario {}, design {}, seed {seed})",
                case.scenario.name,
                case.design.name()
            );
            print!("{}", toml::to_string(&run.plan).map_err(|e| e.to_string())?);
            println!("# trace");
            print_trace(run.output.trace.events());
            println!("# verdicts");
            if run.outcome.verdicts.is_empty() {
                println!("promise kept");
            }
            for v in &run.outcome.verdicts {
                println!("{} {}: {}", v.kind, v.subject, v.detail);
            }
            for (k, n) in &run.outcome.findings {
                println!("finding {k}: {n}");
            }
            println!("trace-hash: {}", run.outcome.trace_hash);
            Ok(if run.outcome.kept_promise() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// Renders the trace through tracing-subscriber, one line per event.
fn print_trace(events: &[sim::trace::Event]) {
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stdout)
        .without_time()
        .with_target(false)
        .with_level(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        for e in events {
            tracing::info!("{e}");
        }
    });
}

fn load_case(spec: &str, args: &CaseArgs) -> Result<Case, String> {
    let scenario = Scenario::load(spec, &args.set).map_err(|e| e.to_string())?;
    let design = scenario
        .design(args.design.as_deref())
        .map_err(|e| e.to_string())?;
    let plan = match &args.plan {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            let plan: Plan<Fault> = toml::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
            Some((path.clone(), Plan::new(plan.faults)))
        }
        None => None,
    };
    Ok(Case {
        spec: spec.to_string(),
        scenario,
        design_arg: args.design.clone(),
        design,
        overrides: args.set.clone(),
        plan,
    })
}

fn parse_range(s: &str) -> Result<Range<u64>, String> {
    let bad = || format!("--seeds {s:?}: expected A..B with A < B, e.g. 0..100");
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let (a, b): (u64, u64) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if a >= b {
        return Err(format!(
            "--seeds {s:?}: the range is empty (A..B excludes B)"
        ));
    }
    Ok(a..b)
}
