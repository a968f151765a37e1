//! A report's sweep split into shards that run anywhere, and merged back
//! into the very report one unsharded run writes.
//!
//! `report ... --shard K/N --results FILE` runs, in every cell, the seeds
//! whose index in the range is K mod N (as `run --shard` does) and writes one
//! JSON line per cell and seed: the seed's [`SeedStats`], the cell's design
//! as given, and the report's arguments. `merge FILE... --out DIR` checks
//! that the lines come from one report and cover every cell's seeds exactly
//! once (with the checks of a run's shards, [`crate::shard::merge`]),
//! reloads the cases, reruns each broken cell's representative seed (runs
//! are deterministic, so it tells the same story) and renders the same files.

use super::stats::SeedStats;
use super::{Cell, Config};
use crate::shard::{self, ResultLine, RunInfo, Shard};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The report a results line belongs to: its arguments and the line's shard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRun {
    /// Scenarios as given.
    pub specs: Vec<String>,
    /// Design presets as given.
    pub designs: Vec<String>,
    /// First seed of every cell's range.
    pub seeds_start: u64,
    /// End of every cell's range (excluded).
    pub seeds_end: u64,
    /// `--set` overrides.
    pub overrides: Vec<String>,
    /// The shrinker's run budget per broken cell.
    pub shrink_runs: usize,
    /// The command that regenerates the report, less its `--out DIR --force`.
    pub command: String,
    /// This line's shard: K.
    pub shard: u32,
    /// How many shards the report has: N.
    pub shards: u32,
}

impl ReportRun {
    /// The run of `shard` of the report `config` describes; `command` is
    /// the regenerating command without its `--out`.
    pub fn new(config: &Config, command: &str, shard: Shard) -> Self {
        ReportRun {
            specs: config.specs.clone(),
            designs: config.designs.clone(),
            seeds_start: config.seeds.start,
            seeds_end: config.seeds.end,
            overrides: config.overrides.clone(),
            shrink_runs: config.shrink_runs,
            command: command.to_string(),
            shard: shard.index,
            shards: shard.count,
        }
    }

    /// The same run with the shard left out: equal for every shard of one report.
    fn key(&self) -> ReportRun {
        ReportRun {
            shard: 0,
            ..self.clone()
        }
    }
}

/// One line of a report's results file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLine {
    /// The cell's design preset as given.
    pub design_preset: String,
    /// The seed's stats (their keys are the line's top-level keys).
    #[serde(flatten)]
    pub stats: SeedStats,
    /// The report and shard it came from.
    pub report: ReportRun,
}

/// The results file of a report shard: one line per cell and seed.
pub fn render(cells: &[Cell], run: &ReportRun) -> String {
    shard::json_lines(cells.iter().flat_map(|cell| {
        cell.seeds.iter().map(|stats| ReportLine {
            design_preset: cell.design.clone(),
            stats: stats.clone(),
            report: run.clone(),
        })
    }))
}

/// Whether a results file's text comes from `report --shard` (rather than
/// `run --shard`): its first line has a `report` key.
pub fn is_report_results(text: &str) -> bool {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .is_some_and(|v| v.get("report").is_some())
}

/// Parses a report shard's results file; `name` names it in errors.
pub fn parse(name: &str, text: &str) -> Result<Vec<ReportLine>, String> {
    shard::parse_json_lines(name, text, "report results line")
}

/// Merges report shards (`(name, lines)` per file) into the report's
/// configuration and its cells, without representatives. `jobs` and `out`
/// are the merge's own; the lines give everything else. Errors if the lines
/// come from different reports, a cell's seed is missing, repeated or in the
/// wrong shard, or a line belongs to no cell of the report.
pub fn merge(
    files: &[(String, Vec<ReportLine>)],
    jobs: usize,
    out: &std::path::Path,
) -> Result<(Config, Vec<Cell>), String> {
    let Some((first_file, first)) = files
        .iter()
        .find_map(|(n, lines)| lines.first().map(|l| (n, l)))
    else {
        return Err("no results: the files hold no seed".into());
    };
    let run = first.report.key();
    for (name, lines) in files {
        if let Some(l) = lines.iter().find(|l| l.report.key() != run) {
            return Err(format!(
                "{name} and {first_file} come from different reports: `{}` seeds {}..{} and `{}` seeds {}..{}",
                l.report.command,
                l.report.seeds_start,
                l.report.seeds_end,
                run.command,
                run.seeds_start,
                run.seeds_end
            ));
        }
    }
    let config = Config {
        specs: run.specs.clone(),
        designs: run.designs.clone(),
        seeds: run.seeds_start..run.seeds_end,
        overrides: run.overrides.clone(),
        jobs,
        shrink_runs: run.shrink_runs,
        command: super::regenerate_command(&run.command, out),
    };
    let cases = super::cases(&config).map_err(|e| e.to_string())?;
    for (name, lines) in files {
        if let Some(l) = lines
            .iter()
            .find(|l| !cases.iter().any(|(d, c)| in_cell(l, d, &c.scenario.name)))
        {
            return Err(format!(
                "{name}: seed {} of scenario {} under {} belongs to no cell of this report",
                l.stats.outcome.seed, l.stats.outcome.scenario, l.design_preset
            ));
        }
    }
    let mut cells = Vec::new();
    for (design, case) in cases {
        let name = &case.scenario.name;
        let of_cell = |lines| cell_lines(lines, &design, name);
        // A cell's lines are checked as one run's shards are.
        let as_run: Vec<(String, Vec<ResultLine>)> = files
            .iter()
            .map(|(file, lines)| {
                let lines = of_cell(lines)
                    .into_iter()
                    .map(|l| ResultLine {
                        outcome: l.stats.outcome.clone(),
                        run: RunInfo {
                            spec: case.spec.clone(),
                            design_arg: Some(design.clone()),
                            plan: None,
                            seeds_start: l.report.seeds_start,
                            seeds_end: l.report.seeds_end,
                            shard: l.report.shard,
                            shards: l.report.shards,
                        },
                    })
                    .collect();
                (file.clone(), lines)
            })
            .collect();
        shard::merge(&as_run).map_err(|e| format!("{name} under {design}: {e}"))?;
        // Merged, the cell's lines cover its seeds once each: in seed order,
        // they are its stats.
        let by_seed: BTreeMap<u64, &SeedStats> = files
            .iter()
            .flat_map(|(_, lines)| of_cell(lines))
            .map(|l| (l.stats.outcome.seed, &l.stats))
            .collect();
        let seeds = by_seed.into_values().cloned().collect();
        cells.push(Cell {
            design,
            case,
            seeds,
            representative: None,
        });
    }
    Ok((config, cells))
}

/// Whether `line` belongs to the cell of `scenario` under `design`.
fn in_cell(line: &ReportLine, design: &str, scenario: &str) -> bool {
    line.design_preset == design && line.stats.outcome.scenario == scenario
}

/// The lines of the cell of `scenario` under `design`.
fn cell_lines<'a>(lines: &'a [ReportLine], design: &str, scenario: &str) -> Vec<&'a ReportLine> {
    lines
        .iter()
        .filter(|l| in_cell(l, design, scenario))
        .collect()
}
