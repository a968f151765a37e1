//! lastcopy's harness as a library: bring your own sync or backup system.
//!
//! A system says what its nodes are, what its users do and where they read
//! their records ([`system::System`]); the harness runs it on the engine
//! ([`sim`], re-exported) with seeded faults, holds the promise ledger its
//! nodes acknowledge into, and judges every run ([`checker`]) from the
//! ledger and the places alone ([`places`]).
#![deny(missing_docs)]

pub use sim;

pub mod build_identity;
pub mod case;
pub mod checker;
pub mod cli;
mod commands;
pub mod coverage;
pub mod determinism;
pub mod duration;
pub mod explain;
pub mod faults;
#[cfg(test)]
mod fixture;
pub mod guided;
pub mod interrupt;
pub mod load;
pub mod merge;
pub mod near_miss;
pub mod output;
pub mod places;
pub mod plan_check;
pub mod progress;
pub mod race;
pub mod regression;
pub mod replay;
pub mod report;
pub mod results;
pub mod rig;
pub mod save_target;
pub mod scenario;
pub mod seed_range;
pub mod shard;
pub mod shell;
pub mod shrink;
pub mod situation;
pub mod story;
pub mod summary;
pub mod swarm;
pub mod sweep;
pub mod system;
pub mod testing;
pub mod trace_filter;
pub mod trace_format;
pub mod world;
