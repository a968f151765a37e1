//! What `replay` prints: the `--node` and `--record` filters over a run's
//! trace and explanation, for any system. A filter changes only what is
//! shown, never the run; one that names nothing the system has is refused
//! before the run ([`crate::rig::Rig::check_filter`]), and one that
//! matches no event of the run is an error naming what would, never an
//! empty trace.

pub use crate::world::HARNESS_NODE;
use sim::trace::Event;

/// What to print. Filters change only what is shown, never the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Show only lines about this node or its stores (`client-0` matches
    /// `client-0` and `client-0/disk`, but not `client-01`).
    pub node: Option<String>,
    /// Show only this record, written as the trace writes it.
    pub record: Option<String>,
}

/// A filter that cannot match, or did not match anything.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// `--node` names no node or store of the system.
    #[error("--node {node:?}: no such node or store; expected one of {valid}")]
    NoSuchNode {
        /// The name given.
        node: String,
        /// The names the system has, in words.
        valid: String,
    },
    /// `--record` is not a record id of the system's users.
    #[error("--record {record:?}: {why}; expected USER/RECORD, {form}")]
    BadRecord {
        /// The id given.
        record: String,
        /// What is wrong with it.
        why: String,
        /// The valid form, in words.
        form: String,
    },
    /// A filter of the valid form matched no event of the run.
    #[error("{flag} {value:?} matched no event of this run; {hint}")]
    NothingMatched {
        /// The flag (`--node`, `--record`).
        flag: &'static str,
        /// Its value.
        value: String,
        /// What would match, in words.
        hint: String,
    },
}

impl Filter {
    /// The filter of node `node` (and its stores) alone.
    pub fn of_node(node: impl Into<String>) -> Self {
        Filter {
            node: Some(node.into()),
            record: None,
        }
    }

    /// The filter of record `record` alone.
    pub fn of_record(record: impl Into<String>) -> Self {
        Filter {
            node: None,
            record: Some(record.into()),
        }
    }

    /// Whether a line or event concerning `name` (a node or a store) passes
    /// the node filter.
    pub fn node_matches(&self, name: &str) -> bool {
        self.node.as_deref().is_none_or(|n| concerns(name, n))
    }

    /// Whether a trace event passes both filters: its node or `store`
    /// matches the node filter, and its `record` (if the record filter is
    /// set) is that record.
    pub fn event_matches(&self, e: &Event) -> bool {
        let node_ok = self
            .node
            .as_deref()
            .is_none_or(|n| concerns(&e.node, n) || e.str("store").is_some_and(|s| concerns(s, n)));
        let record_ok = self
            .record
            .as_deref()
            .is_none_or(|r| e.str("record") == Some(r));
        node_ok && record_ok
    }

    /// Checks, before anything runs, that `--node` (if set) names one of
    /// `nodes` (the system's nodes, [`HARNESS_NODE`] included) or a store
    /// of one (`client-0/flash`); the error lists `nodes`.
    pub fn check_node_in(&self, nodes: &[&str]) -> Result<(), FilterError> {
        let Some(node) = &self.node else {
            return Ok(());
        };
        if nodes.iter().any(|k| concerns(node, k)) {
            return Ok(());
        }
        Err(FilterError::NoSuchNode {
            node: node.clone(),
            valid: format!("{} (and their stores, NODE/STORE)", nodes.join(", ")),
        })
    }

    /// Checks, after the run, that each filter set matched an event of
    /// `events` (the whole trace): a filter that matches nothing is an
    /// error naming what does match.
    pub fn check_matched(&self, events: &[Event]) -> Result<(), FilterError> {
        let any = |f: &Filter| events.iter().any(|e| f.event_matches(e));
        if let Some(node) = &self.node {
            if !any(&Filter::of_node(node.clone())) {
                return Err(FilterError::NothingMatched {
                    flag: "--node",
                    value: node.clone(),
                    hint: "the trace has no event on it or its stores".into(),
                });
            }
        }
        if let Some(record) = &self.record {
            let example = events.iter().find_map(|e| e.str("record"));
            let hint = match example {
                Some(r) => {
                    format!("records this run has events of are written USER/RECORD, e.g. {r}")
                }
                None => "this run has no record events".into(),
            };
            if !any(&Filter::of_record(record.clone())) {
                return Err(FilterError::NothingMatched {
                    flag: "--record",
                    value: record.clone(),
                    hint,
                });
            }
            if !any(self) {
                return Err(FilterError::NothingMatched {
                    flag: "--record",
                    value: record.clone(),
                    hint: format!(
                        "no event of it concerns --node {}",
                        self.node.as_deref().unwrap_or_default()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Whether `name` (a node or store) is `node` or one of its stores.
pub fn concerns(name: &str, node: &str) -> bool {
    name == node
        || name
            .strip_prefix(node)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::time::SimTime;

    use Filter as F;

    #[test]
    fn node_filter_matches_the_node_and_its_stores_only() {
        let f = F::of_node("handset-1");
        assert!(f.node_matches("handset-1"));
        assert!(f.node_matches("handset-1/flash"));
        assert!(!f.node_matches("handset-10/flash"));
        assert!(!f.node_matches("array-a/primary"));
        assert!(Filter::default().node_matches("anything"));
    }

    #[test]
    fn a_node_the_system_lacks_is_refused_naming_the_ones_it_has() {
        let nodes = ["client-0", "server", "harness"];
        for n in [
            "client-0",
            "client-0/flash",
            "server",
            "server/disk",
            "harness",
        ] {
            assert_eq!(F::of_node(n).check_node_in(&nodes), Ok(()), "{n}");
        }
        assert_eq!(Filter::default().check_node_in(&nodes), Ok(()));
        for n in [
            "client-1",
            "client-",
            "client-01/flash",
            "",
            "flash",
            "serve",
        ] {
            let e = F::of_node(n).check_node_in(&nodes).unwrap_err();
            assert!(matches!(e, FilterError::NoSuchNode { .. }), "{n}");
            assert!(e.to_string().contains("client-0, server, harness"), "{e}");
        }
    }

    #[test]
    fn a_filter_that_matches_no_event_is_an_error_naming_what_would() {
        let events = vec![Event {
            at: SimTime(1),
            node: "handset-0".into(),
            kind: sim::trace::EngineEvent::CopyCreated.into(),
            fields: sim::fields!["store" => "handset-0/flash", "record" => "u0/todo-2"].into(),
        }];
        assert_eq!(F::of_node("handset-0").check_matched(&events), Ok(()));
        assert_eq!(F::of_record("u0/todo-2").check_matched(&events), Ok(()));
        let e = F::of_node("handset-1").check_matched(&events).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--node \"handset-1\" matched no event"),
            "{e}"
        );
        let e = F::of_record("u0/todo-3")
            .check_matched(&events)
            .unwrap_err();
        assert!(e.to_string().contains("e.g. u0/todo-2"), "{e}");
        let both = Filter {
            node: Some("db-primary".into()),
            record: Some("u0/todo-2".into()),
        };
        assert!(both.check_matched(&events).is_err());
    }
}
