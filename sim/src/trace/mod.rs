//! The trace: the canonical record of what happened in one run.
//!
//! A trace is a list of [`Event`]s in the order they happened: simulated
//! time, the node (or device) it concerns, a kind and named fields. It holds
//! no seed and no formatting. The [`TraceHash`] is computed over a canonical
//! byte encoding of that list, so two runs have the same hash exactly when
//! they produced the same events; printing, filtering or rendering as JSON
//! never changes it.
//!
//! The trace also carries copy lineage: every time a durable copy of a record
//! version is created or ends on some store ([`EngineEvent::CopyCreated`],
//! [`EngineEvent::CopyEnded`]), so that a checker can tell, from the trace alone,
//! which copies existed and what ended each.

use crate::node_name::NodeName;
use crate::time::SimTime;
use serde::{Serialize, Serializer};
use smallvec::SmallVec;
use smol_str::SmolStr;
use std::fmt;
use std::sync::{Arc, Mutex};
use xxhash_rust::xxh3::Xxh3;

mod kind;
mod phase;
pub use kind::{EngineEvent, Kind, SystemEvent, SystemKind};
pub use phase::RunPhase;

/// One field value of an event.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    /// An unsigned number.
    U(u64),
    /// A string (held inline when short: an event's ids cost no
    /// allocation).
    S(SmolStr),
    /// A flag.
    B(bool),
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::U(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::U(u64::from(v))
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::U(v as u64)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::B(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::S(v.into())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::S(v.into())
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::S(v.into())
    }
}

impl Value {
    /// The number, if this is one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::U(v) => Some(*v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::S(v) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::U(v) => write!(f, "{v}"),
            Value::S(v) => write!(f, "{v}"),
            Value::B(v) => write!(f, "{v}"),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::U(v) => s.serialize_u64(*v),
            Value::S(v) => s.serialize_str(v),
            Value::B(v) => s.serialize_bool(*v),
        }
    }
}

/// One thing that happened. It serializes with `fields` as a map (see
/// [`FieldMap`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When it happened, in simulated time.
    pub at: SimTime,
    /// The node, device or store it concerns (`client-17`, `db-primary`, `harness`).
    pub node: NodeName,
    /// What happened: one of the engine's kinds or one of the system's;
    /// serializes as its dotted name, such as `copy.created`.
    #[serde(serialize_with = "kind_as_name")]
    pub kind: Kind,
    /// Named values, in the order the emitter gave them.
    #[serde(serialize_with = "fields_as_map")]
    pub fields: Fields,
}

/// An event's named values, in order: up to four are held in the event
/// itself, so a trace of many small events is few allocations.
pub type Fields = SmallVec<[(&'static str, Value); 4]>;

/// An event's fields as one map from name to typed value (a number, a
/// string or a flag), in the order the emitter gave them: in JSON,
/// `{"fault":7,"why":"no such target"}`.
#[derive(Clone, Copy, Debug)]
pub struct FieldMap<'a>(pub &'a [(&'static str, Value)]);

impl Serialize for FieldMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (*k, v)))
    }
}

fn kind_as_name<S: Serializer>(kind: &Kind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.name())
}

fn fields_as_map<S: Serializer>(fields: &[(&'static str, Value)], s: S) -> Result<S::Ok, S::Error> {
    FieldMap(fields).serialize(s)
}

/// One event as a JSON object in the shape of tracing-subscriber's
/// flattened JSON: `message` (the event as the trace displays it), `at`,
/// `at_ms`, `node`, `kind`, and `fields` as an object of typed values.
#[derive(Serialize)]
struct JsonEvent<'a> {
    message: String,
    at: SimTime,
    at_ms: u64,
    node: &'a str,
    kind: &'a str,
    fields: FieldMap<'a>,
}

impl Event {
    /// The value of field `name`, if the event has it.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// The string value of field `name`, if the event has one.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.field(name).and_then(Value::as_str)
    }

    /// The event as one line of JSON (no newline): `message` (its display
    /// form), `at`, `at_ms`, `node`, `kind`, and `fields` as an object of
    /// typed values, the shape tracing-subscriber's flattened JSON has.
    pub fn to_json(&self) -> String {
        let line = JsonEvent {
            message: self.to_string(),
            at: self.at,
            at_ms: self.at.as_millis(),
            node: &self.node,
            kind: self.kind.name(),
            fields: FieldMap(&self.fields),
        };
        serde_json::to_string(&line).expect("an event always serializes to JSON")
    }

    /// Appends the canonical encoding of this event: the bytes the trace hash covers.
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.at.as_millis().to_le_bytes());
        encode_str(out, &self.node);
        encode_str(out, self.kind.name());
        out.extend_from_slice(&(self.fields.len() as u32).to_le_bytes());
        for (k, v) in &self.fields {
            encode_str(out, k);
            match v {
                Value::U(x) => {
                    out.push(0);
                    out.extend_from_slice(&x.to_le_bytes());
                }
                Value::S(x) => {
                    out.push(1);
                    encode_str(out, x);
                }
                Value::B(x) => {
                    out.push(2);
                    out.push(u8::from(*x));
                }
            }
        }
    }
}

