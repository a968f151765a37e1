//! The Sidekick's plan files: TOML, as `lastcopy plan` prints a seed's
//! plan, edited and run again with `--plan`. A file is checked against
//! the scenario before anything runs ([`crate::plan_check`]): an error
//! names the file, the line where the failing fault starts, and the
//! fault's id and kind.

use crate::plan_check;
use crate::regression;
use crate::scenario::Scenario;
use models::fault::Fault;
use sim::plan::{Plan, PlannedFault};

/// `plan` as a plan file holds it.
pub fn text(plan: &Plan<Fault>) -> String {
    toml::to_string(plan).expect("a plan serializes to TOML")
}

/// The plan in `text`, the file `path`, checked against `scenario`: a
/// plan file, or a regression file's `faults` (its other keys are the
/// regression's, not the plan's: [`crate::regression`]).
pub fn read(path: &str, text: &str, scenario: &Scenario) -> Result<Plan<Fault>, String> {
    /// A regression file's faults; its other keys are left to it.
    #[derive(serde::Deserialize)]
    struct Faults {
        faults: Vec<PlannedFault<Fault>>,
    }
    let faults = if regression::is_regression_file(path) {
        toml::from_str::<Faults>(text).map(|f| f.faults)
    } else {
        toml::from_str::<Plan<Fault>>(text).map(|p| p.faults)
    };
    let faults = faults.map_err(|e| format!("{path}: {e}"))?;
    check_plan(path, text, &faults, scenario)?;
    Ok(Plan::new(faults))
}

/// Checks the `faults` of the plan file `path` (whose text is `text`), in
/// the order written, naming the file and the line where the failing fault
/// starts.
fn check_plan(
    path: &str,
    text: &str,
    faults: &[PlannedFault<Fault>],
    scenario: &Scenario,
) -> Result<(), String> {
    /// Where each fault is written; its fields are checked elsewhere.
    #[derive(serde::Deserialize)]
    struct Spans {
        faults: Vec<toml::Spanned<serde::de::IgnoredAny>>,
    }
    let Err(e) = plan_check::check(faults, scenario) else {
        return Ok(());
    };
    let line = toml::from_str::<Spans>(text)
        .ok()
        .and_then(|s| s.faults.get(e.index).map(|f| f.span().start))
        .map(|start| text[..start].matches('\n').count() + 1);
    Err(match line {
        Some(line) => format!("{path}:{line}: {e}"),
        None => format!("{path}: {e}"),
    })
}
