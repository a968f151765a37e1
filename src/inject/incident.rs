//! Operator and server incidents, handed to the node in charge as input.

use super::Injector;
use crate::topology;
use models::fault::Fault;
use models::incident::{Dropped, Incident};
use models::msg::Input;
use models::record::RecordKind;
use rand::RngExt;
use sim::fields;
use sim::host::Addr;
use sim::plan::PlannedFault;
use sim::trace::EngineEvent;

impl Injector<'_> {
    /// An operator, backup or upgrade incident: resolved now from the
    /// fault's resolve seed, then handed to the node that carries it out
    /// (the operator for restores, the primary for backup jobs and schema
    /// changes, the backup for retention, the server for version skew).
    /// Copies the target's store loses from here on are blamed on it.
    pub(super) fn incident(&self, f: &PlannedFault<Fault>, target: &str) {
        let mut rng = sim::rng::from_seed(f.resolve_seed);
        let mut resolution = fields!["fault" => f.id];
        let primary = topology::DB_PRIMARY;
        let (to, incident) = match f.kind {
            Fault::StaleRestore => (topology::OPERATOR, Incident::StaleRestore),
            Fault::WrongAccountRestore => {
                if self.handsets < 2 {
                    self.emit(
                        target,
                        EngineEvent::FaultSkipped,
                        fields!["fault" => f.id, "why" => "fewer than two accounts"],
                    );
                    return;
                }
                let from = rng.random_range(0..self.handsets);
                let to = (from + 1 + rng.random_range(0..self.handsets - 1)) % self.handsets;
                resolution.push(("from", from.into()));
                resolution.push(("to", to.into()));
                (
                    topology::OPERATOR,
                    Incident::WrongAccountRestore { from, to },
                )
            }
            Fault::BackupStopped => {
                let keep_permille = rng.random_range(0..1000u32);
                resolution.push(("keep_permille", keep_permille.into()));
                (primary, Incident::BackupStopped { keep_permille })
            }
            Fault::BackupSilentFailure => (primary, Incident::BackupSilentFailure),
            Fault::RetentionPurge => (topology::DB_BACKUP, Incident::RetentionPurge),
            Fault::SchemaMigration => {
                let dropped = if rng.random_bool(0.5) {
                    resolution.push(("drops", "photo".into()));
                    Dropped::Kind(RecordKind::Photo)
                } else {
                    resolution.push(("drops", "field".into()));
                    Dropped::Field
                };
                (primary, Incident::SchemaMigration { dropped })
            }
            Fault::UpgradeRollback => {
                let seed: u64 = rng.random();
                (primary, Incident::UpgradeRollback { seed })
            }
            Fault::VersionSkew { for_ms } => (topology::SERVER, Incident::VersionSkew { for_ms }),
            _ => unreachable!("only incidents come here"),
        };
        self.emit(target, EngineEvent::FaultResolved, resolution);
        let Some(addr) = self.cluster.addr_of(to) else {
            return;
        };
        self.input_incident(addr, target, f.id, incident);
    }

    /// Hands `incident` (fault `fault`, aimed at `target`) to the node at `addr`.
    pub(super) fn input_incident(&self, addr: Addr, target: &str, fault: u32, incident: Incident) {
        self.lineage().set_blame(target, Some(fault));
        if !self
            .cluster
            .input(addr, Input::Incident { fault, incident })
        {
            self.emit(
                target,
                EngineEvent::FaultSkipped,
                fields!["fault" => fault, "why" => "the node in charge is down"],
            );
        }
    }
}
