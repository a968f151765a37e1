//! Where `--save NAME` writes a regression file, checked before anything
//! runs: a bare NAME is a file in the regressions directory under the
//! current directory; an argument with a `/` or ending in the extension
//! is the file's own path.

use std::path::{Path, PathBuf};

/// The file `--save` writes.
#[derive(Debug, PartialEq, Eq)]
pub struct SaveTarget {
    /// The file, relative to the current directory unless given absolute.
    pub path: PathBuf,
    /// The file as printed and as the regression names itself.
    pub shown: String,
    /// Whether `--force` allows replacing a regression file there.
    pub force: bool,
}

/// The longest bare `--save` name.
pub const MAX_NAME: usize = 64;

/// How a system's regression files are named and told apart.
#[derive(Clone, Copy, Debug)]
pub struct Rules<'a> {
    /// Where a bare name's file goes, under the current directory.
    pub dir: &'a str,
    /// The files' extension, with its dot (`.toml`).
    pub ext: &'a str,
    /// Whether the file at a path is a regression file (which `--force`
    /// may replace).
    pub is_regression_file: fn(&str) -> bool,
}

impl SaveTarget {
    /// The file `--save ARG` names under `rules`: a bare name's file under
    /// `rules.dir`, or the path given. Refused before any work: a name or
    /// path of the wrong form, a directory that is missing (for a path) or
    /// is not a directory, and a file that exists (unless `force`, and
    /// then only a regression file).
    pub fn check(arg: &str, force: bool, rules: Rules<'_>) -> Result<Self, String> {
        let ext = rules.ext;
        let is_path = arg.contains('/') || arg.ends_with(ext);
        let shown = if is_path {
            arg.to_string()
        } else {
            check_name(arg, ext)?;
            format!("{}/{arg}{ext}", rules.dir)
        };
        let path = PathBuf::from(&shown);
        let file_name = path.file_name().map(|n| n.len()).unwrap_or(0);
        if !shown.ends_with(ext) || file_name <= ext.len() {
            return Err(format!(
                "--save {arg:?}: a regression file's path names a file ending in {ext}"
            ));
        }
        if file_name > 255 {
            return Err(format!(
                "--save {arg:?}: the file name is {file_name} bytes, longer than a file system allows (255)"
            ));
        }
        check_dirs(arg, &path, is_path)?;
        if path.is_dir() {
            return Err(format!("--save {arg:?}: {shown} is a directory"));
        }
        if path.exists() || path.is_symlink() {
            if !force {
                return Err(format!(
                    "--save {arg:?}: {shown} already exists; choose another name, remove it, or pass --force to replace it"
                ));
            }
            if !(rules.is_regression_file)(&shown) {
                return Err(format!(
                    "--save {arg:?}: {shown} exists and is not a regression file; --force replaces only a regression file lastcopy wrote"
                ));
            }
        }
        Ok(SaveTarget { path, shown, force })
    }

    /// Creates the directories of a bare name's file (a path's exist).
    pub fn create_dirs(&self) -> Result<(), String> {
        match self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
            }
            None => Ok(()),
        }
    }
}

/// A path's directory must exist; a bare name's directories are created
/// under the current directory, so each that exists must be a directory.
fn check_dirs(arg: &str, path: &Path, is_path: bool) -> Result<(), String> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if is_path {
        if let Some(dir) = parent.filter(|d| !d.is_dir()) {
            return Err(format!(
                "--save {arg:?}: {} is not an existing directory",
                dir.display()
            ));
        }
        return Ok(());
    }
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
    Ok(())
}

/// A bare `--save` name: `[a-z0-9][a-z0-9._-]{0,63}`.
fn check_name(name: &str, ext: &str) -> Result<(), String> {
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
            "--save {name:?}: a regression name is 1 to {MAX_NAME} of lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (or give a path ending in {ext})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules<'static> = Rules {
        dir: "scenarios/regressions",
        ext: ".toml",
        is_regression_file: |_| true,
    };

    #[test]
    fn bare_names_follow_the_rule_and_land_under_the_directory() {
        for ok in ["my-case", "a", "0.fix_2", &"x".repeat(MAX_NAME)] {
            assert_eq!(check_name(ok, ".toml"), Ok(()), "{ok}");
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
            assert!(check_name(bad, ".toml").is_err(), "{bad:?}");
        }
        let t = SaveTarget::check("zz-no-such-case-here", false, RULES).unwrap();
        assert_eq!(t.shown, "scenarios/regressions/zz-no-such-case-here.toml");
        assert_eq!(t.path, PathBuf::from(&t.shown));
    }

    #[test]
    fn paths_must_end_in_the_extension_and_have_a_directory() {
        assert!(SaveTarget::check("dir/case", false, RULES).is_err());
        assert!(SaveTarget::check("/no/such/dir/case.toml", false, RULES).is_err());
        assert!(SaveTarget::check(".toml", false, RULES).is_err());
        let long = format!("{}.toml", "x".repeat(300));
        assert!(SaveTarget::check(&long, false, RULES)
            .unwrap_err()
            .contains("255"));
        let t = SaveTarget::check("/tmp/lastcopy-zz-case.toml", false, RULES);
        assert_eq!(
            t.map(|t| t.shown),
            Ok("/tmp/lastcopy-zz-case.toml".to_string())
        );
    }
}
