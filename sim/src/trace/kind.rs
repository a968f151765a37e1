//! What an event is: one of the engine's own kinds ([`EngineEvent`]) or one
//! of a system's ([`SystemEvent`], declared with [`event_kinds!`]).
//!
//! Every kind is a value of a type; its dotted name (`copy.created`,
//! `store.unusable`) lives only in its `Display` and in the table that
//! declares it. Code that reads a trace matches on the type, never on the
//! name. A trace prints and hashes the name, so a kind's name is part of
//! the trace's format: renaming one changes every hash that contains it.

use std::fmt;

/// Declares an event-kind enum from a table of `Variant = "dotted.name"`
/// rows: the enum, its `Display` (the name), `ALL` (every kind in table
/// order) and `name()`. With `in "family"` it is also a [`SystemEvent`]: a
/// system's own kinds, which the trace stores as [`Kind::System`].
///
/// ```
/// lastcopy_sim::event_kinds! {
///     /// What the example's nodes do.
///     pub enum Example in "example" {
///         /// A value was written.
///         Wrote = "kv.wrote",
///     }
/// }
/// let k = lastcopy_sim::trace::Kind::from(Example::Wrote);
/// assert_eq!(k.to_string(), "kv.wrote");
/// assert_eq!(k.system::<Example>(), Some(Example::Wrote));
/// ```
#[macro_export]
macro_rules! event_kinds {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident in $family:literal {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)*
        }
    ) => {
        $crate::event_kinds! {
            $(#[$meta])*
            $vis enum $name {
                $($(#[$vmeta])* $variant = $text,)*
            }
        }
        impl $crate::trace::SystemEvent for $name {
            const FAMILY: &'static str = $family;
            fn code(self) -> u16 {
                self as u16
            }
            fn from_code(code: u16) -> Option<Self> {
                Self::ALL.get(usize::from(code)).copied()
            }
            fn name(self) -> &'static str {
                $name::name(self)
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)*
        }
    ) => {
        $crate::named! {
            $(#[$meta])*
            #[repr(u16)]
            $vis enum $name {
                $($(#[$vmeta])* $variant = $text,)*
            }
        }
    };
}

/// A system's own event kinds: a fieldless enum declared with
/// [`event_kinds!`] and a family name of its own. The trace stores such a
/// kind as a [`SystemKind`] and gives it back typed with [`Kind::system`].
pub trait SystemEvent: Copy + fmt::Debug + Eq + 'static {
    /// The family the kinds belong to, unique per system (`kv`).
    const FAMILY: &'static str;
    /// The kind's index in its table.
    fn code(self) -> u16;
    /// The kind at index `code` of the table, if there is one.
    fn from_code(code: u16) -> Option<Self>;
    /// The kind's dotted name.
    fn name(self) -> &'static str;
}

/// A system's event kind as the trace stores it: its family, its index in
/// the family's table and its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SystemKind {
    family: &'static str,
    code: u16,
    name: &'static str,
}

impl SystemKind {
    /// The kind's dotted name.
    pub fn name(self) -> &'static str {
        self.name
    }

    /// The kind as a value of `E`, if it is one of `E`'s.
    pub fn get<E: SystemEvent>(self) -> Option<E> {
        if self.family != E::FAMILY {
            return None;
        }
        E::from_code(self.code).filter(|e| e.name() == self.name)
    }
}

event_kinds! {
    /// The kinds of event the engine and the harness emit themselves, for
    /// every system: phases, faults, boots and crashes, disks, the network,
    /// copies and acknowledgements.
    pub enum EngineEvent {
        /// A planned fault fired. Fields: `fault` (plan id), `fault_kind`,
        /// `target`, and what it resolved to at fire time.
        FaultFired = "fault.fired",
        /// A planned fault was resolved at fire time. Fields: `fault`, and
        /// what it resolved to (`device`, `sector`, `offset`, ...).
        FaultResolved = "fault.resolved",
        /// A planned fault could not fire (its target or trigger never came
        /// about), or a fault atlas kept it from striking. Fields: `fault`,
        /// `why`; an atlas's skip adds `atlas` (its reason's name) and the
        /// acknowledged version it would have struck the last copy of
        /// (`record`, `version`, `versions`).
        FaultSkipped = "fault.skipped",
        /// The run's faults are placed by a fault atlas mode other than the
        /// plan's own (emitted once, at the start of the safety phase, only
        /// when one is on). Fields: `mode`.
        FaultAtlas = "fault.atlas",
        /// A fault took effect on acknowledged data: it ended, corrupted or
        /// made unreadable a copy, made an acknowledged write fail or
        /// aborted a sync. Fields: `fault`, `why`.
        FaultEffective = "fault.effective",
        /// A planned fault struck stores that held every live copy of some
        /// record's latest acknowledged version: a near miss, whether or
        /// not the design then saved it. Fields: `fault`, `record`,
        /// `version`, `records` (how many such records).
        FaultNearMiss = "fault.near-miss",
        /// A node booted. Fields: `boot` (`crash` or `clean` or `blank`).
        NodeBoot = "node.boot",
        /// A node lost power: its disks were fenced, unsynced writes
        /// dropped, the node killed.
        NodeCrash = "node.crash",
        /// A node's process crashed: its machine was dropped without
        /// running anything more (its disks fenced meanwhile), and its
        /// disks kept every write, unsynced ones too, as the operating
        /// system holds them; the node is down until it boots again.
        NodeProcessCrash = "node.process-crash",
        /// A node shut down cleanly: its disks were synced, nothing lost.
        NodeShutdown = "node.shutdown",
        /// A panic inside a node's code was caught and handled as a crash.
        /// Fields: `message`.
        NodePanic = "node.panic",
        /// A node gave up after panicking on every boot (it stays down).
        NodeGaveUp = "node.gave-up",
        /// A disk fault took effect on a device. Fields: `fault_kind`, and
        /// the sectors concerned.
        DiskFault = "disk.fault",
        /// A device was replaced with a blank one.
        DiskReplaced = "disk.replaced",
        /// A full device had space freed.
        DiskSpaceFreed = "disk.space-freed",
        /// Storage that a fault took away came back. Fields: `fault`.
        StorageBack = "storage.back",
        /// A network link or node was cut off.
        NetPartition = "net.partition",
        /// A network partition was lifted.
        NetHeal = "net.heal",
        /// A network fault dropped a message (loss). Fields: `fault`, `to`.
        NetDropped = "net.dropped",
        /// A network fault delivered a message twice. Fields: `fault`,
        /// `to`, `lag_ms`.
        NetDuplicated = "net.duplicated",
        /// A network fault held a message so later ones overtake it.
        /// Fields: `fault`, `to`, `hold_ms`.
        NetHeld = "net.held",
        /// A network fault delayed a message long. Fields: `fault`, `to`,
        /// `delay_ms`.
        NetDelayed = "net.delayed",
        /// A network fault garbled bytes of a message. Fields: `fault`,
        /// `to`, `bytes`.
        NetCorrupted = "net.corrupted",
        /// A received frame was dropped: its checksum failed or it did not
        /// decode. Fields: `from`, `why`.
        NetFrameRejected = "net.frame-rejected",
        /// A network fault was lifted. Fields: `fault`, `how` (`ended` or
        /// `healed`), and per effect how many frames it changed (`dropped`,
        /// `duplicated`, `held`, `delayed`, `corrupted`; partition drops
        /// are counted here only).
        NetFaultEnded = "net.fault-ended",
        /// A durable copy of a record version now exists on a store.
        /// Fields: `store`, `record`, `version`.
        CopyCreated = "copy.created",
        /// A copy ended. Fields: `store`, `record`, `version`, `cause` (a
        /// [`crate::lineage::EndCause`]), and `fault` when a planned fault
        /// caused it.
        CopyEnded = "copy.ended",
        /// A phase of the run began (`safety`, `heal`, `check`).
        Phase = "run.phase",
        /// The user was told a version is saved. Fields: `record`, `version`.
        AckSaved = "ack.saved",
        /// The user was told a version is synced. Fields: `record`, `version`.
        AckSynced = "ack.synced",
        /// Saved, never-synced versions were forfeited by the user's own
        /// reset or replacement of the device. Fields: `versions`.
        AckForfeited = "ack.forfeited",
    }
}

/// What an event is: one of the engine's kinds or one of a system's.
/// Prints as its dotted name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// One of the engine's and harness's own kinds.
    Engine(EngineEvent),
    /// One of a system's kinds.
    System(SystemKind),
}

