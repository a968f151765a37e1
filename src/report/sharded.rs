//! A report's sweep split into shards that run anywhere, and merged back
//! into the very report one unsharded run writes.
//!
//! `report ... --shard K/N --results FILE` runs, in every cell, the seeds
//! whose index in the range is K mod N (as `run --shard` does) and writes one
//! JSON line per cell and seed: the seed's [`SeedStats`], the cell's design
//! as given, and the report's arguments. `merge FILE... --out DIR` checks
//! that the lines come from one report and cover every cell's seeds exactly
//! once (with the checks of a run's shards, [`harness::sweep::merge::merge_lines`]),
//! reloads the cases, reruns each broken cell's representative seed (runs
//! are deterministic, so it tells the same story) and renders the same files.

use super::stats::SeedStats;
use super::{Cell, Config};
use crate::build_identity::BuildIdentity;
use crate::seed_range::{SeedRange, MAX_HELD_SEEDS};
use crate::shard::{self, ResultsFile, Shard};
use harness::sweep::merge::{merge_lines, same_case, ShardLine};
use serde::{Deserialize, Serialize};
use sim::outcome::SeedOutcome;
use std::collections::BTreeMap;

/// The report a results line belongs to: its arguments and the line's shard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRun {
    /// Scenarios as given.
    pub specs: Vec<String>,
    /// Design presets as given.
    pub designs: Vec<String>,
    /// Every cell's seed range.
    pub seeds: SeedRange,
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
            seeds: config.seeds,
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
    /// The build that ran it (`version` and `commit`, top-level keys).
    #[serde(flatten)]
    pub build: BuildIdentity,
    /// The report and shard it came from.
    pub report: ReportRun,
}

/// The results file of a report shard: one line per cell and seed.
pub fn render(cells: &[Cell], run: &ReportRun) -> String {
    let build = BuildIdentity::current();
    shard::json_lines(cells.iter().flat_map(|cell| {
        cell.seeds.iter().map(|stats| ReportLine {
            design_preset: cell.design.clone(),
            stats: stats.clone(),
            build: build.clone(),
            report: run.clone(),
        })
    }))
}

/// The most lines a report shard's file may hold: every cell's seeds, at
/// most [`MAX_HELD_SEEDS`] each, for `cells` cells.
pub fn max_lines(cells: u64) -> u64 {
    MAX_HELD_SEEDS.saturating_mul(cells.max(1))
}

/// Parses a report shard's results file.
pub fn parse(file: &ResultsFile) -> Result<Vec<ReportLine>, String> {
    file.parse("report results line")
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
    run.seeds.check_held(&format!("{first_file}: seeds"))?;
    for (name, lines) in files {
        if let Some(l) = lines.iter().find(|l| l.build != first.build) {
            return Err(format!(
                "{name} and {first_file} come from different builds: {} and {}; \
                 merge the shards of one build",
                l.build, first.build
            ));
        }
        if let Some(l) = lines.iter().find(|l| l.report.key() != run) {
            return Err(format!(
                "{name} and {first_file} come from different reports: `{}` seeds {} and `{}` seeds {}",
                l.report.command, l.report.seeds, run.command, run.seeds
            ));
        }
    }
    let config = Config {
        specs: run.specs.clone(),
        designs: run.designs.clone(),
        seeds: run.seeds,
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
        let as_run: Vec<(String, Vec<ReportLine>)> = files
            .iter()
            .map(|(file, lines)| (file.clone(), of_cell(lines).into_iter().cloned().collect()))
            .collect();
        merge_lines(&as_run).map_err(|e| format!("{name} under {design}: {e}"))?;
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

/// A report's line as one of its cell's shards: the cell's lines merge
/// with the checks of a run's shards.
impl ShardLine for ReportLine {
    type Build = BuildIdentity;
    type Run = ReportRun;
    fn run(&self) -> &ReportRun {
        &self.report
    }
    fn outcome(&self) -> &SeedOutcome {
        &self.stats.outcome
    }
    fn build(&self) -> &BuildIdentity {
        &self.build
    }
    fn place(&self) -> (SeedRange, u32, u32) {
        (self.report.seeds, self.report.shard, self.report.shards)
    }
    fn same_run(&self, other: &Self) -> bool {
        self.report.key() == other.report.key()
            && self.design_preset == other.design_preset
            && same_case(&self.stats.outcome, &other.stats.outcome)
    }
    fn describe(&self) -> String {
        let o = &self.stats.outcome;
        format!(
            "`{}` seeds {}: {} under {} in {} shards",
            self.report.command,
            self.report.seeds,
            o.scenario,
            self.design_preset,
            self.report.shards
        )
    }
}
