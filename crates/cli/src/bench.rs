//! `chaintrail bench store`, `bench trace` and `bench exposure`: arguments and tables over the
//! measurements of `chaintrail_store::bench`, `chaintrail_trace::bench` and
//! `chaintrail_screen::bench`. Figures go to docs/benchmarks.md by
//! hand, with the command that made them.

use anyhow::Context;
use chaintrail_core::{BitcoinNetwork, Chain};
use chaintrail_screen::bench::exposure_cost;
use chaintrail_store::Store;
use chaintrail_store::bench::{bench_account_chain, bench_utxo_chain};
use chaintrail_trace::bench::trace_latency;
use clap::{Args, Subcommand};

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
    /// Exposure-index cost on the store in --data-dir: the exposure walk of a sample of
    /// addresses of each chain, timed one by one, and the full build's time at that rate.
    Exposure {
        /// Addresses to sample per chain (spread evenly over the address ids).
        #[arg(long, default_value_t = 1000)]
        sample: u64,
        /// The date to compute for (YYYY-MM-DD); default today.
        #[arg(long)]
        date: Option<chaintrail_labels::Date>,
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
        BenchWhat::Exposure {
            sample,
            date,
            format,
        } => bench_exposure(global, sample, date, format),
        BenchWhat::LabelHubs {
            transfers,
            utxo_records,
        } => crate::bench_world::label_hubs(global, transfers, utxo_records),
    }
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
    let readers = store.readers()?;
    let labels = chaintrail_labels::LabelStore::open(store.dir())?;
    let prices = chaintrail_trace::Prices::for_store(store.dir()).map_err(anyhow::Error::msg)?;
    let policy: chaintrail_trace::Policy = policy.parse()?;
    let result = trace_latency(&readers, &labels, &prices, chain, seeds, policy, max_hops)?;
    if let Some(path) = &seeds_out {
        std::fs::write(path, serde_json::to_vec_pretty(&result.timings)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
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
        "cpu p50 ms",
        "cpu p99 ms",
        "cold p50 ms",
        "cold p99 ms",
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
        format!("{:.2}", result.cpu_p50_ms),
        format!("{:.2}", result.cpu_p99_ms),
        format!("{:.2}", result.cold_p50_ms),
        format!("{:.2}", result.cold_p99_ms),
        format!("{:.0}", result.mean_events),
    ]);
    emit(
        global.format.or(format).unwrap_or(Format::Table),
        &result,
        &[table],
    )
}

fn bench_exposure(
    global: &Global,
    sample: u64,
    date: Option<chaintrail_labels::Date>,
    format: Option<Format>,
) -> anyhow::Result<()> {
    let screener = chaintrail_screen::Screener::open(&global.data_dir)?;
    let at = date.unwrap_or_else(chaintrail_labels::Date::today);
    let results = exposure_cost(&screener, sample, at)?;
    let mut table = Table::new(&[
        "chain",
        "addresses",
        "sampled",
        "with exposure",
        "truncated",
        "mean ms",
        "p50 ms",
        "p99 ms",
        "max ms",
        "cpu mean ms",
        "cpu p99 ms",
        "full build core-s",
        "cold pass s",
    ]);
    for r in &results {
        table.row(vec![
            r.chain.to_string(),
            r.addresses.to_string(),
            r.sampled.to_string(),
            r.with_exposure.to_string(),
            r.truncated.to_string(),
            format!("{:.3}", r.mean_ms),
            format!("{:.3}", r.p50_ms),
            format!("{:.3}", r.p99_ms),
            format!("{:.3}", r.max_ms),
            r.cpu_mean_ms
                .map_or_else(|| "-".to_string(), |ms| format!("{ms:.3}")),
            format!("{:.3}", r.cpu_p99_ms),
            format!("{:.0}", r.full_build_core_seconds),
            format!("{:.2}", r.cold_seconds),
        ]);
    }
    emit(
        global.format.or(format).unwrap_or(Format::Table),
        &results,
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
    let bar = progress_bar(transfers, "appending account transfers");
    let account = bench_account_chain(
        &store,
        Chain::Evm(31337),
        chaintrail_ingest::synthetic::account_txs(seed, transfers),
        scans,
        &|done| bar.set_position(done),
    )?;
    bar.finish_and_clear();
    let bar = progress_bar(utxo_records, "appending UTXO inputs and outputs");
    let utxo = bench_utxo_chain(
        &store,
        Chain::Bitcoin(BitcoinNetwork::Regtest),
        chaintrail_ingest::synthetic::utxo_txs(seed, utxo_records),
        scans,
        &|done| bar.set_position(done),
    )?;
    bar.finish_and_clear();
    let results = [account, utxo];
    let mut table = Table::new(&[
        "chain",
        "records",
        "append rec/s",
        "append cpu s",
        "index s",
        "index cpu s",
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
            cpu_seconds(r.append_cpu_seconds),
            format!("{:.2}", r.index_seconds),
            cpu_seconds(r.index_cpu_seconds),
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

/// A CPU time for a table cell ("-" where the system does not report it).
fn cpu_seconds(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "-".to_string(), |s| format!("{s:.2}"))
}
