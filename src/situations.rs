//! The situations that matter: moments a design's rare code paths depend
//! on, which a sweep should reach and coverage counts ([`Situation`]).
//!
//! They are recognized from what the run shows, never from a model's
//! internals: the messages each step sends (seen by a step watch, as
//! [`crate::trigger`] sees them), the ghost ledger, and the engine's own
//! trace kinds (crashes). Watching changes nothing in the run: a run with
//! the watcher has the trace it has without.
//!
//! - [`Situation::EditDuringPush`]: a writer made a version of a record
//!   while its push of another version of that record was in flight (the
//!   request sent, its answer not yet sent, the writer not crashed, the
//!   exchange not timed out).
//! - [`Situation::ThreeConcurrentVersions`]: a record has three versions
//!   none of which descends from another (three leaves of its version tree
//!   in the ledger).
//! - [`Situation::EqualStamps`]: two versions of one record carry the same
//!   stamp (the tie last-writer-wins breaks by version), as seen on the wire.
//! - [`Situation::RestoreDuringSync`]: the operator sent a restore (of the
//!   primary, or of one account) while some writer's sync exchange was in
//!   flight.

use crate::system;
use models::msg::Msg;
use models::node::Node;
use models::record::{RecordId, Row, VersionId};
use sim::host::{Addr, Cluster, StepSeen};
use sim::ledger::Ledger;
use sim::time::SimTime;
use sim::trace::{EngineEvent, Trace};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

sim::named! {
    /// A situation a sweep should reach.
    pub enum Situation {
        /// An edit of a record while the push of another of its versions is in flight.
        EditDuringPush = "edit-during-push",
        /// Three versions of one record, none descending from another.
        ThreeConcurrentVersions = "three-concurrent-versions",
        /// Two versions of one record with equal stamps.
        EqualStamps = "equal-stamps",
        /// A restore by the operator while a sync exchange is in flight.
        RestoreDuringSync = "restore-during-sync",
    }
}

/// Every buggify site of the models, in name order: what coverage lists as
/// never reached when no seed's site fired.
pub const BUGGIFY_SITES: [&str; 5] = [
    models::database::SITE_SPLIT_REPLY,
    models::handset::SITE_REORDER_PUSH,
    models::handset::SITE_RETRY_EARLY,
    models::handset::SITE_TIMEOUT_AT_EDGE,
    models::server::SITE_DELAY_REPLY,
];

/// One sync exchange of a writer, from its request to its answer.
#[derive(Clone, Debug)]
struct Exchange {
    /// The writer's node.
    node: String,
    /// The writer's request number.
    req: u64,
    /// When the request was sent.
    from: SimTime,
    /// When the writer gives it up if no answer came (its exchange
    /// timeout after `from`).
    gives_up: SimTime,
    /// When the answer was sent (None: never, within what was watched).
    to: Option<SimTime>,
    /// The versions the request pushed.
    pushed: Vec<(RecordId, VersionId)>,
}

impl Exchange {
    /// Whether the exchange was still in flight at `at`, at the latest.
    fn open_at(&self, at: SimTime) -> bool {
        let end = self.gives_up;
        at >= self.from && at <= self.to.unwrap_or(end).min(end)
    }
}

#[derive(Default)]
struct Seen {
    /// Each writer's latest exchange, by its address.
    open: BTreeMap<Addr, Exchange>,
    /// Exchanges a later one replaced, in the order they began.
    done: Vec<(Addr, Exchange)>,
    /// Per record, the version seen on the wire with each stamp.
    stamps: BTreeMap<RecordId, BTreeMap<u64, VersionId>>,
    /// Records two versions of which carried the same stamp.
    equal: BTreeSet<RecordId>,
    /// Restores sent while an exchange was in flight.
    restores_during_sync: u64,
}

/// Watches one run's steps for the situations seen on the wire; what it
/// saw is counted at the end of the run against the ledger and the trace
/// ([`Watcher::count`]).
#[derive(Clone)]
pub struct Watcher {
    cluster: Cluster<Node>,
    exchange_timeout: Duration,
    seen: Arc<Mutex<Seen>>,
}

