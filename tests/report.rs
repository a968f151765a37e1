//! `lastcopy report`: the report of a small dedicated scenario
//! (`tests/data/report-small.toml`) as a snapshot, byte-identical files for
//! the same arguments (the provenance line aside), charts that parse as XML
//! with one mark per data point, atomic replacement with `--force`, and bad
//! arguments refused with exit code 2 and the directory left as it was.

use lastcopy::report::{self, Config};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const SMALL: &str = "tests/data/report-small.toml";
const DESIGNS: &str = "fragile-2009,hardened";
const SEEDS: &str = "0..3";

struct Run {
    code: i32,
    stderr: String,
}

fn lastcopy(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_lastcopy"))
        .args(args)
        .output()
        .expect("the binary runs");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("report-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Every file of a directory (and nothing else may be in it), by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("the report directory exists")
        .map(|e| {
            let e = e.expect("dir entry");
            assert!(
                e.file_type().expect("file type").is_file(),
                "only files in a report"
            );
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).expect("readable"),
            )
        })
        .collect()
}

/// Writes the small report to `out` with `extra` arguments.
fn small_report(out: &Path, extra: &[&str]) -> Run {
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec![
        "report",
        SMALL,
        "--designs",
        DESIGNS,
        "--seeds",
        SEEDS,
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    lastcopy(&args)
}

#[test]
fn report_md_of_the_small_case() {
    let dir = temp_dir("snapshot");
    let out = dir.join("small");
    let run = small_report(&out, &["--no-provenance"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files = files(&out);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            ".lastcopy-report",
            "exposure-report-small.svg",
            "loss-rate.svg",
            "report.md",
            "results.json",
            "timeline-report-small-fragile-2009.svg"
        ]
    );
    let md = String::from_utf8(files["report.md"].clone()).expect("utf-8");
    let md = md.replace(out.to_str().expect("utf-8 path"), "DIR");
    insta::assert_snapshot!(md);
}

#[test]
fn the_same_arguments_give_the_same_bytes_but_the_provenance_line() {
    let dir = temp_dir("determinism");
    let out = dir.join("r");
    assert_eq!(small_report(&out, &["--jobs", "1"]).code, 0);
    let first = files(&out);
    assert_eq!(small_report(&out, &["--jobs", "2", "--force"]).code, 0);
    let second = files(&out);
    assert_eq!(small_report(&out, &["--no-provenance", "--force"]).code, 0);
    let bare = files(&out);

    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &first {
        if name != "report.md" {
            assert!(bytes == &second[name], "{name} differs between two runs");
            assert!(bytes == &bare[name], "{name} differs with --no-provenance");
        }
    }
    let lines = |b: &[u8]| -> Vec<String> {
        String::from_utf8(b.to_vec())
            .expect("utf-8")
            .lines()
            .map(String::from)
            .collect()
    };
    let (a, b, c) = (
        lines(&first["report.md"]),
        lines(&second["report.md"]),
        lines(&bare["report.md"]),
    );
    let provenance = |l: &Vec<String>| {
        l.iter()
            .enumerate()
            .filter(|(_, s)| s.starts_with("_Generated "))
            .map(|(i, _)| i)
            .collect::<Vec<_>>()
    };
    assert_eq!(provenance(&a), [2], "one provenance line, under the title");
    assert_eq!(provenance(&b), [2]);
    assert!(provenance(&c).is_empty(), "--no-provenance leaves it out");
    assert!(a[2].contains(concat!("lastcopy ", env!("CARGO_PKG_VERSION"))));
    assert!(a[2].contains(" at commit "));
    let without = |l: &[String]| [&l[..2], &l[4..]].concat();
    assert_eq!(
        without(&a),
        without(&b),
        "only the provenance line may differ"
    );
    assert_eq!(
        without(&a),
        c,
        "--no-provenance is the report less that line"
    );
}

fn elements<'a>(doc: &'a roxmltree::Document<'a>, tag: &str, class: &str) -> usize {
    doc.descendants()
        .filter(|n| n.has_tag_name(tag) && n.attribute("class") == Some(class))
        .count()
}

