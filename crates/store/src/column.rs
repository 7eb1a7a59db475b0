//! Checked read access to a mapped column: each segment is verified against its checksum the
//! first time a value in it is read. A value from a damaged segment is never handed out: reads
//! return nothing (`None`, an empty range, zero) and the damage is kept in the reader's
//! [`DamageLatch`], which every operation checks before it returns a result
//! ([`crate::ChainReader::ensure_intact`]).

use std::ops::Range;
use std::path::PathBuf;
use std::sync::OnceLock;

use crate::error::StoreError;
use crate::files::MappedFile;

/// The first damage a reader met, kept so that the operation reading it fails.
#[derive(Default)]
pub struct DamageLatch(OnceLock<(PathBuf, String)>);

impl DamageLatch {
    pub(crate) fn record(&self, error: StoreError) {
        if let StoreError::Corrupt { file, reason } = error {
            let _ = self.0.set((file, reason));
        }
    }

    /// `Err` naming the damaged file and byte range once a read met damage.
    pub fn check(&self) -> Result<(), StoreError> {
        match self.0.get() {
            None => Ok(()),
            Some((file, reason)) => Err(StoreError::Corrupt {
                file: file.clone(),
                reason: reason.clone(),
            }),
        }
    }
}

/// A column of fixed-width values, verified segment by segment as it is read.
pub struct Column<'a, T> {
    values: &'a [T],
    file: Option<&'a MappedFile>,
    damage: &'a DamageLatch,
}

impl<T> Clone for Column<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Column<'_, T> {}

impl<'a, T: bytemuck::Pod> Column<'a, T> {
    pub(crate) fn new(file: Option<&'a MappedFile>, damage: &'a DamageLatch) -> Column<'a, T> {
        Column {
            values: file.map_or(&[], MappedFile::as_slice),
            file,
            damage,
        }
    }

    /// A column over values already verified (tests and builders over their own data).
    pub fn verified(values: &'a [T], damage: &'a DamageLatch) -> Column<'a, T> {
        Column {
            values,
            file: None,
            damage,
        }
    }

    /// The number of values; reads (and so verifies) none of them.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// `true` when the column holds no value (also when the chain has no such file).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Values `range` (clamped to the column); empty when a segment under them is damaged.
    pub fn range(&self, range: Range<usize>) -> &'a [T] {
        let end = range.end.min(self.values.len());
        let start = range.start.min(end);
        if let Some(file) = self.file {
            let width = size_of::<T>();
            if let Err(error) = file.verify(start * width..end * width) {
                self.damage.record(error);
                return &[];
            }
        }
        &self.values[start..end]
    }

    /// Value `index`; `None` out of range or when its segment is damaged.
    pub fn get(&self, index: usize) -> Option<T> {
        self.range(index..index.saturating_add(1)).first().copied()
    }

    /// Value `index`, or zero out of range or when its segment is damaged. For callers that
    /// read rows they know exist and check the reader's damage before answering.
    pub fn at(&self, index: u64) -> T {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.get(i))
            .unwrap_or_else(T::zeroed)
    }

    /// Every value, each segment verified: for scans. `Err` names the first damaged segment.
    pub fn all(&self) -> Result<&'a [T], StoreError> {
        if let Some(file) = self.file {
            file.verify_all()?;
        }
        Ok(self.values)
    }
}
