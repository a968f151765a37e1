//! `report.md`: the question, the setup, a results table per scenario, the
//! failures by fault class, fault-class coverage, and one failing seed per
//! broken cell told in full. Numbers are written with fixed precision and
//! every list is in a fixed order, so the same matrix gives the same text.

use super::stats::{atlas_skipped, by_fault_class, coverage, mean_worst, CellTotals, HOUR_MS};
use super::{by_scenario, Cell, Config, FileNames, LOSS_RATE_FILE};
use harness::scenario::duration::span;
use std::fmt::Write;

/// The text of `report.md`, its charts linked by their names in `files`.
/// `provenance`, if given, is written as the second line, and is the only
/// line that depends on when and where the report was made.
pub fn render(
    cells: &[Cell],
    config: &Config,
    files: &FileNames,
    provenance: Option<&str>,
) -> String {
    let mut md = String::new();
    let scenarios = by_scenario(cells);
    let names: Vec<&str> = scenarios.iter().map(|(s, _)| *s).collect();
    let _ = writeln!(md, "# lastcopy report: {}", names.join(", "));
    md.push('\n');
    if let Some(p) = provenance {
        let _ = writeln!(md, "{p}");
        md.push('\n');
    }
    question(&mut md, config);
    setup(&mut md, &scenarios, config);
    results(&mut md, &scenarios);
    fault_classes(&mut md, &scenarios);
    fault_coverage(&mut md, &scenarios);
    exposure(&mut md, &scenarios, files);
    representatives(&mut md, &scenarios, files);
    md
}

