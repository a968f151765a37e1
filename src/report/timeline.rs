//! The timeline of one failing record in one run: one lane per place a copy
//! of it can live (the owner's handset flash, the primary, the backup, the
//! snapshot store, and any other store that held it), the copies each lane
//! held over time, and the faults that hit each lane.

use crate::explain::FiredFault;
use crate::runner::SeedRun;
use crate::topology;
use models::design::Design;
use sim::lineage::EndCause;
use sim::outcome::VerdictKind;
use sim::time::SimTime;
use sim::trace::{EngineEvent, RunPhase, Trace};
use std::collections::{BTreeMap, BTreeSet};

use super::stats::phase_at;

/// One copy of a version of the record on a lane's store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopySpan {
    /// The version it held (`w17.4`).
    pub version: String,
    /// When it was created.
    pub from: SimTime,
    /// When it ended; none if it was still there at the check.
    pub to: Option<SimTime>,
    /// What ended it (`superseded`, `device-lost`, ...).
    pub cause: Option<EndCause>,
    /// The planned fault blamed for its end.
    pub fault: Option<u32>,
}

/// A planned fault that hit a lane: it fired on the lane's node or device,
/// or a copy on the lane ended by it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultMark {
    /// The plan id.
    pub id: u32,
    /// When it fired.
    pub at: SimTime,
    /// Its kind (`botched-upgrade`).
    pub kind: String,
    /// Its target (`array-a`, `handset-3`).
    pub target: String,
}

/// One place copies of the record can live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    /// What the lane is (`handset flash`, `primary`, `backup`, `snapshot`,
    /// or `store` for any other).
    pub role: String,
    /// The store (`handset-3/flash`, `array-a/primary`).
    pub store: String,
    /// Its copies, in creation order.
    pub copies: Vec<CopySpan>,
    /// The faults that hit it, in firing order.
    pub faults: Vec<FaultMark>,
}

/// The timeline of one record in one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// The record.
    pub record: String,
    /// Its verdict kind.
    pub verdict: VerdictKind,
    /// The seed.
    pub seed: u64,
    /// When heal began.
    pub heal_at: Option<SimTime>,
    /// When the check began: the end of the run.
    pub end: SimTime,
    /// The lanes, canonical places first.
    pub lanes: Vec<Lane>,
}

impl Lane {
    /// An empty lane of `store`, shown as `role`.
    fn new(role: &str, store: String) -> Self {
        Lane {
            role: role.into(),
            store,
            copies: vec![],
            faults: vec![],
        }
    }
}

impl Timeline {
    /// Reads the timeline of `record` (owned by handset `owner`) from `run`,
    /// which ran under `design`: its canonical lanes, every copy of it the
    /// trace created or ended (a store with no lane gets one), and on each
    /// lane the faults that struck its nodes or ended its copies.
    pub fn of(run: &SeedRun, design: &Design, record: &str, verdict: &VerdictKind) -> Self {
        let trace = &run.output.trace;
        let mut lanes = canonical_lanes(record, design);
        let blamed = read_copies(trace, record, &mut lanes);
        mark_faults(&mut lanes, &crate::explain::fired_faults(trace), &blamed);
        let end = phase_at(trace, RunPhase::Check)
            .or(trace.events().last().map(|e| e.at))
            .unwrap_or(SimTime::ZERO);
        Timeline {
            record: record.to_string(),
            verdict: *verdict,
            seed: run.outcome.seed,
            heal_at: phase_at(trace, RunPhase::Heal),
            end,
            lanes: lanes.into_iter().map(|(l, _)| l).collect(),
        }
    }

    /// Marks the chart draws: copies, then fault marks.
    pub fn marks(&self) -> (usize, usize) {
        (
            self.lanes.iter().map(|l| l.copies.len()).sum(),
            self.lanes.iter().map(|l| l.faults.len()).sum(),
        )
    }
}

