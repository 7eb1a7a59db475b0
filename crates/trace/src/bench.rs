//! Trace latency behind `chaintrail bench trace`: many transaction seeds spread evenly over a
//! chain's history (account or UTXO), each traced alone, timed, and summarised in percentiles.

use std::collections::BTreeMap;
use std::time::Instant;

use chaintrail_core::{Chain, ChainModel, TransferKind};
use chaintrail_store::bench::thread_cpu_seconds;
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
    /// Median latency per seed (warm pass).
    pub p50_ms: f64,
    /// 90th percentile latency.
    pub p90_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
    /// Slowest seed.
    pub max_ms: f64,
    /// The warm pass's median CPU time per seed (0 where the system does not tell): on a
    /// shared machine the wall-clock percentiles count the time other processes held the cores.
    pub cpu_p50_ms: f64,
    /// The warm pass's 99th percentile CPU time.
    pub cpu_p99_ms: f64,
    /// The cold pass's median.
    pub cold_p50_ms: f64,
    /// The cold pass's 99th percentile.
    pub cold_p99_ms: f64,
    /// The cold pass's total.
    pub cold_total_ms: f64,
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
    /// How long its trace took (warm pass).
    pub ms: f64,
}

/// Trace up to `seeds` transactions of `chain` that moved value, spread evenly over its history,
/// one at a time with `policy` and `max_hops`, in two passes: the first (cold) reads the store's
/// pages from disk and verifies each checksum segment on first touch, as a one-off query does;
/// the second (warm) is what a long-running server sees. Percentiles are the warm pass's.
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
    let step = (txs / seeds.max(1)).max(1);
    let ids: Vec<TxId> = (0..)
        .map(|k| step / 2 + k * step)
        .take_while(|&tx| tx < txs)
        .filter(|&tx| moved_value(reader, tx))
        .take(usize::try_from(seeds).unwrap_or(usize::MAX))
        .collect();
    let request = |id: TxId| TraceRequest {
        seeds: vec![Seed {
            chain,
            spec: SeedSpec::Tx(reader.tx_hash(id)),
            amount: None,
            asset: None,
        }],
        policy,
        max_hops,
        ..TraceRequest::default()
    };
    let mut cold = Vec::with_capacity(ids.len());
    let (mut events, mut edges) = (0u64, 0u64);
    for &id in &ids {
        let request = request(id);
        let started = Instant::now();
        let report = trace(readers, attribution, prices, &request)?;
        cold.push(started.elapsed().as_secs_f64() * 1e3);
        events += report.stats.events;
        edges += report.stats.edges;
    }
    let mut timings = Vec::with_capacity(ids.len());
    let mut cpu = Vec::with_capacity(ids.len());
    for &id in &ids {
        let request = request(id);
        let (started, cpu_started) = (Instant::now(), thread_cpu_seconds());
        std::hint::black_box(trace(readers, attribution, prices, &request)?);
        timings.push(SeedTiming {
            tx: reader.tx_hash(id).to_hex_prefixed(),
            block: reader.tx_block(id).height,
            ms: started.elapsed().as_secs_f64() * 1e3,
        });
        if let Some((end, start)) = thread_cpu_seconds().zip(cpu_started) {
            cpu.push((end - start) * 1e3);
        }
    }
    cold.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    let mut sorted: Vec<f64> = timings.iter().map(|t| t.ms).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len().max(1) as f64;
    Ok(TraceBench {
        chain,
        transfers: match reader.model() {
            ChainModel::Account => reader.transfer_count(),
            ChainModel::Utxo => reader.output_count(),
        },
        policy: policy.to_string(),
        max_hops,
        seeds: sorted.len(),
        p50_ms: percentile(&sorted, 0.5),
        p90_ms: percentile(&sorted, 0.9),
        p99_ms: percentile(&sorted, 0.99),
        max_ms: sorted.last().copied().unwrap_or(0.0),
        cpu_p50_ms: percentile(&cpu, 0.5),
        cpu_p99_ms: percentile(&cpu, 0.99),
        cold_p50_ms: percentile(&cold, 0.5),
        cold_p99_ms: percentile(&cold, 0.99),
        cold_total_ms: cold.iter().sum(),
        mean_events: events as f64 / n,
        mean_edges: edges as f64 / n,
        timings,
    })
}

