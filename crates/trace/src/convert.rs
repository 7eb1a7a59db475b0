//! Converters: holders whose outflows are in another asset or on another chain. A converter
//! passes taint through with a confidence; it is never a sink.
//!
//! - [`DexSwap`]: a swap on a DEX pool, found in the same transaction;
//! - a [`LinkSet`]: links from a converter's input transaction to its output transactions —
//!   bridges joined by exact keys decoded from chain data (THORChain's `OUT:<inbound hash>`, the
//!   Avalanche Bridge's `originTxId`), mixer links with their confidence — and the inbounds whose
//!   payout is not in the store yet (pending).

use std::collections::BTreeMap;

use alloy_primitives::{U256, U512};
use chaintrail_core::{Address, Chain, ChainModel, TransferKind};
use chaintrail_links::LinkSet;
use chaintrail_store::{ChainReader, TxId, schema};

use crate::report::EndpointKind;

/// A record value enters or leaves a converter by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// A transfer row of an account chain.
    Transfer(u64),
    /// An output row of a UTXO chain.
    Output(u64),
}

/// Value that entered a converter and is known to wait there: for a payout (a bridge inbound
/// not, or not fully, settled in the store), or in a custodial mixer that paid nothing back
/// that fits.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    /// What the inbound asked for, or why no payout matched.
    pub note: String,
    /// The share of the inbound still outstanding (0..=1).
    pub share: f64,
    /// The endpoint it makes: `BridgePending`, or `Entered` for value staying in a mixer.
    pub kind: EndpointKind,
}

/// Taint leaving a converter.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// The chain the value leaves on.
    pub chain: Chain,
    /// The transfer or output it leaves through.
    pub flow: Flow,
    /// The taint it carries, in the asset's base units.
    pub taint: u128,
    /// How sure the converter is (1 for exact joins).
    pub confidence: f64,
    /// What a user reads in the path: which converter, which rule.
    pub rule: String,
}

/// The chains a converter may look into.
pub struct Chains<'a> {
    /// A reader per chain of the store.
    pub readers: &'a BTreeMap<Chain, ChainReader>,
}

/// A converter met an amount whose carried taint does not fit the tracing path's 128 bits (a
/// spam token's astronomic transfer): it cannot see through it, and the value is reported as
/// `too_large` where it entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

/// Something value enters and leaves in another form (a DEX, a bridge, a mixer): where does
/// taint that entered leave?
pub trait Converter {
    /// The converter's name, for the rules of paths.
    fn name(&self) -> &'static str;
    /// Taint `taint` entered a converter on `chain` through `flow`; where does it leave?
    /// An empty answer means this converter does not apply.
    fn convert(
        &self,
        chains: &Chains<'_>,
        chain: Chain,
        flow: Flow,
        taint: u128,
    ) -> Result<Vec<Conversion>, TooLarge>;

    /// Does this converter also apply to tokens burnt (sent to no one)? Bridges that burn on
    /// one chain and mint on another do; a DEX pool does not.
    fn sees_burns(&self) -> bool {
        false
    }

    /// Is value that entered through `flow` known to wait, in full or in part, for a payout (a
    /// bridge inbound not, or not fully, settled in the store), or to stay in a mixer?
    fn pending(&self, _chains: &Chains<'_>, _chain: Chain, _flow: Flow) -> Option<Waiting> {
        None
    }

    /// How much of the value that entered through `flow` its payouts do not draw (0..=1): a
    /// bulk mixer note the batch's withdrawals drew only in part. That part stays in the
    /// converter.
    fn undrawn(&self, _chains: &Chains<'_>, _chain: Chain, _flow: Flow) -> f64 {
        0.0
    }
}

/// ⌊a · b / c⌋, at most `cap`, exactly (512-bit product); `Err` when that does not fit 128 bits.
fn mul_div(a: U256, b: u128, c: U256, cap: U256) -> Result<u128, TooLarge> {
    if c.is_zero() {
        return Ok(0);
    }
    let quotient = U512::from(a) * U512::from(b) / U512::from(c);
    let capped = quotient.min(U512::from(cap));
    u128::try_from(capped).map_err(|_| TooLarge)
}

/// A swap on a DEX pool: value in asset A from user U in transaction T leaves the pool as other
/// assets in the same transaction. It must not dissolve into the pool's huge balance.
///
/// The pool's outflows of other assets in T are the swap's output: those to U when there are
/// any (confidence 1), otherwise all of them (a router or a `to` other than the sender;
/// confidence 0.9). The taint fraction of the input carries over: `out · taint / in`.
pub struct DexSwap;

