//! The tainted movements of a forward trace one by one, as [`crate::trace_moves`] returns them:
//! what alerting needs to act on the movements of new blocks (a tainted holder sends, tainted
//! value reaches a service) without the endpoints' aggregation.

use std::collections::BTreeMap;

use chaintrail_core::{Amount, Chain};
use chaintrail_store::{ChainReader, TxId};

use crate::engine::{Edge, Record};
use crate::policy::Policy;
use crate::report::PathStep;
use crate::reporting::path;
use crate::{Prices, Value};

/// The record a tainted movement stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovedRecord {
    /// A transfer row of an account chain.
    Transfer(u64),
    /// An output row of a UTXO chain.
    Output(u64),
}

/// What moved the tainted value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveCause {
    /// The seed itself (the theft): its sender is the victim, not a tainted holder.
    Seed,
    /// A tainted holder spent it, priced by the trace's policy.
    Holder,
    /// A converter paid it out (a bridge payout, a swap's proceeds, a mixer withdrawal).
    Converter,
}

/// One tainted movement.
#[derive(Debug, Clone)]
pub struct TaintedMove {
    /// Its index in [`TaintedMoves`] (for [`TaintedMoves::path`] and parents).
    pub index: usize,
    /// The chain.
    pub chain: Chain,
    /// The transfer or output.
    pub record: MovedRecord,
    /// Per-chain asset id.
    pub asset: u32,
    /// The tainted amount it carried, in base units.
    pub taint: Amount,
    /// Hops from the seed.
    pub hop: u32,
    /// Product of the converter confidences from the seed (1 without converters).
    pub confidence: f64,
    /// What moved it.
    pub cause: MoveCause,
    /// The movement that brought the taint to its sender (`None` for seeds).
    pub parent: Option<usize>,
}

/// Every tainted movement of one forward trace, in the order the trace made them.
pub struct TaintedMoves {
    edges: Vec<Edge>,
    policy: Policy,
}

impl TaintedMoves {
    pub(crate) fn new(edges: Vec<Edge>, policy: Policy) -> TaintedMoves {
        TaintedMoves { edges, policy }
    }

    /// The movements of transfers and outputs (seeds by address and UTXO fees are not
    /// movements to an address and are left out).
    pub fn iter(&self) -> impl Iterator<Item = TaintedMove> + '_ {
        let policy_rule = self.policy.as_str();
        self.edges
            .iter()
            .enumerate()
            .filter_map(move |(index, edge)| {
                let record = match edge.record {
                    Record::Transfer(row) => MovedRecord::Transfer(row),
                    Record::Output(row) => MovedRecord::Output(row),
                    Record::Seed | Record::Fee(_) => return None,
                };
                // Edges name their rule: "seed", the policy's name, or the converter's rule.
                let cause = if edge.rule == "seed" {
                    MoveCause::Seed
                } else if edge.rule == policy_rule {
                    MoveCause::Holder
                } else {
                    MoveCause::Converter
                };
                Some(TaintedMove {
                    index,
                    chain: edge.chain,
                    record,
                    asset: edge.asset,
                    taint: Amount::from_u128(edge.taint),
                    hop: edge.hop,
                    confidence: edge.confidence,
                    cause,
                    parent: edge.parent,
                })
            })
    }

    /// The transaction of movement `index` and its block index in the chain's store.
    pub fn tx(&self, reader: &ChainReader, index: usize) -> Option<TxId> {
        match self.edges.get(index)?.record {
            Record::Transfer(row) => reader.transfer(row).map(|t| t.tx),
            Record::Output(row) => reader.output(row).map(|o| o.tx),
            Record::Fee(tx) => Some(tx),
            Record::Seed => None,
        }
    }

    /// The address id that received movement `index` (`None` for burns and seeds by address).
    pub fn recipient(&self, reader: &ChainReader, index: usize) -> Option<u32> {
        match self.edges.get(index)?.record {
            Record::Transfer(row) => reader.transfer(row).map(|t| t.to),
            Record::Output(row) => reader.output(row).map(|o| o.address),
            Record::Seed | Record::Fee(_) => None,
        }
    }

    /// The tainted holder that sent movement `index`: the transfer's sender, or for a UTXO
    /// output the address that received the taint the spending transaction passed on.
    pub fn sender(&self, reader: &ChainReader, index: usize) -> Option<u32> {
        let edge = self.edges.get(index)?;
        match edge.record {
            Record::Transfer(row) => reader.transfer(row).map(|t| t.from),
            Record::Output(_) => self.recipient(reader, edge.parent?),
            Record::Seed | Record::Fee(_) => None,
        }
    }

    /// The path from the seed to movement `index`, seed first, each step with its rule.
    pub fn path(
        &self,
        readers: &BTreeMap<Chain, ChainReader>,
        prices: &Prices,
        index: usize,
    ) -> Vec<PathStep> {
        if index >= self.edges.len() {
            return Vec::new();
        }
        path(&self.edges, readers, prices, index, false)
    }

    /// The tainted amount of movement `index` as a report value (exact, with USD where priced).
    pub fn value(
        &self,
        readers: &BTreeMap<Chain, ChainReader>,
        prices: &Prices,
        index: usize,
        time: u64,
    ) -> Option<Value> {
        let edge = self.edges.get(index)?;
        Some(Value::of(
            readers,
            prices,
            edge.chain,
            edge.asset,
            Amount::from_u128(edge.taint),
            time,
        ))
    }
}
