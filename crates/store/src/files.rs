//! File primitives: checksummed append-only files, memory-mapped read views, atomic rewrites.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use serde::{Deserialize, Serialize};

use crate::error::{StoreError, io_err};

/// What the manifest knows about one file: its committed length and the CRC-32C of those bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub bytes: u64,
    pub crc32: u32,
}

/// An append-only file whose committed prefix is described by a [`FileState`]. Bytes past the
/// committed length (left by a killed writer) are cut off when the file is opened for appending.
pub struct AppendFile {
    path: PathBuf,
    out: BufWriter<File>,
    state: FileState,
    hasher: crc32fast::Hasher,
}

impl AppendFile {
    pub fn open(path: &Path, committed: FileState) -> Result<AppendFile, StoreError> {
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(path)
            .map_err(|e| io_err(path, "open for appending", e))?;
        let actual = file
            .metadata()
            .map_err(|e| io_err(path, "read metadata of", e))?
            .len();
        if actual < committed.bytes {
            return Err(StoreError::Corrupt {
                file: path.to_path_buf(),
                reason: format!(
                    "file has {actual} bytes but the manifest committed {}",
                    committed.bytes
                ),
            });
        }
        if actual > committed.bytes {
            tracing::info!(
                file = %path.display(),
                dropped = actual - committed.bytes,
                "dropping uncommitted bytes left by an interrupted write"
            );
            file.set_len(committed.bytes)
                .map_err(|e| io_err(path, "truncate", e))?;
        }
        let mut file = file;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::End(0))
            .map_err(|e| io_err(path, "seek", e))?;
        Ok(AppendFile {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, file),
            state: committed,
            hasher: crc32fast::Hasher::new_with_initial_len(committed.crc32, committed.bytes),
        })
    }

    pub fn append(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.out
            .write_all(bytes)
            .map_err(|e| io_err(&self.path, "write", e))?;
        self.hasher.update(bytes);
        self.state.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Bytes written so far, committed or not.
    pub fn len(&self) -> u64 {
        self.state.bytes
    }

    /// Hand the buffered bytes to the OS (no fsync, nothing committed), so that a map of the
    /// file sees them.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        self.out.flush().map_err(|e| io_err(&self.path, "flush", e))
    }

    /// Flush and fsync; returns the state to record in the manifest.
    pub fn sync(&mut self) -> Result<FileState, StoreError> {
        self.out
            .flush()
            .map_err(|e| io_err(&self.path, "flush", e))?;
        self.out
            .get_ref()
            .sync_data()
            .map_err(|e| io_err(&self.path, "fsync", e))?;
        self.state.crc32 = self.hasher.clone().finalize();
        Ok(self.state)
    }
}

/// A read-only view of a file's committed prefix, verified against its checksum when mapped.
pub struct MappedFile {
    map: Option<Mmap>,
    len: usize,
}

impl MappedFile {
    pub fn open(path: &Path, committed: FileState) -> Result<MappedFile, StoreError> {
        if committed.bytes == 0 {
            return Ok(MappedFile { map: None, len: 0 });
        }
        let file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::Corrupt {
                file: path.to_path_buf(),
                reason: "file is missing but the manifest lists it".to_string(),
            },
            _ => io_err(path, "open", e),
        })?;
        let actual = file
            .metadata()
            .map_err(|e| io_err(path, "read metadata of", e))?
            .len();
        if actual < committed.bytes {
            return Err(StoreError::Corrupt {
                file: path.to_path_buf(),
                reason: format!(
                    "file is truncated: {actual} bytes on disk, {} committed",
                    committed.bytes
                ),
            });
        }
        // SAFETY: the store's files are only ever appended to or replaced by rename, so the
        // mapped committed prefix does not change under us while a reader holds it.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| io_err(path, "memory-map", e))?;
        let len = usize::try_from(committed.bytes).map_err(|_| StoreError::Corrupt {
            file: path.to_path_buf(),
            reason: "file larger than the address space".to_string(),
        })?;
        let crc = crc32fast::hash(&map[..len]);
        if crc != committed.crc32 {
            return Err(StoreError::Corrupt {
                file: path.to_path_buf(),
                reason: format!(
                    "checksum mismatch: crc32 {crc:08x} on disk, {:08x} committed",
                    committed.crc32
                ),
            });
        }
        Ok(MappedFile {
            map: Some(map),
            len,
        })
    }

    pub fn bytes(&self) -> &[u8] {
        match &self.map {
            Some(map) => &map[..self.len],
            None => &[],
        }
    }

    /// The committed bytes as a slice of fixed-width little-endian values.
    pub fn as_slice<T: bytemuck::Pod>(&self) -> &[T] {
        let bytes = self.bytes();
        let whole = bytes.len() - bytes.len() % size_of::<T>();
        // Maps are page-aligned and every column holds one element type, so the cast succeeds;
        // an empty file has no map and yields an empty slice.
        bytemuck::try_cast_slice(&bytes[..whole]).unwrap_or(&[])
    }
}

