//! A system's own faults: one row of its table, planned at its scenario
//! rate, carried out as an input to its node when it strikes, and caught
//! by the checker like any fault, counted by coverage (a near miss when it
//! strikes the last copy), blamed by reports and drawn by swarm; an
//! unknown `[faults.system]` key is refused.

mod common;

use common::{CONTENT, RECORD, VERSION};
use lastcopy_harness::case::Case;
use lastcopy_harness::plan::faults::FaultName;
use lastcopy_harness::scenario::Source;
use lastcopy_harness::sim::host::{Addr, Boot, Io, Machine};
use lastcopy_harness::sim::ledger::Write;
use lastcopy_harness::sim::lineage::EndCause;
use lastcopy_harness::sim::place::{Place, View};
use lastcopy_harness::sim::rng::Seeds;
use lastcopy_harness::sim::trace::EngineEvent;
use lastcopy_harness::system::{NodeSpec, OwnFault, System, UserAction};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One vault that keeps one note in a store that outlives its reboots (a
/// shared cell stands in for a disk no fault here strikes), and an
/// operator's purge, its own fault, that drops it.
#[derive(Clone, Debug, serde::Deserialize)]
struct Vault {}

enum Do {
    Note,
    Purge,
}

struct Keeper {
    note: Arc<AtomicBool>,
}

impl Machine for Keeper {
    type Msg = ();
    type Input = Do;
    fn boot(&mut self, _: Boot, _: &mut Io<'_, ()>) {}
    fn on_message(&mut self, _: Addr, _: (), _: &mut Io<'_, ()>) {}
    fn on_timer(&mut self, _: u64, _: &mut Io<'_, ()>) {}
    fn on_input(&mut self, input: Do, io: &mut Io<'_, ()>) {
        match input {
            Do::Note => {
                self.note.store(true, Ordering::Relaxed);
                io.wrote(RECORD, VERSION, Write::edit(None, CONTENT));
                io.copy_created("vault", &RECORD.to_string(), &VERSION.to_string());
                io.told_saved(RECORD, VERSION);
            }
            Do::Purge => {
                self.note.store(false, Ordering::Relaxed);
                let (r, v) = (RECORD.to_string(), VERSION.to_string());
                io.copy_ended("vault", &r, &v, EndCause::Wiped);
            }
        }
    }
}

const PURGE: OwnFault = OwnFault {
    name: "purge",
    key: "purge_per_day",
    node: "vault",
    effect: "the operator's cleanup drops every note the vault holds",
};

impl System for Vault {
    type Node = Keeper;
    type Design = ();
    fn designs() -> Vec<(&'static str, ())> {
        vec![("plain", ())]
    }
    fn nodes(&self, _: &()) -> Vec<NodeSpec<Keeper>> {
        let note = Arc::new(AtomicBool::new(false));
        vec![NodeSpec::new("vault", "rack-a", vec![], move || Keeper {
            note: note.clone(),
        })]
    }
    fn workload(&self, _: &Seeds, _: Duration) -> Vec<UserAction<Do>> {
        vec![UserAction {
            at: Duration::from_secs(60),
            node: Addr(0),
            input: Do::Note,
        }]
    }
    fn places(&self) -> Vec<(Place, Addr)> {
        common::places("vault")
    }
    fn served(node: &Keeper, _: Place) -> Option<View> {
        common::served(node.note.load(Ordering::Relaxed))
    }
    fn own_faults() -> &'static [OwnFault] {
        &[PURGE]
    }
    fn own_fault(&self, name: &str, _: u64) -> Option<(Addr, Do)> {
        (name == PURGE.name).then_some((Addr(0), Do::Purge))
    }
}

fn scenario(purges: f64) -> String {
    format!(
        "name = \"vault\"\n[run]\nduration = \"10d\"\nheal_bound = \"1h\"\n\
         [faults.system]\npurge_per_day = {purges}\n[system]\n"
    )
}

#[test]
fn an_own_fault_strikes_as_its_input_and_the_checker_sees_the_loss() {
    let calm =
        Case::<Vault>::load(&Source::new("vault.toml", scenario(0.0)), &[], "plain").unwrap();
    assert!(calm.run_seed(0).outcome.kept_promise());
    let purged =
        Case::<Vault>::load(&Source::new("vault.toml", scenario(2.0)), &[], "plain").unwrap();
    let run = purged.run_seed(0);
    assert!(!run.plan.faults.is_empty(), "purges planned at 2 a day");
    assert!(run
        .plan
        .faults
        .iter()
        .all(|f| f.target == "vault" && f.kind.to_string() == "purge"));
    assert_eq!(run.outcome.verdicts[0].subject, "u0/note-0");
    assert_eq!(run.outcome.verdicts[0].kind.to_string(), "lost");
    let fired = run
        .output
        .trace
        .events()
        .iter()
        .filter(|e| e.kind == EngineEvent::FaultFired)
        .filter(|e| e.str("fault_kind") == Some(&FaultName::Own(PURGE.name.into()).to_string()))
        .count();
    assert_eq!(fired, run.plan.faults.len());
    assert_eq!(run.outcome.faults["purge"].fired, fired as u64);
}

#[test]
fn an_unknown_system_fault_key_is_refused() {
    let bad = scenario(1.0).replace("purge_per_day", "purge_per_week");
    let e = Case::<Vault>::load(&Source::new("vault.toml", bad), &[], "plain").unwrap_err();
    assert!(
        e.to_string().starts_with("vault.toml:")
            && e.to_string().contains("faults.system.purge_per_week")
            && e.to_string().contains("purge_per_day"),
        "{e}"
    );
}

#[test]
fn an_own_fault_is_covered_blamed_and_drawn_by_swarm() {
    use lastcopy_harness::plan::swarm::Swarm;
    use lastcopy_harness::report::blame::{blame_seed, Blame};
    use lastcopy_harness::report::coverage::Coverage;
    let text = scenario(2.0);
    let case = Case::<Vault>::load(&Source::new("vault.toml", &text), &[], "plain").unwrap();
    let run = case.run_seed(0);
    let mut c = Coverage::new(Vault::own_faults());
    c.add(&run.outcome);
    let purge = c.kind("purge").unwrap();
    assert_eq!(purge.class, "own");
    assert!(purge.total.fired > 0);
    assert_eq!(
        purge.total.near_miss, 1,
        "the first purge strikes the only copy"
    );
    let blamed = blame_seed(&run);
    let own = Blame::Fault {
        kind: "purge".into(),
        class: "own".into(),
    };
    assert_eq!(blamed.get(&own), Some(&1), "{blamed:?}");
    let source = Source::new("vault.toml", text);
    let swarm = Swarm::new(&case, &source, false).unwrap();
    let drawn = swarm.case(5).unwrap().drawn;
    assert_eq!(drawn.len(), 1, "{drawn:?}");
    assert!(
        drawn[0].starts_with("faults.system.purge_per_day="),
        "{drawn:?}"
    );
}
