//! chaos under swarm testing: every seed draws its own mix of every fault
//! class, and the hardened design keeps the promise on each while its
//! recovery paths are really exercised (a near miss, a record down to its
//! last copies where a fault struck, on at least a fifth of the seeds). The
//! 2009 design breaks under the same draws. The release CLI sweeps far more
//! (`run chaos --design hardened --swarm --seeds 0..500`; README).

mod common;

use harness::rig::Rig;
use lastcopy::rig::Sidekick;
use lastcopy::runner::Summary;
use lastcopy::situations::Situation;
use lastcopy::swarm;
use models::fault::FaultKind;

#[test]
fn hardened_keeps_the_promise_under_swarm_on_chaos_with_near_misses() {
    let seeds: Vec<u64> = (0..common::sweep(40)).collect();
    let hardened = common::case("chaos", "hardened", &[]);
    let outcomes = swarm::sweep(&hardened, seeds.clone(), common::jobs(), false)
        .expect("every drawn configuration loads");
    let s = Summary::of(&outcomes);
    let broke: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.kept_promise())
        .map(|o| format!("seed {} drew {}", o.seed, o.drawn.join(" ")))
        .collect();
    assert!(broke.is_empty(), "{s}\n{}", broke.join("\n"));
    assert!(outcomes.iter().all(|o| !o.drawn.is_empty()));
    let cov = Sidekick::coverage().with_outcomes(&outcomes);
    assert!(
        cov.seeds_near_miss * 5 >= cov.seeds,
        "near misses in only {} of {} seeds:\n{cov}",
        cov.seeds_near_miss,
        cov.seeds
    );

    let fragile = common::case("chaos", "fragile-2009", &[]);
    let outcomes = swarm::sweep(&fragile, seeds, common::jobs(), false).expect("loads");
    let s = Summary::of(&outcomes);
    assert!(s.failed * 2 >= s.seeds, "the 2009 design breaks: {s}");
}

#[test]
fn swarm_draws_switch_classes_off_and_scale_the_rest() {
    let scenario = lastcopy::scenario::Scenario::load("chaos", &[]).expect("loads");
    let mut off = 0;
    let mut scaled = 0;
    for seed in 0..20 {
        for o in swarm::draw(&scenario, seed, false) {
            if o.starts_with("faults.") {
                if o.ends_with("=0") {
                    off += 1;
                } else {
                    scaled += 1;
                }
            }
        }
    }
    assert!(off > 50 && scaled > 50, "off {off}, scaled {scaled}");
    let unbounded = swarm::draw(&scenario, 0, true);
    assert!(unbounded.contains(&"faults.storage.unbounded=true".to_string()));
}

#[test]
fn chaos_races_edits_and_its_hybrid_clocks_can_tie() {
    // Seed 8 of plain chaos under hardened: edit races fire, and a handset
    // set forward past the end of the run leaves a stamp its portal and
    // then the handset itself (set back) count on from, so two versions of
    // a record tie. With skews of at most two hours (chaos before) the
    // clocks catch up and the same seed has no tie.
    let count = |o: &sim::outcome::SeedOutcome| {
        let s = o.situations.get(Situation::EqualStamps.name());
        s.copied().unwrap_or(0)
    };
    let chaos = common::case("chaos", "hardened", &[]).run_seed(8).outcome;
    let races = chaos.faults.get(FaultKind::EditRace.name());
    assert!(races.is_some_and(|c| c.fired > 0), "{:?}", chaos.faults);
    assert!(count(&chaos) > 0, "{:?}", chaos.situations);
    assert!(chaos.kept_promise(), "{:?}", chaos.verdicts);
    let hours = common::case("chaos", "hardened", &["faults.clock_skew_max=2h"]);
    assert_eq!(count(&hours.run_seed(8).outcome), 0);
}
