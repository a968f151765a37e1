//! One module per subcommand: each has its clap `Args` and an `execute`
//! that returns the exit code, or an error message for exit code 2.

pub mod case;
pub mod durability;
pub mod merge;
pub mod report;
pub mod run;
