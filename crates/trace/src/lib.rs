//! Tracing engine of chaintrail: where did stolen funds go, and how much reached whom.
//!
//! This crate owns
//! - the taint policies (poison, haircut, FIFO, LIFO, TIHO) on the one value-flow model:
//!   [`policy::Holder`] is the same state machine for an account balance and a UTXO transaction;
//! - the forward propagation over the store, across chains, in time order ([`trace`]);
//! - converters ([`convert::Converter`]): DEX swaps now, mixers and bridges through the same trait;
//! - stops: services named by [`attribution::Attribution`] (exchanges and other custodians), where
//!   exposure is recorded. What a trace does at an address is decided by its **role** alone (the
//!   resolved role of its labels: exchange → stop, mixer/bridge/DEX → convert); its **flags**
//!   (sanctioned, hack, …) are reported on the endpoint, and an address with flags and no role
//!   (a thief's or a sanctioned actor's own wallet) is traced through;
//! - the report ([`report::TraceReport`]): endpoints grouped by entity and category, in native
//!   units and USD where priced, what is unspent, what the hop limit and the dust threshold cut,
//!   and for every endpoint one full path with the rule applied at each hop. docs/trace.md is its
//!   schema.

pub mod attribution;
mod backward;
mod cancel;
pub mod convert;
mod engine;
pub mod graph;
pub mod policy;
mod prices;
pub mod report;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use alloy_primitives::U256;
use chaintrail_core::{Address, Amount, AssetKind, Chain, ChainModel, TransferKind, TxHash};
use chaintrail_store::{ChainReader, TxId};

pub use attribution::{Attribution, Entity, NoAttribution, Role, StaticAttribution, role};
pub use cancel::{Cancel, CancelOnDrop};
pub use chaintrail_links::{Link, LinkSet, Pending};
pub use convert::{Conversion, Converter, DexSwap, Flow, TooLarge};
pub use policy::{Holder, Lot, Lots, Policy, UnknownPolicy};
pub use prices::{PEGS_FILE, Prices};
pub use report::{Endpoint, EndpointKind, EntityTotal, PathStep, TraceReport, TraceStats, Value};

use crate::engine::{Arrival, Edge, Engine, EngineConfig, Record};

#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("the store has no data for chain {0}")]
    UnknownChain(Chain),
    #[error("{0}")]
    BadSeed(String),
    #[error("{0}")]
    Options(String),
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// The caller raised the request's [`Cancel`] flag.
    #[error("the trace was cancelled after {events} events")]
    Cancelled { events: u64 },
    /// The trace read a damaged segment of the store.
    #[error(transparent)]
    Store(#[from] chaintrail_store::StoreError),
}

/// What to start from.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub chain: Chain,
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