fn encode_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl fmt::Display for Event {
    /// `3d 04:12:05.250 client-17 copy.created store=client-17 record=u17/contact-3`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.at, self.node, self.kind)?;
        for (k, v) in &self.fields {
            match v {
                Value::S(s) if s.contains(char::is_whitespace) => write!(f, " {k}={s:?}")?,
                _ => write!(f, " {k}={v}")?,
            }
        }
        Ok(())
    }
}

/// The 64-bit hash of a trace's canonical encoding; prints as 16 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TraceHash(pub u64);

impl fmt::Display for TraceHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for TraceHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// The events of one run, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    events: Vec<Event>,
}

impl Trace {
    /// An empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an event. Events must be pushed in simulated-time order.
    pub fn push(&mut self, event: Event) {
        debug_assert!(
            self.events.last().is_none_or(|e| e.at <= event.at),
            "trace events out of time order"
        );
        self.events.push(event);
    }

    /// Every event, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The hash of the canonical encoding of every event: equal for equal
    /// traces, and (with overwhelming likelihood) different otherwise.
    pub fn hash(&self) -> TraceHash {
        let mut h = Xxh3::new();
        let mut buf = Vec::with_capacity(256);
        for e in &self.events {
            buf.clear();
            e.encode(&mut buf);
            h.update(&buf);
        }
        TraceHash(h.digest())
    }
}

/// A shared, clonable handle that appends to one run's trace. Every seed has
/// its own, so parallel seeds never interleave.
#[derive(Clone, Debug, Default)]
pub struct Tracer {
    inner: Arc<Mutex<Trace>>,
}

impl Tracer {
    /// A handle to a new, empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one event.
    pub fn emit(
        &self,
        at: SimTime,
        node: impl Into<NodeName>,
        kind: impl Into<Kind>,
        fields: Vec<(&'static str, Value)>,
    ) {
        let event = Event {
            at,
            node: node.into(),
            kind: kind.into(),
            fields: Fields::from_vec(fields),
        };
        self.inner.lock().expect("trace lock").push(event);
    }

    /// How many events the trace holds so far.
    pub fn len(&self) -> usize {
        self.inner.lock().expect("trace lock").events.len()
    }

    /// Whether the trace holds no event yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of the trace as it stands.
    pub fn snapshot(&self) -> Trace {
        self.inner.lock().expect("trace lock").clone()
    }

    /// The trace as it stands, moved out: the handle holds an empty trace
    /// afterwards. For the end of a run, which needs no copy.
    pub fn take(&self) -> Trace {
        std::mem::take(&mut *self.inner.lock().expect("trace lock"))
    }

    /// Runs `f` over the trace as it stands, without copying it.
    pub fn with<R>(&self, f: impl FnOnce(&Trace) -> R) -> R {
        f(&self.inner.lock().expect("trace lock"))
    }
}

/// Builds an event's field list: `fields!["store" => name, "sector" => 7u64]`.
#[macro_export]
macro_rules! fields {
    ($($k:literal => $v:expr),* $(,)?) => {
        vec![$(($k, $crate::trace::Value::from($v))),*]
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(at: u64, node: &str, x: u64) -> Event {
        Event {
            at: SimTime(at),
            node: node.into(),
            kind: EngineEvent::CopyCreated.into(),
            fields: crate::fields!["n" => x, "s" => "a b"].into(),
        }
    }

    #[test]
    fn hash_covers_every_part_of_an_event() {
        let mut a = Trace::new();
        a.push(ev(1, "x", 1));
        let mut b = Trace::new();
        b.push(ev(1, "x", 2));
        let mut c = Trace::new();
        c.push(ev(2, "x", 1));
        let mut d = Trace::new();
        d.push(ev(1, "y", 1));
        let hashes = [a.hash(), b.hash(), c.hash(), d.hash()];
        for i in 0..4 {
            for j in 0..i {
                assert_ne!(hashes[i], hashes[j]);
            }
        }
        assert_eq!(a.hash(), a.clone().hash());
        assert_eq!(a.hash().to_string().len(), 16);
    }

    #[test]
    fn json_has_the_fields_as_an_object_of_typed_values() {
        let mut e = ev(1_500, "client-2", 7);
        e.fields.push(("flag", Value::B(true)));
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "message": e.to_string(),
                "at": "0d 00:00:01.500",
                "at_ms": 1_500,
                "node": "client-2",
                "kind": "copy.created",
                "fields": { "n": 7, "s": "a b", "flag": true },
            })
        );
        // In the order the emitter gave them, on one line.
        let line = e.to_json();
        assert!(
            line.contains(r#""fields":{"n":7,"s":"a b","flag":true}"#),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn display_quotes_strings_with_spaces() {
        assert_eq!(
            ev(0, "x", 3).to_string(),
            "0d 00:00:00.000 x copy.created n=3 s=\"a b\""
        );
    }
}