impl Converter for DexSwap {
    fn name(&self) -> &'static str {
        "dex-swap"
    }

    fn convert(
        &self,
        chains: &Chains<'_>,
        chain: Chain,
        flow: Flow,
        taint: u128,
    ) -> Result<Vec<Conversion>, TooLarge> {
        let (Some(reader), Flow::Transfer(row)) = (chains.readers.get(&chain), flow) else {
            return Ok(Vec::new());
        };
        let Some(inflow) = reader.transfer(row) else {
            return Ok(Vec::new());
        };
        let amount_in = inflow.amount.as_u256();
        if amount_in.is_zero() {
            return Ok(Vec::new());
        }
        let columns = reader.transfer_columns();
        let pool = inflow.to;
        let mut outs: Vec<(u64, U256, bool)> = Vec::new();
        for out_row in reader.tx_transfers(inflow.tx) {
            let i = out_row as usize;
            let (asset, kind, success) = schema::unpack_meta(columns.meta.at(i as u64));
            if columns.from.at(i as u64) != pool
                || asset == inflow.asset
                || !success
                || matches!(kind, TransferKind::Fee | TransferKind::Burn)
            {
                continue;
            }
            let amount = reader.transfer_amount(out_row).as_u256();
            outs.push((out_row, amount, columns.to.at(i as u64) == inflow.from));
        }
        let to_sender = outs.iter().any(|(_, _, to_sender)| *to_sender);
        if to_sender {
            outs.retain(|(_, _, to_sender)| *to_sender);
        }
        let confidence = if to_sender { 1.0 } else { 0.9 };
        outs.into_iter()
            .map(|(out_row, amount, _)| {
                Ok(Conversion {
                    chain,
                    flow: Flow::Transfer(out_row),
                    taint: mul_div(amount, taint, amount_in, amount)?,
                    confidence,
                    rule: format!("dex-swap (same tx, confidence {confidence})"),
                })
            })
            .collect()
    }
}

/// The value-carrying records of `tx` on `chain` paying `to` (or all of them), with values.
fn outputs_of(reader: &ChainReader, tx: TxId, to: Option<&Address>) -> Vec<(Flow, U256)> {
    let to_id = to.and_then(|a| reader.address_id(a));
    if to.is_some() && to_id.is_none() {
        return Vec::new();
    }
    match reader.model() {
        ChainModel::Account => reader
            .tx_transfers(tx)
            .filter_map(|row| reader.transfer(row))
            .filter(|t| t.success && !matches!(t.kind, TransferKind::Fee | TransferKind::Burn))
            .filter(|t| to_id.is_none_or(|id| t.to == id))
            .map(|t| (Flow::Transfer(t.row), t.amount.as_u256()))
            .collect(),
        ChainModel::Utxo => reader
            .tx_outputs(tx)
            .filter_map(|row| reader.output(row))
            .filter(|o| to_id.is_none_or(|id| o.address == id))
            .filter(|o| o.value > 0)
            .map(|o| (Flow::Output(o.row), U256::from(o.value)))
            .collect(),
    }
}

/// `share` (0..=1, a link's fraction of its inbound) of `value`, in parts per billion.
fn share_of(value: u128, share: f64) -> u128 {
    const PARTS: u128 = 1_000_000_000;
    if share >= 1.0 {
        return value;
    }
    let parts = (share.max(0.0) * PARTS as f64).round() as u128;
    let quotient = U512::from(value) * U512::from(parts) / U512::from(PARTS);
    u128::try_from(quotient).unwrap_or(value)
}

/// The transaction of a converter input record.
fn flow_tx(reader: &ChainReader, flow: Flow) -> Option<(TxId, U256)> {
    match flow {
        Flow::Transfer(row) => reader.transfer(row).map(|t| (t.tx, t.amount.as_u256())),
        Flow::Output(row) => reader.output(row).map(|o| (o.tx, U256::from(o.value))),
    }
}

