//! lastcopy's harness as a library: bring your own sync or backup system.
//!
//! A system says what its nodes are, what its users do and where they read
//! their records ([`system::System`]); the harness runs it on the engine
//! ([`sim`], re-exported) with seeded faults, holds the promise ledger its
//! nodes acknowledge into, and judges every run ([`checker`]) from the
//! ledger and the places alone ([`checker::places`]).
//!
//! The module tree follows a run's flow, one stage each:
//! [`scenario`] (a system's scenario file, loaded and checked) ->
//! [`plan`] (the seed's faults, and swarm's draws) -> [`world`] (the run:
//! the system's nodes on the engine, faults struck, safety then heal) ->
//! the outcome ([`case`]: one seed run and judged) -> [`checker`] (the
//! verdicts, from the ledger and the places) -> [`triage`] (replay,
//! explain, shrink, regression files) and [`report`] (summaries, coverage,
//! reports); [`sweep`] runs many seeds (shards, merge, the determinism
//! check), and [`cli`] is the command line a system's binary reuses. A
//! system plugs in through [`system::System`] (or [`rig::Rig`]).
#![deny(missing_docs)]

pub use sim;

pub mod case;
pub mod checker;
pub mod cli;
#[cfg(test)]
mod fixture;
pub mod plan;
pub mod report;
pub mod rig;
pub mod scenario;
pub mod sweep;
pub mod system;
pub mod testing;
pub mod triage;
pub mod world;
