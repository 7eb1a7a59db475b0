//! EVM ingestion of chaintrail.
//!
//! This crate owns everything between an EVM data source and the store:
//! - talking to nodes through the workspace's one JSON-RPC client (`chaintrail-rpc`, re-exported
//!   here as [`RpcClient`]): batched calls, retries with backoff, authentication; errors name the
//!   block, the method and the node;
//! - fetching complete blocks from any node ([`Fetcher`]): full transactions, receipts
//!   (`eth_getBlockReceipts`, else per transaction), traces (Parity `trace_block`, else Geth
//!   `debug_traceBlockByNumber` with the `callTracer`, else none — detected and reported);
//! - [`ingest_rpc`]: those blocks into the value-flow model with checkpoints per
//!   window of blocks, so an interrupted ingest resumes where it stopped;
//! - decoding of protocol events ([`events`]): ERC-20 `Transfer`, WETH `Deposit`/`Withdrawal`,
//!   Uniswap V2/V3 `Swap`, Tornado Cash `Deposit`/`Withdrawal`, contract creations — the last
//!   three kept as JSON lines under `chains/<chain>/events/` for tracing — and the raw logs of
//!   bridge and mixer events ([`events::KEPT_TOPICS`]) kept there for the link decoders;
//! - token metadata ([`TokenNaming`]): what the source says (an export's tables, the contract's own
//!   `symbol()`/`decimals()` over RPC), else the bundled registry of major tokens;
//! - the `ethereum-etl` import format ([`EthereumEtl`]), CSV or JSON, as ethereum-etl writes it;
//! - the `cryo` import format ([`Cryo`]): cryo's Parquet datasets, read with `parquet`'s row API.
//!
//! Value-flow conventions (shared with `chaintrail-core`): the gas fee is a `Fee` transfer of the
//! priority part to the block's fee recipient plus a `Burn` of base fee × gas used (and of blob
//! gas); a reverted transaction or internal call keeps its value transfers with
//! `success: false`; beacon withdrawals and mining rewards are `Mint`s in one synthetic
//! transaction per block ([`block_credits_hash`]).

#![warn(missing_docs)]

mod append;
mod cryo;
mod etl;
mod etl_files;
pub mod events;
mod flows;
mod head;
mod model;
mod rpc;
mod rpcjson;
mod tokens;

use std::path::PathBuf;

pub use append::BlockAppender;
pub use chaintrail_rpc::{Call, RpcAuth, RpcClient, RpcError, RpcOptions};
pub use cryo::{Cryo, CryoDataset};
pub use etl::{BadRow, EthereumEtl, EtlRecord, EtlTable, parse_etl_csv, parse_etl_json};
pub use flows::{block_credits_hash, known_wrapped_native};
pub use head::ForkedBlock;
pub use model::{
    BlockBundle, EvmBlock, EvmLog, EvmReceipt, EvmTrace, EvmTransaction, TraceType, Withdrawal,
    propagate_trace_status,
};
pub use rpc::{
    Fetcher, ReceiptSource, RpcConfig, RpcIngestReport, TraceSource, ingest_rpc, ingest_rpc_with,
};
pub use rpcjson::{
    decode_block, decode_geth_traces, decode_log, decode_parity_traces, decode_receipt,
};
pub use tokens::{TokenNaming, decode_decimals, decode_symbol};

/// Everything that can go wrong while ingesting EVM data. Messages name the block and the method
/// (or file and line) so that the user can find the culprit.
#[derive(Debug, thiserror::Error)]
pub enum EvmError {
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] chaintrail_store::StoreError),
    /// The node could not be reached or answered a call with an error; `error` names the node
    /// and the call.
    #[error("{}{error}", at(*block))]
    Rpc {
        /// The block being fetched, when known.
        block: Option<u64>,
        /// The client's error.
        error: RpcError,
    },
    /// The node's answer does not decode.
    #[error("{}{method}: malformed answer: {message}", at(*block))]
    Decode {
        /// The JSON-RPC method.
        method: String,
        /// The block, when known.
        block: Option<u64>,
        /// What was wrong, naming the field.
        message: String,
    },
    /// A file (of the protocol events) cannot be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done (`read`, `write`, …).
        action: &'static str,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A block that is not on the stored chain (another fork).
    #[error(transparent)]
    Fork(#[from] ForkedBlock),
    /// A bad argument (a range, a setting), phrased for the user.
    #[error("{0}")]
    Input(String),
}

/// Data from a node or an export that does not make sense; the message names the field (and the
/// transaction, log or trace) and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MalformedData(String);

impl From<String> for MalformedData {
    fn from(message: String) -> Self {
        MalformedData(message)
    }
}

impl From<&str> for MalformedData {
    fn from(message: &str) -> Self {
        MalformedData(message.to_string())
    }
}

impl From<RpcError> for EvmError {
    fn from(error: RpcError) -> Self {
        EvmError::Rpc { block: None, error }
    }
}

/// An RPC failure while fetching block `block`.
pub(crate) fn at_block(block: u64) -> impl Fn(RpcError) -> EvmError {
    move |error| EvmError::Rpc {
        block: Some(block),
        error,
    }
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
