//! Edit races through the public trait: a bug that hides in the window of
//! an in-flight push (the client marks its *current* version synced when
//! the server acknowledges the *pushed* one) is never caught by the
//! workload's own edits on seeds 0..20, and is caught once the scenario
//! plans edit races; the careful design keeps the promise under the same
//! races.

use lastcopy_harness::case::{Case, SeedRun};
use lastcopy_harness::plan::faults::{FaultKind, FaultName};
use lastcopy_harness::scenario::Source;
use lastcopy_harness::sim::host::{Addr, Boot, Io, Machine};
use lastcopy_harness::sim::ledger::Write;
use lastcopy_harness::sim::place::{Place, PlaceKind, Served, View};
use lastcopy_harness::sim::record::{RecordId, RecordKind, VersionId};
use lastcopy_harness::sim::rng::Seeds;
use lastcopy_harness::sim::trace::EngineEvent;
use lastcopy_harness::system::{NodeSpec, System, UserAction};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DOC: RecordKind = RecordKind::new(0, "doc");
const CLIENT: Addr = Addr(0);
const SERVER: Addr = Addr(1);

fn record(n: u32) -> RecordId {
    RecordId {
        owner: 0,
        kind: DOC,
        n,
    }
}

fn version(seq: u32) -> VersionId {
    VersionId { writer: 0, seq }
}

/// Three documents edited on a client that pushes them to a server.
#[derive(Clone, Debug, Deserialize)]
struct Docs {}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Design {
    /// An acknowledgement marks synced only the version it acknowledges.
    Careful,
    /// An acknowledgement marks the client's current version synced.
    Buggy,
}

#[derive(Debug, Serialize, Deserialize)]
enum Msg {
    Push(Vec<(u32, u32)>),
    Ack(Vec<(u32, u32)>),
}

/// An edit of document `n` into version `seq`.
struct Edit {
    n: u32,
    seq: u32,
}

/// Per document: its version and whether the server still needs it (a
/// shared cell stands in for a disk no fault here wipes).
type Held = Arc<Mutex<BTreeMap<u32, (u32, bool)>>>;

enum Node {
    Client { held: Held, design: Design },
    Server { held: Held },
}

impl Machine for Node {
    type Msg = Msg;
    type Input = Edit;
    fn boot(&mut self, _: Boot, io: &mut Io<'_, Msg>) {
        if let Node::Client { .. } = self {
            io.set_timer(0, Duration::from_secs(600));
        }
    }
    fn on_message(&mut self, _: Addr, msg: Msg, io: &mut Io<'_, Msg>) {
        match (self, msg) {
            (Node::Server { held }, Msg::Push(rows)) => {
                let mut held = held.lock().unwrap();
                for (n, seq) in &rows {
                    held.insert(*n, (*seq, false));
                }
                io.send(CLIENT, Msg::Ack(rows));
            }
            (Node::Client { held, design }, Msg::Ack(rows)) => {
                let mut held = held.lock().unwrap();
                for (n, acked) in rows {
                    let Some((current, dirty)) = held.get_mut(&n) else {
                        continue;
                    };
                    let synced = match design {
                        Design::Careful if *current != acked => continue,
                        Design::Careful => acked,
                        Design::Buggy => *current,
                    };
                    *dirty = false;
                    io.told_synced(record(n), version(synced));
                }
            }
            _ => {}
        }
    }
    fn on_timer(&mut self, _: u64, io: &mut Io<'_, Msg>) {
        if let Node::Client { held, .. } = self {
            let rows: Vec<(u32, u32)> = held
                .lock()
                .unwrap()
                .iter()
                .filter(|(_, (_, dirty))| *dirty)
                .map(|(n, (seq, _))| (*n, *seq))
                .collect();
            if !rows.is_empty() {
                io.send(SERVER, Msg::Push(rows));
            }
            io.set_timer(0, Duration::from_secs(600));
        }
    }
    fn on_input(&mut self, e: Edit, io: &mut Io<'_, Msg>) {
        let Node::Client { held, .. } = self else {
            return;
        };
        let parent = held.lock().unwrap().insert(e.n, (e.seq, true));
        let parent = parent.map(|(seq, _)| version(seq));
        io.wrote(
            record(e.n),
            version(e.seq),
            Write::edit(parent, u64::from(e.seq)),
        );
        io.told_saved(record(e.n), version(e.seq));
    }
}

