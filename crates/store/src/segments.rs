//! Checksums per segment. Every file is cut into segments of a fixed size (8 MiB for chains
//! created now; the chain's manifest says which) and the manifest keeps the CRC-32 of each one beside the
//! CRC-32 of the whole file. A reader then verifies a segment the first time it reads from it,
//! not every byte at open, and `verify-store` can name the damaged byte range.
//!
//! A file of at most one segment lists no segment checksums: its whole-file CRC is the one
//! segment's. Manifests written before segments existed list none for any file, so each of their
//! files is read as one (large) segment until a writer commits to it again.

use std::ops::Range;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::files::FileState;

/// The segment size of new chains. A reader's first touch of a segment reads and checks all of
/// it, so a one-off query on a cold store reads a segment per file it touches: on a store of 50M
/// transfers a one-seed trace read 864 MB with 64 MiB segments and 149 MB with 8 MiB
/// (docs/benchmarks.md, *Cost curves to 300M records*). The manifest keeps 4 bytes per segment.
pub const DEFAULT_SEGMENT_BYTES: u64 = 8 << 20;
/// The segment size of chains whose manifest does not say (written with 64 MiB segments).
pub const LEGACY_SEGMENT_BYTES: u64 = 64 << 20;
/// The smallest segment size a chain may use (tests use small segments).
pub const MIN_SEGMENT_BYTES: u64 = 64;

/// CRC-32 of a growing file, whole and per segment.
#[derive(Clone)]
pub struct SegmentHasher {
    segment_bytes: u64,
    bytes: u64,
    whole: crc32fast::Hasher,
    /// Checksums of the full segments before the current one.
    done: Vec<u32>,
    current: crc32fast::Hasher,
    current_len: u64,
}

impl SegmentHasher {
    /// A hasher for a new file, in segments of `segment_bytes`.
    pub fn new(segment_bytes: u64) -> SegmentHasher {
        SegmentHasher {
            segment_bytes,
            bytes: 0,
            whole: crc32fast::Hasher::new(),
            done: Vec::new(),
            current: crc32fast::Hasher::new(),
            current_len: 0,
        }
    }

    /// Continue from a committed state. `None` when the state has no segment checksums for a
    /// file of several segments (a manifest written before segments existed): the caller then
    /// hashes the committed bytes again.
    pub fn resume(state: &FileState, segment_bytes: u64) -> Option<SegmentHasher> {
        let count = segment_count(state.bytes, segment_bytes);
        let (done, last) = if count <= 1 && state.segments.is_empty() {
            (Vec::new(), state.crc32)
        } else if state.segments.len() as u64 == count {
            let (&last, done) = state.segments.split_last()?;
            (done.to_vec(), last)
        } else {
            return None;
        };
        let current_len = state.bytes - done.len() as u64 * segment_bytes;
        Some(SegmentHasher {
            segment_bytes,
            bytes: state.bytes,
            whole: crc32fast::Hasher::new_with_initial_len(state.crc32, state.bytes),
            done,
            current: crc32fast::Hasher::new_with_initial_len(last, current_len),
            current_len,
        })
    }

    /// Hash `bytes`, appended to the file.
    pub fn update(&mut self, mut bytes: &[u8]) {
        self.whole.update(bytes);
        self.bytes += bytes.len() as u64;
        while !bytes.is_empty() {
            if self.current_len == self.segment_bytes {
                let full = std::mem::replace(&mut self.current, crc32fast::Hasher::new());
                self.done.push(full.finalize());
                self.current_len = 0;
            }
            let room = usize::try_from(self.segment_bytes - self.current_len).unwrap_or(usize::MAX);
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.current.update(now);
            self.current_len += now.len() as u64;
            bytes = rest;
        }
    }

    /// Bytes hashed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The state to record in the manifest.
    pub fn state(&self) -> FileState {
        let crc32 = self.whole.clone().finalize();
        let segments = if self.done.is_empty() {
            Vec::new()
        } else {
            let mut all = self.done.clone();
            all.push(self.current.clone().finalize());
            all
        };
        FileState {
            bytes: self.bytes,
            crc32,
            segments,
        }
    }
    /// A hasher at the start of segment `index` of a file whose committed state is `state`,
    /// built from the checksums of the segments before it without reading them. `None` when the
    /// state lacks those checksums (a manifest written before segments existed).
    fn at_segment(state: &FileState, segment_bytes: u64, index: u64) -> Option<SegmentHasher> {
        if index == 0 {
            return Some(SegmentHasher::new(segment_bytes));
        }
        if state.segments.len() as u64 != segment_count(state.bytes, segment_bytes) {
            return None;
        }
        let done = state.segments.get(..usize::try_from(index).ok()?)?.to_vec();
        let mut whole = crc32fast::Hasher::new();
        for &crc in &done {
            whole.combine(&crc32fast::Hasher::new_with_initial_len(crc, segment_bytes));
        }
        Some(SegmentHasher {
            segment_bytes,
            bytes: index * segment_bytes,
            whole,
            done,
            current: crc32fast::Hasher::new(),
            current_len: 0,
        })
    }
}

