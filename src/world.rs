//! The world: one seed's run of the sidekick-2009 system on the engine.
//!
//! It builds the topology a scenario and design call for, drives the users'
//! workload and the fault plan on simulated time, then heals: the workload
//! stops, no new faults are injected, every node shuts down cleanly and
//! boots from its own disk (the operator is told again of storage that came
//! back at heal), and the world waits until every handset (and web portal)
//! and the server serve the same versions, or the heal bound passes. It repairs
//! nothing itself. What it hands on is the trace, the ledger and the final
//! state: what each place serves.

use crate::inject::{FollowUp, Injector};
use crate::places;
use crate::scenario::Scenario;
use crate::system::{self, System};
use crate::trigger::{Context, Triggers};
use models::design::Design;
use models::fault::Fault;
use models::ledger::Ledger;
use models::msg::Input;
use models::node::Node;
use models::record::{RecordId, Row, VersionId};
use models::workload::{Workload, WorkloadConfig};
use sim::buggify::{Buggify, SiteCount};
use sim::fields;
use sim::host::{lock_disk, Addr, Boot, Clock, Cluster, DiskHandle};
use sim::lineage::Lineage;
use sim::plan::Plan;
use sim::rng::Seeds;
use sim::time::SimTime;
use sim::trace::{kind, Trace, Tracer};
use std::collections::BTreeMap;
use std::time::Duration;

/// What each place serves at the end of the run, per user.
#[derive(Clone, Debug, Default)]
pub struct FinalState {
    /// Per user: what the handset serves (None if it never came back up).
    pub handsets: BTreeMap<u32, Option<BTreeMap<RecordId, Row>>>,
    /// Per user: what the server serves (None if the primary is down or
    /// awaiting a restore).
    pub server: BTreeMap<u32, Option<BTreeMap<RecordId, Row>>>,
    /// Per user: what the user's web portal serves (empty when the run has
    /// no portals; None if it never came back up).
    pub portals: BTreeMap<u32, Option<BTreeMap<RecordId, Row>>>,
    /// Whether every handset and the server converged during heal.
    pub converged: bool,
    /// When heal converged, as time since heal began.
    pub converged_after: Option<Duration>,
}

/// Everything one seed's run produced, before it is judged.
pub struct RunOutput {
    /// The trace.
    pub trace: Trace,
    /// The ghost ledger.
    pub ledger: Ledger,
    /// What each place serves at the end.
    pub final_state: FinalState,
    /// Faults fired per plan id.
    pub fired: Vec<u32>,
    /// Faults marked effective, by plan id.
    pub effective: Vec<u32>,
    /// Messages delivered.
    pub messages: u64,
    /// Edits the users could not make because their handset was off.
    pub edits_skipped: u64,
    /// Per buggify site reached (in name order): whether it was active and
    /// how often it fired; empty when the scenario leaves buggify off.
    pub buggify: BTreeMap<&'static str, SiteCount>,
    /// Per disk (by device name, such as `handset-3/flash`), a hash of its
    /// bytes when the run ended (`sim::disk::Disk::contents_hash`): what a
    /// read sees and what is durable. Not part of the trace hash; the same
    /// seed gives the same hashes whatever ran before it or beside it.
    pub disks: BTreeMap<String, u64>,
}

#[derive(Clone, Debug)]
enum Action {
    Edit {
        addr: Addr,
        record: RecordId,
        version: VersionId,
        creates: bool,
        deletes: bool,
    },
    Fault(usize),
    /// Arm a triggered fault (by plan index): it strikes when its step comes.
    Arm(usize),
    /// A triggered fault's window is over (by plan id).
    Expire(u32),
    Notice {
        array: String,
        at_ms: u64,
    },
    Then(FollowUp),
}

/// The workload `scenario` draws for `seed`.
pub fn draw_workload(scenario: &Scenario, seed: u64) -> Workload {
    let cfg = WorkloadConfig {
        edits_per_day: scenario.workload.edits_per_handset_day,
        new_record_probability: scenario.workload.new_record_probability,
        max_records: scenario.workload.max_records_per_handset,
        delete_probability: scenario.workload.delete_probability,
        portal_edits_per_day: scenario.workload.portal_edits_per_user_day,
    };
    Workload::draw(
        &Seeds::new(seed),
        scenario.topology.handsets,
        &cfg,
        scenario.run.duration,
    )
}

/// Runs one seed of `scenario` under `design` with `plan` and `workload`.
/// The seed drives madsim's own draws (scheduling, latency).
pub fn run(
    scenario: &Scenario,
    design: &Design,
    plan: &Plan<Fault>,
    workload: &Workload,
    seed: u64,
) -> RunOutput {
    let mut config = madsim::Config::default();
    if scenario.system.network_latency != crate::scenario::System::DEFAULT_LATENCY {
        // Only a latency the scenario changed touches madsim's config, so
        // plain runs keep madsim's own (and their traces).
        config.net.send_latency = Duration::from_millis(1)..scenario.system.network_latency;
    }
    let mut rt = madsim::runtime::Runtime::with_seed_and_config(seed, config);
    let limit = scenario.run.duration + scenario.run.heal_bound + Duration::from_secs(7 * 86_400);
    rt.set_time_limit(limit);
    rt.block_on(simulate(
        scenario.clone(),
        design.clone(),
        plan.clone(),
        workload.clone(),
        seed,
    ))
}

