//! `lastcopy durability` against the README: the README's table of SQLite's
//! durability settings states, per row, what SQLite's documentation leads
//! one to expect; this test runs the command, checks every measured row
//! against that expectation, and checks that the README's counts (both
//! tables) are exactly what the command prints, so the two cannot drift.

use std::collections::BTreeMap;
use std::process::Command;

/// The cells of every Markdown table row in `text` whose first line is
/// `header`, up to the first line that is not a table row.
fn table_rows(text: &str, header: &str) -> Vec<Vec<String>> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(header));
    assert!(lines.next().is_some(), "no table headed {header:?}");
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

fn run_command() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lastcopy"))
        .arg("durability")
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

const DOC_HEADER: &str = "| journal_mode | synchronous | crash | SQLite documents |";
const CMD_HEADER: &str = "| journal_mode | synchronous | crash | points |";
const BEYOND_HEADER: &str = "| fault | journal_mode | synchronous | runs |";

/// The rules of the README's expectation column, applied to one row of
/// counts `(rolled back, partial, corrupt)` and its reason for not
/// showing corruption. `Err` says what is wrong.
fn agrees(expect: &str, rolled_back: u64, broken: u64, reason: &str) -> Result<(), String> {
    match expect {
        "safe" if rolled_back + broken == 0 => Ok(()),
        "safe" => Err("documented safe, yet rolled back, partial or corrupt".into()),
        "may roll back" if rolled_back > 0 && broken == 0 => Ok(()),
        "may roll back" => {
            Err("may roll back: needs a rollback and nothing partial or corrupt".into())
        }
        "may corrupt" if broken > 0 || !reason.is_empty() => Ok(()),
        "may corrupt" => Err("may corrupt: none partial or corrupt and no reason given".into()),
        other => Err(format!("unknown expectation {other:?}")),
    }
}

#[test]
fn the_expectation_rules_can_fail() {
    assert!(agrees("safe", 1, 0, "").is_err());
    assert!(agrees("may roll back", 0, 0, "").is_err());
    assert!(agrees("may roll back", 3, 1, "").is_err());
    assert!(agrees("may corrupt", 5, 0, "").is_err());
    assert!(agrees("may corrupt", 5, 0, "see (a)").is_ok());
    assert!(agrees("sometimes", 0, 0, "").is_err());
}

#[test]
fn the_readme_tables_are_what_the_command_measures_and_what_sqlite_documents() {
    let out = run_command();
    let readme = readme();
    let key = |c: &[String]| (c[0].clone(), c[1].clone(), c[2].clone());

    let measured: BTreeMap<_, Vec<String>> = table_rows(&out, CMD_HEADER)
        .into_iter()
        .map(|c| (key(&c), c[3..8].to_vec()))
        .collect();
    assert_eq!(measured.len(), 48, "6 journal modes x 4 levels x 2 crashes");
    let documented = table_rows(&readme, DOC_HEADER);
    assert_eq!(
        documented.len(),
        48,
        "the README has a row per measured row"
    );
    for c in &documented {
        let what = c[..3].join(" / ");
        let counts = measured
            .get(&key(c))
            .unwrap_or_else(|| panic!("{what}: not measured"));
        assert_eq!(
            &c[4..9],
            &counts[..],
            "{what}: the README's counts are stale"
        );
        let n = |i: usize| c[i].parse::<u64>().unwrap();
        let (rolled_back, broken) = (n(6), n(7) + n(8));
        if let Err(e) = agrees(&c[3], rolled_back, broken, &c[9]) {
            panic!("{what}: {e}");
        }
    }

    let beyond_cmd: Vec<Vec<String>> = table_rows(&out, BEYOND_HEADER)
        .into_iter()
        .map(|c| c[..8].to_vec())
        .collect();
    let beyond_readme: Vec<Vec<String>> = table_rows(&readme, BEYOND_HEADER)
        .into_iter()
        .map(|c| c[..8].to_vec())
        .collect();
    assert!(!beyond_cmd.is_empty());
    assert_eq!(
        beyond_readme, beyond_cmd,
        "the README's storage-fault table is stale"
    );
}
