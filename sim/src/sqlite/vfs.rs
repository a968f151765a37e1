//! The SQLite VFS over the file layer: one registered `sqlite3_vfs` per
//! open database, its context (files, seeded stream, simulated clock, the
//! crash switch) and its VFS-level callbacks. The file methods are in
//! `io.rs`.
//!
//! What it promises SQLite, and nothing more: names are the file layer's
//! names as given (`xFullPathname` is the identity); `xDelete` deletes the
//! file and, when SQLite passes its sync-directory flag, syncs the
//! directory; `xAccess(EXISTS)` is true for files that exist with a
//! non-zero size (as the unix VFS does); `xRandomness` draws from the
//! database's seeded stream; `xCurrentTime(Int64)` reads the simulated
//! clock, advanced by every `xSleep`, which returns at once. Temporary files
//! (no name, or delete-on-close) live in memory. Every callback catches
//! panics and returns `SQLITE_IOERR`, and once the process is dead (a crash
//! was injected) every callback fails without touching the files.

use super::io::{self, FileState, SimFile, Target};
use super::{lock_files, Crash, IoKind, IoOp, SharedFiles};
use crate::host::lock_disk;
use crate::rng::Rng;
use crate::time::SimTime;
use rand::Rng as _;
use rusqlite::ffi;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The simulated clock: the time now, in simulated time.
pub type Clock = Arc<dyn Fn() -> SimTime + Send + Sync>;

/// What `xCurrentTimeInt64` reports at simulated time zero: 2009-10-01
/// 00:00:00 UTC, in milliseconds since the Julian epoch.
pub const EPOCH_JULIAN_MS: i64 = 212_121_115_200_000;

/// Everything the callbacks of one database's VFS share.
pub(crate) struct Ctx {
    pub files: SharedFiles,
    pub rng: Rng,
    pub clock: Option<Clock>,
    /// Microseconds slept (xSleep) so far: they advance the clock.
    pub slept_us: u64,
    /// The process died: every callback fails.
    pub dead: bool,
    /// Mutations (write, sync, truncate, delete, directory sync) issued.
    pub mutations: u64,
    /// Crash just before mutation number `.0` (counted from 0).
    pub crash_at: Option<(u64, Crash)>,
    pub log: Vec<IoOp>,
    /// The mutation an armed crash struck before.
    pub crashed_before: Option<IoOp>,
    pub temp_files: u64,
    /// Panic just before mutation number `.0` (a test of the callbacks'
    /// panic guard).
    pub panic_at: Option<u64>,
}

impl Ctx {
    /// Called before every mutation of a file: fails if the process is
    /// dead, or dies now if a crash is armed for this mutation.
    pub fn before_mutation(&mut self, kind: IoKind, file: &str) -> Result<(), c_int> {
        if self.dead {
            return Err(ffi::SQLITE_IOERR);
        }
        if self.panic_at == Some(self.mutations) {
            self.panic_at = None;
            panic!("injected panic before mutation {}", self.mutations);
        }
        if let Some((at, crash)) = self.crash_at {
            if at == self.mutations {
                self.crashed_before = Some(IoOp {
                    kind,
                    file: file.to_string(),
                });
                self.die(crash);
                return Err(ffi::SQLITE_IOERR);
            }
        }
        self.mutations += 1;
        self.log.push(IoOp {
            kind,
            file: file.to_string(),
        });
        Ok(())
    }

    /// The process dies; at a power loss the disk is fenced too, so that
    /// nothing (not even the file layer) writes to it again.
    pub fn die(&mut self, crash: Crash) {
        self.dead = true;
        if crash == Crash::PowerLoss {
            let disk = lock_files(&self.files).disk().clone();
            lock_disk(&disk).fence();
        }
    }

    fn now_julian_ms(&self) -> i64 {
        let ms = self.clock.as_ref().map_or(0, |c| c().as_millis());
        EPOCH_JULIAN_MS + (ms + self.slept_us / 1000) as i64
    }
}

pub(crate) type SharedCtx = Arc<Mutex<Ctx>>;

/// Locks a context, whatever a panic left in it.
pub(crate) fn lock_ctx(ctx: &SharedCtx) -> MutexGuard<'_, Ctx> {
    ctx.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs a callback body, turning a panic into `SQLITE_IOERR`.
