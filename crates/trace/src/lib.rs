//! Tracing engine of chaintrail: where did stolen funds go, and how much reached whom.
//!
//! This crate owns
//! - the taint policies (poison, haircut, FIFO, LIFO, TIHO) on the one value-flow model:
//!   [`Holder`] is the same state machine for an account balance and a UTXO transaction;
//! - seeds ([`Seed`]: a transaction, an address or an outpoint) and how they are planted, split
//!   exactly over the movements they name (the private `seeding` module);
//! - the forward propagation over the store, across chains, in time order ([`trace`]);
//! - converters ([`Converter`]): DEX swaps now, mixers and bridges through the same trait;
//! - stops: services named by [`Attribution`] (exchanges and other custodians), where
//!   exposure is recorded. What a trace does at an address is decided by its **role** alone (the
//!   resolved role of its labels: exchange → stop, mixer/bridge/DEX → convert); its **flags**
//!   (sanctioned, hack, …) are reported on the endpoint, and an address with flags and no role
//!   (a thief's or a sanctioned actor's own wallet) is traced through;
//! - the report ([`TraceReport`], built from the engine's edges by the private
//!   `reporting` module): endpoints grouped by entity and category, in native
//!   units and USD where priced, what is unspent, what the hop limit and the dust threshold cut,
//!   and for every endpoint one full path with the rule applied at each hop. docs/trace.md is its
//!   schema.

#![warn(missing_docs)]

mod attribution;
mod backward;
pub mod bench;
mod cancel;
pub mod convert;
mod engine;
pub mod graph;
mod moves;
mod policy;
mod prices;
mod report;
mod reporting;
mod seeding;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use alloy_primitives::U256;
use chaintrail_core::{Address, Amount, Chain, TxHash};
use chaintrail_store::ChainReader;

pub use attribution::{
    Attribution, Entity, NoAttribution, Role, StaticAttribution, WithClusters, role,
};
pub use cancel::{Cancel, CancelOnDrop};
pub use chaintrail_links::{Link, LinkSet, Pending};
pub use convert::{Conversion, Converter, DexSwap, Flow, TooLarge, Waiting};
pub use moves::{MoveCause, MovedRecord, TaintedMove, TaintedMoves};
pub use policy::{Holder, Lot, Lots, Policy, UnknownPolicy};
pub use prices::{PEGS_FILE, PegsError, Prices};
pub use report::{Endpoint, EndpointKind, EntityTotal, PathStep, TraceReport, TraceStats, Value};
pub use seeding::amount_in_units;

use crate::engine::{Arrival, Edge, Engine, EngineConfig};
use crate::reporting::build_report;
use crate::seeding::{plant, plant_backward};

/// Why a trace could not run.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The store has no data for the seed's chain.
    #[error("the store has no data for chain {0}")]
    UnknownChain(Chain),
    /// A seed that does not parse or names nothing in the store, phrased for the user.
    #[error("{0}")]
    BadSeed(String),
    /// Options that do not fit together or do not parse, phrased for the user.
    #[error("{0}")]
    Options(String),
    /// A broken invariant of the engine (a bug).
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// The caller raised the request's [`Cancel`] flag.
    #[error("the trace was cancelled after {events} events")]
    Cancelled {
        /// Events processed before it stopped.
        events: u64,
    },
    /// The trace read a damaged segment of the store.
    #[error(transparent)]
    Store(#[from] chaintrail_store::StoreError),
}

/// What to start from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeedSpec {
    /// The value a transaction moved (account chains: its successful non-fee transfers; UTXO
    /// chains: its outputs).
    Tx(TxHash),
    /// What an address received (account chains: in one asset).
    Address(Address),
    /// One UTXO output.
    Outpoint(TxHash, u32),
}