/// The state the first `cut` bytes of a file would have had if it had ended there: the segments
/// before the one holding the cut are taken from `state`, the rest (at most one segment) is read
/// through `read(from)`, which returns the bytes `from..cut`.
pub fn prefix_state<E>(
    state: &FileState,
    segment_bytes: u64,
    cut: u64,
    read: impl FnOnce(u64) -> Result<Vec<u8>, E>,
) -> Result<FileState, E> {
    let index = segment_count(cut, segment_bytes).saturating_sub(1);
    let mut hasher = SegmentHasher::at_segment(state, segment_bytes, index)
        .unwrap_or_else(|| SegmentHasher::new(segment_bytes));
    hasher.update(&read(hasher.bytes)?);
    Ok(hasher.state())
}

/// The state of `bytes` as one file: whole and per-segment checksums.
pub fn state_of(bytes: &[u8], segment_bytes: u64) -> FileState {
    let mut hasher = SegmentHasher::new(segment_bytes);
    hasher.update(bytes);
    hasher.state()
}

fn segment_count(bytes: u64, segment_bytes: u64) -> u64 {
    bytes.div_ceil(segment_bytes.max(1))
}

const UNCHECKED: u8 = 0;
const GOOD: u8 = 1;
const BAD: u8 = 2;

/// A damaged segment: where it is and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentDamage {
    /// The damaged segment, from 0.
    pub segment: usize,
    /// Segments of the file.
    pub segments: usize,
    /// The bytes the segment covers.
    pub bytes: Range<u64>,
    /// The CRC-32 of those bytes on disk.
    pub found: u32,
    /// The CRC-32 committed for them.
    pub committed: u32,
}

impl std::fmt::Display for SegmentDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "checksum mismatch in bytes {}..{} (segment {} of {}): crc32 {:08x} on disk, {:08x} \
             committed",
            self.bytes.start,
            self.bytes.end,
            self.segment + 1,
            self.segments,
            self.found,
            self.committed
        )
    }
}

/// Why the checksums a manifest lists for a file cannot check it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SegmentLayoutError {
    /// Another number of segment checksums than the file's length needs.
    #[error(
        "the manifest lists {listed} segment checksums for {bytes} bytes in segments of \
         {segment_bytes}; {expected} expected"
    )]
    Count {
        /// Checksums listed.
        listed: usize,
        /// The file's committed length.
        bytes: u64,
        /// The segment size.
        segment_bytes: u64,
        /// Checksums that length needs.
        expected: u64,
    },
    /// A segment larger than this machine's address space.
    #[error("segments of {0} bytes are beyond this machine's address space")]
    TooLarge(u64),
}

/// Which segments of a mapped file were verified, and the checksums to verify the others by.
/// Shared by the threads of one reader; two threads may verify a segment at the same time and
/// come to the same verdict.
pub struct SegmentChecks {
    size: usize,
    crcs: Box<[u32]>,
    verdicts: Box<[AtomicU8]>,
}

impl SegmentChecks {
    /// Checks for a committed file of `state.bytes` bytes; `Err` names what is inconsistent.
    pub fn new(state: &FileState, segment_bytes: u64) -> Result<SegmentChecks, SegmentLayoutError> {
        let (size, crcs): (u64, Box<[u32]>) = if state.segments.is_empty() {
            (state.bytes.max(1), Box::new([state.crc32]))
        } else {
            let expected = segment_count(state.bytes, segment_bytes);
            if state.segments.len() as u64 != expected {
                return Err(SegmentLayoutError::Count {
                    listed: state.segments.len(),
                    bytes: state.bytes,
                    segment_bytes,
                    expected,
                });
            }
            (segment_bytes, state.segments.clone().into_boxed_slice())
        };
        let size = usize::try_from(size).map_err(|_| SegmentLayoutError::TooLarge(size))?;
        let verdicts = crcs.iter().map(|_| AtomicU8::new(UNCHECKED)).collect();
        Ok(SegmentChecks {
            size,
            crcs,
            verdicts,
        })
    }

    /// How many segments the file has.
    pub fn segments(&self) -> usize {
        self.crcs.len()
    }

