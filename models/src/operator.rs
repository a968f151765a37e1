//! The operator: runs storage upgrades when the plan says, and recovers the
//! primary database afterwards.
//!
//! With `upgrade_snapshot`, on notice of an upgrade of the primary's array
//! the operator quiesces commits, dumps the primary, writes the dump to a
//! snapshot store on another failure domain, reads it back and verifies it.
//! After any upgrade of the primary's array, if the primary lost its data,
//! the operator restores it from the best copy it has: the verified snapshot,
//! else the backup database's last image (verified first, if the design
//! says). It never repairs from a copy that failed verification.
//!
//! The operator is also a source of faults (incidents from the plan): a
//! restore of the primary from a stale backup, an account restored into
//! another user's account, a failover to the backup's last image. The
//! design's knobs are the checks a careful operator makes: restore only a
//! primary that lost its data (`restore_checks_freshness`), check rows
//! against their target account (`restore_checks_account`), give a
//! promoted copy a new epoch (`failover_bumps_epoch`).

use crate::design::Design;
use crate::event::SidekickEvent;
use crate::incident::Incident;
use crate::logstore::LogStore;
use crate::msg::{DbHealth, Input, Msg};
use crate::record::Row;
use serde::{Deserialize, Serialize};
use sim::fields;
use sim::host::{lock_disk, Addr, Boot, DiskHandle, Io};
use sim::lineage::EndCause;
use std::time::Duration;

const TIMER_RETRY: u64 = 1;
const RETRY: Duration = Duration::from_secs(30);

/// Where the operator's databases live.
#[derive(Clone, Debug)]
pub struct OperatorConfig {
    /// The primary database.
    pub primary: Addr,
    /// The backup database.
    pub backup: Addr,
    /// The array holding the primary's volume.
    pub primary_array: String,
    /// The snapshot store's name in the trace.
    pub snapshot_store: String,
}

#[derive(Debug, Serialize, Deserialize)]
enum Entry {
    Row(Row),
    Seal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    Quiescing,
    Snapshotting,
    CheckingPrimary,
    /// Asking the backup for its image; remembers whether the primary
    /// waits for a restore (then it is restored even with nothing).
    FetchingBackup {
        primary_awaiting: bool,
    },
    /// Restoring the primary from `rows`, which came from `source`.
    Restoring {
        source: Source,
    },
    /// Letting an intact primary commit again after a snapshot upgrade.
    Resuming,
    /// Asking the backup for its image to restore account `from` (into
    /// account `to`: the right one or, by mistake, another).
    FetchingAccount {
        /// The account asked for.
        from: u32,
        /// The account written.
        to: u32,
    },
    /// Writing one account's rows into the primary.
    RestoringAccount {
        /// The account written.
        to: u32,
    },
}

/// Where the rows of a restore came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Snapshot,
    Backup,
    Nothing,
}

impl Source {
    fn trace_kind(self) -> SidekickEvent {
        match self {
            Source::Snapshot => SidekickEvent::RecoverSnapshot,
            Source::Backup => SidekickEvent::RecoverBackup,
            Source::Nothing => SidekickEvent::OperatorRebuiltEmpty,
        }
    }
}

/// The operator's state machine.
pub struct Operator {
    cfg: OperatorConfig,
    design: Design,
    snapshot_disk: DiskHandle,
    snapshot: Option<Vec<Row>>,
    /// The rows the restore in progress writes.
    restore_rows: Vec<Row>,
    /// Whether this operator stopped the primary's commits (and so must
    /// resume them if no restore does).
    quiesced: bool,
    phase: Phase,
    req: u64,
    /// The epoch the restore in progress gives the primary, when it is not
    /// a new one (a failover that keeps the image's epoch).
    restore_epoch: Option<u64>,
    /// A failover to the backup is under way (the fault that caused it).
    failover: Option<u32>,
}

