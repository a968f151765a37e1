//! The `[expect]` and `[test]` sections: what each design preset is expected to do, over how many seeds.

use super::*;

/// `[expect]` entry: the verdict a design preset must reach on this scenario
/// over the seeds that `cargo test` sweeps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ExpectationToml", into = "ExpectationToml")]
pub enum Expectation {
    /// `{ outcome = "keeps" }`: no seed loses an acknowledged record.
    Keeps,
    /// `{ outcome = "breaks", min_share = S }`: at least the share `S`
    /// (0 < S <= 1) of the seeds end with a broken guarantee.
    Breaks {
        /// The least share of seeds that must break.
        min_share: f64,
    },
}

/// The TOML form of an [`Expectation`].
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename = "Expectation", deny_unknown_fields)]
struct ExpectationToml {
    outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_share: Option<f64>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Outcome {
    Keeps,
    Breaks,
}

impl TryFrom<ExpectationToml> for Expectation {
    type Error = String;

    fn try_from(e: ExpectationToml) -> Result<Self, String> {
        match (e.outcome, e.min_share) {
            (Outcome::Keeps, None) => Ok(Expectation::Keeps),
            (Outcome::Keeps, Some(_)) => {
                Err("`min_share` only goes with outcome = \"breaks\"".to_string())
            }
            (Outcome::Breaks, Some(min_share)) => Ok(Expectation::Breaks { min_share }),
            (Outcome::Breaks, None) => Err("outcome = \"breaks\" needs `min_share`, \
                 the least share of seeds that must break (0 < share <= 1)"
                .to_string()),
        }
    }
}

impl From<Expectation> for ExpectationToml {
    fn from(e: Expectation) -> Self {
        match e {
            Expectation::Keeps => ExpectationToml {
                outcome: Outcome::Keeps,
                min_share: None,
            },
            Expectation::Breaks { min_share } => ExpectationToml {
                outcome: Outcome::Breaks,
                min_share: Some(min_share),
            },
        }
    }
}

/// `[test]`: how `cargo test` sweeps this scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TestSettings {
    /// Number of seeds swept, `0..seeds` (>= 1; default 10).
    pub seeds: u32,
}

impl Default for TestSettings {
    fn default() -> Self {
        TestSettings { seeds: 10 }
    }
}

pub(super) fn validate_expect(expect: &BTreeMap<String, Expectation>) -> Check {
    for (name, expectation) in expect {
        let at = KeyPath::of(&["expect", name]);
        ensure(Design::preset(name).is_some(), at.clone(), || {
            format!(
                "`{name}` is not a design preset; presets: {}",
                Design::PRESETS.join(", ")
            )
        })?;
        if let Expectation::Breaks { min_share } = *expectation {
            ensure(
                min_share > 0.0 && min_share <= 1.0,
                at.key("min_share"),
                || {
                    format!(
                        "must be a share above 0 and at most 1, got {}",
                        number(min_share)
                    )
                },
            )?;
        }
    }
    Ok(())
}

impl TestSettings {
    pub(super) fn validate(&self) -> Check {
        ensure(self.seeds >= 1, KeyPath::of(&["test", "seeds"]), || {
            "must be at least 1, got 0".to_string()
        })
    }
}
