//! The names of the system's nodes, stores and failure domains.
//!
//! Names are the stable abstract targets a plan refers to, and the names
//! the trace uses; they never depend on the seed.

use models::design::Design;

/// The sync server.
pub const SERVER: &str = "sync-server";
/// The primary database node.
pub const DB_PRIMARY: &str = "db-primary";
/// The backup database node.
pub const DB_BACKUP: &str = "db-backup";
/// The operator.
pub const OPERATOR: &str = "operator";
/// The array holding the primary's volume (and, in the 2009 design, the backup's).
pub const ARRAY_A: &str = "array-a";
/// The independent array of a hardened design's backup.
pub const ARRAY_B: &str = "array-b";
/// The operator's snapshot store (its own failure domain).
pub const SNAPSHOTS: &str = "snapshots/operator";

/// The name of handset `i`.
pub fn handset(i: u32) -> String {
    format!("handset-{i}")
}

/// The flash store of handset `i`.
pub fn flash(i: u32) -> String {
    format!("handset-{i}/flash")
}

/// The name of user `u`'s web portal session (a second writer).
pub fn portal(u: u32) -> String {
    format!("portal-{u}")
}

/// The store of user `u`'s web portal session.
pub fn portal_store(u: u32) -> String {
    format!("portal-{u}/store")
}

/// The primary's volume.
pub fn primary_volume() -> String {
    format!("{ARRAY_A}/primary")
}

/// The array the backup lives on under `design`.
pub fn backup_array(design: &Design) -> &'static str {
    if design.backup_independent {
        ARRAY_B
    } else {
        ARRAY_A
    }
}

/// The backup's volume under `design`.
pub fn backup_volume(design: &Design) -> String {
    format!("{}/backup", backup_array(design))
}
