//! Swapping two names in one step: how a directory replaces another without
//! a moment in which neither is in place.

use std::io;
use std::path::Path;

/// Swaps what the paths `a` and `b` name (both must exist, on one file
/// system), atomically: `renameat2(RENAME_EXCHANGE)` on Linux,
/// `renameatx_np(RENAME_SWAP)` on Apple systems. A file system that cannot
/// (some network file systems) and other platforms give an error, and
/// nothing changes.
pub fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    {
        let _ = (a, b);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this platform has no atomic exchange of two names",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::exchange;

    #[test]
    fn two_directories_swap_names() {
        let dir = std::env::temp_dir().join(format!("lastcopy-exchange-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (a, b) = (dir.join("a"), dir.join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("x"), "in a").unwrap();
        std::fs::write(b.join("y"), "in b").unwrap();
        exchange(&a, &b).unwrap();
        assert_eq!(std::fs::read_to_string(b.join("x")).unwrap(), "in a");
        assert_eq!(std::fs::read_to_string(a.join("y")).unwrap(), "in b");
        assert!(
            exchange(&a, &dir.join("missing")).is_err(),
            "both must exist"
        );
        assert!(a.join("y").exists(), "and nothing changed");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
