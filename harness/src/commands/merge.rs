//! `merge FILE...`: the results files of a sharded run (`run --shard K/N
//! --results FILE`) combined into the output and exit code of one
//! unsharded run of the same range. The files say which run and build they
//! came from, so merge takes no case arguments: it loads the case from
//! them, as `run` would, to print the same replay commands. Files of
//! different runs or builds, a missing shard, a seed twice, an unknown key
//! or a range of more than a million seeds are bad input (exit 2), never
//! a smaller summary.

use crate::build_identity::BinaryIdentity;
use crate::cli::Program;
use crate::load::CaseSpec;
use crate::merge::merge as merge_files;
use crate::results;
use crate::rig::Rig;
use crate::summary::{failure_line, Summary};

/// Arguments of `merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Results files, one per shard, in any order.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
}

/// Merges the files and prints what one unsharded run prints.
pub(crate) fn merge<R: Rig>(program: &Program, args: &MergeArgs) -> Result<u8, String> {
    let mut files = Vec::new();
    for path in &args.files {
        files.push((path.clone(), results::read(path)?));
    }
    let merged = merge_files(&files)?;
    let first = &merged.outcomes[0];
    let spec = CaseSpec {
        scenario: merged.run.spec.clone(),
        design: Some(first.design.clone()),
        overrides: first.overrides.clone(),
        plan: merged.run.plan.clone(),
    };
    let case = spec.load::<R>(program)?;
    if case.name() != first.scenario {
        return Err(format!(
            "the results are of scenario {}, but {} now loads as {}: merge with the files \
             and scenario that ran them",
            first.scenario,
            spec.scenario,
            case.name()
        ));
    }
    let here = BinaryIdentity::current(program.package)?;
    if merged.build != here {
        eprintln!(
            "note: the shards were run by {}, this is {here}: the replay commands run this build",
            merged.build
        );
    }
    let mut summary = Summary::default();
    for o in &merged.outcomes {
        summary.add(o);
        if !o.kept_promise() {
            let replay = R::replay_command(program, &case, o.seed, &o.drawn);
            println!("{}", failure_line(o, &replay));
        }
    }
    println!("{summary}");
    Ok(summary.exit_code())
}