#[test]
fn every_chart_parses_as_xml_with_one_mark_per_data_point() {
    let config = Config {
        specs: vec![SMALL.into()],
        designs: DESIGNS.split(',').map(String::from).collect(),
        seeds: lastcopy::seed_range::SeedRange::half_open(0, 3).expect("not empty"),
        overrides: vec![],
        jobs: 2,
        shrink_runs: 100,
        command: "test".into(),
    };
    let cases = report::cases(&config).expect("the small case loads");
    let cells = report::run(cases, &config, &|_| {});
    let files = report::render(&cells, &config, None);
    let svgs: Vec<(&String, roxmltree::Document<'_>)> = files
        .iter()
        .filter(|(name, _)| name.ends_with(".svg"))
        .map(|(name, text)| {
            let doc = roxmltree::Document::parse(text)
                .unwrap_or_else(|e| panic!("{name} is not well-formed XML: {e}"));
            assert_eq!(doc.root_element().tag_name().name(), "svg", "{name}");
            assert_eq!(
                doc.root_element().tag_name().namespace(),
                Some("http://www.w3.org/2000/svg"),
                "{name}: a browser needs the SVG namespace"
            );
            assert!(!text.contains("<script"), "{name}: no script");
            assert!(!text.contains("href="), "{name}: nothing external");
            (name, doc)
        })
        .collect();
    assert_eq!(svgs.len(), 3, "loss rate, exposure, one timeline");
    let svg = |name: &str| {
        &svgs
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .unwrap_or_else(|| panic!("{name} written"))
            .1
    };

    // Loss rate: one bar per scenario and design.
    assert_eq!(
        elements(svg(report::LOSS_RATE_FILE), "rect", "bar"),
        cells.len()
    );

    // Exposure: one point per design and simulated hour.
    let hours: usize = cells
        .iter()
        .map(|c| report::exposure_per_hour(&c.seeds).len())
        .sum();
    assert!(
        hours >= 2 * 12,
        "at least the 12 h safety phase for each design"
    );
    assert_eq!(
        elements(
            svg(&report::exposure_file("report-small")),
            "circle",
            "point"
        ),
        hours
    );

    // Timeline: the broken cell's; one rect per copy of the record, one
    // circle per fault that hit a lane.
    let broken: Vec<&report::Cell> = cells
        .iter()
        .filter(|c| c.representative.is_some())
        .collect();
    assert_eq!(broken.len(), 1, "fragile-2009 breaks, hardened keeps");
    let cell = broken[0];
    let rep = cell.representative.as_ref().expect("representative");
    let t = rep.timeline.as_ref().expect("a record failed");
    let doc = svg(&report::timeline_file("report-small", &cell.design));
    let (copies, faults) = t.marks();
    assert_eq!(elements(doc, "rect", "copy"), copies);
    assert_eq!(elements(doc, "circle", "fault"), faults);
    let lanes: Vec<&str> = t.lanes.iter().map(|l| l.role.as_str()).collect();
    assert_eq!(
        lanes[..4],
        ["handset flash", "primary", "backup", "snapshot"]
    );
    assert_eq!(elements(doc, "g", "lane"), t.lanes.len());
    // Counted independently: every copy of the record the trace created.
    let run = cell.case.run_seed(rep.seed);
    let created = run
        .output
        .trace
        .events()
        .iter()
        .filter(|e| {
            e.kind == sim::trace::EngineEvent::CopyCreated
                && e.str("record") == Some(t.record.as_str())
        })
        .count();
    assert_eq!(copies, created);
    assert!(faults > 0, "the faults that ended its copies are drawn");
}

#[test]
fn force_replaces_a_report_and_nothing_else() {
    let dir = temp_dir("force");
    let out = dir.join("r");
    let quick = ["--designs", "hardened", "--seeds", "0..1"];
    let path = out.to_str().expect("utf-8");
    let run = |extra: &[&str]| {
        let mut args = vec!["report", SMALL, "--out", path];
        args.extend_from_slice(&quick);
        args.extend_from_slice(extra);
        lastcopy(&args)
    };
    let first = run(&[]);
    assert_eq!(first.code, 0);
    assert_eq!(
        first.stderr, "",
        "no progress bar when stderr is not a terminal"
    );
    std::fs::write(out.join("stale.txt"), "from before").expect("write");
    let again = run(&[]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("already exists; pass --force"),
        "{}",
        again.stderr
    );
    assert!(out.join("stale.txt").exists(), "left as it was");
    assert_eq!(run(&["--force"]).code, 0);
    assert!(!out.join("stale.txt").exists(), "replaced as a whole");
    assert!(out.join("report.md").exists());
    let leftovers: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(
        leftovers,
        ["r"],
        "no temporary or old directory left beside it"
    );

    // --force replaces only a report lastcopy wrote: not a directory that
    // holds other files.
    let other = dir.join("not-a-report");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("notes.txt"), "mine").expect("write");
    let mut args = vec![
        "report",
        SMALL,
        "--out",
        other.to_str().expect("utf-8"),
        "--force",
    ];
    args.extend_from_slice(&quick);
    let refused = lastcopy(&args);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("no .lastcopy-report marker"),
        "{}",
        refused.stderr
    );
    assert!(other.join("notes.txt").exists());
}

