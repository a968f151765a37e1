//! Where every node is: the user's devices first, then the metadata
//! primary, its synchronous and asynchronous replicas, then the volumes.
//!
//! Every node's disk is named after it, and so is its store in the copy
//! lineage: `phone`, `meta-primary`, `volume-1`.

use lastcopy_harness::sim::host::Addr;
use lastcopy_harness::sim::record::VersionId;

/// The devices' names, in order: a user has the first 2 to 4.
pub const DEVICE_NAMES: [&str; 4] = ["phone", "tablet", "laptop", "desktop"];
/// The metadata nodes' names: primary, synchronous and asynchronous replica.
pub const META_NAMES: [&str; 3] = ["meta-primary", "meta-sync", "meta-async"];
/// The volumes' names.
pub const VOLUME_NAMES: [&str; 2] = ["volume-0", "volume-1"];
/// The writer number of versions the service makes (purges).
pub const SERVICE_WRITER: u32 = 900;

/// The addresses of one run's nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Topology {
    /// How many devices the user has.
    pub devices: u32,
}

impl Topology {
    /// Device `d`.
    pub fn device(self, d: u32) -> Addr {
        Addr(d)
    }

    /// The metadata primary.
    pub fn primary(self) -> Addr {
        Addr(self.devices)
    }

    /// Metadata replica `k` (0: synchronous, 1: asynchronous).
    pub fn replica(self, k: u32) -> Addr {
        Addr(self.devices + 1 + k)
    }

    /// Volume `k`.
    pub fn volume(self, k: u32) -> Addr {
        Addr(self.devices + 3 + k)
    }

    /// Every volume's address, in order.
    pub fn volumes(self) -> [Addr; 2] {
        [self.volume(0), self.volume(1)]
    }

    /// The device's number, if `a` is a device.
    pub fn device_of(self, a: Addr) -> Option<u32> {
        (a.0 < self.devices).then_some(a.0)
    }

    /// How many nodes in all.
    pub fn nodes(self) -> u32 {
        self.devices + 5
    }
}

/// The writer number of device `d`'s versions.
pub fn writer_of(d: u32) -> u32 {
    d + 1
}

/// The version a purge of `trashed` gets when `writer` purges it: right
/// after it (action sequence numbers are multiples of 4).
pub fn purge_version(trashed: VersionId, writer: u32) -> VersionId {
    VersionId {
        writer,
        seq: trashed.seq + 1,
    }
}
