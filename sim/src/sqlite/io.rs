//! The VFS's file methods (`sqlite3_io_methods`, version 1: no shared
//! memory and no memory mapping, so WAL runs with `locking_mode=EXCLUSIVE`
//! and its index on the heap).
//!
//! Each method maps onto one operation of the file layer. `xSync` syncs the
//! file (the `SQLITE_SYNC_*` flags ask nothing more of a disk whose sync is
//! always full, data and size), then, on the first sync of a journal or WAL
//! opened with `SQLITE_OPEN_CREATE`, the directory, as the unix VFS does.
//! `xSectorSize` is the disk's sector size. `xDeviceCharacteristics` claims
//! only `SQLITE_IOCAP_POWERSAFE_OVERWRITE`, which the disk guarantees (a
//! sector is written whole or not at all, and a partial-sector write
//! rewrites the rest of its sector with what it held); never ATOMIC (a
//! multi-sector write can tear), SAFE_APPEND (a size can become durable
//! before the data) or SEQUENTIAL (unsynced writes survive in any subset).
//! Locks are kept per open file and always granted: one connection per
//! database. Short reads zero the rest of the buffer and return
//! `SQLITE_IOERR_SHORT_READ`; a full file system returns `SQLITE_FULL`.

use super::vfs::{guarded, lock_ctx, SharedCtx};
use super::{lock_files, IoKind};
use crate::disk::DiskError;
use crate::files::{FileId, FilesError};
use rusqlite::ffi;
use std::ffi::{c_int, c_void};

/// The file object SQLite allocates (szOsFile bytes) for each open file.
#[repr(C)]
pub(crate) struct SimFile {
    pub base: ffi::sqlite3_file,
    pub state: *mut FileState,
}

/// Where an open file's bytes are.
pub(crate) enum Target {
    /// A file of the file layer.
    Disk(FileId),
    /// A temporary file, in memory.
    Memory(Vec<u8>),
}

/// An open file.
pub(crate) struct FileState {
    pub ctx: SharedCtx,
    pub name: String,
    pub target: Target,
    pub lock: c_int,
    /// Sync the directory at the first sync.
    pub dir_sync_pending: bool,
}

pub(crate) static IO_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

/// The state of an open file.
///
/// # Safety
/// `file` must be a file opened by this VFS and not yet closed.
unsafe fn state<'a>(file: *mut ffi::sqlite3_file) -> &'a mut FileState {
    // SAFETY: per the contract, `file` is a SimFile whose state is a live
    // Box; SQLite never calls two methods of one file at once.
    unsafe { &mut *(*(file as *mut SimFile)).state }
}

/// The SQLite code for a failed file-layer operation: `SQLITE_FULL` when
/// space ran out, `io_err` otherwise.
fn code(e: &FilesError, io_err: c_int) -> c_int {
    match e {
        FilesError::TooLarge { .. }
        | FilesError::DirectoryFull
        | FilesError::Disk(DiskError::NoSpace) => ffi::SQLITE_FULL,
        _ => io_err,
    }
}

