//! What the copy lineage hears of a node's stores: a node says which
//! version of each photo its store durably holds, and this module tells
//! the lineage which copies that created and ended, and why.

use lastcopy_harness::sim::host::Io;
use lastcopy_harness::sim::lineage::{CopyOf, EndCause};
use lastcopy_harness::sim::record::{RecordId, VersionId};
use lastcopy_harness::sim::time::SimTime;
use std::collections::BTreeMap;

use crate::log::{Entry, Log};
use crate::row::PHOTO;

/// The durable copies one store holds: per photo, the version it can serve.
pub type Held = BTreeMap<RecordId, VersionId>;

/// The copies the lineage believes `store` holds.
pub fn believed<M>(io: &Io<'_, M>, store: &str) -> Held {
    io.lineage()
        .on_store(store)
        .into_iter()
        .filter_map(|(r, v)| Some((RecordId::parse(&r, &[PHOTO]).ok()?, v.parse().ok()?)))
        .collect()
}

/// Tells the lineage that `store` now durably holds `now` and no longer
/// what it held before (`before`, updated to `now`). A copy replaced by a
/// newer version of its photo is superseded, by an older or equal one
/// overwritten; a copy with no successor ended for `gone`. Ends other than
/// supersession are blamed on `fault` of their photo, or (`None`) on
/// whatever last struck this node.
pub fn settle<M>(
    io: &Io<'_, M>,
    store: &str,
    before: &mut Held,
    now: Held,
    gone: EndCause,
    fault: impl Fn(&RecordId) -> Option<u32>,
) {
    for (r, old) in before.iter() {
        let cause = match now.get(r) {
            Some(new) if new == old => continue,
            Some(new) if new > old => EndCause::Superseded,
            Some(_) => EndCause::Overwritten,
            None => gone,
        };
        let (record, version) = (r.to_string(), old.to_string());
        let copy = CopyOf {
            store,
            record: &record,
            version: &version,
        };
        let blame = if cause == EndCause::Superseded {
            None
        } else {
            fault(r)
        };
        io.lineage().ended(io.now(), io.node(), copy, cause, blame);
    }
    for (r, new) in &now {
        if before.get(r) != Some(new) {
            io.copy_created(store, &r.to_string(), &new.to_string());
        }
    }
    *before = now;
}

/// A node whose stores are one [`Log`]: what [`flush`] needs of it.
pub trait Logged {
    /// Its store's name in the copy lineage (its node's name).
    fn store(&self) -> String;
    /// Its log.
    fn log(&mut self) -> &mut Log;
    /// Rebuilds its state from `entries` as read back at `now`.
    fn reload(&mut self, entries: Vec<Entry>, now: SimTime);
    /// What its store durably holds now.
    fn holding(&self) -> Held;
    /// What the lineage was last told it holds.
    fn held(&mut self) -> &mut Held;
}

/// Syncs `node`'s log and tells the lineage what changed ([`settle`]):
/// ends other than supersession for `gone`, blamed per photo by `fault`.
/// A failed sync drops what was not synced, so the log is read back and
/// what it lost ended as `lost`. Nothing to do when nothing was written
/// since the last sync. Whether the sync held.
pub fn flush<N: Logged, M>(
    node: &mut N,
    io: &Io<'_, M>,
    gone: EndCause,
    fault: impl Fn(&N, &RecordId) -> Option<u32>,
) -> bool {
    if !node.log().dirty() {
        return true;
    }
    let reread = node.log().sync_or_reread();
    let ok = reread.is_none();
    if let Some(entries) = reread {
        node.reload(entries, io.now());
    }
    let gone = if ok { gone } else { EndCause::Lost };
    let now = node.holding();
    let mut before = std::mem::take(node.held());
    let store = node.store();
    settle(io, &store, &mut before, now, gone, |r| fault(node, r));
    *node.held() = before;
    ok
}