#[test]
fn bad_arguments_exit_2_and_leave_the_directory_as_it_was() {
    let dir = temp_dir("bad-args");
    let out = dir.join("r");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::write(out.join("report.md"), "an earlier report").expect("write");
    let path = out.to_str().expect("utf-8");
    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").expect("write");
    let under_file = file.join("r");
    let missing = dir.join("missing/r");
    let cases: [(&[&str], &str); 7] = [
        (
            &[
                "report",
                SMALL,
                "--designs",
                "fragile-2009,nope",
                "--out",
                path,
                "--force",
            ],
            "unknown design `nope`; presets: fragile-2009, hardened",
        ),
        (
            &["report", SMALL, "--seeds", "5..5", "--out", path, "--force"],
            "the range is empty",
        ),
        (
            &["report", SMALL, "--seeds", "9..3", "--out", path, "--force"],
            "the range is empty",
        ),
        (
            &["report", "no-such-scenario", "--out", path, "--force"],
            "no-such-scenario",
        ),
        (
            &[
                "report",
                SMALL,
                "--out",
                under_file.to_str().expect("utf-8"),
            ],
            "a-file is not a directory",
        ),
        (
            &["report", SMALL, "--out", missing.to_str().expect("utf-8")],
            "no such directory",
        ),
        (&["report", SMALL, "--out", "."], "must name a directory"),
    ];
    for (args, message) in cases {
        let run = lastcopy(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: ") && run.stderr.contains(message),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(
            std::fs::read_to_string(out.join("report.md")).expect("still there"),
            "an earlier report",
            "{args:?}"
        );
        assert_eq!(std::fs::read_dir(&out).expect("dir").count(), 1, "{args:?}");
        assert_eq!(
            std::fs::read_dir(&dir).expect("dir").count(),
            2,
            "{args:?}: nothing beside it"
        );
    }
}

#[test]
fn the_readme_quotes_the_checked_in_report() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let report = std::fs::read_to_string(root.join("reports/sidekick-2009/report.md"))
        .expect("reports/sidekick-2009/report.md is checked in");
    let section = readme
        .split_once("\n## Reports\n")
        .expect("README has a Reports section")
        .1;
    let regenerate = report
        .lines()
        .find_map(|l| l.strip_prefix("- Regenerate: `"))
        .and_then(|l| l.strip_suffix('`'))
        .expect("the report says how to regenerate it");
    assert!(section.contains(regenerate), "README shows `{regenerate}`");
    let table: Vec<&str> = section.lines().filter(|l| l.starts_with('|')).collect();
    assert!(table.len() >= 4, "README quotes the main table");
    assert!(
        report.contains(&table.join("\n")),
        "README's table is the checked-in report's: regenerate both"
    );
}
