//! Power and hardware faults: a node losing power, a handset replaced, a
//! failure domain destroyed, a volume lost.

use super::{FollowUp, Injector};
use models::node::Node;
use sim::disk::CrashMode;
use sim::fields;
use sim::host::{lock_disk, Addr, Boot};
use sim::lineage::EndCause;
use sim::time::SimTime;
use sim::trace::EngineEvent;

impl Injector<'_> {
    /// Power loss of a node; it reboots at `back`.
    pub(super) fn power_loss(
        &self,
        addr: Addr,
        node: &str,
        fault: u32,
        mode: CrashMode,
        back: SimTime,
    ) -> Vec<FollowUp> {
        if !self.cluster.is_up(addr) {
            self.emit(
                node,
                EngineEvent::FaultSkipped,
                fields!["fault" => fault, "why" => "already down"],
            );
            return Vec::new();
        }
        let stake = self.cluster.with_machine(addr, Node::at_stake).unwrap_or(0);
        self.lineage().set_blame(node, Some(fault));
        let lost = self.cluster.crash(addr, mode, Some(fault));
        if stake > 0 || lost.torn > 0 {
            self.lineage().mark_effective(
                self.now(),
                node,
                fault,
                "aborted a sync, dropped or tore acknowledged writes",
            );
        }
        vec![FollowUp::Reboot { addr, at: back }]
    }

    /// A handset's flash is wiped or replaced by its user: saved versions
    /// it never synced are forfeited; it boots blank and restores.
    pub(super) fn replace_handset(
        &self,
        addr: Addr,
        node: &str,
        fault: u32,
        cause: EndCause,
        why: &str,
    ) {
        let Some(user) = self.user_of(addr) else {
            return;
        };
        let now = self.now();
        let forfeited = self.ledger.forfeit_unsynced(user, now);
        if forfeited > 0 {
            self.emit(
                node,
                EngineEvent::AckForfeited,
                fields!["versions" => forfeited],
            );
        }
        self.lineage().set_blame(node, Some(fault));
        self.cluster
            .crash(addr, CrashMode::DropUnsynced, Some(fault));
        let flash = &self
            .volumes
            .iter()
            .find(|v| v.node == addr)
            .expect("handsets have flash");
        lock_disk(&flash.disk).replace_blank();
        self.emit(
            &flash.device,
            EngineEvent::DiskReplaced,
            fields!["device" => &flash.device, "fault" => fault, "why" => why],
        );
        let ended =
            self.lineage()
                .store_ended(now, &flash.device, &flash.device, cause, Some(fault));
        if !ended.is_empty() {
            self.lineage()
                .mark_effective(now, node, fault, "wiped copies");
        }
        self.cluster.boot(addr, Boot::Clean, false);
    }

    /// Every volume of the failure domain is destroyed; its nodes go down.
    pub(super) fn destroy_domain(&self, domain: &str, fault: u32) -> Vec<Addr> {
        let mut nodes = Vec::new();
        for v in self.volumes.iter().filter(|v| v.domain == domain) {
            self.lineage().set_blame(&v.node_name, Some(fault));
            self.cluster
                .crash(v.node, CrashMode::DropUnsynced, Some(fault));
            self.cluster.lose_device(&v.device, &v.disk, Some(fault));
            nodes.push(v.node);
        }
        nodes
    }

    /// One volume is lost: a handset is replaced (its user forfeits what
    /// never synced); a database node comes back blank at `back`.
    pub(super) fn lose_volume(
        &self,
        addr: Addr,
        node: &str,
        fault: u32,
        back: SimTime,
    ) -> Vec<FollowUp> {
        if self.user_of(addr).is_some() {
            self.replace_handset(
                addr,
                node,
                fault,
                EndCause::DeviceLost,
                "device lost: handset replaced",
            );
            return Vec::new();
        }
        let Some(v) = self.volume_of(node) else {
            self.emit(
                node,
                EngineEvent::FaultSkipped,
                fields!["fault" => fault, "why" => "node has no volume"],
            );
            return Vec::new();
        };
        self.lineage().set_blame(node, Some(fault));
        self.cluster
            .crash(addr, CrashMode::DropUnsynced, Some(fault));
        self.cluster.lose_device(&v.device, &v.disk, Some(fault));
        vec![FollowUp::StorageBack {
            array: v.domain.clone(),
            fault,
            nodes: vec![addr],
            at: back,
        }]
    }
}
