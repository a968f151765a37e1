//! Storage faults: what a fault does to a volume's sectors, and the
//! storage that comes back.

use super::{Injector, Volume};
use models::fault::Fault;
use models::msg::Input;
use models::node::Node;
use rand::RngExt;
use sim::disk::DiskFault;
use sim::fields;
use sim::host::{lock_disk, Addr, Boot};
use sim::plan::PlannedFault;
use sim::trace::EngineEvent;

impl Injector<'_> {
    /// The sectors a sector fault on `v` may land on: those holding data
    /// its node serves, or any written sector when the node is down.
    pub(super) fn fault_sectors(&self, v: &Volume) -> Vec<u64> {
        let serving = self
            .cluster
            .with_machine(v.node, Node::live_sectors)
            .unwrap_or_default();
        if serving.is_empty() {
            lock_disk(&v.disk).live_sectors()
        } else {
            serving
        }
    }

    /// Which record each sector of `v` holds, if its node keeps a map.
    pub(super) fn sector_map(&self, v: &Volume) -> Option<Vec<(u64, models::record::RecordId)>> {
        self.cluster
            .with_machine(v.node, Node::sector_records)
            .flatten()
    }

    /// A disk fault on the target node's volume, resolved now from the
    /// fault's resolve seed. Returns the device it landed on.
    pub(super) fn disk_fault(&self, f: &PlannedFault<Fault>, node: &str) -> Option<String> {
        let Some(v) = self.volume_of(node) else {
            self.emit(
                node,
                EngineEvent::FaultSkipped,
                fields!["fault" => f.id, "why" => "node has no volume"],
            );
            return None;
        };
        let mut rng = sim::rng::from_seed(f.resolve_seed);
        // Faults land on sectors that hold data the node serves, so that
        // they are effective; a node that is down falls back to any
        // written sector. The survivable atlas keeps only sectors whose
        // records have another live copy.
        let mut live = self.fault_sectors(v);
        let map = self.atlas.and_then(|_| self.sector_map(v));
        if let Some(atlas) = self.atlas {
            live = atlas.safe_sectors(&self.copies(), &v.device, &live, map.as_deref());
        }
        let mut disk = lock_disk(&v.disk);
        let mut resolution = fields!["fault" => f.id, "device" => &v.device];
        let fault = match f.kind {
            Fault::BitRot | Fault::LatentSectorError => {
                if live.is_empty() {
                    drop(disk);
                    self.emit(
                        node,
                        EngineEvent::FaultSkipped,
                        fields!["fault" => f.id, "why" => "no live sector"],
                    );
                    return None;
                }
                let sector = live[rng.random_range(0..live.len())];
                if let Some(atlas) = self.atlas {
                    atlas.struck_sector(&self.copies(), &v.device, sector, map.as_deref());
                }
                resolution.push(("sector", sector.into()));
                if f.kind == Fault::BitRot {
                    DiskFault::BitRot {
                        sector,
                        seed: rng.random(),
                    }
                } else {
                    DiskFault::LatentSectorError { sector }
                }
            }
            Fault::LostWrite => DiskFault::LostWrite,
            Fault::SyncFailure => DiskFault::SyncFailure,
            Fault::MisdirectedWrite => {
                let offset: i64 =
                    if rng.random_bool(0.5) { 1 } else { -1 } * rng.random_range(1..=4);
                resolution.push(("offset", (offset.unsigned_abs()).into()));
                resolution.push((
                    "direction",
                    if offset > 0 { "forward" } else { "back" }.into(),
                ));
                DiskFault::MisdirectedWrite { offset }
            }
            Fault::DiskFull { .. } => {
                let free: u64 = rng.random_range(0..4);
                resolution.push(("free_sectors", free.into()));
                DiskFault::DiskFull { free_sectors: free }
            }
            _ => unreachable!("only disk faults come here"),
        };
        let effect = disk.inject(fault);
        drop(disk);
        self.emit(node, EngineEvent::FaultResolved, resolution);
        self.lineage().set_blame(node, Some(f.id));
        self.cluster
            .trace_disk_effect(self.now(), &v.device, &effect, Some(f.id));
        Some(v.device.clone())
    }

    /// Space is freed on a full disk.
    pub fn free_space(&self, device: &str) {
        if let Some(v) = self.volume(device) {
            lock_disk(&v.disk).inject(DiskFault::DiskFull {
                free_sectors: u64::MAX,
            });
            self.emit(device, EngineEvent::DiskSpaceFreed, vec![]);
        }
    }

    /// Storage of `array` is back: its nodes boot and the operator checks.
    pub fn storage_back(&self, array: &str, fault: u32, nodes: &[Addr]) {
        self.emit(array, EngineEvent::StorageBack, fields!["fault" => fault]);
        for addr in nodes {
            self.cluster.boot(*addr, Boot::Crash, false);
        }
        self.cluster.input(
            self.operator,
            Input::StorageBack {
                array: array.to_string(),
            },
        );
    }
}