impl Kind {
    /// The kind's dotted name, as traces print and hash it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Engine(e) => e.name(),
            Kind::System(s) => s.name(),
        }
    }

    /// The engine kind, if this is one.
    pub fn engine(self) -> Option<EngineEvent> {
        match self {
            Kind::Engine(e) => Some(e),
            Kind::System(_) => None,
        }
    }

    /// The kind as a value of the system's kinds `E`, if it is one of them.
    pub fn system<E: SystemEvent>(self) -> Option<E> {
        match self {
            Kind::Engine(_) => None,
            Kind::System(s) => s.get(),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<EngineEvent> for Kind {
    fn from(e: EngineEvent) -> Self {
        Kind::Engine(e)
    }
}

impl<E: SystemEvent> From<E> for Kind {
    fn from(e: E) -> Self {
        Kind::System(SystemKind {
            family: E::FAMILY,
            code: e.code(),
            name: e.name(),
        })
    }
}

impl PartialEq<EngineEvent> for Kind {
    fn eq(&self, other: &EngineEvent) -> bool {
        *self == Kind::Engine(*other)
    }
}

impl<E: SystemEvent> PartialEq<E> for Kind {
    fn eq(&self, other: &E) -> bool {
        self.system::<E>() == Some(*other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::event_kinds! {
        /// Two kinds for the tests.
        enum Mine in "mine" {
            /// One.
            One = "mine.one",
            /// Two.
            Two = "mine.two",
        }
    }

    crate::event_kinds! {
        /// Another family with a clashing name.
        enum Other in "other" {
            /// One.
            One = "mine.one",
        }
    }

    #[test]
    fn a_system_kind_comes_back_as_its_own_type_only() {
        let k = Kind::from(Mine::Two);
        assert_eq!(k.system::<Mine>(), Some(Mine::Two));
        assert_eq!(k.system::<Other>(), None);
        assert_eq!(Kind::from(Other::One).system::<Mine>(), None);
        assert_eq!(k, Mine::Two);
        assert!(k != Mine::One);
        assert_eq!(k.engine(), None);
        assert_eq!(k.to_string(), "mine.two");
    }

    #[test]
    fn engine_kinds_print_their_names() {
        let k = Kind::from(EngineEvent::CopyCreated);
        assert_eq!(k, EngineEvent::CopyCreated);
        assert_eq!(k.to_string(), "copy.created");
        assert_eq!(k.system::<Mine>(), None);
        let names: std::collections::BTreeSet<_> = EngineEvent::NAMES.iter().collect();
        assert_eq!(names.len(), EngineEvent::ALL.len(), "names are unique");
    }
}
