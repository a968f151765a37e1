//! Scenario reports for design reviews: a matrix of scenarios and designs
//! over a range of seeds, written as one directory a reviewer can read
//! (`report.md`), look at (SVG charts) and re-plot (`results.json`).
//!
//! The work is split so that only the command line touches the outside
//! world: [`cases`] checks the arguments and loads every case, [`run`]
//! sweeps the seeds (in parallel, results in seed order) and reruns one
//! representative failing seed per broken cell to explain, shrink and draw
//! it, [`render`] turns that into the files' bytes (a pure function: the
//! same matrix gives the same bytes, the provenance line aside), and
//! [`write_dir`] puts them in place atomically.

pub mod files;
pub mod markdown;
pub mod sharded;
pub mod stats;
pub mod svg;
pub mod timeline;

use crate::explain::{self, Filter};
use crate::output::{self, DirTarget, OutputError};
use crate::runner::{parallel_map, Case, Replay, SeedRun};
use crate::scenario::Scenario;
use crate::seed_range::SeedRange;
use crate::shell::shell_word;
use crate::shrink::{self, Options};
pub use files::{
    exposure_file, file_word, timeline_file, FileNames, LOSS_RATE_FILE, REPORT_MD, RESULTS_JSON,
};
use serde::Serialize;
use sim::outcome::VerdictKind;
use stats::SeedStats;
use std::collections::BTreeMap;
use std::path::Path;
use timeline::Timeline;

/// Why a report could not be made. Every one leaves the output directory
/// as it was.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A scenario could not be loaded or a design is unknown.
    #[error("{0}")]
    Scenario(#[from] crate::scenario::ScenarioError),
    /// Nothing to run.
    #[error("{0}")]
    Arguments(String),
    /// The output directory cannot be written, or may not be replaced.
    #[error("--out {0}")]
    Output(#[from] OutputError),
}

/// What to run and how to describe it.
#[derive(Clone, Debug)]
pub struct Config {
    /// Scenarios as given (catalogue names or paths).
    pub specs: Vec<String>,
    /// Design presets, in the order given.
    pub designs: Vec<String>,
    /// Seeds to sweep in every cell.
    pub seeds: SeedRange,
    /// `--set` overrides applied to every scenario.
    pub overrides: Vec<String>,
    /// Worker threads.
    pub jobs: usize,
    /// The most simulation runs the shrinker may spend per broken cell.
    pub shrink_runs: usize,
    /// The command that regenerates the report, as the report shows it.
    pub command: String,
}

/// Loads one case per scenario and design, scenario-major, refusing a
/// seed range of more seeds than a report holds, no scenario or design, a
/// duplicate, a scenario that does not load and a design that is not a
/// preset. (A seed range is never empty.)
pub fn cases(config: &Config) -> Result<Vec<(String, Case)>, ReportError> {
    config
        .seeds
        .check_held("--seeds")
        .map_err(ReportError::Arguments)?;
    if config.specs.is_empty() {
        return Err(ReportError::Arguments("name at least one scenario".into()));
    }
    if config.designs.is_empty() {
        return Err(ReportError::Arguments(format!(
            "--designs: name at least one design; presets: {}",
            models::design::Design::PRESETS.join(", ")
        )));
    }
    for (i, d) in config.designs.iter().enumerate() {
        if config.designs[..i].contains(d) {
            return Err(ReportError::Arguments(format!(
                "--designs: `{d}` is named twice"
            )));
        }
    }
    let mut out = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for spec in &config.specs {
        let scenario = Scenario::load(spec, &config.overrides)?;
        if names.contains(&scenario.name) {
            return Err(ReportError::Arguments(format!(
                "{spec}: a scenario named `{}` is already in the report",
                scenario.name
            )));
        }
        names.push(scenario.name.clone());
        for d in &config.designs {
            out.push((
                d.clone(),
                crate::runner::case(spec, Some(d), &config.overrides)?,
            ));
        }
    }
    Ok(out)
}

/// One scenario under one design over the seeds.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The design preset as given.
    pub design: String,
    /// The case that ran.
    pub case: Case,
    /// Per seed, in seed order.
    pub seeds: Vec<SeedStats>,
    /// The representative failing seed, if any seed broke the promise.
    pub representative: Option<Representative>,
}

impl Cell {
    /// The scenario's name.
    pub fn scenario(&self) -> &str {
        &self.case.scenario.name
    }
}

