//! Ctrl-C during a sweep: the first one lets the seeds in flight finish and
//! starts no new one ([`INTERRUPTED`], the stop flag a sweep hands
//! [`crate::sweep::stream_map`]); the sweep then prints the summary of the
//! seeds that ran and exits [`INTERRUPTED_EXIT`], leaving its results file
//! as it was. A second Ctrl-C ends the process at once, removing the
//! temporary results file being written ([`set_pending`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Set by the first Ctrl-C: the sweep starts no new seed.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The temporary results file being written, removed by a second Ctrl-C.
static PENDING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Exit code of a sweep interrupted by Ctrl-C (128 + SIGINT, as shells
/// report it).
pub const INTERRUPTED_EXIT: u8 = 130;

/// Names the temporary file a second Ctrl-C removes (`None`: none now).
pub fn set_pending(path: Option<PathBuf>) {
    *PENDING.lock().unwrap_or_else(|e| e.into_inner()) = path;
}

/// Installs the Ctrl-C handler: the first Ctrl-C sets [`INTERRUPTED`]
/// (and says so on stderr); a second ends the process at once (exit
/// [`INTERRUPTED_EXIT`]), removing the pending temporary file. Without a
/// handler (one could not be installed, or one already was), Ctrl-C ends
/// the process as usual or as the first handler says.
pub fn on_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            if let Some(tmp) = PENDING.lock().unwrap_or_else(|e| e.into_inner()).take() {
                let _ = std::fs::remove_file(tmp);
            }
            std::process::exit(i32::from(INTERRUPTED_EXIT));
        }
        eprintln!(
            "interrupted: finishing the seeds in flight, then the summary (Ctrl-C again to stop now)"
        );
    });
}
