//! The report's `README.md`: the setup, the results table per scenario and
//! design, failures by fault class, and for each design that broke the
//! promise a shrunk plan with its lost record's lineage.

use super::{Cell, Config, Totals};
use crate::rig::Rig;
use sim::outcome::VerdictKind;
use std::fmt::Write as _;

/// `README.md` of `cells`.
pub fn render<R: Rig>(cells: &[Cell<R>], config: &Config) -> String {
    let mut out = String::new();
    let names: Vec<&str> = scenario_names(cells);
    let _ = writeln!(out, "# lastcopy report: {}\n", names.join(", "));
    if let Some(p) = &config.provenance {
        let _ = writeln!(out, "{p}\n");
    }
    setup(&mut out, cells, config);
    results(&mut out, cells);
    by_fault_class(&mut out, cells);
    shrunk(&mut out, cells, config);
    out
}

/// Each scenario's name once, in the order given.
fn scenario_names<R: Rig>(cells: &[Cell<R>]) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for c in cells {
        if !names.contains(&c.case.name()) {
            names.push(c.case.name());
        }
    }
    names
}

fn code_list(items: &[String]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn setup<R: Rig>(out: &mut String, cells: &[Cell<R>], config: &Config) {
    let seeds = &config.seeds;
    let _ = writeln!(out, "## Setup\n");
    let _ = writeln!(
        out,
        "- Seeds `{}..{}`: {} per scenario and design; each seed draws its own fault plan and workload and replays bit for bit",
        seeds.start,
        seeds.end,
        seeds.end - seeds.start
    );
    let _ = writeln!(out, "- Designs: {}", code_list(&config.designs));
    let _ = writeln!(out, "- Overrides: {}", code_list(&config.overrides));
    let _ = writeln!(out, "- Regenerate: `{}`", config.command);
    for name in scenario_names(cells) {
        let Some(c) = cells.iter().find(|c| c.case.name() == name) else {
            continue;
        };
        let s = R::about(&c.case.scenario);
        let _ = writeln!(
            out,
            "- Scenario `{name}`: workload and faults for {}, then a heal phase of at most {}. {}",
            crate::scenario::duration::span(s.duration),
            crate::scenario::duration::span(s.heal_bound),
            s.description
        );
    }
    out.push('\n');
}

fn results<R: Rig>(out: &mut String, cells: &[Cell<R>]) {
    let _ = writeln!(out, "## Results\n");
    let _ = writeln!(
        out,
        "| scenario | design | seeds | broke the promise | records lost | rolled back | corrupted | resurrected | other verdicts | liveness |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
    for c in cells {
        let t = c.totals();
        let v = |k: VerdictKind| t.verdicts.get(&k).copied().unwrap_or(0);
        let other = v(VerdictKind::LostUpdate) + v(VerdictKind::Leaked);
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} ({}%) | {} | {} | {} | {} | {} | {} seeds |",
            c.case.name(),
            c.case.design_shown,
            t.seeds,
            t.failed,
            percent(t.failed, t.seeds),
            v(VerdictKind::Lost),
            v(VerdictKind::RolledBack),
            v(VerdictKind::Corrupted),
            v(VerdictKind::Resurrected),
            other,
            t.liveness_seeds
        );
    }
    let _ = writeln!(
        out,
        "\nRecords per verdict, summed over the seeds; *other verdicts* are lost updates and leaks; *liveness* counts the seeds whose places never converged during heal.\n"
    );
}

/// `n` as a whole percentage of `of` (0 of nothing).
fn percent(n: u64, of: u64) -> u64 {
    (100 * n + of / 2).checked_div(of).unwrap_or(0)
}

fn by_fault_class<R: Rig>(out: &mut String, cells: &[Cell<R>]) {
    let _ = writeln!(out, "## Failures by fault class\n");
    let _ = writeln!(
        out,
        "Each failing record counted under the fault that ended the last copy of its latest acknowledged version, as `--explain` tells it.\n"
    );
    let rows: Vec<(&Cell<R>, Totals)> = cells
        .iter()
        .map(|c| (c, c.totals()))
        .filter(|(_, t)| !t.blamed.is_empty())
        .collect();
    if rows.is_empty() {
        let _ = writeln!(out, "No record failed.\n");
        return;
    }
    let _ = writeln!(
        out,
        "| scenario | design | last copy ended by | class | failing records | share | seeds |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for (c, t) in rows {
        let all: u64 = t.blamed.values().map(|(n, _)| n).sum();
        let mut blamed: Vec<_> = t.blamed.iter().collect();
        blamed.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(b.0)));
        for (b, (n, seeds)) in blamed {
            let _ = writeln!(
                out,
                "| {} | `{}` | {b} | {} | {n} | {}% | {seeds} |",
                c.case.name(),
                c.case.design_shown,
                b.class(),
                percent(*n, all)
            );
        }
    }
    out.push('\n');
}

fn shrunk<R: Rig>(out: &mut String, cells: &[Cell<R>], config: &Config) {
    let _ = writeln!(out, "## Failures, shrunk\n");
    let _ = writeln!(
        out,
        "For each scenario and design that broke the promise: its first failing seed, its plan shrunk to the faults that matter (1-minimal, or as far as the shrinker's budget went), and the lineage of the shrunk run's worst record.\n"
    );
    let mut any = false;
    for c in cells {
        let Some(s) = &c.shrunk else { continue };
        any = true;
        let _ = writeln!(
            out,
            "### {} / `{}`: seed {}\n",
            c.case.name(),
            c.case.design_shown,
            s.seed
        );
        let _ = writeln!(out, "- Failing verdicts: {}", s.verdicts);
        let _ = writeln!(out, "- Replay: `{}`", c.replay(config, s.seed));
        let _ = writeln!(
            out,
            "- Shrink: `{} --explain --shrink`",
            c.replay(config, s.seed)
        );
        let _ = writeln!(
            out,
            "- Shrunk: {} faults → {} ({})\n",
            s.faults.0, s.faults.1, s.shrunk_verdicts
        );
        let _ = writeln!(out, "Shrunk plan:\n\n```text");
        for line in &s.plan {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "```\n\nLineage:\n\n```text\n{}```\n", s.lineage);
    }
    if !any {
        let _ = writeln!(out, "Every design kept the promise on every seed.\n");
    }
}
