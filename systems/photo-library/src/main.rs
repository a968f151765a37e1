//! The photo library's command line: the harness's own, for this system.

use lastcopy_harness::cli::{self, Program};
use lastcopy_photo::PhotoLibrary;
use std::process::ExitCode;

/// The built-in scenarios.
const CATALOGUE: &[(&str, &str)] = &[
    (
        "photo-gc-race",
        include_str!("../scenarios/photo-gc-race.toml"),
    ),
    (
        "photo-offline",
        include_str!("../scenarios/photo-offline.toml"),
    ),
    (
        "photo-stale-snapshot",
        include_str!("../scenarios/photo-stale-snapshot.toml"),
    ),
    (
        "photo-everything",
        include_str!("../scenarios/photo-everything.toml"),
    ),
];

fn main() -> ExitCode {
    cli::main::<PhotoLibrary>(&Program {
        package: env!("CARGO_PKG_NAME"),
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        catalogue: CATALOGUE,
        version: None,
    })
}
