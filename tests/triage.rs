//! Failure triage: explanations read from the trace, shrinking to a
//! 1-minimal plan, and the CLI filters that change only what is printed.

mod common;

use harness::triage::story::Closing;
use lastcopy::explain::{self, Filter};
use lastcopy::runner::Case;
use lastcopy::shrink::{self, Candidate, HandsetTarget, Options, Target};
use models::fault::Fault;
use models::record::{RecordId, RecordKind, VersionId};
use models::workload::{HandsetWorkload, PlannedEdit, Workload};
use proptest::prelude::*;
use sim::plan::{Plan, PlannedFault};
use sim::time::SimTime;

const HOUR: u64 = 3_600_000;

fn fault(id: u32, at_ms: u64, target: &str, kind: Fault) -> PlannedFault<Fault> {
    PlannedFault {
        id,
        at: SimTime(at_ms),
        target: target.to_string(),
        kind,
        resolve_seed: u64::from(id) * 7_919,
    }
}

fn upgrade(id: u32, at_ms: u64) -> PlannedFault<Fault> {
    fault(
        id,
        at_ms,
        "array-a",
        Fault::BotchedUpgrade {
            downtime_ms: 6 * HOUR,
            notice_ms: HOUR,
        },
    )
}

/// sidekick-2009 on the 2009 design with `handsets` handsets, a shorter
/// heal bound, and an explicit plan and workload.
fn small_case(handsets: u32, plan: Plan<Fault>, workload: Workload) -> Case {
    let overrides = [
        format!("topology.handsets={handsets}").as_str().to_owned(),
        "run.heal_bound=6h".to_owned(),
    ];
    let refs: Vec<&str> = overrides.iter().map(String::as_str).collect();
    let mut case = common::case("sidekick-2009", "fragile-2009", &refs);
    case.plan = Some(("test plan".into(), plan));
    case.workload = Some(workload);
    case
}

fn edit(at_ms: u64, owner: u32, kind: RecordKind, n: u32, seq: u32, creates: bool) -> PlannedEdit {
    PlannedEdit {
        at: SimTime(at_ms),
        record: RecordId { owner, kind, n },
        version: VersionId { writer: owner, seq },
        creates,
        deletes: false,
    }
}

/// The fixed small case of the snapshot: one handset with two records, the
/// upgrade on day two, and the user's reset during the outage.
fn fixed_case() -> Case {
    let plan = Plan::new(vec![
        upgrade(1, 25 * HOUR),
        fault(2, 27 * HOUR, "handset-0", Fault::FactoryReset),
    ]);
    let workload = Workload {
        handsets: vec![HandsetWorkload {
            handset: 0,
            edits: vec![
                edit(HOUR, 0, RecordKind::Contact, 0, 1, true),
                edit(5 * HOUR, 0, RecordKind::Contact, 0, 2, false),
                edit(20 * HOUR, 0, RecordKind::Todo, 1, 3, true),
            ],
        }],
        portals: Vec::new(),
    };
    small_case(1, plan, workload)
}

#[test]
fn explain_output_of_a_fixed_case() {
    let case = fixed_case();
    let run = case.run_seed(7);
    let x = explain::explain(&run.output, &run.outcome.verdicts, &Filter::default());
    assert!(!x.is_empty(), "the fixed case loses records");
    insta::assert_snapshot!(harness::triage::story::text(&x));
}

