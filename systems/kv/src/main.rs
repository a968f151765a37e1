//! The key-value system's command line: the harness's own, for this system.

use lastcopy_harness::cli::{self, Program};
use lastcopy_kv::KvStore;
use std::process::ExitCode;

/// The built-in scenarios.
const CATALOGUE: &[(&str, &str)] = &[
    ("kv-power", include_str!("../scenarios/kv-power.toml")),
    ("kv-storm", include_str!("../scenarios/kv-storm.toml")),
];

fn main() -> ExitCode {
    cli::main::<KvStore>(&Program {
        package: env!("CARGO_PKG_NAME"),
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        catalogue: CATALOGUE,
        version: None,
    })
}
