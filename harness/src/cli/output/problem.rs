//! Why an output cannot be written: one variant per reason, the words in
//! `Display`.

use std::io;

/// An output that cannot be written, and why. Its text is `PATH: why`;
/// commands put the flag in front (`--results r.jsonl: is a symbolic
/// link; ...`).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct OutputError {
    /// The target as the user named it.
    pub path: String,
    /// Why it cannot be written.
    pub problem: Problem,
}

/// Why an output cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// A file target's path names a directory (`out/`, `.`, `..`).
    #[error("names a directory, not a file")]
    NamesDirectory,
    /// A directory target's path has no last component to name it.
    #[error("must name a directory (not `.`, `..` or `/`)")]
    NoDirName,
    /// The folder the target goes in does not exist.
    #[error("no such directory: {0}")]
    NoParent(String),
    /// The folder the target goes in is not a directory.
    #[error("{0} is not a directory")]
    ParentNotDir(String),
    /// Nothing can be created in the target's folder.
    #[error("cannot write in {0}: {1}")]
    Unwritable(String, io::Error),
    /// The target is a symbolic link: replacing it would replace the link,
    /// not the file it points to.
    #[error("is a symbolic link; lastcopy never replaces one (name the file it points to, or another path)")]
    Symlink,
    /// A file target is an existing directory.
    #[error("is a directory; name a file (in it, or elsewhere)")]
    Directory,
    /// The target is a device, pipe or socket.
    #[error("is not a regular file (a device, pipe or socket); lastcopy replaces only files it can write whole")]
    Special,
    /// The target is one of the command's own inputs.
    #[error("is the same file as the input {0}; writing it would destroy that input")]
    SameAsInput(String),
    /// A directory target holds one of the command's own inputs.
    #[error("holds the input {0}; replacing the directory would destroy that input")]
    HoldsInput(String),
    /// A directory target exists and `--force` was not given.
    #[error("already exists; pass --force to replace it")]
    Exists,
    /// A directory target exists as something other than a directory.
    #[error("exists and is not a directory; --force replaces only a directory lastcopy wrote")]
    NotADirectory,
    /// A directory target that lastcopy did not write.
    #[error(
        "holds files but no {} marker, so lastcopy did not write it (or wrote it before it \
         marked its directories); --force replaces only a directory lastcopy wrote, or an empty \
         one: remove it yourself or name another",
        super::MARKER
    )]
    NotOurs,
    /// The file system cannot swap two directories in one step, so an
    /// existing directory cannot be replaced safely.
    #[error(
        "cannot be replaced atomically on this file system or platform (renameat2 \
         RENAME_EXCHANGE: {0}); remove it yourself, or name a directory that does not exist"
    )]
    NoExchange(io::Error),
    /// A name that cannot be a file in a directory (empty, `.`, `..`, with
    /// a `/`, or the marker's).
    #[error("cannot hold a file named {0:?}")]
    FileName(String),
    /// Writing failed.
    #[error("{0}")]
    Io(io::Error),
}

impl Problem {
    /// This problem with the target `path`.
    pub fn at(self, path: &std::path::Path) -> OutputError {
        OutputError {
            path: path.display().to_string(),
            problem: self,
        }
    }
}
