//! Rare paths on purpose through the public trait: a bug planted on a
//! rarely taken path of a system's node (here, a compaction that forgets
//! a note it was told to keep) never shows in plain runs, and is caught
//! once the scenario turns buggify on; the run says which sites it reached.

mod common;

use common::{CONTENT, RECORD, VERSION};
use lastcopy_harness::case::Case;
use lastcopy_harness::scenario::Source;
use lastcopy_harness::sim::host::{Addr, Boot, Io, Machine};
use lastcopy_harness::sim::ledger::Write;
use lastcopy_harness::sim::outcome::VerdictKind;
use lastcopy_harness::sim::place::{Place, View};
use lastcopy_harness::sim::rng::Seeds;
use lastcopy_harness::system::{NodeSpec, System, UserAction};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The site of the planted bug.
const SITE: &str = "compact-early";

/// One shelf that keeps one note (a shared cell stands in for a disk no
/// fault here strikes) and compacts every hour.
#[derive(Clone, Debug, serde::Deserialize)]
struct Shelf {}

struct Keeper {
    note: Arc<AtomicBool>,
}

impl Machine for Keeper {
    type Msg = ();
    type Input = ();
    fn boot(&mut self, _: Boot, io: &mut Io<'_, ()>) {
        io.set_timer(0, Duration::from_secs(3600));
    }
    fn on_message(&mut self, _: Addr, _: (), _: &mut Io<'_, ()>) {}
    fn on_timer(&mut self, _: u64, io: &mut Io<'_, ()>) {
        // The planted bug: a compaction run early forgets what it holds.
        if io.sometimes(SITE, 0.5) {
            self.note.store(false, Ordering::Relaxed);
        }
        io.set_timer(0, Duration::from_secs(3600));
    }
    fn on_input(&mut self, _: (), io: &mut Io<'_, ()>) {
        self.note.store(true, Ordering::Relaxed);
        io.wrote(RECORD, VERSION, Write::edit(None, CONTENT));
        io.told_saved(RECORD, VERSION);
    }
}

impl System for Shelf {
    type Node = Keeper;
    type Design = ();
    fn designs() -> Vec<(&'static str, ())> {
        vec![("plain", ())]
    }
    fn nodes(&self, _: &()) -> Vec<NodeSpec<Keeper>> {
        let note = Arc::new(AtomicBool::new(false));
        vec![NodeSpec::new("shelf", "rack-a", vec![], move || Keeper {
            note: note.clone(),
        })]
    }
    fn workload(&self, _: &Seeds, _: Duration) -> Vec<UserAction<()>> {
        let note = UserAction {
            at: Duration::from_secs(60),
            node: Addr(0),
            input: (),
        };
        vec![note]
    }
    fn places(&self) -> Vec<(Place, Addr)> {
        common::places("shelf")
    }
    fn served(node: &Keeper, _: Place) -> Option<View> {
        common::served(node.note.load(Ordering::Relaxed))
    }
}

fn case(buggify: bool) -> Case<Shelf> {
    let text = format!(
        "name = \"shelf\"\nbuggify = {buggify}\n[run]\nduration = \"1d\"\nheal_bound = \"1h\"\n[system]\n"
    );
    Case::load(&Source::new("shelf.toml", text), &[], "plain").unwrap()
}

#[test]
fn a_bug_on_a_rare_path_is_caught_only_with_buggify() {
    let plain = case(false);
    for seed in 0..20 {
        let run = plain.run_seed(seed);
        assert!(run.outcome.kept_promise(), "seed {seed} without buggify");
        assert!(
            run.output.buggify.is_empty(),
            "nothing drawn without buggify"
        );
    }
    let rare = case(true);
    let runs: Vec<_> = (0..20).map(|seed| rare.run_seed(seed)).collect();
    let lost: Vec<usize> = (0..20)
        .filter(|&i| {
            runs[i]
                .outcome
                .verdicts
                .iter()
                .any(|v| v.kind == VerdictKind::Lost)
        })
        .collect();
    assert!(!lost.is_empty(), "buggify never took the rare path");
    for (i, run) in runs.iter().enumerate() {
        let site = run.output.buggify[SITE];
        assert_eq!(site.fired > 0, lost.contains(&i), "seed {i}: {site:?}");
    }
    // About one seed in four activates the site: not all of them.
    assert!(lost.len() < 20, "every seed activated the site");
}
