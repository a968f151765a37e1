//! Network faults: the links of a target impaired for a while (the table
//! of what each does is [`impairment`]).

use super::{FollowUp, Injector};
use crate::topology;
use models::fault::Fault;
use sim::fields;
use sim::host::Addr;
use sim::net::{Impairment, Links};
use sim::plan::PlannedFault;
use sim::trace::EngineEvent;
use std::time::Duration;

impl Injector<'_> {
    /// The links network fault `kind` strikes at node `addr`, the name of
    /// their class (empty if the kind does not apply there) and the peers
    /// at their other ends; none without a server and both databases.
    pub(super) fn links_of(
        &self,
        kind: &Fault,
        addr: Addr,
    ) -> Option<(Links, &'static str, Vec<Addr>)> {
        let addr_of = |name: &str| self.cluster.addr_of(name);
        let (Some(server), Some(primary), Some(backup)) = (
            addr_of(topology::SERVER),
            addr_of(topology::DB_PRIMARY),
            addr_of(topology::DB_BACKUP),
        ) else {
            return None;
        };
        let handset = self.user_of(addr).is_some();
        Some(match (kind, handset) {
            (Fault::Offline { .. }, true) => {
                let others: Vec<Addr> = self
                    .cluster
                    .addrs()
                    .into_iter()
                    .filter(|a| *a != addr)
                    .collect();
                (Links::between(vec![addr], others), "every link", vec![])
            }
            (Fault::Offline { .. }, false) => (Links::between(vec![], vec![]), "", vec![]),
            (_, true) => (
                Links::between(vec![addr], vec![server]),
                "handset-server",
                vec![server],
            ),
            (_, false) if addr == server => (
                Links::between(vec![server], vec![primary, backup]),
                "server-database",
                vec![primary, backup],
            ),
            _ => (Links::between(vec![], vec![]), "", vec![]),
        })
    }

    /// Puts a network fault in force on the target's links until its end:
    /// a handset's link to the server (every link of it when offline), or
    /// the server's links to the databases. The link set is resolved now
    /// and traced; the fault's resolve seed drives every per-message draw.
    pub(super) fn network_fault(&self, f: &PlannedFault<Fault>, addr: Addr) -> Vec<FollowUp> {
        let node = f.target.as_str();
        let Some((links, class, peers)) = self.links_of(&f.kind, addr) else {
            return Vec::new();
        };
        if class.is_empty() {
            self.emit(
                node,
                EngineEvent::FaultSkipped,
                fields!["fault" => f.id, "why" => "kind does not apply to target"],
            );
            return Vec::new();
        }
        let (imp, for_ms) = impairment(&f.kind);
        let mut resolution = fields!["fault" => f.id, "links" => class];
        if !peers.is_empty() {
            let names: Vec<String> = peers.iter().map(|a| self.cluster.name_of(*a)).collect();
            resolution.push(("peers", names.join(",").into()));
        }
        self.emit(node, EngineEvent::FaultResolved, resolution);
        self.cluster.net_fault(f.id, links, imp, f.resolve_seed);
        vec![FollowUp::NetEnd {
            fault: f.id,
            at: self.now().after(Duration::from_millis(for_ms)),
        }]
    }
}

/// What network fault `kind` does to the links it strikes, and for how
/// many milliseconds: the table of network faults.
fn impairment(kind: &Fault) -> (Impairment, u64) {
    let share = |per_mille: u32| f64::from(per_mille.min(1000)) / 1000.0;
    let ms = Duration::from_millis;
    match *kind {
        Fault::Partition { for_ms } | Fault::Offline { for_ms } => (Impairment::cut(), for_ms),
        Fault::PacketLoss { for_ms, per_mille } => (
            Impairment {
                loss: share(per_mille),
                ..Impairment::default()
            },
            for_ms,
        ),
        Fault::Duplication {
            for_ms,
            per_mille,
            lag_ms,
        } => (
            Impairment {
                duplicate: share(per_mille),
                hold_for: ms(lag_ms),
                ..Impairment::default()
            },
            for_ms,
        ),
        Fault::Reordering {
            for_ms,
            per_mille,
            hold_ms,
        } => (
            Impairment {
                reorder: share(per_mille),
                hold_for: ms(hold_ms),
                ..Impairment::default()
            },
            for_ms,
        ),
        Fault::LongDelay {
            for_ms,
            per_mille,
            delay_ms,
        } => (
            Impairment {
                delay: share(per_mille),
                delay_for: ms(delay_ms),
                ..Impairment::default()
            },
            for_ms,
        ),
        Fault::TransitCorruption { for_ms, per_mille } => (
            Impairment {
                corrupt: share(per_mille),
                ..Impairment::default()
            },
            for_ms,
        ),
        _ => unreachable!("only network faults come here"),
    }
}
