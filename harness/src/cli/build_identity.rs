//! Which build of a system's binary wrote a results file: its package and
//! its build, as the binary names it ([`Program::version`]: a version and
//! commit fixed at compile time) or else by a digest of the executable
//! itself (a user's crate may have no build script to fix a commit, but
//! the bytes of the binary name its build exactly: two binaries with the
//! same digest simulate the same way). `merge` refuses shards whose builds
//! differ.

use crate::cli::Program;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Read;

/// A build of a system's binary, as a results line records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BinaryIdentity {
    /// The package the binary was built from (`lastcopy-kv`).
    pub package: String,
    /// Its build: the version the binary names itself by (`0.1.0 (commit
    /// 2fce39d)`), or `binary DIGEST`, the XXH3-64 digest of the
    /// executable's bytes in 16 hex digits.
    pub build: String,
}

impl BinaryIdentity {
    /// The identity of the running executable of `program`: its
    /// [`Program::version`] if it has one, else the digest of the
    /// executable; an error (naming the file) if that cannot be read.
    pub fn current(program: &Program) -> Result<Self, String> {
        let build = match program.version {
            Some(version) => version.to_string(),
            None => format!("binary {}", executable_digest()?),
        };
        Ok(BinaryIdentity {
            package: program.package.to_string(),
            build,
        })
    }
}

/// The XXH3-64 digest of the running executable's bytes, 16 hex digits.
fn executable_digest() -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| format!("this executable: {e}"))?;
    let named = |e: std::io::Error| format!("{}: {e}", exe.display());
    let mut file = std::fs::File::open(&exe).map_err(named)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(named)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:016x}", hasher.digest()))
}

/// `PACKAGE BUILD`: `lastcopy 0.1.0 (commit 2fce39d)`, `lastcopy-kv
/// binary 0123456789abcdef`.
impl fmt::Display for BinaryIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.package, self.build)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(version: Option<&'static str>) -> Program {
        Program {
            package: "p",
            manifest_dir: "",
            catalogue: &[],
            version,
        }
    }

    #[test]
    fn the_same_executable_has_the_same_identity() {
        let a = BinaryIdentity::current(&program(None)).expect("the test binary reads");
        assert_eq!(a, BinaryIdentity::current(&program(None)).unwrap());
        let digest = a.build.strip_prefix("binary ").expect("a digest");
        assert_eq!(digest.len(), 16);
        assert_eq!(a.to_string(), format!("p binary {digest}"));
    }

    #[test]
    fn a_binary_that_names_its_build_is_known_by_that_name() {
        let named = BinaryIdentity::current(&program(Some("1.2.3 (commit abc)"))).unwrap();
        assert_eq!(named.to_string(), "p 1.2.3 (commit abc)");
    }
}
