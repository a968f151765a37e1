//! SQLite's durability settings measured on the simulated flash, set
//! beside its documentation (pragma.html, wal.html): a crash at every
//! mutation of two commits, under power loss and under a process crash,
//! for every (journal_mode, synchronous) pair. If a row disagrees with the
//! documentation, suspect the file layer or the VFS first.
//!
//! `cargo test -p lastcopy-sim --test sqlite_durability -- --nocapture`
//! prints the table.

use lastcopy_sim::sqlite::durability::{measure_all, table, Experiment, Outcome, Row};
use lastcopy_sim::sqlite::{Crash, JournalMode, Synchronous};

fn broken(r: &Row) -> u64 {
    r.count(Outcome::Partial) + r.count(Outcome::Corrupt)
}

fn all_clean(r: &Row) -> bool {
    r.count(Outcome::Clean) == r.counts.values().sum::<u64>()
}

#[test]
fn rows_agree_with_the_documentation() {
    let rows = measure_all(&Experiment::default()).unwrap();
    println!("{}", table(&rows));
    assert_eq!(rows.len(), 48);
    use JournalMode as J;
    use Synchronous as S;
    for r in &rows {
        let what = format!(
            "{:?}/{:?}/{:?}: {:?}",
            r.journal_mode, r.synchronous, r.crash, r.counts
        );
        assert!(r.points > 1, "{what}: the workload issued no mutation");
        let rollback_journal = matches!(r.journal_mode, J::Delete | J::Truncate | J::Persist);
        let no_journal = matches!(r.journal_mode, J::Memory | J::Off);
        match (r.crash, r.journal_mode, r.synchronous) {
            // A process crash loses nothing the OS holds: any journal keeps
            // the database whole, whatever the sync level...
            (Crash::Process, _, _) if !no_journal => assert!(all_clean(r), "{what}"),
            // ...but MEMORY and OFF corrupt on a crash in the middle of a
            // write transaction.
            (_, _, _) if no_journal => assert!(broken(r) > 0, "{what}"),
            // FULL: a committed transaction survives power loss, except in
            // DELETE mode, where the journal's unlink is durable only once
            // the directory is synced: the last commit may roll back...
            (Crash::PowerLoss, J::Delete, S::Full) => {
                assert_eq!(broken(r), 0, "{what}");
                assert!(r.count(Outcome::RolledBack) > 0, "{what}");
            }
            // ...which EXTRA adds.
            (Crash::PowerLoss, _, S::Full | S::Extra) => assert!(all_clean(r), "{what}"),
            // WAL with NORMAL may roll back the last commits but stays intact.
            (Crash::PowerLoss, J::Wal, S::Normal) => {
                assert_eq!(broken(r), 0, "{what}");
                assert!(r.count(Outcome::RolledBack) > 0, "{what}");
            }
            // OFF may corrupt on power loss (a rollback journal here; WAL's
            // checksummed frames only roll back without a checkpoint).
            (Crash::PowerLoss, _, S::Off) if rollback_journal => {
                assert!(r.count(Outcome::Corrupt) > 0, "{what}")
            }
            (Crash::PowerLoss, J::Wal, S::Off) => assert_eq!(broken(r), 0, "{what}"),
            // NORMAL in a rollback mode: "a very small (though non-zero)
            // chance" of corruption on power loss; rolls back where the
            // commit's last step (unlink, truncation) is not synced.
            (Crash::PowerLoss, _, S::Normal) => {
                let runs: u64 = r.counts.values().sum();
                assert!(broken(r) * 50 <= runs, "{what}");
            }
            _ => unreachable!("{what}"),
        }
    }
}
