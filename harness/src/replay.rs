//! `replay`: one seed of a case, run and printed whole: its plan (in the
//! form `--plan` reads), its trace (one line per event, in simulated
//! time), its verdicts and, with `--explain`, the story of every record it
//! broke the promise on instead of the raw trace. The last line is
//! `trace-hash:` and 16 hex digits, the same on every replay of the seed
//! with the same binary.

use crate::case::SeedRun;
use crate::explain::explain;
use crate::load::plan_json;
use crate::rig::PlanFault;
use std::fmt::Write as _;

/// The replay of `run` (of scenario `scenario` under `design`), as printed.
pub fn render<F: PlanFault>(
    scenario: &str,
    design: &str,
    run: &SeedRun<F>,
    explained: bool,
) -> String {
    let seed = run.outcome.seed;
    let mut out = format!("# plan (scenario {scenario}, design {design}, seed {seed})\n");
    out.push_str(&plan_json(&run.plan));
    if !explained {
        out.push_str("# trace\n");
        for e in run.output.trace.events() {
            let _ = writeln!(out, "{e}");
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
    if explained {
        out.push_str("# explanation\n");
        out.push_str(&explain(run));
    }
    let _ = writeln!(out, "trace-hash: {}", run.outcome.trace_hash);
    out
}
