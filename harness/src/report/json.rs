//! The report's `results.json`: what it is of, each cell's totals and
//! shrunk seed, and every seed's outcome, for re-plotting. Key order is
//! fixed, so the same report gives the same bytes.

use super::{Cell, Config, Totals};
use crate::rig::Rig;
use serde::Serialize;
use sim::outcome::SeedOutcome;

#[derive(Serialize)]
struct Results<'a> {
    scenarios: &'a [String],
    designs: &'a [String],
    seeds: String,
    overrides: &'a [String],
    cells: Vec<CellJson<'a>>,
}

#[derive(Serialize)]
struct CellJson<'a> {
    scenario: &'a str,
    design: &'a str,
    totals: Totals,
    shrunk: Option<ShrunkJson<'a>>,
    seed_results: Vec<&'a SeedOutcome>,
}

#[derive(Serialize)]
struct ShrunkJson<'a> {
    seed: u64,
    faults_before: usize,
    plan: &'a [String],
}

/// `results.json` of `cells`, one JSON document ending in a newline.
pub fn render<R: Rig>(cells: &[Cell<R>], config: &Config) -> String {
    let results = Results {
        scenarios: &config.scenarios,
        designs: &config.designs,
        seeds: format!("{}..{}", config.seeds.start, config.seeds.end),
        overrides: &config.overrides,
        cells: cells
            .iter()
            .map(|c| CellJson {
                scenario: c.case.name(),
                design: &c.case.design_shown,
                totals: c.totals(),
                shrunk: c.shrunk.as_ref().map(|s| ShrunkJson {
                    seed: s.seed,
                    faults_before: s.faults.0,
                    plan: &s.plan,
                }),
                seed_results: c.seeds.iter().map(|r| &r.outcome).collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&results).expect("a report serializes") + "\n"
}
