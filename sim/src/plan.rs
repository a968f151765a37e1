//! Fault plans: every fault of a run, materialized before the run starts.
//!
//! A [`Plan`] is a pure function of (seed, scenario). It lists explicit
//! events, each with a stable id, a time, an abstract target (`client-17`,
//! `array-a`, `db-primary`) and a kind that the system under test defines.
//! The plan is identical for every design under test, and no design can see,
//! veto or delay it: designs are compared on the same faults.
//!
//! Where a fault can only be resolved during the run (which sector is live,
//! whether a trigger ever happens), the event carries its own `resolve_seed`,
//! drawn when the plan was made. Resolution at fire time uses that seed and
//! nothing else, so removing one event never changes how another resolves.
//! The concrete resolution goes into the trace.

use crate::time::SimTime;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

/// What a plan's fault says of itself, whatever system defines it: its
/// kind's name and class (what coverage, blame and reports count by) and,
/// through `Display`, the line shrink and reports list it by.
pub trait PlanFault:
    Clone
    + std::fmt::Debug
    + PartialEq
    + std::fmt::Display
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    /// Its kind's name (`power-loss`).
    fn kind_name(&self) -> String;
    /// Its kind's class (`power`, `storage`, `network`, ...).
    fn class_name(&self) -> String;
}

/// One planned fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedFault<K> {
    /// Stable id within the plan; traces and explanations name faults by it.
    pub id: u32,
    /// When the fault fires, in simulated time.
    pub at: SimTime,
    /// The abstract target: a node, device or failure domain name.
    pub target: String,
    /// What happens, as the system under test defines it.
    pub kind: K,
    /// The seed that resolves whatever is left open until fire time.
    pub resolve_seed: u64,
}

/// The faults of one run, sorted by time then id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan<K> {
    /// Every planned fault, in firing order.
    pub faults: Vec<PlannedFault<K>>,
}

impl<K> Default for Plan<K> {
    fn default() -> Self {
        Plan { faults: Vec::new() }
    }
}

impl<K: Serialize + DeserializeOwned + Clone> Plan<K> {
    /// A plan of `faults`, put in firing order (time, then id).
    pub fn new(mut faults: Vec<PlannedFault<K>>) -> Self {
        faults.sort_by_key(|f| (f.at, f.id));
        Plan { faults }
    }

    /// A hash of the plan's canonical JSON: equal plans, equal hashes.
    pub fn hash(&self) -> u64 {
        xxh3_64(serde_json_canonical(self).as_bytes())
    }

    /// The plan without the fault whose id is `id` (every other event unchanged).
    pub fn without(&self, id: u32) -> Self {
        Plan {
            faults: self.faults.iter().filter(|f| f.id != id).cloned().collect(),
        }
    }

    /// The plan keeping only the faults for which `keep` is true.
    pub fn retain(&self, mut keep: impl FnMut(&PlannedFault<K>) -> bool) -> Self {
        Plan {
            faults: self.faults.iter().filter(|f| keep(f)).cloned().collect(),
        }
    }
}

fn serde_json_canonical<T: Serialize>(v: &T) -> String {
    // Struct fields serialize in declaration order, so this is canonical.
    serde_json::to_string(v).expect("plans always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: u32, at: u64) -> PlannedFault<String> {
        PlannedFault {
            id,
            at: SimTime(at),
            target: format!("t{id}"),
            kind: "crash".into(),
            resolve_seed: u64::from(id) * 31,
        }
    }

    #[test]
    fn sorted_by_time_then_id_and_without_keeps_the_rest() {
        let p = Plan::new(vec![f(2, 10), f(1, 10), f(3, 5)]);
        let ids: Vec<u32> = p.faults.iter().map(|x| x.id).collect();
        assert_eq!(ids, vec![3, 1, 2]);
        let q = p.without(1);
        assert_eq!(q.faults, vec![f(3, 5), f(2, 10)]);
        assert_ne!(p.hash(), q.hash());
        assert_eq!(p.hash(), p.clone().hash());
    }
}
