//! `replay`: one seed of a case, run and printed whole: its plan (in the
//! form `--plan` reads), its trace (one line per event, in simulated
//! time), its verdicts and, with `--explain`, the story of every record it
//! broke the promise on instead of the raw trace; `--node` and `--record`
//! choose the events and stories shown, `--trace-format json` prints them
//! one JSON object per line ([`crate::triage::trace_format`]). The last line is
//! `trace-hash:` and 16 hex digits, the same on every replay of the seed
//! with the same binary.

use crate::case::SeedRun;
use crate::rig::Rig;
use crate::triage::trace_filter::Filter;
use crate::triage::trace_format::TraceFormat;
use sim::trace::Event;
use std::fmt::Write as _;

/// How a replay shows its run: the story instead of the raw trace, which
/// events and records, in which format. None of it changes the run.
#[derive(Clone, Debug, Default)]
pub struct Shown {
    /// Tell the story of every record the seed broke the promise on
    /// instead of printing the raw trace.
    pub explain: bool,
    /// Only the events (and stories) the filter passes: checked before
    /// the run ([`crate::rig::Rig::check_filter`]) and against the trace
    /// after it ([`Filter::check_matched`]).
    pub filter: Filter,
    /// How events and story lines print.
    pub format: TraceFormat,
}

/// The replay of `run` (of scenario `scenario` under `design`), as printed.
pub fn render<R: Rig>(
    scenario: &str,
    design: &str,
    run: &SeedRun<R::Fault>,
    shown: &Shown,
) -> String {
    let seed = run.outcome.seed;
    let mut out = format!("# plan (scenario {scenario}, design {design}, seed {seed})\n");
    out.push_str(&R::plan_text(&run.plan));
    if !shown.explain {
        let events = run.output.trace.events();
        let passed: Vec<&Event> = events
            .iter()
            .filter(|e| shown.filter.event_matches(e))
            .collect();
        match passed.len() == events.len() {
            true => out.push_str("# trace\n"),
            false => {
                let _ = writeln!(out, "# trace ({} of {} events)", passed.len(), events.len());
            }
        }
        for e in passed {
            let _ = writeln!(out, "{}", shown.format.event_line(e));
        }
    }
    out.push_str("# verdicts\n");
    if run.outcome.verdicts.is_empty() {
        out.push_str("promise kept\n");
    }
    for v in &run.outcome.verdicts {
        let _ = writeln!(out, "{} {}: {}", v.kind, v.subject, v.detail);
    }
    for (k, n) in &run.outcome.findings {
        let _ = writeln!(out, "finding {k}: {n}");
    }
    if shown.explain {
        let stories = R::stories(run, &shown.filter);
        let _ = writeln!(out, "# explanation ({} records)", stories.len());
        out.push_str(&shown.format.stories(&stories));
    }
    let _ = writeln!(out, "trace-hash: {}", run.outcome.trace_hash);
    out
}
