//! The golden record of behaviour: for seeds 0..3 of every catalogue
//! scenario under both presets, the trace hash of each seed and the
//! summary line of the three. A refactor must leave this snapshot as it
//! is; a change that must move it (a bug fixed in a model or the checker)
//! updates it in the same commit and says why.

mod common;

use lastcopy::runner::Summary;
use lastcopy::scenario::CATALOGUE;
use models::design::Design;
use std::fmt::Write;

#[test]
fn trace_hashes_and_summaries_of_the_catalogue() {
    let mut golden = String::new();
    for (name, _) in CATALOGUE {
        for design in Design::PRESETS {
            let outcomes = common::case(name, design, &[]).sweep(0..3, common::jobs());
            let hashes: Vec<&str> = outcomes.iter().map(|o| o.trace_hash.as_str()).collect();
            let _ = writeln!(
                golden,
                "{name} / {design}: {}\n  {}",
                hashes.join(" "),
                Summary::of(&outcomes)
            );
        }
    }
    insta::assert_snapshot!(golden);
}
