//! How a record's story ends: what each place served at the check and
//! how the last copy of its acknowledged version ended.

use super::lineage::{CopyEnd, FiredFault, LastCopy, RecordLineage};
use super::teller::cause_words;
use crate::places::{Place, View};
use harness::world::Output as RunOutput;
use models::event::SidekickEvent;
use sim::record::{RecordId, VersionId};
use sim::time::SimTime;
use sim::trace::EngineEvent;
use std::collections::{BTreeMap, BTreeSet};

/// `3d 04:12`: day, hour and minute.
pub fn short_time(t: SimTime) -> String {
    let s = t.as_millis() / 1000;
    format!(
        "{}d {:02}:{:02}",
        s / 86_400,
        (s / 3600) % 24,
        (s / 60) % 60
    )
}

pub(super) fn last_copy_sentence(
    output: &RunOutput,
    fired: &BTreeMap<u32, FiredFault>,
    lin: &RecordLineage,
    id: Option<RecordId>,
) -> String {
    let record = &lin.record;
    if let Some(LastCopy { acknowledged, end }) = lin.last_copy() {
        let how = cause_words(end.cause, refetched(output, end));
        let what = if *acknowledged == end.version {
            format!("the last copy of {record} {}", end.version)
        } else {
            format!(
                "the last copy of {record} {}, the only place acknowledged {acknowledged} lived on",
                end.version
            )
        };
        let whr = format!("on {} at {}", end.store, short_time(end.at));
        return match end.fault.and_then(|f| fired.get(&f)) {
            Some(f) => format!("{} {how} {what} ({whr})", f.phrase()),
            None => format!(
                "{what} ended {whr}: {}, with no planned fault to blame",
                end.cause
            ),
        };
    }
    // No copy of an acknowledged version ended: it never had one, or one is
    // still held somewhere the owner cannot read.
    let Some(r) = id else {
        return format!("no copy event explains {record}");
    };
    let latest = output.ledger.latest_promised(r);
    let made: BTreeSet<String> = output
        .trace
        .events()
        .iter()
        .filter(|e| e.kind == EngineEvent::CopyCreated && e.str("record") == Some(record))
        .filter_map(|e| e.str("version").map(str::to_string))
        .collect();
    for v in &latest {
        if made.contains(&v.to_string()) {
            continue;
        }
        let saved = output
            .ledger
            .get(r, *v)
            .and_then(|e| e.saved_at.or(e.synced_at));
        let owner = format!("handset-{}", r.owner);
        let first_fault = saved.and_then(|t| {
            fired
                .values()
                .filter(|f| f.target == owner && f.at >= t)
                .min_by_key(|f| (f.at, f.id))
        });
        return match first_fault {
            Some(f) => format!(
                "{} came before any durable copy of {record} {v} was made (acknowledged at {})",
                f.phrase(),
                saved.map(short_time).unwrap_or_default()
            ),
            None => {
                let on_owner: Vec<String> = fired
                    .values()
                    .filter(|f| f.target == owner)
                    .map(FiredFault::phrase)
                    .collect();
                let mut text = format!(
                    "{record} {v} was acknowledged at {} but no durable copy of it was ever made",
                    saved.map(short_time).unwrap_or_default()
                );
                if !on_owner.is_empty() {
                    text.push_str(&format!("; faults on {owner}: {}", on_owner.join(", ")));
                }
                text
            }
        };
    }
    format!("every acknowledged version of {record} still has a copy; see the verdict")
}

fn refetched(output: &RunOutput, end: &CopyEnd) -> bool {
    output
        .trace
        .events()
        .iter()
        .any(|e| e.kind == SidekickEvent::CacheRefetch && e.at == end.at && e.node == end.node)
}

pub(super) fn at_check(output: &RunOutput, id: Option<RecordId>) -> String {
    let Some(r) = id else {
        return "not a record id".into();
    };
    let fs = &output.final_state;
    let latest = output.ledger.latest_promised(r);
    let place = |place: Place, view: Option<&View>| {
        let name = if place.kind.reference {
            format!("the {}", place.kind())
        } else {
            place.to_string()
        };
        match view {
            None => format!("{name} is not serving"),
            Some(m) => match m.get(&r) {
                None => format!("{name} serves no version of it"),
                Some(row) => format!(
                    "{name} serves {}{}{}",
                    row.version,
                    if row.deleted { " (a tombstone)" } else { "" },
                    stale(output, r, row.version, &latest)
                ),
            },
        }
    };
    let each: Vec<String> = fs
        .places_of(r.owner)
        .into_iter()
        .map(|(p, v)| place(p, v))
        .collect();
    each.join("; ")
}

fn stale(output: &RunOutput, r: RecordId, served: VersionId, latest: &[VersionId]) -> String {
    let missing: Vec<String> = latest
        .iter()
        .filter(|l| !output.ledger.descends(r, served, **l))
        .map(|l| l.to_string())
        .collect();
    if missing.is_empty() {
        String::new()
    } else {
        format!(" (stale: {} was acknowledged)", missing.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_time_is_day_hour_minute() {
        let t = SimTime::from_millis(((3 * 24 + 4) * 3600 + 12 * 60 + 5) * 1000);
        assert_eq!(short_time(t), "3d 04:12");
    }
}