#[derive(Debug, Clone)]
pub struct TraceRequest {
    pub seeds: Vec<Seed>,
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

/// Resolve an asset selector on a chain.
fn asset_id(reader: &ChainReader, selector: &str) -> Result<u32, TraceError> {
    if selector.eq_ignore_ascii_case("native")
        || selector.eq_ignore_ascii_case(reader.chain().native_symbol())
    {
        return Ok(0);
    }
    let by_contract = Address::parse(reader.chain(), selector).ok();
    reader
        .assets()
        .iter()
        .position(|a| match (&a.kind, &by_contract) {
            (AssetKind::Token(contract), Some(wanted)) => contract == wanted,
            _ => a.symbol.eq_ignore_ascii_case(selector),
        })
        .map(|i| i as u32)
        .ok_or_else(|| {
            TraceError::BadSeed(format!(
                "no asset `{selector}` on {}: use native, a token contract address or a symbol the \
                 store knows ({})",
                reader.chain(),
                reader
                    .assets()
                    .iter()
                    .map(|a| a.symbol.clone())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
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

/// Split `total` over `parts` proportionally; the rounding remainder goes to the largest part,
/// so the pieces sum to `total` exactly.
fn proportional(parts: &[u128], total: u128) -> Vec<u128> {
    let sum: u128 = parts.iter().sum();
    if sum == 0 {
        return vec![0; parts.len()];
    }
    let mut out: Vec<u128> = parts
        .iter()
        .map(|&p| {
            let wide = U256::from(p) * U256::from(total) / U256::from(sum);
            u128::try_from(wide).unwrap_or(p)
        })
        .collect();
    let given: u128 = out.iter().sum();
    if let Some((largest, _)) = parts
        .iter()
        .enumerate()
        .max_by_key(|(i, p)| (**p, std::cmp::Reverse(*i)))
    {
        out[largest] += total - given;
    }
    out
}

fn seed_amount(seed: &Seed, available: u128, what: &str) -> Result<u128, TraceError> {
    match seed.amount {
        None => Ok(available),
        Some(amount) => match amount.to_u128() {
            Some(units) if units <= available => Ok(units),
            _ => Err(TraceError::BadSeed(format!(
                "seed {seed}: --amount {amount} is more than the {available} base units {what}"
            ))),
        },
    }
}

/// What a seed moves in total, refused when it does not fit the tracing path's 128 bits.
fn seed_total(seed: &Seed, amounts: &[u128]) -> Result<u128, TraceError> {
    amounts
        .iter()
        .try_fold(0u128, |sum, &a| sum.checked_add(a))
        .ok_or_else(|| {
            TraceError::BadSeed(format!(
                "seed {seed}: its movements add up to more than 2^128 base units (a spam \
                 token?), more than the tracer can measure; seed a single transfer or another \
                 asset (--asset)"
            ))
        })
}

/// The refusal of a seed transfer whose amount does not fit 128 bits.
fn too_large_seed(
    seed: &Seed,
    reader: &ChainReader,
    t: &chaintrail_store::TransferView,
) -> TraceError {
    let asset = reader
        .asset(t.asset)
        .map_or_else(|| format!("asset #{}", t.asset), |a| a.symbol.clone());
    TraceError::BadSeed(format!(
        "seed {seed}: transfer {} of transaction {} moves {} base units of {asset}, above 2^128 \
         (a spam token?): the tracer cannot measure it; seed another asset (--asset)",
        t.row,
        reader.tx_hash(t.tx).to_hex_prefixed(),
        t.amount
    ))
}

fn plant(
    engine: &mut Engine<'_>,
    readers: &BTreeMap<Chain, ChainReader>,
    seed: &Seed,
) -> Result<(), TraceError> {
    let reader = readers
        .get(&seed.chain)
        .ok_or(TraceError::UnknownChain(seed.chain))?;
    let chain = engine.chain_index(seed.chain)?;
    let not_found =
        |what: String| TraceError::BadSeed(format!("seed {seed}: {what} is not in the store"));
    match (&seed.spec, seed.chain.model()) {
        (SeedSpec::Tx(hash), ChainModel::Account) => {
            let tx = reader
                .tx_id(hash)
                .ok_or_else(|| not_found(format!("transaction {hash}")))?;
            let wanted = seed
                .asset
                .as_deref()
                .map(|a| asset_id(reader, a))
                .transpose()?;
            let rows: Vec<(u64, u128)> =
                value_moved(seed, reader, reader.tx_transfers(tx), wanted)?
                    .into_iter()
                    .map(|(row, _, amount)| (row, amount))
                    .collect();
            if rows.is_empty() {
                return Err(TraceError::BadSeed(format!(
                    "seed {seed}: the transaction moved no value (in that asset)"
                )));
            }
            if seed.amount.is_some() && wanted.is_none() {
                return Err(TraceError::Options(format!(
                    "seed {seed}: --amount needs --asset when the seed is a transaction"
                )));
            }
            let amounts: Vec<u128> = rows.iter().map(|(_, a)| *a).collect();
            let total = seed_amount(seed, seed_total(seed, &amounts)?, "the transaction moved")?;
            for ((row, amount), taint) in rows.iter().zip(proportional(&amounts, total)) {
                engine.seed_transfer(chain, *row, Lots::split(*amount, taint))?;
            }
        }
        (SeedSpec::Address(address), ChainModel::Account) => {
            let id = reader
                .address_id(address)
                .ok_or_else(|| not_found(format!("address {address}")))?;
            let asset = match seed.asset.as_deref() {
                Some(a) => asset_id(reader, a)?,
                None => 0,
            };
            let received = reader
                .incoming(id)
                .filter_map(|row| reader.transfer(row))
                .filter(|t| t.success && t.asset == asset)
                .map(|t| {
                    t.amount
                        .to_u128()
                        .ok_or_else(|| too_large_seed(seed, reader, &t))
                })
                .collect::<Result<Vec<u128>, _>>()?;
            let total = seed_amount(seed, seed_total(seed, &received)?, "the address received")?;
            engine.seed_account(chain, id, asset, total);
        }
        (SeedSpec::Outpoint(..), ChainModel::Account) => {
            return Err(TraceError::BadSeed(format!(
                "seed {seed}: {} is an account chain; outpoints exist only on UTXO chains",
                seed.chain
            )));
        }
        (spec, ChainModel::Utxo) => {
            let outputs = utxo_seed_outputs(reader, seed, spec)?;
            let values: Vec<u128> = outputs
                .iter()
                .map(|&row| u128::from(reader.output_value(row).unwrap_or(0)))
                .collect();
            let total = seed_amount(seed, values.iter().sum(), "the seed outputs hold")?;
            for ((row, value), taint) in outputs
                .iter()
                .zip(&values)
                .zip(proportional(&values, total))
            {
                engine.seed_output(chain, *row, Lots::split(*value, taint))?;
            }
        }
    }
    Ok(())
}

/// The transfers among `rows` that moved value (successful, not gas), in `asset` if given:
/// (row, asset, amount). A seed with an amount above 2^128 base units is refused.
fn value_moved(
    seed: &Seed,
    reader: &ChainReader,
    rows: impl IntoIterator<Item = u64>,
    asset: Option<u32>,
) -> Result<Vec<(u64, u32, u128)>, TraceError> {
    rows.into_iter()
        .filter_map(|row| reader.transfer(row))
        .filter(|t| t.success && !matches!(t.kind, TransferKind::Fee | TransferKind::Burn))
        .filter(|t| asset.is_none_or(|w| w == t.asset))
        .map(|t| match t.amount.to_u128() {
            Some(amount) => Ok((t.row, t.asset, amount)),
            None => Err(too_large_seed(seed, reader, &t)),
        })
        .collect()
}

/// Seeds of a provenance trace: the movements whose origin is asked for.
fn plant_backward(
    backward: &mut backward::Backward<'_>,
    readers: &BTreeMap<Chain, ChainReader>,
    seed: &Seed,
) -> Result<(), TraceError> {
    let reader = readers
        .get(&seed.chain)
        .ok_or(TraceError::UnknownChain(seed.chain))?;
    let not_found =
        |what: String| TraceError::BadSeed(format!("seed {seed}: {what} is not in the store"));
    let wanted = seed
        .asset
        .as_deref()
        .map(|a| asset_id(reader, a))
        .transpose()?;
    match (&seed.spec, seed.chain.model()) {
        (SeedSpec::Tx(_) | SeedSpec::Address(_), ChainModel::Account) => {
            let rows: Vec<u64> = match &seed.spec {
                SeedSpec::Tx(hash) => {
                    let tx = reader
                        .tx_id(hash)
                        .ok_or_else(|| not_found(format!("transaction {hash}")))?;
                    reader.tx_transfers(tx).collect()
                }
                SeedSpec::Address(address) => {
                    let id = reader
                        .address_id(address)
                        .ok_or_else(|| not_found(format!("address {address}")))?;
                    reader.incoming(id).collect()
                }
                SeedSpec::Outpoint(..) => Vec::new(),
            };
            let transfers = value_moved(seed, reader, rows, wanted)?;
            if transfers.is_empty() {
                return Err(TraceError::BadSeed(format!(
                    "seed {seed}: no value moved (in that asset)"
                )));
            }
            if seed.amount.is_some() && transfers.iter().any(|t| t.1 != transfers[0].1) {
                return Err(TraceError::Options(format!(
                    "seed {seed}: --amount needs --asset when the seed moves several assets"
                )));
            }
            let amounts: Vec<u128> = transfers.iter().map(|t| t.2).collect();
            let total = seed_amount(seed, seed_total(seed, &amounts)?, "the seed moved")?;
            for ((row, asset, _), units) in transfers.iter().zip(proportional(&amounts, total)) {
                backward.seed_transfer(seed.chain, *row, *asset, units);
            }
        }
        (SeedSpec::Outpoint(..), ChainModel::Account) => {
            return Err(TraceError::BadSeed(format!(
                "seed {seed}: {} is an account chain; outpoints exist only on UTXO chains",
                seed.chain
            )));
        }
        (spec, ChainModel::Utxo) => {
            let outputs = utxo_seed_outputs(reader, seed, spec)?;
            let values: Vec<u128> = outputs
                .iter()
                .map(|&row| u128::from(reader.output_value(row).unwrap_or(0)))
                .collect();
            let total = seed_amount(seed, values.iter().sum(), "the seed outputs hold")?;
            for (row, units) in outputs.iter().zip(proportional(&values, total)) {
                backward.seed_output(seed.chain, *row, units);
            }
        }
    }
    Ok(())
}

/// The outputs a UTXO seed names: a transaction's, one outpoint, or an address's.
fn utxo_seed_outputs(
    reader: &ChainReader,
    seed: &Seed,
    spec: &SeedSpec,
) -> Result<Vec<u64>, TraceError> {
    let not_found =
        |what: String| TraceError::BadSeed(format!("seed {seed}: {what} is not in the store"));
    Ok(match spec {
        SeedSpec::Tx(hash) => {
            let tx = reader
                .tx_id(hash)
                .ok_or_else(|| not_found(format!("transaction {hash}")))?;
            reader.tx_outputs(tx).collect()
        }
        SeedSpec::Outpoint(hash, vout) => {
            let tx = reader
                .tx_id(hash)
                .ok_or_else(|| not_found(format!("transaction {hash}")))?;
            let range = reader.tx_outputs(tx);
            let row = range.start + u64::from(*vout);
            if row >= range.end {
                return Err(not_found(format!("output {hash}:{vout}")));
            }
            vec![row]
        }
        SeedSpec::Address(address) => {
            let id = reader
                .address_id(address)
                .ok_or_else(|| not_found(format!("address {address}")))?;
            reader.incoming(id).collect()
        }
    })
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

/// [`trace`] with more converters tried before the built-in ones (known bridge and mixer links).
pub fn trace_with(
    readers: &BTreeMap<Chain, ChainReader>,
    attribution: &dyn Attribution,
    prices: &Prices,
    extra: &[&dyn Converter],
    request: &TraceRequest,
) -> Result<TraceReport, TraceError> {
    let report = trace_over(readers, attribution, prices, extra, request)?;
    // Reads from a damaged store segment return nothing: no report is built on them.
    for reader in readers.values() {
        reader.ensure_intact()?;
    }
    Ok(report)
}

fn trace_over(
    readers: &BTreeMap<Chain, ChainReader>,
    attribution: &dyn Attribution,
    prices: &Prices,
    extra: &[&dyn Converter],
    request: &TraceRequest,
) -> Result<TraceReport, TraceError> {
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
        return Ok(build_report(
            &backward.edges,
            &backward.arrivals,
            readers,
            prices,
            request,
            stats,
        ));
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
    Ok(build_report(
        &engine.edges,
        &engine.arrivals,
        readers,
        prices,
        request,
        stats,
    ))
}

fn value(
    readers: &BTreeMap<Chain, ChainReader>,
    prices: &Prices,
    chain: Chain,
    asset: u32,
    exact: Amount,
    time: u64,
) -> Value {
    let known = readers.get(&chain).and_then(|r| r.asset(asset));
    let (symbol, decimals) = known.map_or_else(
        || (format!("asset#{asset}"), 0),
        |a| {
            let symbol = if a.symbol.is_empty() {
                a.contract()
                    .map_or_else(|| format!("asset#{asset}"), ToString::to_string)
            } else {
                a.symbol.clone()
            };
            (symbol, a.decimals)
        },
    );
    Value {
        chain,
        usd: known.and_then(|a| prices.usd(a, exact.to_f64_units(decimals), time)),
        asset: symbol,
        contract: known.and_then(|a| a.contract().cloned()),
        decimals,
        amount: exact.to_string(),
        units: exact.format_units(decimals),
    }
}

fn edge_step(
    edges: &[Edge],
    readers: &BTreeMap<Chain, ChainReader>,
    prices: &Prices,
    index: usize,
) -> PathStep {
    let edge = &edges[index];
    let reader = &readers[&edge.chain];
    let name = |id: u32| reader.address(id).map(|a| a.to_string());
    let hash_text = |tx: TxId| match edge.chain.model() {
        ChainModel::Account => reader.tx_hash(tx).to_hex_prefixed(),
        ChainModel::Utxo => reader.tx_hash(tx).to_hex(),
    };
    let (tx, time, from, to) = match edge.record {
        Record::Transfer(row) => match reader.transfer(row) {
            Some(t) => (hash_text(t.tx), t.block.timestamp, name(t.from), name(t.to)),
            None => (String::new(), 0, None, None),
        },
        Record::Output(row) => match reader.output(row) {
            Some(o) => (
                hash_text(o.tx),
                reader.tx_block(o.tx).timestamp,
                None,
                name(o.address),
            ),
            None => (String::new(), 0, None, None),
        },
        Record::Fee(tx) => (hash_text(tx), reader.tx_block(tx).timestamp, None, None),
        Record::Seed => (String::new(), 0, None, None),
    };
    PathStep {
        hop: edge.hop,
        chain: edge.chain,
        tx,
        time,
        from,
        to,
        value: value(
            readers,
            prices,
            edge.chain,
            edge.asset,
            Amount::from_u128(edge.taint),
            time,
        ),
        rule: edge.rule.clone(),
    }
}

/// The path from the seed to edge `index`, in time order: seed first when tracing forward,
/// origin first when tracing backward (there the parent of an edge is the later movement).
fn path(
    edges: &[Edge],
    readers: &BTreeMap<Chain, ChainReader>,
    prices: &Prices,
    mut index: usize,
    backward: bool,
) -> Vec<PathStep> {
    let mut steps = Vec::new();
    loop {
        steps.push(edge_step(edges, readers, prices, index));
        match edges[index].parent {
            Some(parent) if steps.len() < 10_000 => index = parent,
            _ => break,
        }
    }
    if !backward {
        steps.reverse();
    }
    steps
}

/// (entity or kind, category, kind) and (chain, symbol, decimals): the by-entity grouping.
type EntityKey = (String, String, EndpointKind);
type AssetKey = (Chain, String, Option<Address>, u8);

fn build_report(
    edges: &[Edge],
    arrivals: &[Arrival],
    readers: &BTreeMap<Chain, ChainReader>,
    prices: &Prices,
    request: &TraceRequest,
    stats: TraceStats,
) -> TraceReport {
    // Aggregate arrivals per endpoint; the largest delivery is the representative path.
    type Key = (EndpointKind, Option<String>, Chain, Option<u32>, u32);
    // Sums in 256 bits: fewer than 2^64 arrivals of less than 2^128 units each cannot overflow.
    let mut groups: BTreeMap<Key, (U256, u64, &Arrival)> = BTreeMap::new();
    for arrival in arrivals {
        let key = (
            arrival.kind,
            arrival.entity.as_ref().map(|e| e.name.clone()),
            arrival.chain,
            arrival.address,
            arrival.asset,
        );
        let entry = groups.entry(key).or_insert((U256::ZERO, 0, arrival));
        entry.0 += U256::from(arrival.taint);
        entry.1 += 1;
        if arrival.taint > entry.2.taint {
            entry.2 = arrival;
        }
    }
    let totalled: Vec<(U256, Endpoint)> = groups
        .into_iter()
        .map(
            |((kind, _, chain, address, asset), (total, deliveries, best))| {
                let steps = path(edges, readers, prices, best.edge, request.backward);
                // The endpoint is where the path ends in the trace's direction.
                let last = if request.backward {
                    steps.first()
                } else {
                    steps.last()
                };
                let time = last.map_or(0, |s| s.time);
                let reader = &readers[&chain];
                let endpoint = Endpoint {
                    kind,
                    entity: best.entity.as_ref().map(|e| e.name.clone()),
                    category: best
                        .entity
                        .as_ref()
                        .and_then(|e| e.category)
                        .map(|c| c.to_string()),
                    flags: best.entity.as_ref().map_or_else(Vec::new, |e| {
                        e.flags.iter().map(|f| f.to_string()).collect()
                    }),
                    chain,
                    address: address
                        .and_then(|a| reader.address(a))
                        .map(|a| a.to_string()),
                    value: value(
                        readers,
                        prices,
                        chain,
                        asset,
                        Amount::from_u256(total),
                        time,
                    ),
                    tx: last.map_or_else(String::new, |s| s.tx.clone()),
                    time,
                    hops: last.map_or(0, |s| s.hop),
                    // An attribution derived from chain data is only as sure as its detector.
                    confidence: edges[best.edge].confidence
                        * best
                            .entity
                            .as_ref()
                            .filter(|e| e.evidence.is_some())
                            .map_or(1.0, |e| f64::from(e.confidence) / 100.0),
                    evidence: best
                        .note
                        .clone()
                        .or_else(|| best.entity.as_ref().and_then(|e| e.evidence.clone())),
                    path: steps,
                    deliveries,
                };
                (total, endpoint)
            },
        )
        .collect();
    let by_entity = entity_totals(&totalled);
    let mut endpoints: Vec<Endpoint> = totalled.into_iter().map(|(_, e)| e).collect();
    endpoints.sort_by(|a, b| {
        let usd = |e: &Endpoint| e.value.usd.unwrap_or(0.0);
        usd(b)
            .total_cmp(&usd(a))
            .then_with(|| b.value.units.len().cmp(&a.value.units.len()))
            .then_with(|| b.value.amount.cmp(&a.value.amount))
    });
    let mut seeded: BTreeMap<(Chain, u32), (U256, u64)> = BTreeMap::new();
    for edge in edges.iter().filter(|e| e.rule == "seed") {
        let time = match edge.record {
            Record::Transfer(row) => readers[&edge.chain]
                .transfer(row)
                .map_or(0, |t| t.block.timestamp),
            Record::Output(row) => readers[&edge.chain]
                .output(row)
                .map_or(0, |o| readers[&edge.chain].tx_block(o.tx).timestamp),
            _ => 0,
        };
        let slot = seeded
            .entry((edge.chain, edge.asset))
            .or_insert((U256::ZERO, time));
        slot.0 += U256::from(edge.taint);
    }
    TraceReport {
        direction: if request.backward {
            "backward"
        } else {
            "forward"
        },
        policy: request.policy,
        max_hops: request.max_hops,
        min_value: request.min_value.clone(),
        until: request.until,
        seeded: seeded
            .into_iter()
            .map(|((chain, asset), (amount, time))| {
                value(
                    readers,
                    prices,
                    chain,
                    asset,
                    Amount::from_u256(amount),
                    time,
                )
            })
            .collect(),
        endpoints,
        by_entity,
        stats,
    }
}

/// The endpoints (with their exact totals) summed per entity (or kind) and asset, largest USD
/// first.
fn entity_totals(endpoints: &[(U256, Endpoint)]) -> Vec<EntityTotal> {
    let mut by_entity: BTreeMap<EntityKey, BTreeMap<AssetKey, (U256, Option<f64>)>> =
        BTreeMap::new();
    for (total, e) in endpoints {
        let name = e
            .entity
            .clone()
            .unwrap_or_else(|| e.kind.as_str().to_string());
        let category = e.category.clone().unwrap_or_else(|| "-".to_string());
        let per_asset = by_entity.entry((name, category, e.kind)).or_default();
        let slot = per_asset
            .entry((
                e.value.chain,
                e.value.asset.clone(),
                e.value.contract.clone(),
                e.value.decimals,
            ))
            .or_insert((U256::ZERO, None));
        slot.0 += *total;
        if let Some(usd) = e.value.usd {
            slot.1 = Some(slot.1.unwrap_or(0.0) + usd);
        }
    }
    let mut by_entity: Vec<EntityTotal> = by_entity
        .into_iter()
        .map(|((entity, category, kind), assets)| {
            let usd: Option<f64> = assets.values().filter_map(|(_, u)| *u).reduce(|a, b| a + b);
            EntityTotal {
                entity,
                category,
                kind,
                values: assets
                    .into_iter()
                    .map(|((chain, asset, contract, decimals), (amount, usd))| {
                        let exact = Amount::from_u256(amount);
                        Value {
                            chain,
                            asset,
                            contract,
                            decimals,
                            amount: exact.to_string(),
                            units: exact.format_units(decimals),
                            usd,
                        }
                    })
                    .collect(),
                usd,
            }
        })
        .collect();
    by_entity.sort_by(|a, b| b.usd.unwrap_or(0.0).total_cmp(&a.usd.unwrap_or(0.0)));
    by_entity
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

    #[test]
    fn proportional_split_is_exact() {
        assert_eq!(proportional(&[1, 1, 1], 10), vec![4, 3, 3]);
        assert_eq!(proportional(&[5, 0], 3), vec![3, 0]);
        assert_eq!(
            proportional(&[u128::MAX / 2, u128::MAX / 2], u128::MAX / 2)
                .iter()
                .sum::<u128>(),
            u128::MAX / 2
        );
    }
}
