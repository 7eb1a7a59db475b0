//! Benchmark of reading a running node's blocks directory (`BestChain::open_live`, `refresh`,
//! as `chaintrail follow --blocks-dir` does): the first index pass, a look that finds nothing
//! new, a look after one appended block (which chooses the best chain again over every indexed
//! header), and the memory of the header index per block.
//!
//! ```text
//! cargo run --release -p chaintrail-bitcoin --example blk_follow_bench -- [blocks] [work dir]
//! ```
//! `blocks` (default 300,000) coinbase-only regtest blocks are mined and written XOR-obfuscated
//! into 128 MiB block files; then 20 more are appended one at a time, each followed by a look.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bitcoin::{Amount, Block, ScriptBuf, TxOut};
use chaintrail_bitcoin::synthetic::{REGTEST_BITS, coinbase, mine};
use chaintrail_bitcoin::{BestChain, BlkWriter, MAX_FILE_BYTES, XorKey};
use chaintrail_core::BitcoinNetwork;
use chaintrail_core::testing::{CountingAllocator, live_bytes};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const KEY: XorKey = XorKey([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
const REGTEST_MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

fn next_block(prev: &Block, height: u64) -> Block {
    let payout = TxOut {
        value: Amount::from_sat(50 * 100_000_000),
        script_pubkey: ScriptBuf::new_op_return(height.to_le_bytes()),
    };
    mine(
        prev.block_hash(),
        1_600_000_000 + height as u32,
        REGTEST_BITS,
        vec![coinbase(height, 0, vec![payout])],
    )
}

/// Append `block`'s record to the end of `path`, as the node does.
fn append(path: &Path, block: &Block) -> std::io::Result<()> {
    let raw = bitcoin::consensus::serialize(block);
    let mut record = REGTEST_MAGIC.to_vec();
    record.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    record.extend_from_slice(&raw);
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    KEY.apply(&mut record, file.metadata()?.len());
    file.write_all(&record)
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e3
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(300_000);
    let work = match args.next() {
        Some(dir) => PathBuf::from(dir),
        None => std::env::temp_dir().join("chaintrail-blk-follow-bench"),
    };
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    let blocks_dir = work.join("blocks");
    let started = Instant::now();
    let mut writer = BlkWriter::create(&blocks_dir, BitcoinNetwork::Regtest, KEY, MAX_FILE_BYTES)?;
    let mut tip = bitcoin::constants::genesis_block(bitcoin::Network::Regtest);
    writer.write_block(&bitcoin::consensus::serialize(&tip))?;
    for height in 1..=count {
        tip = next_block(&tip, height);
        writer.write_block(&bitcoin::consensus::serialize(&tip))?;
    }
    writer.finish()?;
    let files = std::fs::read_dir(&blocks_dir)?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("blk"))
        .count();
    println!(
        "generated {} blocks in {files} files in {:.1} s",
        count + 1,
        started.elapsed().as_secs_f64()
    );

    let before = live_bytes();
    let started = Instant::now();
    let mut chain = BestChain::open_live(&blocks_dir, BitcoinNetwork::Regtest)?;
    let opened = started.elapsed().as_secs_f64();
    let index_bytes = live_bytes() - before;
    println!(
        "open_live: {} blocks indexed in {opened:.2} s; index {:.1} MB = {:.0} B per block",
        chain.len(),
        index_bytes as f64 / 1e6,
        index_bytes as f64 / chain.len() as f64
    );

    let idle: Vec<Duration> = (0..20)
        .map(|_| {
            let started = Instant::now();
            chain.refresh().map(|_| started.elapsed())
        })
        .collect::<Result<_, _>>()?;
    println!("refresh, nothing new: median {:.3} ms", median(idle));

    let mut last_file = std::fs::read_dir(&blocks_dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("blk"))
        })
        .collect::<Vec<_>>();
    last_file.sort();
    let last_file = last_file.pop().ok_or("no block file")?;
    let mut one_new = Vec::new();
    for height in count + 1..=count + 20 {
        tip = next_block(&tip, height);
        append(&last_file, &tip)?;
        let started = Instant::now();
        let read = chain.refresh()?;
        one_new.push(started.elapsed());
        if read != 1 || chain.tip_height() != height {
            return Err(format!("block {height} was not read: {read} records").into());
        }
    }
    println!(
        "refresh after one appended block (reads it, checks it, chooses the chain again): \
         median {:.3} ms",
        median(one_new)
    );
    std::fs::remove_dir_all(&work)?;
    Ok(())
}