/// One failing seed of a cell, told in full.
#[derive(Clone, Debug)]
pub struct Representative {
    /// The seed.
    pub seed: u64,
    /// Its failing verdicts by kind (`lost 64, liveness 8`).
    pub verdicts: String,
    /// The command that replays it.
    pub replay: String,
    /// The record its story follows and that record's verdict, if any
    /// record failed (a liveness-only failure has none).
    pub record: Option<(String, VerdictKind)>,
    /// The explanation of that record.
    pub explanation: String,
    /// The shrunk case, or why it could not be shrunk.
    pub shrunk: Result<ShrinkSummary, String>,
    /// The record's timeline.
    pub timeline: Option<Timeline>,
}

/// What the shrinker made of a representative seed.
#[derive(Clone, Debug)]
pub struct ShrinkSummary {
    /// Faults, handsets and edits before.
    pub before: (usize, u32, usize),
    /// Faults, handsets and edits after.
    pub after: (usize, u32, usize),
    /// Simulation runs spent.
    pub runs: usize,
    /// Whether the plan is 1-minimal (else the run budget ran out).
    pub minimal: bool,
    /// The shrunk plan as TOML (`lastcopy plan` form).
    pub plan: String,
    /// The command that shrinks the seed again (and saves it with `--save`).
    pub command: String,
}

/// What a sweep reports as it goes.
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// One seed of one cell finished.
    Seed,
    /// A broken cell's representative seed is being explained and shrunk.
    Representative {
        /// The scenario.
        scenario: &'a str,
        /// The design.
        design: &'a str,
        /// The seed.
        seed: u64,
    },
}

