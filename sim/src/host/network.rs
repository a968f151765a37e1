//! The cluster's network: madsim clogging for partitions, and the
//! project's own network faults applied to every frame a node sends.

use super::*;

impl<M: Machine> Cluster<M> {
    /// Cuts the node off the network in both directions (an offline device).
    pub fn isolate(&self, addr: Addr) {
        let slot = self.slot(addr);
        NetSim::current().clog_node(self.node_id(&slot));
        self.shared.tracer.emit(
            self.now(),
            &slot.name,
            EngineEvent::NetPartition,
            crate::fields!["scope" => "node"],
        );
    }
    /// Cuts the links between `a` and `b`, both directions.
    pub fn partition(&self, a: Addr, b: Addr) {
        let (sa, sb) = (self.slot(a), self.slot(b));
        let (ia, ib) = (self.node_id(&sa), self.node_id(&sb));
        let net = NetSim::current();
        net.clog_link(ia, ib);
        net.clog_link(ib, ia);
        self.shared.tracer.emit(
            self.now(),
            &sa.name,
            EngineEvent::NetPartition,
            crate::fields!["scope" => "link", "peer" => &sb.name],
        );
    }
    /// Lifts every partition and isolation involving the node, and every
    /// network fault ([`Cluster::net_fault`]) on a link of the node.
    pub fn heal_network(&self, addr: Addr) {
        let slot = self.slot(addr);
        let id = self.node_id(&slot);
        let net = NetSim::current();
        net.unclog_node(id);
        let lifted = self.net().clear_node(addr);
        for (fault, c) in lifted {
            self.trace_net_end(fault, c, "healed");
        }
        for other in self.slots() {
            let oid = self.node_id(&other);
            if oid != id {
                net.unclog_link(id, oid);
                net.unclog_link(oid, id);
            }
        }
        self.shared
            .tracer
            .emit(self.now(), &slot.name, EngineEvent::NetHeal, vec![]);
    }
    /// Seals every frame sent from now on with an end-to-end checksum (or
    /// stops sealing): a sealed frame garbled in transit is dropped on
    /// receipt (`net.frame-rejected`), never decoded.
    pub fn set_sealed_frames(&self, sealed: bool) {
        self.shared.sealed.store(sealed, Ordering::Relaxed);
    }
    /// Puts a network fault in force: `imp` on every frame crossing `links`,
    /// drawing from `seed`, under plan id `fault`, until [`Cluster::end_net_fault`]
    /// or [`Cluster::heal_net_faults`].
    pub fn net_fault(&self, fault: u32, links: Links, imp: Impairment, seed: u64) {
        self.net().add(fault, links, imp, seed);
    }
    /// Lifts the network fault `fault`; traces what it did (`net.fault-ended`).
    pub fn end_net_fault(&self, fault: u32) {
        let counts = self.net().remove(fault);
        if let Some(c) = counts {
            self.trace_net_end(fault, c, "ended");
        }
    }
    /// Lifts every network fault and drops every frame still held in
    /// transit; traces what each fault did (`net.fault-ended`).
    pub fn heal_net_faults(&self) {
        self.shared.net_generation.fetch_add(1, Ordering::Relaxed);
        let ended = self.net().clear();
        for (fault, c) in ended {
            self.trace_net_end(fault, c, "healed");
        }
    }
    pub(super) fn net(&self) -> MutexGuard<'_, NetFaults> {
        self.shared
            .net
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
    pub(super) fn trace_net_end(&self, fault: u32, c: Counts, how: &str) {
        self.shared.tracer.emit(
            self.now(),
            "network",
            EngineEvent::NetFaultEnded,
            crate::fields![
                "fault" => fault,
                "how" => how,
                "dropped" => c.dropped,
                "duplicated" => c.duplicated,
                "held" => c.held,
                "delayed" => c.delayed,
                "corrupted" => c.corrupted
            ],
        );
    }
    /// Passes a frame `slot` sends to `to` through the network faults:
    /// returns the copies to send now; copies held in transit go to the
    /// supervisor. Every effect but a partition's drop is traced; every
    /// fault that changed a frame is marked effective.
    pub(super) fn route(&self, slot: &Slot<M>, to: Addr, frame: Vec<u8>) -> Vec<Vec<u8>> {
        let route = {
            let mut net = self.net();
            if net.is_empty() {
                return vec![frame];
            }
            net.route(slot.addr, to, frame)
        };
        let now = self.now();
        let peer = self.slot(to).name.clone();
        for e in &route.effects {
            let (kind, mut fields) = match e {
                Effect::Cut { .. } => (None, Vec::new()),
                Effect::Dropped { .. } => (Some(EngineEvent::NetDropped), Vec::new()),
                Effect::Duplicated { lag, .. } => (
                    Some(EngineEvent::NetDuplicated),
                    crate::fields!["lag_ms" => lag.as_millis() as u64],
                ),
                Effect::Held { hold, .. } => (
                    Some(EngineEvent::NetHeld),
                    crate::fields!["hold_ms" => hold.as_millis() as u64],
                ),
                Effect::Delayed { delay, .. } => (
                    Some(EngineEvent::NetDelayed),
                    crate::fields!["delay_ms" => delay.as_millis() as u64],
                ),
                Effect::Corrupted { bytes, .. } => (
                    Some(EngineEvent::NetCorrupted),
                    crate::fields!["bytes" => *bytes],
                ),
            };
            if let Some(kind) = kind {
                fields.push(("to", peer.as_str().into()));
                fields.push(("fault", e.fault().into()));
                self.shared.tracer.emit(now, &slot.name, kind, fields);
            }
            let why = match e {
                Effect::Cut { .. } => "cut a link a message was sent on",
                _ => "changed a message in transit",
            };
            self.shared
                .lineage
                .mark_effective(now, &slot.name, e.fault(), why);
        }
        let generation = self.shared.net_generation.load(Ordering::Relaxed);
        let mut now_frames = Vec::new();
        for (after, frame) in route.deliveries {
            if after.is_zero() {
                now_frames.push(frame);
            } else {
                let _ = self.shared.control.unbounded_send(Control::Hold {
                    after,
                    from: slot.addr,
                    to,
                    frame,
                    generation,
                });
            }
        }
        now_frames
    }
    /// Delivers a frame held in transit, unless the faults were healed since
    /// it was held, a partition now cuts its link, or its receiver is down.
    pub(super) fn deliver_held(&self, from: Addr, to: Addr, frame: Vec<u8>, generation: u64) {
        if self.shared.net_generation.load(Ordering::Relaxed) != generation {
            return;
        }
        if self.net().cut_by(from, to).is_some() {
            return;
        }
        let slot = self.slot(to);
        let st = slot.state();
        if let (Some(tx), true) = (&st.inbox, st.up) {
            let _ = tx.unbounded_send(Inbound::Net(from, frame));
        }
    }
    /// Decodes a frame `slot` received from `from`; a sealed frame whose
    /// checksum fails, or a frame that does not decode, is dropped and traced.
    pub(super) fn unframe<T: DeserializeOwned>(
        &self,
        slot: &Slot<M>,
        from: Addr,
        frame: &[u8],
    ) -> Option<T> {
        let reject = |why: &str| {
            let peer = self.slot(from).name.clone();
            self.shared.tracer.emit(
                self.now(),
                &slot.name,
                EngineEvent::NetFrameRejected,
                crate::fields!["from" => peer, "why" => why],
            );
        };
        let payload = if self.shared.sealed.load(Ordering::Relaxed) {
            let Some(p) = unseal(frame) else {
                reject("checksum");
                return None;
            };
            p
        } else {
            frame
        };
        let msg = decode::<T>(payload);
        if msg.is_none() {
            reject("does not decode");
        }
        msg
    }
}
