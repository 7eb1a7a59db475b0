//! The exposure index on disk: one memory-mapped file, `<store>/screen/exposure.idx`, opened
//! without reading its entries and queried in place.
//!
//! ```text
//! magic "CTEXPIDX" | version u32 (4) | zero padding to 16
//! body: per chain, values  (the exposures of ids 0..addresses back to back, each in the
//!                           binary form of [`crate::codec`], compressed with Snappy)
//!                  offsets (u64 × (addresses + 1), relative to the chain's values; the top
//!                           bit of `offsets[id + 1]` is set when id's walk was cut by the budget)
//! metadata (JSON) | metadata length u32 | magic "CTEXPIDX"
//! ```
//!
//! The metadata comes last because only the end of a build knows it (sections, checksums), and
//! each chain's values come before its offsets so that they stream into the file as the walks
//! produce them: a build writes the index once, needing its size on disk plus 8 bytes per
//! address, where a layout with the metadata and offsets first made it copy the values twice
//! (three times the index's size at the peak: ≈ 73 GB for the 24 GB index of a 300M-record store).
//!
//! An address id's exposure is `values[offsets[id]..offsets[id + 1]]`: empty for an address
//! with none (clean), so a lookup is two reads of the offsets and one parse of a few hundred
//! bytes, whatever the size of the index. A value is the whole [`ChainExposure`]: every
//! exposure with its rating (level, rule, alert), its lapsed and listing-unknown marks and its
//! first and last day. The metadata carries what staleness is judged by (docs/exposure.md),
//! the rules fingerprint among it, and the body's checksums per segment
//! ([`chaintrail_store::SegmentChecks`]): a segment is verified the first time a lookup reads
//! from it, and [`MappedIndex::verify`] checks them all.

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chaintrail_core::Chain;
use chaintrail_store::FileState;
use chaintrail_store::{SegmentChecks, SegmentHasher};
use memmap2::Mmap;

use crate::ScreenError;
use crate::index::{INDEX_FORMAT, IndexFile};
use crate::model::ChainExposure;

const MAGIC: &[u8; 8] = b"CTEXPIDX";
/// Version 4: the metadata at the end, values before offsets (versions up to 3 had them in
/// front). A file of another version is an index of another format: stale, built again.
const VERSION: u32 = 4;
/// Magic, version and padding: the body starts 8-aligned.
const HEADER_BYTES: usize = 16;
/// Metadata length and magic, after the metadata.
const FOOTER_BYTES: usize = 12;
/// The top bit of an end offset: the value's walk was truncated.
const TRUNCATED: u64 = 1 << 63;
/// Segment size of the body's checksums.
pub(crate) const SEGMENT_BYTES: u64 = 64 << 20;

/// Where one chain's values and offsets are in the body; the values end where the offsets
/// begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChainSection {
    pub values_at: u64,
    pub offsets_at: u64,
}

impl ChainSection {
    fn values_len(&self) -> u64 {
        self.offsets_at.saturating_sub(self.values_at)
    }
}

/// Writes the index chain by chain, address by address, straight into a temporary file that
/// is renamed into place when complete.
pub(crate) struct IndexWriter {
    path: PathBuf,
    tmp: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
    hasher: SegmentHasher,
    sections: Vec<ChainSection>,
}

