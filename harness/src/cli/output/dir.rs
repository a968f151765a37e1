//! A directory target (a report's `--out DIR`): checked before any work
//! starts, written whole, and replaced, with `--force`, only if lastcopy
//! wrote it.

use super::temp::{self, Role};
use super::{exchange, sync_dir, Inputs, OutputError, Problem};
use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The file lastcopy writes first into every directory it writes, and
/// without which it never replaces or removes a directory that holds
/// anything.
pub const MARKER: &str = ".lastcopy-report";

/// The marker's text; its first line is what marks the directory.
pub const MARKER_TEXT: &str = "lastcopy wrote this directory.\n\
    `lastcopy report --force` and `lastcopy merge --force` replace a directory only while this file is in it.\n";

/// Whether `dir` is a directory lastcopy wrote (it holds the marker, a
/// regular file whose first line is the marker's) or an empty one.
pub fn is_ours_or_empty(dir: &Path) -> bool {
    let marked = || -> io::Result<bool> {
        let path = dir.join(MARKER);
        if !std::fs::symlink_metadata(&path)?.is_file() {
            return Ok(false);
        }
        let first = MARKER_TEXT.lines().next().unwrap_or_default();
        let mut head = Vec::new();
        std::fs::File::open(&path)?
            .take(first.len() as u64 + 1)
            .read_to_end(&mut head)?;
        Ok(head.strip_suffix(b"\n").unwrap_or(&head) == first.as_bytes())
    };
    let empty = || std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none());
    marked().unwrap_or(false) || empty()
}

/// A directory target that passed [`check_dir`]: the only way to write one.
#[derive(Debug)]
pub struct DirTarget {
    out: PathBuf,
    force: bool,
    inputs: Inputs,
}

/// Checks, before any work starts, that the directory `out` can be written:
/// it names a directory in an existing folder where lastcopy can create
/// directories; if it exists, `force` is given, it is a directory (not a
/// symbolic link) that lastcopy wrote (it holds [`MARKER`]) or an empty
/// one, it holds none of `inputs` (the files the command reads; paths that
/// name no file are skipped), and the file system can swap it with the new
/// directory in one step. Nothing is left behind.
pub fn check_dir<P: AsRef<Path>>(
    out: &Path,
    force: bool,
    inputs: impl IntoIterator<Item = P>,
) -> Result<DirTarget, OutputError> {
    let target = DirTarget {
        out: out.to_path_buf(),
        force,
        inputs: Inputs::of(inputs),
    };
    target.check().map_err(|p| p.at(out))?;
    Ok(target)
}

impl DirTarget {
    /// The directory's path, as given.
    pub fn path(&self) -> &Path {
        &self.out
    }

    fn check(&self) -> Result<(), Problem> {
        if self.out.file_name().is_none() {
            return Err(Problem::NoDirName);
        }
        let parent = super::check_parent(&self.out)?;
        let replacing = self.check_existing()?;
        temp::sweep_stale(&self.out);
        let unwritable = |e| Problem::Unwritable(parent.display().to_string(), e);
        let tmp = temp::path(&self.out, Role::Tmp);
        std::fs::create_dir(&tmp).map_err(unwritable)?;
        let swapped = if replacing {
            let probe = temp::path(&self.out, Role::Probe);
            let made = std::fs::create_dir(&probe).map_err(unwritable);
            let swapped = made.and_then(|()| exchange(&tmp, &probe).map_err(Problem::NoExchange));
            let _ = std::fs::remove_dir(&probe);
            swapped
        } else {
            Ok(())
        };
        let _ = std::fs::remove_dir(&tmp);
        swapped
    }