/// A seed: `<chain>:<tx hash | address | txid:vout>`, optionally restricted to an amount and asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// The chain of the seed.
    pub chain: Chain,
    /// What the seed is: a transaction, an address or an outpoint.
    pub spec: SeedSpec,
    /// Base units of the seed asset; `None` = everything the seed holds.
    pub amount: Option<Amount>,
    /// `native`, a token contract address, or a symbol; `None` = every asset (tx seeds) or native.
    pub asset: Option<String>,
}

impl FromStr for Seed {
    type Err = TraceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: String| {
            TraceError::BadSeed(format!(
                "seed `{s}`: {why}; expected <chain>:<tx hash | address | txid:vout>, e.g. \
                 ethereum:0x…(64 hex) or bitcoin:bc1q… or bitcoin:<txid>:0"
            ))
        };
        let (chain_text, rest) = if let Some(rest) = s.strip_prefix("evm:") {
            let (id, rest) = rest
                .split_once(':')
                .ok_or_else(|| bad("missing the seed after the chain".into()))?;
            (format!("evm:{id}"), rest)
        } else {
            let (chain, rest) = s
                .split_once(':')
                .ok_or_else(|| bad("missing the chain".into()))?;
            (chain.to_string(), rest)
        };
        let chain: Chain = chain_text.parse().map_err(|e| bad(format!("{e}")))?;
        let digits = rest.strip_prefix("0x").unwrap_or(rest);
        let spec = if let Some((txid, vout)) = rest.split_once(':') {
            let vout = vout
                .parse::<u32>()
                .map_err(|_| bad(format!("`{vout}` is not an output index")))?;
            SeedSpec::Outpoint(txid.parse().map_err(|e| bad(format!("{e}")))?, vout)
        } else if digits.len() == 64 && digits.chars().all(|c| c.is_ascii_hexdigit()) {
            SeedSpec::Tx(rest.parse().map_err(|e| bad(format!("{e}")))?)
        } else {
            SeedSpec::Address(Address::parse(chain, rest).map_err(|e| bad(format!("{e}")))?)
        };
        Ok(Seed {
            chain,
            spec,
            amount: None,
            asset: None,
        })
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.spec {
            SeedSpec::Tx(hash) => write!(f, "{}:{}", self.chain, hash),
            SeedSpec::Address(address) => write!(f, "{}:{}", self.chain, address),
            SeedSpec::Outpoint(hash, vout) => write!(f, "{}:{}:{}", self.chain, hash, vout),
        }
    }
}

/// What to trace and how.
#[derive(Debug, Clone)]
pub struct TraceRequest {
    /// Where to start.
    pub seeds: Vec<Seed>,
    /// How taint is assigned when tainted and clean value mix.
    pub policy: Policy,
    /// Hops followed from the seed; value that would go further is reported as cut.
    pub max_hops: u32,
    /// Dust threshold in whole units of the asset at each hop (e.g. "0.001" = 0.001 ETH on an
    /// ETH hop, 0.001 USDT on a USDT hop); "0" cuts nothing.
    pub min_value: String,
    /// Follow no flows after this time (seconds since the epoch).
    pub until: Option<u64>,
    /// Provenance instead of destination.
    pub backward: bool,
    /// Work budget in events; what it leaves unexplored is reported.
    pub budget: u64,
    /// Raised by the caller to stop the trace early ([`TraceError::Cancelled`]).
    pub cancel: Cancel,
    /// Converter links below this confidence are not crossed (the value stays an endpoint in
    /// the converter). Exact bridge joins have confidence 1; demixing heuristics less.
    pub min_confidence: f64,
}

/// The default of [`TraceRequest::min_confidence`]: a link must be more likely right than wrong.
pub const DEFAULT_MIN_CONFIDENCE: f64 = 0.5;

impl Default for TraceRequest {
    fn default() -> Self {
        TraceRequest {
            seeds: Vec::new(),
            policy: Policy::Haircut,
            max_hops: 20,
            min_value: "0".to_string(),
            until: None,
            backward: false,
            budget: 20_000_000,
            cancel: Cancel::default(),
            min_confidence: DEFAULT_MIN_CONFIDENCE,
        }
    }
}

