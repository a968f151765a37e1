//! The checker can fail, knob by knob: every defence of the hardened design
//! is either shown necessary (flipped alone to its 2009 value, a catalogue
//! scenario, in places focused by `--set` rates, then breaks on a seed where
//! the unflipped design keeps) or listed as redundant here, with why. A
//! knob added to `Design` without either fails this test.

mod common;

use lastcopy::runner::Summary;
use models::design::Design;

/// A knob flipped alone, the catalogue scenario it then breaks, the
/// overrides (if any) that focus the scenario on the faults that matter
/// (applied in order, later ones winning), and a seed it breaks on.
struct Necessary {
    flip: &'static str,
    scenario: &'static str,
    focus: &'static [&'static [&'static str]],
    seed: u64,
}

/// Heavy corruption in transit on a quiet partitions (after common::QUIET_NETWORK).
const HEAVY_CORRUPTION: [&str; 3] = [
    "faults.network.transit_corruption_per_link_day=12",
    "faults.network.corrupt_share=1",
    "workload.edits_per_handset_day=50",
];

/// Hours-long delays and factory resets on a quiet partitions.
const DELAYS_AND_RESETS: [&str; 4] = [
    "faults.network.long_delay_per_link_day=3",
    "faults.network.delay_share=0.5",
    "faults.reset_per_handset_day=2",
    "workload.edits_per_handset_day=50",
];

const NECESSARY: &[Necessary] = &[
    Necessary {
        flip: "saved_ack=on-write",
        scenario: "lying-disk",
        focus: &[],
        seed: 0,
    },
    Necessary {
        flip: "handset_store=cache",
        scenario: "double-failure",
        focus: &[],
        seed: 0,
    },
    Necessary {
        flip: "digest_sync=false",
        scenario: "battery-pulls",
        focus: &[],
        seed: 0,
    },
    Necessary {
        flip: "upgrade_snapshot=false",
        scenario: "sidekick-2009",
        focus: &[],
        seed: 0,
    },
    Necessary {
        flip: "offline_refresh=true",
        scenario: "partitions",
        focus: &[],
        seed: 0,
    },
    Necessary {
        flip: "conflict_copies=false",
        scenario: "two-writers",
        focus: &[],
        seed: 0,
    },
    Necessary {
        flip: "hlc=false",
        scenario: "two-writers",
        focus: &[],
        seed: 1,
    },
    Necessary {
        flip: "keep_tombstones=false",
        scenario: "two-writers",
        focus: &[],
        seed: 0,
    },
    Necessary {
        flip: "absence_deletes=true",
        scenario: "two-writers",
        focus: &[],
        seed: 0,
    },
    Necessary {
        flip: "restore_checks_freshness=false",
        scenario: "stale-restore",
        focus: &[],
        seed: 0,
    },
    Necessary {
        flip: "restore_checks_account=false",
        scenario: "stale-restore",
        focus: &[],
        seed: 16,
    },
    Necessary {
        flip: "migration_checked=false",
        scenario: "botched-upgrade",
        focus: &[],
        seed: 0,
    },
    Necessary {
        flip: "protocol_negotiation=false",
        scenario: "botched-upgrade",
        focus: &[],
        seed: 7,
    },
    Necessary {
        flip: "wire_checksum=false",
        scenario: "partitions",
        focus: &[&common::QUIET_NETWORK, &HEAVY_CORRUPTION],
        seed: 71,
    },
    Necessary {
        flip: "sqlite_synchronous=normal",
        scenario: "sqlite-handsets",
        focus: &[],
        seed: 0,
    },
    Necessary {
        flip: "idempotent_commit=false",
        scenario: "partitions",
        focus: &[&common::QUIET_NETWORK, &DELAYS_AND_RESETS],
        seed: 0,
    },
];

/// Knobs no catalogue scenario breaks when flipped alone on hardened, and
/// why: each is a second layer behind another hardened defence in this
/// model (each is shown necessary on fragile-2009 or in a model test where
/// its helper's tests say so).
const REDUNDANT: &[(&str, &str)] = &[
    ("epoch_resets_cursor", "digest sync already sends the whole state whenever the server's data changed under a new epoch"),
    ("backup_independent", "the verified snapshot on another array covers announced upgrades, and handsets that keep their records re-upload what any restore lacks"),
    ("blank_boot", "an empty primary serving under a new epoch is refilled by handsets that keep their records, through digest sync"),
    ("verified_restore", "rows are checked end to end again when the primary reads them (verify_reads) and handsets re-upload what was rejected"),
    ("verify_reads", "stores checksum every entry by position and frames are sealed: a spoiled row is caught before end-to-end checks see it"),
    ("scrub", "digest sync every half hour repairs a spoiled copy from another before a second fault can strike it, within the atlas"),
    ("failover_bumps_epoch", "digest sync sees the promoted copy's different data whatever its epoch (tests/operations.rs)"),
    ("backup_verified", "handsets hold full copies and re-upload what a restore from a bad backup lacks; needed on fragile-2009 (tests/operations.rs)"),
    ("sqlite_journal_mode", "both presets run a SQLite handset store in WAL mode, so the flip changes nothing; what each journal mode survives is measured by `lastcopy durability` (tests/durability.rs)"),
    ("retention_keeps_verified", "as backup_verified: a second defence behind handset re-upload (tests/operations.rs)"),
];

fn knob(flip: &str) -> &str {
    flip.split('=').next().expect("KNOB=VALUE")
}

#[test]
fn every_hardened_knob_is_shown_necessary_or_listed_as_redundant() {
    let fields = toml::Table::try_from(Design::hardened()).expect("a table");
    let mut classified: Vec<&str> = NECESSARY.iter().map(|n| knob(n.flip)).collect();
    classified.extend(REDUNDANT.iter().map(|(k, _)| *k));
    for field in fields.keys() {
        assert!(
            classified.contains(&field.as_str()),
            "knob {field} is neither shown necessary nor listed as redundant"
        );
    }
    assert_eq!(classified.len(), fields.len(), "each knob classified once");
}

/// Under the survivable atlas, knobs whose seed breaks on another seed of
/// the same scenario and focus (the atlas skips a fault the plain seed's
/// loss needed, but not every such chain).
const ATLAS_SEEDS: &[(&str, u64)] = &[("migration_checked", 1), ("idempotent_commit", 1)];

/// Knobs the survivable atlas makes unnecessary in their scenario, and why:
/// every loss they prevent needs a fault on the last copy of acknowledged
/// data, which the atlas skips (checked on 60 seeds of each of
/// two-writers, stale-restore and restore-resets).
const ATLAS_REMOVES: &[(&str, &str)] = &[
    ("keep_tombstones", "a resurrection needs the primary, with the only copy of a portal's edits, lost (two-writers' device losses): skipped"),
    ("restore_checks_freshness", "a stale restore loses data only if a reset then wipes the handset with the last copy of what the image lacks: skipped"),
];

#[test]
fn each_necessary_knob_flipped_alone_breaks_its_scenario() {
    assert_each_knob_necessary(false);
}

/// With the survivable atlas on, faults that would strike the last copy of
/// acknowledged data are skipped: each knob must still be necessary
/// against the faults that are left, but those [`ATLAS_REMOVES`] names.
#[test]
fn each_necessary_knob_flipped_alone_breaks_its_scenario_under_the_survivable_atlas() {
    let named = ATLAS_REMOVES.iter().map(|(k, _)| *k);
    for k in named.chain(ATLAS_SEEDS.iter().map(|(k, _)| *k)) {
        assert!(
            NECESSARY.iter().any(|n| knob(n.flip) == k),
            "{k} is not in NECESSARY"
        );
    }
    assert_each_knob_necessary(true);
}

/// Each knob of [`NECESSARY`], flipped alone (with the survivable atlas on
/// if `atlas`, on its [`ATLAS_SEEDS`] seed, but for [`ATLAS_REMOVES`]),
/// breaks its scenario on its seed where hardened keeps.
fn assert_each_knob_necessary(atlas: bool) {
    let check = |n: &Necessary| -> Option<String> {
        let mut overrides: Vec<&str> = n.focus.concat();
        let mut n = Necessary { ..*n };
        if atlas {
            if ATLAS_REMOVES.iter().any(|(k, _)| *k == knob(n.flip)) {
                return None;
            }
            overrides.push("faults.survivable=true");
            if let Some((_, seed)) = ATLAS_SEEDS.iter().find(|(k, _)| *k == knob(n.flip)) {
                n.seed = *seed;
            }
        }
        let kept =
            Summary::of(&common::case(n.scenario, "hardened", &overrides).sweep([n.seed], 1));
        let flip = format!("design.{}", n.flip);
        overrides.push(&flip);
        let broke =
            Summary::of(&common::case(n.scenario, "hardened", &overrides).sweep([n.seed], 1));
        (kept.failed != 0 || broke.failed == 0).then(|| {
            format!(
                "{} on {} seed {}: hardened {kept}; flipped {broke}",
                n.flip, n.scenario, n.seed
            )
        })
    };
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = NECESSARY
            .iter()
            .map(|n| s.spawn(move || check(n)))
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
