//! Benchmark of the `ethereum-etl` importer: writes an ethereum-etl CSV export (blocks,
//! transactions with receipt columns, token_transfers) of `chaintrail_ingest::synthetic`
//! transactions, then imports it and prints rows/s.
//!
//! `cargo run --release -p chaintrail-evm --example bench_etl -- [transfers] [dir]`
//! (default 1,000,000 transfers, a temporary directory).

use std::io::Write;
use std::time::Instant;

use chaintrail_core::{AssetKind, TransferKind};
use chaintrail_evm::EthereumEtl;
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_store::Store;

const BASE_FEE: u64 = 10_000_000_000;
const PRICE: u64 = 11_000_000_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let transfers: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let temp = tempfile::tempdir()?;
    let root = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    let export = root.join("export");
    std::fs::create_dir_all(&export)?;
    let started = Instant::now();
    let mut blocks = std::io::BufWriter::new(std::fs::File::create(export.join("blocks.csv"))?);
    let mut txs = std::io::BufWriter::new(std::fs::File::create(export.join("transactions.csv"))?);
    let mut tokens =
        std::io::BufWriter::new(std::fs::File::create(export.join("token_transfers.csv"))?);
    writeln!(blocks, "number,hash,timestamp,miner,base_fee_per_gas")?;
    writeln!(
        txs,
        "hash,nonce,block_number,transaction_index,from_address,to_address,value,gas,gas_price,input,\
         receipt_gas_used,receipt_status,receipt_effective_gas_price"
    )?;
    writeln!(
        tokens,
        "token_address,from_address,to_address,value,transaction_hash,log_index,block_number"
    )?;
    let (mut rows, mut last_block, mut index, mut log_index) = (0u64, None, 0u64, 0u64);
    for tx in chaintrail_ingest::synthetic::account_txs(7, transfers) {
        let height = tx.block.height;
        if last_block != Some(height) {
            writeln!(
                blocks,
                "{height},0x{:064x},{},0x{:040x},{BASE_FEE}",
                height + 1,
                tx.block.timestamp,
                0xfee
            )?;
            rows += 1;
            last_block = Some(height);
            index = 0;
            log_index = 0;
        }
        let Some(main) = tx
            .transfers
            .iter()
            .find(|t| matches!(t.kind, TransferKind::Native | TransferKind::Token))
        else {
            continue;
        };
        let (Some(from), Some(to)) = (&main.from, &main.to) else {
            continue;
        };
        let hash = format!("0x{}", tx.hash.to_hex());
        let (to_address, value) = match &main.asset {
            AssetKind::Native => (to.to_string().to_lowercase(), main.amount.to_string()),
            AssetKind::Token(token) => {
                writeln!(
                    tokens,
                    "{},{},{},{},{hash},{log_index},{height}",
                    token.to_string().to_lowercase(),
                    from.to_string().to_lowercase(),
                    to.to_string().to_lowercase(),
                    main.amount
                )?;
                log_index += 1;
                rows += 1;
                (token.to_string().to_lowercase(), "0".to_string())
            }
        };
        writeln!(
            txs,
            "{hash},{index},{height},{index},{},{to_address},{value},21000,{PRICE},0x,21000,1,{PRICE}",
            from.to_string().to_lowercase()
        )?;
        rows += 1;
        index += 1;
    }
    blocks.flush()?;
    txs.flush()?;
    tokens.flush()?;
    let bytes: u64 = ["blocks.csv", "transactions.csv", "token_transfers.csv"]
        .iter()
        .map(|f| {
            std::fs::metadata(export.join(f))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum();
    println!(
        "wrote {rows} rows ({:.1} MB) in {:.1?}",
        bytes as f64 / 1e6,
        started.elapsed()
    );

    let store = Store::init(&root.join("store"))?;
    let started = Instant::now();
    let report = EthereumEtl.import(
        &store,
        &export,
        &ImportOptions {
            checkpoint_every: 100_000,
            ..ImportOptions::default()
        },
    )?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "imported {rows} rows → {} txs, {} transfers, {} blocks in {seconds:.2} s: {:.0} rows/s, {:.0} transfers/s",
        report.totals.txs,
        report.totals.transfers,
        report.totals.blocks,
        rows as f64 / seconds,
        report.totals.transfers as f64 / seconds
    );
    Ok(())
}
