//! Writing a simulated world: into a directory (ETL exports, ground truth, TagPack) or straight
//! into a chaintrail store.

use std::path::Path;

use chaintrail_store::{ChainWriter, Store};
use serde::Serialize;

use crate::error::io_err;
use crate::model::{BtcBlock, EvmBlock, WorldSink};
use crate::{
    BTC_CHAIN, EVM_CHAIN, EtlLayout, EtlWriter, GroundTruth, SimConfig, SimError, WalletTruth,
    simulate, tagpack_yaml,
};

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct SimSummary {
    pub truth: GroundTruth,
    pub files: Vec<String>,
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SimError> {
    std::fs::write(path, bytes).map_err(|e| io_err("write", path, e))
}

/// Write the truth and TagPack next to the data in `dir`.
fn write_side_files(dir: &Path, truth: &GroundTruth) -> Result<Vec<String>, SimError> {
    let json = serde_json::to_vec_pretty(truth).map_err(|source| SimError::Json {
        what: "ground truth",
        source,
    })?;
    write_file(&dir.join("ground_truth.json"), &json)?;
    write_file(&dir.join(WalletTruth::FILE), &truth.wallets.to_csv()?)?;
    let tags = dir.join("tagpacks");
    std::fs::create_dir_all(&tags).map_err(|e| io_err("create", &tags, e))?;
    write_file(
        &tags.join("chaintrail-sim.yaml"),
        tagpack_yaml(truth).as_bytes(),
    )?;
    Ok(vec![
        "ground_truth.json".into(),
        WalletTruth::FILE.into(),
        "tagpacks/chaintrail-sim.yaml".into(),
    ])
}

/// `chaintrail sim`: simulate and write `ethereum/*.csv` (ethereum-etl), `bitcoin/*.json`
/// (bitcoin-etl), `ground_truth.json`, `wallets.csv` and `tagpacks/chaintrail-sim.yaml` under
/// `dir`.
pub fn write_dir(config: &SimConfig, dir: &Path) -> Result<SimSummary, SimError> {
    write_dir_as(config, dir, EtlLayout::Single)
}

/// [`write_dir`] with the exports laid out as `layout` says.
pub fn write_dir_as(
    config: &SimConfig,
    dir: &Path,
    layout: EtlLayout,
) -> Result<SimSummary, SimError> {
    std::fs::create_dir_all(dir).map_err(|e| io_err("create", dir, e))?;
    let mut etl = EtlWriter::create_as(dir, layout)?;
    let truth = simulate(config, &mut etl)?;
    etl.finish(&truth)?;
    let tables = [
        "blocks",
        "transactions",
        "receipts",
        "logs",
        "token_transfers",
        "traces",
        "tokens",
    ];
    let (mut files, btc): (Vec<String>, [String; 2]) = match layout {
        EtlLayout::Single => (
            tables.iter().map(|f| format!("ethereum/{f}.csv")).collect(),
            [
                "bitcoin/blocks.json".into(),
                "bitcoin/transactions.json".into(),
            ],
        ),
        EtlLayout::Partitioned { .. } => (
            tables.iter().map(|f| format!("ethereum/{f}/")).collect(),
            ["bitcoin/blocks/".into(), "bitcoin/transactions/".into()],
        ),
    };
    files.push("ethereum/chain_id".into());
    files.extend(btc);
    files.extend(write_side_files(dir, &truth)?);
    Ok(SimSummary { truth, files })
}

/// Appends a world to a store, one [`ChainWriter`] per chain, committing every 1,000 blocks.
pub struct StoreSink {
    evm: ChainWriter,
    btc: ChainWriter,
    blocks: u64,
}

/// The resume-cursor key the simulator stores its progress under.
const CURSOR: &str = "sim";

impl StoreSink {
    pub fn open(store: &Store) -> Result<StoreSink, SimError> {
        Ok(StoreSink {
            evm: store.writer(EVM_CHAIN)?,
            btc: store.writer(BTC_CHAIN)?,
            blocks: 0,
        })
    }

    fn tick(&mut self, height: u64) -> Result<(), SimError> {
        self.blocks += 1;
        if self.blocks.is_multiple_of(1_000) {
            self.evm
                .commit(CURSOR, serde_json::json!({ "block": height }))?;
            self.btc
                .commit(CURSOR, serde_json::json!({ "block": height }))?;
        }
        Ok(())
    }

    /// Register the world's assets and build the stores' indexes.
    pub fn finish(mut self, truth: &GroundTruth) -> Result<(), SimError> {
        for asset in &truth.assets {
            if asset.chain == EVM_CHAIN {
                self.evm.register_asset(asset)?;
            } else {
                self.btc.register_asset(asset)?;
            }
        }
        let cursor = serde_json::json!({ "seed": truth.seed, "scale": truth.scale, "done": true });
        self.evm.finish(CURSOR, cursor.clone())?;
        self.btc.finish(CURSOR, cursor)?;
        Ok(())
    }
}

impl WorldSink for StoreSink {
    fn evm_block(&mut self, block: &EvmBlock) -> Result<(), SimError> {
        for tx in block.account_txs() {
            self.evm.append_account_tx(tx)?;
        }
        self.tick(block.number)
    }

    fn btc_block(&mut self, block: &BtcBlock) -> Result<(), SimError> {
        for tx in &block.txs {
            self.btc.append_utxo_tx(&tx.flow)?;
        }
        self.tick(block.height)
    }
}

/// `chaintrail demo`: simulate straight into `store` and write `ground_truth.json` and the
/// TagPack into `side_dir`.
pub fn write_store(
    config: &SimConfig,
    store: &Store,
    side_dir: &Path,
) -> Result<SimSummary, SimError> {
    std::fs::create_dir_all(side_dir).map_err(|e| io_err("create", side_dir, e))?;
    let mut sink = StoreSink::open(store)?;
    let truth = simulate(config, &mut sink)?;
    sink.finish(&truth)?;
    let files = write_side_files(side_dir, &truth)?;
    Ok(SimSummary { truth, files })
}
