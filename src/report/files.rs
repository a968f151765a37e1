//! The names of a report's files: fixed ones, and one per chart, unique by
//! construction whatever the scenario and design names are.

use super::Cell;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

/// The report itself.
pub const REPORT_MD: &str = "report.md";

/// Every seed's stats, to re-plot.
pub const RESULTS_JSON: &str = "results.json";

/// The file name of the loss-rate chart.
pub const LOSS_RATE_FILE: &str = "loss-rate.svg";

/// The longest part of a chart's file name taken from one scenario or
/// design name: two of them, the prefix and a suffix stay far under the
/// 255 bytes a file name may have.
const MAX_WORD: usize = 100;

/// A name safe in a file name: letters, digits, `.`, `-` and `_` kept,
/// anything else `_`, cut to 100 characters. Different names can give the
/// same word: [`FileNames`] makes the file names unique.
pub fn file_word(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(MAX_WORD)
        .collect()
}

/// The file name a scenario's exposure chart has unless it collides with
/// another chart's ([`FileNames::exposure`] gives the one used).
pub fn exposure_file(scenario: &str) -> String {
    format!("exposure-{}.svg", file_word(scenario))
}

/// The file name a cell's timeline chart has unless it collides with
/// another chart's ([`FileNames::timeline`] gives the one used).
pub fn timeline_file(scenario: &str, design: &str) -> String {
    format!("timeline-{}-{}.svg", file_word(scenario), file_word(design))
}

/// The file name of every chart of one report: each the name it wants
/// ([`exposure_file`], [`timeline_file`]) unless an earlier one (in report
/// order: exposures by scenario, then timelines by cell), a fixed file or
/// the directory's marker has it, compared without regard to case (for
/// case-insensitive file systems); then the same with `-2`, `-3`, ...
/// before `.svg`, the first that is free. So no two files of a report share
/// a name, and the same cells always give the same names.
#[derive(Clone, Debug, Default)]
pub struct FileNames {
    exposure: BTreeMap<String, String>,
    timeline: BTreeMap<(String, String), String>,
}

impl FileNames {
    /// The names of the charts of `cells`' scenarios and cells.
    pub fn of(cells: &[Cell]) -> Self {
        let pairs: Vec<(&str, &str)> = cells
            .iter()
            .map(|c| (c.scenario(), c.design.as_str()))
            .collect();
        FileNames::new(&pairs)
    }

    /// The names of the charts of cells given as (scenario, design), in
    /// report order.
    pub fn new(cells: &[(&str, &str)]) -> Self {
        let mut taken: BTreeSet<String> = [
            REPORT_MD,
            RESULTS_JSON,
            LOSS_RATE_FILE,
            crate::output::MARKER,
        ]
        .iter()
        .map(|n| n.to_ascii_lowercase())
        .collect();
        let mut claim = |wanted: String| -> String {
            let stem = wanted.strip_suffix(".svg").unwrap_or(&wanted).to_string();
            let mut name = wanted;
            let mut n = 2u64;
            while !taken.insert(name.to_ascii_lowercase()) {
                name = format!("{stem}-{n}.svg");
                n += 1;
            }
            name
        };
        let mut names = FileNames::default();
        for (scenario, _) in cells {
            if let Entry::Vacant(e) = names.exposure.entry(scenario.to_string()) {
                e.insert(claim(exposure_file(scenario)));
            }
        }
        for (scenario, design) in cells {
            let key = (scenario.to_string(), design.to_string());
            if let Entry::Vacant(e) = names.timeline.entry(key) {
                e.insert(claim(timeline_file(scenario, design)));
            }
        }
        names
    }

    /// The file name of `scenario`'s exposure chart.
    pub fn exposure(&self, scenario: &str) -> String {
        self.exposure
            .get(scenario)
            .cloned()
            .unwrap_or_else(|| exposure_file(scenario))
    }

    /// The file name of the timeline chart of `scenario` under `design`.
    pub fn timeline(&self, scenario: &str, design: &str) -> String {
        self.timeline
            .get(&(scenario.to_string(), design.to_string()))
            .cloned()
            .unwrap_or_else(|| timeline_file(scenario, design))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_map_to_one_word_get_different_files() {
        let cells = [
            ("a/b", "hardened"),
            ("a_b", "hardened"),
            ("A_B", "hardened"),
            ("a_b-2", "hardened"),
            ("x-hardened", "y"),
            ("x", "hardened-y"),
            ("loss", "rate"),
        ];
        let names = FileNames::new(&cells);
        assert_eq!(names.exposure("a/b"), "exposure-a_b.svg");
        assert_eq!(names.exposure("a_b"), "exposure-a_b-2.svg");
        assert_eq!(names.exposure("A_B"), "exposure-A_B-3.svg");
        assert_eq!(names.exposure("a_b-2"), "exposure-a_b-2-2.svg");
        assert_eq!(
            names.timeline("x-hardened", "y"),
            "timeline-x-hardened-y.svg"
        );
        assert_eq!(
            names.timeline("x", "hardened-y"),
            "timeline-x-hardened-y-2.svg"
        );
        let mut all: Vec<String> = cells
            .iter()
            .flat_map(|(s, d)| [names.exposure(s), names.timeline(s, d)])
            .collect();
        all.extend([REPORT_MD, RESULTS_JSON, LOSS_RATE_FILE].map(String::from));
        let lower: BTreeSet<String> = all.iter().map(|n| n.to_ascii_lowercase()).collect();
        assert_eq!(lower.len(), all.len(), "{all:?}");
        assert!(all.iter().all(|n| n.len() < 255));
    }

    #[test]
    fn names_without_collisions_keep_their_wanted_names() {
        let names = FileNames::new(&[
            ("sidekick-2009", "fragile-2009"),
            ("sidekick-2009", "hardened"),
        ]);
        assert_eq!(
            names.exposure("sidekick-2009"),
            "exposure-sidekick-2009.svg"
        );
        assert_eq!(
            names.timeline("sidekick-2009", "fragile-2009"),
            "timeline-sidekick-2009-fragile-2009.svg"
        );
    }

    #[test]
    fn long_names_make_short_enough_files() {
        let long = "s".repeat(1000);
        let names = FileNames::new(&[(&long, &long), (&long, "d")]);
        assert!(names.timeline(&long, &long).len() < 255);
        assert!(names.exposure(&long).len() < 255);
    }
}
