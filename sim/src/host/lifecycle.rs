//! A node's lifecycle: power loss, clean shutdown, boot, lost devices and
//! caught panics, each traced.

use super::*;

/// What a power loss destroyed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrashSummary {
    /// Unsynced writes dropped whole.
    pub dropped: usize,
    /// Unsynced writes torn (a prefix of their sectors kept).
    pub torn: usize,
}

/// Why a machine is booting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boot {
    /// The first boot of the run, on disks prepared before faults start.
    First,
    /// After a clean shutdown: every write the node made is on its disks.
    Clean,
    /// After a crash or a caught panic: after a power loss (which a caught
    /// panic is handled as) unsynced writes are gone; after a process
    /// crash ([`Cluster::crash_process`]) the disks hold every write.
    Crash,
}

impl Boot {
    /// The stable name used in the trace.
    pub fn name(self) -> &'static str {
        match self {
            Boot::First => "first",
            Boot::Clean => "clean",
            Boot::Crash => "crash",
        }
    }
}

thread_local! {
    pub(super) static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// Installs (once per process) a panic hook that stays silent for panics
/// caught inside machine steps and defers to the previous hook otherwise.
pub(super) fn install_quiet_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

pub(super) fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

impl<M: Machine> Cluster<M> {
    /// Power loss: fence the node's disks, drop (or tear) their unsynced
    /// writes, kill the node. `fault` names the planned fault, if any.
    /// No-op if the node is already down. Returns how many unsynced writes
    /// were dropped and torn.
    pub fn crash(&self, addr: Addr, mode: CrashMode, fault: Option<u32>) -> CrashSummary {
        let slot = self.slot(addr);
        let mut summary = CrashSummary::default();
        if !slot.state().up {
            return summary;
        }
        for (_, d) in &slot.disks {
            lock_disk(d).fence();
        }
        let now = self.now();
        // The machine goes while its disks are fenced: whatever its drop
        // tries to write (an engine's clean close) fails, as after a power cut.
        self.drop_machine(&slot);
        for (name, d) in &slot.disks {
            let mut disk = lock_disk(d);
            let report = disk.crash(mode.clone());
            summary.dropped += report.dropped_writes();
            summary.torn += report.torn_writes();
            for effect in disk.take_effects() {
                self.trace_disk_effect(now, name, &effect, fault);
            }
        }
        self.take_down(&slot);
        let mut fields =
            crate::fields!["dropped_writes" => summary.dropped, "torn_writes" => summary.torn];
        if let Some(f) = fault {
            fields.push(("fault", f.into()));
        }
        self.shared
            .tracer
            .emit(now, &slot.name, EngineEvent::NodeCrash, fields);
        summary
    }
    /// Process crash: the node's process dies, its device keeps power. Its
    /// disks are fenced while its machine is dropped (so nothing its drop
    /// would write, such as an engine's clean close, reaches them), then
    /// unfenced with every write kept, synced or not. The node is killed
    /// and stays down until [`Cluster::boot`]. `fault` names the planned
    /// fault, if any. No-op if the node is already down.
    pub fn crash_process(&self, addr: Addr, fault: Option<u32>) {
        let slot = self.slot(addr);
        if !slot.state().up {
            return;
        }
        for (_, d) in &slot.disks {
            lock_disk(d).fence();
        }
        self.drop_machine(&slot);
        for (_, d) in &slot.disks {
            lock_disk(d).unfence();
        }
        self.take_down(&slot);
        let fields = fault.map(|f| ("fault", f.into())).into_iter().collect();
        self.shared.tracer.emit(
            self.now(),
            &slot.name,
            EngineEvent::NodeProcessCrash,
            fields,
        );
    }
    /// Kills the node's madsim node and marks it down, machine gone.
    fn take_down(&self, slot: &Slot<M>) {
        Handle::current().kill(self.node_id(slot));
        let mut st = slot.state();
        st.machine = None;
        st.up = false;
        st.inbox = None;
    }
    /// Writes to the trace the disk faults that took effect during a step
    /// of the node, blaming the planned fault that last struck it, and marks
    /// that fault effective.
    pub(super) fn trace_step_effects(&self, slot: &Slot<M>, now: SimTime) {
        for (name, d) in &slot.disks {
            let effects = lock_disk(d).take_effects();
            if effects.is_empty() {
                continue;
            }
            let blame = self.shared.lineage.blame_of(&slot.name);
            for effect in &effects {
                self.trace_disk_effect(now, name, effect, blame);
                if let (Some(f), Some(k)) = (blame, effect.kind()) {
                    let why = format!("{k} took effect on {name}");
                    self.shared.lineage.mark_effective(now, &slot.name, f, &why);
                }
            }
        }
    }
    /// Clean shutdown: sync the node's disks and stop it. Nothing is lost.
    /// No-op if the node is down.
    pub fn shutdown(&self, addr: Addr) {
        let slot = self.slot(addr);
        if !slot.state().up {
            return;
        }
        // The machine goes first, so that an engine closes cleanly; then the
        // disks are synced.
        self.drop_machine(&slot);
        for (_, d) in &slot.disks {
            // A failed sync at shutdown is a disk fault already in the trace.
            let _ = lock_disk(d).shutdown();
        }
        self.take_down(&slot);
        self.shared
            .tracer
            .emit(self.now(), &slot.name, EngineEvent::NodeShutdown, vec![]);
    }
    /// Ends the run, once everything its output needs has been read: every
    /// node's disks are fenced and its machine dropped (as at a power cut,
    /// so nothing a machine's drop would write, such as an engine's clean
    /// close, reaches a disk), and the nodes' inboxes and the supervisor's
    /// channel are closed. Nothing is traced. Without it the machines
    /// outlive the simulation: madsim does not drop the tasks still
    /// pending when its runtime ends, and the cluster's tasks hold the
    /// cluster, so every seed would leak its machines (a device's SQLite
    /// connection, page cache and registered VFS among them). What those
    /// tasks still hold (the disks' handles, the tracer) stays with them,
    /// so the disks' bytes are freed here too (each disk reads blank
    /// afterwards: take what a run hands on from them first). Afterwards
    /// the cluster runs nothing.
    pub fn end(&self) {
        let slots: Vec<Arc<Slot<M>>> = self
            .shared
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for slot in &slots {
            for (_, d) in &slot.disks {
                lock_disk(d).fence();
            }
            let (machine, inbox) = {
                let mut st = slot.state();
                st.up = false;
                (st.machine.take(), st.inbox.take())
            };
            drop(inbox);
            QUIET_PANICS.with(|q| q.set(true));
            // A panic while closing is the machine's last act: the run's
            // output is already taken, so it has nowhere to go.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop(machine)));
            QUIET_PANICS.with(|q| q.set(false));
        }
        for (_, d) in slots.iter().flat_map(|slot| &slot.disks) {
            let mut disk = lock_disk(d);
            disk.replace_blank();
            disk.fence();
        }
        self.shared.control.close_channel();
    }

    /// Boots a node that is down; `boot` tells its machine why. No-op if up,
    /// or if it gave up after panicking on every boot (unless `force`).
    pub fn boot(&self, addr: Addr, boot: Boot, force: bool) {
        let slot = self.slot(addr);
        {
            let mut st = slot.state();
            if st.up || (st.gave_up && !force) {
                return;
            }
            if force {
                st.gave_up = false;
                st.boot_panics = 0;
            }
            st.up = true;
            st.next_boot = boot;
        }
        Handle::current().restart(self.node_id(&slot));
    }
    /// Replaces a device with a blank one (device loss). Ends every copy on
    /// it in the lineage, naming `fault`. The node using it is not crashed
    /// here: callers crash it first when the loss takes the node down.
    pub fn lose_device(&self, device: &str, disk: &DiskHandle, fault: Option<u32>) -> usize {
        let now = self.now();
        lock_disk(disk).replace_blank();
        let mut fields = crate::fields!["device" => device];
        if let Some(f) = fault {
            fields.push(("fault", f.into()));
        }
        self.shared
            .tracer
            .emit(now, device, EngineEvent::DiskReplaced, fields);
        self.shared
            .lineage
            .store_ended(now, device, device, EndCause::DeviceLost, fault)
            .len()
    }
    /// Writes a disk fault effect to the trace.
    pub fn trace_disk_effect(
        &self,
        at: SimTime,
        device: &str,
        effect: &FaultEffect,
        fault: Option<u32>,
    ) {
        let (name, sectors) = match effect {
            FaultEffect::None => return,
            FaultEffect::Applied { kind, sectors } => (*kind, Some(sectors)),
            FaultEffect::Armed { kind } => (*kind, None),
        };
        let mut fields = crate::fields!["fault_kind" => name];
        if let Some(sectors) = sectors {
            let list: Vec<String> = sectors.iter().map(u64::to_string).collect();
            fields.push(("sectors", list.join(",").into()));
        }
        if matches!(effect, FaultEffect::Armed { .. }) {
            fields.push(("armed", true.into()));
        }
        if let Some(f) = fault {
            fields.push(("fault", f.into()));
        }
        self.shared
            .tracer
            .emit(at, device, EngineEvent::DiskFault, fields);
    }
    /// Drops the node's machine with panics caught: an engine that panics
    /// while closing is a finding, never a crash of the harness.
    pub(super) fn drop_machine(&self, slot: &Slot<M>) {
        let Some(machine) = slot.state().machine.take() else {
            return;
        };
        QUIET_PANICS.with(|q| q.set(true));
        let result = std::panic::catch_unwind(AssertUnwindSafe(move || drop(machine)));
        QUIET_PANICS.with(|q| q.set(false));
        if let Err(p) = result {
            let message = format!("while closing: {}", panic_message(p.as_ref()));
            self.shared.tracer.emit(
                self.now(),
                &slot.name,
                EngineEvent::NodePanic,
                crate::fields!["message" => message],
            );
        }
    }
    pub(super) fn handle_panic(&self, addr: Addr) {
        let slot = self.slot(addr);
        self.crash(addr, CrashMode::DropUnsynced, None);
        let give_up = slot.state().boot_panics >= MAX_BOOT_PANICS;
        if give_up {
            slot.state().gave_up = true;
            self.shared
                .tracer
                .emit(self.now(), &slot.name, EngineEvent::NodeGaveUp, vec![]);
            return;
        }
        let cluster = self.clone();
        madsim::task::spawn(async move {
            madsim::time::sleep(PANIC_REBOOT_DELAY).await;
            cluster.boot(addr, Boot::Crash, false);
        });
    }
}
