//! What a sweep prints: one line per seed that broke the promise, in seed
//! order, with the command that replays it, then the summary line. `run`
//! and `merge` print through it, so a merged sweep prints what one
//! unsharded run does.

use crate::checker::verdict_summary;
use sim::outcome::SeedOutcome;
use std::fmt;

/// The running totals of a sweep: a sweep of any length keeps only these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Seeds run.
    pub seeds: u64,
    /// Seeds that broke the promise.
    pub failed: u64,
}

impl Summary {
    /// Counts one more seed's outcome.
    pub fn add(&mut self, o: &SeedOutcome) {
        self.seeds += 1;
        self.failed += u64::from(!o.kept_promise());
    }

    /// The sweep's exit code: 0 if every seed kept the promise, else 1.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.failed > 0)
    }
}

/// `seeds: N, failed: M`.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seeds: {}, failed: {}", self.seeds, self.failed)
    }
}

/// The lines of a seed that broke the promise: `seed N: VERDICTS` and, on
/// the next line, `  replay: COMMAND`.
pub fn failure_line(o: &SeedOutcome, replay: &str) -> String {
    format!(
        "seed {}: {}\n  replay: {replay}",
        o.seed,
        verdict_summary(o)
    )
}