async fn simulate(
    scenario: Scenario,
    design: Design,
    plan: Plan<Fault>,
    workload: Workload,
    seed: u64,
) -> RunOutput {
    let tracer = Tracer::new();
    let lineage = Lineage::new(tracer.clone());
    let System {
        nodes,
        volumes,
        ledger,
        clocks,
    } = system::build(&scenario, &design);
    let portals = system::has_portals(&scenario);
    system::watch_promises(&lineage, &ledger);
    let clock = Clock::start();
    let cluster: Cluster<Node> = Cluster::new(clock, tracer.clone(), lineage.clone());
    cluster.set_sealed_frames(design.wire_checksum);
    // Buggify's sites draw from streams keyed by the seed and their names;
    // off, they draw nothing and the run is the plain one.
    let buggify = if scenario.buggify {
        let b = Buggify::enabled(seed);
        cluster.set_buggify(b.clone());
        b
    } else {
        Buggify::disabled()
    };
    let handsets = scenario.topology.handsets;
    let (primary, operator, handset_addr) =
        (system::PRIMARY, system::OPERATOR, system::handset_addr);
    let mut disks: Vec<(String, DiskHandle)> = Vec::new();
    for spec in nodes {
        disks.extend(spec.disks.iter().cloned());
        let addr = cluster.add(&spec.name, spec.disks, spec.factory);
        debug_assert_eq!(cluster.name_of(addr), spec.name);
    }

    // The timeline: edits, faults and what they set in motion.
    let mut queue: BTreeMap<(SimTime, u64), Action> = BTreeMap::new();
    let mut order = 0u64;
    let mut push = |queue: &mut BTreeMap<(SimTime, u64), Action>, at: SimTime, a: Action| {
        order += 1;
        queue.insert((at, order), a);
    };
    let writers = workload
        .handsets
        .iter()
        .map(|hw| (handset_addr(hw.handset), hw))
        .chain(
            workload
                .portals
                .iter()
                .filter(|_| portals)
                .map(|hw| (system::portal_addr(handsets, hw.handset), hw)),
        );
    for (addr, hw) in writers.filter(|(_, hw)| hw.handset < handsets) {
        for e in &hw.edits {
            let edit = Action::Edit {
                addr,
                record: e.record,
                version: e.version,
                creates: e.creates,
                deletes: e.deletes,
            };
            push(&mut queue, e.at, edit);
        }
    }
    for (i, f) in plan.faults.iter().enumerate() {
        if let Fault::BotchedUpgrade { notice_ms, .. } = f.kind {
            let at = SimTime(f.at.as_millis().saturating_sub(notice_ms));
            push(
                &mut queue,
                at,
                Action::Notice {
                    array: f.target.clone(),
                    at_ms: f.at.as_millis(),
                },
            );
        }
        match f.kind {
            Fault::MidSyncPull { window_ms, .. } => {
                push(&mut queue, f.at, Action::Arm(i));
                let end = f.at.after(Duration::from_millis(window_ms));
                push(&mut queue, end, Action::Expire(f.id));
            }
            _ => push(&mut queue, f.at, Action::Fault(i)),
        }
    }

    let injector = Injector {
        cluster: &cluster,
        ledger: &ledger,
        volumes: &volumes,
        handsets,
        operator,
        clocks: &clocks,
    };
    let triggers = Triggers::new(Context {
        cluster: cluster.clone(),
        ledger: ledger.clone(),
        volumes: volumes.clone(),
        clocks: clocks.clone(),
        handsets,
        operator,
    });
    // Steps are watched only when some fault waits for one.
    if plan
        .faults
        .iter()
        .any(|f| matches!(f.kind, Fault::MidSyncPull { .. }))
    {
        cluster.watch_steps(Some(triggers.watch()));
    }
    let mut fired = Vec::new();
    let mut edits_skipped = 0u64;
    let end = SimTime::from(scenario.run.duration);
    tracer.emit(
        clock.now(),
        "harness",
        kind::PHASE,
        fields!["phase" => "safety"],
    );
    while let Some(((at, _), action)) = queue.pop_first() {
        if at >= end {
            queue.insert((at, 0), action);
            break;
        }
        clock.sleep_until(at).await;
        match action {
            Action::Edit {
                addr,
                record,
                version,
                creates,
                deletes,
            } => {
                let edit = Input::Edit {
                    record,
                    version,
                    creates,
                    deletes,
                };
                if !cluster.input(addr, edit) {
                    edits_skipped += 1;
                }
            }
            Action::Notice { array, at_ms } => {
                cluster.input(operator, Input::UpgradeNotice { array, at_ms });
            }
            Action::Then(next) => injector.carry_out(next),
            Action::Arm(i) => triggers.arm(&plan.faults[i]),
            Action::Expire(id) => triggers.expire(id),
            Action::Fault(i) => {
                fired.push(plan.faults[i].id);
                for next in injector.apply(&plan.faults[i]) {
                    push(&mut queue, next.at(), Action::Then(next));
                }
            }
        }
    }
    clock.sleep_until(end).await;

    // Heal: no new faults; what faults set in motion completes at once
    // (arrays come back, full disks get space, network faults end and
    // frames held in transit are dropped); every node shuts down
    // cleanly and boots from its own disk.
    tracer.emit(
        clock.now(),
        "harness",
        kind::PHASE,
        fields!["phase" => "heal"],
    );
    triggers.close();
    cluster.watch_steps(None);
    // Storage that comes back is announced to the operator only after the
    // clean reboot, so that the reboot does not make it forget the restore.
    let mut back_after_reboot = Vec::new();
    for (_, action) in std::mem::take(&mut queue) {
        match action {
            Action::Then(next @ FollowUp::StorageBack { .. }) => back_after_reboot.push(next),
            Action::Then(next) => injector.carry_out(next),
            _ => {}
        }
    }
    cluster.heal_net_faults();
    for addr in cluster.addrs() {
        cluster.heal_network(addr);
        cluster.shutdown(addr);
        lineage.set_blame(&cluster.name_of(addr), None);
        cluster.boot(addr, Boot::Clean, true);
    }
    if !back_after_reboot.is_empty() {
        // Boots happen asynchronously: let the operator come up first.
        madsim::time::sleep(Duration::from_secs(1)).await;
        for next in back_after_reboot {
            injector.carry_out(next);
        }
    }
    let heal_start = clock.now();
    let deadline = heal_start.after(scenario.run.heal_bound);
    let mut converged_after = None;
    loop {
        madsim::time::sleep(scenario.run.converge_check).await;
        if converged(&cluster, handsets, portals, primary) {
            converged_after = Some(clock.now().since(heal_start));
            break;
        }
        if clock.now() >= deadline {
            break;
        }
    }
    tracer.emit(
        clock.now(),
        "harness",
        kind::PHASE,
        fields!["phase" => "check", "converged" => converged_after.is_some()],
    );
    let final_state = FinalState {
        converged: converged_after.is_some(),
        converged_after,
        ..views(&cluster, handsets, portals, primary)
    };
    fired.extend(triggers.fired());
    let mut effective: Vec<u32> = lineage.effective().into_iter().collect();
    effective.sort_unstable();
    let output = RunOutput {
        trace: tracer.snapshot(),
        ledger: ledger.snapshot(),
        final_state,
        fired,
        effective,
        messages: cluster.messages_delivered(),
        edits_skipped,
        buggify: buggify.counts(),
        disks: disks
            .iter()
            .map(|(name, d)| (name.clone(), lock_disk(d).contents_hash()))
            .collect(),
    };
    // Nothing of the run may outlive it (see `Cluster::end`).
    cluster.end();
    output
}