impl IndexWriter {
    pub(crate) fn create(path: &Path) -> Result<IndexWriter, ScreenError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        remove_abandoned(dir);
        let tmp = dir.join(format!("{TMP_PREFIX}{}", std::process::id()));
        let file = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        // Held until the file is closed: tells a later build that this one is alive.
        file.try_lock().map_err(|e| {
            io(
                &tmp,
                std::io::Error::other(format!("cannot lock the index being built: {e}")),
            )
        })?;
        let mut file = std::io::BufWriter::with_capacity(1 << 20, file);
        let mut header = [0u8; HEADER_BYTES];
        header[..8].copy_from_slice(MAGIC);
        header[8..12].copy_from_slice(&VERSION.to_le_bytes());
        file.write_all(&header).map_err(|e| io(&tmp, e))?;
        Ok(IndexWriter {
            path: path.to_path_buf(),
            tmp,
            file,
            hasher: SegmentHasher::new(SEGMENT_BYTES),
            sections: Vec::new(),
        })
    }

    /// Append `bytes` to the body.
    fn put(&mut self, bytes: &[u8]) -> Result<(), ScreenError> {
        self.file.write_all(bytes).map_err(|e| io(&self.tmp, e))?;
        self.hasher.update(bytes);
        Ok(())
    }

    /// Append one chain: `value(id)` gives the encoded exposure of each id in `0..addresses`
    /// (empty for none) and whether its walk was truncated. The values go into the body as they
    /// come; the offsets, 8 bytes per address, wait in a side file and follow them.
    pub(crate) fn chain(
        &mut self,
        addresses: u32,
        mut value: impl FnMut(u32) -> Result<(Vec<u8>, bool), ScreenError>,
    ) -> Result<(), ScreenError> {
        let side = offsets_path(&self.tmp);
        let mut offsets =
            std::io::BufWriter::new(std::fs::File::create(&side).map_err(|e| io(&side, e))?);
        let values_at = self.hasher.bytes();
        let mut end = 0u64;
        offsets
            .write_all(&end.to_le_bytes())
            .map_err(|e| io(&side, e))?;
        for id in 0..addresses {
            let (bytes, truncated) = value(id)?;
            self.put(&bytes)?;
            end += bytes.len() as u64;
            let flag = if truncated { TRUNCATED } else { 0 };
            offsets
                .write_all(&(end | flag).to_le_bytes())
                .map_err(|e| io(&side, e))?;
        }
        offsets.flush().map_err(|e| io(&side, e))?;
        drop(offsets);
        let offsets_at = self.hasher.bytes();
        let mut reader = std::fs::File::open(&side).map_err(|e| io(&side, e))?;
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = std::io::Read::read(&mut reader, &mut buffer).map_err(|e| io(&side, e))?;
            if n == 0 {
                break;
            }
            self.put(&buffer[..n])?;
        }
        std::fs::remove_file(&side).map_err(|e| io(&side, e))?;
        debug_assert_eq!(values_at + end, offsets_at);
        self.sections.push(ChainSection {
            values_at,
            offsets_at,
        });
        Ok(())
    }

    /// Write the metadata after the body, fsync and rename into place. `meta` gets the
    /// sections and the body's checksums.
    pub(crate) fn finish(mut self, meta: &mut IndexFile) -> Result<(), ScreenError> {
        meta.sections = self.sections.clone();
        meta.body = self.hasher.state();
        let meta_bytes = serde_json::to_vec(meta).map_err(|e| ScreenError::Index {
            path: self.path.clone(),
            message: format!("cannot serialise: {e}"),
        })?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let result = (|| -> std::io::Result<()> {
            let len = u32::try_from(meta_bytes.len()).map_err(std::io::Error::other)?;
            self.file.write_all(&meta_bytes)?;
            self.file.write_all(&len.to_le_bytes())?;
            self.file.write_all(MAGIC)?;
            self.file.flush()?;
            self.file.get_ref().sync_all()?;
            std::fs::rename(&self.tmp, &self.path)?;
            std::fs::File::open(dir)?.sync_all()
        })();
        result.map_err(|e| io(&self.path, e))
    }
}

impl Drop for IndexWriter {
    fn drop(&mut self) {
        // A build that failed leaves nothing behind (after `finish` the file is renamed away).
        let _ = std::fs::remove_file(&self.tmp);
        let _ = std::fs::remove_file(offsets_path(&self.tmp));
    }
}

/// The name of an index being built, before the builder's process id.
const TMP_PREFIX: &str = ".exposure.idx.tmp-";