unsafe extern "C" fn x_close(file: *mut ffi::sqlite3_file) -> c_int {
    guarded(|| {
        // SAFETY: SQLite closes each file it opened once; the state came
        // from Box::into_raw in xOpen.
        unsafe {
            let sim = file as *mut SimFile;
            if !(*sim).state.is_null() {
                drop(Box::from_raw((*sim).state));
                (*sim).state = std::ptr::null_mut();
            }
        }
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amt: c_int,
    offset: i64,
) -> c_int {
    guarded(|| {
        // SAFETY: the file is open; SQLite passes a buffer of amt bytes.
        let (st, buf) = unsafe {
            (
                state(file),
                std::slice::from_raw_parts_mut(buf.cast::<u8>(), amt.max(0) as usize),
            )
        };
        let c = lock_ctx(&st.ctx);
        if c.dead || offset < 0 {
            return ffi::SQLITE_IOERR_READ;
        }
        let n = match &st.target {
            Target::Memory(v) => {
                let from = (offset as usize).min(v.len());
                let n = buf.len().min(v.len() - from);
                buf[..n].copy_from_slice(&v[from..from + n]);
                n
            }
            Target::Disk(id) => match lock_files(&c.files).read(*id, offset as u64, buf) {
                Ok(n) => n,
                Err(_) => return ffi::SQLITE_IOERR_READ,
            },
        };
        if n < buf.len() {
            buf[n..].fill(0);
            return ffi::SQLITE_IOERR_SHORT_READ;
        }
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amt: c_int,
    offset: i64,
) -> c_int {
    guarded(|| {
        // SAFETY: the file is open; SQLite passes a buffer of amt bytes.
        let (st, data) = unsafe {
            (
                state(file),
                std::slice::from_raw_parts(buf.cast::<u8>(), amt.max(0) as usize),
            )
        };
        if offset < 0 {
            return ffi::SQLITE_IOERR_WRITE;
        }
        let mut c = lock_ctx(&st.ctx);
        match &mut st.target {
            Target::Memory(v) => {
                if c.dead {
                    return ffi::SQLITE_IOERR_WRITE;
                }
                let end = offset as usize + data.len();
                if v.len() < end {
                    v.resize(end, 0);
                }
                v[offset as usize..end].copy_from_slice(data);
                ffi::SQLITE_OK
            }
            Target::Disk(id) => {
                if let Err(rc) = c.before_mutation(IoKind::Write, &st.name) {
                    return rc;
                }
                match lock_files(&c.files).write(*id, offset as u64, data) {
                    Ok(()) => ffi::SQLITE_OK,
                    Err(e) => code(&e, ffi::SQLITE_IOERR_WRITE),
                }
            }
        }
    })
}

unsafe extern "C" fn x_truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    guarded(|| {
        // SAFETY: the file is open.
        let st = unsafe { state(file) };
        if size < 0 {
            return ffi::SQLITE_IOERR_TRUNCATE;
        }
        let mut c = lock_ctx(&st.ctx);
        match &mut st.target {
            Target::Memory(v) => {
                if c.dead {
                    return ffi::SQLITE_IOERR_TRUNCATE;
                }
                v.resize(size as usize, 0);
                ffi::SQLITE_OK
            }
            Target::Disk(id) => {
                if let Err(rc) = c.before_mutation(IoKind::Truncate, &st.name) {
                    return rc;
                }
                match lock_files(&c.files).truncate(*id, size as u64) {
                    Ok(()) => ffi::SQLITE_OK,
                    Err(e) => code(&e, ffi::SQLITE_IOERR_TRUNCATE),
                }
            }
        }
    })
}

unsafe extern "C" fn x_sync(file: *mut ffi::sqlite3_file, _flags: c_int) -> c_int {
    guarded(|| {
        // SAFETY: the file is open.
        let st = unsafe { state(file) };
        let mut c = lock_ctx(&st.ctx);
        let Target::Disk(id) = st.target else {
            return if c.dead {
                ffi::SQLITE_IOERR_FSYNC
            } else {
                ffi::SQLITE_OK
            };
        };
        if let Err(rc) = c.before_mutation(IoKind::Sync, &st.name) {
            return rc;
        }
        if lock_files(&c.files).sync(id).is_err() {
            return ffi::SQLITE_IOERR_FSYNC;
        }
        if st.dir_sync_pending {
            if let Err(rc) = c.before_mutation(IoKind::SyncDir, &st.name) {
                return rc;
            }
            if lock_files(&c.files).sync_dir().is_err() {
                return ffi::SQLITE_IOERR_DIR_FSYNC;
            }
            st.dir_sync_pending = false;
        }
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_file_size(file: *mut ffi::sqlite3_file, out: *mut i64) -> c_int {
    guarded(|| {
        // SAFETY: the file is open; SQLite passes a valid out pointer.
        let (st, out) = unsafe { (state(file), &mut *out) };
        let c = lock_ctx(&st.ctx);
        if c.dead {
            return ffi::SQLITE_IOERR_FSTAT;
        }
        *out = match &st.target {
            Target::Memory(v) => v.len() as i64,
            Target::Disk(id) => match lock_files(&c.files).size(*id) {
                Ok(s) => s as i64,
                Err(_) => return ffi::SQLITE_IOERR_FSTAT,
            },
        };
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    guarded(|| {
        // SAFETY: the file is open.
        let st = unsafe { state(file) };
        if lock_ctx(&st.ctx).dead {
            return ffi::SQLITE_IOERR_LOCK;
        }
        st.lock = st.lock.max(level);
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    guarded(|| {
        // SAFETY: the file is open.
        let st = unsafe { state(file) };
        st.lock = st.lock.min(level);
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    guarded(|| {
        // SAFETY: the file is open; SQLite passes a valid out pointer.
        unsafe {
            let st = state(file);
            *out = c_int::from(st.lock >= ffi::SQLITE_LOCK_RESERVED);
        }
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_file_control(
    _file: *mut ffi::sqlite3_file,
    _op: c_int,
    _arg: *mut c_void,
) -> c_int {
    ffi::SQLITE_NOTFOUND
}

unsafe extern "C" fn x_sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    let size = std::panic::catch_unwind(|| {
        // SAFETY: the file is open.
        let st = unsafe { state(file) };
        let c = lock_ctx(&st.ctx);
        let ss = lock_files(&c.files).sector_size();
        ss as c_int
    });
    size.unwrap_or(512)
}

unsafe extern "C" fn x_device_characteristics(_file: *mut ffi::sqlite3_file) -> c_int {
    ffi::SQLITE_IOCAP_POWERSAFE_OVERWRITE
}
