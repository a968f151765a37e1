//! The sync server: a stateless relay between handsets and the primary
//! database. It holds nothing durable; a crash loses only the exchanges in
//! flight, which handsets retry.

use crate::msg::{Msg, SyncResult};
use sim::host::{Addr, Io};
use sim::time::SimTime;
use std::collections::BTreeMap;
use std::time::Duration;

const TIMER_SWEEP: u64 = 1;
const PENDING_TTL: Duration = Duration::from_secs(60);

/// The sync server's state machine.
pub struct Server {
    primary: Addr,
    pending: BTreeMap<u64, (Addr, u64, SimTime)>,
    next_req: u64,
}

impl Server {
    /// A server that relays to `primary`.
    pub fn new(primary: Addr) -> Self {
        Server {
            primary,
            pending: BTreeMap::new(),
            next_req: 1,
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

    /// Forgets exchanges the database never answered.
    pub fn on_timer(&mut self, _key: u64, io: &mut Io<'_, Msg>) {
        let now = io.now();
        self.pending
            .retain(|_, (_, _, at)| now.since(*at) < PENDING_TTL);
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
                push,
            } => {
                let id = self.next_req;
                self.next_req += 1;
                self.pending.insert(id, (from, req, io.now()));
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
            Msg::DbSyncReply { req, result } => {
                if let Some((handset, hreq, _)) = self.pending.remove(&req) {
                    io.send(handset, Msg::SyncReply { req: hreq, result });
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
