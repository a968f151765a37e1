//! The sync server: a stateless relay between handsets and the primary
//! database. It holds nothing durable; a crash loses only the exchanges in
//! flight, which handsets retry.
//!
//! During a rolling upgrade (a `version-skew` incident) the server speaks a
//! newer protocol than the handsets: without protocol negotiation it cannot
//! parse the rows old handsets push, drops them, and still acknowledges
//! them as committed.

use crate::design::Design;
use crate::event::SidekickEvent;
use crate::incident::Incident;
use crate::msg::{Msg, SyncResult};
use crate::record::{RecordId, VersionId};
use sim::fields;
use sim::host::{Addr, Io};
use sim::time::SimTime;
use std::collections::BTreeMap;
use std::time::Duration;

const TIMER_SWEEP: u64 = 1;
const TIMER_RELEASE: u64 = 2;
const PENDING_TTL: Duration = Duration::from_secs(60);

/// Buggify site: the server holds a database reply for [`REPLY_DELAY`]
/// before relaying it (a slow relay: legal, the handset may have given up).
pub const SITE_DELAY_REPLY: &str = "server.delay-reply";
/// How long a delayed reply is held: half the handset's exchange timeout.
pub const REPLY_DELAY: Duration = Duration::from_secs(30);

/// The sync server's state machine.
pub struct Server {
    primary: Addr,
    design: Design,
    pending: BTreeMap<u64, Pending>,
    next_req: u64,
    /// Until when the server speaks a newer protocol than the handsets,
    /// and the fault that made it so.
    skew: Option<(SimTime, u32)>,
    /// Replies held back by [`SITE_DELAY_REPLY`], in release order.
    held: Vec<(SimTime, Addr, Msg)>,
}

/// An exchange in flight: the handset, its request, when it began, and
/// the pushed versions the server dropped but will acknowledge.
type Pending = (Addr, u64, SimTime, Vec<(RecordId, VersionId)>);

impl Server {
    /// A server of `design` that relays to `primary`.
    pub fn new(primary: Addr, design: Design) -> Self {
        Server {
            primary,
            design,
            pending: BTreeMap::new(),
            next_req: 1,
            skew: None,
            held: Vec::new(),
        }
    }

    /// An incident: a rolling upgrade leaves the server on a newer protocol
    /// for a while.
    pub fn on_incident(&mut self, fault: u32, incident: Incident, io: &mut Io<'_, Msg>) {
        if let Incident::VersionSkew { for_ms } = incident {
            let until = io.now().after(Duration::from_millis(for_ms));
            let negotiated = self.design.protocol_negotiation;
            io.trace(
                SidekickEvent::ServerVersionSkew,
                fields!["fault" => fault, "negotiated" => negotiated],
            );
            if !negotiated {
                self.skew = Some((until, fault));
            }
        }
    }

    /// Exchanges in flight.
    pub fn at_stake(&self) -> u32 {
        self.pending.len() as u32
    }

    /// Boot: nothing to read back.
    pub fn boot(&mut self, io: &mut Io<'_, Msg>) {
        io.set_timer(TIMER_SWEEP, PENDING_TTL);
    }

    /// Forgets exchanges the database never answered; relays held replies
    /// whose time has come.
    pub fn on_timer(&mut self, key: u64, io: &mut Io<'_, Msg>) {
        let now = io.now();
        if key == TIMER_RELEASE {
            let due = self.held.iter().take_while(|(at, _, _)| *at <= now).count();
            for (_, to, msg) in self.held.drain(..due) {
                io.send(to, msg);
            }
            if let Some((at, _, _)) = self.held.first() {
                io.set_timer(TIMER_RELEASE, at.since(now));
            }
            return;
        }
        self.pending
            .retain(|_, (_, _, at, _)| now.since(*at) < PENDING_TTL);
        io.set_timer(TIMER_SWEEP, PENDING_TTL);
    }

    /// Relays a handset's sync to the primary, or the primary's answer back.
    pub fn on_message(&mut self, from: Addr, msg: Msg, io: &mut Io<'_, Msg>) {
        match msg {
            Msg::Sync {
                req,
                user,
                epoch,
                cursor,
                full,
                digest,
                mut push,
            } => {
                let id = self.next_req;
                self.next_req += 1;
                let now = io.now();
                let mut dropped = Vec::new();
                if let Some((until, fault)) = self.skew {
                    if now < until && !push.is_empty() {
                        dropped = push.iter().map(|r| (r.record, r.version)).collect();
                        push.clear();
                        io.lineage().mark_effective(
                            now,
                            io.node(),
                            fault,
                            "acknowledged pushed rows it could not parse",
                        );
                        io.trace(
                            SidekickEvent::ServerDroppedPush,
                            fields!["fault" => fault, "rows" => dropped.len()],
                        );
                    }
                }
                self.pending.insert(id, (from, req, now, dropped));
                io.send(
                    self.primary,
                    Msg::DbSync {
                        req: id,
                        user,
                        epoch,
                        cursor,
                        full,
                        digest,
                        push,
                    },
                );
            }
            Msg::DbSyncReply { req, mut result } => {
                if let Some((handset, hreq, _, dropped)) = self.pending.remove(&req) {
                    if let SyncResult::Ok { committed, .. } = &mut result {
                        committed.extend(dropped);
                    }
                    let reply = Msg::SyncReply { req: hreq, result };
                    if io.sometimes(SITE_DELAY_REPLY, 0.2) {
                        let at = io.now().after(REPLY_DELAY);
                        io.trace(
                            SidekickEvent::ServerDelayedReply,
                            fields!["req" => hreq, "for_ms" => REPLY_DELAY.as_millis() as u64],
                        );
                        self.held.push((at, handset, reply));
                        let first = self.held[0].0.since(io.now());
                        io.set_timer(TIMER_RELEASE, first);
                    } else {
                        io.send(handset, reply);
                    }
                }
            }
            _ => {}
        }
    }

    /// What the server answers when its database cannot be reached.
    pub fn unavailable() -> SyncResult {
        SyncResult::Unavailable
    }
}
