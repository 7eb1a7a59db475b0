//! Measurements of the store behind `chaintrail bench store`: append throughput, index time,
//! full-scan throughput and bytes per record, on a chain built for the purpose.

use std::time::Instant;

use chaintrail_core::{AccountTx, Chain, TransferKind, UtxoTx};
use serde::Serialize;

use crate::{ChainReader, ChainWriter, Store, StoreError, schema};

/// What one chain measured.
#[derive(Debug, Clone, Serialize)]
pub struct ChainBench {
    /// The chain built and measured.
    pub chain: Chain,
    /// Records stored: transfers (account chains) or inputs + outputs (UTXO chains).
    pub records: u64,
    /// Wall-clock seconds from opening the writer to the first commit, indexes not built yet
    /// (includes producing the transactions when `txs` is lazy).
    pub append_seconds: f64,
    /// `records` / `append_seconds`.
    pub append_records_per_second: f64,
    /// Wall-clock seconds of [`ChainWriter::finish`]: building and writing the derived indexes.
    pub index_seconds: f64,
    /// The median wall-clock seconds of one full scan ([`scan_account`] or [`scan_utxo`]).
    pub scan_median_seconds: f64,
    /// `records` / `scan_median_seconds`: the scan runs on one thread.
    pub scan_records_per_core_second: f64,
    /// Records-group bytes per record, as [`ChainStats::bytes_per_record`](crate::ChainStats::bytes_per_record).
    pub bytes_per_record: f64,
    /// Adjacency-index bytes per record.
    pub adjacency_bytes_per_record: f64,
    /// Transaction-hash bytes per record (not per transaction).
    pub tx_hash_bytes_per_record: f64,
    /// Address-dictionary bytes per address.
    pub address_dictionary_bytes_per_address: f64,
    /// The scan's fold of every record, so that no column can be skipped.
    pub scan_checksum: String,
}

/// Progress is reported about every this many records.
const PROGRESS_EVERY: u64 = 65_536;

/// Append `txs` to `chain` (which must not exist yet), index it, and scan its transfers `scans`
/// times (the median counts). `on_progress` gets the records appended so far.
pub fn bench_account_chain(
    store: &Store,
    chain: Chain,
    txs: impl IntoIterator<Item = AccountTx>,
    scans: usize,
    on_progress: &dyn Fn(u64),
) -> Result<ChainBench, StoreError> {
    let (append, index) = timed_append(
        store,
        chain,
        txs,
        |tx| tx.transfers.len() as u64,
        ChainWriter::append_account_tx,
        on_progress,
    )?;
    measure(&store.reader(chain)?, append, index, scans, scan_account)
}

/// [`bench_account_chain`] for a UTXO chain: inputs and outputs are its records.
pub fn bench_utxo_chain(
    store: &Store,
    chain: Chain,
    txs: impl IntoIterator<Item = UtxoTx>,
    scans: usize,
    on_progress: &dyn Fn(u64),
) -> Result<ChainBench, StoreError> {
    let (append, index) = timed_append(
        store,
        chain,
        txs,
        |tx| (tx.inputs.len() + tx.outputs.len()) as u64,
        ChainWriter::append_utxo_tx,
        on_progress,
    )?;
    measure(&store.reader(chain)?, append, index, scans, scan_utxo)
}

/// Seconds to append (and commit) `txs`, and seconds to index them.
fn timed_append<T>(
    store: &Store,
    chain: Chain,
    txs: impl IntoIterator<Item = T>,
    records_of: impl Fn(&T) -> u64,
    append: impl Fn(&mut ChainWriter, &T) -> Result<bool, StoreError>,
    on_progress: &dyn Fn(u64),
) -> Result<(f64, f64), StoreError> {
    if store.chains()?.contains(&chain) {
        return Err(StoreError::Input(format!(
            "{} already holds {chain}: benchmark into an empty --data-dir",
            store.dir().display()
        )));
    }
    let started = Instant::now();
    let mut writer = store.writer(chain)?;
    let (mut done, mut next_report) = (0u64, 0u64);
    for tx in txs {
        done += records_of(&tx);
        append(&mut writer, &tx)?;
        if done >= next_report {
            on_progress(done);
            next_report = done + PROGRESS_EVERY;
        }
    }
    writer.commit("bench", serde_json::json!(done))?;
    let append_seconds = started.elapsed().as_secs_f64();
    let indexing = Instant::now();
    writer.finish("bench", serde_json::json!(done))?;
    Ok((append_seconds, indexing.elapsed().as_secs_f64()))
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
pub fn scan_account(reader: &ChainReader) -> Result<u128, StoreError> {
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
pub fn scan_utxo(reader: &ChainReader) -> Result<u128, StoreError> {
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