fn owner_of(record: &str) -> Option<u32> {
    record
        .parse::<models::record::RecordId>()
        .ok()
        .map(|r| r.owner)
}

/// A lane and the nodes whose faults it shows.
type LaneOf = (Lane, BTreeSet<String>);

/// The lanes every record's timeline has, in order: its handset's flash
/// (if a handset owns it), the primary's and the backup's volumes, the
/// snapshots.
fn canonical_lanes(record: &str, design: &Design) -> Vec<LaneOf> {
    let lane = |role: &str, store: String, nodes: &[&str]| {
        let nodes = nodes.iter().map(|n| n.to_string()).collect();
        (Lane::new(role, store), nodes)
    };
    let mut lanes = Vec::new();
    if let Some(o) = owner_of(record) {
        let h = topology::handset(o);
        lanes.push(lane("handset flash", topology::flash(o), &[&h]));
    }
    lanes.push(lane(
        "primary",
        topology::primary_volume(),
        &[topology::ARRAY_A, topology::DB_PRIMARY],
    ));
    lanes.push(lane(
        "backup",
        topology::backup_volume(design),
        &[topology::backup_array(design), topology::DB_BACKUP],
    ));
    lanes.push(lane(
        "snapshot",
        topology::SNAPSHOTS.into(),
        &[topology::OPERATOR],
    ));
    lanes
}

/// Reads every copy of `record` the trace created or ended into its
/// store's lane (a store with no lane gets one, shown for the node named
/// by its prefix); returns, per store, the faults that ended a copy there.
fn read_copies(
    trace: &Trace,
    record: &str,
    lanes: &mut Vec<LaneOf>,
) -> BTreeMap<String, BTreeSet<u32>> {
    let mut blamed: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    for e in trace.events() {
        if e.kind != EngineEvent::CopyCreated && e.kind != EngineEvent::CopyEnded {
            continue;
        }
        if e.str("record") != Some(record) {
            continue;
        }
        let (Some(store), Some(version)) = (e.str("store"), e.str("version")) else {
            continue;
        };
        let i = match lanes.iter().position(|(l, _)| l.store == store) {
            Some(i) => i,
            None => {
                let prefix = store.split('/').next().unwrap_or(store).to_string();
                lanes.push((Lane::new("store", store.to_string()), [prefix].into()));
                lanes.len() - 1
            }
        };
        let (lane, nodes) = &mut lanes[i];
        nodes.insert(e.node.to_string());
        if e.kind == EngineEvent::CopyCreated {
            lane.copies.push(CopySpan {
                version: version.to_string(),
                from: e.at,
                to: None,
                cause: None,
                fault: None,
            });
        } else if let Some(c) = lane
            .copies
            .iter_mut()
            .rev()
            .find(|c| c.version == version && c.to.is_none())
        {
            c.to = Some(e.at);
            c.cause = e.str("cause").and_then(EndCause::parse);
            c.fault = e.field("fault").and_then(|v| v.as_u64()).map(|f| f as u32);
            if let Some(f) = c.fault {
                blamed.entry(store.to_string()).or_default().insert(f);
            }
        }
    }
    blamed
}

/// Marks on each lane, in time order, the fired faults that struck one of
/// its nodes or ended one of its copies (`blamed`, per store).
fn mark_faults(
    lanes: &mut [LaneOf],
    fired: &BTreeMap<u32, FiredFault>,
    blamed: &BTreeMap<String, BTreeSet<u32>>,
) {
    for (lane, nodes) in lanes {
        let hits = blamed.get(&lane.store);
        lane.faults = fired
            .values()
            .filter(|f| nodes.contains(&f.target) || hits.is_some_and(|h| h.contains(&f.id)))
            .map(|f| FaultMark {
                id: f.id,
                at: f.at,
                kind: f.kind.clone(),
                target: f.target.clone(),
            })
            .collect();
        lane.faults.sort_by_key(|f| (f.at, f.id));
    }
}
