//! The Sidekick's check of `replay`'s `--node` and `--record` filters
//! ([`harness::triage::trace_filter`]): before the run, a filter must name a node,
//! store or record id this topology has; the error names the valid form.

use crate::plan_check::handset_range;
use crate::scenario::Scenario;
use crate::{system, topology};
pub use harness::triage::trace_filter::{concerns, Filter, FilterError};
use harness::world::HARNESS_NODE as HARNESS;
use models::record::{RecordId, RecordKind};

/// Checks, before anything runs, that each filter of `filter` names
/// something `scenario`'s topology has: `--node` a node or store of it,
/// `--record` a record id (`u0/contact-1`) of one of its users.
pub fn check(filter: &Filter, scenario: &Scenario) -> Result<(), FilterError> {
    let handsets = scenario.topology.handsets;
    if let Some(node) = &filter.node {
        if !is_known_node(node, scenario) {
            return Err(FilterError::NoSuchNode {
                node: node.clone(),
                valid: node_words(scenario),
            });
        }
    }
    if let Some(record) = &filter.record {
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

    fn scenario() -> Scenario {
        Scenario::load("sidekick-2009", &["topology.handsets=4".to_string()]).unwrap()
    }

    use Filter as F;

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
            assert_eq!(check(&F::of_node(n), &sc), Ok(()), "{n}");
        }
        assert_eq!(check(&F::of_record("u3/photo-12"), &sc), Ok(()));
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
            let e = check(&F::of_node(n), &sc).unwrap_err();
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
            let e = check(&F::of_record(r), &sc).unwrap_err();
            assert!(matches!(e, FilterError::BadRecord { .. }), "{r}");
            let text = e.to_string();
            assert!(
                text.contains("USER/RECORD") && text.contains("(u0..u3)"),
                "{text}"
            );
        }
    }
}
