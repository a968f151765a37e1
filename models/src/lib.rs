//! The system under test: the 2009 Sidekick sync system, with every design
//! choice a knob.
//!
//! Handsets with a local store and a sync client ([`handset`]), a stateless
//! sync server ([`server`]), primary and backup databases on the project's
//! own log store ([`database`], [`logstore`]), and the operator who runs
//! storage upgrades ([`operator`]). Each is a state machine apart from its
//! I/O, run by the engine's hosts through [`node::Node`]. The user's
//! behaviour ([`workload`]) lives outside every simulated device; what the
//! user was told, the models say only through acknowledgements on their
//! step I/O (`sim::host::Io::told_saved`), into the harness's ledger.
#![deny(missing_docs)]

pub mod clock;
pub mod database;
pub mod design;
pub mod engine;
pub mod event;
pub mod fault;
pub mod handset;
pub mod incident;
pub mod logstore;
pub mod merge;
pub mod msg;
pub mod node;
pub mod operator;
pub mod readback;
pub mod record;
pub mod server;
pub mod stream;
pub mod workload;