pub(crate) fn guarded(f: impl FnOnce() -> c_int) -> c_int {
    std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or(ffi::SQLITE_IOERR)
}

/// A registered VFS. Unregister it (under the SQLite lock) before dropping.
pub(crate) struct Registered {
    vfs: Box<ffi::sqlite3_vfs>,
    name: CString,
    /// What `pAppData` points to, freed in `unregister`.
    app_data: *mut SharedCtx,
    registered: bool,
}

// SAFETY: the raw pointers are the VFS's own heap allocations; SQLite reads
// them only under the process-wide SQLite lock, whichever thread holds it.
unsafe impl Send for Registered {}

static NEXT_VFS: AtomicU64 = AtomicU64::new(0);

/// How many VFSs are registered now (see [`live`]).
static LIVE: AtomicU64 = AtomicU64::new(0);

/// How many VFSs this crate has registered with SQLite and not yet
/// unregistered, process-wide.
pub(crate) fn live() -> u64 {
    LIVE.load(Ordering::Relaxed)
}

impl Registered {
    /// Registers a new VFS over `ctx` (not as the default). Call it holding
    /// the SQLite lock. The VFS's name is unique in the process; it never
    /// reaches the disk.
    pub fn new(ctx: SharedCtx) -> Result<Registered, String> {
        let n = NEXT_VFS.fetch_add(1, Ordering::Relaxed);
        let name = CString::new(format!("lastcopy-sim-{n}")).expect("no NUL");
        let app_data = Box::into_raw(Box::new(ctx));
        let vfs = Box::new(ffi::sqlite3_vfs {
            iVersion: 2,
            szOsFile: std::mem::size_of::<SimFile>() as c_int,
            mxPathname: 512,
            pNext: std::ptr::null_mut(),
            zName: name.as_ptr(),
            pAppData: app_data.cast(),
            xOpen: Some(x_open),
            xDelete: Some(x_delete),
            xAccess: Some(x_access),
            xFullPathname: Some(x_full_pathname),
            xDlOpen: Some(x_dl_open),
            xDlError: Some(x_dl_error),
            xDlSym: Some(x_dl_sym),
            xDlClose: Some(x_dl_close),
            xRandomness: Some(x_randomness),
            xSleep: Some(x_sleep),
            xCurrentTime: Some(x_current_time),
            xGetLastError: Some(x_get_last_error),
            xCurrentTimeInt64: Some(x_current_time_int64),
            xSetSystemCall: None,
            xGetSystemCall: None,
            xNextSystemCall: None,
        });
        let mut r = Registered {
            vfs,
            name,
            app_data,
            registered: false,
        };
        // SAFETY: the struct is fully initialised, heap-allocated and kept
        // alive (with its name and app data) until `unregister`; the caller
        // holds the SQLite lock.
        let rc = unsafe { ffi::sqlite3_vfs_register(&mut *r.vfs, 0) };
        if rc != ffi::SQLITE_OK {
            return Err(format!("sqlite3_vfs_register failed: {rc}"));
        }
        r.registered = true;
        LIVE.fetch_add(1, Ordering::Relaxed);
        Ok(r)
    }

    /// The name to open databases with.
    pub fn name(&self) -> &str {
        self.name.to_str().expect("ASCII")
    }

