//! lastcopy: a deterministic fault-injection simulation harness that checks
//! one promise: no record that a user was told is saved is ever lost for good.
//!
//! Data flows one way: a scenario file ([`scenario`]) becomes a fault plan
//! ([`planner`]); the world runs it on the engine ([`world`]); the checker
//! judges the outcome ([`checker`]); the runner sweeps seeds ([`runner`]).
#![deny(missing_docs)]

pub mod baseline;
pub mod budget;
pub mod build_identity;
pub use harness::checker;
pub use harness::scenario::duration;
pub use harness::sweep::determinism;
pub mod explain;
pub mod fault_model;
pub mod guided;
pub mod inject;
pub use harness::checker::places;
pub use harness::cli::output;
pub mod plan_check;
pub mod plan_file;
pub mod planner;
pub mod race;
pub mod regression;
pub mod report;
pub mod rig;
pub mod runner;
pub mod scenario;
pub use harness::sweep::seed_range;
pub mod shard;
pub mod shell;
pub mod shrink;
pub mod situations;
pub mod survivable;
pub mod swarm;
pub mod system;
pub mod topology;
pub mod trace_filter;
pub mod trigger;
pub mod workload_table;
pub mod world;