impl Watcher {
    /// A watcher of `cluster`'s steps (nothing seen yet), whose writers
    /// give an exchange up `exchange_timeout` after its request (the
    /// scenario's `workload.exchange_timeout`): an exchange is in flight
    /// until its answer or then, whichever comes first.
    pub fn new(cluster: Cluster<Node>, exchange_timeout: Duration) -> Self {
        Watcher {
            cluster,
            exchange_timeout,
            seen: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().expect("situation watcher lock")
    }

    /// Notes what step `seen` sent, if its node is still up (a step the
    /// triggers crashed sends nothing).
    pub fn on_step(&self, seen: &StepSeen<'_, Msg>) {
        let relevant = |m: &Msg| {
            matches!(
                m,
                Msg::Sync { .. }
                    | Msg::SyncReply { .. }
                    | Msg::Restore { .. }
                    | Msg::RestoreAccount { .. }
            )
        };
        // Most steps send nothing this looks at: they cost no lock.
        if !seen.sends.iter().any(|(_, m)| relevant(m)) || !self.cluster.is_up(seen.addr) {
            return;
        }
        let now = self.cluster.clock().now();
        let mut st = self.lock();
        for (to, m) in seen.sends {
            match m {
                Msg::Sync { req, push, .. } => {
                    let ex = Exchange {
                        node: seen.node.to_string(),
                        req: *req,
                        from: now,
                        gives_up: now.after(self.exchange_timeout),
                        to: None,
                        pushed: push.iter().map(|r| (r.record, r.version)).collect(),
                    };
                    if let Some(old) = st.open.insert(seen.addr, ex) {
                        st.done.push((seen.addr, old));
                    }
                }
                Msg::SyncReply { req, .. } => {
                    if let Some(ex) = st.open.get_mut(to).filter(|ex| ex.req == *req) {
                        ex.to.get_or_insert(now);
                    }
                }
                Msg::Restore { .. } | Msg::RestoreAccount { .. } => {
                    let in_flight = st
                        .open
                        .iter()
                        .any(|(a, ex)| ex.open_at(now) && self.cluster.is_up(*a));
                    st.restores_during_sync += u64::from(in_flight);
                }
                _ => {}
            }
            // Every version a writer makes reaches the wire first in its
            // own push; replies, restores and the server's pushes to the
            // databases only carry versions again, so their stamps are
            // not looked at (they would cost every step that sends rows).
            if let Msg::Sync { push, .. } = m {
                st.stamps_of(push);
            }
        }
    }

    /// How often each situation happened in the run, judged at its end
    /// against the `ledger` and the `trace` (situations that never
    /// happened are left out).
    pub fn count(&self, ledger: &Ledger, trace: &Trace) -> BTreeMap<Situation, u64> {
        let st = self.lock();
        let mut out = BTreeMap::new();
        let crashes: Vec<(&str, SimTime)> = trace
            .events()
            .iter()
            .filter(|e| e.kind == EngineEvent::NodeCrash)
            .map(|e| (e.node.as_str(), e.at))
            .collect();
        let exchanges: Vec<(Addr, &Exchange)> = st
            .done
            .iter()
            .map(|(a, ex)| (*a, ex))
            .chain(st.open.iter().map(|(a, ex)| (*a, ex)))
            .collect();
        let edits = edits_during_push(ledger, &exchanges, &crashes);
        let counts = [
            (Situation::EditDuringPush, edits),
            (
                Situation::ThreeConcurrentVersions,
                harness::checker::situation::three_concurrent(ledger),
            ),
            (Situation::EqualStamps, st.equal.len() as u64),
            (Situation::RestoreDuringSync, st.restores_during_sync),
        ];
        for (s, n) in counts.into_iter().filter(|(_, n)| *n > 0) {
            out.insert(s, n);
        }
        out
    }
}

impl Seen {
    /// Notes the stamps of `rows` (and of the conflict copies they carry).
    fn stamps_of(&mut self, rows: &[Row]) {
        for row in rows {
            let by_stamp = self.stamps.entry(row.record).or_default();
            let v = *by_stamp.entry(row.stamp).or_insert(row.version);
            if v != row.version {
                self.equal.insert(row.record);
            }
            self.stamps_of(&row.conflicts);
        }
    }
}

/// The versions in `ledger` written by a writer while one of its
/// `exchanges` pushing another version of the same record was in flight
/// (ended early by a crash of the writer's node, one of `crashes`).
fn edits_during_push(
    ledger: &Ledger,
    exchanges: &[(Addr, &Exchange)],
    crashes: &[(&str, SimTime)],
) -> u64 {
    let mut by_writer: BTreeMap<Addr, Vec<(&Exchange, Option<SimTime>)>> = BTreeMap::new();
    for (addr, ex) in exchanges {
        if ex.pushed.is_empty() {
            continue;
        }
        let crash = crashes
            .iter()
            .filter(|(node, at)| *node == ex.node && *at >= ex.from)
            .map(|(_, at)| *at)
            .min();
        by_writer.entry(*addr).or_default().push((ex, crash));
    }
    ledger
        .entries()
        .filter(|((record, version), entry)| {
            let writer = system::handset_addr(version.writer);
            by_writer.get(&writer).is_some_and(|xs| {
                xs.iter().any(|(ex, crash)| {
                    ex.open_at(entry.written_at)
                        && crash.is_none_or(|c| entry.written_at < c)
                        && ex.pushed.iter().any(|(r, v)| {
                            sim::record::RecordId::from(*r) == *record && v != version
                        })
                })
            })
        })
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for &s in Situation::ALL {
            assert_eq!(Situation::parse(s.name()), Some(s));
            assert_eq!(s.to_string(), s.name());
        }
        assert_eq!(Situation::parse("nope"), None);
    }
}