/// Remove what builds that were killed left in `dir`: a build holds a lock on its file while it
/// runs, so a file nobody holds was abandoned (a killed build runs no `Drop`), and at 500 B per
/// address it is the size of a whole index.
fn remove_abandoned(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(TMP_PREFIX) || name.ends_with(".offsets") {
            continue;
        }
        let path = entry.path();
        let abandoned = std::fs::File::open(&path).is_ok_and(|file| file.try_lock().is_ok());
        if abandoned {
            tracing::info!(path = %path.display(), "removing an index a killed build left");
            let _ = std::fs::remove_file(offsets_path(&path));
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// The side file a chain's offsets are gathered in while its values are written.
fn offsets_path(tmp: &Path) -> PathBuf {
    let mut name = tmp.file_name().unwrap_or_default().to_os_string();
    name.push(".offsets");
    tmp.with_file_name(name)
}

fn io(path: &Path, source: std::io::Error) -> ScreenError {
    ScreenError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A mapped index: its metadata parsed, its body read in place.
pub(crate) struct MappedIndex {
    path: PathBuf,
    map: Mmap,
    body: Range<usize>,
    checks: SegmentChecks,
}

impl MappedIndex {
    /// Map the file and parse its metadata; `Ok(None)` when there is none.
    pub(crate) fn open(path: &Path) -> Result<Option<(IndexFile, MappedIndex)>, ScreenError> {
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(path, e)),
        };
        let bad = |message: String| ScreenError::Index {
            path: path.to_path_buf(),
            message: format!("{message}; rebuild it with `chaintrail screen build-index`"),
        };
        // SAFETY: the index is only ever replaced by rename, never written in place.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| io(path, e))?;
        if map.len() < 12 || &map[..8] != MAGIC {
            return Err(bad("not an exposure index".to_string()));
        }
        let version = u32::from_le_bytes([map[8], map[9], map[10], map[11]]);
        if version != VERSION {
            return Err(ScreenError::IndexFormat {
                path: path.to_path_buf(),
                found: front_metadata_format(&map)
                    .unwrap_or_else(|| format!("CTEXPIDX version {version}")),
                expected: INDEX_FORMAT,
            });
        }
        let footer = map
            .len()
            .checked_sub(FOOTER_BYTES)
            .filter(|&at| at >= HEADER_BYTES && &map[at + 4..] == MAGIC)
            .ok_or_else(|| bad("its end is missing (a copy cut short?)".to_string()))?;
        let meta_len = u32::from_le_bytes([
            map[footer],
            map[footer + 1],
            map[footer + 2],
            map[footer + 3],
        ]) as usize;
        let meta_at = footer
            .checked_sub(meta_len)
            .filter(|&at| at >= HEADER_BYTES)
            .ok_or_else(|| bad("the metadata is cut short".to_string()))?;
        let meta_bytes = &map[meta_at..footer];
        // The format first: another version's metadata may not parse as this one's.
        let format: Format =
            serde_json::from_slice(meta_bytes).map_err(|e| bad(format!("metadata: {e}")))?;
        if format.format != INDEX_FORMAT {
            return Err(ScreenError::IndexFormat {
                path: path.to_path_buf(),
                found: format.format,
                expected: INDEX_FORMAT,
            });
        }
        let meta: IndexFile =
            serde_json::from_slice(meta_bytes).map_err(|e| bad(format!("metadata: {e}")))?;
        let (start, end) = (HEADER_BYTES, meta_at);
        if meta.body.bytes != (end - start) as u64 {
            return Err(bad(format!(
                "its body holds {} bytes, its metadata promises {}",
                end - start,
                meta.body.bytes
            )));
        }
        let checks =
            SegmentChecks::new(&meta.body, SEGMENT_BYTES).map_err(|e| bad(e.to_string()))?;
        let index = MappedIndex {
            path: path.to_path_buf(),
            map,
            body: start..end,
            checks,
        };
        index.check_sections(&meta).map_err(bad)?;
        Ok(Some((meta, index)))
    }

    fn body(&self) -> &[u8] {
        &self.map[self.body.clone()]
    }

    /// Every chain's sections must lie in the body, in order, so that lookups slice in bounds.
    fn check_sections(&self, meta: &IndexFile) -> Result<(), String> {
        if meta.sections.len() != meta.chains.len() {
            return Err(format!(
                "{} sections for {} chains",
                meta.sections.len(),
                meta.chains.len()
            ));
        }
        for (chain, section) in meta.chains.iter().zip(&meta.sections) {
            // Checked: the metadata is not covered by the body's checksums.
            let offsets_end = (u64::from(chain.addresses) + 1)
                .checked_mul(8)
                .and_then(|len| section.offsets_at.checked_add(len));
            if section.values_at > section.offsets_at
                || offsets_end.is_none_or(|end| end > self.body().len() as u64)
            {
                return Err(format!("the section of {} is out of bounds", chain.chain));
            }
        }
        Ok(())
    }

    /// Bytes `range` of the body, their segments verified.
    fn read(&self, range: Range<u64>) -> Result<&[u8], ScreenError> {
        let (start, end) = (range.start as usize, range.end as usize);
        let bytes = self
            .body()
            .get(start..end)
            .ok_or_else(|| ScreenError::Index {
                path: self.path.clone(),
                message: format!("bytes {start}..{end} lie outside the index; rebuild it"),
            })?;
        self.checks
            .verify(self.body(), start..end)
            .map_err(|damage| ScreenError::Index {
                path: self.path.clone(),
                message: format!(
                    "damaged: {damage}; rebuild it with `chaintrail screen build-index`"
                ),
            })?;
        Ok(bytes)
    }

    /// The stored value of `id` in `section` (empty: no exposure), and whether its walk was
    /// truncated.
    pub(crate) fn value(
        &self,
        section: &ChainSection,
        id: u32,
    ) -> Result<(&[u8], bool), ScreenError> {
        let at = section.offsets_at + u64::from(id) * 8;
        let bounds = self.read(at..at + 16)?;
        let word = |i: usize| {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(&bounds[i..i + 8]);
            u64::from_le_bytes(raw)
        };
        let (start, end) = (word(0) & !TRUNCATED, word(8) & !TRUNCATED);
        let truncated = word(8) & TRUNCATED != 0;
        if start > end || end > section.values_len() {
            return Err(ScreenError::Index {
                path: self.path.clone(),
                message: format!("the offsets of address id {id} are out of order; rebuild it"),
            });
        }
        let bytes = self.read(section.values_at + start..section.values_at + end)?;
        Ok((bytes, truncated))
    }

    /// Decode a stored value, its words numbered in `words` (the index's).
    pub(crate) fn exposure(
        &self,
        bytes: &[u8],
        words: &[String],
    ) -> Result<ChainExposure, ScreenError> {
        if bytes.is_empty() {
            return Ok(ChainExposure::default());
        }
        crate::codec::decode(bytes, words).map_err(|e| ScreenError::Index {
            path: self.path.clone(),
            message: format!("an entry does not decode ({e}); rebuild it"),
        })
    }

    /// Verify every segment of the body; the damaged ones, as text.
    pub(crate) fn verify(&self) -> Vec<String> {
        (0..self.checks.segments())
            .filter_map(|segment| {
                self.checks
                    .verify_segment(self.body(), segment)
                    .err()
                    .map(|d| d.to_string())
            })
            .collect()
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// The `format` of an index's metadata.
#[derive(serde::Deserialize)]
struct Format {
    format: String,
}

/// The format named by the metadata of a file of version 3 or before, which kept it in front:
/// length at bytes 12..16, then the JSON.
fn front_metadata_format(map: &[u8]) -> Option<String> {
    let len = u32::from_le_bytes(map.get(12..16)?.try_into().ok()?) as usize;
    let meta = map.get(16..16usize.checked_add(len)?)?;
    serde_json::from_slice::<Format>(meta)
        .ok()
        .map(|f| f.format)
}

/// The section of `chain` in an index's metadata.
pub(crate) fn section_of(meta: &IndexFile, chain: Chain) -> Option<(usize, &ChainSection)> {
    meta.chains
        .iter()
        .position(|c| c.chain == chain)
        .and_then(|i| meta.sections.get(i).map(|s| (i, s)))
}

/// The body state of an index with no body yet (before [`IndexWriter::finish`] fills it).
pub(crate) fn empty_body() -> FileState {
    FileState::default()
}
