//! Importers of chaintrail: they read outside formats and append value-flow records to the store.
//!
//! This crate owns
//! - the import plug-in point ([`ImportFormat`], [`import`]): every format reports progress,
//!   checkpoints through [`chaintrail_store::ChainWriter::commit`] with a resume cursor, and
//!   resumes from that cursor when run again, so a killed import loses and duplicates nothing;
//! - the native `flow-jsonl` format: a header line naming the chain, then one
//!   [`chaintrail_core::AccountTx`] or [`chaintrail_core::UtxoTx`] per line (see docs/schema.md);
//! - [`synthetic`]: a seeded load generator for benchmarks and tests (not a world model — the
//!   scenario simulator is `chaintrail-sim`).
//!
//! Formats added by the ingestion issues (ethereum-etl, cryo, bitcoin-etl, node RPC, blk files)
//! plug in here next to `flow-jsonl`.

mod jsonl;
pub mod synthetic;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chaintrail_core::Chain;
use chaintrail_store::{Progress, Store, StoreError};

pub use jsonl::{FlowHeader, FlowRecord, write_flow_jsonl};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("unknown import format `{0}`: available formats are {formats}", formats = ImportFormat::NAMES.join(", "))]
    UnknownFormat(String),
}

/// The formats `chaintrail import` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// chaintrail's own value-flow JSON lines.
    FlowJsonl,
}

impl ImportFormat {
    pub const NAMES: &'static [&'static str] = &["flow-jsonl"];
}

impl FromStr for ImportFormat {
    type Err = ImportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "flow-jsonl" | "jsonl" => Ok(ImportFormat::FlowJsonl),
            other => Err(ImportError::UnknownFormat(other.to_string())),
        }
    }
}

impl fmt::Display for ImportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportFormat::FlowJsonl => f.write_str("flow-jsonl"),
        }
    }
}

/// How an import runs.
pub struct ImportOptions<'a> {
    /// Commit (fsync + manifest) after this many transactions.
    pub checkpoint_every: u64,
    /// Called after each checkpoint with the source bytes consumed and the source size.
    pub on_progress: &'a dyn Fn(u64, u64),
}

impl Default for ImportOptions<'_> {
    fn default() -> Self {
        ImportOptions {
            checkpoint_every: 10_000,
            on_progress: &|_, _| {},
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    pub chain: Chain,
    pub format: String,
    pub source: PathBuf,
    /// Transactions read from the source in this run (after the resume point).
    pub txs_read: u64,
    /// Whether this run resumed an interrupted import of the same source.
    pub resumed: bool,
    /// Store totals after the import.
    pub totals: Progress,
}

/// Import `path` in `format` into the store.
pub fn import(
    store: &Store,
    format: ImportFormat,
    path: &Path,
    options: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    match format {
        ImportFormat::FlowJsonl => jsonl::import(store, path, options),
    }
}
