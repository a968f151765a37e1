//! Where lastcopy writes files, and how: every file or directory a command
//! writes goes through this module, so every command keeps the same
//! promises about the place the user named.
//!
//! - Checked before any work starts: [`check_target`] (a file, such as
//!   `--results`) and [`check_dir`] (a directory, such as a report's
//!   `--out`) refuse, with a [`OutputError`] that names the path and says
//!   why, a target that cannot be written (missing or read-only folder, a
//!   path that names a directory) or must not be replaced: a symbolic link,
//!   a device or other special file, one of the command's own inputs
//!   ([`Inputs`]), or a directory lastcopy did not write.
//! - Written atomically: into a temporary beside the target, synced, then
//!   renamed into place ([`AtomicFile`]) or, for a directory that replaces
//!   another, swapped with it in one step ([`exchange`]); a reader sees the
//!   old whole or the new whole, and a kill at any point leaves one of them
//!   in place.
//! - Nothing destroyed that lastcopy did not write: a directory is replaced
//!   only if it holds lastcopy's [`MARKER`] (or is empty), and the only
//!   temporaries removed are those of the same target whose writer is gone
//!   ([`temp`]).

mod atomic;
mod dir;
mod exchange;
mod file;
mod inputs;
mod problem;
pub mod temp;

pub use atomic::{sync_dir, AtomicFile};
pub use dir::{check_dir, is_ours_or_empty, DirTarget, MARKER, MARKER_TEXT};
pub use exchange::exchange;
pub use file::{check_target, FileTarget, PendingFile};
pub use inputs::{FileId, Inputs};
pub use problem::{OutputError, Problem};

use std::path::{Path, PathBuf};

/// The folder `path` is in: its parent, or `.` for a bare name.
pub fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Checks that the folder a target goes in exists and is a directory.
fn check_parent(path: &Path) -> Result<PathBuf, Problem> {
    let parent = parent_of(path);
    match std::fs::metadata(&parent) {
        Ok(m) if m.is_dir() => Ok(parent),
        Ok(_) => Err(Problem::ParentNotDir(parent.display().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(Problem::NoParent(parent.display().to_string()))
        }
        Err(e) => Err(Problem::Unwritable(parent.display().to_string(), e)),
    }
}