fn question(md: &mut String, config: &Config) {
    let _ = writeln!(md, "## The question\n");
    let _ = writeln!(
        md,
        "Does each design keep the promise (no record a user was told is saved is ever lost \
         for good) under the faults of each scenario? Where it does not: on how many seeds, \
         how many records, through which faults, and how does one such loss happen, step by \
         step? Designs compared: {}.\n",
        config
            .designs
            .iter()
            .map(|d| format!("`{d}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

fn setup(md: &mut String, scenarios: &[(&str, Vec<&Cell>)], config: &Config) {
    let _ = writeln!(md, "## Setup\n");
    let seeds = config.seeds.seed_count();
    let _ = writeln!(md, "- lastcopy {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(
        md,
        "- Seeds `{}`: {seeds} per scenario and design; every seed draws its own fault plan and workload and replays bit for bit",
        config.seeds
    );
    let _ = writeln!(
        md,
        "- Designs: {} (knobs in `models/src/design.rs`)",
        config
            .designs
            .iter()
            .map(|d| format!("`{d}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if config.overrides.is_empty() {
        let _ = writeln!(md, "- Overrides: none");
    } else {
        let _ = writeln!(
            md,
            "- Overrides: {}",
            config
                .overrides
                .iter()
                .map(|o| format!("`--set {o}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(md, "- Regenerate: `{}`", config.command);
    for (name, cells) in scenarios {
        let Some(c) = cells.first() else { continue };
        let s = &c.case.scenario;
        let _ = writeln!(
            md,
            "- Scenario `{name}` (`{}`): {} handsets; {} of workload and faults, then a heal phase of at most {}. {}",
            c.case.spec,
            s.topology.handsets,
            span(s.run.duration),
            span(s.run.heal_bound),
            s.description.trim()
        );
    }
    md.push('\n');
}

/// `12.3 h`.
fn hours(ms: f64) -> String {
    format!("{:.1} h", ms / HOUR_MS as f64)
}

fn results(md: &mut String, scenarios: &[(&str, Vec<&Cell>)]) {
    let _ = writeln!(md, "## Results\n");
    for (name, cells) in scenarios {
        let _ = writeln!(md, "### {name}\n");
        let _ = writeln!(
            md,
            "| design | broke the promise | records lost (mean / worst) | rolled back | corrupted | other verdicts | forfeited | liveness failures | recovery time (mean / worst) | exposure, record-hours (mean / worst) |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|");
        for c in cells {
            let t = CellTotals::of(&c.seeds);
            let recovery = match mean_worst(&t.recovery_ms) {
                Some((m, w)) => format!("{} / {}", hours(m), hours(w as f64)),
                None => "n/a".into(),
            };
            let not_converged = t.liveness_seeds;
            let recovery = if not_converged > 0 {
                format!(
                    "{recovery} ({not_converged} of {} never converged)",
                    t.summary.seeds
                )
            } else {
                recovery
            };
            let exposure = match mean_worst(&t.exposure_ms) {
                Some((m, w)) => format!(
                    "{:.1} / {:.1}",
                    m / HOUR_MS as f64,
                    w as f64 / HOUR_MS as f64
                ),
                None => "n/a".into(),
            };
            let liveness = if t.liveness_seeds == 0 {
                "0".to_string()
            } else {
                format!(
                    "{} seeds ({} handsets)",
                    t.liveness_seeds, t.summary.liveness
                )
            };
            let _ = writeln!(
                md,
                "| `{}` | {:.0}% ({}/{}) | {:.1} / {} | {} | {} | {} | {} | {} | {} | {} |",
                c.design,
                t.broke_percent(),
                t.summary.failed,
                t.summary.seeds,
                t.lost_mean(),
                t.lost_worst,
                t.summary.rolled_back,
                t.summary.corrupted,
                t.other,
                t.summary.forfeited,
                liveness,
                recovery,
                exposure
            );
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "Per seed: *broke the promise* is any failing verdict; *records lost* counts records no place \
         serves; *rolled back*, *corrupted*, *other verdicts* and *forfeited* (saved versions the \
         user's own reset wiped before they synced; counted, not a failure) are totals over the \
         seeds; *liveness failures* are seeds whose handsets and server never converged during \
         heal. *Recovery time* runs from the last effective fault (`fault.effective`) to \
         convergence, over the seeds that converged. *Exposure* is the time during which some \
         record's latest acknowledged version had exactly one surviving copy (of itself or of a \
         newer version), summed over records: record-hours per seed.\n"
    );
    let _ = writeln!(
        md,
        "![Share of seeds that broke the promise, per scenario and design]({LOSS_RATE_FILE})\n"
    );
}

fn fault_classes(md: &mut String, scenarios: &[(&str, Vec<&Cell>)]) {
    let _ = writeln!(md, "## Failures by fault class\n");
    let _ = writeln!(
        md,
        "Each failing record (lost, rolled back or corrupted) is counted under the kinds of the \
         effective faults that ended a copy of it.\n"
    );
    for (name, cells) in scenarios {
        let _ = writeln!(md, "### {name}\n");
        let mut any = false;
        let mut table = String::new();
        let _ = writeln!(
            table,
            "| design | fault classes | failing records | share | seeds |"
        );
        let _ = writeln!(table, "|---|---|---|---|---|");
        for c in cells {
            let classes = by_fault_class(&c.seeds);
            let total: u64 = classes.values().map(|(n, _)| n).sum();
            let mut rows: Vec<(&String, &(u64, std::collections::BTreeSet<u64>))> =
                classes.iter().collect();
            rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
            for (class, (n, seeds)) in rows {
                any = true;
                let _ = writeln!(
                    table,
                    "| `{}` | {} | {} | {:.0}% | {} |",
                    c.design,
                    class,
                    n,
                    100.0 * *n as f64 / total as f64,
                    seeds.len()
                );
            }
        }
        if any {
            md.push_str(&table);
        } else {
            let _ = writeln!(md, "No record failed in any seed.");
        }
        md.push('\n');
    }
}

fn fault_coverage(md: &mut String, scenarios: &[(&str, Vec<&Cell>)]) {
    let _ = writeln!(md, "## Fault-class coverage\n");
    let _ = writeln!(
        md,
        "Per fault kind and design, over all seeds: faults fired / faults effective (ended, \
         corrupted or made unreadable a copy of acknowledged data, failed an acknowledged write, \
         or aborted a sync), and in brackets the seeds in which one was effective. `-`: never \
         planned.\n"
    );
    for (name, cells) in scenarios {
        let _ = writeln!(md, "### {name}\n");
        let covs: Vec<_> = cells.iter().map(|c| coverage(&c.seeds)).collect();
        let mut kinds: Vec<String> = models::fault::FAULT_TABLE
            .iter()
            .map(|row| row.name.to_string())
            .collect();
        for cov in &covs {
            for k in cov.keys() {
                if !kinds.contains(k) {
                    kinds.push(k.clone());
                }
            }
        }
        let _ = writeln!(
            md,
            "| fault kind | {} |",
            cells
                .iter()
                .map(|c| format!("`{}`", c.design))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let _ = writeln!(md, "|---|{}", "---|".repeat(cells.len()));
        for k in &kinds {
            let cols: Vec<String> = covs
                .iter()
                .map(|cov| match cov.get(k) {
                    Some([fired, eff, _, eff_seeds]) => {
                        format!("{fired} / {eff} ({eff_seeds})")
                    }
                    None => "-".into(),
                })
                .collect();
            let _ = writeln!(md, "| {k} | {} |", cols.join(" | "));
        }
        let never: Vec<&String> = kinds
            .iter()
            .filter(|k| covs.iter().all(|cov| !cov.contains_key(*k)))
            .collect();
        md.push('\n');
        atlas_skips(md, cells);
        if !never.is_empty() {
            let _ = writeln!(
                md,
                "Not exercised by this scenario: {}.\n",
                never
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
}

/// Per design, the faults the survivable atlas skipped (they would have
/// struck the last copy of acknowledged data), when the scenario runs it:
/// a design that keeps fewer copies gets more skipped, so its clean record
/// there was earned against fewer faults.
fn atlas_skips(md: &mut String, cells: &[&Cell]) {
    if !cells.iter().any(|c| c.case.scenario.faults.survivable) {
        return;
    }
    let cols: Vec<String> = cells
        .iter()
        .map(|c| {
            let (skipped, seeds) = atlas_skipped(&c.seeds);
            format!("`{}` {skipped} (in {seeds} seeds)", c.design)
        })
        .collect();
    let _ = writeln!(
        md,
        "Faults skipped by the survivable atlas (each would have struck the last live copy of \
         acknowledged data; a design that keeps fewer copies gets more skipped): {}.\n",
        cols.join(", ")
    );
}

fn exposure(md: &mut String, scenarios: &[(&str, Vec<&Cell>)], names: &FileNames) {
    let _ = writeln!(md, "## Exposure over time\n");
    let _ = writeln!(
        md,
        "Records with exactly one surviving copy, per simulated hour, on average over the seeds.\n"
    );
    for (name, _) in scenarios {
        let _ = writeln!(
            md,
            "![Exposure over simulated time in {name}]({})\n",
            names.exposure(name)
        );
    }
}

fn representatives(md: &mut String, scenarios: &[(&str, Vec<&Cell>)], names: &FileNames) {
    let _ = writeln!(md, "## Failures, one seed each\n");
    let _ = writeln!(
        md,
        "For each scenario and design that broke the promise: the failing seed with the median \
         number of failing verdicts, the record its story follows (a lost record whose last copy \
         was on the server side, if there is one), its shrunk plan and its explanation.\n"
    );
    let mut any = false;
    for (name, cells) in scenarios {
        for c in cells {
            let Some(r) = &c.representative else {
                continue;
            };
            any = true;
            let _ = writeln!(md, "### {name} / `{}`: seed {}\n", c.design, r.seed);
            let _ = writeln!(md, "Failing verdicts: {}.\n", r.verdicts);
            let _ = writeln!(md, "- Replay: `{}`", r.replay);
            if let Some((record, verdict)) = &r.record {
                let _ = writeln!(md, "- Explain: `{} --explain --record {record}`", r.replay);
                let _ = writeln!(md, "- Story of `{record}` ({verdict}), below");
            }
            match &r.shrunk {
                Ok(s) => {
                    let _ = writeln!(
                        md,
                        "- Shrunk in {} runs{}: {} faults, {} handsets, {} edits → {} faults, {} handsets, {} edits. Again, and `--save NAME` to keep it as a regression: `{}`",
                        s.runs,
                        if s.minimal { " to a 1-minimal plan" } else { " (run budget ran out; not 1-minimal)" },
                        s.before.0,
                        s.before.1,
                        s.before.2,
                        s.after.0,
                        s.after.1,
                        s.after.2,
                        s.command
                    );
                }
                Err(e) => {
                    let _ = writeln!(md, "- Not shrunk: {e}");
                }
            }
            md.push('\n');
            if r.timeline.is_some() {
                let _ = writeln!(
                    md,
                    "![Timeline of seed {} under {}]({})\n",
                    r.seed,
                    c.design,
                    names.timeline(name, &c.design)
                );
            }
            if let Ok(s) = &r.shrunk {
                let _ = writeln!(md, "Shrunk plan:\n\n```toml\n{}```\n", s.plan);
            }
            let _ = writeln!(md, "Explanation:\n\n```text\n{}```\n", r.explanation);
        }
    }
    if !any {
        let _ = writeln!(md, "Every design kept the promise in every seed.\n");
    }
}
