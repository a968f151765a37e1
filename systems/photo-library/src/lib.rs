//! A photo library synced across a user's devices, written only against
//! lastcopy's public harness API.
//!
//! One to four users each have 2 to 4 devices (`phone`, `tablet`,
//! `laptop`, `desktop`), each a node with its own flash and failure
//! domain, each keeping its user's library as a checksummed log with the
//! photos' bytes ([`device`]). The service, shared by every user, is a
//! metadata service of three nodes and an object store of two volumes
//! ([`meta`], [`volume`]); a photo is its user's (`u1/photo-3`), so users'
//! photos never collide. A photo's bytes are a blob of 4 to 64 KiB,
//! content-addressed ([`blob`]); its metadata (album, caption, favourite,
//! trash) is a row, versioned ([`row`]).
//!
//! # The metadata service: primary, synchronous replica, asynchronous replica
//!
//! The primary (`meta-primary`, zone a) alone answers devices; the
//! synchronous replica (`meta-sync`, zone b) must have synced a row before
//! the primary says it is committed; the asynchronous one (`meta-async`,
//! zone c) follows behind. This scheme and not a quorum because it is what
//! the incidents this system reproduces ran on, because one round trip to
//! one replica keeps commits cheap, and because it makes the design's
//! claim exact: every confirmed row is on two disks in two zones, so the
//! fault atlas (storage faults in one zone per seed) and any single
//! operator restore leave one full copy to catch up from.
//!
//! # The promise
//!
//! A photo is `backed up` (the harness's `synced`) only when the primary
//! confirms its row, which the hardened design does only once the row is
//! on two metadata disks and its blob on both volumes; until then the
//! device keeps the original. A deletion sends the photo to the trash (a
//! version whose row says `trashed`: still promised, restorable); 30 days
//! later it is purged (a deletion the user is told of). Each device's
//! library and the service's view are the places a user reads; a place
//! serves a photo only with its row and its blob's matching bytes.
//!
//! Nodes: user 0's devices at `Addr(0..devices)`, then each further
//! user's, then `meta-primary`, `meta-sync`, `meta-async`, `volume-0`,
//! `volume-1` ([`topology`]). Places are per user: each of their devices'
//! libraries and the service's view of their photos (the reference).
#![deny(missing_docs)]

pub mod action;
pub mod blob;
pub mod copies;
pub mod device;
pub mod incident;
pub mod log;
pub mod meta;
pub mod msg;
pub mod row;
pub mod topology;
pub mod volume;
pub mod words;
pub mod workload;

use action::Action;
use device::{Device, DeviceSetup};
use incident::Incident;
use lastcopy_harness::scenario::{ensure, Check, KeyPath};
use lastcopy_harness::sim::host::{Addr, Boot, Io, Machine};
use lastcopy_harness::sim::lineage::CopyOf;
use lastcopy_harness::sim::place::{Place, PlaceKind, View};
use lastcopy_harness::sim::rng::Seeds;
use lastcopy_harness::sim::time::SimTime;
use lastcopy_harness::sim::trace::Event;
use lastcopy_harness::system::{NodeSpec, OwnFault, System, UserAction};
use meta::{Meta, MetaSetup, Role};
use msg::Msg;
use serde::Deserialize;
use std::time::Duration;
use topology::{Topology, META_NAMES, VOLUME_NAMES};
use volume::Volume;

/// The timer key of a device's sync.
pub const SYNC_TIMER: u64 = 1;
/// The timer key of a service node's housekeeping.
pub const TICK_TIMER: u64 = 2;
/// How long a photo stays restorable in the trash, in days.
pub const TRASH_DAYS: u64 = 30;
/// Time between a service node's housekeeping ticks (the naive design's
/// deferred syncs, the hardened primary's purges).
pub const SERVICE_TICK: Duration = Duration::from_secs(300);

lastcopy_harness::sim::event_kinds! {
    /// What this system's nodes write to the trace.
    pub enum PhotoEvent in "photo" {
        /// A device started being used. No fields.
        Joined = "device.joined",
        /// A device was replaced by a new, blank one. Fields: `generation`.
        Replaced = "device.replaced",
        /// A device's wall clock moved. Fields: `offset_ms`.
        ClockJumped = "device.clock-jumped",
        /// A device lost the network. Fields: `until` (ms).
        Offline = "device.offline",
        /// A naive device back from long offline pushes its library. Fields: `rows`.
        StalePush = "device.stale-push",
        /// The user added a photo on a device. Fields: `photo` (its
        /// record), `blob` (its blob's short name).
        Added = "library.photo-added",
        /// A device ran the old migration. Fields: `rows`.
        MigrationRan = "library.migration-ran",
        /// A device skipped the old migration. Fields: `schema`.
        MigrationSkipped = "library.migration-skipped",
        /// A naive device dropped an original after its upload. Fields: `blob`.
        OriginalDropped = "library.original-dropped",
        /// The primary refused a pushed row. Fields: `photo`, `version`, `stale`.
        Refused = "meta.refused",
        /// A metadata node was restored from a snapshot. Fields: `entries`, `age_s`.
        RestoredFromSnapshot = "meta.restored-from-snapshot",
        /// Garbage collection started on a volume. Fields: `blobs`.
        GcStarted = "store.gc-started",
        /// Garbage collection deleted blobs. Fields: `blobs`.
        GcDeleted = "store.gc-deleted",
        /// A volume deleted blobs. Fields: `blobs`.
        BlobsDropped = "store.blobs-dropped",
        /// A volume's disk was lost. Fields: `blobs`.
        VolumeLost = "store.volume-lost",
    }
}