impl Converter for LinkSet {
    fn name(&self) -> &'static str {
        "links"
    }

    fn sees_burns(&self) -> bool {
        true
    }

    fn pending(&self, chains: &Chains<'_>, chain: Chain, flow: Flow) -> Option<Waiting> {
        let reader = chains.readers.get(&chain)?;
        let (tx, _) = flow_tx(reader, flow)?;
        let pending = LinkSet::pending(self, chain, &reader.tx_hash(tx))?;
        Some(Waiting {
            note: format!("{} {}: {}", pending.kind, pending.via, pending.evidence),
            share: pending.remaining.clamp(0.0, 1.0),
            kind: if pending.kind == "mixer" {
                EndpointKind::Entered
            } else {
                EndpointKind::BridgePending
            },
        })
    }

    fn undrawn(&self, chains: &Chains<'_>, chain: Chain, flow: Flow) -> f64 {
        let Some(reader) = chains.readers.get(&chain) else {
            return 0.0;
        };
        let Some((tx, _)) = flow_tx(reader, flow) else {
            return 0.0;
        };
        let drawn: f64 = self
            .from_tx(chain, &reader.tx_hash(tx))
            .map(|link| link.share)
            .sum();
        if drawn > 0.0 {
            (1.0 - drawn).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    fn convert(
        &self,
        chains: &Chains<'_>,
        chain: Chain,
        flow: Flow,
        taint: u128,
    ) -> Result<Vec<Conversion>, TooLarge> {
        let Some(reader) = chains.readers.get(&chain) else {
            return Ok(Vec::new());
        };
        let Some((tx, amount_in)) = flow_tx(reader, flow) else {
            return Ok(Vec::new());
        };
        let links: Vec<_> = self.from_tx(chain, &reader.tx_hash(tx)).collect();
        if links.is_empty() {
            return Ok(Vec::new());
        }
        // Every linked output, then the taint fraction of the input applied to each.
        let mut targets = Vec::new();
        for link in links {
            let Some(out_reader) = chains.readers.get(&link.to_chain) else {
                continue;
            };
            let Some(out_tx) = out_reader.tx_id(&link.to_tx) else {
                continue;
            };
            let to = link
                .to_address
                .as_deref()
                .and_then(|a| Address::parse(link.to_chain, a).ok());
            for (out_flow, value) in outputs_of(out_reader, out_tx, to.as_ref()) {
                targets.push((link, out_flow, value));
            }
        }
        // Each output carries the input's tainted fraction of its own value (units may differ:
        // a bridge pays BTC for ETH). On the same chain a payout larger than the input (pooled
        // payouts) passes no more taint than came in.
        let mut carried: Vec<u128> = targets
            .iter()
            .map(|(link, _, value)| {
                let whole = mul_div(*value, taint, amount_in.max(U256::from(1)), *value)?;
                Ok(share_of(whole, link.share))
            })
            .collect::<Result<_, TooLarge>>()?;
        // In 256 bits: many payouts of up to 2^128 units each.
        let same_chain_total: U256 = targets
            .iter()
            .zip(&carried)
            .filter(|((link, _, _), _)| link.to_chain == chain)
            .map(|(_, c)| U256::from(*c))
            .fold(U256::ZERO, |sum, c| sum + c);
        if same_chain_total > U256::from(taint) {
            for ((link, _, _), c) in targets.iter().zip(carried.iter_mut()) {
                if link.to_chain == chain {
                    *c = mul_div(U256::from(*c), taint, same_chain_total, U256::from(taint))?;
                }
            }
        }
        Ok(targets
            .into_iter()
            .zip(carried)
            .map(|((link, out_flow, _), taint)| Conversion {
                chain: link.to_chain,
                flow: out_flow,
                taint,
                confidence: link.confidence,
                rule: chaintrail_links::rule(link),
            })
            .filter(|c| c.taint > 0)
            .collect())
    }
}

/// A converter whose conversions count only at or above a confidence (`--min-confidence`):
/// below it, value that entered stays an endpoint in the converter.
pub(crate) struct AtLeast<'a> {
    pub inner: &'a dyn Converter,
    pub min: f64,
}

impl Converter for AtLeast<'_> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn convert(
        &self,
        chains: &Chains<'_>,
        chain: Chain,
        flow: Flow,
        taint: u128,
    ) -> Result<Vec<Conversion>, TooLarge> {
        let mut found = self.inner.convert(chains, chain, flow, taint)?;
        found.retain(|c| c.confidence >= self.min);
        Ok(found)
    }

    fn sees_burns(&self) -> bool {
        self.inner.sees_burns()
    }

    fn pending(&self, chains: &Chains<'_>, chain: Chain, flow: Flow) -> Option<Waiting> {
        self.inner.pending(chains, chain, flow)
    }

    fn undrawn(&self, chains: &Chains<'_>, chain: Chain, flow: Flow) -> f64 {
        self.inner.undrawn(chains, chain, flow)
    }
}