fn view(held: &Held) -> Option<View> {
    let held = held.lock().unwrap();
    let served = |seq: u32| Served {
        version: version(seq),
        deleted: false,
        content: u64::from(seq),
        genuine: true,
        conflicts: vec![],
    };
    Some(
        held.iter()
            .map(|(n, (seq, _))| (record(*n), served(*seq)))
            .collect(),
    )
}

impl System for Docs {
    type Node = Node;
    type Design = Design;
    fn designs() -> Vec<(&'static str, Design)> {
        vec![("careful", Design::Careful), ("buggy", Design::Buggy)]
    }
    fn nodes(&self, design: &Design) -> Vec<NodeSpec<Node>> {
        let (client, server) = (Held::default(), Held::default());
        let design = *design;
        vec![
            NodeSpec::new("client", "desk", vec![], move || Node::Client {
                held: client.clone(),
                design,
            }),
            NodeSpec::new("server", "rack", vec![], move || Node::Server {
                held: server.clone(),
            }),
        ]
    }
    fn workload(&self, seeds: &Seeds, duration: Duration) -> Vec<UserAction<Edit>> {
        let mut rng = seeds.keyed("docs/edits", 0);
        let edits = duration.as_secs() / 7200;
        (1..=edits as u32)
            .map(|seq| UserAction {
                at: Duration::from_millis(rng.random_range(0..duration.as_millis() as u64)),
                node: CLIENT,
                input: Edit {
                    n: rng.random_range(0..3),
                    seq,
                },
            })
            .collect()
    }
    fn places(&self) -> Vec<(Place, Addr)> {
        let place = |code, name, reference| Place {
            user: 0,
            kind: PlaceKind {
                code,
                name,
                reference,
            },
            index: 0,
        };
        vec![
            (place(0, "client", false), CLIENT),
            (place(1, "server", true), SERVER),
        ]
    }
    fn served(node: &Node, _: Place) -> Option<View> {
        match node {
            Node::Client { held, .. } | Node::Server { held } => view(held),
        }
    }
    fn pushed(msg: &Msg) -> Vec<RecordId> {
        match msg {
            Msg::Push(rows) => rows.iter().map(|(n, _)| record(*n)).collect(),
            Msg::Ack(_) => Vec::new(),
        }
    }
    fn race_edit(&self, node: Addr, record: RecordId, race: u32) -> Option<Edit> {
        (node == CLIENT).then_some(Edit {
            n: record.n,
            seq: 1_000_000 + race,
        })
    }
}

fn runs(design: &str, races_per_day: f64) -> Vec<SeedRun> {
    let text = format!(
        "name = \"docs\"\n[run]\nduration = \"2d\"\nheal_bound = \"2h\"\n\
         [faults]\nedit_race_per_node_day = {races_per_day}\n[system]\n"
    );
    let case = Case::<Docs>::load(&Source::new("docs.toml", text), &[], design).unwrap();
    (0..20).map(|seed| case.run_seed(seed)).collect()
}

fn broken(runs: &[SeedRun]) -> usize {
    runs.iter().filter(|r| !r.outcome.kept_promise()).count()
}

#[test]
fn a_bug_in_the_window_of_a_push_is_caught_only_by_edit_races() {
    assert_eq!(
        broken(&runs("buggy", 0.0)),
        0,
        "the workload alone hits the window"
    );
    let raced = runs("buggy", 4.0);
    assert!(broken(&raced) > 0, "no edit race caught the bug");
    assert_eq!(
        broken(&runs("careful", 4.0)),
        0,
        "races alone broke the promise"
    );
    // Races strike at the client's pushes, and their end follows under
    // the same fault id; a race on the server, which never pushes, is
    // skipped when its window ends.
    let trace = &raced[0].output.trace;
    let race_ids: Vec<u32> = raced[0]
        .plan
        .faults
        .iter()
        .filter(|f| f.kind.name == FaultName::Generic(FaultKind::EditRace))
        .map(|f| f.id)
        .collect();
    let fired: Vec<u32> = raced[0].output.fired.clone();
    assert!(
        race_ids.iter().any(|id| fired.contains(id)),
        "no race struck"
    );
    for e in trace.events() {
        if e.kind == EngineEvent::FaultResolved && e.node == "client" {
            assert!(e.str("record").is_some_and(|r| r.contains("doc")), "{e:?}");
        }
    }
}
