//! What a system's nodes may be named and what a plan file may say of
//! them, checked before anything runs: two nodes or two disks of one name
//! (faults and `--node` would not know which is meant), or a node named
//! as the harness's own, refuse the scenario; a plan file whose fault
//! names a target, kind, time, peer or id the system cannot run is
//! refused naming the file, the fault's line and what would be valid,
//! never run with the fault quietly skipped.

mod common;

use lastcopy_harness::case::Case;
use lastcopy_harness::scenario::load::{plan_json, CaseSpec};
use lastcopy_harness::scenario::Source;
use lastcopy_harness::sim::host::{Addr, Boot, Io, Machine};
use lastcopy_harness::sim::place::{Place, View};
use lastcopy_harness::sim::rng::Seeds;
use lastcopy_harness::system::{blank_disk, NodeSpec, OwnFault, System, UserAction};
use std::path::PathBuf;
use std::time::Duration;

/// Nodes named `names`, each with one disk named as in `disks`.
#[derive(Clone, Debug, serde::Deserialize)]
struct Named {
    names: Vec<String>,
    disks: Vec<String>,
}

struct Idle;

impl Machine for Idle {
    type Msg = ();
    type Input = ();
    fn boot(&mut self, _: Boot, _: &mut Io<'_, ()>) {}
    fn on_message(&mut self, _: Addr, _: (), _: &mut Io<'_, ()>) {}
    fn on_timer(&mut self, _: u64, _: &mut Io<'_, ()>) {}
    fn on_input(&mut self, _: (), _: &mut Io<'_, ()>) {}
}

const OWN: &[OwnFault] = &[OwnFault {
    name: "shelf-collapse",
    key: "shelf_collapse_per_day",
    node: "a",
    effect: "nothing at all",
}];

impl System for Named {
    type Node = Idle;
    type Design = ();
    fn designs() -> Vec<(&'static str, ())> {
        vec![("plain", ())]
    }
    fn nodes(&self, _: &()) -> Vec<NodeSpec<Idle>> {
        self.names
            .iter()
            .zip(&self.disks)
            .map(|(n, d)| NodeSpec::new(n, n, vec![(d.clone(), blank_disk())], || Idle))
            .collect()
    }
    fn workload(&self, _: &Seeds, _: Duration) -> Vec<UserAction<()>> {
        Vec::new()
    }
    fn places(&self) -> Vec<(Place, Addr)> {
        common::places("a")
    }
    fn served(_: &Idle, _: Place) -> Option<View> {
        common::served(false)
    }
    fn own_faults() -> &'static [OwnFault] {
        OWN
    }
}

/// A scenario of nodes `names` with disks `disks`, every fault kind on.
fn source(names: &str, disks: &str) -> Source {
    let text = format!(
        "name = \"named\"\n[run]\nduration = \"2d\"\nheal_bound = \"1h\"\n\
         [faults]\npower_loss_per_node_day = 2.0\nlatent_sector_error_per_disk_day = 4.0\n\
         partition_per_link_day = 2.0\n[faults.system]\nshelf_collapse_per_day = 2.0\n\
         [system]\nnames = {names}\ndisks = {disks}\n"
    );
    Source::new("named.toml", text)
}

fn load_error(names: &str, disks: &str) -> String {
    match Case::<Named>::load(&source(names, disks), &[], "plain") {
        Ok(_) => panic!("{names} {disks} loaded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn two_nodes_or_disks_of_one_name_refuse_the_scenario() {
    let ok = Case::<Named>::load(
        &source(r#"["a", "b"]"#, r#"["a/disk", "b/disk"]"#),
        &[],
        "plain",
    );
    assert!(ok.is_ok(), "{:?}", ok.err());
    let e = load_error(r#"["a", "b"]"#, r#"["flash", "flash"]"#);
    assert!(
        e.contains("key `system`") && e.contains("disks of a and b are both named `flash`"),
        "{e}"
    );
    let e = load_error(r#"["a", "a"]"#, r#"["a/disk", "b/disk"]"#);
    assert!(e.contains("two nodes are named `a`"), "{e}");
    let e = load_error(r#"["a", "harness"]"#, r#"["a/disk", "h/disk"]"#);
    assert!(e.contains("the harness's own node"), "{e}");
}

/// A scratch directory of this test's own.
fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("lastcopy-plan-files-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_plan_file_the_system_cannot_run_is_refused_at_the_faults_line() {
    let dir = scratch("refused");
    let source = source(r#"["a", "b"]"#, r#"["a/disk", "b/disk"]"#);
    let case = Case::<Named>::load(&source, &[], "plain").unwrap();
    let seed = (0..50)
        .find(|&s| {
            let kinds: Vec<String> = case
                .plan(s)
                .faults
                .iter()
                .map(|f| f.kind.to_string())
                .collect();
            [
                "power-loss",
                "latent-sector-error",
                "partition",
                "shelf-collapse",
            ]
            .iter()
            .all(|k| kinds.iter().any(|n| n.starts_with(k)))
        })
        .expect("a seed whose plan has every kind");
    let json = plan_json(&case.plan(seed));
    let load = |text: &str| {
        let path = dir.join("plan.json");
        std::fs::write(&path, text).unwrap();
        let spec = CaseSpec {
            scenario: "named.toml".into(),
            design: Some("plain".into()),
            overrides: vec![],
            plan: Some(path.to_string_lossy().into_owned()),
        };
        spec.load_from::<Named>(&source).map(|c| c.plan.unwrap().1)
    };
    assert_eq!(
        load(&json),
        Ok(case.plan(seed)),
        "the drawn plan loads as it is"
    );
    // The first fault of a kind, edited as `edit` says: the error must
    // name the file, that fault's line, and `says`.
    let first = |kind: &str| {
        let at = json.find(&format!("\"name\": \"{kind}\"")).unwrap();
        let start = json[..at].rfind("\"id\"").unwrap();
        (start, json[..start].matches('\n').count() + 1)
    };
    let cases: [(&str, &str, &str, &str); 7] = [
        (
            "power-loss",
            "\"target\": \"",
            "\"target\": \"toaster-",
            "is not a node of the system; expected one of a, b",
        ),
        (
            "latent-sector-error",
            "\"target\": \"",
            "\"target\": \"b/",
            "is not a disk of the system; expected one of a/disk, b/disk",
        ),
        (
            "power-loss",
            "\"name\": \"power-loss\"",
            "\"name\": \"power-los\"",
            "no fault kind is named `power-los`",
        ),
        (
            "shelf-collapse",
            "\"target\": \"a\"",
            "\"target\": \"b\"",
            "`shelf-collapse` strikes only a",
        ),
        (
            "partition",
            "\"peer\": \"",
            "\"peer\": \"nobody-",
            "is not a node of the system",
        ),
        (
            "power-loss",
            "\"peer\": null",
            "\"peer\": \"b\"",
            "only a partition has a peer",
        ),
        (
            "power-loss",
            "\"at\": \"",
            "\"at\": \"9",
            "after the end of the run",
        ),
    ];
    for (kind, from, to, says) in cases {
        let (start, line) = first(kind);
        let edit = json[start..].find(from).unwrap() + start;
        let mut text = json.clone();
        text.replace_range(edit..edit + from.len(), to);
        let e = load(&text).expect_err(says);
        assert!(
            e.contains(&format!("plan.json:{line}: fault ")),
            "{kind} {to}: {e}"
        );
        assert!(e.contains(says), "{kind} {to}: {e}");
    }
    // The second fault given the first's id.
    let second = json.match_indices("\"id\": 1,").next().unwrap().0;
    let mut text = json.clone();
    text.replace_range(second..second + 8, "\"id\": 0,");
    let line = json[..second].matches('\n').count() + 1;
    let e = load(&text).unwrap_err();
    assert!(e.contains(&format!("plan.json:{line}: fault 0 ")), "{e}");
    assert!(e.contains("ids must be unique"), "{e}");
}
