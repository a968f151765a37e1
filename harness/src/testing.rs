//! Helpers for a system's own tests of its binary, run as a user runs it:
//! from outside the source tree, reading what it prints. Every system
//! built on the harness promises the same of its binary (a failing seed's
//! replay line works as printed; `--explain --shrink` tells the story in
//! the system's words; bad input exits 2 before any work), so its tests
//! check it the same way. The checks panic with what they saw: they are
//! meant for `#[test]` functions. [`outcome_with_faults`] builds the
//! outcome a coverage or report test counts.

use sim::outcome::{FaultCount, SeedOutcome};
use std::path::Path;
use std::process::Command;

/// Words of the Sidekick's vocabulary that a user's system never prints.
pub const SIDEKICK_WORDS: [&str; 4] = ["handset", "sidekick", "contact", "portal"];

/// Runs `words` (a program and its arguments) in `dir`: its exit code
/// (-1 if a signal ended it) and its standard output.
pub fn run_in(dir: &Path, words: &[String]) -> (i32, String) {
    let (program, args) = words.split_first().expect("a command");
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    (out.status.code().unwrap_or(-1), text)
}

/// `line` split as a POSIX shell splits it (a printed replay line).
pub fn shell_words(line: &str) -> Vec<String> {
    shlex::split(line).expect("a printed command is shell words")
}

/// The first failing seed a sweep printed: its line up to the replay
/// command, and the command (after `; replay: `).
pub fn first_replay(sweep_output: &str) -> Option<(&str, &str)> {
    sweep_output
        .lines()
        .filter(|l| l.starts_with("seed "))
        .find_map(|l| l.split_once("; replay: "))
}

/// Runs `sweep` (the binary's path, then its arguments) from outside the
/// source tree and checks that it exits 1, that its first failing seed's
/// replay line starts with the binary as invoked and, run as printed,
/// exits 1 and prints the same seed line; then runs that replay with
/// `--explain --shrink` and returns what it printed, checked to hold a
/// `last copy: ` line, a `shrunk: ` line and none of [`SIDEKICK_WORDS`].
pub fn replays_as_printed(sweep: &[&str]) -> String {
    let outside = std::env::temp_dir();
    let words: Vec<String> = sweep.iter().map(|w| w.to_string()).collect();
    let (code, text) = run_in(&outside, &words);
    assert_eq!(code, 1, "{text}");
    let (seed_line, replay) = first_replay(&text).expect("a failing seed with its replay line");
    let bin = sweep[0];
    assert!(
        replay.starts_with(bin) || replay.starts_with(&format!("'{bin}")),
        "{replay}"
    );
    let (code, again) = run_in(&outside, &shell_words(replay));
    assert_eq!(code, 1, "{again}");
    assert!(again.starts_with(seed_line), "{seed_line:?} vs {again}");
    let mut explain = shell_words(replay);
    explain.extend(["--explain", "--shrink"].map(String::from));
    let (_, story) = run_in(&outside, &explain);
    assert!(
        story.contains("last copy: ") && story.contains("shrunk: "),
        "{story}"
    );
    for word in SIDEKICK_WORDS {
        assert!(!story.to_lowercase().contains(word), "{word} in {story}");
    }
    story
}

/// Checks that the binary at `bin` given `args` exits 2 before running
/// any seed (prints no `seeds:` line).
pub fn exits_2_before_any_work(bin: &str, args: &[&str]) {
    let mut w = vec![bin.to_string()];
    w.extend(args.iter().map(|s| s.to_string()));
    let (code, out) = run_in(&std::env::temp_dir(), &w);
    assert_eq!(code, 2, "{args:?}: {out}");
    assert!(!out.contains("seeds:"), "nothing ran: {out}");
}

/// The outcome of `seed` with only fault counts: one `(kind, fired,
/// effective, near misses)` per fault kind, every other field its default.
pub fn outcome_with_faults(seed: u64, faults: &[(&str, u64, u64, u64)]) -> SeedOutcome {
    let count = |&(kind, fired, effective, near_miss): &(&str, u64, u64, u64)| {
        let c = FaultCount {
            fired,
            effective,
            near_miss,
            ..FaultCount::default()
        };
        (kind.to_string(), c)
    };
    SeedOutcome {
        seed,
        faults: faults.iter().map(count).collect(),
        ..SeedOutcome::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failing_seed_and_its_replay_are_read_from_a_sweep() {
        let sweep = "seed 3: broke the promise (lost 1); replay: 'my bin' run x --seed 3\nseed 4: broke the promise (lost 2); replay: b run x --seed 4\nseeds: 2, failed: 2\n";
        let (seed, replay) = first_replay(sweep).expect("found");
        assert_eq!(seed, "seed 3: broke the promise (lost 1)");
        assert_eq!(shell_words(replay), ["my bin", "run", "x", "--seed", "3"]);
        assert_eq!(first_replay("seeds: 0 of 5 failed\n"), None);
    }
}
