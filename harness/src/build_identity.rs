//! Which build of a system's binary wrote a results file: its package and
//! a digest of the executable itself. A user's crate has no build script
//! of ours to fix a commit at compile time, but the bytes of the binary
//! name its build exactly: two binaries with the same digest simulate the
//! same way. `merge` refuses shards whose builds differ.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Read;

/// A build of a system's binary, as a results line records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BinaryIdentity {
    /// The package the binary was built from (`lastcopy-kv`).
    pub package: String,
    /// The XXH3-64 digest of the executable's bytes, 16 hex digits.
    pub binary: String,
}

impl BinaryIdentity {
    /// The identity of the running executable, built from `package`; an
    /// error (naming the file) if the executable cannot be read.
    pub fn current(package: &str) -> Result<Self, String> {
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
        Ok(BinaryIdentity {
            package: package.to_string(),
            binary: format!("{:016x}", hasher.digest()),
        })
    }
}

/// `PACKAGE (binary DIGEST)`.
impl fmt::Display for BinaryIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (binary {})", self.package, self.binary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_executable_has_the_same_identity() {
        let a = BinaryIdentity::current("p").expect("the test binary reads");
        assert_eq!(a, BinaryIdentity::current("p").unwrap());
        assert_eq!(a.binary.len(), 16);
        assert_eq!(a.to_string(), format!("p (binary {})", a.binary));
    }
}
