//! `chaintrail bench store`: append throughput, full-scan throughput and bytes per record on a
//! generated store. Figures go to docs/benchmarks.md by hand, with the command that made them.

use std::time::Instant;

use anyhow::bail;
use chaintrail_core::{BitcoinNetwork, Chain, TransferKind};
use chaintrail_store::{ChainReader, Store, StoreError, schema};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::commands::{Global, progress_bar};
use crate::output::{Format, Table, emit};

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchWhat,
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Build an account chain and a UTXO chain in --data-dir (must not hold them yet) and measure.
    Store {
        /// Account transfers to generate.
        #[arg(long, default_value_t = 10_000_000)]
        transfers: u64,
        /// UTXO inputs + outputs to generate.
        #[arg(long, default_value_t = 10_000_000)]
        utxo_records: u64,
        /// Full-scan repetitions (the median is reported).
        #[arg(long, default_value_t = 5)]
        scans: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Trace latency on the store in --data-dir: many seeds, one policy, a hop limit.
    Trace {
        /// The account chain to seed on.
        #[arg(long, default_value = "anvil")]
        chain: Chain,
        /// Number of seed transactions (spread evenly over the chain's history).
        #[arg(long, default_value_t = 200)]
        seeds: u64,
        #[arg(long, default_value_t = 10)]
        max_hops: u32,
        #[arg(long, default_value = "haircut")]
        policy: String,
        /// Write the seeds (tx hash, block) as JSON here, for the SQL comparison.
        #[arg(long)]
        seeds_out: Option<std::path::PathBuf>,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Label the popular addresses (hubs) of a `bench store` world as exchanges, mixers,
    /// sanctioned and hacked parties, for trace and screening measurements.
    LabelHubs {
        /// The --transfers given to `bench store`.
        #[arg(long, default_value_t = 10_000_000)]
        transfers: u64,
        /// The --utxo-records given to `bench store`.
        #[arg(long, default_value_t = 10_000_000)]
        utxo_records: u64,
    },
}

#[derive(Serialize)]
struct ChainBench {
    chain: Chain,
    records: u64,
    append_seconds: f64,
    append_records_per_second: f64,
    index_seconds: f64,
    scan_median_seconds: f64,
    scan_records_per_core_second: f64,
    bytes_per_record: f64,
    adjacency_bytes_per_record: f64,
    tx_hash_bytes_per_record: f64,
    address_dictionary_bytes_per_address: f64,
    scan_checksum: String,
}

pub fn run(global: &Global, args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        BenchWhat::Store {
            transfers,
            utxo_records,
            scans,
            seed,
            format,
        } => bench_store(global, transfers, utxo_records, scans, seed, format),
        BenchWhat::Trace {
            chain,
            seeds,
            max_hops,
            policy,
            seeds_out,
            format,
        } => bench_trace(global, chain, seeds, max_hops, &policy, seeds_out, format),
        BenchWhat::LabelHubs {
            transfers,
            utxo_records,
        } => crate::bench_world::label_hubs(global, transfers, utxo_records),
    }
}

#[derive(Serialize)]
struct TraceBench {
    chain: Chain,
    transfers: u64,
    policy: String,
    max_hops: u32,
    seeds: usize,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    mean_events: f64,
    mean_edges: f64,
}

