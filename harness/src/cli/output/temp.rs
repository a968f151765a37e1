//! The temporaries lastcopy makes beside a target, and the clean-up of the
//! ones an interrupted writer left.
//!
//! A temporary of the target `DIR/NAME` is `DIR/.NAME.lastcopy-ROLE-PID`:
//! tied to its target by name and to its writer by process id. A writer
//! removes, before it writes, the temporaries of the same target whose
//! writer is gone (no process has that id, or it is the writer's own id,
//! left by an earlier process that had it), and never any other file:
//! shards writing other files into one shared folder never touch each
//! other's temporaries, and one whose writer still runs is kept.
//!
//! Process ids are those of this machine (and pid namespace): two writers of
//! the same target on different machines sharing a folder can mistake each
//! other's live temporary for a stale one. Write one target from one place.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// What a temporary is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The new file or directory, filled before it is renamed into place;
    /// after a directory is swapped in, the old one under this name until
    /// it is removed.
    Tmp,
    /// A second directory, made only to check that the file system can
    /// swap two directories.
    Probe,
}

impl Role {
    const ALL: [Role; 2] = [Role::Tmp, Role::Probe];

    fn word(self) -> &'static str {
        match self {
            Role::Tmp => "tmp",
            Role::Probe => "probe",
        }
    }
}

/// The temporary of `target` for `role`, of this process.
pub fn path(target: &Path, role: Role) -> PathBuf {
    path_of(target, role, std::process::id())
}

/// The temporary of `target` for `role` that the process `pid` makes.
pub fn path_of(target: &Path, role: Role, pid: u32) -> PathBuf {
    let mut name = prefix(target);
    name.extend_from_slice(format!("{}-{pid}", role.word()).as_bytes());
    super::parent_of(target).join(OsString::from_vec(name))
}

/// `.NAME.lastcopy-`: what every temporary of `target` starts with.
fn prefix(target: &Path) -> Vec<u8> {
    let name = target.file_name().unwrap_or_default().as_bytes();
    let mut p = Vec::with_capacity(name.len() + 12);
    p.push(b'.');
    p.extend_from_slice(name);
    p.extend_from_slice(b".lastcopy-");
    p
}

/// The writer's process id if `file_name` is a temporary of `target`.
fn writer_of(target: &Path, file_name: &[u8]) -> Option<u32> {
    let rest = file_name.strip_prefix(prefix(target).as_slice())?;
    let digits = Role::ALL.iter().find_map(|r| {
        rest.strip_prefix(r.word().as_bytes())
            .and_then(|d| d.strip_prefix(b"-"))
    })?;
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Whether no process has the id `pid` (`kill(pid, 0)` fails with ESRCH).
/// A process that exists but is not ours to signal is alive.
pub fn is_gone(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    rustix::process::test_kill_process(pid) == Err(rustix::io::Errno::SRCH)
}

/// Removes the temporaries of `target` whose writer is gone: files, and
/// directories that lastcopy marked or that are empty (a directory holding
/// anything else is left alone). Best effort: one that cannot be removed is
/// left, and the write goes on. Returns what it removed.
pub fn sweep_stale(target: &Path) -> Vec<PathBuf> {
    let own = std::process::id();
    let Ok(entries) = std::fs::read_dir(super::parent_of(target)) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = writer_of(target, entry.file_name().as_bytes()) else {
            continue;
        };
        if pid != own && !is_gone(pid) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let gone = if meta.is_file() {
            std::fs::remove_file(&path).is_ok()
        } else if meta.is_dir() && super::is_ours_or_empty(&path) {
            std::fs::remove_dir_all(&path).is_ok()
        } else {
            false
        };
        if gone {
            removed.push(path);
        }
    }
    removed.sort();
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_names_its_target_and_writer() {
        let t = Path::new("out/r.jsonl");
        assert_eq!(
            path_of(t, Role::Tmp, 42),
            Path::new("out/.r.jsonl.lastcopy-tmp-42")
        );
        assert_eq!(
            path_of(Path::new("r"), Role::Probe, 7),
            Path::new("./.r.lastcopy-probe-7")
        );
        assert_eq!(writer_of(t, b".r.jsonl.lastcopy-tmp-42"), Some(42));
        assert_eq!(writer_of(t, b".r.jsonl.lastcopy-probe-9"), Some(9));
        for other in [
            &b".r.jsonl.lastcopy-tmp-"[..],
            b".r.jsonl.lastcopy-tmp-4x",
            b".r.jsonl.lastcopy-old-4",
            b".r.jsonl.x.lastcopy-tmp-4",
            b".r.jsonl.lastcopy-tmp-4.lastcopy-tmp-5",
            b".s.jsonl.lastcopy-tmp-4",
            b"r.jsonl",
        ] {
            assert_eq!(writer_of(t, other), None, "{}", other.escape_ascii());
        }
        // The temporaries of a target named like another's temporary are
        // its own, not the other's.
        let odd = Path::new(".r.jsonl.lastcopy-tmp-4");
        assert_eq!(
            writer_of(
                t,
                path_of(odd, Role::Tmp, 5).file_name().unwrap().as_bytes()
            ),
            None
        );
    }

    /// The id of a process that has ended (and been reaped).
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(is_gone(pid), "a reaped child is gone");
        pid
    }

    #[test]
    fn only_stale_temporaries_of_the_same_target_are_removed() {
        let dir = std::env::temp_dir().join(format!("lastcopy-sweep-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("r.jsonl");
        let dead = dead_pid();
        // pid 1 always runs.
        let (stale, live) = (
            path_of(&target, Role::Tmp, dead),
            path_of(&target, Role::Tmp, 1),
        );
        let stale_probe = path_of(&target, Role::Probe, dead);
        let other = path_of(&dir.join("shard-1.jsonl"), Role::Tmp, dead);
        let stale_dir = path_of(&dir.join("rep"), Role::Tmp, dead);
        let foreign_dir = path_of(&dir.join("mine"), Role::Tmp, dead);
        let link = path_of(&dir.join("link"), Role::Tmp, dead);
        for f in [&stale, &live, &other] {
            std::fs::write(f, "partial").unwrap();
        }
        std::fs::create_dir(&stale_probe).unwrap();
        std::fs::create_dir(&stale_dir).unwrap();
        std::fs::write(
            stale_dir.join(super::super::MARKER),
            super::super::MARKER_TEXT,
        )
        .unwrap();
        std::fs::write(stale_dir.join("report.md"), "old").unwrap();
        std::fs::create_dir(&foreign_dir).unwrap();
        std::fs::write(foreign_dir.join("notes.txt"), "not lastcopy's").unwrap();
        std::os::unix::fs::symlink(&other, &link).unwrap();

        assert_eq!(sweep_stale(&target), [stale_probe.clone(), stale.clone()]);
        assert!(live.exists(), "its writer still runs");
        assert!(
            other.exists(),
            "another target's (a shard sharing the folder)"
        );
        assert_eq!(sweep_stale(&dir.join("rep")), [stale_dir.as_path()]);
        assert!(sweep_stale(&dir.join("mine")).is_empty());
        assert!(
            foreign_dir.join("notes.txt").exists(),
            "unmarked: not lastcopy's"
        );
        assert!(sweep_stale(&dir.join("link")).is_empty());
        assert!(other.exists(), "a link is never followed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn this_process_is_alive() {
        assert!(!is_gone(std::process::id()));
        assert!(!is_gone(0), "not a process id: never taken for gone");
    }
}
