//! What `replay` prints: the `--node` and `--record` filters over a run's
//! trace and explanation. A filter changes only what is shown, never the
//! run; one that names nothing this topology has, or that matches no event
//! of the run, is an error naming the valid form, never an empty trace.

use crate::plan_check::handset_range;
use crate::scenario::Scenario;
use crate::{system, topology};
use models::record::{RecordId, RecordKind};
use sim::trace::Event;

/// The node of the harness's own events (`run.phase`).
const HARNESS: &str = "harness";

/// What to print. Filters change only what is shown, never the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Show only lines about this node or its stores (`handset-3` matches
    /// `handset-3` and `handset-3/flash`, `array-a` matches `array-a/primary`).
    pub node: Option<String>,
    /// Show only this record (`u17/contact-3`).
    pub record: Option<String>,
}

/// A filter that cannot match, or did not match anything.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// `--node` names no node or store of the topology.
    #[error("--node {node:?}: no such node or store; expected one of {valid}")]
    NoSuchNode {
        /// The name given.
        node: String,
        /// The names the topology has, in words.
        valid: String,
    },
    /// `--record` is not a record id of this topology's users.
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

    /// Checks, before anything runs, that each filter set names something
    /// `scenario`'s topology has: `--node` a node or store of it, `--record`
    /// a record id (`u0/contact-1`) of one of its users.
    pub fn check(&self, scenario: &Scenario) -> Result<(), FilterError> {
        let handsets = scenario.topology.handsets;
        if let Some(node) = &self.node {
            if !is_known_node(node, scenario) {
                return Err(FilterError::NoSuchNode {
                    node: node.clone(),
                    valid: node_words(scenario),
                });
            }
        }
        if let Some(record) = &self.record {
            let bad = |why: String| FilterError::BadRecord {
                record: record.clone(),
                why,
                form: record_form(handsets),
            };
            let id: RecordId = record.parse().map_err(|_| bad("not a record id".into()))?;
            if id.to_string() != *record {
                return Err(bad(format!("not written as the trace writes it ({id})")));
            }
            if id.owner >= handsets {
                return Err(bad(format!("user u{} is not in the topology", id.owner)));
            }
        }
        Ok(())
    }

    /// Checks, after the run, that each filter set matched an event of
    /// `events` (the whole trace): a filter that matches nothing is an
    /// error naming what does match.
    pub fn check_matched(&self, events: &[Event]) -> Result<(), FilterError> {
        let any = |f: &Filter| events.iter().any(|e| f.event_matches(e));
        if let Some(node) = &self.node {
            let alone = Filter {
                node: Some(node.clone()),
                record: None,
            };
            if !any(&alone) {
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
            let alone = Filter {
                node: None,
                record: Some(record.clone()),
            };
            if !any(&alone) {
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
fn concerns(name: &str, node: &str) -> bool {
    name == node
        || name
            .strip_prefix(node)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The names every topology has, whatever its size or design: the harness,
/// the servers, the operator, the arrays and the stores on them.
fn fixed_names() -> Vec<String> {
    vec![
        HARNESS.to_string(),
        topology::SERVER.to_string(),
        topology::DB_PRIMARY.to_string(),
        topology::DB_BACKUP.to_string(),
        topology::OPERATOR.to_string(),
        topology::primary_volume(),
        format!("{}/backup", topology::ARRAY_A),
        format!("{}/backup", topology::ARRAY_B),
        topology::SNAPSHOTS.to_string(),
    ]
}

/// Whether `node` names a node or store of `scenario`'s topology (or a
/// prefix of one, as `array-a` is of `array-a/primary`).
fn is_known_node(node: &str, scenario: &Scenario) -> bool {
    let handsets = scenario.topology.handsets;
    let numbered = |prefix: &str, store: &str| {
        let Some(rest) = node.strip_prefix(prefix) else {
            return false;
        };
        let (digits, suffix) = rest.split_once('/').unwrap_or((rest, ""));
        let canonical = !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        canonical
            && digits.parse::<u32>().is_ok_and(|i| i < handsets)
            && (suffix.is_empty() || suffix == store)
    };
    fixed_names().iter().any(|k| concerns(k, node))
        || numbered("handset-", "flash")
        || (system::has_portals(scenario) && numbered("portal-", "store"))
}

/// The node filter's valid names, in words.
fn node_words(scenario: &Scenario) -> String {
    let handsets = scenario.topology.handsets;
    let mut words = vec![format!("{} (and handset-N/flash)", handset_range(handsets))];
    if system::has_portals(scenario) {
        let portals = match handsets {
            0 | 1 => topology::portal(0),
            n => format!("{}..{}", topology::portal(0), topology::portal(n - 1)),
        };
        words.push(format!("{portals} (and portal-N/store)"));
    }
    words.push(format!(
        "{}, {}, {}, {}, {HARNESS}",
        topology::SERVER,
        topology::DB_PRIMARY,
        topology::DB_BACKUP,
        topology::OPERATOR
    ));
    words.push(format!(
        "{}, {} (and their stores {}, {}/backup, {}/backup), {}",
        topology::ARRAY_A,
        topology::ARRAY_B,
        topology::primary_volume(),
        topology::ARRAY_A,
        topology::ARRAY_B,
        topology::SNAPSHOTS
    ));
    words.join(", ")
}

/// The record filter's valid form, in words.
fn record_form(handsets: u32) -> String {
    let kinds: Vec<&str> = RecordKind::ALL.iter().map(|k| k.name()).collect();
    let users = match handsets {
        0 | 1 => "u0".to_string(),
        n => format!("u0..u{}", n - 1),
    };
    format!(
        "as in u0/contact-1: a user ({users}), '/', a kind ({}), '-' and a number",
        kinds.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::time::SimTime;

    fn scenario() -> Scenario {
        Scenario::load("sidekick-2009", &["topology.handsets=4".to_string()]).unwrap()
    }

    fn node(n: &str) -> Filter {
        Filter {
            node: Some(n.into()),
            record: None,
        }
    }

    fn record(r: &str) -> Filter {
        Filter {
            node: None,
            record: Some(r.into()),
        }
    }

    #[test]
    fn node_filter_matches_the_node_and_its_stores_only() {
        let f = node("handset-1");
        assert!(f.node_matches("handset-1"));
        assert!(f.node_matches("handset-1/flash"));
        assert!(!f.node_matches("handset-10/flash"));
        assert!(!f.node_matches("array-a/primary"));
        assert!(Filter::default().node_matches("anything"));
    }

    #[test]
    fn filters_of_names_the_topology_has_pass_the_check() {
        let sc = scenario();
        for n in [
            "handset-0",
            "handset-3/flash",
            "sync-server",
            "db-primary",
            "array-a",
            "array-a/primary",
            "array-b",
            "operator",
            "snapshots",
            "harness",
        ] {
            assert_eq!(node(n).check(&sc), Ok(()), "{n}");
        }
        assert_eq!(record("u3/photo-12").check(&sc), Ok(()));
    }

    #[test]
    fn filters_of_names_the_topology_lacks_are_refused_with_the_valid_form() {
        let sc = scenario();
        for n in [
            "handset-4",
            "handset-9999",
            "handset-01",
            "handset-0/disk",
            "toaster",
            "",
            "portal-0",
        ] {
            let e = node(n).check(&sc).unwrap_err();
            assert!(matches!(e, FilterError::NoSuchNode { .. }), "{n}");
            assert!(e.to_string().contains("handset-0..handset-3"), "{e}");
        }
        for r in [
            "nope/x",
            "u4/contact-0",
            "u0/contact",
            "u0/toaster-1",
            "u00/contact-1",
            "",
        ] {
            let e = record(r).check(&sc).unwrap_err();
            assert!(matches!(e, FilterError::BadRecord { .. }), "{r}");
            let text = e.to_string();
            assert!(
                text.contains("USER/RECORD") && text.contains("(u0..u3)"),
                "{text}"
            );
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
        assert_eq!(node("handset-0").check_matched(&events), Ok(()));
        assert_eq!(record("u0/todo-2").check_matched(&events), Ok(()));
        let e = node("handset-1").check_matched(&events).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--node \"handset-1\" matched no event"),
            "{e}"
        );
        let e = record("u0/todo-3").check_matched(&events).unwrap_err();
        assert!(e.to_string().contains("e.g. u0/todo-2"), "{e}");
        let both = Filter {
            node: Some("db-primary".into()),
            record: Some("u0/todo-2".into()),
        };
        assert!(both.check_matched(&events).is_err());
    }
}
