//! `shrink SCENARIO --seed S [--record ID] [--save NAME]`: a failing seed
//! reduced to what matters by the rig's shrink ([`Rig::shrink`]), printed
//! with its plan and the story of the verdict it keeps, and with `--save`
//! kept as a regression file ([`Rig::save_regression`]). `run --seed S
//! --shrink` prints the same. The save target is checked before any run.

use super::CaseArgs;
use crate::case::Case;
use crate::cli::shell::{invocation_of, shell_word};
use crate::cli::Program;
use crate::rig::{Rig, Stage};
use crate::triage::save_target::SaveTarget;
use crate::triage::shrink::{Options, Shrunk};
use crate::triage::story;
use crate::triage::trace_filter::Filter;

/// Arguments of `shrink`.
#[derive(clap::Args, Debug)]
pub struct ShrinkArgs {
    #[command(flatten)]
    case: CaseArgs,
    /// The failing seed (default for a regression file: its own).
    #[arg(long)]
    seed: Option<u64>,
    /// Shrink this plan file (from `plan`, edited, or a regression file)
    /// instead of the seed's own plan.
    #[arg(long, value_name = "FILE")]
    plan: Option<String>,
    /// Keep this record (or place) failing (default: the system's choice,
    /// the most severe verdict unless it chooses otherwise).
    #[arg(long, value_name = "ID")]
    record: Option<String>,
    /// Keep the shrunk case as a regression file: a bare NAME (lowercase
    /// letters, digits, '.', '_', '-'; at most 64) writes it under the
    /// current directory, where the system keeps its regression files; an
    /// argument with a '/' or ending in the files' extension is the
    /// file's path.
    #[arg(long, value_name = "NAME|PATH")]
    save: Option<String>,
    /// Replace an existing regression file (only one lastcopy wrote).
    #[arg(long, requires = "save")]
    force: bool,
    /// The most simulation runs to spend (default: the system's). Not with
    /// --save: a saved case must be 1-minimal, which a budget may stop
    /// short of.
    #[arg(long, conflicts_with = "save")]
    max_runs: Option<usize>,
}

/// Shrinks. Exit 0 with a shrunk case; a seed that kept the promise (or
/// bad input) exits 2.
pub(crate) fn shrink<R: Rig>(program: &Program, args: &ShrinkArgs) -> Result<u8, String> {
    let save = match &args.save {
        Some(arg) => Some(SaveTarget::check(arg, args.force, R::regression_rules())?),
        None => None,
    };
    let plan = args.plan.as_deref();
    let loaded = args.case.load::<R>(program, args.seed, plan, Stage::Run)?;
    if let Some(record) = &args.record {
        let filter = Filter::of_record(record.clone());
        let case = &loaded.case;
        R::check_filter(&case.scenario, &case.design, &filter).map_err(|e| e.to_string())?;
    }
    let opts = Options {
        record: args.record.clone(),
        max_runs: args.max_runs,
    };
    shrink_and_print(program, &loaded.case, loaded.seed, &opts, save.as_ref())
}

/// Shrinks failing seed `seed` of `case` and prints what it came to: the
/// rig's progress, the sizes before and after, its plan and the story of
/// the verdict it keeps; with `save`, writes it as a regression file
/// there (checked before any work). An error (exit 2) if the seed kept
/// the promise, or if the run budget ran out before a case to save was
/// 1-minimal.
pub(crate) fn shrink_and_print<R: Rig>(
    program: &Program,
    case: &Case<R>,
    seed: u64,
    opts: &Options,
    save: Option<&SaveTarget>,
) -> Result<u8, String> {
    println!(
        "# shrinking {} seed {seed} on design {}",
        case.name(),
        case.design_name
    );
    let shrunk = R::shrink(case, seed, opts, &mut |step| println!("shrink: {step}"))?;
    print_shrunk(&shrunk);
    let Some(target) = save else {
        return Ok(0);
    };
    if !shrunk.minimal {
        return Err(format!(
            "the run budget ran out before the case was 1-minimal; {} not saved",
            target.shown
        ));
    }
    for note in R::save_regression(&shrunk, &from(program, case, &shrunk), target)? {
        println!("# {note}");
    }
    println!(
        "# saved {}; replay: {} replay {}",
        target.shown,
        invocation_of(program.package, program.manifest_dir, false),
        shell_word(&target.shown)
    );
    Ok(0)
}

/// What the shrink came to: sizes, plan and the kept verdict's story.
fn print_shrunk<R: Rig>(s: &Shrunk<R>) {
    let budget = if s.minimal {
        "1-minimal"
    } else {
        "run budget ran out"
    };
    println!("# shrunk: {}, in {} runs; {budget}", s.sizes_text(), s.runs);
    if s.target != s.original_target {
        println!(
            "# `{}` of the original run is `{}` here",
            s.original_target, s.target
        );
    }
    println!("# plan (design {}, seed {})", s.case.design_name, s.seed);
    print!("{}", R::plan_text(s.plan()));
    println!("# explanation");
    let stories = R::stories(&s.run, &Filter::of_record(s.target.subject.clone()));
    print!("{}", story::text(&stories));
}

/// What made a saved regression: the shrink command and what it started
/// from (`lastcopy-kv shrink kv-power --seed 4 --design naive (25 faults;
/// \`rolled-back u2/key-7\`)`).
fn from<R: Rig>(program: &Program, case: &Case<R>, s: &Shrunk<R>) -> String {
    let mut from = format!(
        "{} shrink {} --seed {} --design {}",
        program.package, case.spec, s.seed, case.design_name
    );
    for o in &case.overrides {
        from.push_str(&format!(" --set {o}"));
    }
    let before: Vec<String> = s
        .sizes
        .iter()
        .map(|z| format!("{} {}", z.before, z.what))
        .collect();
    from.push_str(&format!(
        " ({}; `{}`)",
        before.join(", "),
        s.original_target
    ));
    from
}
