use std::path::{Path, PathBuf};

use chaintrail_core::Chain;

/// Everything that can go wrong in the store. Each message says what happened and, where the
/// user can do something about it, what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error(
        "store file {} is damaged: {reason}. Do not use this store: restore it from a backup or \
         re-import into a fresh --data-dir",
        file.display()
    )]
    Corrupt { file: PathBuf, reason: String },
    #[error("no chaintrail store at {}: run `chaintrail init` (or `chaintrail demo`) first, or pass --data-dir", .0.display())]
    NotInitialized(PathBuf),
    #[error("{} holds a store of format {found}; this chaintrail reads format {expected}", dir.display())]
    Format {
        dir: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("another chaintrail process is writing to {}: wait for it to finish", .0.display())]
    Locked(PathBuf),
    #[error("the store has no data for chain {chain}; chains present: {present}")]
    NoSuchChain { chain: Chain, present: String },
    #[error("{0}")]
    Input(String),
    #[error(
        "the indexes of {chain} are older than its data (an import was interrupted): run the same \
         `chaintrail import` again to resume and finish it"
    )]
    StaleIndex { chain: Chain },
    #[error("{what} exceeds this store format's limit of {limit}")]
    Full { what: &'static str, limit: u64 },
}

pub(crate) fn io_err(path: &Path, action: &'static str, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}