/// Whether every user's places agree now ([`places::agree`]), stopping at
/// the first user apart.
fn converged(cluster: &Cluster<Node>, handsets: u32, portals: bool, primary: Addr) -> bool {
    (0..handsets).all(|u| {
        let portal = portals.then(|| system::portal_addr(handsets, u));
        let others = std::iter::once(system::handset_addr(u))
            .chain(portal)
            .map(|a| writer_view(cluster, a));
        places::agree(server_view(cluster, primary, u).as_ref(), others)
    })
}

/// What the handset or portal at `addr` serves (None: down).
fn writer_view(cluster: &Cluster<Node>, addr: Addr) -> Option<places::View> {
    let v = cluster.with_machine(addr, |n| match n {
        Node::Handset(h) => Some(h.view()),
        _ => None,
    });
    v.flatten()
}

/// What the primary serves of user `u` (None: down or not serving).
fn server_view(cluster: &Cluster<Node>, primary: Addr, u: u32) -> Option<places::View> {
    let v = cluster.with_machine(primary, |n| match n {
        Node::Database(d) if d.serving() => Some(d.view(u)),
        _ => None,
    });
    v.flatten()
}

/// What each place serves now (see [`places`]), with no convergence yet.
fn views(cluster: &Cluster<Node>, handsets: u32, portals: bool, primary: Addr) -> FinalState {
    let mut fs = FinalState::default();
    for u in 0..handsets {
        fs.handsets
            .insert(u, writer_view(cluster, system::handset_addr(u)));
        if portals {
            let portal = system::portal_addr(handsets, u);
            fs.portals.insert(u, writer_view(cluster, portal));
        }
        fs.server.insert(u, server_view(cluster, primary, u));
    }
    fs
}
