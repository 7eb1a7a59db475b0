//! Atomic writes: a file or a folder appears whole or not at all.

use std::path::{Path, PathBuf};

use crate::ReportError;

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ReportError {
    let path = path.to_path_buf();
    move |source| ReportError::Io {
        action,
        path,
        source,
    }
}

/// A sibling of `path` that the final rename replaces it from.
fn staging(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().to_string());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Write `bytes` to `path` through a temporary sibling and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tmp = staging(path);
    std::fs::write(&tmp, bytes).map_err(io("write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("write", path))
}

/// Build the folder `dir` with `fill` in a temporary sibling, then put it in place: readers see
/// the old folder or the new one, never a half-written one. A folder already at `dir` is
/// replaced.
pub fn write_dir_atomic(
    dir: &Path,
    fill: impl FnOnce(&Path) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let tmp = staging(dir);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io("clear", &tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(io("create", &tmp))?;
    if let Err(e) = fill(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() {
        let old = dir.with_file_name(format!(
            ".{}.old-{}",
            dir.file_name()
                .map_or_else(|| "out".into(), |n| n.to_string_lossy().to_string()),
            std::process::id()
        ));
        std::fs::rename(dir, &old).map_err(io("move aside", dir))?;
        std::fs::rename(&tmp, dir).map_err(io("write", dir))?;
        std::fs::remove_dir_all(&old).map_err(io("remove", &old))
    } else {
        std::fs::rename(&tmp, dir).map_err(io("write", dir))
    }
}
