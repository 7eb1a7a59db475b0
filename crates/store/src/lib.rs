//! The embedded store of chaintrail: one directory holding every imported chain.
//!
//! This crate owns the on-disk format and nothing else:
//! - dense integer ids for addresses (a dictionary from canonical address key to id), assets and
//!   transactions, per chain;
//! - columnar, memory-mapped, fixed-width arrays per chain (`blocks.*`, `txs.*`, `transfers.*`
//!   for account chains, `inputs.*` / `outputs.*` for UTXO chains);
//! - the payloads of OP_RETURN outputs beside the fixed-width records (`null_data.*`), read with
//!   [`ChainReader::null_data`] and [`ChainReader::output_data`];
//! - derived traversal indexes: adjacency per address in time order, both directions, and the
//!   spent-by link of every output;
//! - a manifest per chain that lists the committed length and the CRC-32 of every file and of each
//!   8 MiB segment of it, and the states of the last commits, which a chain can be rolled back to
//!   atomically ([`ChainWriter::roll_back`], the reorg window of live following). Appends are
//!   checkpointed: [`ChainWriter::commit`] fsyncs the columns and then atomically replaces the
//!   manifest together with the importer's resume cursor, so a killed import resumes with nothing lost and nothing duplicated. Readers verify each segment
//!   the first time they read from it ([`ChainReader::ensure_intact`] reports damage met);
//!   [`Store::verify`] checks everything on demand.
//!
//! The layout is documented in docs/schema.md. Importers (crate `chaintrail-ingest`) feed
//! [`ChainWriter`]; tracing, screening and export read through [`ChainReader`].

#![warn(missing_docs)]

pub mod bench;
mod checkpoint;
mod column;
mod dictionary;
mod error;
mod files;
mod index;
mod lookup;
mod manifest;
mod outpoints;
mod reader;
pub mod schema;
mod segments;
mod verify;
mod writer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chaintrail_core::Chain;

pub use checkpoint::{CHECKPOINTS_KEPT, Checkpoint};
pub use column::{Column, DamageLatch};
pub use error::StoreError;
pub use files::{FileState, write_atomic};
pub use reader::{
    ChainReader, ChainStats, Extent, FileStats, GroupBytes, InputSource, InputView, OutputFunds,
    OutputView, TransferColumns, TransferView, UtxoColumns,
};
pub use schema::TxId;
pub use segments::{
    DEFAULT_SEGMENT_BYTES, SegmentChecks, SegmentDamage, SegmentHasher, SegmentLayoutError,
};
pub use verify::{ChainVerification, Problem};
pub use writer::{ChainWriter, Progress, TxLookupMemory};

use crate::error::io_err;
use crate::manifest::{CHAIN_MANIFEST, FORMAT, ROOT_MANIFEST, RootManifest, read_json, write_json};

/// The default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "chaintrail-data";

/// A store directory. Cheap to open; chains are opened for reading or writing on demand.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// Create the store directory if needed (idempotent) and open it.
    pub fn init(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir.join("chains")).map_err(|e| io_err(dir, "create", e))?;
        let manifest = dir.join(ROOT_MANIFEST);
        if !manifest.exists() {
            write_json(
                &manifest,
                &RootManifest {
                    format: FORMAT,
                    software: format!("chaintrail {}", env!("CARGO_PKG_VERSION")),
                },
            )?;
        }
        Store::open(dir)
    }

    /// Open an existing store; fails with a hint when `dir` holds none.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let manifest = dir.join(ROOT_MANIFEST);
        if !manifest.exists() {
            return Err(StoreError::NotInitialized(dir.to_path_buf()));
        }
        let root: RootManifest = read_json(&manifest)?;
        if root.format != FORMAT {
            return Err(StoreError::Format {
                dir: dir.to_path_buf(),
                found: root.format,
                expected: FORMAT,
            });
        }
        Ok(Store {
            dir: dir.to_path_buf(),
        })
    }

    /// The store's directory (`--data-dir`), holding `chaintrail.json` and `chains/`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn chain_dir(&self, chain: Chain) -> PathBuf {
        self.dir.join("chains").join(chain.name())
    }

    /// The chains that have data, in a stable order.
    pub fn chains(&self) -> Result<Vec<Chain>, StoreError> {
        let chains_dir = self.dir.join("chains");
        let mut chains = Vec::new();
        let entries = match std::fs::read_dir(&chains_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(chains),
            Err(e) => return Err(io_err(&chains_dir, "list", e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| io_err(&chains_dir, "list", e))?;
            if !entry.path().join(CHAIN_MANIFEST).exists() {
                continue;
            }
            if let Some(chain) = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<Chain>().ok())
            {
                chains.push(chain);
            }
        }
        chains.sort();
        Ok(chains)
    }

    /// Open every chain for reading, keyed by chain.
    pub fn readers(&self) -> Result<BTreeMap<Chain, ChainReader>, StoreError> {
        self.chains()?
            .into_iter()
            .map(|chain| Ok((chain, self.reader(chain)?)))
            .collect()
    }

    /// What `chaintrail stats` shows: rows, bytes per record and ids of every chain (only
    /// `only` when given), in [`Store::chains`] order.
    pub fn stats(&self, only: Option<Chain>) -> Result<Vec<ChainStats>, StoreError> {
        let chains = match only {
            Some(chain) => vec![chain],
            None => self.chains()?,
        };
        chains
            .into_iter()
            .map(|chain| Ok(self.reader(chain)?.stats()))
            .collect()
    }

    /// Open a chain for appending; creates it on first use. Only one writer per chain at a time.
    pub fn writer(&self, chain: Chain) -> Result<ChainWriter, StoreError> {
        ChainWriter::open(self.chain_dir(chain), chain, DEFAULT_SEGMENT_BYTES)
    }

    /// [`Store::writer`] that creates a new chain with checksum segments of `segment_bytes`
    /// (at least 64) instead of [`DEFAULT_SEGMENT_BYTES`]: for tests of segment verification.
    #[doc(hidden)]
    pub fn writer_with_segment_bytes(
        &self,
        chain: Chain,
        segment_bytes: u64,
    ) -> Result<ChainWriter, StoreError> {
        ChainWriter::open(self.chain_dir(chain), chain, segment_bytes)
    }

    /// Open a chain for reading. Files are mapped and their lengths checked; each segment is
    /// verified against its checksum when first read (see [`ChainReader::ensure_intact`]).
    pub fn reader(&self, chain: Chain) -> Result<ChainReader, StoreError> {
        let dir = self.existing_chain_dir(chain)?;
        ChainReader::open(&dir)
    }

    /// Check every byte of a chain against its manifest and the invariants readers rely on,
    /// naming every problem found. `progress(done, total)` gets the bytes verified so far.
    pub fn verify(
        &self,
        chain: Chain,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ChainVerification, StoreError> {
        let dir = self.existing_chain_dir(chain)?;
        verify::verify_chain(&dir, progress)
    }

    fn existing_chain_dir(&self, chain: Chain) -> Result<PathBuf, StoreError> {
        let dir = self.chain_dir(chain);
        if !dir.join(CHAIN_MANIFEST).exists() {
            let present = self
                .chains()?
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(StoreError::NoSuchChain {
                chain,
                present: if present.is_empty() {
                    "none (import something first)".to_string()
                } else {
                    present
                },
            });
        }
        Ok(dir)
    }
}