/// Sweeps every cell over `config.seeds`, then tells one representative
/// failing seed of each broken cell in full.
pub fn run(
    cases: Vec<(String, Case)>,
    config: &Config,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Vec<Cell> {
    let seeds: Vec<u64> = config.seeds.iter().collect();
    let mut cells = sweep(cases, &seeds, config.jobs, progress);
    represent_broken(&mut cells, config, progress);
    cells
}

/// Runs `seeds` of every case (in parallel, results in seed order): the
/// cells without their representatives.
pub fn sweep(
    cases: Vec<(String, Case)>,
    seeds: &[u64],
    jobs: usize,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Vec<Cell> {
    let items: Vec<(usize, u64)> = (0..cases.len())
        .flat_map(|c| seeds.iter().map(move |&s| (c, s)))
        .collect();
    let stats = parallel_map(&items, jobs, |&(c, seed)| {
        let s = SeedStats::of(&cases[c].1.run_seed(seed));
        progress(Progress::Seed);
        s
    });
    let mut cells: Vec<Cell> = cases
        .into_iter()
        .map(|(design, case)| Cell {
            design,
            case,
            seeds: Vec::new(),
            representative: None,
        })
        .collect();
    for ((c, _), s) in items.iter().zip(stats) {
        cells[*c].seeds.push(s);
    }
    cells
}

/// Reruns one representative failing seed of each broken cell to explain,
/// shrink and draw it. Deterministic: the same seeds give the same stories,
/// whether they ran here or in shards elsewhere.
pub fn represent_broken(
    cells: &mut [Cell],
    config: &Config,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) {
    let broken: Vec<(usize, u64)> = cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| representative_seed(&c.seeds).map(|s| (i, s)))
        .collect();
    let reps = parallel_map(&broken, config.jobs, |&(c, seed)| {
        let cell = &cells[c];
        progress(Progress::Representative {
            scenario: cell.scenario(),
            design: &cell.design,
            seed,
        });
        represent(&cell.case, seed, config.shrink_runs)
    });
    for ((c, _), r) in broken.iter().zip(reps) {
        cells[*c].representative = Some(r);
    }
}

/// The representative failing seed: among the failing seeds in which a
/// record failed (else among all failing seeds), the one whose number of
/// failing verdicts is the median (the lower seed on ties), so the story
/// told is a typical one and, where there is one, about a record.
pub fn representative_seed(seeds: &[SeedStats]) -> Option<u64> {
    let failing = seeds.iter().filter(|s| !s.outcome.kept_promise());
    let with_record: Vec<&SeedStats> = failing
        .clone()
        .filter(|s| !s.failing_records.is_empty())
        .collect();
    let pool: Vec<&SeedStats> = if with_record.is_empty() {
        failing.collect()
    } else {
        with_record
    };
    let mut failing: Vec<(usize, u64)> = pool
        .iter()
        .map(|s| (s.outcome.verdicts.len(), s.outcome.seed))
        .collect();
    failing.sort_unstable();
    failing.get(failing.len().checked_sub(1)? / 2).map(|f| f.1)
}

/// Reruns `seed` of `case`, picks the record its story follows (a lost
/// record whose last copy was on the server side, else the shrinker's
/// pick), explains it, draws its timeline and shrinks the seed.
fn represent(case: &Case, seed: u64, shrink_runs: usize) -> Representative {
    let run: SeedRun = case.run_seed(seed);
    let verdicts = &run.outcome.verdicts;
    let lost: Vec<&str> = verdicts
        .iter()
        .filter(|v| v.kind == VerdictKind::Lost)
        .map(|v| v.subject.as_str())
        .collect();
    let chosen = lost
        .iter()
        .find(|r| explain::lineage(&run.output, r).last_copy_on_server_side())
        .or(lost.first())
        .copied();
    let target = shrink::pick_target(&run, chosen);
    let record = target
        .as_ref()
        .ok()
        .filter(|t| explain::RECORD_VERDICTS.contains(&t.kind))
        .map(|t| (t.subject.clone(), t.kind));
    let explanation = match &record {
        Some((r, _)) => harness::triage::story::text(&explain::explain(
            &run.output,
            verdicts,
            &Filter::of_record(r.clone()),
        )),
        None => verdicts
            .iter()
            .map(|v| format!("{} {}: {}\n", v.kind, v.subject, v.detail))
            .collect(),
    };
    let timeline = record
        .as_ref()
        .map(|(r, k)| Timeline::of(&run, &case.design, r, k));
    let replay = case.replay_command(seed);
    let shrunk = match &target {
        Err(e) => Err(e.to_string()),
        Ok(t) => {
            let opts = Options {
                record: Some(t.subject.clone()),
                max_runs: shrink_runs,
                ..Options::default()
            };
            let command = format!(
                "{} --record {}",
                replay.replacen(" -- replay ", " -- shrink ", 1),
                t.subject
            );
            shrink::shrink(case, seed, &opts, &mut |_| {})
                .map_err(|e| e.to_string())
                .and_then(|s| {
                    Ok(ShrinkSummary {
                        before: (
                            s.original.plan.faults.len(),
                            s.original.handsets,
                            s.original.edits(),
                        ),
                        after: (
                            s.shrunk.plan.faults.len(),
                            s.shrunk.handsets,
                            s.shrunk.edits(),
                        ),
                        runs: s.runs,
                        minimal: s.minimal,
                        plan: toml::to_string(&s.shrunk.plan).map_err(|e| e.to_string())?,
                        command,
                    })
                })
        }
    };
    Representative {
        seed,
        verdicts: crate::checker::verdict_summary(&run.outcome),
        replay,
        record,
        explanation,
        shrunk,
        timeline,
    }
}

/// One line of `results.json`: a seed's stats and the cell's design as given.
#[derive(Serialize)]
struct ResultLine<'a> {
    /// The design preset the cell was asked for (`outcome.design` is the
    /// name of the knobs that ran, `custom` if a scenario changed them).
    design_preset: &'a str,
    #[serde(flatten)]
    stats: &'a SeedStats,
}

/// `results.json`: the setup, then one line per seed of every cell,
/// scenario-major, in seed order.
pub fn results_json(cells: &[Cell], config: &Config) -> String {
    let mut scenarios: Vec<&str> = Vec::new();
    for c in cells {
        if !scenarios.contains(&c.scenario()) {
            scenarios.push(c.scenario());
        }
    }
    let mut out = String::from("{\n");
    out.push_str(&format!(
        "\"lastcopy\": {},\n\"scenarios\": {},\n\"designs\": {},\n\"seeds\": {},\n\"overrides\": {},\n\"exposure_bucket_ms\": {},\n\"seed_results\": [\n",
        j(&env!("CARGO_PKG_VERSION")),
        j(&scenarios),
        j(&config.designs),
        j(&config.seeds.to_string()),
        j(&config.overrides),
        stats::HOUR_MS,
    ));
    let lines: Vec<String> = cells
        .iter()
        .flat_map(|c| {
            c.seeds.iter().map(|s| {
                j(&ResultLine {
                    design_preset: &c.design,
                    stats: s,
                })
            })
        })
        .collect();
    out.push_str(&lines.join(",\n"));
    out.push_str("\n]\n}\n");
    out
}