/// `--min-value` is read in units of 10^-36 of a whole unit, so that the comparison with a taint
/// is exact for every asset (no threshold is rounded, clamped or lost).
const DUST_SCALE: u8 = 36;

/// Is `taint` base units of an asset with `decimals` less than `min_scaled` (the dust threshold
/// in units of 10^-[`DUST_SCALE`])?
fn is_dust(taint: u128, decimals: u8, min_scaled: U256) -> bool {
    let ten = U256::from(10u8);
    if decimals <= DUST_SCALE {
        // At most 2^128 · 10^36 < 2^256: no overflow.
        U256::from(taint) * ten.pow(U256::from(DUST_SCALE - decimals)) < min_scaled
    } else {
        // Base units finer than the scale: a threshold beyond 2^256 base units cuts everything.
        ten.checked_pow(U256::from(decimals - DUST_SCALE))
            .and_then(|p| min_scaled.checked_mul(p))
            .is_none_or(|threshold| U256::from(taint) < threshold)
    }
}

/// Trace the request's seeds forward through every chain in `readers`, with the built-in
/// converters (DEX swaps).
pub fn trace(
    readers: &BTreeMap<Chain, ChainReader>,
    attribution: &dyn Attribution,
    prices: &Prices,
    request: &TraceRequest,
) -> Result<TraceReport, TraceError> {
    trace_with(readers, attribution, prices, &[], request)
}

/// A trace's `until` as people write it: Unix seconds, or a day `YYYY-MM-DD` (its last second,
/// UTC).
pub fn parse_until(text: &str) -> Result<u64, String> {
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(seconds);
    }
    let day: chaintrail_core::Date = text.parse().map_err(|e| format!("{e} (or Unix seconds)"))?;
    u64::try_from(day.end_unix_seconds())
        .map_err(|_| format!("{day} is before 1970: no block is that old"))
}

/// [`trace`] with more converters tried before the built-in ones (known bridge and mixer links).
pub fn trace_with(
    readers: &BTreeMap<Chain, ChainReader>,
    attribution: &dyn Attribution,
    prices: &Prices,
    extra: &[&dyn Converter],
    request: &TraceRequest,
) -> Result<TraceReport, TraceError> {
    let report = trace_over(
        readers,
        attribution,
        extra,
        request,
        |edges, arrivals, stats| build_report(edges, arrivals, readers, prices, request, stats),
    )?;
    // Reads from a damaged store segment return nothing: no report is built on them.
    for reader in readers.values() {
        reader.ensure_intact()?;
    }
    Ok(report)
}

/// Every tainted movement of a forward trace (what [`trace_with`] aggregates into endpoints),
/// one by one with its parent, for callers that act on single movements: alerting on the
/// movements of new blocks. Backward requests are refused.
pub fn trace_moves(
    readers: &BTreeMap<Chain, ChainReader>,
    attribution: &dyn Attribution,
    extra: &[&dyn Converter],
    request: &TraceRequest,
) -> Result<TaintedMoves, TraceError> {
    if request.backward {
        return Err(TraceError::Options(
            "tainted movements are read from forward traces only".to_string(),
        ));
    }
    let moves = trace_over(readers, attribution, extra, request, |edges, _, _| {
        TaintedMoves::new(edges.to_vec(), request.policy)
    })?;
    for reader in readers.values() {
        reader.ensure_intact()?;
    }
    Ok(moves)
}

