//! What a store does when it has read itself back from its disk (at boot,
//! or after a failed write): it reports the damage it found, and the copies
//! the lineage says it held but no longer has end on the media.

use crate::event::SidekickEvent;
use crate::msg::Msg;
use crate::record::{RecordId, VersionId};
use sim::fields;
use sim::host::Io;
use sim::lineage::EndCause;

/// Reports `damaged` sectors of `store` (if any) and ends every copy the
/// lineage holds on `store` for which `holds(record, version)` is false: as
/// corrupted where damage was found, else as lost (a write that never
/// persisted, found out now).
pub fn settle(
    io: &mut Io<'_, Msg>,
    store: &str,
    damaged: &[u64],
    holds: impl Fn(RecordId, VersionId) -> bool,
) {
    if !damaged.is_empty() {
        let sectors: Vec<String> = damaged.iter().map(u64::to_string).collect();
        io.trace(
            SidekickEvent::StoreDamage,
            fields!["sectors" => sectors.join(",")],
        );
    }
    let cause = if damaged.is_empty() {
        EndCause::Lost
    } else {
        EndCause::Corrupted
    };
    for (record, version) in io.lineage().on_store(store) {
        let held = match (record.parse::<RecordId>(), version.parse::<VersionId>()) {
            (Ok(r), Ok(v)) => holds(r, v),
            _ => false,
        };
        if !held {
            io.copy_ended(store, &record, &version, cause);
        }
    }
}
