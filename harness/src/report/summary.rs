//! What a sweep prints: one line per seed that broke the promise, in seed
//! order, with the command that replays it, then the summary line. `run`
//! and `merge` print through it, so a merged sweep prints what one
//! unsharded run does.

use crate::checker::{liveness_summary, verdict_summary, Count};
use sim::outcome::{SeedOutcome, VerdictKind};
use std::fmt;

/// The running totals of a sweep, as the summary line prints them: a
/// sweep of any length keeps only these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Seeds run.
    pub seeds: u64,
    /// Seeds that broke the promise.
    pub failed: u64,
    /// Records lost, over all seeds.
    pub lost: u64,
    /// Records rolled back.
    pub rolled_back: u64,
    /// Records corrupted.
    pub corrupted: u64,
    /// Liveness verdicts.
    pub liveness: u64,
    /// Versions forfeited by users' own resets.
    pub forfeited: u64,
    /// Records with an acknowledged edit discarded for another writer's.
    pub lost_updates: u64,
    /// Records served again after their deletion was acknowledged.
    pub resurrected: u64,
    /// Records (or versions) served to a user who does not own them.
    pub leaked: u64,
    /// Seeds whose only failure is that sync did not converge in the heal
    /// bound (no record lost, rolled back, corrupted or leaked).
    pub not_converged: u64,
}

impl Summary {
    /// Totals over `outcomes`.
    pub fn of(outcomes: &[SeedOutcome]) -> Self {
        let mut s = Summary::default();
        for o in outcomes {
            s.add(o);
        }
        s
    }

    /// Counts one more seed's outcome.
    pub fn add(&mut self, o: &SeedOutcome) {
        self.seeds += 1;
        self.failed += u64::from(!o.kept_promise());
        self.lost += o.verdict_count(VerdictKind::Lost);
        self.rolled_back += o.verdict_count(VerdictKind::RolledBack);
        self.corrupted += o.verdict_count(VerdictKind::Corrupted);
        self.liveness += o.verdict_count(VerdictKind::Liveness);
        self.forfeited += o.count(Count::Forfeited.name());
        self.lost_updates += o.verdict_count(VerdictKind::LostUpdate);
        self.resurrected += o.verdict_count(VerdictKind::Resurrected);
        self.leaked += o.verdict_count(VerdictKind::Leaked);
        self.not_converged += u64::from(
            !o.kept_promise() && o.verdicts.iter().all(|v| v.kind == VerdictKind::Liveness),
        );
    }

    /// The sweep's exit code: 0 if every seed kept the promise, else 1.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.failed > 0)
    }
}

/// `seeds: 20, failed: 3, records lost: 12, rolled back: 0, corrupted: 0,
/// liveness: 1, forfeited: 4`; then lost updates and resurrections, leaks,
/// and seeds that only did not converge, each only when some seed has
/// them (so a single-writer system's line stays short).
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seeds: {}, failed: {}, records lost: {}, rolled back: {}, corrupted: {}, liveness: {}, forfeited: {}",
            self.seeds, self.failed, self.lost, self.rolled_back, self.corrupted, self.liveness, self.forfeited
        )?;
        if self.lost_updates + self.resurrected > 0 {
            write!(
                f,
                ", lost updates: {}, resurrected: {}",
                self.lost_updates, self.resurrected
            )?;
        }
        if self.leaked > 0 {
            write!(f, ", leaked: {}", self.leaked)?;
        }
        if self.not_converged > 0 {
            write!(f, ", only not converged: {} seeds", self.not_converged)?;
        }
        Ok(())
    }
}

/// The line of a seed that broke the promise: its verdicts (or, if it
/// only did not converge, what stayed apart), what a swarm seed drew, and
/// the command that replays it: `seed 4: broke the promise (lost 2);
/// drew faults.power_loss=0; replay: CMD`.
pub fn failure_line(o: &SeedOutcome, replay: &str) -> String {
    let drawn = if o.drawn.is_empty() {
        String::new()
    } else {
        format!("; drew {}", o.drawn.join(" "))
    };
    let safety = o.verdicts.iter().any(|v| v.kind != VerdictKind::Liveness);
    let what = if safety {
        format!("broke the promise ({})", verdict_summary(o))
    } else {
        format!(
            "did not converge within the heal bound ({})",
            liveness_summary(o)
        )
    };
    format!("seed {}: {what}{drawn}; replay: {replay}", o.seed)
}
