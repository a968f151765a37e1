//! The `[faults.network]` section: faults on the links between handsets, server and databases.

use super::*;

sim::named! {
    /// A class of links network faults may hit, as `[faults.network]
    /// targets` names it.
    pub enum LinkClass {
        /// Each handset's link to the sync server.
        HandsetServer = "handset-server",
        /// The sync server's links to the databases.
        ServerDatabase = "server-database",
    }
}

/// `[faults.network]`: network faults (the project's own layer,
/// `sim::net`). Partitions and bad-network windows are rates per link per
/// simulated day on the link classes of `targets` (`handset-server`: each
/// handset's link to the server; `server-database`: the server's links to
/// the databases). A handset going offline for days is a rate per handset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkFaults {
    /// Which link classes partitions and windows hit: names of
    /// [`LinkClass`]es. Default: none. [`Self::links`] reads them typed.
    pub targets: Vec<String>,
    /// Partitions per link per day: the link cut, every message dropped.
    pub partition_per_link_day: f64,
    /// How long a partition lasts (default 1h).
    #[serde(with = "as_text")]
    pub partition_for: Duration,
    /// Times a handset goes offline per handset per day (any `targets`).
    pub offline_per_handset_day: f64,
    /// How long a handset stays offline (default 2d).
    #[serde(with = "as_text")]
    pub offline_for: Duration,
    /// Lossy windows per link per day.
    pub packet_loss_per_link_day: f64,
    /// Duplicating windows per link per day.
    pub duplication_per_link_day: f64,
    /// Reordering windows per link per day.
    pub reordering_per_link_day: f64,
    /// Long-delay windows per link per day.
    pub long_delay_per_link_day: f64,
    /// Corrupting windows per link per day.
    pub transit_corruption_per_link_day: f64,
    /// How long each bad-network window lasts (default 1h).
    #[serde(with = "as_text")]
    pub window: Duration,
    /// Share of messages dropped in a lossy window (default 0.3).
    pub loss_share: f64,
    /// Share of messages delivered twice in a duplicating window (default 0.3).
    pub duplicate_share: f64,
    /// Share of messages held in a reordering window (default 0.3).
    pub reorder_share: f64,
    /// The longest a held message or a duplicate trails (default 5m).
    #[serde(with = "as_text")]
    pub hold_for: Duration,
    /// Share of messages delayed in a long-delay window (default 0.3).
    pub delay_share: f64,
    /// The longest a delayed message is delayed (default 6h).
    #[serde(with = "as_text")]
    pub delay_for: Duration,
    /// Share of messages garbled in a corrupting window (default 0.2).
    pub corrupt_share: f64,
}

impl Default for NetworkFaults {
    fn default() -> Self {
        NetworkFaults {
            targets: Vec::new(),
            partition_per_link_day: 0.0,
            partition_for: Duration::from_secs(3600),
            offline_per_handset_day: 0.0,
            offline_for: Duration::from_secs(2 * 86_400),
            packet_loss_per_link_day: 0.0,
            duplication_per_link_day: 0.0,
            reordering_per_link_day: 0.0,
            long_delay_per_link_day: 0.0,
            transit_corruption_per_link_day: 0.0,
            window: Duration::from_secs(3600),
            loss_share: 0.3,
            duplicate_share: 0.3,
            reorder_share: 0.3,
            hold_for: Duration::from_secs(300),
            delay_share: 0.3,
            delay_for: Duration::from_secs(6 * 3600),
            corrupt_share: 0.2,
        }
    }
}

impl NetworkFaults {
    /// The link classes `targets` names, in its order (a validated section
    /// names only known classes).
    pub fn links(&self) -> Vec<LinkClass> {
        self.targets
            .iter()
            .filter_map(|t| LinkClass::parse(t))
            .collect()
    }

    /// Whether `targets` names `class`.
    pub fn hits(&self, class: LinkClass) -> bool {
        self.targets
            .iter()
            .any(|t| LinkClass::parse(t) == Some(class))
    }

    /// Each per-link fault kind's name (as in `models::fault`) and its rate,
    /// in the order the planner draws them.
    pub fn rates(&self) -> [(FaultKind, f64); 6] {
        [
            (FaultKind::Partition, self.partition_per_link_day),
            (FaultKind::PacketLoss, self.packet_loss_per_link_day),
            (FaultKind::Duplication, self.duplication_per_link_day),
            (FaultKind::Reordering, self.reordering_per_link_day),
            (FaultKind::LongDelay, self.long_delay_per_link_day),
            (
                FaultKind::TransitCorruption,
                self.transit_corruption_per_link_day,
            ),
        ]
    }

    pub(super) fn validate(&self) -> Check {
        let at = |key| KeyPath::of(&["faults", "network", key]);
        for (i, t) in self.targets.iter().enumerate() {
            ensure(
                LinkClass::parse(t).is_some(),
                at("targets").index(i),
                || {
                    let names = LinkClass::NAMES.join(", ");
                    format!("must be one of {names}, got `{t}`")
                },
            )?;
        }
        distinct(at("targets"), &self.targets)?;
        let keys = [
            "partition_per_link_day",
            "packet_loss_per_link_day",
            "duplication_per_link_day",
            "reordering_per_link_day",
            "long_delay_per_link_day",
            "transit_corruption_per_link_day",
        ];
        for (key, (_, r)) in keys.into_iter().zip(self.rates()) {
            rate(at(key), r, "link per day")?;
        }
        rate(
            at("offline_per_handset_day"),
            self.offline_per_handset_day,
            "handset per day",
        )?;
        for (key, share) in [
            ("loss_share", self.loss_share),
            ("duplicate_share", self.duplicate_share),
            ("reorder_share", self.reorder_share),
            ("delay_share", self.delay_share),
            ("corrupt_share", self.corrupt_share),
        ] {
            probability(at(key), share)?;
        }
        for (key, d) in [
            ("partition_for", self.partition_for),
            ("offline_for", self.offline_for),
            ("window", self.window),
            ("hold_for", self.hold_for),
            ("delay_for", self.delay_for),
        ] {
            positive(at(key), d)?;
        }
        Ok(())
    }
}
