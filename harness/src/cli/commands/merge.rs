//! `merge FILE...`: the results files of a sharded run (`run --shard K/N
//! --results FILE`) combined into the output and exit code of one
//! unsharded run of the same range. The files say which run and build they
//! came from, so merge takes no case arguments: it loads the case from
//! them, as `run` would, to print the same replay commands. Files of
//! different runs or builds, a missing shard, a seed twice, an unknown key
//! or a range of more than a million seeds are bad input (exit 2), never
//! a smaller summary.

use crate::cli::build_identity::BinaryIdentity;
use crate::cli::Program;
use crate::report::summary::{failure_line, Summary};
use crate::rig::Rig;
use crate::scenario::load::CaseSpec;
use crate::sweep::merge::merge as merge_files;
use crate::sweep::results;

/// Arguments of `merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Results files, one per shard, in any order.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Print the coverage after the summary, as `run --coverage` does.
    #[arg(long)]
    pub coverage: bool,
}

/// Merges the files and prints what one unsharded run prints.
pub(crate) fn merge<R: Rig>(program: &Program, args: &MergeArgs) -> Result<u8, String> {
    let mut files = Vec::new();
    for path in &args.files {
        files.push((path.clone(), results::read(path)?));
    }
    let merged = merge_files(&files)?;
    let first = &merged.outcomes[0];
    let run = &merged.run;
    let spec = CaseSpec {
        scenario: run.spec.clone(),
        design: Some(run.design.clone()),
        overrides: first.overrides.clone(),
        plan: run.plan.clone(),
    };
    let case = spec.load::<R>(program)?;
    if case.name() != first.scenario || case.design_shown != first.design {
        return Err(format!(
            "the results are of scenario {} under design {}, but {} now loads as {} under {}: \
             merge with the binary and files that ran them",
            first.scenario,
            first.design,
            spec.scenario,
            case.name(),
            case.design_shown
        ));
    }
    let here = BinaryIdentity::current(program)?;
    if merged.build != here {
        eprintln!(
            "note: the shards were run by {}, this is {here}: the replay commands run this build",
            merged.build
        );
    }
    let mut summary = Summary::default();
    let mut coverage = R::coverage();
    for o in &merged.outcomes {
        summary.add(o);
        coverage.add(o);
        if !o.kept_promise() {
            let replay = super::replay_command(program, &case, o.seed, &o.drawn, run.max_work);
            println!("{}", failure_line(o, &replay));
        }
    }
    println!("{summary}");
    if args.coverage {
        println!("{coverage}");
    }
    Ok(summary.exit_code())
}
