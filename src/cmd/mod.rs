//! One module per subcommand of the Sidekick's own (the others are the
//! harness's): each has its clap `Args` and an `execute` that returns the
//! exit code, or an error message for exit code 2.

pub mod durability;
pub mod merge;
pub mod report;