/// Run the request and hand the engine's edges and arrivals to `finish`.
fn trace_over<T>(
    readers: &BTreeMap<Chain, ChainReader>,
    attribution: &dyn Attribution,
    extra: &[&dyn Converter],
    request: &TraceRequest,
    finish: impl FnOnce(&[Edge], &[Arrival], TraceStats) -> T,
) -> Result<T, TraceError> {
    if request.backward && request.policy == Policy::Poison {
        return Err(TraceError::Options(
            "poison has no provenance (every ancestor would be fully tainted): trace backward \
             with haircut, fifo, lifo or tiho"
                .to_string(),
        ));
    }
    if request.backward && request.until.is_some() {
        return Err(TraceError::Options(
            "--until limits forward traces; a backward trace already ends at the seed".to_string(),
        ));
    }
    if request.seeds.is_empty() {
        return Err(TraceError::Options("give at least one --seed".to_string()));
    }
    if request.max_hops == 0 {
        return Err(TraceError::Options(
            "--max-hops must be at least 1".to_string(),
        ));
    }
    let min_value = request.min_value.trim().to_string();
    let min_scaled = Amount::from_units(&min_value, DUST_SCALE)
        .map_err(|e| TraceError::Options(format!("--min-value: {e}")))?
        .as_u256();
    let decimals: HashMap<(Chain, u32), u8> = readers
        .iter()
        .flat_map(|(chain, reader)| {
            reader
                .assets()
                .iter()
                .enumerate()
                .map(|(i, a)| ((*chain, i as u32), a.decimals))
                .collect::<Vec<_>>()
        })
        .collect();
    let dust_cut = |chain: Chain, asset: u32, taint: u128| -> bool {
        let d = decimals.get(&(chain, asset)).copied().unwrap_or(0);
        is_dust(taint, d, min_scaled)
    };
    if request.backward {
        let mut backward = backward::Backward::new(
            readers,
            attribution,
            request.policy,
            request.max_hops,
            &dust_cut,
            request.budget,
            &request.cancel,
        );
        for seed in &request.seeds {
            plant_backward(&mut backward, readers, seed)?;
        }
        let stats = backward.run();
        if request.cancel.is_cancelled() {
            return Err(TraceError::Cancelled {
                events: stats.events,
            });
        }
        return Ok(finish(&backward.edges, &backward.arrivals, stats));
    }
    let dex = DexSwap;
    let confident: Vec<convert::AtLeast<'_>> = extra
        .iter()
        .map(|&inner| convert::AtLeast {
            inner,
            min: request.min_confidence,
        })
        .collect();
    let mut converters: Vec<&dyn Converter> =
        confident.iter().map(|c| c as &dyn Converter).collect();
    converters.push(&dex);
    let mut engine = Engine::new(
        readers,
        EngineConfig {
            attribution,
            converters: &converters,
            policy: request.policy,
            max_hops: request.max_hops,
            is_dust: &dust_cut,
            until: request.until,
            budget: request.budget,
            cancel: &request.cancel,
        },
    );
    for seed in &request.seeds {
        plant(&mut engine, readers, seed)?;
    }
    let stats = engine.run();
    if request.cancel.is_cancelled() {
        return Err(TraceError::Cancelled {
            events: stats.events,
        });
    }
    Ok(finish(&engine.edges, &engine.arrivals, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse() {
        let tx = "ethereum:0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060";
        assert!(matches!(tx.parse::<Seed>().unwrap().spec, SeedSpec::Tx(_)));
        let address = "evm:56:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        let seed: Seed = address.parse().unwrap();
        assert_eq!(seed.chain, Chain::Evm(56));
        assert!(matches!(seed.spec, SeedSpec::Address(_)));
        let outpoint = "bitcoin:4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b:0";
        assert!(matches!(
            outpoint.parse::<Seed>().unwrap().spec,
            SeedSpec::Outpoint(_, 0)
        ));
        let err = "bitcoin:notanaddress".parse::<Seed>().unwrap_err();
        assert!(err.to_string().contains("expected <chain>:"), "{err}");
        let err = "narnia:0x00".parse::<Seed>().unwrap_err();
        assert!(err.to_string().contains("unknown chain"), "{err}");
    }
}