#[derive(Serialize)]
struct SeedRecord {
    tx: String,
    block: u64,
    ms: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn bench_trace(
    global: &Global,
    chain: Chain,
    seeds: u64,
    max_hops: u32,
    policy: &str,
    seeds_out: Option<std::path::PathBuf>,
    format: Option<Format>,
) -> anyhow::Result<()> {
    let store = Store::open(&global.data_dir)?;
    let readers = crate::trace::open_readers(&store)?;
    let reader = readers
        .get(&chain)
        .ok_or_else(|| anyhow::anyhow!("the store has no data for {chain}"))?;
    let labels = chaintrail_labels::LabelStore::open(store.dir())?;
    let prices = chaintrail_trace::Prices::for_store(store.dir()).map_err(anyhow::Error::msg)?;
    let policy: chaintrail_trace::Policy = policy.parse()?;
    let txs = reader.tx_count() as u64;
    if txs == 0 {
        bail!("{chain} has no transactions");
    }
    let mut times = Vec::new();
    let (mut events, mut edges) = (0u64, 0u64);
    let mut records = Vec::new();
    let step = (txs / seeds.max(1)).max(1);
    let mut tx = step / 2;
    while tx < txs && (times.len() as u64) < seeds {
        let id = tx;
        tx += step;
        // A seed that moved value: its first successful non-fee transfer.
        let moved = reader
            .tx_transfers(id)
            .filter_map(|row| reader.transfer(row))
            .any(|t| {
                t.success
                    && !matches!(t.kind, TransferKind::Fee | TransferKind::Burn)
                    && !t.amount.is_zero()
            });
        if !moved {
            continue;
        }
        let hash = reader.tx_hash(id);
        let request = chaintrail_trace::TraceRequest {
            seeds: vec![chaintrail_trace::Seed {
                chain,
                spec: chaintrail_trace::SeedSpec::Tx(hash),
                amount: None,
                asset: None,
            }],
            policy,
            max_hops,
            ..chaintrail_trace::TraceRequest::default()
        };
        let started = Instant::now();
        let report = chaintrail_trace::trace(&readers, &labels, &prices, &request)?;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        times.push(ms);
        events += report.stats.events;
        edges += report.stats.edges;
        records.push(SeedRecord {
            tx: hash.to_hex_prefixed(),
            block: reader.tx_block(id).height,
            ms,
        });
    }
    if let Some(path) = &seeds_out {
        std::fs::write(path, serde_json::to_vec_pretty(&records)?)?;
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len().max(1) as f64;
    let result = TraceBench {
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
    };
    let mut table = Table::new(&[
        "chain",
        "transfers",
        "policy",
        "hops",
        "seeds",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "events/trace",
    ]);
    table.row(vec![
        result.chain.to_string(),
        result.transfers.to_string(),
        result.policy.clone(),
        result.max_hops.to_string(),
        result.seeds.to_string(),
        format!("{:.2}", result.p50_ms),
        format!("{:.2}", result.p90_ms),
        format!("{:.2}", result.p99_ms),
        format!("{:.2}", result.max_ms),
        format!("{:.0}", result.mean_events),
    ]);
    emit(
        global.format.or(format).unwrap_or(Format::Table),
        &result,
        &[table],
    )
}

fn bench_store(
    global: &Global,
    transfers: u64,
    utxo_records: u64,
    scans: usize,
    seed: u64,
    format: Option<Format>,
) -> anyhow::Result<()> {
    let store = Store::init(&global.data_dir)?;
    let eth = Chain::Evm(31337);
    let btc = Chain::Bitcoin(BitcoinNetwork::Regtest);
    for chain in [eth, btc] {
        if store.chains()?.contains(&chain) {
            bail!(
                "{} already holds {chain}: benchmark into an empty --data-dir",
                store.dir().display()
            );
        }
    }
    let mut results = Vec::new();

    let bar = progress_bar(transfers, "appending account transfers");
    let started = Instant::now();
    let mut writer = store.writer(eth)?;
    let mut done = 0u64;
    for tx in chaintrail_ingest::synthetic::account_txs(seed, transfers) {
        done += tx.transfers.len() as u64;
        writer.append_account_tx(&tx)?;
        if done % 65_536 < 4 {
            bar.set_position(done);
        }
    }
    writer.commit("bench", serde_json::json!(done))?;
    let append = started.elapsed().as_secs_f64();
    let indexing = Instant::now();
    writer.finish("bench", serde_json::json!(done))?;
    let index_seconds = indexing.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let reader = store.reader(eth)?;
    results.push(measure(
        &reader,
        append,
        index_seconds,
        scans,
        scan_account,
    )?);

    let bar = progress_bar(utxo_records, "appending UTXO inputs and outputs");
    let started = Instant::now();
    let mut writer = store.writer(btc)?;
    let mut done = 0u64;
    for tx in chaintrail_ingest::synthetic::utxo_txs(seed, utxo_records) {
        done += (tx.inputs.len() + tx.outputs.len()) as u64;
        writer.append_utxo_tx(&tx)?;
        if done % 65_536 < 5 {
            bar.set_position(done);
        }
    }
    writer.commit("bench", serde_json::json!(done))?;
    let append = started.elapsed().as_secs_f64();
    let indexing = Instant::now();
    writer.finish("bench", serde_json::json!(done))?;
    let index_seconds = indexing.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let reader = store.reader(btc)?;
    results.push(measure(&reader, append, index_seconds, scans, scan_utxo)?);

    let mut table = Table::new(&[
        "chain",
        "records",
        "append rec/s",
        "index s",
        "scan rec/core-s",
        "B/record",
        "adjacency B/rec",
        "tx-hash B/rec",
        "dict B/address",
    ]);
    for r in &results {
        table.row(vec![
            r.chain.to_string(),
            r.records.to_string(),
            format!("{:.0}", r.append_records_per_second),
            format!("{:.2}", r.index_seconds),
            format!("{:.0}", r.scan_records_per_core_second),
            format!("{:.2}", r.bytes_per_record),
            format!("{:.2}", r.adjacency_bytes_per_record),
            format!("{:.2}", r.tx_hash_bytes_per_record),
            format!("{:.2}", r.address_dictionary_bytes_per_address),
        ]);
    }
    emit(
        global.format.or(format).unwrap_or(Format::Table),
        &results,
        &[table],
    )
}

fn measure(
    reader: &ChainReader,
    append_seconds: f64,
    index_seconds: f64,
    scans: usize,
    scan: fn(&ChainReader) -> Result<u128, StoreError>,
) -> Result<ChainBench, StoreError> {
    let stats = reader.stats();
    let mut times = Vec::new();
    let mut checksum = 0;
    for _ in 0..scans.max(1) {
        let started = Instant::now();
        checksum = std::hint::black_box(scan(reader)?);
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    Ok(ChainBench {
        chain: reader.chain(),
        records: stats.records,
        append_seconds,
        append_records_per_second: stats.records as f64 / append_seconds,
        index_seconds,
        scan_median_seconds: median,
        scan_records_per_core_second: stats.records as f64 / median,
        bytes_per_record: stats.bytes_per_record,
        adjacency_bytes_per_record: stats.adjacency_bytes_per_record,
        tx_hash_bytes_per_record: stats.tx_hash_bytes_per_record,
        address_dictionary_bytes_per_address: stats.address_dictionary_bytes_per_address,
        scan_checksum: checksum.to_string(),
    })
}

/// One pass over every transfer: sum of successful native value moved between two accounts and
/// per-address activity folded into a checksum, so no column can be skipped.
fn scan_account(reader: &ChainReader) -> Result<u128, StoreError> {
    let columns = reader.transfer_columns();
    let (from, to, meta, amount) = (
        columns.from.all()?,
        columns.to.all()?,
        columns.meta.all()?,
        columns.amount.all()?,
    );
    let mut total: u128 = 0;
    for i in 0..amount.len() {
        let (asset, kind, success) = schema::unpack_meta(meta[i]);
        if success && asset == 0 && kind == TransferKind::Native {
            total = total.wrapping_add(u128::from(amount[i]));
        }
        total = total.wrapping_add(u128::from(from[i] ^ to[i]));
    }
    Ok(total)
}

/// One pass over every output and input: total output value and a fold of address ids and spent
/// links.
fn scan_utxo(reader: &ChainReader) -> Result<u128, StoreError> {
    let columns = reader.utxo_columns();
    let mut total: u128 = 0;
    for (value, address) in columns
        .output_value
        .all()?
        .iter()
        .zip(columns.output_address.all()?)
    {
        total = total.wrapping_add(u128::from(*value) ^ u128::from(*address));
    }
    for &spent in columns.input_spent.all()? {
        total = total.wrapping_add(u128::from(spent));
    }
    Ok(total)
}
