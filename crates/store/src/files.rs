//! File primitives: checksummed append-only files, memory-mapped read views verified segment by
//! segment, atomic rewrites.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use serde::{Deserialize, Serialize};

use crate::error::{StoreError, io_err};
use crate::segments::{SegmentChecks, SegmentHasher};

/// What the manifest knows about one file: its committed length, the CRC-32 of those bytes, and
/// the CRC-32 of each segment when the file spans more than one (see [`crate::SegmentChecks`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    /// Committed length in bytes; anything past it was left by a killed writer.
    pub bytes: u64,
    /// CRC-32 of the committed bytes.
    pub crc32: u32,
    /// CRC-32 of each segment of the chain's `segment_bytes`, in order, when the file spans more
    /// than one; empty for a one-segment file and in stores written before segment checksums.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<u32>,
}

/// An append-only file whose committed prefix is described by a [`FileState`]. Bytes past the
/// committed length (left by a killed writer) are cut off when the file is opened for appending.
pub struct AppendFile {
    path: PathBuf,
    out: BufWriter<File>,
    hasher: SegmentHasher,
}

impl AppendFile {
    pub fn open(
        path: &Path,
        committed: &FileState,
        segment_bytes: u64,
    ) -> Result<AppendFile, StoreError> {
        let mut file = OpenOptions::new()
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
        let hasher = match SegmentHasher::resume(committed, segment_bytes) {
            Some(hasher) => hasher,
            None => rehash(path, &mut file, committed, segment_bytes)?,
        };
        use std::io::Seek;
        file.seek(std::io::SeekFrom::End(0))
            .map_err(|e| io_err(path, "seek", e))?;
        Ok(AppendFile {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, file),
            hasher,
        })
    }

    pub fn append(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.out
            .write_all(bytes)
            .map_err(|e| io_err(&self.path, "write", e))?;
        self.hasher.update(bytes);
        Ok(())
    }

    /// Bytes written so far, committed or not.
    pub fn len(&self) -> u64 {
        self.hasher.bytes()
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
        Ok(self.hasher.state())
    }
}

/// Hash the committed bytes of a file whose manifest entry has no segment checksums (written
/// before segments existed), checking them against its whole-file CRC on the way.
fn rehash(
    path: &Path,
    file: &mut File,
    committed: &FileState,
    segment_bytes: u64,
) -> Result<SegmentHasher, StoreError> {
    use std::io::Seek;
    file.seek(std::io::SeekFrom::Start(0))
        .map_err(|e| io_err(path, "seek", e))?;
    let mut hasher = SegmentHasher::new(segment_bytes);
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file.take(committed.bytes));
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = reader
            .read(&mut buffer)
            .map_err(|e| io_err(path, "read", e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    let state = hasher.state();
    if state.bytes != committed.bytes || state.crc32 != committed.crc32 {
        return Err(StoreError::Corrupt {
            file: path.to_path_buf(),
            reason: format!(
                "checksum mismatch: crc32 {:08x} of {} bytes on disk, {:08x} of {} committed",
                state.crc32, state.bytes, committed.crc32, committed.bytes
            ),
        });
    }
    Ok(hasher)
}

/// A read-only view of a file's committed prefix. Nothing is verified when it is mapped: each
/// segment is verified against its checksum the first time a read goes through
/// [`MappedFile::verify`] (or all at once with [`MappedFile::verify_all`]).
pub struct MappedFile {
    path: PathBuf,
    map: Option<Mmap>,
    len: usize,
    checks: SegmentChecks,
}

impl MappedFile {
    /// Map the committed prefix of `path`, checking that the file exists and is long enough.
    pub fn open(
        path: &Path,
        committed: &FileState,
        segment_bytes: u64,
    ) -> Result<MappedFile, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            file: path.to_path_buf(),
            reason,
        };
        let checks =
            SegmentChecks::new(committed, segment_bytes).map_err(|e| corrupt(e.to_string()))?;
        if committed.bytes == 0 {
            return Ok(MappedFile {
                path: path.to_path_buf(),
                map: None,
                len: 0,
                checks,
            });
        }
        let file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                corrupt("file is missing but the manifest lists it".to_string())
            }
            _ => io_err(path, "open", e),
        })?;
        let actual = file
            .metadata()
            .map_err(|e| io_err(path, "read metadata of", e))?
            .len();
        if actual < committed.bytes {
            return Err(corrupt(format!(
                "file is truncated: {actual} bytes on disk, {} committed",
                committed.bytes
            )));
        }
        let len = usize::try_from(committed.bytes)
            .map_err(|_| corrupt("file larger than the address space".to_string()))?;
        // SAFETY: the store's files are only ever appended to or replaced by rename, so the
        // mapped committed prefix does not change under us while a reader holds it.
        let map = unsafe { memmap2::MmapOptions::new().len(len).map(&file) }
            .map_err(|e| io_err(path, "memory-map", e))?;
        Ok(MappedFile {
            path: path.to_path_buf(),
            map: Some(map),
            len,
            checks,
        })
    }

    /// [`MappedFile::open`], then verify every segment: for readers of the whole file.
    pub fn open_verified(
        path: &Path,
        committed: &FileState,
        segment_bytes: u64,
    ) -> Result<MappedFile, StoreError> {
        let file = MappedFile::open(path, committed, segment_bytes)?;
        file.verify_all()?;
        Ok(file)
    }

    pub fn segments(&self) -> usize {
        self.checks.segments()
    }

    /// Verify the segments holding bytes `range` that were not verified yet.
    pub fn verify(&self, range: Range<usize>) -> Result<(), StoreError> {
        self.checks
            .verify(self.bytes(), range)
            .map_err(|damage| StoreError::Corrupt {
                file: self.path.clone(),
                reason: damage.to_string(),
            })
    }

    /// Verify segment `segment` (for `verify-store`, which reports every damaged segment).
    pub fn verify_segment(&self, segment: usize) -> Result<(), crate::SegmentDamage> {
        self.checks.verify_segment(self.bytes(), segment)
    }

    pub fn verify_all(&self) -> Result<(), StoreError> {
        self.verify(0..self.len)
    }

    /// The committed bytes, verified or not: callers verify what they read.
    pub fn bytes(&self) -> &[u8] {
        match &self.map {
            Some(map) => &map[..self.len],
            None => &[],
        }
    }

    /// The committed bytes as a slice of fixed-width little-endian values (verified or not).
    pub fn as_slice<T: bytemuck::Pod>(&self) -> &[T] {
        let bytes = self.bytes();
        let whole = bytes.len() - bytes.len() % size_of::<T>();
        // Maps are page-aligned and every column holds one element type, so the cast succeeds;
        // an empty file has no map and yields an empty slice.
        bytemuck::try_cast_slice(&bytes[..whole]).unwrap_or(&[])
    }

    /// Elements `range` (clamped to the file), their segments verified.
    pub fn checked<T: bytemuck::Pod>(&self, range: Range<usize>) -> Result<&[T], StoreError> {
        let all = self.as_slice::<T>();
        let end = range.end.min(all.len());
        let start = range.start.min(end);
        let width = size_of::<T>();
        self.verify(start * width..end * width)?;
        Ok(&all[start..end])
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
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = tmp_path(path);
    {
        let mut file = File::create(&tmp).map_err(|e| io_err(&tmp, "create", e))?;
        file.write_all(bytes)
            .map_err(|e| io_err(&tmp, "write", e))?;
        file.sync_all().map_err(|e| io_err(&tmp, "fsync", e))?;
    }
    fs::rename(&tmp, path).map_err(|e| io_err(path, "rename into place", e))?;
    sync_dir(path);
    Ok(())
}

