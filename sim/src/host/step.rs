//! One machine step: what a step watch is shown of it, how it runs (with
//! panics caught), and each node's main loop.

use super::*;

/// What a step watch is shown of one machine step: the node, the trace
/// events the step wrote (its own and its lineage's) and the messages it is
/// about to send.
pub struct StepSeen<'a, Msg> {
    /// The node's name.
    pub node: &'a str,
    /// The node's address.
    pub addr: Addr,
    tracer: &'a Tracer,
    first_event: usize,
    /// The messages the step sends, in order, not yet sent.
    pub sends: &'a [(Addr, Msg)],
}

impl<Msg> StepSeen<'_, Msg> {
    /// The events the step wrote, in order (copied when asked for, so a
    /// watch that needs only the messages costs nothing more).
    pub fn events(&self) -> Vec<crate::trace::Event> {
        self.tracer.with(|t| {
            t.events()
                .get(self.first_event..)
                .unwrap_or_default()
                .to_vec()
        })
    }
}

/// A step watch: called after every machine step, outside every lock.
pub type StepWatch<Msg> = Arc<dyn Fn(StepSeen<'_, Msg>) + Send + Sync>;

impl<M: Machine> Cluster<M> {
    /// Runs one machine step with panics caught, then shows it to the step
    /// watch. Returns false if it panicked (the panic is in the trace and
    /// the supervisor has been told) or the watch crashed the node.
    pub(super) fn step(
        &self,
        slot: &Slot<M>,
        timers: &mut BTreeMap<u64, SimTime>,
        sends: &mut Vec<(Addr, M::Msg)>,
        f: impl FnOnce(&mut M, &mut Io<'_, M::Msg>),
    ) -> bool {
        let now = self.now();
        let watch = self
            .shared
            .watch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let first_event = if watch.is_some() {
            self.shared.tracer.len()
        } else {
            0
        };
        let mut st = slot.state();
        let Some(machine) = st.machine.as_mut() else {
            return true;
        };
        let mut io = Io::new(
            now,
            &slot.name,
            slot.addr,
            &self.shared.tracer,
            &self.shared.lineage,
            &self.shared.ledger,
        );
        if let Some(b) = self.shared.buggify.get() {
            io = io.with_buggify(b);
        }
        io = io.with_clock_offset(slot.wall.offset_ms());
        QUIET_PANICS.with(|q| q.set(true));
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(machine, &mut io)));
        QUIET_PANICS.with(|q| q.set(false));
        if !slot.disks.is_empty() {
            self.trace_step_effects(slot, now);
        }
        match result {
            Ok(()) => {
                let out = io.into_outputs();
                drop(st);
                if let Some(watch) = watch {
                    watch(StepSeen {
                        node: &slot.name,
                        addr: slot.addr,
                        tracer: &self.shared.tracer,
                        first_event,
                        sends: &out.sends,
                    });
                    if !slot.state().up {
                        // Crashed by the watch: nothing of the step leaves.
                        return false;
                    }
                }
                sends.extend(out.sends);
                for (key, at) in out.timers {
                    match at {
                        Some(at) => timers.insert(key, at),
                        None => timers.remove(&key),
                    };
                }
                true
            }
            Err(p) => {
                drop(st);
                for (_, d) in &slot.disks {
                    lock_disk(d).fence();
                }
                self.drop_machine(slot);
                self.shared.tracer.emit(
                    now,
                    &slot.name,
                    EngineEvent::NodePanic,
                    crate::fields!["message" => panic_message(p.as_ref())],
                );
                let _ = self
                    .shared
                    .control
                    .unbounded_send(Control::Panic(slot.addr));
                false
            }
        }
    }
    pub(super) async fn node_main(&self, slot: Arc<Slot<M>>) {
        let ep = match Endpoint::bind(slot.addr.socket()).await {
            Ok(ep) => Arc::new(ep),
            Err(e) => panic!("{}: cannot bind {}: {e}", slot.name, slot.addr.socket()),
        };
        let (tx, mut rx) = mpsc::unbounded();
        let boot = {
            let mut st = slot.state();
            st.inbox = Some(tx.clone());
            st.machine = Some((slot.factory)());
            st.next_boot
        };
        let receiver = ep.clone();
        madsim::task::spawn(async move {
            while let Ok((payload, from)) = receiver.recv_from_raw(TAG).await {
                let (Ok(bytes), Some(from)) =
                    (payload.downcast::<Vec<u8>>(), Addr::from_socket(from))
                else {
                    continue;
                };
                if tx.unbounded_send(Inbound::Net(from, *bytes)).is_err() {
                    break;
                }
            }
        });
        self.shared.tracer.emit(
            self.now(),
            &slot.name,
            EngineEvent::NodeBoot,
            crate::fields!["boot" => boot.name()],
        );
        let mut timers: BTreeMap<u64, SimTime> = BTreeMap::new();
        let mut sends = Vec::new();
        if !self.step(&slot, &mut timers, &mut sends, |m, io| m.boot(boot, io)) {
            {
                let mut st = slot.state();
                if st.up {
                    // A panic (a crash by the step watch leaves it down instead).
                    st.boot_panics += 1;
                }
            }
            return futures::future::pending().await;
        }
        slot.state().boot_panics = 0;
        // The sleep for the earliest timer, kept across wake-ups while that
        // timer stays the earliest, so that a message does not register a
        // new timer with the runtime every time it arrives. A timer fires at
        // its simulated millisecond exactly.
        let mut armed: Option<(SimTime, u64, std::pin::Pin<Box<madsim::time::Sleep>>)> = None;
        loop {
            for (to, msg) in sends.drain(..) {
                let mut frame = encode(&msg);
                if self.shared.sealed.load(Ordering::Relaxed) {
                    frame = seal(frame);
                }
                for frame in self.route(&slot, to, frame) {
                    // A send to a node that is down or cut off is simply lost.
                    let _ = ep.send_to_raw(to.socket(), TAG, Box::new(frame)).await;
                }
            }
            let next = timers
                .iter()
                .min_by_key(|(k, t)| (**t, **k))
                .map(|(k, t)| (*k, *t));
            let inbound = match next {
                Some((key, at)) => {
                    if armed.as_ref().map(|(t, k, _)| (*t, *k)) != Some((at, key)) {
                        let deadline = self.shared.clock.instant(at);
                        armed = Some((at, key, Box::pin(madsim::time::sleep_until(deadline))));
                    }
                    let (_, _, sleep) = armed.as_mut().expect("armed just above");
                    // Messages first, as a timeout around the receive would.
                    match futures::future::select(rx.next(), sleep.as_mut()).await {
                        futures::future::Either::Left((x, _)) => x,
                        futures::future::Either::Right(_) => {
                            armed = None;
                            timers.remove(&key);
                            if !self
                                .step(&slot, &mut timers, &mut sends, |m, io| m.on_timer(key, io))
                            {
                                return futures::future::pending().await;
                            }
                            continue;
                        }
                    }
                }
                None => rx.next().await,
            };
            let ok = match inbound {
                None => return futures::future::pending().await,
                Some(Inbound::Net(from, bytes)) => {
                    let Some(msg) = self.unframe::<M::Msg>(&slot, from, &bytes) else {
                        continue;
                    };
                    self.shared.messages.fetch_add(1, Ordering::Relaxed);
                    self.step(&slot, &mut timers, &mut sends, |m, io| {
                        m.on_message(from, msg, io)
                    })
                }
                Some(Inbound::Input(input)) => {
                    self.step(&slot, &mut timers, &mut sends, |m, io| {
                        m.on_input(input, io)
                    })
                }
            };
            if !ok {
                return futures::future::pending().await;
            }
        }
    }
}
