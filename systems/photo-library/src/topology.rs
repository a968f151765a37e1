//! Where every node is: every user's devices first (user 0's, then user
//! 1's, ...), then the metadata primary, its synchronous and asynchronous
//! replicas, then the volumes: the service is shared by all users.
//!
//! Every node's disk is named after it, and so is its store in the copy
//! lineage: `phone`, `meta-primary`, `volume-1`; a device of user 1 or
//! later carries its user (`u1-phone`).

use lastcopy_harness::sim::host::Addr;
use lastcopy_harness::sim::record::VersionId;

/// The devices' names, in order: each user has the first 2 to 4.
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
    /// How many users share the service.
    pub users: u32,
    /// How many devices each user has.
    pub devices: u32,
}

impl Topology {
    /// Device `d` of user `user`.
    pub fn device(self, user: u32, d: u32) -> Addr {
        Addr(user * self.devices + d)
    }

    /// The name of device `d` of user `user`: `phone` for user 0,
    /// `u1-phone` for user 1.
    pub fn device_name(self, user: u32, d: u32) -> String {
        let name = DEVICE_NAMES[d as usize];
        if user == 0 {
            name.to_string()
        } else {
            format!("u{user}-{name}")
        }
    }

    /// How many devices in all.
    fn all_devices(self) -> u32 {
        self.users * self.devices
    }

    /// The metadata primary.
    pub fn primary(self) -> Addr {
        Addr(self.all_devices())
    }

    /// Metadata replica `k` (0: synchronous, 1: asynchronous).
    pub fn replica(self, k: u32) -> Addr {
        Addr(self.all_devices() + 1 + k)
    }

    /// Volume `k`.
    pub fn volume(self, k: u32) -> Addr {
        Addr(self.all_devices() + 3 + k)
    }

    /// Every volume's address, in order.
    pub fn volumes(self) -> [Addr; 2] {
        [self.volume(0), self.volume(1)]
    }

    /// How many nodes in all.
    pub fn nodes(self) -> u32 {
        self.all_devices() + 5
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
