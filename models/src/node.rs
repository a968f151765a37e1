//! One machine type for every node of the system, so that one cluster runs
//! them all: a thin dispatch to the handset, server, database and operator
//! state machines.

use crate::database::Database;
use crate::handset::Handset;
use crate::msg::{Input, Msg};
use crate::operator::Operator;
use crate::record::RecordId;
use crate::server::Server;
use sim::host::{Addr, Boot, Io, Machine};

/// A node of the sidekick-2009 system.
pub enum Node {
    /// A user's handset.
    Handset(Handset),
    /// The sync server.
    Server(Server),
    /// The primary or backup database.
    Database(Database),
    /// The operator.
    Operator(Operator),
}

impl Node {
    /// How much is at stake on this node right now (exchanges in flight,
    /// acknowledged data not yet durable): a fault that strikes while this
    /// is non-zero is effective.
    pub fn at_stake(&self) -> u32 {
        match self {
            Node::Handset(h) => h.at_stake(),
            Node::Server(s) => s.at_stake(),
            Node::Database(_) | Node::Operator(_) => 0,
        }
    }
}

impl Node {
    /// The sectors of this node's volume that hold data it serves (empty
    /// for nodes without a store).
    pub fn live_sectors(&self) -> Vec<u64> {
        match self {
            Node::Handset(h) => h.live_sectors(),
            Node::Database(d) => d.live_sectors(),
            Node::Server(_) | Node::Operator(_) => Vec::new(),
        }
    }

    /// Which record each of [`Node::live_sectors`] holds, as (sector,
    /// record) pairs; `None` when the node's store keeps no such map (an
    /// SQLite handset), empty for nodes without a store.
    pub fn sector_records(&self) -> Option<Vec<(u64, RecordId)>> {
        match self {
            Node::Handset(h) => h.sector_records(),
            Node::Database(d) => Some(d.sector_records()),
            Node::Server(_) | Node::Operator(_) => Some(Vec::new()),
        }
    }
}

impl Machine for Node {
    type Msg = Msg;
    type Input = Input;

    fn boot(&mut self, boot: Boot, io: &mut Io<'_, Msg>) {
        match self {
            Node::Handset(h) => h.boot(boot, io),
            Node::Server(s) => s.boot(io),
            Node::Database(d) => d.boot(boot, io),
            Node::Operator(o) => o.boot(boot, io),
        }
    }

    fn on_message(&mut self, from: Addr, msg: Msg, io: &mut Io<'_, Msg>) {
        match self {
            Node::Handset(h) => h.on_message(msg, io),
            Node::Server(s) => s.on_message(from, msg, io),
            Node::Database(d) => d.on_message(from, msg, io),
            Node::Operator(o) => o.on_message(msg, io),
        }
    }

    fn on_timer(&mut self, key: u64, io: &mut Io<'_, Msg>) {
        match self {
            Node::Handset(h) => h.on_timer(key, io),
            Node::Server(s) => s.on_timer(key, io),
            Node::Database(d) => d.on_timer(key, io),
            Node::Operator(o) => o.on_timer(key, io),
        }
    }

    fn on_input(&mut self, input: Input, io: &mut Io<'_, Msg>) {
        match (self, input) {
            (
                Node::Handset(h),
                Input::Edit {
                    record,
                    version,
                    creates,
                    deletes,
                },
            ) => h.edit(record, version, creates, deletes, io),
            (Node::Operator(o), input) => o.on_input(input, io),
            (Node::Database(d), Input::Incident { fault, incident }) => {
                d.on_incident(fault, incident, io)
            }
            (Node::Server(s), Input::Incident { fault, incident }) => {
                s.on_incident(fault, incident, io)
            }
            _ => {}
        }
    }
}