    /// What the path holds now, if anything, may be replaced; true if it
    /// holds something.
    fn check_existing(&self) -> Result<bool, Problem> {
        let meta = match std::fs::symlink_metadata(&self.out) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Problem::Io(e)),
        };
        if !self.force {
            return Err(Problem::Exists);
        }
        if meta.file_type().is_symlink() {
            return Err(Problem::Symlink);
        }
        if !meta.is_dir() {
            return Err(Problem::NotADirectory);
        }
        if !is_ours_or_empty(&self.out) {
            return Err(Problem::NotOurs);
        }
        if let Some(input) = self.inputs.inside(&self.out) {
            return Err(Problem::HoldsInput(input.to_string()));
        }
        Ok(true)
    }

    /// Writes `files` (by name) and the marker as the directory, atomically:
    /// into a temporary directory beside it, each file synced; then, if the
    /// directory exists (and may still be replaced), the two are swapped in
    /// one step ([`exchange`]) and the old one, now under the temporary's
    /// name, is removed; else the new one is renamed into place. A kill at
    /// any point leaves the old directory or the new one in place, whole,
    /// and at most a temporary that the next write of the same target
    /// removes. On error the directory is as it was.
    pub fn write(&self, files: &BTreeMap<String, String>) -> Result<(), OutputError> {
        let Some(old) = self.put(files)? else {
            return Ok(());
        };
        std::fs::remove_dir_all(&old).map_err(|e| {
            let why = format!(
                "the new directory is in place, but the old one could not be removed from {}: {e}",
                old.display()
            );
            Problem::Io(io::Error::new(e.kind(), why)).at(&self.out)
        })
    }

    /// Puts the new directory in place ([`DirTarget::write`] less the
    /// removal of the old one) and returns where the old one now is, whole,
    /// if there was one.
    fn put(&self, files: &BTreeMap<String, String>) -> Result<Option<PathBuf>, OutputError> {
        let at = |p: Problem| p.at(&self.out);
        for name in files.keys() {
            let plain = !name.is_empty()
                && name != "."
                && name != ".."
                && name != MARKER
                && !name.contains('/');
            if !plain {
                return Err(at(Problem::FileName(name.clone())));
            }
        }
        let replacing = self.check_existing().map_err(at)?;
        temp::sweep_stale(&self.out);
        let tmp = temp::path(&self.out, Role::Tmp);
        let fill = || -> io::Result<()> {
            std::fs::create_dir(&tmp)?;
            let put = |name: &str, text: &str| -> io::Result<()> {
                let mut f = std::fs::File::create_new(tmp.join(name))?;
                f.write_all(text.as_bytes())?;
                f.sync_all()
            };
            put(MARKER, MARKER_TEXT)?;
            for (name, text) in files {
                put(name, text)?;
            }
            sync_dir(&tmp)
        };
        let placed = fill().and_then(|()| {
            if replacing {
                exchange(&tmp, &self.out)
            } else {
                std::fs::rename(&tmp, &self.out)
            }
        });
        if let Err(e) = placed {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(at(Problem::Io(e)));
        }
        sync_dir(&super::parent_of(&self.out)).map_err(|e| at(Problem::Io(e)))?;
        Ok(replacing.then_some(tmp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lastcopy-dir-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replacing_swaps_in_one_step_and_keeps_the_old_whole_until_removed() {
        let dir = scratch("swap");
        let out = dir.join("r");
        let no_inputs: [&str; 0] = [];
        check_dir(&out, false, no_inputs)
            .unwrap()
            .write(&files(&[("report.md", "old"), ("a.svg", "old chart")]))
            .unwrap();
        assert_eq!(names(&out), [MARKER, "a.svg", "report.md"]);
        assert_eq!(names(&dir), ["r"], "nothing left beside it");

        let target = check_dir(&out, true, no_inputs).unwrap();
        let old = target
            .put(&files(&[("report.md", "new")]))
            .unwrap()
            .expect("there was an old directory");
        // Killed here: the new directory is in place, whole, and the old one
        // whole under the temporary's name; never neither.
        assert_eq!(
            std::fs::read_to_string(out.join("report.md")).unwrap(),
            "new"
        );
        assert_eq!(names(&out), [MARKER, "report.md"]);
        assert_eq!(old, temp::path(&out, Role::Tmp));
        assert_eq!(
            std::fs::read_to_string(old.join("report.md")).unwrap(),
            "old"
        );
        assert_eq!(
            std::fs::read_to_string(old.join("a.svg")).unwrap(),
            "old chart"
        );
        // The next write removes that leftover (its writer is gone: here,
        // this process's own id, which no other writer has).
        target.write(&files(&[("report.md", "newer")])).unwrap();
        assert_eq!(names(&dir), ["r"]);
        assert_eq!(
            std::fs::read_to_string(out.join("report.md")).unwrap(),
            "newer"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn force_replaces_only_a_marked_or_empty_directory() {
        let dir = scratch("force");
        let out = dir.join("proj");
        std::fs::create_dir(&out).unwrap();
        let no_inputs: [&str; 0] = [];
        // Empty: replaced.
        let target = check_dir(&out, true, no_inputs).unwrap();
        target.write(&files(&[("report.md", "mine")])).unwrap();
        // A report.md is not a mark of lastcopy's.
        let theirs = dir.join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        std::fs::write(theirs.join("report.md"), "x").unwrap();
        std::fs::write(theirs.join("important.txt"), "p").unwrap();
        let e = check_dir(&theirs, true, no_inputs).unwrap_err();
        assert!(matches!(e.problem, Problem::NotOurs), "{e}");
        // Nor is a marker file with other text.
        std::fs::write(theirs.join(MARKER), "something else\n").unwrap();
        assert!(check_dir(&theirs, true, no_inputs).is_err());
        // Without --force, not even ours.
        let e = check_dir(&out, false, no_inputs).unwrap_err();
        assert!(matches!(e.problem, Problem::Exists), "{e}");
        // A marked directory that holds an input stays.
        std::fs::write(out.join("input.toml"), "x").unwrap();
        let e = check_dir(&out, true, [out.join("input.toml")]).unwrap_err();
        assert!(matches!(e.problem, Problem::HoldsInput(_)), "{e}");
        assert_eq!(
            names(&theirs),
            [MARKER, "important.txt", "report.md"],
            "untouched"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_holds_only_plain_file_names() {
        let dir = scratch("names");
        let no_inputs: [&str; 0] = [];
        let target = check_dir(&dir.join("r"), false, no_inputs).unwrap();
        for bad in ["", ".", "..", "a/b", MARKER] {
            let e = target.write(&files(&[(bad, "x")])).unwrap_err();
            assert!(matches!(e.problem, Problem::FileName(_)), "{bad:?}: {e}");
        }
        assert!(!dir.join("r").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