/// The temporary name of a file being replaced: its name with `.tmp` appended, so that files
/// built at the same time (`index.in.offsets`, `index.in.adj`) do not share one.
fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Make a rename in `path`'s directory durable; not all filesystems support it.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(handle) = File::open(dir)
    {
        let _ = handle.sync_all();
    }
}

/// A file written whole through a writable map of its final size (a derived index), so that its
/// content is page cache rather than heap, then put in place atomically by [`BuildFile::finish`].
pub struct BuildFile {
    path: PathBuf,
    tmp: PathBuf,
    file: File,
    map: Option<memmap2::MmapMut>,
}

impl BuildFile {
    /// A zero-filled temporary file of `len` bytes next to `path`.
    pub fn create(path: &Path, len: u64) -> Result<BuildFile, StoreError> {
        let tmp = tmp_path(path);
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| io_err(&tmp, "create", e))?;
        file.set_len(len).map_err(|e| io_err(&tmp, "size", e))?;
        let map = if len == 0 {
            None
        } else {
            // SAFETY: the temporary file is this process's own until it is renamed.
            Some(
                unsafe { memmap2::MmapMut::map_mut(&file) }
                    .map_err(|e| io_err(&tmp, "memory-map", e))?,
            )
        };
        Ok(BuildFile {
            path: path.to_path_buf(),
            tmp,
            file,
            map,
        })
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        match &mut self.map {
            Some(map) => &mut map[..],
            None => &mut [],
        }
    }

    /// The content as fixed-width values (the length is a multiple of the width by construction).
    pub fn as_mut_slice<T: bytemuck::Pod>(&mut self) -> &mut [T] {
        bytemuck::try_cast_slice_mut(self.bytes_mut()).unwrap_or(&mut [])
    }

    /// Checksum, flush, fsync and rename into place; returns the state for the manifest.
    pub fn finish(self, segment_bytes: u64) -> Result<FileState, StoreError> {
        let state = match &self.map {
            Some(map) => {
                let state = crate::segments::state_of(&map[..], segment_bytes);
                map.flush().map_err(|e| io_err(&self.tmp, "flush", e))?;
                state
            }
            None => crate::segments::state_of(&[], segment_bytes),
        };
        self.file
            .sync_all()
            .map_err(|e| io_err(&self.tmp, "fsync", e))?;
        drop(self.map);
        fs::rename(&self.tmp, &self.path)
            .map_err(|e| io_err(&self.path, "rename into place", e))?;
        sync_dir(&self.path);
        Ok(state)
    }
}

#[cfg(target_endian = "big")]
compile_error!("chaintrail's store files are little-endian; big-endian targets are not supported");
