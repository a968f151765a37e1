//! Clock faults: a node's real-time clock reset or skewed.

use super::{FollowUp, Injector};
use models::clock::Rtc;
use models::fault::Fault;
use sim::disk::CrashMode;
use sim::fields;
use sim::host::Addr;
use sim::plan::PlannedFault;
use sim::time::SimTime;
use sim::trace::EngineEvent;

impl Injector<'_> {
    /// A device's clock is reset to zero by a power loss that takes it down
    /// until `back` (no reset if the device was already down).
    pub(super) fn clock_reset(
        &self,
        f: &PlannedFault<Fault>,
        addr: Addr,
        back: SimTime,
    ) -> Vec<FollowUp> {
        let target = f.target.as_str();
        let next = self.power_loss(addr, target, f.id, CrashMode::DropUnsynced, back);
        if !next.is_empty() {
            self.clock_of(addr).reset(self.now());
            self.emit(
                target,
                EngineEvent::FaultResolved,
                fields!["fault" => f.id, "clock_ms" => 0u64],
            );
        }
        next
    }

    /// A device's clock jumps by `skew_ms` (back if negative).
    pub(super) fn clock_skew(&self, f: &PlannedFault<Fault>, addr: Addr, skew_ms: i64) {
        let clock = self.clock_of(addr);
        clock.step(skew_ms);
        let direction = if skew_ms < 0 { "back" } else { "forward" };
        self.emit(
            &f.target,
            EngineEvent::FaultResolved,
            fields![
                "fault" => f.id,
                "skew_ms" => skew_ms.unsigned_abs(),
                "direction" => direction,
                "clock_ms" => clock.read(self.now())
            ],
        );
    }

    /// The clock of handset node `addr`.
    pub(super) fn clock_of(&self, addr: Addr) -> &Rtc {
        let user = self.user_of(addr).expect("a handset");
        &self.clocks[user as usize]
    }
}
