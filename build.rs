//! Build script of the `lastcopy` package: fixes, at build time, the commit
//! the binary is built from, as the compile-time variable `LASTCOPY_COMMIT`
//! (read by `src/build_identity.rs`): `git rev-parse --short HEAD`, with
//! `-dirty` if tracked files had uncommitted changes, or `unknown` when
//! the package's folder is not the top of a git checkout or there is no
//! `git`. It never fails the build.
//!
//! It reruns when HEAD moves (the HEAD file and the branch it points to,
//! loose or packed, in a plain checkout or a worktree, where `.git` is a
//! file), when the index changes, and when a file the binary is built from
//! changes (so that `-dirty` follows edits; those rebuild the binary anyway,
//! while edits to tests, benches or docs trigger no rebuild); outside a
//! checkout, only when this script changes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=build.rs");
    // Only the package's own checkout counts, not a repository that
    // happens to hold an unpacked copy of it.
    let own = git(&root, &["rev-parse", "--show-toplevel"])
        .and_then(|top| std::fs::canonicalize(top).ok())
        .is_some_and(|top| std::fs::canonicalize(&root).is_ok_and(|r| r == top));
    let head = own
        .then(|| git(&root, &["rev-parse", "--short", "HEAD"]))
        .flatten();
    let commit = match head {
        Some(head) if !head.is_empty() => {
            for path in watched(&root) {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            let dirty = git(&root, &["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{head}-dirty")
            } else {
                head
            }
        }
        _ => "unknown".to_string(),
    };
    println!("cargo:rustc-env=LASTCOPY_COMMIT={commit}");
}

/// The output of `git ARGS` run in `root`, trimmed, if git ran and succeeded.
/// Optional locks are off: a build never takes `index.lock`.
fn git(root: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("--no-optional-locks")
        .arg("-C")
        .arg(root)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Sources of the binary: the manifests, the lock file and the source
/// folders of the workspace's packages (the catalogue's scenario files,
/// compiled in, are added one by one).
const SOURCES: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "src",
    "sim/Cargo.toml",
    "sim/src",
    "models/Cargo.toml",
    "models/src",
];

/// The files whose change may change the commit or its `-dirty`: HEAD and
/// the index (in the worktree's own git folder), the branch HEAD points to
/// and `packed-refs` (in the common git folder), and the sources of the
/// binary. Only paths that exist: Cargo reruns a script on every build for
/// a path that does not.
fn watched(root: &Path) -> Vec<PathBuf> {
    let absolute = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            root.join(p)
        }
    };
    let mut paths = Vec::new();
    if let Some(dir) = git(root, &["rev-parse", "--git-dir"]).map(absolute) {
        paths.push(dir.join("HEAD"));
        paths.push(dir.join("index"));
    }
    if let Some(common) = git(root, &["rev-parse", "--git-common-dir"]).map(absolute) {
        paths.push(common.join("packed-refs"));
        if let Some(branch) = git(root, &["symbolic-ref", "-q", "HEAD"]) {
            paths.push(common.join(branch));
        }
    }
    paths.extend(SOURCES.iter().map(|p| root.join(p)));
    if let Ok(entries) = std::fs::read_dir(root.join("scenarios")) {
        let mut scenarios: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        scenarios.sort();
        paths.extend(scenarios);
    }
    paths.retain(|p| p.exists());
    paths
}
