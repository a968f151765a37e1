//! `lastcopy shrink`: reduce a failing seed to the few faults that matter,
//! print the progress, the final plan and the explanation of the kept
//! record, and with `--save NAME` write it as a regression case under the
//! current directory (`./scenarios/regressions/NAME.toml`, or the path
//! given), atomically, with a replay command that works as printed. The
//! name and the target are checked before anything runs.

use super::case::CaseArgs;
use lastcopy::explain::{self, Filter};
use lastcopy::regression::{self, Regression};
use lastcopy::runner::Case;
use lastcopy::shell::shell_word;
use lastcopy::shrink::{self, Options, Shrunk};
use std::path::PathBuf;
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
        Some(arg) => Some(SaveTarget::check(arg, args.force)?),
        None => None,
    };
    let (case, own_seed) = super::replay::load_case(&args.scenario, &args.case)?;
    let seed = args
        .seed
        .or(own_seed)
        .ok_or("--seed is required (the failing seed to shrink)")?;
    let record_filter = Filter {
        node: None,
        record: args.record.clone(),
    };
    record_filter
        .check(&case.scenario)
        .map_err(|e| e.to_string())?;
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

fn save(args: &Args, case: &Case, s: &Shrunk, target: &SaveTarget) -> Result<(), String> {
    let path = target.shown.as_str();
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
        let mut reg = Regression::of_shrunk(path, s, &design, from.clone(), vec![]);
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
    let reg = Regression::of_shrunk(path, s, &design, from, keeps);
    reg.save(&target.path, args.force)
        .map_err(|e| e.to_string())?;
    println!(
        "# saved {path}; replay: {} replay {}",
        lastcopy::shell::invocation(),
        shell_word(path)
    );
    Ok(())
}

/// Where `--save` writes, checked before anything runs.
#[derive(Debug, PartialEq, Eq)]
struct SaveTarget {
    /// The file, relative to the current directory unless given absolute.
    path: PathBuf,
    /// The file as printed and as the regression names itself.
    shown: String,
}

/// The longest bare `--save` name.
const MAX_NAME: usize = 64;

impl SaveTarget {
    /// The file `--save ARG` names: a bare name's file under
    /// `./scenarios/regressions/`, or the path given. Refused before any
    /// work: a name or path of the wrong form, a directory that is missing
    /// (for a path) or is not a directory, and a file that exists (unless
    /// `force`, and then only a regression file lastcopy wrote).
    fn check(arg: &str, force: bool) -> Result<Self, String> {
        let is_path = arg.contains('/') || arg.ends_with(".toml");
        let shown = if is_path {
            arg.to_string()
        } else {
            check_name(arg)?;
            format!("{}/{arg}.toml", regression::DIR)
        };
        let path = PathBuf::from(&shown);
        let file_name = path.file_name().map(|n| n.len()).unwrap_or(0);
        if !shown.ends_with(".toml") || file_name <= ".toml".len() {
            return Err(format!(
                "--save {arg:?}: a regression file's path names a file ending in .toml"
            ));
        }
        if file_name > 255 {
            return Err(format!(
                "--save {arg:?}: the file name is {file_name} bytes, longer than a file system allows (255)"
            ));
        }
        // A bare name's directories are created under the current
        // directory; a path's directory must exist.
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if is_path {
            if let Some(dir) = parent.filter(|d| !d.is_dir()) {
                return Err(format!(
                    "--save {arg:?}: {} is not an existing directory",
                    dir.display()
                ));
            }
        } else {
            for dir in path
                .ancestors()
                .skip(1)
                .filter(|d| !d.as_os_str().is_empty())
            {
                if dir.exists() && !dir.is_dir() {
                    return Err(format!(
                        "--save {arg:?}: {} exists and is not a directory",
                        dir.display()
                    ));
                }
            }
        }
        if path.is_dir() {
            return Err(format!("--save {arg:?}: {shown} is a directory"));
        }
        if path.exists() || path.is_symlink() {
            if !force {
                return Err(format!(
                    "--save {arg:?}: {shown} already exists; choose another name, remove it, or pass --force to replace it"
                ));
            }
            if !regression::is_regression_file(&shown) {
                return Err(format!(
                    "--save {arg:?}: {shown} exists and is not a regression file; --force replaces only a regression file lastcopy wrote"
                ));
            }
        }
        Ok(SaveTarget { path, shown })
    }
}

/// A bare `--save` name: `[a-z0-9][a-z0-9._-]{0,63}`.
fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        && name.len() <= MAX_NAME;
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--save {name:?}: a regression name is 1 to {MAX_NAME} of lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (or give a path ending in .toml)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_follow_the_rule_and_land_under_scenarios_regressions() {
        for ok in ["my-case", "a", "0.fix_2", &"x".repeat(MAX_NAME)] {
            assert_eq!(check_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "-x",
            ".x",
            "My-case",
            "a b",
            "a\\b",
            "ü",
            &"x".repeat(MAX_NAME + 1),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        let t = SaveTarget::check("zz-no-such-case-here", false).unwrap();
        assert_eq!(t.shown, "scenarios/regressions/zz-no-such-case-here.toml");
        assert_eq!(t.path, PathBuf::from(&t.shown));
    }

    #[test]
    fn paths_must_end_in_toml_and_have_a_directory() {
        assert!(SaveTarget::check("dir/case", false).is_err());
        assert!(SaveTarget::check("/no/such/dir/case.toml", false).is_err());
        assert!(SaveTarget::check(".toml", false).is_err());
        let long = format!("{}.toml", "x".repeat(300));
        assert!(SaveTarget::check(&long, false).unwrap_err().contains("255"));
        let t = SaveTarget::check("/tmp/lastcopy-zz-case.toml", false);
        assert_eq!(
            t.map(|t| t.shown),
            Ok("/tmp/lastcopy-zz-case.toml".to_string())
        );
    }
}
