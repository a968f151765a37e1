//! `lastcopy shrink`: reduce a failing seed to the few faults that matter,
//! print the progress, the final plan and the explanation of the kept
//! record, and with `--save NAME` write it as a regression case.

use super::case::CaseArgs;
use lastcopy::explain::{self, Filter};
use lastcopy::regression::{self, Regression};
use lastcopy::runner::Case;
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
    /// Write the result to scenarios/regressions/NAME.toml.
    #[arg(long, value_name = "NAME")]
    pub save: Option<String>,
    /// Replace an existing regression file of that name.
    #[arg(long, requires = "save")]
    pub force: bool,
    /// The most simulation runs to spend.
    #[arg(long, default_value_t = 2_000)]
    pub max_runs: usize,
}

/// Shrinks. Exit 0 with a shrunk case; errors (nothing to shrink, bad
/// input, a file that cannot be written) exit 2.
pub fn execute(args: Args) -> Result<ExitCode, String> {
    if let Some(name) = &args.save {
        check_name(name)?;
    }
    let (case, own_seed) = super::replay::load_case(&args.scenario, &args.case)?;
    let seed = args
        .seed
        .or(own_seed)
        .ok_or("--seed is required (the failing seed to shrink)")?;
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
    if let Some(name) = &args.save {
        save(&args, &case, &shrunk, name)?;
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
    print!(
        "{}",
        toml::to_string(&s.shrunk.plan).map_err(|e| e.to_string())?
    );
    let run = shrink::run_candidate(case, &s.shrunk, s.seed);
    let filter = Filter {
        node: None,
        record: Some(s.target.subject.clone()),
    };
    println!("# explanation");
    print!(
        "{}",
        explain::explain(&run.output, &run.outcome.verdicts, &filter)
    );
    Ok(())
}

fn save(args: &Args, case: &Case, s: &Shrunk, name: &str) -> Result<(), String> {
    let path = format!("{}/{name}.toml", regression::DIR);
    let design = case
        .design_arg
        .clone()
        .or(case.scenario.design.preset.clone())
        .unwrap_or_else(|| "hardened".into());
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
        let mut reg = Regression::of_shrunk(&path, s, &design, from.clone(), vec![]);
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
    let reg = Regression::of_shrunk(&path, s, &design, from, keeps);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    reg.save(&root.join(&path), args.force)
        .map_err(|e| e.to_string())?;
    println!("# saved {path}; replay: {}", reg.replay_command());
    Ok(())
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--save {name:?}: a regression name is lowercase letters, digits, '-' and '_'"
        ))
    }
}