    /// Unregisters the VFS. Call it holding the SQLite lock, once no
    /// connection uses it.
    pub fn unregister(&mut self) {
        if self.registered {
            // SAFETY: the VFS was registered by `new`; the caller holds the
            // SQLite lock and no connection uses it any more.
            unsafe { ffi::sqlite3_vfs_unregister(&mut *self.vfs) };
            self.registered = false;
            LIVE.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        // A VFS still registered must stay allocated: SQLite holds a pointer.
        if self.registered {
            return;
        }
        // SAFETY: `app_data` came from `Box::into_raw` in `new` and SQLite
        // no longer knows the VFS.
        drop(unsafe { Box::from_raw(self.app_data) });
    }
}

/// The context of a VFS.
///
/// # Safety
/// `vfs` must be a VFS made by [`Registered::new`] and still registered.
unsafe fn ctx_of(vfs: *mut ffi::sqlite3_vfs) -> SharedCtx {
    // SAFETY: per the contract, pAppData points to a live SharedCtx.
    unsafe { (*((*vfs).pAppData as *const SharedCtx)).clone() }
}

/// SQLite's file-type bits of an open's flags that the unix VFS syncs the
/// directory for on the first sync of a newly created file.
const DIR_SYNC_TYPES: c_int =
    ffi::SQLITE_OPEN_MAIN_JOURNAL | ffi::SQLITE_OPEN_SUPER_JOURNAL | ffi::SQLITE_OPEN_WAL;

unsafe extern "C" fn x_open(
    vfs: *mut ffi::sqlite3_vfs,
    z_name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    guarded(|| {
        // SAFETY: SQLite passes a buffer of szOsFile bytes for the file, a
        // NUL-terminated name or null, and a valid or null out pointer; the
        // VFS is ours.
        unsafe {
            (*file).pMethods = std::ptr::null();
            let ctx = ctx_of(vfs);
            let name = if z_name.is_null() {
                None
            } else {
                match CStr::from_ptr(z_name).to_str() {
                    Ok(n) => Some(n.to_string()),
                    Err(_) => return ffi::SQLITE_CANTOPEN,
                }
            };
            let state = match open_target(&ctx, name, flags) {
                Ok(s) => s,
                Err(rc) => return rc,
            };
            let sim = file as *mut SimFile;
            (*sim).state = Box::into_raw(Box::new(state));
            (*sim).base.pMethods = &io::IO_METHODS;
            if !out_flags.is_null() {
                *out_flags = flags;
            }
            ffi::SQLITE_OK
        }
    })
}

fn open_target(ctx: &SharedCtx, name: Option<String>, flags: c_int) -> Result<FileState, c_int> {
    let mut c = lock_ctx(ctx);
    if c.dead {
        return Err(ffi::SQLITE_IOERR);
    }
    let create = flags & ffi::SQLITE_OPEN_CREATE != 0;
    let (name, target) = match name {
        Some(name) if flags & ffi::SQLITE_OPEN_DELETEONCLOSE == 0 => {
            let mut files = lock_files(&c.files);
            let id = match files.open(&name) {
                Ok(_) if create && flags & ffi::SQLITE_OPEN_EXCLUSIVE != 0 => {
                    return Err(ffi::SQLITE_CANTOPEN)
                }
                Ok(id) => id,
                Err(_) if create => files.create(&name).map_err(|_| ffi::SQLITE_CANTOPEN)?,
                Err(_) => return Err(ffi::SQLITE_CANTOPEN),
            };
            (name, Target::Disk(id))
        }
        _ => {
            c.temp_files += 1;
            (format!("temp-{}", c.temp_files), Target::Memory(Vec::new()))
        }
    };
    let dir_sync_pending =
        create && flags & DIR_SYNC_TYPES != 0 && matches!(target, Target::Disk(_));
    Ok(FileState {
        ctx: ctx.clone(),
        name,
        target,
        lock: ffi::SQLITE_LOCK_NONE,
        dir_sync_pending,
    })
}

unsafe extern "C" fn x_delete(
    vfs: *mut ffi::sqlite3_vfs,
    z_name: *const c_char,
    sync_dir: c_int,
) -> c_int {
    guarded(|| {
        // SAFETY: the VFS is ours and SQLite passes a NUL-terminated name.
        let (ctx, name) = unsafe {
            (
                ctx_of(vfs),
                CStr::from_ptr(z_name).to_string_lossy().into_owned(),
            )
        };
        let mut c = lock_ctx(&ctx);
        if let Err(rc) = c.before_mutation(IoKind::Delete, &name) {
            return rc;
        }
        let r = lock_files(&c.files).delete(&name);
        if r.is_err() {
            return ffi::SQLITE_IOERR_DELETE_NOENT;
        }
        if sync_dir != 0 {
            if let Err(rc) = c.before_mutation(IoKind::SyncDir, &name) {
                return rc;
            }
            if lock_files(&c.files).sync_dir().is_err() {
                return ffi::SQLITE_IOERR_DIR_FSYNC;
            }
        }
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_access(
    vfs: *mut ffi::sqlite3_vfs,
    z_name: *const c_char,
    flags: c_int,
    out: *mut c_int,
) -> c_int {
    guarded(|| {
        // SAFETY: the VFS is ours, SQLite passes a NUL-terminated name and
        // a valid out pointer.
        unsafe {
            let ctx = ctx_of(vfs);
            let c = lock_ctx(&ctx);
            if c.dead {
                return ffi::SQLITE_IOERR_ACCESS;
            }
            let name = CStr::from_ptr(z_name).to_string_lossy();
            let files = lock_files(&c.files);
            let found = files.open(&name).ok();
            *out = c_int::from(match flags {
                ffi::SQLITE_ACCESS_EXISTS => {
                    found.is_some_and(|id| files.size(id).is_ok_and(|s| s > 0))
                }
                _ => found.is_some(),
            });
            ffi::SQLITE_OK
        }
    })
}

unsafe extern "C" fn x_full_pathname(
    _vfs: *mut ffi::sqlite3_vfs,
    z_name: *const c_char,
    n_out: c_int,
    z_out: *mut c_char,
) -> c_int {
    guarded(|| {
        // SAFETY: SQLite passes a NUL-terminated name and an output buffer
        // of n_out bytes.
        unsafe {
            let name = CStr::from_ptr(z_name).to_bytes_with_nul();
            if name.len() > n_out.max(0) as usize {
                return ffi::SQLITE_CANTOPEN;
            }
            std::ptr::copy_nonoverlapping(name.as_ptr().cast(), z_out, name.len());
            ffi::SQLITE_OK
        }
    })
}

unsafe extern "C" fn x_dl_open(_vfs: *mut ffi::sqlite3_vfs, _name: *const c_char) -> *mut c_void {
    std::ptr::null_mut()
}

unsafe extern "C" fn x_dl_error(_vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) {
    const MSG: &[u8] = b"no extensions in the simulation\0";
    if n > 0 {
        let len = MSG.len().min(n as usize);
        // SAFETY: SQLite passes a buffer of n bytes; we write at most n,
        // ending with a NUL.
        unsafe {
            std::ptr::copy_nonoverlapping(MSG.as_ptr().cast(), out, len);
            *out.add(len - 1) = 0;
        }
    }
}

unsafe extern "C" fn x_dl_sym(
    _vfs: *mut ffi::sqlite3_vfs,
    _handle: *mut c_void,
    _sym: *const c_char,
) -> Option<unsafe extern "C" fn(*mut ffi::sqlite3_vfs, *mut c_void, *const c_char)> {
    None
}

unsafe extern "C" fn x_dl_close(_vfs: *mut ffi::sqlite3_vfs, _handle: *mut c_void) {}

unsafe extern "C" fn x_randomness(vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) -> c_int {
    guarded(|| {
        // SAFETY: the VFS is ours; SQLite passes a buffer of n bytes.
        unsafe {
            let ctx = ctx_of(vfs);
            let buf = std::slice::from_raw_parts_mut(out.cast::<u8>(), n.max(0) as usize);
            lock_ctx(&ctx).rng.fill_bytes(buf);
        }
        n
    })
}

unsafe extern "C" fn x_sleep(vfs: *mut ffi::sqlite3_vfs, micros: c_int) -> c_int {
    guarded(|| {
        // SAFETY: the VFS is ours.
        let ctx = unsafe { ctx_of(vfs) };
        lock_ctx(&ctx).slept_us += micros.max(0) as u64;
        micros
    })
}

unsafe extern "C" fn x_current_time(vfs: *mut ffi::sqlite3_vfs, out: *mut f64) -> c_int {
    guarded(|| {
        // SAFETY: the VFS is ours; SQLite passes a valid out pointer.
        unsafe {
            let ms = lock_ctx(&ctx_of(vfs)).now_julian_ms();
            *out = ms as f64 / 86_400_000.0;
        }
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_current_time_int64(
    vfs: *mut ffi::sqlite3_vfs,
    out: *mut ffi::sqlite3_int64,
) -> c_int {
    guarded(|| {
        // SAFETY: the VFS is ours; SQLite passes a valid out pointer.
        unsafe {
            *out = lock_ctx(&ctx_of(vfs)).now_julian_ms();
        }
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_get_last_error(
    _vfs: *mut ffi::sqlite3_vfs,
    _n: c_int,
    _out: *mut c_char,
) -> c_int {
    0
}
