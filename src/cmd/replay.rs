//! `lastcopy replay`: run one seed and print its plan, trace and verdicts;
//! the last line is the trace hash.

use super::case::CaseArgs;
use std::process::ExitCode;

/// Arguments of `lastcopy replay`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Catalogue name or path to a scenario file.
    pub scenario: String,
    #[command(flatten)]
    pub case: CaseArgs,
    /// The seed to replay.
    #[arg(long)]
    pub seed: u64,
}

/// Replays the seed. Exit 0 if it kept the promise, 1 if not.
pub fn execute(args: Args) -> Result<ExitCode, String> {
    let case = args.case.load(&args.scenario)?;
    let seed = args.seed;
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