/// The service's view of a user's photos, as a place: the reference.
pub const SERVICE_PLACE: PlaceKind = PlaceKind {
    code: 9,
    name: "service",
    reference: true,
};

/// Each device's library, as a place (`phone-0`, `tablet-1`): the index
/// is the device's node number, so user 1's phone in a run of three
/// devices each is `phone-3`.
pub const DEVICE_PLACES: [PlaceKind; 4] = [
    PlaceKind {
        code: 0,
        name: "phone",
        reference: false,
    },
    PlaceKind {
        code: 1,
        name: "tablet",
        reference: false,
    },
    PlaceKind {
        code: 2,
        name: "laptop",
        reference: false,
    },
    PlaceKind {
        code: 3,
        name: "desktop",
        reference: false,
    },
];

/// How the system keeps its promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Design {
    /// Keeps it (see the module docs of [`device`], [`meta`], [`volume`]).
    Hardened,
    /// Last writer wins by device clock, originals dropped on upload, GC
    /// without a reference recheck, trash purged by the device's clock, a
    /// long-offline device pushes its stale library back.
    Naive,
}

/// The `[system]` section of a scenario: the users and their devices
/// (every key is a field of [`Section`], read through `Deref`). A scenario
/// checks it as it loads ([`System::check`], each problem at its key's
/// line); code makes one with `PhotoLibrary::try_from`, checked the same.
#[derive(Clone, Debug, Deserialize)]
#[serde(transparent)]
pub struct PhotoLibrary(Section);

impl std::ops::Deref for PhotoLibrary {
    type Target = Section;

    fn deref(&self) -> &Section {
        &self.0
    }
}

/// `[system]` as written, checked into a [`PhotoLibrary`].
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Section {
    /// How many users share the service, 1 to 4; each draws their own
    /// workload, with every rate below.
    pub users: u32,
    /// How many devices each user has, 2 to 4.
    pub devices: u32,
    /// Photos added per day, per user (Poisson arrivals, on a random
    /// device of theirs).
    pub adds_per_day: f64,
    /// Metadata edits per day.
    pub edits_per_day: f64,
    /// Photos sent to the trash per day.
    pub trashes_per_day: f64,
    /// The share of trashed photos the user restores, 1 to 25 days later.
    pub restore_fraction: f64,
    /// Seconds between a device's syncs.
    pub sync_interval_s: u64,
    /// Days before the last device joins (0: every device from the start).
    pub join_after_days: f64,
    /// Days before the tablet is replaced by a new one (0: never).
    pub replace_after_days: f64,
    /// How long `long-offline` keeps the laptop offline, in days.
    pub offline_days: f64,
    /// About how old the snapshot `stale-snapshot-restore` restores is, in days.
    pub snapshot_age_days: f64,
    /// How far `clock-jump` moves the tablet's clock forward at most, in days.
    pub clock_jump_days: f64,
}

impl Default for Section {
    /// One user with three devices, 8 photos a day, 4 edits, 2 to the trash (half of
    /// them restored), syncing every 20 minutes; nobody joins or is
    /// replaced; incidents sized at 40 days offline, a 5-day-old snapshot,
    /// a clock 40 days off.
    fn default() -> Self {
        Section {
            users: 1,
            devices: 3,
            adds_per_day: 8.0,
            edits_per_day: 4.0,
            trashes_per_day: 2.0,
            restore_fraction: 0.5,
            sync_interval_s: 1200,
            join_after_days: 0.0,
            replace_after_days: 0.0,
            offline_days: 40.0,
            snapshot_age_days: 5.0,
            clock_jump_days: 40.0,
        }
    }
}

