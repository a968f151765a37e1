//! The sync server's state machine, driven step by step without madsim: it
//! relays each handset's sync to the primary and the answer back to the
//! right handset, and forgets what the primary never answered.

extern crate lastcopy_models as models;

mod common;

use common::*;
use models::design::Design;
use models::incident::Incident;
use models::msg::{Msg, SyncResult};
use models::record::Row;
use models::server::Server;
use sim::host::{Addr, Io, Outputs};
use std::time::Duration;

const TIMER_SWEEP: u64 = 1;
const TTL: Duration = Duration::from_secs(60);

struct Relay {
    env: Env,
    s: Server,
}

impl Relay {
    fn new() -> (Self, Outputs<Msg>) {
        Self::with_design(Design::hardened())
    }

    fn with_design(design: Design) -> (Self, Outputs<Msg>) {
        let mut r = Relay {
            env: Env::new(),
            s: Server::new(PRIMARY, design),
        };
        let out = r.step(|s, io| s.boot(io));
        (r, out)
    }

    fn step(&mut self, f: impl FnOnce(&mut Server, &mut Io<'_, Msg>)) -> Outputs<Msg> {
        let s = &mut self.s;
        self.env.step("sync-server", SERVER, |io| f(s, io)).1
    }

    fn deliver(&mut self, from: Addr, msg: Msg) -> Outputs<Msg> {
        self.step(|s, io| s.on_message(from, msg, io))
    }

    /// A handset's sync; returns the request number the server used with the primary.
    fn sync_from(&mut self, handset: Addr, req: u64, user: u32) -> u64 {
        let push = vec![row(rec(user, 1), 1)];
        let msg = Msg::Sync {
            req,
            user,
            epoch: 3,
            cursor: 8,
            full: true,
            digest: Some(42),
            push: push.clone(),
        };
        match only_send(&self.deliver(handset, msg)) {
            (
                to,
                Msg::DbSync {
                    req: id,
                    user: u,
                    epoch: 3,
                    cursor: 8,
                    full: true,
                    digest: Some(42),
                    push: p,
                },
            ) if to == PRIMARY && u == user && p == push => id,
            other => panic!("expected the sync relayed unchanged to the primary, got {other:?}"),
        }
    }

    /// A rolling upgrade (planned fault `fault`) leaves the server on a
    /// newer protocol than the handsets for `d`, starting now.
    fn version_skew(&mut self, fault: u32, d: Duration) {
        let incident = Incident::VersionSkew {
            for_ms: d.as_millis() as u64,
        };
        self.step(|s, io| s.on_incident(fault, incident, io));
    }

    /// A handset's sync pushing `push`; returns the request number the
    /// server used with the primary and the rows it passed on.
    fn push_from(&mut self, handset: Addr, req: u64, user: u32, push: Vec<Row>) -> (u64, Vec<Row>) {
        let msg = Msg::Sync {
            req,
            user,
            epoch: 3,
            cursor: 8,
            full: false,
            digest: None,
            push,
        };
        match only_send(&self.deliver(handset, msg)) {
            (
                to,
                Msg::DbSync {
                    req: id, push: p, ..
                },
            ) if to == PRIMARY => (id, p),
            other => panic!("expected the sync relayed to the primary, got {other:?}"),
        }
    }

    fn answer(&mut self, id: u64, result: SyncResult) -> Outputs<Msg> {
        self.deliver(PRIMARY, Msg::DbSyncReply { req: id, result })
    }
}

#[test]
fn relays_a_handsets_sync_to_the_primary_and_the_reply_back_with_its_request_number() {
    let (mut r, _) = Relay::new();
    let (h4, h5) = (Addr(4), Addr(5));
    let id4 = r.sync_from(h4, 7, 0);
    let id5 = r.sync_from(h5, 7, 1); // same handset request number, other handset
    assert_ne!(id4, id5);
    assert_eq!(r.s.at_stake(), 2);
    let result = ok(3, 9, vec![(rec(1, 1), ver(1, 1))], vec![], false);
    let out = r.answer(id5, result.clone());
    assert_eq!(only_send(&out), (h5, Msg::SyncReply { req: 7, result }));
    let out = r.answer(id4, SyncResult::Unavailable);
    assert_eq!(
        only_send(&out),
        (
            h4,
            Msg::SyncReply {
                req: 7,
                result: SyncResult::Unavailable
            }
        )
    );
    assert_eq!(r.s.at_stake(), 0);
}

#[test]
fn a_reply_is_relayed_once() {
    let (mut r, _) = Relay::new();
    let id = r.sync_from(Addr(4), 1, 0);
    r.answer(id, SyncResult::Unavailable);
    assert!(r.answer(id, SyncResult::Unavailable).sends.is_empty());
    assert!(r.answer(id + 100, SyncResult::Unavailable).sends.is_empty());
}

#[test]
fn forgets_requests_the_primary_never_answered_at_its_sweep() {
    let (mut r, out) = Relay::new();
    assert!(sets_timer(&out, TIMER_SWEEP, r.env.now.after(TTL)));
    let old = r.sync_from(Addr(4), 1, 0);
    r.env.advance(TTL / 2);
    let young = r.sync_from(Addr(5), 1, 1);
    r.env.advance(TTL / 2);
    let out = r.step(|s, io| s.on_timer(TIMER_SWEEP, io));
    assert!(
        sets_timer(&out, TIMER_SWEEP, r.env.now.after(TTL)),
        "the sweep re-arms"
    );
    assert_eq!(
        r.s.at_stake(),
        1,
        "only the request older than the TTL is forgotten"
    );
    assert!(r.answer(old, SyncResult::Unavailable).sends.is_empty());
    assert_eq!(
        only_send(&r.answer(young, SyncResult::Unavailable)).0,
        Addr(5)
    );
}

/// Without protocol negotiation, while a rolling upgrade leaves the server
/// on a newer protocol it cannot read the rows old handsets push: they never
/// reach the primary, yet the handset is told they are committed (the 2009
/// defect). Once the skew is over, pushes reach the primary again and only
/// what the primary committed is acknowledged.
#[test]
fn without_negotiation_a_version_skew_loses_pushed_rows_yet_acknowledges_them_until_it_ends() {
    let design = Design {
        protocol_negotiation: false,
        ..Design::hardened()
    };
    let (mut r, _) = Relay::with_design(design);
    let skew = Duration::from_secs(10);
    r.version_skew(7, skew);
    r.env.advance(skew / 2);
    let lost = row(rec(0, 1), 2);
    let (db_req, relayed) = r.push_from(HANDSET_0, 1, 0, vec![lost.clone()]);
    assert!(
        relayed.is_empty(),
        "during the skew the pushed row never reaches the primary, got {relayed:?}"
    );
    let out = r.answer(db_req, ok(3, 9, vec![], vec![], false));
    assert_eq!(
        only_send(&out),
        (
            HANDSET_0,
            Msg::SyncReply {
                req: 1,
                result: ok(3, 9, vec![id(&lost)], vec![], false)
            }
        ),
        "the handset is told the row it pushed is committed"
    );

    r.env.advance(skew / 2);
    let kept = row(rec(0, 2), 1);
    let (db_req, relayed) = r.push_from(HANDSET_0, 2, 0, vec![kept.clone()]);
    assert_eq!(
        relayed,
        vec![kept],
        "after the skew pushes reach the primary"
    );
    let out = r.answer(db_req, ok(3, 10, vec![], vec![], false));
    assert_eq!(
        only_send(&out),
        (
            HANDSET_0,
            Msg::SyncReply {
                req: 2,
                result: ok(3, 10, vec![], vec![], false)
            }
        ),
        "after the skew only what the primary committed is acknowledged"
    );
}

/// With protocol negotiation the server speaks each handset's version
/// through a rolling upgrade: every pushed row reaches the primary and the
/// handset is told committed only what the primary committed.
#[test]
fn with_negotiation_a_version_skew_changes_nothing_a_handset_pushes() {
    let design = Design {
        protocol_negotiation: true,
        ..Design::hardened()
    };
    let (mut r, _) = Relay::with_design(design);
    r.version_skew(7, Duration::from_secs(10));
    r.env.advance(Duration::from_secs(5));
    let pushed = row(rec(0, 1), 2);
    let (db_req, relayed) = r.push_from(HANDSET_0, 1, 0, vec![pushed.clone()]);
    assert_eq!(relayed, vec![pushed], "the pushed row reaches the primary");
    let out = r.answer(db_req, ok(3, 9, vec![], vec![], false));
    assert_eq!(
        only_send(&out),
        (
            HANDSET_0,
            Msg::SyncReply {
                req: 1,
                result: ok(3, 9, vec![], vec![], false)
            }
        ),
        "nothing the primary did not commit is acknowledged"
    );
}
