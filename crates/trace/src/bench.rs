//! Trace latency behind `chaintrail bench trace`: many transaction seeds spread evenly over a
//! chain's history, each traced alone, timed, and summarised in percentiles.

use std::collections::BTreeMap;
use std::time::Instant;

use chaintrail_core::{Chain, TransferKind};
use chaintrail_store::{ChainReader, TxId};
use serde::Serialize;

use crate::{Attribution, Policy, Prices, Seed, SeedSpec, TraceError, TraceRequest, trace};

/// What a latency run measured.
#[derive(Debug, Clone, Serialize)]
pub struct TraceBench {
    /// The chain traced.
    pub chain: Chain,
    /// Transfers (or outputs) the chain holds.
    pub transfers: u64,
    /// The policy used.
    pub policy: String,
    /// The hop limit.
    pub max_hops: u32,
    /// Seeds traced.
    pub seeds: usize,
    /// Median latency per seed.
    pub p50_ms: f64,
    /// 90th percentile latency.
    pub p90_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
    /// Slowest seed.
    pub max_ms: f64,
    /// Events processed per seed, on average.
    pub mean_events: f64,
    /// Edges reported per seed, on average.
    pub mean_edges: f64,
    /// Each seed with its time, for comparisons with other engines.
    #[serde(skip)]
    pub timings: Vec<SeedTiming>,
}

/// One seed of a latency run.
#[derive(Debug, Clone, Serialize)]
pub struct SeedTiming {
    /// The seed transaction.
    pub tx: String,
    /// Its block.
    pub block: u64,
    /// How long its trace took.
    pub ms: f64,
}

/// Trace up to `seeds` transactions of `chain` that moved value, spread evenly over its history,
/// one at a time with `policy` and `max_hops`.
pub fn trace_latency(
    readers: &BTreeMap<Chain, ChainReader>,
    attribution: &dyn Attribution,
    prices: &Prices,
    chain: Chain,
    seeds: u64,
    policy: Policy,
    max_hops: u32,
) -> Result<TraceBench, TraceError> {
    let reader = readers.get(&chain).ok_or(TraceError::UnknownChain(chain))?;
    let txs = reader.tx_count();
    if txs == 0 {
        return Err(TraceError::Options(format!("{chain} has no transactions")));
    }
    let mut timings = Vec::new();
    let (mut events, mut edges) = (0u64, 0u64);
    let step = (txs / seeds.max(1)).max(1);
    let mut tx = step / 2;
    while tx < txs && (timings.len() as u64) < seeds {
        let id = tx;
        tx += step;
        if !moved_value(reader, id) {
            continue;
        }
        let hash = reader.tx_hash(id);
        let request = TraceRequest {
            seeds: vec![Seed {
                chain,
                spec: SeedSpec::Tx(hash),
                amount: None,
                asset: None,
            }],
            policy,
            max_hops,
            ..TraceRequest::default()
        };
        let started = Instant::now();
        let report = trace(readers, attribution, prices, &request)?;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        events += report.stats.events;
        edges += report.stats.edges;
        timings.push(SeedTiming {
            tx: hash.to_hex_prefixed(),
            block: reader.tx_block(id).height,
            ms,
        });
    }
    let mut sorted: Vec<f64> = timings.iter().map(|t| t.ms).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len().max(1) as f64;
    Ok(TraceBench {
        chain,
        transfers: reader.transfer_count(),
        policy: policy.to_string(),
        max_hops,
        seeds: sorted.len(),
        p50_ms: percentile(&sorted, 0.5),
        p90_ms: percentile(&sorted, 0.9),
        p99_ms: percentile(&sorted, 0.99),
        max_ms: sorted.last().copied().unwrap_or(0.0),
        mean_events: events as f64 / n,
        mean_edges: edges as f64 / n,
        timings,
    })
}

/// A seed worth tracing: a successful non-fee transfer of a non-zero amount.
fn moved_value(reader: &ChainReader, tx: TxId) -> bool {
    reader
        .tx_transfers(tx)
        .filter_map(|row| reader.transfer(row))
        .any(|t| {
            t.success
                && !matches!(t.kind, TransferKind::Fee | TransferKind::Burn)
                && !t.amount.is_zero()
        })
}

/// The value at rank `p` (0..=1) of `sorted`, nearest rank.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let sorted: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 0.5), 6.0);
        assert_eq!(percentile(&sorted, 0.9), 9.0);
        assert_eq!(percentile(&sorted, 0.99), 10.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
