//! EVM ingestion of chaintrail.
//!
//! This crate owns everything between an EVM data source and the store:
//! - a lean JSON-RPC 2.0 client ([`client`]): batched calls, bounded concurrency, retries with
//!   backoff, errors naming the block and the method;
//! - fetching complete blocks from any node ([`Fetcher`]): full transactions, receipts
//!   (`eth_getBlockReceipts`, else per transaction), traces (Parity `trace_block`, else Geth
//!   `debug_traceBlockByNumber` with the `callTracer`, else none — detected and reported);
//! - [`ingest_rpc`]: those blocks into the value-flow model ([`flows`]) with checkpoints per
//!   window of blocks, so an interrupted ingest resumes where it stopped;
//! - decoding of protocol events ([`events`]): ERC-20 `Transfer`, WETH `Deposit`/`Withdrawal`,
//!   Uniswap V2/V3 `Swap`, Tornado Cash `Deposit`/`Withdrawal`, contract creations — the last
//!   three kept as JSON lines under `chains/<chain>/events/` for tracing — and the raw logs of
//!   bridge and mixer events ([`events::KEPT_TOPICS`]) kept there for the link decoders;
//! - token metadata ([`tokens`]): what the source says (an export's tables, the contract's own
//!   `symbol()`/`decimals()` over RPC), else the bundled registry of major tokens;
//! - the `ethereum-etl` import format ([`EthereumEtl`]), CSV or JSON, as ethereum-etl writes it;
//! - the `cryo` import format ([`Cryo`]): cryo's Parquet datasets, read with `parquet`'s row API.
//!
//! Value-flow conventions (shared with `chaintrail-core`): the gas fee is a `Fee` transfer of the
//! priority part to the block's fee recipient plus a `Burn` of base fee × gas used (and of blob
//! gas); a reverted transaction or internal call keeps its value transfers with
//! `success: false`; beacon withdrawals and mining rewards are `Mint`s in one synthetic
//! transaction per block ([`flows::block_credits_hash`]).

pub mod client;
pub mod cryo;
mod cryo_files;
pub mod etl;
mod etl_files;
pub mod events;
pub mod flows;
pub mod model;
mod rpc;
mod rpcjson;
pub mod tokens;

use std::path::PathBuf;

pub use client::{ClientConfig, RpcClient};
pub use cryo::{Cryo, CryoDataset};
pub use etl::{EthereumEtl, parse_etl_csv, parse_etl_json};
pub use rpc::{
    Fetcher, ReceiptSource, RpcConfig, RpcIngestReport, TraceSource, ingest_rpc, ingest_rpc_with,
};
pub use rpcjson::{
    decode_block, decode_geth_traces, decode_log, decode_parity_traces, decode_receipt,
};

/// Everything that can go wrong while ingesting EVM data. Messages name the block and the method
/// (or file and line) so that the user can find the culprit.
#[derive(Debug, thiserror::Error)]
pub enum EvmError {
    #[error(transparent)]
    Store(#[from] chaintrail_store::StoreError),
    #[error("{}{method} via {url}: {message}", at(*block))]
    Transport {
        url: String,
        method: String,
        block: Option<u64>,
        message: String,
    },
    #[error("{}{method}: {message}", at(*block))]
    Node {
        method: String,
        block: Option<u64>,
        message: String,
    },
    #[error("{}{method}: malformed answer: {message}", at(*block))]
    Decode {
        method: String,
        block: Option<u64>,
        message: String,
    },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("{0}")]
    Input(String),
}

fn at(block: Option<u64>) -> String {
    block.map(|b| format!("block {b}: ")).unwrap_or_default()
}

impl From<EvmError> for chaintrail_ingest::ImportError {
    fn from(error: EvmError) -> Self {
        match error {
            EvmError::Store(e) => chaintrail_ingest::ImportError::Store(e),
            other => chaintrail_ingest::ImportError::Source(other.to_string()),
        }
    }
}
