//! The files a command reads, by identity, so that no output overwrites or
//! deletes one of them, whatever path names it.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A file's identity: its device and inode. Two paths with the same
/// identity (the same path spelled twice, a hard link, a symbolic link to
/// it) are the same file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity of the file `meta` describes.
    pub fn of(meta: &std::fs::Metadata) -> Self {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// One input that exists: the path as given, its identity and its
/// canonical path.
#[derive(Clone, Debug)]
struct Input {
    given: String,
    id: FileId,
    canonical: Option<PathBuf>,
}

/// The files a command reads (a scenario file, a `--plan` file, the
/// results files `merge` reads). Paths that name no file (a catalogue name
/// such as `sidekick-2009`) are not files read, and are left out.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    files: Vec<Input>,
}

impl Inputs {
    /// The inputs among `paths` that exist, identified now (a symbolic link
    /// by the file it points to: that is the file read).
    pub fn of<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Self {
        let files = paths
            .into_iter()
            .filter_map(|p| {
                let p = p.as_ref();
                let meta = std::fs::metadata(p).ok()?;
                Some(Input {
                    given: p.display().to_string(),
                    id: FileId::of(&meta),
                    canonical: std::fs::canonicalize(p).ok(),
                })
            })
            .collect();
        Inputs { files }
    }

    /// The input (as given) that is the file `id`, if any.
    pub fn same_as(&self, id: FileId) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.given.as_str())
    }

    /// The input (as given) inside the directory `dir` or in a folder
    /// under it, if any.
    pub fn inside(&self, dir: &Path) -> Option<&str> {
        let dir = std::fs::canonicalize(dir).ok()?;
        self.files
            .iter()
            .find(|f| f.canonical.as_ref().is_some_and(|c| c.starts_with(&dir)))
            .map(|f| f.given.as_str())
    }
}