/// Strategy: one botched upgrade of array-a on day two, then up to 11
/// more faults: handset resets and battery pulls (mostly during and after
/// the outage, when they hurt) on handsets 0..5, and server and database
/// crashes anywhere in the run.
fn plans() -> impl Strategy<Value = Plan<Fault>> {
    let handset_fault = (0u32..5, 0u64..36 * HOUR, prop::bool::ANY).prop_map(|(h, off, reset)| {
        let kind = if reset {
            Fault::FactoryReset
        } else {
            Fault::BatteryPull {
                down_for_ms: 300_000,
            }
        };
        (format!("handset-{h}"), 12 * HOUR + off, kind)
    });
    let node_fault = (
        prop::sample::select(vec!["sync-server", "db-primary", "db-backup"]),
        0u64..72 * HOUR,
    )
        .prop_map(|(n, at)| {
            (
                n.to_string(),
                at,
                Fault::NodeCrash {
                    down_for_ms: 300_000,
                },
            )
        });
    let other = prop_oneof![3 => handset_fault, 1 => node_fault];
    (20 * HOUR..30 * HOUR, prop::collection::vec(other, 0..12)).prop_map(|(up_at, rest)| {
        let mut faults = vec![upgrade(1, up_at)];
        for (i, (target, at, kind)) in rest.into_iter().enumerate() {
            faults.push(fault(i as u32 + 2, at, &target, kind));
        }
        Plan::new(faults)
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// On generated plans (at most 12 faults, 5 handsets), the shrunk plan
    /// still fails with the target verdict and is 1-minimal: dropping any
    /// one of its faults makes the verdict go away. Its faults are faults
    /// of the original plan (same ids, same kinds and times).
    #[test]
    fn shrunk_plans_still_fail_and_are_one_minimal(plan in plans(), seed in 0u64..1_000) {
        let case = small_case(5, plan.clone(), lastcopy::world::draw_workload(&small_case(5, Plan::default(), Workload::default()).scenario, seed));
        let first = case.run_seed(seed);
        prop_assume!(!first.outcome.kept_promise());
        let s = shrink::shrink(&case, seed, &Options::default(), &mut |_| {}).expect("a failing run shrinks");
        prop_assert!(s.minimal, "the run budget never runs out here");
        prop_assert!(s.shrunk.plan.faults.len() <= plan.faults.len());
        for f in &s.shrunk.plan.faults {
            let o = plan.faults.iter().find(|g| g.id == f.id).expect("ids are kept");
            prop_assert_eq!((o.at, &o.kind), (f.at, &f.kind));
        }
        let still = shrink::run_candidate(&case, &s.shrunk, seed);
        prop_assert!(s.target.holds(&still.outcome.verdicts), "`{}` must still fail", s.target);
        for f in &s.shrunk.plan.faults {
            let without = Candidate { plan: s.shrunk.plan.without(f.id), ..s.shrunk.clone() };
            let run = shrink::run_candidate(&case, &without, seed);
            prop_assert!(!s.target.holds(&run.outcome.verdicts),
                "`{}` still fails without fault {}: not 1-minimal", s.target, f.id);
        }
    }
}

#[test]
fn shrinking_is_deterministic() {
    let plan = Plan::new(vec![
        upgrade(1, 25 * HOUR),
        fault(2, 27 * HOUR, "handset-3", Fault::FactoryReset),
        fault(
            3,
            30 * HOUR,
            "handset-1",
            Fault::BatteryPull {
                down_for_ms: 300_000,
            },
        ),
        fault(
            4,
            10 * HOUR,
            "db-primary",
            Fault::NodeCrash {
                down_for_ms: 300_000,
            },
        ),
        fault(5, 28 * HOUR, "handset-2", Fault::FactoryReset),
    ]);
    let base = small_case(5, Plan::default(), Workload::default());
    let case = small_case(5, plan, lastcopy::world::draw_workload(&base.scenario, 11));
    let mut steps_a = Vec::new();
    let a = shrink::shrink(&case, 11, &Options::default(), &mut |s| {
        steps_a.push(s.clone())
    })
    .unwrap();
    let mut steps_b = Vec::new();
    let b = shrink::shrink(&case, 11, &Options::default(), &mut |s| {
        steps_b.push(s.clone())
    })
    .unwrap();
    assert_eq!(steps_a, steps_b);
    assert_eq!(a.shrunk, b.shrunk);
    assert_eq!(a.target, b.target);
    assert_eq!(a.runs, b.runs);
}

/// The must-show of the issue: a fragile-2009 seed of sidekick-2009 shrinks
/// to at most 3 faults, and the explanation of the kept record names the
/// upgrade and the handset reset or battery pull that ended its last copy.
#[test]
fn sidekick_2009_fragile_seeds_shrink_to_the_upgrade_and_a_handset_fault() {
    let case = common::case("sidekick-2009", "fragile-2009", &[]);
    for seed in 0..common::sweep(2) {
        let s = shrink::shrink(&case, seed, &Options::default(), &mut |_| {}).unwrap();
        assert!(s.minimal, "seed {seed}: 1-minimal within the budget");
        assert!(
            s.shrunk.plan.faults.len() <= 3,
            "seed {seed}: {} faults left: {:?}",
            s.shrunk.plan.faults.len(),
            s.shrunk.plan
        );
        assert!(s.shrunk.handsets < case.scenario.topology.handsets);
        let run = shrink::run_candidate(&case, &s.shrunk, seed);
        let filter = Filter {
            node: None,
            record: Some(s.target.subject.clone()),
        };
        let x = explain::explain(&run.output, &run.outcome.verdicts, &filter);
        assert_eq!(x.len(), 1, "seed {seed}: the kept record is explained");
        let r = &x[0];
        let text = r.to_string();
        let closing = |c| r.closing(c).unwrap_or_default();
        assert!(
            closing(Closing::Faults).contains("array-a botched upgrade"),
            "seed {seed}: names the upgrade:\n{text}"
        );
        assert!(
            closing(Closing::LastCopy).contains(" reset at ")
                || closing(Closing::LastCopy).contains(" battery pull at "),
            "seed {seed}: the last copy ended by a reset or battery pull:\n{text}"
        );
        assert!(
            r.lines
                .iter()
                .any(|l| l.text.contains("destroyed the copy")),
            "seed {seed}: the upgrade's destruction of the server copy is a line:\n{text}"
        );
    }
}

#[test]
fn the_default_target_is_a_failing_record_and_record_picks_another() {
    let case = fixed_case();
    let run = case.run_seed(7);
    let t = shrink::pick_target(&run, None).unwrap();
    assert_eq!(
        t,
        Target {
            kind: sim::outcome::VerdictKind::Lost,
            subject: "u0/contact-0".into()
        }
    );
    let t2 = shrink::pick_target(&run, Some("u0/todo-1")).unwrap();
    assert_eq!(t2.subject, "u0/todo-1");
    let err = shrink::pick_target(&run, Some("u0/photo-9")).unwrap_err();
    assert!(err.to_string().contains("u0/contact-0, u0/todo-1"), "{err}");
    let kept = small_case(1, Plan::default(), Workload::default()).run_seed(7);
    assert!(matches!(
        shrink::pick_target(&kept, None),
        Err(shrink::ShrinkError::Kept { seed: 7 })
    ));
}

#[test]
fn renumbering_keeps_plan_workload_and_target_consistent() {
    let plan = Plan::new(vec![
        upgrade(1, 25 * HOUR),
        fault(2, 27 * HOUR, "handset-3", Fault::FactoryReset),
        fault(3, 28 * HOUR, "handset-1", Fault::FactoryReset),
    ]);
    let workload = Workload {
        handsets: vec![
            HandsetWorkload {
                handset: 1,
                edits: vec![edit(HOUR, 1, RecordKind::Photo, 0, 1, true)],
            },
            HandsetWorkload {
                handset: 3,
                edits: vec![edit(HOUR, 3, RecordKind::Todo, 2, 4, true)],
            },
        ],
        portals: Vec::new(),
    };
    let c = Candidate {
        handsets: 5,
        plan,
        workload,
    };
    let (r, map) = c.restrict(&[3].into_iter().collect());
    assert_eq!(r.handsets, 1);
    assert_eq!(map.get(&3), Some(&0));
    let targets: Vec<&str> = r.plan.faults.iter().map(|f| f.target.as_str()).collect();
    assert_eq!(targets, vec!["array-a", "handset-0"]);
    assert_eq!(r.workload.handsets.len(), 1);
    let e = r.workload.handsets[0].edits[0];
    assert_eq!(
        (
            r.workload.handsets[0].handset,
            e.record.owner,
            e.version.writer
        ),
        (0, 0, 0)
    );
    let t = Target {
        kind: sim::outcome::VerdictKind::Lost,
        subject: "u3/todo-2".into(),
    };
    assert_eq!(t.renumbered(&map).unwrap().subject, "u0/todo-2");
    let gone = Target {
        kind: sim::outcome::VerdictKind::Lost,
        subject: "u1/photo-0".into(),
    };
    assert_eq!(gone.renumbered(&map), None);
}

fn lastcopy(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lastcopy"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() != Some(2),
        "lastcopy {args:?} refused its input: {stderr}"
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8 output"),
    )
}

fn hash_line(out: &str) -> &str {
    out.lines()
        .last()
        .filter(|l| l.starts_with("trace-hash: "))
        .expect("the last line is the trace hash")
}

/// A regression file replays with one command, and `--explain`, the
/// filters and the JSON format change what is printed, never the trace hash.
#[test]
fn replay_of_a_regression_file_and_its_filters_keep_the_trace_hash() {
    let files = lastcopy::regression::files_in(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(lastcopy::regression::DIR),
    )
    .unwrap();
    let file = files[0].to_string_lossy().into_owned();
    let reg = lastcopy::regression::Regression::load(&file, &[]).unwrap();
    let (code, plain) = lastcopy(&["replay", &file]);
    assert_eq!(code, 1, "the regression breaks the promise on its design");
    let hash = hash_line(&plain).to_string();
    assert!(plain.contains("# trace\n"));
    let record = reg.expect.record.as_str();
    let variants: [&[&str]; 4] = [
        &["--explain"],
        &["--explain", "--record", record, "--trace-format", "json"],
        &["--node", "handset-0"],
        &["--record", record, "--trace-format", "json"],
    ];
    for extra in variants {
        let mut args = vec!["replay", file.as_str()];
        args.extend_from_slice(extra);
        let (_, out) = lastcopy(&args);
        assert_eq!(hash_line(&out), hash, "{extra:?} changed the trace hash");
        if extra.contains(&"json") {
            let json: Vec<&str> = out.lines().filter(|l| l.starts_with('{')).collect();
            assert!(!json.is_empty(), "{extra:?} prints JSON lines");
            for l in json {
                let v: serde_json::Value = serde_json::from_str(l).expect("each line is JSON");
                assert!(v.get("message").is_some(), "{l}");
            }
        }
        if extra.contains(&"--explain") {
            assert!(out.contains("# explanation"), "{out}");
            assert!(out.contains(record), "{out}");
            assert!(
                !out.contains("# trace"),
                "the explanation replaces the raw trace"
            );
        }
    }
    let (code, _) = lastcopy(&["replay", &file, "--design", "hardened"]);
    assert_eq!(code, 0, "hardened keeps the promise on the regression");
}