impl Operator {
    /// An operator with a snapshot store on `snapshot_disk`.
    pub fn new(cfg: OperatorConfig, design: Design, snapshot_disk: DiskHandle) -> Self {
        Operator {
            cfg,
            design,
            snapshot_disk,
            snapshot: None,
            restore_rows: Vec::new(),
            quiesced: false,
            phase: Phase::Idle,
            req: 0,
            restore_epoch: None,
            failover: None,
        }
    }

    /// Boot: nothing is remembered but the snapshot on disk (read when needed).
    pub fn boot(&mut self, _boot: Boot, _io: &mut Io<'_, Msg>) {}

    fn ask(&mut self, to: Addr, make: impl FnOnce(u64) -> Msg, io: &mut Io<'_, Msg>) {
        self.req += 1;
        io.send(to, make(self.req));
        io.set_timer(TIMER_RETRY, RETRY);
    }

    fn step(&mut self, io: &mut Io<'_, Msg>) {
        let (p, b) = (self.cfg.primary, self.cfg.backup);
        match self.phase.clone() {
            Phase::Idle => io.cancel_timer(TIMER_RETRY),
            Phase::Quiescing => self.ask(p, |req| Msg::Quiesce { req, on: true }, io),
            Phase::Snapshotting => self.ask(p, |req| Msg::Dump { req }, io),
            Phase::CheckingPrimary => self.ask(p, |req| Msg::Status { req }, io),
            Phase::FetchingBackup { .. } => self.ask(b, |req| Msg::Dump { req }, io),
            Phase::Restoring { .. } => {
                let rows = self.restore_rows.clone();
                let epoch = self.restore_epoch.unwrap_or(io.now().as_millis() + 1);
                self.ask(p, |req| Msg::Restore { req, epoch, rows }, io);
            }
            Phase::Resuming => self.ask(p, |req| Msg::Quiesce { req, on: false }, io),
            Phase::FetchingAccount { .. } => self.ask(b, |req| Msg::Dump { req }, io),
            Phase::RestoringAccount { to } => {
                let rows = self.restore_rows.clone();
                let epoch = io.now().as_millis() + 1;
                let msg = |req| Msg::RestoreAccount {
                    req,
                    epoch,
                    account: to,
                    rows,
                };
                self.ask(p, msg, io);
            }
        }
    }

    /// An input from the plan: an upgrade notice, or the end of an upgrade.
    pub fn on_input(&mut self, input: Input, io: &mut Io<'_, Msg>) {
        match input {
            Input::UpgradeNotice { array, .. }
                if array == self.cfg.primary_array && self.design.upgrade_snapshot =>
            {
                self.phase = Phase::Quiescing;
                self.step(io);
            }
            Input::StorageBack { array } if array == self.cfg.primary_array => {
                self.phase = Phase::CheckingPrimary;
                self.step(io);
            }
            Input::Incident { fault, incident } => self.incident(fault, incident, io),
            _ => {}
        }
    }

    /// An operator incident from the plan: a restore done by mistake, or a
    /// failover. A busy operator (mid-upgrade or mid-restore) does not
    /// start another restore.
    fn incident(&mut self, fault: u32, incident: Incident, io: &mut Io<'_, Msg>) {
        if let Incident::Failover = incident {
            // The primary is down; the restore happens when its storage is back.
            self.failover = Some(fault);
            return;
        }
        if self.phase != Phase::Idle {
            io.trace(
                SidekickEvent::OperatorBusy,
                fields!["fault" => fault, "why" => "a restore or upgrade is under way"],
            );
            return;
        }
        self.phase = match incident {
            Incident::StaleRestore if self.design.restore_checks_freshness => {
                io.trace(
                    SidekickEvent::OperatorRestoreCheck,
                    fields!["fault" => fault, "why" => "restore only a primary that lost its data"],
                );
                Phase::CheckingPrimary
            }
            Incident::StaleRestore => Phase::FetchingBackup {
                primary_awaiting: false,
            },
            Incident::WrongAccountRestore { from, to } => Phase::FetchingAccount { from, to },
            _ => Phase::Idle,
        };
        self.step(io);
    }

    /// Retries the current step.
    pub fn on_timer(&mut self, _key: u64, io: &mut Io<'_, Msg>) {
        self.step(io);
    }

    /// A database answered.
    pub fn on_message(&mut self, msg: Msg, io: &mut Io<'_, Msg>) {
        let Msg::OpReply {
            req,
            health,
            rows,
            done,
        } = msg
        else {
            return;
        };
        if req != self.req || !done {
            return;
        }
        self.phase = match self.phase.clone() {
            Phase::Quiescing => {
                self.quiesced = true;
                Phase::Snapshotting
            }
            Phase::Snapshotting => match rows {
                Some(rows) if self.write_snapshot(&rows, io) => Phase::Idle,
                _ => Phase::Snapshotting,
            },
            Phase::CheckingPrimary => self.after_check(health, io),
            Phase::FetchingBackup { primary_awaiting } => {
                self.restore_epoch = match (self.failover, health) {
                    (Some(f), DbHealth::Serving { epoch, .. })
                        if !self.design.failover_bumps_epoch && epoch != 0 =>
                    {
                        io.trace(
                            SidekickEvent::OperatorFailover,
                            fields!["fault" => f, "epoch" => epoch, "new_epoch" => false],
                        );
                        Some(epoch)
                    }
                    (Some(f), _) => {
                        io.trace(
                            SidekickEvent::OperatorFailover,
                            fields!["fault" => f, "new_epoch" => true],
                        );
                        None
                    }
                    _ => None,
                };
                self.failover = None;
                match rows.filter(|r| !r.is_empty()).map(|r| self.verified(r, io)) {
                    Some(rows) => self.restore_from(Source::Backup, rows),
                    None => {
                        io.trace(
                            SidekickEvent::OperatorRestoreFailed,
                            fields!["why" => "no backup image survives"],
                        );
                        if primary_awaiting {
                            self.restore_from(Source::Nothing, Vec::new())
                        } else {
                            self.restore_epoch = None;
                            self.resume_or_idle()
                        }
                    }
                }
            }
            Phase::FetchingAccount { from, to } => self.account_rows(from, to, rows, io),
            Phase::RestoringAccount { to } => {
                let rows = std::mem::take(&mut self.restore_rows).len();
                io.trace(
                    SidekickEvent::OperatorAccountRestored,
                    fields!["account" => to, "rows" => rows],
                );
                Phase::Idle
            }
            Phase::Restoring { source } => {
                self.restore_epoch = None;
                let rows = std::mem::take(&mut self.restore_rows).len();
                io.trace(source.trace_kind(), fields!["rows" => rows]);
                // A restore clears the read-only flag: the primary commits again.
                self.quiesced = false;
                self.snapshot = None;
                Phase::Idle
            }
            Phase::Resuming => {
                self.quiesced = false;
                self.snapshot = None;
                Phase::Idle
            }
            Phase::Idle => Phase::Idle,
        };
        self.step(io);
    }

    /// What to do once the primary said how it is after its storage came back.
    fn after_check(&mut self, health: DbHealth, io: &mut Io<'_, Msg>) -> Phase {
        let awaiting = matches!(health, DbHealth::AwaitingRestore);
        let lost = awaiting || matches!(health, DbHealth::Serving { rebuilt: true, .. });
        if !lost {
            io.trace(SidekickEvent::OperatorPrimaryIntact, vec![]);
            return self.resume_or_idle();
        }
        match self.snapshot.clone() {
            Some(rows) => self.restore_from(Source::Snapshot, rows),
            None => Phase::FetchingBackup {
                primary_awaiting: awaiting,
            },
        }
    }

    /// The backup's image came back for an account restore of `from` into
    /// `to`. The rows are written under account `to` (the owner field
    /// rewritten, the contents as they are). With `restore_checks_account`
    /// a restore into an account the rows do not belong to is caught and
    /// not carried out.
    fn account_rows(
        &mut self,
        from: u32,
        to: u32,
        rows: Option<Vec<Row>>,
        io: &mut Io<'_, Msg>,
    ) -> Phase {
        let Some(rows) = rows else {
            io.trace(
                SidekickEvent::OperatorRestoreFailed,
                fields!["why" => "no backup image survives"],
            );
            return Phase::Idle;
        };
        if from != to && self.design.restore_checks_account {
            io.trace(
                SidekickEvent::OperatorRestoreRefused,
                fields![
                    "from" => from,
                    "to" => to,
                    "why" => "the rows do not belong to the target account"
                ],
            );
            return Phase::Idle;
        }
        let moved: Vec<Row> = rows
            .into_iter()
            .filter(|r| r.record.owner == from)
            .map(|mut r| {
                r.record.owner = to;
                r
            })
            .collect();
        self.restore_rows = self.verified(moved, io);
        Phase::RestoringAccount { to }
    }

    fn restore_from(&mut self, source: Source, rows: Vec<Row>) -> Phase {
        self.restore_rows = rows;
        Phase::Restoring { source }
    }

    /// An intact primary that this operator quiesced commits again, and the
    /// snapshot taken for the upgrade is dropped (it would only go stale).
    fn resume_or_idle(&mut self) -> Phase {
        self.snapshot = None;
        if self.quiesced {
            Phase::Resuming
        } else {
            Phase::Idle
        }
    }

    /// With verified restore, drops rows whose checksum fails (and says so).
    fn verified(&self, rows: Vec<Row>, io: &mut Io<'_, Msg>) -> Vec<Row> {
        if !self.design.verified_restore {
            return rows;
        }
        let total = rows.len();
        let good: Vec<Row> = rows.into_iter().filter(Row::verifies).collect();
        if good.len() != total {
            io.trace(
                SidekickEvent::OperatorRejectedRows,
                fields!["rows" => total - good.len()],
            );
        }
        good
    }

    /// Writes the snapshot, syncs, reads it back and verifies it. Returns
    /// whether the snapshot is now trusted.
    fn write_snapshot(&mut self, rows: &[Row], io: &mut Io<'_, Msg>) -> bool {
        let store = self.cfg.snapshot_store.clone();
        io.lineage()
            .store_ended(io.now(), io.node(), &store, EndCause::Overwritten, None);
        let mut disk = lock_disk(&self.snapshot_disk);
        disk.replace_blank();
        let written = LogStore::open(&disk).and_then(|(mut log, _)| {
            for row in rows {
                log.append(
                    &mut disk,
                    &postcard::to_allocvec(&Entry::Row(row.clone())).expect("encodes"),
                )?;
            }
            log.append(
                &mut disk,
                &postcard::to_allocvec(&Entry::Seal).expect("encodes"),
            )?;
            disk.sync()
        });
        let read_back: Option<Vec<Row>> = written.ok().and_then(|_| {
            let (_, opened) = LogStore::open(&disk).ok()?;
            let mut out = Vec::new();
            let mut sealed = false;
            for e in &opened.entries {
                match postcard::from_bytes::<Entry>(e).ok()? {
                    Entry::Row(r) if r.verifies() => out.push(r),
                    Entry::Row(_) => return None,
                    Entry::Seal => sealed = true,
                }
            }
            sealed.then_some(out)
        });
        drop(disk);
        match read_back {
            Some(back) if back.as_slice() == rows => {
                for row in rows {
                    io.copy_created(
                        &self.cfg.snapshot_store,
                        &row.record.to_string(),
                        &row.version.to_string(),
                    );
                }
                io.trace(
                    SidekickEvent::OperatorSnapshot,
                    fields!["rows" => rows.len(), "verified" => true],
                );
                self.snapshot = Some(back);
                true
            }
            _ => {
                io.trace(
                    SidekickEvent::OperatorSnapshot,
                    fields!["rows" => rows.len(), "verified" => false],
                );
                false
            }
        }
    }
}
