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
    /// The entity is the screened address's own counterparty (hop 1).
    Direct,
    /// The entity was reached through unattributed intermediaries (hop 2 or more), with the
    /// value haircut-split along the way.
    Indirect,
}

/// A label of the screened address itself, valid at the screening date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ownership {
    /// The category the label puts the address in (its role, or a flag such as sanctioned).
    pub category: Category,
    /// The name of the labelled entity (e.g. the SDN entry's name, the exchange).
    pub name: String,
    /// Where the label comes from (`ofac`, `graphsense`, `explorer`, …).
    pub source: String,
    /// Human-readable evidence: for OFAC, the SDN entry with its uid, party type, programs,
    /// listing and aliases; otherwise the label's own description.
    pub description: String,
    /// Where to check the label (the OFAC search page of the entry, or the source's URL), if known.
    pub url: Option<String>,
    /// First day the label holds, if known.
    pub valid_from: Option<Date>,
    /// First day the label no longer holds (exclusive: e.g. OFAC's delisting snapshot); `None`
    /// while it still holds.
    pub valid_to: Option<Date>,
    /// Set when the label's start is unknown: `valid_from` is then its first evidence (the first
    /// OFAC snapshot listing the address), not its designation date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_start: Option<UnknownStart>,
    /// The risk the rule table gives this ownership.
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
    /// The chain the asset lives on.
    pub chain: Chain,
    /// The asset's symbol (as registered in the store; assets sharing a symbol add up).
    pub asset: String,
    /// The amount in whole units of the asset (base units / 10^decimals), as a float: the
    /// screened address's transfers times the share that reached the entity.
    pub units: f64,
}

/// Exposure value found at one hop count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HopValue {
    /// The hop count (1 = direct counterparty).
    pub hops: u32,
    /// US dollars reaching the entity at that hop count, priced at the time of the screened address's transfers.
    pub usd: f64,
}

/// One step of an exposure path, from the screened address outward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathStep {
    /// 1 for the screened address's own transfer, then one more per step outward.
    pub hop: u32,
    /// The chain of the step's transaction (a step across a bridge may change chains).
    pub chain: Chain,
    /// The step's transaction hash, as the chain writes it.
    pub tx: String,
    /// The timestamp of the block holding the transaction, in seconds since the epoch.
    pub time: u64,
    /// The sending address, canonical text; `None` when the step names none (minted value, or a
    /// UTXO step that records one side only).
    pub from: Option<String>,
    /// The receiving address, canonical text; `None` when the step names none (burnt value, or a
    /// UTXO step that records one side only).
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
    /// US dollars this path carries: the base transfer's value times the share reaching the entity.
    pub usd: f64,
    /// The steps from the screened address out to the entity, in order.
    pub steps: Vec<PathStep>,
}

/// Exposure of the address to one entity, in one direction, direct or indirect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exposure {
    /// The category the entity counts under (its role, or one of its flags in force on the day
    /// of the transfer).
    pub category: Category,
    /// The attributed entity's name.
    pub entity: String,
    /// Incoming: the entity is a source of the address's funds; outgoing: a destination.
    pub direction: Direction,
    /// Direct (hop 1) or indirect.
    pub exposure_type: ExposureType,
    /// Fewest hops at which this entity was reached (1 = direct counterparty).
    pub min_hops: u32,
    /// US dollars at the time of the screened address's own transfers (unpriced assets add 0).
    pub usd: f64,
    /// The same in the native units of the address's transfers.
    pub values: Vec<NativeValue>,
    /// `usd` broken down by hop count, ascending.
    pub by_hop: Vec<HopValue>,
    /// `usd` over the address's USD volume in this direction.
    pub share: f64,
    /// The risk the rule table gives this exposure.
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
    /// The last such day; `None` with `first_day`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_day: Option<Date>,
    /// The paths carrying the most USD, largest first, up to the query's path limit; empty
    /// unless paths were asked for.
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
    /// The chain of the excluded transfer.
    pub chain: Chain,
    /// Hash of the transaction that carried it.
    pub tx: String,
    /// The sender, canonical text; `None` when the store cannot name it.
    pub counterparty: Option<String>,
    /// The asset's symbol.
    pub asset: String,
    /// The amount in whole units of the asset.
    pub units: f64,
    /// Its US dollar value at the time of the transfer; `None` when the asset has no price.
    pub usd: Option<f64>,
    /// Risky categories the excluded transfer would have contributed.
    pub categories: Vec<Category>,
    /// Why it was excluded, as a sentence for the report.
    pub reason: String,
}

/// Volume of the address per direction in USD (dust excluded).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    /// US dollars the address received, each transfer priced at its time.
    pub incoming_usd: f64,
    /// US dollars the address sent, each transfer priced at its time.
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
    /// The exposures found on this chain, one per (category, entity, direction, type).
    pub exposures: Vec<Exposure>,
    /// The address's USD volume on this chain, the denominator of each exposure's `share`.
    pub volume: Volume,
    /// Inbound transfers the dust rule set aside.
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
    /// The screening date: labels and flags are judged as they stand on it.
    pub at: Date,
    /// The overall risk: the highest level of any ownership or exposure (Low when none).
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
    /// The labels of the address itself in force at `at`, each rated by the rule table.
    pub ownership: Vec<Ownership>,
    /// Labels of the address whose status at `at` is unknown (an OFAC listing before the first
    /// snapshot holding the address, its designation date unknown): not in `ownership`, not
    /// scored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ownership_unknown: Vec<Ownership>,
    /// The exposures over all screened chains.
    pub exposures: Vec<Exposure>,
    /// The USD volume over all screened chains.
    pub volume: Volume,
    /// Inbound transfers the dust rule set aside, over all screened chains.
    pub excluded_dust: Vec<ExcludedDust>,
    /// True when the walk on some chain was cut short (see
    /// [`ChainExposure::truncated`]): exposures are then a lower bound.
    pub truncated: bool,
    /// Whether the exposures came from the index, were computed, or there were none to compute.
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
