//! `lastcopy shrink`: reduce a failing seed to the few faults that matter,
//! print the progress, the final plan and the explanation of the kept
//! record, and with `--save NAME` write it as a regression case under the
//! current directory (`./scenarios/regressions/NAME.toml`, or the path
//! given), atomically, with a replay command that works as printed. The
//! name and the target are checked before anything runs.

use super::case::CaseArgs;
use harness::save_target::{Rules, SaveTarget};
use lastcopy::explain::{self, Filter};
use lastcopy::regression::{self, Regression};
use lastcopy::runner::Case;
use lastcopy::shell::shell_word;
use lastcopy::shrink::{self, Options, Shrunk};
use std::process::ExitCode;

/// Arguments of `lastcopy shrink`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Catalogue name, path to a scenario file, or a regression file.
    pub scenario: String,
    #[command(flatten)]
    pub case: CaseArgs,
    /// The failing seed (default for a regression file: its own).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Keep this record failing (default: the first failing record whose
    /// last copy was on the server side, else the first failing record).
    #[arg(long, value_name = "ID")]
    pub record: Option<String>,
    /// Save the shrunk case as a regression file: a bare NAME (lowercase
    /// letters, digits, '.', '_', '-'; at most 64) writes
    /// ./scenarios/regressions/NAME.toml under the current directory; an
    /// argument with a '/' or ending in .toml is the file's path.
    #[arg(long, value_name = "NAME|PATH")]
    pub save: Option<String>,
    /// Replace an existing regression file (only one lastcopy wrote).
    #[arg(long, requires = "save")]
    pub force: bool,
    /// The most simulation runs to spend. Not with --save: a saved case must
    /// be 1-minimal, which a budget may stop short of.
    #[arg(long, default_value_t = 2_000, conflicts_with = "save")]
    pub max_runs: usize,
}

/// Shrinks. Exit 0 with a shrunk case; errors (nothing to shrink, bad
/// input, a file that cannot be written) exit 2.
pub fn execute(args: Args) -> Result<ExitCode, String> {
    let target = match &args.save {
        Some(arg) => Some(SaveTarget::check(arg, args.force, RULES)?),
        None => None,
    };
    let (case, own_seed) = super::case::load_case(&args.scenario, &args.case)?;
    let seed = args
        .seed
        .or(own_seed)
        .ok_or("--seed is required (the failing seed to shrink)")?;
    let record_filter = Filter {
        node: None,
        record: args.record.clone(),
    };
    lastcopy::trace_filter::check(&record_filter, &case.scenario).map_err(|e| e.to_string())?;
    let opts = Options {
        record: args.record.clone(),
        max_runs: args.max_runs,
        ..Options::default()
    };
    println!(
        "# shrinking {} seed {seed} on design {}",
        case.scenario.name,
        case.design.name()
    );
    let shrunk = shrink::shrink(&case, seed, &opts, &mut |step| println!("shrink: {step}"))
        .map_err(|e| e.to_string())?;
    print_result(&case, &shrunk)?;
    if let Some(target) = &target {
        if !shrunk.minimal {
            return Err(format!(
                "the run budget ran out before the case was 1-minimal; {} not saved",
                target.shown
            ));
        }
        save(&args, &case, &shrunk, target)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_result(case: &Case, s: &Shrunk) -> Result<(), String> {
    println!(
        "# shrunk: {} -> {} faults, {} -> {} handsets, {} -> {} edits, in {} runs{}",
        s.original.plan.faults.len(),
        s.shrunk.plan.faults.len(),
        s.original.handsets,
        s.shrunk.handsets,
        s.original.edits(),
        s.shrunk.edits(),
        s.runs,
        if s.minimal {
            "; 1-minimal"
        } else {
            "; run budget ran out"
        }
    );
    if s.target != s.original_target {
        println!(
            "# `{}` of the original run is `{}` here",
            s.original_target, s.target
        );
    }
    println!(
        "# plan (design {}, seed {}, {} handsets)",
        case.design.name(),
        s.seed,
        s.shrunk.handsets
    );
    print!("{}", lastcopy::plan_file::text(&s.shrunk.plan));
    let run = shrink::run_candidate(case, &s.shrunk, s.seed);
    let filter = Filter::of_record(s.target.subject.clone());
    println!("# explanation");
    print!(
        "{}",
        harness::story::text(&explain::explain(
            &run.output,
            &run.outcome.verdicts,
            &filter
        ))
    );
    Ok(())
}

fn save(args: &Args, case: &Case, s: &Shrunk, target: &SaveTarget) -> Result<(), String> {
    let path = target.shown.as_str();
    let design = &case.design_name;
    let mut from = format!(
        "lastcopy shrink {} --seed {} --design {design}",
        args.scenario, s.seed
    );
    for o in &args.case.set {
        from.push_str(&format!(" --set {o}"));
    }
    from.push_str(&format!(
        " ({} handsets, {} faults, {} edits; `{}`)",
        s.original.handsets,
        s.original.plan.faults.len(),
        s.original.edits(),
        s.original_target
    ));
    // Keep `hardened` in the expectation only if it does keep the promise.
    let mut keeps = Vec::new();
    if design != "hardened" {
        let mut reg = Regression::of_shrunk(path, s, design, from.clone(), vec![]);
        reg.design = "hardened".into();
        let hard = reg.case(None).map_err(|e| e.to_string())?;
        if shrink::run_candidate(&hard, &s.shrunk, s.seed)
            .outcome
            .kept_promise()
        {
            keeps.push("hardened".to_string());
        } else {
            println!("# warning: hardened does not keep the promise on this case either; not expected of it");
        }
    }
    let reg = Regression::of_shrunk(path, s, design, from, keeps);
    reg.save(&target.path, args.force)
        .map_err(|e| e.to_string())?;
    println!(
        "# saved {path}; replay: {} replay {}",
        lastcopy::shell::invocation(),
        shell_word(path)
    );
    Ok(())
}

/// How the Sidekick's regression files are named.
const RULES: Rules<'static> = Rules {
    dir: regression::DIR,
    ext: ".toml",
    is_regression_file: regression::is_regression_file,
};
