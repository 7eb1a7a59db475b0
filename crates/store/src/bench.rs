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
    /// CPU time of the appending thread (`None` where the system does not tell): wall time
    /// over CPU time is the share of a core the run got on a shared machine.
    pub append_cpu_seconds: Option<f64>,
    /// Wall-clock seconds of [`ChainWriter::finish`]: building and writing the derived indexes.
    pub index_seconds: f64,
    /// CPU time of the index build (`None` where the system does not tell).
    pub index_cpu_seconds: Option<f64>,
    /// The median wall-clock seconds of one full scan ([`scan_account`] or [`scan_utxo`]).
    pub scan_median_seconds: f64,
    /// Records per second of the median scan's CPU time (its wall time where the system does
    /// not tell); the scan runs on one thread.
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
    let timings = timed_append(
        store,
        chain,
        txs,
        |tx| tx.transfers.len() as u64,
        ChainWriter::append_account_tx,
        on_progress,
    )?;
    measure(&store.reader(chain)?, timings, scans, scan_account)
}

/// [`bench_account_chain`] for a UTXO chain: inputs and outputs are its records.
pub fn bench_utxo_chain(
    store: &Store,
    chain: Chain,
    txs: impl IntoIterator<Item = UtxoTx>,
    scans: usize,
    on_progress: &dyn Fn(u64),
) -> Result<ChainBench, StoreError> {
    let timings = timed_append(
        store,
        chain,
        txs,
        |tx| (tx.inputs.len() + tx.outputs.len()) as u64,
        ChainWriter::append_utxo_tx,
        on_progress,
    )?;
    measure(&store.reader(chain)?, timings, scans, scan_utxo)
}

/// Wall and CPU seconds of a stretch of work on this thread.
#[derive(Debug, Clone, Copy)]
struct Timing {
    wall: f64,
    cpu: Option<f64>,
}

/// The CPU time this thread has used (`CLOCK_THREAD_CPUTIME_ID`, nanosecond resolution; `None`
/// where the clock is unavailable). On a shared machine a stretch of work's wall time counts
/// the time other processes held the cores; its CPU time does not.
pub fn thread_cpu_seconds() -> Option<f64> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the duration of the call.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    (status == 0).then(|| now.tv_sec as f64 + now.tv_nsec as f64 / 1e9)
}

/// Time `work` in wall and thread CPU seconds.
fn timed<R>(work: impl FnOnce() -> R) -> (R, Timing) {
    let (started, cpu_started) = (Instant::now(), thread_cpu_seconds());
    let result = work();
    let cpu = thread_cpu_seconds()
        .zip(cpu_started)
        .map(|(end, start)| end - start);
    let wall = started.elapsed().as_secs_f64();
    (result, Timing { wall, cpu })
}

/// How long appending (with the commit) and indexing took.
struct AppendTimings {
    append: Timing,
    index: Timing,
}

/// Append (and commit) `txs`, then index them, timing both.
fn timed_append<T>(
    store: &Store,
    chain: Chain,
    txs: impl IntoIterator<Item = T>,
    records_of: impl Fn(&T) -> u64,
    append: impl Fn(&mut ChainWriter, &T) -> Result<bool, StoreError>,
    on_progress: &dyn Fn(u64),
) -> Result<AppendTimings, StoreError> {
    if store.chains()?.contains(&chain) {
        return Err(StoreError::Input(format!(
            "{} already holds {chain}: benchmark into an empty --data-dir",
            store.dir().display()
        )));
    }
    let (appended, append_timing) = timed(|| -> Result<_, StoreError> {
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
        Ok((writer, done))
    });
    let (writer, done) = appended?;
    let (finished, index_timing) = timed(|| writer.finish("bench", serde_json::json!(done)));
    finished?;
    Ok(AppendTimings {
        append: append_timing,
        index: index_timing,
    })
}

fn measure(
    reader: &ChainReader,
    timings: AppendTimings,
    scans: usize,
    scan: fn(&ChainReader) -> Result<u128, StoreError>,
) -> Result<ChainBench, StoreError> {
    let stats = reader.stats();
    let mut times = Vec::new();
    let mut checksum = 0;
    for _ in 0..scans.max(1) {
        let (scanned, timing) = timed(|| scan(reader));
        checksum = std::hint::black_box(scanned?);
        times.push(timing);
    }
    times.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    let median = times[times.len() / 2];
    let AppendTimings { append, index } = timings;
    Ok(ChainBench {
        chain: reader.chain(),
        records: stats.records,
        append_seconds: append.wall,
        append_records_per_second: stats.records as f64 / append.wall,
        append_cpu_seconds: append.cpu,
        index_seconds: index.wall,
        index_cpu_seconds: index.cpu,
        scan_median_seconds: median.wall,
        scan_records_per_core_second: stats.records as f64 / median.cpu.unwrap_or(median.wall),
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
