//! What a model implements ([`Machine`]) and the I/O a step gets ([`Io`]).

use super::*;

/// A model of one node: a state machine apart from its I/O.
pub trait Machine: Send + 'static {
    /// The messages nodes of this cluster exchange.
    type Msg: Serialize + DeserializeOwned + Send + 'static;
    /// Inputs from outside the network (a user's action, an operator's command).
    type Input: Send + 'static;

    /// The node booted; its state must come from its disks.
    fn boot(&mut self, boot: Boot, io: &mut Io<'_, Self::Msg>);
    /// A message arrived from `from`.
    fn on_message(&mut self, from: Addr, msg: Self::Msg, io: &mut Io<'_, Self::Msg>);
    /// The timer set under `key` fired.
    fn on_timer(&mut self, key: u64, io: &mut Io<'_, Self::Msg>);
    /// An external input arrived.
    fn on_input(&mut self, input: Self::Input, io: &mut Io<'_, Self::Msg>);
}

/// What one step of a machine may do: read the time, send, set timers, and
/// write to the trace and the copy lineage.
pub struct Io<'a, M> {
    now: SimTime,
    node: &'a str,
    me: Addr,
    tracer: &'a Tracer,
    lineage: &'a Lineage,
    ledger: &'a LedgerHandle,
    sends: Vec<(Addr, M)>,
    timers: Vec<(u64, Option<SimTime>)>,
    buggify: Option<&'a Buggify>,
    clock_offset_ms: i64,
}

impl<'a, M> Io<'a, M> {
    /// An I/O context for a step at `now` of the node `node` (`me`),
    /// writing to `tracer`, `lineage` and `ledger`. The engine makes these;
    /// tests of a machine make them directly.
    pub fn new(
        now: SimTime,
        node: &'a str,
        me: Addr,
        tracer: &'a Tracer,
        lineage: &'a Lineage,
        ledger: &'a LedgerHandle,
    ) -> Self {
        Io {
            now,
            node,
            me,
            tracer,
            lineage,
            ledger,
            sends: Vec::new(),
            timers: Vec::new(),
            buggify: None,
            clock_offset_ms: 0,
        }
    }

    /// This context with the node's wall clock `offset_ms` milliseconds
    /// off the simulated time (see [`Io::wall_clock`]); 0 unless set.
    pub fn with_clock_offset(mut self, offset_ms: i64) -> Self {
        self.clock_offset_ms = offset_ms;
        self
    }

    /// This context with `buggify` answering [`Io::sometimes`].
    pub fn with_buggify(mut self, buggify: &'a Buggify) -> Self {
        self.buggify = Some(buggify);
        self
    }

    /// Whether the rare path at `site` is taken now (see [`Buggify`]):
    /// never when the run has no buggify or the site is inactive this run,
    /// and then nothing is drawn; else with probability `p`.
    pub fn sometimes(&self, site: &'static str, p: f64) -> bool {
        self.buggify.is_some_and(|b| b.sometimes(site, p))
    }

    /// The current simulated time: true time, which no fault moves. Timers
    /// and the trace run on it.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// What this node's own clock says now: the simulated time plus the
    /// offset the harness's clock faults gave it (a clock skewed either
    /// way, or reset to the run's start and run on from there), never
    /// below the run's start. A device's clock, which may be wrong: read it
    /// wherever the real device would stamp or compare times with its
    /// clock (a last-writer-wins timestamp, an expiry), and [`Io::now`]
    /// nowhere a device could not know the true time.
    pub fn wall_clock(&self) -> SimTime {
        super::clock::wall_time(self.now, self.clock_offset_ms)
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        self.node
    }

    /// This node's address.
    pub fn me(&self) -> Addr {
        self.me
    }

    /// Sends `msg` to `to` once the step ends. Delivery is up to the network.
    pub fn send(&mut self, to: Addr, msg: M) {
        self.sends.push((to, msg));
    }

    /// Fires `on_timer(key)` after `after`, replacing any timer under `key`.
    pub fn set_timer(&mut self, key: u64, after: Duration) {
        self.timers.push((key, Some(self.now.after(after))));
    }

    /// Cancels the timer under `key`, if any.
    pub fn cancel_timer(&mut self, key: u64) {
        self.timers.push((key, None));
    }

    /// Writes an event about this node to the trace.
    pub fn trace(&self, kind: impl Into<Kind>, fields: Vec<(&'static str, Value)>) {
        self.tracer.emit(self.now, self.node, kind, fields);
    }

    /// The copy lineage registry, to record copies created and ended.
    pub fn lineage(&self) -> &Lineage {
        self.lineage
    }

    /// Records that a durable copy of `version` of `record` now exists on `store`.
    pub fn copy_created(&self, store: &str, record: &str, version: &str) {
        self.lineage
            .created(self.now, self.node, store, record, version);
    }

    /// Records that the copy of `version` of `record` on `store` ended.
    pub fn copy_ended(&self, store: &str, record: &str, version: &str, cause: EndCause) {
        self.lineage.ended(
            self.now,
            self.node,
            CopyOf {
                store,
                record,
                version,
            },
            cause,
            None,
        );
    }

    /// A user made `version` of `record` as `write` says (its parents, its
    /// content, whether it deletes): the ledger records it, unacknowledged.
    pub fn wrote(&self, record: RecordId, version: VersionId, write: Write) {
        self.ledger.written(record, version, write, self.now);
    }

    /// The user was told `saved` for `version` of `record`: the promise
    /// covers it from now on (the first time counts). Traced as `ack.saved`.
    pub fn told_saved(&self, record: RecordId, version: VersionId) {
        self.ledger.saved(record, version, self.now);
        self.ack(EngineEvent::AckSaved, record, version);
    }

    /// The user was told `synced` for `version` of `record` (the first
    /// time counts). Traced as `ack.synced`.
    pub fn told_synced(&self, record: RecordId, version: VersionId) {
        self.ledger.synced(record, version, self.now);
        self.ack(EngineEvent::AckSynced, record, version);
    }

    fn ack(&self, kind: EngineEvent, record: RecordId, version: VersionId) {
        self.trace(
            kind,
            crate::fields!["record" => record.to_string(), "version" => version.to_string()],
        );
    }

    /// The messages and timers this step produced (for tests of machines).
    pub fn into_outputs(self) -> Outputs<M> {
        Outputs {
            sends: self.sends,
            timers: self.timers,
        }
    }
}

/// What one machine step produced.
pub struct Outputs<M> {
    /// Messages to send, in order: (destination, message).
    pub sends: Vec<(Addr, M)>,
    /// Timer changes, in order: (key, new deadline, or None to cancel).
    pub timers: Vec<(u64, Option<SimTime>)>,
}