/// A fixed-width column that its writer reads back while appending: the prefix already handed
/// to the OS through a memory map, the rest from memory. [`ColumnView::remap`] moves the
/// in-memory tail into the map after the writer flushed the file, which keeps the tail short.
pub struct ColumnView<T> {
    path: PathBuf,
    map: Option<Mmap>,
    mapped: usize,
    tail: Vec<T>,
}

impl<T: bytemuck::Pod> ColumnView<T> {
    /// A view of the first `elements` values of the file at `path`. The bytes are the writer's
    /// own and were verified (or written) by it, so they are not checksummed again.
    pub fn open(path: &Path, elements: usize) -> Result<ColumnView<T>, StoreError> {
        let mut view = ColumnView {
            path: path.to_path_buf(),
            map: None,
            mapped: 0,
            tail: Vec::new(),
        };
        view.map = view.map_prefix(elements)?;
        view.mapped = elements;
        Ok(view)
    }

    /// A map of the first `elements` values; nothing changes if this fails.
    fn map_prefix(&self, elements: usize) -> Result<Option<Mmap>, StoreError> {
        let bytes = elements * size_of::<T>();
        if bytes == 0 {
            return Ok(None);
        }
        let path = &self.path;
        let file = File::open(path).map_err(|e| io_err(path, "open", e))?;
        let actual = file
            .metadata()
            .map_err(|e| io_err(path, "read metadata of", e))?
            .len();
        if actual < bytes as u64 {
            return Err(StoreError::Corrupt {
                file: path.clone(),
                reason: format!("file has {actual} bytes, {bytes} expected"),
            });
        }
        // SAFETY: the writer holds the chain's lock and only appends to this file, so the
        // mapped prefix does not change while mapped.
        let map = unsafe { memmap2::MmapOptions::new().len(bytes).map(&file) }
            .map_err(|e| io_err(path, "memory-map", e))?;
        Ok(Some(map))
    }

    fn mapped_slice(&self) -> &[T] {
        match &self.map {
            Some(map) => bytemuck::try_cast_slice(&map[..]).unwrap_or(&[]),
            None => &[],
        }
    }

    pub fn get(&self, index: usize) -> Option<T> {
        if index < self.mapped {
            self.mapped_slice().get(index).copied()
        } else {
            self.tail.get(index - self.mapped).copied()
        }
    }

    pub fn push(&mut self, value: T) {
        self.tail.push(value);
    }

    pub fn len(&self) -> usize {
        self.mapped + self.tail.len()
    }

    pub fn tail_len(&self) -> usize {
        self.tail.len()
    }

    /// Heap bytes of the in-memory tail.
    pub fn heap_bytes(&self) -> usize {
        self.tail.capacity() * size_of::<T>()
    }

    /// Map everything: call after the writer flushed the file up to [`ColumnView::len`].
    pub fn remap(&mut self) -> Result<(), StoreError> {
        let elements = self.len();
        self.map = self.map_prefix(elements)?;
        self.mapped = elements;
        self.tail.clear();
        if self.tail.capacity() > 1 << 17 {
            self.tail.shrink_to(1 << 17);
        }
        Ok(())
    }
}

/// Replace `path` with `bytes` atomically: write a temp file, fsync, rename, fsync the directory.
/// Returns the state to record in the manifest.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<FileState, StoreError> {
    let tmp = path.with_extension("tmp");
    {
        let mut file = File::create(&tmp).map_err(|e| io_err(&tmp, "create", e))?;
        file.write_all(bytes)
            .map_err(|e| io_err(&tmp, "write", e))?;
        file.sync_all().map_err(|e| io_err(&tmp, "fsync", e))?;
    }
    fs::rename(&tmp, path).map_err(|e| io_err(path, "rename into place", e))?;
    if let Some(dir) = path.parent()
        && let Ok(handle) = File::open(dir)
    {
        // Directory fsync makes the rename durable; not all filesystems support it.
        let _ = handle.sync_all();
    }
    Ok(FileState {
        bytes: bytes.len() as u64,
        crc32: crc32fast::hash(bytes),
    })
}

#[cfg(target_endian = "big")]
compile_error!("chaintrail's store files are little-endian; big-endian targets are not supported");
