//! Quoting and replay invocations for the commands lastcopy prints (see
//! `lastcopy_harness::cli::shell`).

pub use harness::cli::shell::shell_word;

/// How to run this binary again from the current directory, for commands
/// the user is shown (replay, shrink): `cargo run --release --` inside the
/// source tree it was built from, else the binary as invoked (a bare name
/// found on `PATH`, or its absolute path).
pub fn invocation() -> String {
    // The root package is the workspace's default run target: no `-p`.
    harness::cli::shell::invocation_of(env!("CARGO_PKG_NAME"), env!("CARGO_MANIFEST_DIR"), true)
}
