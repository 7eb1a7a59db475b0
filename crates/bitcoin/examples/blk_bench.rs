//! Benchmark of the block-file reader: blocks/s and txs/s parsing `blk*.dat` files, the same
//! through a full ingest into a store, and the memory per transaction / per UTXO of outpoint
//! maps.
//!
//! ```text
//! cargo run --release -p chaintrail-bitcoin --example blk_bench -- [records] [work dir]
//! ```
//! `records` (default 4,200,000 inputs + outputs ≈ 1.07M transactions) are generated with
//! `chaintrail_ingest::synthetic::utxo_txs`, encoded as real blocks, and written XOR-obfuscated
//! into 128 MiB block files.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use chaintrail_bitcoin::ingest_blocks_dir;
use chaintrail_bitcoin::{BestChain, BlkWriter, MAX_FILE_BYTES, XorKey};
use chaintrail_core::testing::{CountingAllocator, live_bytes};
use chaintrail_core::{BitcoinNetwork, Chain};
use chaintrail_ingest::ImportOptions;
use chaintrail_store::Store;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let records: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(4_200_000);
    let work = match args.next() {
        Some(dir) => PathBuf::from(dir),
        None => std::env::temp_dir().join("chaintrail-blk-bench"),
    };
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    let blocks_dir = work.join("blocks");

    let started = Instant::now();
    let key = XorKey([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    let mut writer = BlkWriter::create(&blocks_dir, BitcoinNetwork::Regtest, key, MAX_FILE_BYTES)?;
    let (mut blocks, mut bytes) = (0u64, 0u64);
    let mut pending: Option<Vec<u8>> = None;
    for block in chaintrail_bitcoin::synthetic::blocks(42, records) {
        let raw = bitcoin::consensus::serialize(&block);
        bytes += raw.len() as u64;
        blocks += 1;
        // Store every other pair of blocks swapped, as blocks arrive out of order.
        match pending.take() {
            None if blocks % 4 == 1 => pending = Some(raw),
            None => {
                writer.write_block(&raw)?;
            }
            Some(first) => {
                writer.write_block(&raw)?;
                writer.write_block(&first)?;
            }
        }
    }
    if let Some(last) = pending {
        writer.write_block(&last)?;
    }
    writer.finish()?;
    println!(
        "generated {blocks} blocks, {:.1} MB of blk files in {:.1} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    // Parse only: index + decode + convert, no store.
    let started = Instant::now();
    let best = BestChain::open(&blocks_dir, BitcoinNetwork::Regtest)?;
    let indexed = started.elapsed().as_secs_f64();
    let (mut txs, mut parsed_blocks) = (0u64, 0u64);
    best.for_each_block(|_, block_txs| {
        txs += block_txs.len() as u64;
        parsed_blocks += 1;
    })?;
    let parse = started.elapsed().as_secs_f64();
    println!(
        "parse: {parsed_blocks} blocks, {txs} txs in {parse:.2} s (index pass {indexed:.2} s): \
         {:.0} blocks/s, {:.0} txs/s, {:.0} MB/s",
        parsed_blocks as f64 / parse,
        txs as f64 / parse,
        bytes as f64 / 1e6 / parse
    );

    // The real mainnet block 702,861 (2,500 segwit-era txs), decoded and converted repeatedly.
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/data/chain_fixtures/rust_bitcoin/\
         mainnet_block_000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae.raw",
    );
    if let Ok(raw) = std::fs::read(&fixture) {
        let rounds = 50;
        let started = Instant::now();
        let mut real_txs = 0;
        for _ in 0..rounds {
            let block: bitcoin::Block = bitcoin::consensus::deserialize(&raw)?;
            real_txs +=
                chaintrail_bitcoin::block_txs(&block, 702_861, BitcoinNetwork::Mainnet)?.len();
        }
        let took = started.elapsed().as_secs_f64();
        println!(
            "real block 702,861 x{rounds}: {:.0} txs/s, {:.0} MB/s",
            real_txs as f64 / took,
            (raw.len() * rounds) as f64 / 1e6 / took
        );
    }

    // Full ingest into a store (two threads: decode, append + link).
    let store = Store::init(&work.join("store"))?;
    let started = Instant::now();
    let options = ImportOptions {
        checkpoint_every: 200_000,
        on_progress: &|_, _| {},
    };
    let report = ingest_blocks_dir(&store, &blocks_dir, BitcoinNetwork::Regtest, &options)?;
    let ingest = started.elapsed().as_secs_f64();
    println!(
        "ingest: {} txs, {} inputs, {} outputs in {ingest:.2} s: {:.0} blocks/s, {:.0} txs/s",
        report.txs_read,
        report.totals.inputs,
        report.totals.outputs,
        report.totals.blocks as f64 / ingest,
        report.txs_read as f64 / ingest
    );

    // Memory of outpoint maps, measured with a counting allocator.
    let reader = store.reader(Chain::Bitcoin(BitcoinNetwork::Regtest))?;
    let tx_count = reader.tx_count();
    let utxos = (0..reader.output_count())
        .filter(|&row| reader.output(row).is_some_and(|o| o.spent_by.is_none()))
        .count();

    // What the store's writer keeps for every transaction ever appended: txid -> tx id, and
    // the tx's first output row.
    let before = live_bytes();
    let mut tx_ids: HashMap<[u8; 32], u32> = HashMap::new();
    let mut first_output: Vec<u64> = Vec::new();
    for tx in 0..tx_count {
        tx_ids.insert(reader.tx_hash(tx).0, tx as u32);
        first_output.push(reader.tx_outputs(tx).start);
    }
    let writer_bytes = live_bytes() - before;
    drop((tx_ids, first_output));

    // The recommended compact map: 8-byte txid prefix -> tx id, holding only transactions with
    // an unspent output (a prefix collision is resolved against the stored txid). Measured
    // here with one entry per transaction, i.e. as if every one still had an unspent output.
    let before = live_bytes();
    let mut compact: HashMap<u64, u32> = HashMap::new();
    for tx in 0..tx_count {
        let hash = reader.tx_hash(tx).0;
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&hash[..8]);
        compact.insert(u64::from_le_bytes(prefix), tx as u32);
    }
    let compact_bytes = live_bytes() - before;
    drop(compact);

    println!(
        "store writer map: {writer_bytes} B for {tx_count} txs = {:.1} B per tx \
         (kept for every tx ever; {utxos} outputs unspent at the end)",
        writer_bytes as f64 / tx_count as f64
    );
    println!(
        "compact prefix map: {compact_bytes} B for {tx_count} entries = {:.1} B per tx with an \
         unspent output",
        compact_bytes as f64 / tx_count as f64
    );
    std::fs::remove_dir_all(&work)?;
    Ok(())
}
