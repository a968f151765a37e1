//! Swarm through the public trait on the fleet toy system
//! (`tests/fleet`): a planted bug per swarm dimension ([`dimensions`]) and
//! guided swarm's generations ([`guided`]), in one test binary.

#[path = "../fleet/mod.rs"]
mod fleet;

mod dimensions;
mod guided;
