//! Measure generation speed: `cargo run --release -p chaintrail-sim --example simulate -- SCALE [SEED] [OUT_DIR]`.
//! Without OUT_DIR the world is generated into a counting sink (no I/O).

use std::time::Instant;

use chaintrail_sim::{BtcBlock, EvmBlock, SimConfig, SimError, WorldSink, simulate, write_dir};

#[derive(Default)]
struct Count {
    transfers: u64,
    btc_txs: u64,
}

impl WorldSink for Count {
    fn evm_block(&mut self, block: &EvmBlock) -> Result<(), SimError> {
        self.transfers += block
            .account_txs()
            .map(|t| t.transfers.len() as u64)
            .sum::<u64>();
        Ok(())
    }
    fn btc_block(&mut self, block: &BtcBlock) -> Result<(), SimError> {
        self.btc_txs += block.txs.len() as u64;
        Ok(())
    }
}

fn main() -> Result<(), SimError> {
    let args: Vec<String> = std::env::args().collect();
    let scale = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(SimConfig::DEMO_SCALE);
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let config = SimConfig::new(seed, scale);
    let started = Instant::now();
    let (transfers, btc_txs) = match args.get(3) {
        Some(out) => {
            let summary = write_dir(&config, std::path::Path::new(out))?;
            (
                summary.truth.stats.evm_transfers,
                summary.truth.stats.btc_txs,
            )
        }
        None => {
            let mut count = Count::default();
            simulate(&config, &mut count)?;
            (count.transfers, count.btc_txs)
        }
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "scale {scale}: {transfers} account transfers + {btc_txs} bitcoin txs in {secs:.2}s ({:.0} transfers/s)",
        transfers as f64 / secs
    );
    Ok(())
}
