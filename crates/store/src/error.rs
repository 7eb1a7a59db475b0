use std::path::{Path, PathBuf};

use chaintrail_core::Chain;

/// Everything that can go wrong in the store. Each message says what happened and, where the
/// user can do something about it, what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file system call failed (disk full, permissions, a file removed underneath the store).
    /// The message names the path and the action; fix the cause and rerun — a failed write
    /// leaves the last committed state in place.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// The file or directory the call was made on.
        path: PathBuf,
        /// What was being done, as a verb for the message: "open", "create", "read", "rename", ….
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A store file does not match its manifest (checksum, length) or breaks an invariant readers
    /// rely on. Also what [`ChainReader::ensure_intact`](crate::ChainReader::ensure_intact)
    /// returns after a read met a damaged segment. The store must not be used: restore it or
    /// re-import.
    #[error(
        "store file {} is damaged: {reason}. Do not use this store: restore it from a backup or \
         re-import into a fresh --data-dir",
        file.display()
    )]
    Corrupt {
        /// The damaged file (a column, an index or a manifest).
        file: PathBuf,
        /// What is wrong: a checksum mismatch with its segment and byte range, a bad length, an
        /// unparsable line, a broken invariant.
        reason: String,
    },
    /// [`Store::open`](crate::Store::open) found no root manifest in the directory (the path
    /// it holds): the store was never initialised or `--data-dir` points elsewhere.
    #[error("no chaintrail store at {}: run `chaintrail init` (or `chaintrail demo`) first, or pass --data-dir", .0.display())]
    NotInitialized(PathBuf),
    /// The root manifest records a format version this build does not read: the store was
    /// written by another chaintrail version.
    #[error("{} holds a store of format {found}; this chaintrail reads format {expected}: {}", dir.display(), format_advice(*.found, *.expected))]
    Format {
        /// The store directory.
        dir: PathBuf,
        /// The format version the store's root manifest records.
        found: u32,
        /// The format version this build reads and writes.
        expected: u32,
    },
    /// Another process holds the `LOCK` of the chain directory (the path it holds): only one
    /// writer per chain at a time. Wait for it, then retry.
    #[error("another chaintrail process is writing to {}: wait for it to finish", .0.display())]
    Locked(PathBuf),
    /// A chain was opened for reading or verification that the store holds no data for.
    #[error("the store has no data for chain {chain}; chains present: {present}")]
    NoSuchChain {
        /// The chain asked for.
        chain: Chain,
        /// The chains the store does hold, comma-separated, or a hint to import when none.
        present: String,
    },
    /// The caller handed the writer something it cannot store (records of the other chain model,
    /// an asset of another chain, blocks out of order, an input spending an output its
    /// transaction does not have, …). The message says what and how to fix it.
    #[error("{0}")]
    Input(String),
    /// The chain's indexes cover fewer records than its columns: an import was interrupted after
    /// a commit but before its indexes were rebuilt. Readers refuse the chain until the import is
    /// rerun (it resumes from its cursor).
    #[error(
        "the indexes of {chain} are older than its data (an import was interrupted): run the same \
         `chaintrail import` again to resume and finish it"
    )]
    StaleIndex {
        /// The chain whose indexes are behind.
        chain: Chain,
    },
    /// A count outgrew a width of the on-disk format (address ids, asset ids, transaction ids,
    /// records per block; docs/schema.md, *Room for mainnet*). This store format cannot take the
    /// data.
    #[error("{what} exceeds this store format's limit of {limit}")]
    Full {
        /// What overflowed, for the message ("the number of addresses", …).
        what: &'static str,
        /// The format's limit for it (a largest count or value, as the message states it).
        limit: u64,
    },
}

impl StoreError {
    /// A hint for errors the user can fix, shown under the error line (by the CLI and as the
    /// Python exception's `hint`).
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            StoreError::NotInitialized(_) => {
                Some("`chaintrail demo` builds a demonstration store in one step")
            }
            StoreError::Locked(_) => Some("only one import per chain can run at a time"),
            _ => None,
        }
    }
}

pub(crate) fn io_err(path: &Path, action: &'static str, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// What to do with a store of format `found` when this build reads `expected`.
fn format_advice(found: u32, expected: u32) -> &'static str {
    if found < expected {
        "it was written by an older chaintrail (format 2 added per-transaction wallet \
         fingerprints); rebuild it by importing the sources again into a new --data-dir"
    } else {
        "it was written by a newer chaintrail; use that version"
    }
}