impl Section {
    /// Users 1 to 4; devices 2 to 4; rates and days finite, not negative, at most 1000;
    /// a restore share from 0 to 1; a sync interval from 60 s to a day:
    /// the problem at the first key that breaks its rule.
    pub fn check(&self) -> Check {
        let at = |key: &str| KeyPath::of(&[key]);
        ensure((1..=4).contains(&self.users), at("users"), || {
            format!("{} is not from 1 to 4", self.users)
        })?;
        ensure((2..=4).contains(&self.devices), at("devices"), || {
            format!("{} is not from 2 to 4", self.devices)
        })?;
        for (key, v) in [
            ("adds_per_day", self.adds_per_day),
            ("edits_per_day", self.edits_per_day),
            ("trashes_per_day", self.trashes_per_day),
            ("join_after_days", self.join_after_days),
            ("replace_after_days", self.replace_after_days),
            ("offline_days", self.offline_days),
            ("snapshot_age_days", self.snapshot_age_days),
            ("clock_jump_days", self.clock_jump_days),
        ] {
            ensure((0.0..=1000.0).contains(&v), at(key), || {
                format!("{v} is not from 0 to 1000")
            })?;
        }
        let share = self.restore_fraction;
        ensure((0.0..=1.0).contains(&share), at("restore_fraction"), || {
            format!("{share} is not from 0 to 1")
        })?;
        let every = self.sync_interval_s;
        ensure(
            (60..=86_400).contains(&every),
            at("sync_interval_s"),
            || format!("{every} is not from 60 to 86400"),
        )
    }
}

impl TryFrom<Section> for PhotoLibrary {
    type Error = String;

    /// The section if it keeps [`Section::check`]'s rules, else the first
    /// problem (`key: what is wrong`).
    fn try_from(s: Section) -> Result<Self, String> {
        s.check()
            .map_err(|p| format!("{}: {}", p.path, p.message))?;
        Ok(PhotoLibrary(s))
    }
}

impl PhotoLibrary {
    /// The run's addresses.
    pub fn topology(&self) -> Topology {
        Topology {
            users: self.users,
            devices: self.devices,
        }
    }

    fn at_day(days: f64) -> SimTime {
        SimTime((days * 86_400_000.0) as u64)
    }

    /// The setup of device `d` of user `user` under `design`.
    pub fn device_setup(&self, user: u32, d: u32, design: Design) -> DeviceSetup {
        let last = d + 1 == self.devices;
        DeviceSetup {
            user,
            index: d,
            design,
            every: Duration::from_secs(self.sync_interval_s),
            topology: self.topology(),
            join_at: if last {
                Self::at_day(self.join_after_days)
            } else {
                SimTime(0)
            },
            replace_at: (d == 1 && self.replace_after_days > 0.0)
                .then(|| Self::at_day(self.replace_after_days)),
        }
    }
}

/// A node of the system.
pub enum PhotoNode {
    /// A user's device.
    Device(Device),
    /// A metadata node.
    Meta(Meta),
    /// A volume of the object store.
    Volume(Volume),
}

impl Machine for PhotoNode {
    type Msg = Msg;
    type Input = Action;

    fn boot(&mut self, boot: Boot, io: &mut Io<'_, Msg>) {
        match self {
            PhotoNode::Device(d) => d.boot(boot, io),
            PhotoNode::Meta(m) => m.boot(io),
            PhotoNode::Volume(v) => v.boot(io),
        }
    }

    fn on_message(&mut self, from: Addr, msg: Msg, io: &mut Io<'_, Msg>) {
        match (self, msg) {
            (
                PhotoNode::Device(d),
                Msg::State {
                    accepted,
                    refused,
                    rows,
                    holders,
                    blame,
                },
            ) => d.on_state(accepted, refused, rows, holders, blame, io),
            (PhotoNode::Device(d), Msg::BlobStored { id, volume }) => {
                d.on_blob_stored(id, volume, io)
            }
            (PhotoNode::Device(d), Msg::BlobData { id, bytes, of }) => {
                d.on_blob_data(id, bytes, of, io)
            }
            (
                PhotoNode::Meta(m),
                Msg::Sync {
                    device,
                    user,
                    push,
                    blame,
                },
            ) => m.on_sync(from, (device, blame), user, push, io),
            (PhotoNode::Meta(m), Msg::Replicate { req, rows }) => {
                m.on_replicate(from, req, rows, io)
            }
            (PhotoNode::Meta(m), Msg::Replicated { req }) => m.on_replicated(from, req, io),
            (PhotoNode::Meta(m), Msg::CatchUp) => io.send(from, m.snapshot()),
            (PhotoNode::Meta(m), Msg::Snapshot { rows }) => m.on_snapshot(from, rows, io),
            (
                PhotoNode::Meta(m),
                Msg::Inventory {
                    volume,
                    blobs,
                    full,
                },
            ) => m.on_inventory(volume, blobs, full),
            (PhotoNode::Meta(m), Msg::Dropped { volume, blobs }) => m.on_dropped(volume, blobs),
            (PhotoNode::Meta(m), Msg::AskRefs) => io.send(from, m.refs()),
            (PhotoNode::Volume(v), Msg::PutBlob { id, bytes, of }) => {
                v.on_put(from, id, bytes, of, io)
            }
            (PhotoNode::Volume(v), Msg::GetBlob { id }) => v.on_get(from, id, io),
            (PhotoNode::Volume(v), Msg::Backs { rows }) => v.on_backs(rows, io),
            (PhotoNode::Volume(v), Msg::AskInventory) => v.on_ask_inventory(io),
            (PhotoNode::Volume(v), Msg::Refs { blobs }) => v.on_refs(blobs, io),
            _ => {}
        }
    }

