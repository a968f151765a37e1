//! The `[swarm]` section: the bounds swarm testing draws each key from.

use super::*;

/// `[swarm]`: narrower bounds for what a swarm draws. Every key is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SwarmBounds {
    /// Per key of the workload table (`crate::workload_table`), the factors
    /// `[min, max]` its value is scaled by: within the table's bounds,
    /// `0 < min <= max`.
    pub factors: BTreeMap<String, [f64; 2]>,
    /// The engines the databases may be drawn on, each listed once (empty,
    /// the default: every engine).
    pub engines: Vec<EngineKind>,
    /// The stores the handsets (and portals) may be drawn on, each listed
    /// once (empty, the default: the log store and SQLite).
    pub handset_engines: Vec<HandsetEngine>,
    /// Whether buggify is fixed on or off rather than drawn.
    pub buggify: Option<bool>,
}

impl SwarmBounds {
    pub(super) fn is_default(&self) -> bool {
        *self == SwarmBounds::default()
    }

    /// The factors `key` (a workload table key) is drawn between: the
    /// scenario's narrowing, else the table's bounds.
    pub fn bounds(&self, key: &str) -> (f64, f64) {
        match self.factors.get(key) {
            Some([min, max]) => (*min, *max),
            None => {
                let row = crate::workload_table::row_of(key)
                    .unwrap_or_else(|| panic!("`{key}` is a key of the workload table"));
                (row.min, row.max)
            }
        }
    }

    /// The engines a swarm draws from, in a fixed order.
    pub fn engines(&self) -> Vec<EngineKind> {
        if self.engines.is_empty() {
            vec![EngineKind::Log, EngineKind::Redb]
        } else {
            self.engines.clone()
        }
    }

    /// The handset stores a swarm draws from, in a fixed order.
    pub fn handset_engines(&self) -> Vec<HandsetEngine> {
        if self.handset_engines.is_empty() {
            HandsetEngine::ALL.to_vec()
        } else {
            self.handset_engines.clone()
        }
    }

    pub(super) fn validate(&self) -> Check {
        for (key, &[min, max]) in &self.factors {
            let at = KeyPath::of(&["swarm", "factors", key]);
            let row = crate::workload_table::row_of(key);
            ensure(row.is_some(), at.clone(), || {
                let keys: Vec<&str> = crate::workload_table::WORKLOAD_TABLE
                    .iter()
                    .map(|r| r.key)
                    .collect();
                format!("is not a key a swarm draws; keys: {}", keys.join(", "))
            })?;
            let row = row.expect("checked");
            ensure(
                min.is_finite()
                    && max.is_finite()
                    && row.min <= min
                    && min <= max
                    && max <= row.max,
                at,
                || {
                    format!(
                        "must be [min, max] with {} <= min <= max <= {}, got [{}, {}]",
                        row.min,
                        row.max,
                        number(min),
                        number(max)
                    )
                },
            )?;
        }
        distinct(
            KeyPath::of(&["swarm", "engines"]),
            &self
                .engines
                .iter()
                .map(|e| format!("{e:?}"))
                .collect::<Vec<_>>(),
        )?;
        distinct(
            KeyPath::of(&["swarm", "handset_engines"]),
            &self
                .handset_engines
                .iter()
                .map(HandsetEngine::to_string)
                .collect::<Vec<_>>(),
        )
    }
}
