//! A file target (`--results FILE`): checked before any work starts, then
//! written whole.

use super::{AtomicFile, FileId, Inputs, OutputError, Problem};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A file target that passed [`check_target`]: the only way to write one.
#[derive(Debug)]
pub struct FileTarget {
    path: PathBuf,
    inputs: Inputs,
}

/// Checks, before any work starts, that `path` can be written as a file:
/// it names a file (not `dir/`, `.` or `..`) in an existing folder where
/// lastcopy can create files, and if it exists it is a regular file (not a
/// symbolic link, a directory, a device, a pipe or a socket) and not the
/// same file (device and inode) as any of `inputs`, the files the command
/// reads (paths that name no file are skipped, so a catalogue name may be
/// passed as it is). Nothing is written or changed.
pub fn check_target<P: AsRef<Path>>(
    path: &Path,
    inputs: impl IntoIterator<Item = P>,
) -> Result<FileTarget, OutputError> {
    let target = FileTarget {
        path: path.to_path_buf(),
        inputs: Inputs::of(inputs),
    };
    target.check().map_err(|p| p.at(path))?;
    Ok(target)
}

impl FileTarget {
    /// The target's path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` as the whole file, atomically ([`FileTarget::create`]).
    pub fn write(&self, bytes: &[u8]) -> Result<(), OutputError> {
        let mut f = self.create()?;
        f.write_all(bytes)
            .map_err(|e| Problem::Io(e).at(&self.path))?;
        f.commit()
    }

    /// Starts writing the file: bytes written to the returned file go to a
    /// temporary beside the target, and [`PendingFile::commit`] checks the
    /// target again and puts the file in place whole. The target is as it
    /// was until then.
    pub fn create(&self) -> Result<PendingFile<'_>, OutputError> {
        self.check_existing().map_err(|p| p.at(&self.path))?;
        let file = AtomicFile::create(&self.path).map_err(|e| Problem::Io(e).at(&self.path))?;
        Ok(PendingFile { target: self, file })
    }

    fn check(&self) -> Result<(), Problem> {
        let raw = self.path.as_os_str().as_bytes();
        let names_dir = raw.is_empty()
            || raw.ends_with(b"/")
            || raw.ends_with(b"/.")
            || raw == b"."
            || self.path.file_name().is_none();
        if names_dir {
            return Err(Problem::NamesDirectory);
        }
        self.check_existing()?;
        let parent = super::check_parent(&self.path)?;
        super::temp::sweep_stale(&self.path);
        // Create and remove this process's own temporary: the folder takes
        // new files (not read-only, not a read-only file system).
        let probe = super::temp::path(&self.path, super::temp::Role::Tmp);
        std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&probe)
            .and_then(|_| std::fs::remove_file(&probe))
            .map_err(|e| Problem::Unwritable(parent.display().to_string(), e))
    }

    /// What the path holds now, if anything, may be replaced.
    fn check_existing(&self) -> Result<(), Problem> {
        let meta = match std::fs::symlink_metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            // Not a directory on the way (`file/x`): the folder check says so.
            Err(_) => return Ok(()),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            return Err(Problem::Symlink);
        }
        if kind.is_dir() {
            return Err(Problem::Directory);
        }
        if !kind.is_file() {
            return Err(Problem::Special);
        }
        match self.inputs.same_as(FileId::of(&meta)) {
            Some(input) => Err(Problem::SameAsInput(input.to_string())),
            None => Ok(()),
        }
    }
}

/// A file target being written ([`FileTarget::create`]).
pub struct PendingFile<'a> {
    target: &'a FileTarget,
    file: AtomicFile,
}

impl PendingFile<'_> {
    /// The temporary the bytes go to until the commit.
    pub fn temp_path(&self) -> &Path {
        self.file.temp_path()
    }

    /// Checks the target again (it may have changed while the work ran)
    /// and puts the file in place, whole ([`AtomicFile::commit`]). On error
    /// the target is as it was.
    pub fn commit(self) -> Result<(), OutputError> {
        let path = &self.target.path;
        self.target.check_existing().map_err(|p| p.at(path))?;
        self.file.commit().map_err(|e| Problem::Io(e).at(path))
    }
}

impl Write for PendingFile<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}
