//! Bitcoin ingestion for chaintrail: everything that turns Bitcoin data into the value-flow
//! model ([`chaintrail_core::UtxoTx`]) and appends it to the store.
//!
//! This crate owns
//! - decoding with the `bitcoin` crate ([`block_txs`], [`classify_script`]) — a block becomes
//!   its transactions with display-order txids, coinbase inputs without a prevout, and every
//!   output's script classified as Bitcoin Core does (P2PK, P2PKH, P2SH, P2WPKH, P2WSH, P2TR,
//!   unknown witness programs, bare multisig, OP_RETURN, non-standard), and the payload of every
//!   OP_RETURN output kept ([`null_data_payload`]);
//! - Bitcoin Core's `blk*.dat` files read directly ([`BestChain`]) — the `xor.dat` obfuscation
//!   key, per-network magic, blocks stored out of order, the best chain chosen by the most
//!   cumulative work so that stale blocks are left out — and [`ingest_blocks_dir`]; a running
//!   node's directory is read as it grows ([`BestChain::open_live`], [`BestChain::refresh`]);
//! - Bitcoin Core's JSON-RPC methods ([`BitcoinRpc`]) on the workspace's one JSON-RPC
//!   client (`chaintrail-rpc`, re-exported: [`RpcClient`] with cookie, user/password or bearer
//!   auth, batches, retries with backoff) and [`ingest_rpc`];
//! - the `bitcoin-etl` importer ([`BitcoinEtl`]) for its JSON-lines exports;
//! - [`synthetic`]: real block encodings of the seeded load generator, for benchmarks and tests.
//!
//! Spent-output linking and fees are the store's: inputs name the outpoints they spend and the
//! store's writer links them to stored outputs. Every ingest path commits only at block
//! boundaries with a cursor naming the last complete block, and resumes after it.

#![warn(missing_docs)]

mod blk;
mod convert;
mod etl;
mod etl_files;
mod rpc;
pub mod synthetic;
#[cfg(feature = "test-support")]
pub mod testing;

use std::path::PathBuf;

use chaintrail_ingest::ImportError;
use chaintrail_store::StoreError;

pub use blk::{
    BestChain, BlkWriter, MAX_FILE_BYTES, ScanEnd, XorKey, genesis_hashes, ingest_blocks_dir,
    scan_records, scan_records_from,
};
pub use chaintrail_rpc::{RpcAuth, RpcClient, RpcError, RpcOptions};
pub use convert::{
    BlockBodyError, block_txs, classify_script, null_data_payload, p2pk_aliases, tx_hash, utxo_tx,
};
pub use etl::{BadEtlTransaction, BitcoinEtl, EtlTransaction, asm_payload};
pub use rpc::{BitcoinRpc, BlockFormat, BlockRange, RpcIngestOptions, ingest_rpc};

/// What went wrong while ingesting Bitcoin data. Every variant names where: the file and byte
/// offset, or the block and RPC method.
#[derive(Debug, thiserror::Error)]
pub enum BitcoinError {
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A `blk*.dat` record that cannot be framed: bad magic, impossible length, truncation.
    #[error("{}, byte offset {offset}: {reason}", path.display())]
    Framing {
        /// The file.
        path: PathBuf,
        /// The byte offset in the file.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A framed block whose bytes do not decode, or do not match their header.
    #[error("{}, byte offset {offset}: block {block}: {reason}", path.display())]
    CorruptBlock {
        /// The file.
        path: PathBuf,
        /// The byte offset in the file.
        offset: u64,
        /// The block: hash and height.
        block: String,
        /// What is wrong.
        reason: String,
    },
    /// The block files do not form a chain that can be numbered.
    #[error("{}: {reason}", path.display())]
    Chain {
        /// The blocks directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The node could not be reached or answered with an error.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// A block served by a node that fails to decode or does not match what was asked for.
    #[error("block {block} from {method}: {reason}")]
    BadRpcBlock {
        /// The block: hash and height.
        block: String,
        /// The RPC method that served it.
        method: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The data already stored for this source disagrees with the source (a reorg).
    #[error("{0}")]
    Diverged(String),
}

impl From<BitcoinError> for ImportError {
    fn from(err: BitcoinError) -> Self {
        match err {
            BitcoinError::Store(e) => ImportError::Store(e),
            BitcoinError::Io { path, source } => ImportError::Read { path, source },
            other => ImportError::Source(other.to_string()),
        }
    }
}