/// A seed worth tracing: on account chains a successful non-fee transfer of a non-zero amount,
/// on UTXO chains an output of non-zero value.
fn moved_value(reader: &ChainReader, tx: TxId) -> bool {
    match reader.model() {
        ChainModel::Account => reader
            .tx_transfers(tx)
            .filter_map(|row| reader.transfer(row))
            .any(|t| {
                t.success
                    && !matches!(t.kind, TransferKind::Fee | TransferKind::Burn)
                    && !t.amount.is_zero()
            }),
        ChainModel::Utxo => reader
            .tx_outputs(tx)
            .any(|row| reader.output_value(row).is_some_and(|value| value > 0)),
    }
}

/// The value at rank `p` (0..=1) of `sorted` (ascending), nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StaticAttribution;
    use chaintrail_core::{
        Address, BitcoinAddress, BitcoinNetwork, BlockRef, OutPoint, TxHash, UtxoInput, UtxoOutput,
        UtxoTx,
    };
    use chaintrail_store::Store;

    const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);

    fn hash(n: u8) -> TxHash {
        TxHash([n; 32])
    }

    fn output(value: u64, to: u8) -> UtxoOutput {
        UtxoOutput {
            value,
            address: Address::Bitcoin {
                network: BitcoinNetwork::Regtest,
                kind: BitcoinAddress::P2wpkh([to; 20]),
            },
            data: None,
        }
    }

    fn spend(tx: u8, vout: u32) -> UtxoInput {
        UtxoInput {
            prevout: Some(OutPoint { tx: hash(tx), vout }),
            value: None,
            address: None,
        }
    }

    /// A coinbase, a payment, a payment onwards, and a transaction whose only output is worth
    /// nothing (everything went to the fee): the first three are seeds, in block order.
    #[test]
    fn utxo_chains_seed_on_transactions_with_value_out() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::init(dir.path()).expect("init");
        let mut writer = store.writer(BTC).expect("writer");
        let txs = [
            (
                vec![UtxoInput {
                    prevout: None,
                    value: None,
                    address: None,
                }],
                vec![output(5_000, 1)],
            ),
            (vec![spend(0, 0)], vec![output(3_000, 2), output(1_900, 1)]),
            (vec![spend(1, 0)], vec![output(2_900, 3)]),
            (vec![spend(1, 1)], vec![output(0, 4)]),
        ];
        for (n, (inputs, outputs)) in txs.into_iter().enumerate() {
            let tx = UtxoTx {
                fingerprint: None,
                hash: hash(n as u8),
                block: BlockRef {
                    height: n as u64,
                    timestamp: 1_700_000_000 + 600 * n as u64,
                },
                inputs,
                outputs,
            };
            writer.append_utxo_tx(&tx).expect("append");
        }
        writer.finish("test", serde_json::json!(0)).expect("finish");
        let readers = store.readers().expect("readers");
        let result = trace_latency(
            &readers,
            &StaticAttribution::default(),
            &Prices::bundled(),
            BTC,
            4,
            Policy::Haircut,
            10,
        )
        .expect("bench");
        assert_eq!(result.transfers, 5, "outputs");
        assert_eq!(result.seeds, 3);
        let blocks: Vec<u64> = result.timings.iter().map(|t| t.block).collect();
        assert_eq!(blocks, vec![0, 1, 2]);
        assert_eq!(result.timings[0].tx, hash(0).to_hex_prefixed());
        assert!(result.mean_events > 0.0, "{result:?}");
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let sorted: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 0.5), 6.0);
        assert_eq!(percentile(&sorted, 0.9), 9.0);
        assert_eq!(percentile(&sorted, 0.99), 10.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
