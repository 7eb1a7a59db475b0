//! The screening result: what an address is (ownership) and what it touched (exposures).

use chaintrail_core::Chain;
use chaintrail_labels::{Category, Date, SanctionStatus, UnknownStart};
use serde::{Deserialize, Serialize};

use crate::rules::RiskLevel;

/// Which way value moved relative to the screened address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Source of funds: value the address received.
    Incoming,
    /// Destination of funds: value the address sent.
    Outgoing,
}

/// Counterparty exposure found at hop 1 (`Direct`) or through unattributed intermediaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExposureType {
    Direct,
    Indirect,
}

/// A label of the screened address itself, valid at the screening date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ownership {
    pub category: Category,
    pub name: String,
    /// Where the label comes from (`ofac`, `graphsense`, `explorer`, …).
    pub source: String,
    pub description: String,
    pub url: Option<String>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    /// Set when the label's start is unknown: `valid_from` is then its first evidence (the first
    /// OFAC snapshot listing the address), not its designation date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_start: Option<UnknownStart>,
    pub level: RiskLevel,
    /// The rule of the table that set `level` (`None`: no rule matched, Low).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Does the rule raise an alert for review?
    #[serde(default)]
    pub alert: bool,
}

/// An amount of one asset, in whole units (exact decimal text of the share, rounded to the
/// asset's decimals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NativeValue {
    pub chain: Chain,
    pub asset: String,
    pub units: f64,
}

/// Exposure value found at one hop count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HopValue {
    pub hops: u32,
    pub usd: f64,
}

/// One step of an exposure path, from the screened address outward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathStep {
    pub hop: u32,
    pub chain: Chain,
    pub tx: String,
    pub time: u64,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The fraction of the screened address's transfer that this step carries.
    pub share: f64,
    /// For a step across a converter by a known link: the converter, the link's evidence and
    /// confidence (e.g. `bridge Thornet Bridge (memo OUT:…, confidence 1)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// A path behind an exposure (haircut shares along it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposurePath {
    pub usd: f64,
    pub steps: Vec<PathStep>,
}

/// Exposure of the address to one entity, in one direction, direct or indirect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exposure {
    pub category: Category,
    pub entity: String,
    pub direction: Direction,
    pub exposure_type: ExposureType,
    /// Fewest hops at which this entity was reached (1 = direct counterparty).
    pub min_hops: u32,
    /// US dollars at the time of the screened address's own transfers (unpriced assets add 0).
    pub usd: f64,
    /// The same in the native units of the address's transfers.
    pub values: Vec<NativeValue>,
    pub by_hop: Vec<HopValue>,
    /// `usd` over the address's USD volume in this direction.
    pub share: f64,
    pub level: RiskLevel,
    /// The rule of the table that set `level` (`None`: no rule matched, Low).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Does the rule raise an alert for review?
    #[serde(default)]
    pub alert: bool,
    /// Some of it reached the entity on days when its flag `category` is of unknown status (a
    /// sanction before the first OFAC snapshot listing the address, its designation date
    /// unknown): counted, out of caution, though the transfers may predate the listing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub listing_unknown: bool,
    /// The flag `category` held on the days of the transfers but no longer holds for the entity
    /// at the screening date (a delisted sanction): historical exposure.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lapsed: bool,
    /// The first and last day on which the value reached the entity (the days its role and
    /// flags were judged on: "sent to a then-sanctioned party on 2025-06-01"). `None` only in
    /// results stored before the days were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_day: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_day: Option<Date>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<ExposurePath>,
    /// When value reached addresses the labels do not name but the entity's cluster holds: the
    /// first such cluster membership met, with the merge that shows it ("cluster of E
    /// (labelled address L) via multi-input in tx T", docs/clustering.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_cluster: Option<String>,
}

/// An inbound transfer set aside by the dust rule: reported, never scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExcludedDust {
    pub chain: Chain,
    pub tx: String,
    pub counterparty: Option<String>,
    pub asset: String,
    pub units: f64,
    pub usd: Option<f64>,
    /// Risky categories the excluded transfer would have contributed.
    pub categories: Vec<Category>,
    pub reason: String,
}

/// Volume of the address per direction in USD (dust excluded).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    pub incoming_usd: f64,
    pub outgoing_usd: f64,
}

/// Where the exposures of a result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The precomputed exposure index.
    Index,
    /// Computed for this request from the store.
    Computed,
    /// The address is not in the store: labels only.
    LabelsOnly,
}

/// Exposures of one address on one chain, as computed or stored in the index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChainExposure {
    pub exposures: Vec<Exposure>,
    pub volume: Volume,
    pub excluded_dust: Vec<ExcludedDust>,
    /// True when the work budget cut the walk short, or a known link was not crossed because an
    /// amount is above 2^128 base units (exposures are then a lower bound).
    pub truncated: bool,
}

/// The screening of one address at one date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Screening {
    /// The address in canonical form (as given when it is on a chain chaintrail does not model).
    pub address: String,
    /// The chains it was screened on (those of the store that know it, or the one asked for).
    pub chains: Vec<Chain>,
    pub at: Date,
    pub risk: RiskLevel,
    /// One sentence naming what drives `risk` and the rule that rated it; `None` when nothing
    /// does.
    pub risk_reason: Option<String>,
    /// The rule of the table behind `risk` (`None` when nothing raises it above Low).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_rule: Option<String>,
    /// The rules that raised an alert for this address, most severe first, each once.
    #[serde(default)]
    pub alerts: Vec<String>,
    /// Is the address sanctioned at `at`: `sanctioned`, `not_sanctioned`, or `unknown` with
    /// `listed_from` when OFAC lists it from a later snapshot and its designation date is
    /// unknown.
    pub sanctions: SanctionStatus,
    pub ownership: Vec<Ownership>,
    /// Labels of the address whose status at `at` is unknown (an OFAC listing before the first
    /// snapshot holding the address, its designation date unknown): not in `ownership`, not
    /// scored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ownership_unknown: Vec<Ownership>,
    pub exposures: Vec<Exposure>,
    pub volume: Volume,
    pub excluded_dust: Vec<ExcludedDust>,
    pub truncated: bool,
    pub origin: Origin,
}

impl Screening {
    /// Is the address itself sanctioned at the screening date?
    pub fn sanctioned(&self) -> bool {
        self.ownership
            .iter()
            .any(|o| o.category == Category::Sanctioned)
    }
}
