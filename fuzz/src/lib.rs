//! What the fuzz targets share: a scratch directory of this process for the readers that take a
//! path, fresh store directories, and the selector byte that picks a variant of a parser.
//!
//! The scratch directory lives under `$TMPDIR` (scripts/fuzz points it at /dev/shm, so that a
//! file written per input costs microseconds) and is named after the process, so that parallel
//! fuzzers never share files.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chaintrail_store::Store;

/// This process's scratch directory (created on first use).
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("chaintrail-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the fuzz scratch directory");
        dir
    })
}

/// An empty directory `name` in the scratch directory (emptied if it existed).
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = scratch().join(name);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("cannot empty {}: {e}", dir.display()),
    }
    std::fs::create_dir_all(&dir).expect("create a fuzz directory");
    dir
}

/// Write `bytes` to `dir/name` and return the path.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write a fuzz input file");
    path
}

/// A new, empty store in the scratch directory.
pub fn fresh_store() -> Store {
    Store::init(&fresh_dir("store")).expect("init a fuzz store")
}

/// The first byte picks one of `choices`; the rest is the input.
pub fn select<'a, T: Copy>(data: &'a [u8], choices: &[T]) -> Option<(T, &'a [u8])> {
    let (&first, rest) = data.split_first()?;
    Some((choices[usize::from(first) % choices.len()], rest))
}

/// Every ethereum-etl table, for the selector byte.
pub const ETL_TABLES: [chaintrail_evm::EtlTable; 7] = {
    use chaintrail_evm::EtlTable;
    [
        EtlTable::Blocks,
        EtlTable::Transactions,
        EtlTable::Receipts,
        EtlTable::Logs,
        EtlTable::TokenTransfers,
        EtlTable::Traces,
        EtlTable::Tokens,
    ]
};
