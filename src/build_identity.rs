//! Which build of lastcopy this is: its version and the commit of the source
//! it was built from, both fixed when it was compiled (the commit by the
//! package's build script, `build.rs`, from `git` at build time; lastcopy
//! never runs `git` itself). Results files carry it, so that `merge` can
//! refuse shards of different builds, and reports name it in their
//! provenance line.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The package version this binary was built as.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit this binary was built from: a short hash, with `-dirty` if the
/// tree had uncommitted changes to tracked files then, or `unknown` if it
/// was built outside a git checkout (or without `git`).
pub const COMMIT: &str = env!("LASTCOPY_COMMIT");

/// `VERSION (commit COMMIT)`, as `lastcopy --version` prints it.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("LASTCOPY_COMMIT"),
    ")"
);

/// A build of lastcopy: what a results line records of the binary that
/// wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BuildIdentity {
    /// The package version.
    pub version: String,
    /// The commit it was built from (see [`COMMIT`]).
    pub commit: String,
}

impl BuildIdentity {
    /// This binary's build.
    pub fn current() -> Self {
        BuildIdentity {
            version: VERSION.to_string(),
            commit: COMMIT.to_string(),
        }
    }
}

/// `lastcopy VERSION at commit COMMIT`.
impl fmt::Display for BuildIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lastcopy {} at commit {}", self.version, self.commit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_is_fixed_at_compile_time() {
        let b = BuildIdentity::current();
        assert_eq!(b.version, env!("CARGO_PKG_VERSION"));
        assert!(!b.commit.is_empty());
        assert!(
            b.commit == "unknown"
                || b.commit
                    .trim_end_matches("-dirty")
                    .chars()
                    .all(|c| c.is_ascii_hexdigit()),
            "{}",
            b.commit
        );
        assert_eq!(
            b.to_string(),
            format!("lastcopy {VERSION} at commit {COMMIT}")
        );
        assert!(LONG_VERSION.contains(COMMIT));
    }
}
