//! The process-wide SQLite lock, and the reseeding of SQLite's PRNG under it.
//!
//! SQLite keeps process-wide state that reaches the disk: its PRNG, which
//! draws journal nonces, WAL salts and temporary names. Seeds run one after
//! another in one process, or on parallel threads, would otherwise draw
//! from one shared stream and write different bytes. So every call into
//! SQLite made by this crate holds one process-wide lock, and first reseeds
//! the PRNG (`SQLITE_TESTCTRL_PRNG_SEED`) with a value drawn from the
//! caller's own seeded stream: what SQLite draws then depends only on that
//! stream and on the calls made since the reseed, all under the same lock.

use super::SqliteError;
use rusqlite::ffi;
use std::cell::Cell;
use std::ffi::c_int;
use std::sync::{Mutex, PoisonError};

static SQLITE: Mutex<()> = Mutex::new(());

thread_local! {
    static HELD: Cell<bool> = const { Cell::new(false) };
}

/// Clears the thread's "lock held" mark, even when `f` unwinds.
struct Held;

impl Drop for Held {
    fn drop(&mut self) {
        HELD.with(|h| h.set(false));
    }
}

/// Whether this thread holds the SQLite lock.
pub(crate) fn held() -> bool {
    HELD.with(Cell::get)
}

/// Runs `f` holding the process-wide SQLite lock, after reseeding SQLite's
/// PRNG with `prng_seed` (0 is taken as 1: SQLite reads 0 as "no seed").
/// Fails with [`SqliteError::Reentrant`], running nothing, if this thread
/// already holds the lock (a call made from inside another).
pub(crate) fn with_sqlite<R>(prng_seed: u32, f: impl FnOnce() -> R) -> Result<R, SqliteError> {
    if held() {
        return Err(SqliteError::Reentrant);
    }
    let _guard = SQLITE.lock().unwrap_or_else(PoisonError::into_inner);
    HELD.with(|h| h.set(true));
    let _held = Held;
    let seed = prng_seed.max(1) as c_int;
    // SAFETY: SQLITE_TESTCTRL_PRNG_SEED takes an int and a `sqlite3*`
    // (null: use the int); it sets a process-wide config value and resets
    // the PRNG, which we may do because we hold the process-wide lock that
    // every SQLite call of this crate takes.
    unsafe {
        ffi::sqlite3_test_control(
            ffi::SQLITE_TESTCTRL_PRNG_SEED,
            seed,
            std::ptr::null_mut::<ffi::sqlite3>(),
        );
    }
    Ok(f())
}

/// Draws `n` bytes from SQLite's PRNG, under the lock after reseeding it
/// with `prng_seed`: the same seed gives the same bytes, whatever ran
/// before.
#[cfg(test)]
pub(crate) fn prng_bytes(prng_seed: u32, n: usize) -> Vec<u8> {
    with_sqlite(prng_seed, || {
        let mut out = vec![0u8; n];
        // SAFETY: `out` is a live buffer of `n` bytes, and we hold the lock.
        unsafe { ffi::sqlite3_randomness(n as c_int, out.as_mut_ptr().cast()) };
        out
    })
    .expect("not reentrant")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reseeding_fixes_the_prng_stream() {
        let a = prng_bytes(7, 32);
        let _ = prng_bytes(8, 100);
        assert_eq!(prng_bytes(7, 32), a);
        assert_ne!(prng_bytes(9, 32), a);
        let threads: Vec<_> = (0..2)
            .map(|_| std::thread::spawn(|| prng_bytes(7, 32)))
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), a);
        }
    }

    #[test]
    fn nested_calls_are_refused() {
        let r = with_sqlite(1, || with_sqlite(2, || ()));
        assert_eq!(r, Ok(Err(SqliteError::Reentrant)));
    }
}
