//! What a plan file may say of a system, checked before anything runs
//! (by a [`crate::system::System`]'s [`crate::rig::Rig::read_plan`]): every fault's id unique, its time
//! within the run, its kind one the system has, and its target one that
//! kind strikes (a node for power, process, clock and network faults, with
//! another node as a partition's peer; a disk for storage faults; the
//! row's node for the system's own). A plan the planner drew always
//! passes; an edited one that does not is refused, never run with a fault
//! quietly skipped.

use crate::plan::faults::{Fault, FaultClass, FaultName};
use crate::system::{NodeSpec, OwnFault};
use sim::plan::PlannedFault;
use sim::time::SimTime;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Why a plan cannot run: the fault, by its position in the plan as
/// written (0 for the first), and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanError {
    /// The fault's position in the plan as written.
    pub index: usize,
    /// What is wrong, naming the fault (id, kind, target) and what would
    /// be valid.
    pub message: String,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PlanError {}

/// What a system's plan may name: its nodes, its disks, its own faults
/// and the run's length.
pub struct Targets<'a> {
    /// The nodes' names, in node order.
    pub nodes: Vec<&'a str>,
    /// The disks' names, in node order.
    pub disks: Vec<&'a str>,
    /// The system's own faults.
    pub own: &'a [OwnFault],
    /// The run's length: no fault may come after it.
    pub duration: Duration,
}

impl<'a> Targets<'a> {
    /// What `nodes` (with their disks) and the system's `own` faults
    /// offer a plan of a run of `duration`.
    pub fn of<M>(nodes: &'a [NodeSpec<M>], own: &'a [OwnFault], duration: Duration) -> Self {
        Targets {
            nodes: nodes.iter().map(|n| n.name.as_str()).collect(),
            disks: nodes
                .iter()
                .flat_map(|n| n.disks.iter().map(|(d, _)| d.as_str()))
                .collect(),
            own,
            duration,
        }
    }

    /// Checks `faults` in the order written; the first fault that cannot
    /// run is the error.
    pub fn check(&self, faults: &[PlannedFault<Fault>]) -> Result<(), PlanError> {
        let mut ids: BTreeMap<u32, usize> = BTreeMap::new();
        let end = SimTime::from(self.duration);
        for (index, f) in faults.iter().enumerate() {
            let fail = |why: String| PlanError {
                index,
                message: format!("fault {} ({} on {}): {why}", f.id, f.kind, f.target),
            };
            if let Some(first) = ids.insert(f.id, index) {
                return Err(fail(format!(
                    "its id is also the id of fault number {} of the plan (ids must be unique)",
                    first + 1
                )));
            }
            if f.at > end {
                return Err(fail(format!(
                    "at {} is after the end of the run ({end})",
                    f.at
                )));
            }
            self.check_target(&f.target, &f.kind).map_err(fail)?;
        }
        Ok(())
    }

    /// Whether `kind` can strike `target`; the error says what it can.
    fn check_target(&self, target: &str, kind: &Fault) -> Result<(), String> {
        let one_of = |what: &str, names: &[&str]| {
            format!(
                "`{target}` is not {what}; expected one of {}",
                names.join(", ")
            )
        };
        let class = match &kind.name {
            FaultName::Generic(k) => k.row().class,
            FaultName::Own(name) => {
                let Some(row) = self.own.iter().find(|r| r.name == name) else {
                    let mut kinds: Vec<&str> = crate::plan::faults::FAULT_TABLE
                        .iter()
                        .map(|r| r.name)
                        .collect();
                    kinds.extend(self.own.iter().map(|r| r.name));
                    return Err(format!(
                        "no fault kind is named `{name}`; the kinds are {}",
                        kinds.join(", ")
                    ));
                };
                if target != row.node {
                    return Err(format!("`{name}` strikes only {}", row.node));
                }
                return no_peer(kind);
            }
        };
        match class {
            FaultClass::Storage => {
                if !self.disks.contains(&target) {
                    return Err(one_of("a disk of the system", &self.disks));
                }
                no_peer(kind)
            }
            FaultClass::Network => {
                if !self.nodes.contains(&target) {
                    return Err(one_of("a node of the system", &self.nodes));
                }
                match kind.peer.as_deref() {
                    None => {
                        Err("a partition needs a `peer`, the node at the link's other end".into())
                    }
                    Some(p) if p == target => Err(format!("its peer is `{p}` itself")),
                    Some(p) if !self.nodes.contains(&p) => Err(format!(
                        "its peer `{p}` is not a node of the system; expected one of {}",
                        self.nodes.join(", ")
                    )),
                    Some(_) => Ok(()),
                }
            }
            FaultClass::Power | FaultClass::Process | FaultClass::Clock => {
                if !self.nodes.contains(&target) {
                    return Err(one_of("a node of the system", &self.nodes));
                }
                no_peer(kind)
            }
        }
    }
}

/// Only a partition has a peer.
fn no_peer(kind: &Fault) -> Result<(), String> {
    match &kind.peer {
        Some(p) => Err(format!("only a partition has a peer, but it names `{p}`")),
        None => Ok(()),
    }
}

/// The line of `text` (a plan file, JSON as `plan` prints it, or a
/// regression file holding one) where the plan's fault number `index`
/// (from 0) starts: the line of its `"id"` key; `None` if the text has
/// fewer.
pub fn json_fault_line(text: &str, index: usize) -> Option<usize> {
    let at = text.match_indices("\"id\"").nth(index)?.0;
    Some(text[..at].matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::json_fault_line;

    #[test]
    fn a_faults_line_is_the_line_of_its_id() {
        let text = "{\n  \"faults\": [\n    {\n      \"id\": 0\n    },\n    {\n      \"id\": 1\n    }\n  ]\n}\n";
        assert_eq!(json_fault_line(text, 0), Some(4));
        assert_eq!(json_fault_line(text, 1), Some(7));
        assert_eq!(json_fault_line(text, 2), None);
    }
}
