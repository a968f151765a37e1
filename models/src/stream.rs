//! The Sidekick's random streams: one per consumer of randomness (the
//! server-side plan, each handset's faults, workload, deletes and bursts,
//! each user's portal, swarm's draw), each a fixed ChaCha stream of the
//! seed ([`sim::rng::Seeds::stream`]), so that adding or dropping one
//! handset leaves every other handset's draws alone.

use sim::rng::StreamName;

/// A named consumer of the Sidekick's randomness. Each name maps to its own ChaCha stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stream {
    /// Materializing the fault plan's server-side faults from the scenario's rates.
    Plan,
    /// Materializing the faults that target one handset, by handset index,
    /// so that dropping a handset leaves every other handset's faults alone.
    PlanFor(u32),
    /// Materializing storage faults on one handset's flash, by handset index.
    StorageFor(u32),
    /// Materializing storage faults on one database volume (0 primary, 1 backup).
    StorageDb(u32),
    /// Materializing network faults on the server-database links.
    NetServer,
    /// Materializing network faults on one handset's link, and its offline
    /// periods, by handset index.
    NetFor(u32),
    /// The workload (user behaviour) of one handset, by handset index.
    Workload(u32),
    /// Drawing a swarm configuration (fault mix, rates, topology) from the seed.
    Swarm,
    /// Materializing the battery pulls that strike one handset at a step of
    /// a sync exchange, by handset index.
    MidSyncFor(u32),
    /// Which of one handset's planned edits delete their record, by handset
    /// index (drawn apart from the workload stream, so schedules without
    /// deletes are unchanged).
    Deletes(u32),
    /// The edits of one user's web portal, by user index.
    Portal(u32),
    /// Materializing clock faults (skews, resets) on one handset, by index.
    ClockFor(u32),
    /// Materializing the edit races armed on one handset, by handset index.
    EditRaceFor(u32),
    /// The edit times of one handset whose workload is bursty, by handset
    /// index (a Poisson workload draws its times from [`Stream::Workload`]
    /// and never this one).
    Bursts(u32),
}

impl StreamName for Stream {
    /// The ChaCha stream number of this name: fixed forever, so that recorded
    /// seeds keep meaning the same draws.
    fn number(self) -> u64 {
        match self {
            Stream::Plan => 1,
            Stream::Swarm => 2,
            Stream::Workload(i) => (1 << 32) | u64::from(i),
            Stream::PlanFor(i) => (2 << 32) | u64::from(i),
            Stream::StorageFor(i) => (3 << 32) | u64::from(i),
            Stream::StorageDb(i) => (4 << 32) | u64::from(i),
            Stream::MidSyncFor(i) => (8 << 32) | u64::from(i),
            Stream::NetServer => 0x6e65_7400,
            Stream::NetFor(i) => (0x6e << 32) | u64::from(i),
            Stream::Deletes(i) => (5 << 32) | u64::from(i),
            Stream::Portal(i) => (6 << 32) | u64::from(i),
            Stream::ClockFor(i) => (7 << 32) | u64::from(i),
            Stream::EditRaceFor(i) => (9 << 32) | u64::from(i),
            Stream::Bursts(i) => (10 << 32) | u64::from(i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded seeds mean the same draws forever: the numbers never change.
    #[test]
    fn stream_numbers_are_fixed_and_distinct() {
        assert_eq!(Stream::Plan.number(), 1);
        assert_eq!(Stream::Swarm.number(), 2);
        assert_eq!(Stream::Workload(3).number(), (1 << 32) | 3);
        assert_eq!(Stream::NetServer.number(), 0x6e65_7400);
        assert_eq!(Stream::NetFor(2).number(), (0x6e << 32) | 2);
        assert_eq!(Stream::Bursts(1).number(), (10 << 32) | 1);
        let all = [
            Stream::Plan,
            Stream::Swarm,
            Stream::NetServer,
            Stream::Workload(0),
            Stream::PlanFor(0),
            Stream::StorageFor(0),
            Stream::StorageDb(0),
            Stream::MidSyncFor(0),
            Stream::NetFor(0),
            Stream::Deletes(0),
            Stream::Portal(0),
            Stream::ClockFor(0),
            Stream::EditRaceFor(0),
            Stream::Bursts(0),
        ];
        let numbers: std::collections::BTreeSet<u64> = all.iter().map(|s| s.number()).collect();
        assert_eq!(numbers.len(), all.len());
    }
}
