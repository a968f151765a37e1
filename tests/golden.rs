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

/// A saved plan or workload (a `--plan` file's, a regression's, a shrunk
/// case's) runs instead of the seed's own: saving the seed's own changes
/// nothing of its outcome, saving another seed's changes its run.
#[test]
fn a_saved_plan_or_workload_runs_instead_of_the_seeds_own() {
    let case = common::case("sidekick-2009", "fragile-2009", &[]);
    let own = case.run_seed(0).outcome;
    let mut same = case.clone();
    same.plan = Some(("seed 0's plan".into(), case.plan(0)));
    same.workload = Some(case.workload(0));
    assert_eq!(same.run_seed(0).outcome, own);
    let mut other_plan = case.clone();
    other_plan.plan = Some(("seed 5's plan".into(), case.plan(5)));
    let mut other_workload = case.clone();
    other_workload.workload = Some(case.workload(5));
    for (what, c) in [("plan", other_plan), ("workload", other_workload)] {
        let o = c.run_seed(0).outcome;
        assert_ne!(o.trace_hash, own.trace_hash, "seed 5's {what} ran");
    }
}

/// The harness reads and writes the Sidekick's plan files as the Sidekick
/// does (`harness::rig::Rig::plan_text`, `read_plan`): TOML, checked
/// against the scenario, a bad fault refused at its line.
#[test]
fn the_harness_reads_the_sidekicks_plan_files() {
    use harness::rig::Rig;
    use harness::scenario::load::CaseSpec;
    use harness::scenario::Source;
    use lastcopy::rig::Sidekick;
    let dir = std::env::temp_dir().join(format!("lastcopy-golden-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = common::case("sidekick-2009", "hardened", &[]);
    let plan = case.plan(3);
    let text = Sidekick::plan_text(&plan);
    assert!(text.starts_with("[[faults]]"), "{text}");
    let source = Source::find("sidekick-2009", CATALOGUE).unwrap();
    let load = |text: &str| {
        let path = dir.join("plan.toml");
        std::fs::write(&path, text).unwrap();
        let spec = CaseSpec {
            scenario: "sidekick-2009".into(),
            design: Some("hardened".into()),
            overrides: vec![],
            plan: Some(path.to_string_lossy().into_owned()),
        };
        spec.load_from::<Sidekick>(&source)
            .map(|c| c.plan.unwrap().1)
    };
    assert_eq!(load(&text), Ok(plan));
    let target = text.find("target = \"handset-").unwrap();
    let start = text[..target].rfind("[[faults]]").unwrap();
    let line = text[..start].matches('\n').count() + 1;
    let bad = text.replacen("target = \"handset-", "target = \"handset-9", 1);
    let e = load(&bad).unwrap_err();
    assert!(e.contains(&format!("plan.toml:{line}: ")), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
