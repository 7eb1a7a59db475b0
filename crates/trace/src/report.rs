//! The trace report: what a user reads and what the server, the UI and outside evaluation consume.
//! Its JSON schema is documented in docs/trace.md; field names are part of the interface.

use chaintrail_core::{Address, Chain};
use serde::{Deserialize, Serialize};

use crate::policy::Policy;

/// An amount of one asset on one chain, exact, with display units and USD where priced.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Value {
    /// The chain.
    pub chain: Chain,
    /// The asset's symbol (its contract when the token has none).
    pub asset: String,
    /// The token's contract, which identifies it (symbols do not); `None` for the native coin.
    pub contract: Option<Address>,
    /// Decimal places of one unit.
    pub decimals: u8,
    /// Base units, exact decimal string.
    pub amount: String,
    /// Whole units, exact decimal string.
    pub units: String,
    /// US dollars at the day of the movement, where a price is known.
    pub usd: Option<f64>,
}

/// Why the trace stopped at an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EndpointKind {
    /// Reached a service that can freeze funds (exchange, custodian, OTC desk, …); backward:
    /// came out of one.
    Service,
    /// Entered a converter (mixer, bridge, DEX) that no converter could see through; backward:
    /// came out of one.
    Entered,
    /// Entered a bridge whose payout is not in the store (yet): the inbound is known, the
    /// endpoint's `evidence` says what it asked for.
    BridgePending,
    /// Still sitting at an address (unspent at the end of the data or at `--until`).
    Unspent,
    /// Paid as transaction fees to block producers.
    Fee,
    /// Destroyed: burnt base fee, sent to no one, or to an unspendable output.
    Burnt,
    /// Not followed further because the hop limit was reached.
    HopLimit,
    /// Not followed further because it was below the dust threshold.
    Dust,
    /// Not followed because the trace's work budget ran out.
    Unexplored,
    /// Not followed because a movement's amount is above 2^128 base units (a spam token's
    /// astronomic transfer), which the tracing path cannot measure: the tainted value that met
    /// it, where it met it; `evidence` says so.
    TooLarge,
    /// Backward: created here (coinbase, block reward, token mint).
    Minted,
    /// Backward: held before the store's history begins, or an input the store cannot link.
    Untracked,
}

impl EndpointKind {
    /// The name reports use (as in the JSON schema).
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Service => "service",
            EndpointKind::Entered => "entered",
            EndpointKind::BridgePending => "bridge_pending",
            EndpointKind::Unspent => "unspent",
            EndpointKind::Fee => "fee",
            EndpointKind::Burnt => "burnt",
            EndpointKind::HopLimit => "hop_limit",
            EndpointKind::Dust => "dust",
            EndpointKind::Unexplored => "unexplored",
            EndpointKind::TooLarge => "too_large",
            EndpointKind::Minted => "minted",
            EndpointKind::Untracked => "untracked",
        }
    }
}

/// One step of a path.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PathStep {
    /// Hops from the seed.
    pub hop: u32,
    /// The chain of the step.
    pub chain: Chain,
    /// The transaction.
    pub tx: String,
    /// The height of its block: with `tx`, `vout` and `position` what a citation of this step
    /// names (docs/report.md).
    pub block: u64,
    /// The output carrying the value (UTXO chains); `None` on account chains and for fees.
    pub vout: Option<u32>,
    /// The transfer's position among its transaction's transfers as stored (account chains;
    /// 0 = first); `None` on UTXO chains and for fees.
    pub position: Option<u32>,
    /// Its time (seconds since the epoch).
    pub time: u64,
    /// The sender.
    pub from: Option<String>,
    /// The receiver.
    pub to: Option<String>,
    /// Tainted amount carried by this step.
    pub value: Value,
    /// The rule that assigned this amount: the policy, `seed`, or a converter with its
    /// confidence.
    pub rule: String,
}

/// Where some traced value ended.
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    /// Why the value stopped here.
    pub kind: EndpointKind,
    /// The entity, when attributed.
    pub entity: Option<String>,
    /// The entity's role (exchange, mixer, bridge, …): what made the trace stop or convert here.
    pub category: Option<String>,
    /// The entity's flags in force (sanctioned, hack, …), riskiest first; empty when it has
    /// none or there is no entity.
    pub flags: Vec<String>,
    /// The chain.
    pub chain: Chain,
    /// The address the value reached (for services: the deposit address).
    pub address: Option<String>,
    /// How much ended here.
    pub value: Value,
    /// The transaction that delivered it (the first, when several did).
    pub tx: String,
    /// When it arrived (seconds since the epoch).
    pub time: u64,
    /// Hops from the seed.
    pub hops: u32,
    /// Product of the converter confidences along the representative path (1 without converters).
    pub confidence: f64,
    /// Why this endpoint is what it is, when more than a label says so: a deposit address's
    /// sweeps to its exchange, a pending bridge inbound's request.
    pub evidence: Option<String>,
    /// One full path from the seed to here.
    pub path: Vec<PathStep>,
    /// How many tainted transfers or outputs are aggregated into this endpoint.
    pub deliveries: u64,
}

/// Totals per entity (or per kind, for unattributed endpoints).
#[derive(Debug, Clone, Serialize)]
pub struct EntityTotal {
    /// The entity's name (or the kind, unattributed).
    pub entity: String,
    /// Its role.
    pub category: String,
    /// Why the value stopped there.
    pub kind: EndpointKind,
    /// What ended there, per asset.
    pub values: Vec<Value>,
    /// Its USD value, where priced.
    pub usd: Option<f64>,
}

/// How much work the trace did.
#[derive(Debug, Clone, Serialize)]
pub struct TraceStats {
    /// Events processed.
    pub events: u64,
    /// Holders touched.
    pub holders: u64,
    /// Edges recorded.
    pub edges: u64,
    /// Wall time.
    pub elapsed_ms: u64,
    /// True when the work budget stopped the trace; `unexplored` endpoints say what was left.
    pub budget_exhausted: bool,
}

/// A trace's result: what was seeded, where it went, by entity, with the work it took.
#[derive(Debug, Clone, Serialize)]
pub struct TraceReport {
    /// `forward` or `backward`.
    pub direction: &'static str,
    /// The policy used.
    pub policy: Policy,
    /// The hop limit.
    pub max_hops: u32,
    /// The dust threshold, in whole units.
    pub min_value: String,
    /// Flows after this time were not followed.
    pub until: Option<u64>,
    /// What was seeded, per asset.
    pub seeded: Vec<Value>,
    /// Where it went, largest first.
    pub endpoints: Vec<Endpoint>,
    /// The same, summed per entity and kind.
    pub by_entity: Vec<EntityTotal>,
    /// The work it took.
    pub stats: TraceStats,
}
