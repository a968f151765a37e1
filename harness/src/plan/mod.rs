//! Plans: the faults a seed runs with, drawn from a scenario's rates on the
//! system's nodes, disks and links ([`faults`], the generic fault table and
//! the atlas), a plan file checked against the system before it runs
//! ([`plan_check`]), and the configuration a swarm seed draws for itself
//! ([`swarm`]), leaned toward what earlier seeds never reached
//! ([`guided`]).

pub mod faults;
pub mod guided;
pub mod plan_check;
pub mod swarm;