/// Compact JSON of `v`.
fn j<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).expect("report values always serialize")
}

/// Every file of the report, by name: `report.md`, `results.json` and the
/// charts. `provenance` is the one line that may differ between two runs
/// of the same arguments (date, version, commit); `None` leaves it out.
pub fn render(
    cells: &[Cell],
    config: &Config,
    provenance: Option<&str>,
) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let names = FileNames::of(cells);
    let designs = &config.designs;
    let index = |d: &str| designs.iter().position(|x| x == d).unwrap_or(0);
    let bars: Vec<svg::Bar> = cells
        .iter()
        .map(|c| svg::Bar {
            scenario: c.scenario().to_string(),
            design: c.design.clone(),
            design_index: index(&c.design),
            broke: c.seeds.iter().filter(|s| !s.outcome.kept_promise()).count() as u64,
            seeds: c.seeds.len() as u64,
        })
        .collect();
    files.insert(LOSS_RATE_FILE.to_string(), svg::loss_rate(&bars, designs));
    for (scenario, group) in by_scenario(cells) {
        let series: Vec<svg::Series> = group
            .iter()
            .map(|c| svg::Series {
                design: c.design.clone(),
                design_index: index(&c.design),
                per_hour: exposure_per_hour(&c.seeds),
            })
            .collect();
        let heal_ms = group
            .first()
            .map_or(0, |c| c.case.scenario.run.duration.as_millis() as u64);
        files.insert(
            names.exposure(scenario),
            svg::exposure(scenario, &series, designs, heal_ms),
        );
        for c in &group {
            if let Some(t) = c.representative.as_ref().and_then(|r| r.timeline.as_ref()) {
                files.insert(
                    names.timeline(scenario, &c.design),
                    svg::timeline(t, scenario, &c.design),
                );
            }
        }
    }
    files.insert(RESULTS_JSON.into(), results_json(cells, config));
    files.insert(
        REPORT_MD.into(),
        markdown::render(cells, config, &names, provenance),
    );
    files
}

/// The cells grouped by scenario, in report order.
pub fn by_scenario(cells: &[Cell]) -> Vec<(&str, Vec<&Cell>)> {
    let mut out: Vec<(&str, Vec<&Cell>)> = Vec::new();
    for c in cells {
        match out.iter_mut().find(|(s, _)| *s == c.scenario()) {
            Some((_, v)) => v.push(c),
            None => out.push((c.scenario(), vec![c])),
        }
    }
    out
}

/// Per simulated hour: records exposed, on average over `seeds` (a seed
/// whose run ended earlier counts as none exposed).
pub fn exposure_per_hour(seeds: &[SeedStats]) -> Vec<f64> {
    let hours = seeds
        .iter()
        .map(|s| s.exposure_by_hour_record_ms.len())
        .max()
        .unwrap_or(0);
    (0..hours)
        .map(|h| {
            let sum: u64 = seeds
                .iter()
                .filter_map(|s| s.exposure_by_hour_record_ms.get(h))
                .sum();
            sum as f64 / stats::HOUR_MS as f64 / seeds.len().max(1) as f64
        })
        .collect()
}

/// The command that regenerates a report into `out`: `base` (the command
/// less its output) with `--out DIR --force`, the directory quoted as every
/// printed command quotes its words ([`shell_word`]).
pub fn regenerate_command(base: &str, out: &Path) -> String {
    format!(
        "{base} --out {} --force",
        shell_word(&out.display().to_string())
    )
}

/// Checks, before anything runs, that the report directory `out` can be
/// written: it does not exist, or `force` is given and it is a directory
/// lastcopy wrote (or an empty one) that holds none of `inputs` (the files
/// the command reads), and a directory can be made beside it
/// ([`output::check_dir`]).
pub fn check_out<P: AsRef<Path>>(
    out: &Path,
    force: bool,
    inputs: impl IntoIterator<Item = P>,
) -> Result<DirTarget, ReportError> {
    Ok(output::check_dir(out, force, inputs)?)
}

/// Writes `files` as the report directory `target`, atomically, with the
/// marker that lets a later `--force` replace it ([`DirTarget::write`]). On
/// any error the directory is as it was.
pub fn write_dir(target: &DirTarget, files: &BTreeMap<String, String>) -> Result<(), ReportError> {
    Ok(target.write(files)?)
}
