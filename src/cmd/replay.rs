//! `lastcopy replay`: run one seed and print its plan, trace and verdicts;
//! with `--explain`, the lineage of every failing record in words instead
//! of the raw trace. The last line is the trace hash, which filters and
//! formats never change: they only choose what is printed.

use super::case::CaseArgs;
use harness::trace_format::TraceFormat;
use lastcopy::explain::{self, Explanation, Filter};
use lastcopy::regression::{self, Regression};
use lastcopy::runner::Case;
use lastcopy::trace_filter;
use sim::trace::Event;
use std::io::Write;
use std::process::ExitCode;

/// Arguments of `lastcopy replay`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Catalogue name, path to a scenario file, or a regression file
    /// (scenarios/regressions/NAME.toml: its design, seed, plan and workload).
    pub scenario: String,
    #[command(flatten)]
    pub case: CaseArgs,
    /// The seed to replay (default for a regression file: its own).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Explain every failing record: its versions, every copy that held
    /// it, what ended each copy and how the last one ended (replaces the
    /// raw trace in the output).
    #[arg(long)]
    pub explain: bool,
    /// Print trace events and explanation lines as `pretty` text or `json`.
    #[arg(long, value_enum, default_value_t = TraceFormat::Pretty)]
    pub trace_format: TraceFormat,
    /// Print only events about this node or its stores (`handset-3`,
    /// `array-a`, `db-primary`).
    #[arg(long, value_name = "NAME")]
    pub node: Option<String>,
    /// Print only events and explanations about this record (`u17/contact-3`).
    #[arg(long, value_name = "ID")]
    pub record: Option<String>,
}

/// Loads the case named by `spec`: a regression file (its design unless
/// `--design`, its plan unless `--plan`, its workload, `--set` applied to
/// its scenario), or a scenario with the usual arguments. Returns the case
/// and the regression's own seed, if any.
pub fn load_case(spec: &str, args: &CaseArgs) -> Result<(Case, Option<u64>), String> {
    if !regression::is_regression_file(spec) {
        return Ok((args.load(spec)?, None));
    }
    let reg = Regression::load(spec, &args.set).map_err(|e| e.to_string())?;
    let mut case = reg
        .case(args.design.as_deref())
        .map_err(|e| e.to_string())?;
    case.overrides = args.set.clone();
    if let Some(path) = &args.plan {
        case.plan = Some((path.clone(), super::case::read_plan(path, &case.scenario)?));
    }
    args.check_budget(&case)?;
    Ok((case, Some(reg.seed)))
}

/// Replays the seed. Exit 0 if it kept the promise, 1 if not.
pub fn execute(args: Args) -> Result<ExitCode, String> {
    let (case, own_seed) = load_case(&args.scenario, &args.case)?;
    let seed = args
        .seed
        .or(own_seed)
        .ok_or("--seed is required (the seed to replay)")?;
    let filter = Filter {
        node: args.node.clone(),
        record: args.record.clone(),
    };
    trace_filter::check(&filter, &case.scenario).map_err(|e| e.to_string())?;
    let run = case.run_seed(seed);
    let events = run.output.trace.events();
    filter.check_matched(events).map_err(|e| e.to_string())?;
    println!(
        "# plan (scenario {}, design {}, seed {seed})",
        case.scenario.name,
        case.design.name()
    );
    print!("{}", lastcopy::plan_file::text(&run.plan));
    if !args.explain {
        let shown: Vec<&Event> = events.iter().filter(|e| filter.event_matches(e)).collect();
        if shown.len() == events.len() {
            println!("# trace");
        } else {
            println!("# trace ({} of {} events)", shown.len(), events.len());
        }
        print_trace(&shown, args.trace_format)?;
    }
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
    if args.explain {
        let x = explain::explain(&run.output, &run.outcome.verdicts, &filter);
        println!("# explanation ({} records)", x.records.len());
        print_explanation(&x, args.trace_format);
    }
    println!("trace-hash: {}", run.outcome.trace_hash);
    Ok(if run.outcome.kept_promise() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs `f` with a tracing subscriber that writes each event as one JSON
/// object (tracing-subscriber's flattened shape) to stdout.
fn with_json(f: impl FnOnce()) {
    let json = tracing_subscriber::fmt()
        .with_writer(std::io::stdout)
        .without_time()
        .with_target(false)
        .with_level(false)
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .finish();
    tracing::subscriber::with_default(json, f);
}

/// Prints the trace, one line per event in `format`
/// ([`TraceFormat::event_line`]).
fn print_trace(events: &[&Event], format: TraceFormat) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    for e in events {
        writeln!(out, "{}", format.event_line(e)).map_err(|e| format!("writing the trace: {e}"))?;
    }
    Ok(())
}

/// Prints the explanation: as its text, or one JSON object per line.
fn print_explanation(x: &Explanation, format: TraceFormat) {
    if format == TraceFormat::Pretty {
        print!("{x}");
        return;
    }
    with_json(|| {
        for r in &x.records {
            let rec = r.record.as_str();
            tracing::info!(
                record = rec,
                part = "verdict",
                verdict = %r.verdict.kind,
                "{}",
                r.verdict.detail
            );
            for l in &r.lines {
                tracing::info!(
                    record = rec,
                    part = "line",
                    at = %l.at,
                    at_ms = l.at.as_millis(),
                    node = %l.node,
                    "{}",
                    l.text
                );
            }
            tracing::info!(record = rec, part = "at-check", "{}", r.at_check);
            tracing::info!(record = rec, part = "faults", "{}", r.faults);
            tracing::info!(record = rec, part = "last-copy", "{}", r.last_copy);
        }
    });
}
