//! `run --swarm` on the key-value system: its draws ([`draws`]) and
//! guided swarm through the CLI ([`guided`]), in one test binary.

mod draws;
mod guided;
