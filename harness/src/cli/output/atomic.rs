//! The one atomic file writer: a temporary beside the target, filled and
//! synced, then renamed over the target, and the folder synced.

use super::temp::{self, Role};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written: what is written goes to a temporary beside the
/// target, and only [`AtomicFile::commit`] puts it in place, whole. Until
/// then the target is as it was; dropped without a commit (an error, a
/// panic), the temporary is removed; killed, the temporary is left for the
/// next writer of the same target to remove ([`temp::sweep_stale`]).
///
/// It replaces whatever the target path holds: check the target first
/// ([`super::check_target`]).
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `target`: removes the stale temporaries of `target`,
    /// then creates this process's temporary beside it.
    pub fn create(target: &Path) -> io::Result<Self> {
        if target.file_name().is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "names a directory, not a file",
            ));
        }
        temp::sweep_stale(target);
        let tmp = temp::path(target, Role::Tmp);
        let file = File::options().write(true).create_new(true).open(&tmp)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            tmp,
            file: Some(BufWriter::new(file)),
        })
    }

    /// The temporary the bytes go to until the commit.
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// Puts the file in place: flushes and syncs it, renames it over the
    /// target, and syncs the folder, so that after a crash the target is
    /// the old file or the new one, whole. On error the temporary is
    /// removed and the target is as it was.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("a file not yet committed");
        let done = file
            .into_inner()
            .map_err(io::IntoInnerError::into_error)
            .and_then(|f| f.sync_all())
            .and_then(|()| std::fs::rename(&self.tmp, &self.target));
        if let Err(e) = done {
            let _ = std::fs::remove_file(&self.tmp);
            return Err(e);
        }
        sync_dir(&super::parent_of(&self.target))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file
            .as_mut()
            .expect("a file not yet committed")
            .write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file
            .as_mut()
            .expect("a file not yet committed")
            .flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Syncs the directory `dir`, so that the names just made or renamed in it
/// survive a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
