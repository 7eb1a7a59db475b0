//! Manifests: the only source of truth for what is committed. A manifest is replaced atomically
//! (temp file + rename), so a reader sees either the state before a checkpoint or after it.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

use chaintrail_core::{Chain, ChainModel};
use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::error::{StoreError, io_err};
use crate::files::{FileState, write_atomic};
use crate::segments::{DEFAULT_SEGMENT_BYTES, LEGACY_SEGMENT_BYTES};

/// The store format. 2: UTXO chains keep a wallet fingerprint per transaction
/// (`txs.fingerprint`); a format-1 store lacks it and is rebuilt by importing again.
pub const FORMAT: u32 = 2;
pub const ROOT_MANIFEST: &str = "chaintrail.json";
pub const CHAIN_MANIFEST: &str = "manifest.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RootManifest {
    pub format: u32,
    pub software: String,
}

/// Per-chain manifest: committed state of every file, importer cursors, and index freshness.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainManifest {
    pub format: u32,
    pub chain: Chain,
    pub model: ChainModel,
    /// The size of the segments that files are checksummed by (docs/schema.md). Manifests
    /// written before segments existed have none and list no segment checksums.
    #[serde(default = "default_segment_bytes")]
    pub segment_bytes: u64,
    /// Append-only files: committed length and checksums.
    pub files: BTreeMap<String, FileState>,
    /// Derived index files (rewritten whole) and the number of records they cover.
    pub indexes: BTreeMap<String, FileState>,
    pub indexed_records: u64,
    /// Resume positions of importers, keyed by importer and source (opaque to the store).
    pub cursors: BTreeMap<String, serde_json::Value>,
    /// Transactions skipped because their hash was already stored (re-imports, duplicates).
    pub duplicate_txs_skipped: u64,
    /// The last commits, oldest first, that the chain can be rolled back to (the reorg window;
    /// see [`crate::Checkpoint`]). Manifests written before rollbacks existed have none.
    #[serde(default, skip_serializing_if = "VecDeque::is_empty")]
    pub checkpoints: VecDeque<Checkpoint>,
}

impl ChainManifest {
    pub fn new(chain: Chain) -> ChainManifest {
        ChainManifest {
            format: FORMAT,
            chain,
            model: chain.model(),
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            files: BTreeMap::new(),
            indexes: BTreeMap::new(),
            indexed_records: 0,
            cursors: BTreeMap::new(),
            duplicate_txs_skipped: 0,
            checkpoints: VecDeque::new(),
        }
    }

    pub fn file(&self, name: &str) -> FileState {
        self.files.get(name).cloned().unwrap_or_default()
    }

    pub fn index(&self, name: &str) -> FileState {
        self.indexes.get(name).cloned().unwrap_or_default()
    }

    /// Records of the chain's value-flow tables: transfers, or inputs + outputs.
    pub fn records(&self) -> u64 {
        match self.model {
            ChainModel::Account => self.file(crate::schema::col::TRANSFER_FROM).bytes / 4,
            ChainModel::Utxo => {
                self.file(crate::schema::col::INPUT_SPENT).bytes / 8
                    + self.file(crate::schema::col::OUTPUT_VALUE).bytes / 8
            }
        }
    }
}

fn default_segment_bytes() -> u64 {
    LEGACY_SEGMENT_BYTES
}

pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, StoreError> {
    let bytes = std::fs::read(path).map_err(|e| io_err(path, "read", e))?;
    serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
        file: path.to_path_buf(),
        reason: format!("not a valid manifest: {e}"),
    })
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| StoreError::Corrupt {
        file: path.to_path_buf(),
        reason: format!("cannot serialize manifest: {e}"),
    })?;
    write_atomic(path, &bytes)
}
