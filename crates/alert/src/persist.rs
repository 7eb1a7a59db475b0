//! The alert files are replaced whole and atomically (the store's write-temp, fsync, rename), so
//! a crash leaves either the old or the new file, never half of one.

use std::path::Path;

use serde::Serialize;

use crate::AlertError;

/// Write `value` as pretty JSON to `path`, atomically, creating the folder when needed.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), AlertError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| AlertError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("cannot encode: {e}"),
    })?;
    write_bytes(path, &bytes)
}

/// Write `bytes` to `path`, atomically, creating the folder when needed.
fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), AlertError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| AlertError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    chaintrail_store::write_atomic(path, bytes)?;
    Ok(())
}
