//! Manifests: the only source of truth for what is committed. A manifest is replaced atomically
//! (temp file + rename), so a reader sees either the state before a checkpoint or after it.

use std::collections::BTreeMap;
use std::path::Path;

use chaintrail_core::{Chain, ChainModel};
use serde::{Deserialize, Serialize};

use crate::error::{StoreError, io_err};
use crate::files::{FileState, write_atomic};

pub const FORMAT: u32 = 1;
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
    /// Append-only files: committed length and checksum.
    pub files: BTreeMap<String, FileState>,
    /// Derived index files (rewritten whole) and the number of records they cover.
    pub indexes: BTreeMap<String, FileState>,
    pub indexed_records: u64,
    /// Resume positions of importers, keyed by importer and source (opaque to the store).
    pub cursors: BTreeMap<String, serde_json::Value>,
    /// Transactions skipped because their hash was already stored (re-imports, duplicates).
    pub duplicate_txs_skipped: u64,
}

impl ChainManifest {
    pub fn new(chain: Chain) -> ChainManifest {
        ChainManifest {
            format: FORMAT,
            chain,
            model: chain.model(),
            files: BTreeMap::new(),
            indexes: BTreeMap::new(),
            indexed_records: 0,
            cursors: BTreeMap::new(),
            duplicate_txs_skipped: 0,
        }
    }

    pub fn file(&self, name: &str) -> FileState {
        self.files.get(name).copied().unwrap_or_default()
    }

    pub fn index(&self, name: &str) -> FileState {
        self.indexes.get(name).copied().unwrap_or_default()
    }
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
    write_atomic(path, &bytes).map(|_| ())
}