    /// The segments holding bytes `range` of a file of `len` bytes.
    fn covering(&self, range: &Range<usize>, len: usize) -> Range<usize> {
        if range.start >= range.end || len == 0 {
            return 0..0;
        }
        let last = range.end.min(len) - 1;
        range.start.min(last) / self.size..last / self.size + 1
    }

    /// Verify the segments of `bytes` (the file's committed bytes) that `range` touches and were
    /// not verified yet. A segment found bad stays bad.
    pub fn verify(&self, bytes: &[u8], range: Range<usize>) -> Result<(), SegmentDamage> {
        for segment in self.covering(&range, bytes.len()) {
            self.verify_segment(bytes, segment)?;
        }
        Ok(())
    }

    /// Verify segment `segment` of `bytes` (the file's committed bytes) unless already verified;
    /// the verdict is kept, so a bad segment stays bad. `Ok` for a segment number past the end.
    pub fn verify_segment(&self, bytes: &[u8], segment: usize) -> Result<(), SegmentDamage> {
        let Some(verdict) = self.verdicts.get(segment) else {
            return Ok(());
        };
        let start = segment * self.size;
        let end = (start + self.size).min(bytes.len());
        let damage = |found| SegmentDamage {
            segment,
            segments: self.segments(),
            bytes: start as u64..end as u64,
            found,
            committed: self.crcs[segment],
        };
        match verdict.load(Ordering::Acquire) {
            GOOD => return Ok(()),
            BAD => {
                let found = crc32fast::hash(bytes.get(start..end).unwrap_or(&[]));
                return Err(damage(found));
            }
            _ => {}
        }
        let found = crc32fast::hash(bytes.get(start..end).unwrap_or(&[]));
        if found == self.crcs[segment] {
            verdict.store(GOOD, Ordering::Release);
            Ok(())
        } else {
            verdict.store(BAD, Ordering::Release);
            Err(damage(found))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Appending in any pieces, resuming from any committed state, gives the checksums of
        /// the whole content, whole and per segment.
        #[test]
        fn resumed_hashing_matches_hashing_at_once(
            content in proptest::collection::vec(any::<u8>(), 0..600),
            cuts in proptest::collection::vec(0usize..600, 0..6),
            segment in 1u64..130,
        ) {
            let expected = state_of(&content, segment);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(content.len())).collect();
            cuts.push(content.len());
            cuts.sort_unstable();
            let mut hasher = SegmentHasher::new(segment);
            let mut at = 0;
            for cut in cuts {
                hasher.update(&content[at..cut]);
                at = cut;
                let state = hasher.state();
                hasher = SegmentHasher::resume(&state, segment).expect("resumable");
            }
            prop_assert_eq!(hasher.state(), expected.clone());
            prop_assert_eq!(expected.crc32, crc32fast::hash(&content));
            let count = content.len().div_ceil(segment as usize);
            if count > 1 {
                prop_assert_eq!(expected.segments.len(), count);
                for (i, crc) in expected.segments.iter().enumerate() {
                    let start = i * segment as usize;
                    let end = (start + segment as usize).min(content.len());
                    prop_assert_eq!(*crc, crc32fast::hash(&content[start..end]));
                }
            } else {
                prop_assert!(expected.segments.is_empty());
            }
        }
    }

    #[test]
    fn only_the_touched_segment_is_verified_and_damage_is_located() {
        let mut content: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let state = state_of(&content, 100);
        content[450] ^= 1;
        let checks = SegmentChecks::new(&state, 100).expect("checks");
        assert_eq!(checks.segments(), 10);
        checks
            .verify(&content, 0..400)
            .expect("first four segments are intact");
        checks
            .verify(&content, 500..1000)
            .expect("the last five are intact");
        let damage = checks
            .verify(&content, 440..441)
            .expect_err("segment 5 is damaged");
        assert_eq!((damage.segment, damage.bytes.clone()), (4, 400..500));
        assert!(
            damage
                .to_string()
                .contains("bytes 400..500 (segment 5 of 10)")
        );
        // A bad verdict sticks.
        assert!(checks.verify(&content, 499..500).is_err());
        assert!(checks.verify(&content, 0..0).is_ok());
    }

    #[test]
    fn a_legacy_state_is_one_segment() {
        let content = vec![5u8; 300];
        let legacy = FileState {
            bytes: 300,
            crc32: crc32fast::hash(&content),
            segments: Vec::new(),
        };
        assert!(SegmentHasher::resume(&legacy, 100).is_none());
        let checks = SegmentChecks::new(&legacy, 100).expect("checks");
        assert_eq!(checks.segments(), 1);
        checks.verify(&content, 10..20).expect("intact");
        let wrong = FileState {
            segments: vec![1, 2],
            ..legacy
        };
        assert!(SegmentChecks::new(&wrong, 100).is_err());
    }
}
