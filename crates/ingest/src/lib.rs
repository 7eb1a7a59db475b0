//! Importers of chaintrail: they read outside formats and append value-flow records to the store.
//!
//! This crate owns
//! - the import plug-in point ([`Importer`]): every format reports progress,
//!   checkpoints through [`chaintrail_store::ChainWriter::commit`] with a resume cursor, and
//!   resumes from that cursor when run again, so a killed import loses and duplicates nothing;
//! - the native `flow-jsonl` format: a header line naming the chain, then one
//!   [`chaintrail_core::AccountTx`] or [`chaintrail_core::UtxoTx`] per line (see docs/schema.md);
//! - [`LineReader`]: lines of outside files read with a bound ([`MAX_LINE`]), for every line-based
//!   format;
//! - [`ordered`]: reading an export of any size block by block with bounded memory (runs of
//!   block-ordered rows, merged across tables and files), which the file importers build on, with
//!   [`text`]'s positioned JSON-lines and CSV readers;
//! - [`synthetic`]: a seeded load generator for benchmarks and tests (not a world model — the
//!   scenario simulator is `chaintrail-sim`).
//!
//! Formats added by the ingestion issues (ethereum-etl, cryo, bitcoin-etl, node RPC, blk files)
//! plug in here next to `flow-jsonl`.

#![warn(missing_docs)]

mod jsonl;
mod lines;
pub mod ordered;
pub mod synthetic;
pub mod text;

use std::path::{Path, PathBuf};

use chaintrail_core::Chain;
use chaintrail_store::{Progress, Store, StoreError};

pub use jsonl::{FlowHeader, FlowRecord, write_flow_jsonl};
pub use lines::{Line, LineReader, MAX_LINE};

/// Why an import failed; each variant names the file (and line) or says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A source file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// A row of a source file does not parse.
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// What was wrong, naming the field.
        message: String,
    },
    /// No format of that name.
    #[error("unknown import format `{name}`: available formats are {known}")]
    UnknownFormat {
        /// The name asked for.
        name: String,
        /// The formats there are.
        known: String,
    },
    /// A format-specific failure, already phrased for the user (what, where, what to do).
    #[error("{0}")]
    Source(String),
}

/// An import format: the plug-in point. Each format lives in its own module or crate, reads its
/// source, appends through a [`chaintrail_store::ChainWriter`], commits checkpoints with a resume
/// cursor, and resumes from that cursor when run again.
pub trait Importer: Sync {
    /// The name users pass to `chaintrail import --format`.
    fn name(&self) -> &'static str;
    /// One line for `--help` and error messages.
    fn describe(&self) -> &'static str;
    /// Import the source at `path` into `store`, resuming from the cursor a previous run left.
    fn import(
        &self,
        store: &Store,
        path: &Path,
        options: &ImportOptions<'_>,
    ) -> Result<ImportReport, ImportError>;
}

/// chaintrail's own value-flow JSON lines.
pub struct FlowJsonl;

impl Importer for FlowJsonl {
    fn name(&self) -> &'static str {
        "flow-jsonl"
    }

    fn describe(&self) -> &'static str {
        "chaintrail value-flow JSON lines (a header naming the chain, then one transaction per line)"
    }

    fn import(
        &self,
        store: &Store,
        path: &Path,
        options: &ImportOptions<'_>,
    ) -> Result<ImportReport, ImportError> {
        jsonl::import(store, path, options)
    }
}

/// Find the importer called `name` among `importers`.
pub fn find_importer<'a>(
    importers: &[&'a dyn Importer],
    name: &str,
) -> Result<&'a dyn Importer, ImportError> {
    importers
        .iter()
        .find(|i| i.name() == name)
        .copied()
        .ok_or_else(|| ImportError::UnknownFormat {
            name: name.to_string(),
            known: importers
                .iter()
                .map(|i| i.name())
                .collect::<Vec<_>>()
                .join(", "),
        })
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
    /// The chain the source was imported into.
    pub chain: Chain,
    /// The format, with what it could derive.
    pub format: String,
    /// The source imported.
    pub source: PathBuf,
    /// Transactions read from the source in this run (after the resume point).
    pub txs_read: u64,
    /// Whether this run resumed an interrupted import of the same source.
    pub resumed: bool,
    /// Store totals after the import.
    pub totals: Progress,
}
