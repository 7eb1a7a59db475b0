//! Converters: holders whose outflows are in another asset or on another chain. A converter
//! passes taint through with a confidence; it is never a sink. DEX swaps are here; mixers
//! (deposit ↔ withdrawal links) and bridges (exact join keys) implement the same trait.

use alloy_primitives::U256;
use chaintrail_core::{Chain, TransferKind};
use chaintrail_store::{ChainReader, schema};

/// Taint leaving a converter as transfer `row` on `chain`.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    pub chain: Chain,
    pub row: u64,
    pub taint: u128,
    pub confidence: f64,
    /// What a user reads in the path: which converter, which rule.
    pub rule: String,
}

pub trait Converter {
    fn name(&self) -> &'static str;
    /// Taint `taint` arrived at a converter through transfer `row`; where does it leave?
    /// An empty answer means this converter does not apply.
    fn convert(&self, chain: Chain, reader: &ChainReader, row: u64, taint: u128)
    -> Vec<Conversion>;
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
        chain: Chain,
        reader: &ChainReader,
        row: u64,
        taint: u128,
    ) -> Vec<Conversion> {
        let Some(inflow) = reader.transfer(row) else {
            return Vec::new();
        };
        let Some(amount_in) = inflow.amount.to_u128().filter(|&a| a > 0) else {
            return Vec::new();
        };
        let columns = reader.transfer_columns();
        let pool = inflow.to;
        let mut outs: Vec<(u64, u128, bool)> = Vec::new();
        for out_row in reader.tx_transfers(inflow.tx) {
            let i = out_row as usize;
            let (asset, kind, success) = schema::unpack_meta(columns.meta[i]);
            if columns.from[i] != pool
                || asset == inflow.asset
                || !success
                || matches!(kind, TransferKind::Fee | TransferKind::Burn)
            {
                continue;
            }
            let amount = reader.transfer_amount(out_row).to_u128().unwrap_or(0);
            outs.push((out_row, amount, columns.to[i] == inflow.from));
        }
        let to_sender = outs.iter().any(|(_, _, to_sender)| *to_sender);
        if to_sender {
            outs.retain(|(_, _, to_sender)| *to_sender);
        }
        let confidence = if to_sender { 1.0 } else { 0.9 };
        outs.into_iter()
            .map(|(out_row, amount, _)| {
                let carried = U256::from(amount) * U256::from(taint) / U256::from(amount_in);
                Conversion {
                    chain,
                    row: out_row,
                    taint: u128::try_from(carried).unwrap_or(amount).min(amount),
                    confidence,
                    rule: format!("dex-swap (same tx, confidence {confidence})"),
                }
            })
            .collect()
    }
}
