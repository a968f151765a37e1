//! lastcopy's simulation engine.
//!
//! It knows nothing of phones: it offers seeds and named random streams
//! ([`rng`]), rare paths on purpose ([`buggify`]), simulated time
//! ([`time`]), fault plans ([`plan`]), a crash-faithful disk ([`disk`]), a
//! crash-faithful file layer on it ([`files`]), SQLite on those files
//! ([`sqlite`]), hosts that run state machines as madsim
//! nodes with a crash-faithful lifecycle ([`host`]), copy lineage
//! ([`lineage`]), the records users are promised, the ledger of what
//! they were told and the places they read ([`record`], [`ledger`],
//! [`place`]), node names ([`node_name`]), its own network fault layer ([`net`]), the canonical trace ([`trace`]) and the per-seed outcome
//! ([`outcome`]).
#![deny(missing_docs)]

#[doc(hidden)]
pub use serde as __serde;

pub mod buggify;
pub mod disk;
pub mod files;
pub mod host;
pub mod ledger;
pub mod lineage;
mod names;
pub mod net;
pub mod node_name;
pub mod outcome;
pub mod place;
pub mod plan;
pub mod record;
pub mod rng;
pub mod sqlite;
pub mod time;
pub mod trace;