    fn on_timer(&mut self, _key: u64, io: &mut Io<'_, Msg>) {
        match self {
            PhotoNode::Device(d) => d.tick(io),
            PhotoNode::Meta(m) => m.tick(io),
            PhotoNode::Volume(v) => v.tick(io),
        }
    }

    fn on_input(&mut self, input: Action, io: &mut Io<'_, Msg>) {
        match (self, input) {
            (PhotoNode::Device(d), a) => d.act(a, io),
            (PhotoNode::Meta(m), Action::StaleRestore { age }) => m.restore(age, io),
            (PhotoNode::Volume(v), Action::VolumeLost) => v.lose(io),
            (PhotoNode::Volume(v), Action::Gc) => v.start_gc(io),
            _ => {}
        }
    }
}

impl System for PhotoLibrary {
    type Node = PhotoNode;
    type Design = Design;

    fn designs() -> Vec<(&'static str, Design)> {
        vec![("hardened", Design::Hardened), ("naive", Design::Naive)]
    }

    fn check(&self) -> Check {
        self.0.check()
    }

    fn nodes(&self, design: &Design) -> Vec<NodeSpec<PhotoNode>> {
        let design = *design;
        let t = self.topology();
        let mut nodes = Vec::new();
        let mut node = |name: &str,
                        domain: &str,
                        make: Box<
            dyn Fn(lastcopy_harness::sim::host::DiskHandle) -> PhotoNode + Send + Sync,
        >| {
            let disk = log::blank_disk();
            let d = disk.clone();
            nodes.push(NodeSpec::new(
                name,
                domain,
                vec![(name.to_string(), disk)],
                move || make(d.clone()),
            ));
        };
        for user in 0..self.users {
            for d in 0..self.devices {
                let setup = self.device_setup(user, d, design);
                let name = t.device_name(user, d);
                node(
                    &name,
                    &name,
                    Box::new(move |disk| PhotoNode::Device(Device::new(setup, disk))),
                );
            }
        }
        let zones = ["zone-a", "zone-b", "zone-c"];
        for (k, role) in [Role::Primary, Role::SyncReplica, Role::AsyncReplica]
            .into_iter()
            .enumerate()
        {
            let setup = MetaSetup {
                role,
                design,
                topology: t,
                every: SERVICE_TICK,
            };
            node(
                META_NAMES[k],
                zones[k],
                Box::new(move |disk| PhotoNode::Meta(Meta::new(setup, disk))),
            );
        }
        for k in 0..2u8 {
            node(
                VOLUME_NAMES[usize::from(k)],
                zones[usize::from(k)],
                Box::new(move |disk| {
                    PhotoNode::Volume(Volume::new(k, design, t, SERVICE_TICK, disk))
                }),
            );
        }
        nodes
    }

    fn workload(&self, seeds: &Seeds, duration: Duration) -> Vec<UserAction<Action>> {
        workload::draw(self, seeds, duration)
    }

    fn places(&self) -> Vec<(Place, Addr)> {
        let t = self.topology();
        let mut out = Vec::new();
        for user in 0..self.users {
            for d in 0..self.devices {
                let at = t.device(user, d);
                let place = Place {
                    user,
                    kind: DEVICE_PLACES[d as usize],
                    index: at.0,
                };
                out.push((place, at));
            }
            let service = Place {
                user,
                kind: SERVICE_PLACE,
                index: 0,
            };
            out.push((service, t.primary()));
        }
        out
    }

    fn served(node: &PhotoNode, place: Place) -> Option<View> {
        match node {
            PhotoNode::Device(d) if !place.kind.reference => Some(d.view()),
            PhotoNode::Meta(m) if place.kind.reference => m.view(place.user),
            _ => None,
        }
    }

    fn own_faults() -> &'static [OwnFault] {
        incident::TABLE
    }

    fn own_fault(&self, name: &str, resolve_seed: u64) -> Option<(Addr, Action)> {
        let incident = Incident::parse(name)?;
        let (to, action) = incident.strike(self, resolve_seed);
        (to.0 < self.topology().nodes()).then_some((to, action))
    }

    fn copy_words(copy: CopyOf<'_>, trace: &[Event]) -> Option<String> {
        Some(words::copy_words(copy, trace))
    }

    fn copy_parts(store: &str) -> u8 {
        words::parts(store)
    }
}
