//! `replay SCENARIO --seed S`: one seed run and printed whole
//! ([`crate::triage::replay::render`]); exit 0 if it kept the promise, 1 if not.

use super::CaseArgs;
use crate::cli::Program;
use crate::rig::{Rig, Stage};
use crate::triage::replay::{render, Shown};
use crate::triage::trace_filter::Filter;
use crate::triage::trace_format::TraceFormat;

/// Arguments of `replay`.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    #[command(flatten)]
    case: CaseArgs,
    /// The seed (default for a regression file: its own).
    #[arg(long)]
    seed: Option<u64>,
    /// Run this plan file (from `plan`, or a regression file) instead of
    /// the seed's own.
    #[arg(long, value_name = "FILE")]
    plan: Option<String>,
    /// Tell the story of every record the seed broke the promise on,
    /// instead of printing the raw trace.
    #[arg(long)]
    explain: bool,
    /// Print trace events and story lines as `pretty` text or `json`.
    #[arg(long, value_enum, default_value_t = TraceFormat::Pretty)]
    trace_format: TraceFormat,
    /// Print only events about this node or its stores, named as the
    /// trace names them (`replay` without it shows every name).
    #[arg(long, value_name = "NAME")]
    node: Option<String>,
    /// Print only events and stories about this record, as the trace
    /// writes it.
    #[arg(long, value_name = "ID")]
    record: Option<String>,
}

/// Replays the seed and prints it.
pub(crate) fn replay<R: Rig>(program: &Program, args: &ReplayArgs) -> Result<u8, String> {
    let loaded = args
        .case
        .load::<R>(program, args.seed, args.plan.as_deref(), Stage::Run)?;
    let shown = Shown {
        explain: args.explain,
        filter: Filter {
            node: args.node.clone(),
            record: args.record.clone(),
        },
        format: args.trace_format,
    };
    let case = &loaded.case;
    R::check_filter(&case.scenario, &case.design, &shown.filter).map_err(|e| e.to_string())?;
    let run = loaded.run();
    (shown.filter)
        .check_matched(run.output.trace.events())
        .map_err(|e| e.to_string())?;
    print!(
        "{}",
        render::<R>(case.name(), &case.design_shown, &run, &shown)
    );
    Ok(u8::from(!run.outcome.kept_promise()))
}
