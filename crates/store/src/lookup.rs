//! Hash lookups on disk: address key → address id (`index.address_lookup`) and transaction hash
//! → tx id (`index.tx_lookup`), so that a reader finds an address or a transaction by probing a
//! mapped table instead of first loading every key of the chain into a hash map (≈ 60 B of heap
//! per address or transaction: 80 GB for Bitcoin's 1.3 billion addresses).
//!
//! Both are open-addressing tables with linear probing, built whole with the other derived
//! indexes at the end of an import, at most 70% full. A slot holds an id + 1 (0: empty) as a
//! `u32`, or as a `u64` in `index.tx_lookup_wide` once a chain has 2^32 − 1 transactions or
//! more. A slot names a candidate only: every match is confirmed against the stored key
//! (`addresses.*`) or hash (`txs.hash`). Memory: ≈ 5.7 B per address or transaction, mapped.

use std::path::Path;

use crate::column::Column;
use crate::error::StoreError;
use crate::files::{BuildFile, FileState};
use crate::outpoints::mix;

/// Slots per entry: the table is at most 70% full.
fn slots_for(entries: u64) -> u64 {
    (entries * 10 / 7).max(1) + 1
}

/// The hash of an address key (FNV-1a, then mixed).
pub(crate) fn key_hash(key: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in key {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    mix(hash)
}

/// The hash of a transaction hash (already uniform: its first 8 bytes, mixed).
pub(crate) fn tx_hash_hash(hash: &[u8; 32]) -> u64 {
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&hash[..8]);
    mix(u64::from_le_bytes(prefix))
}

fn home(hash: u64, slots: usize) -> usize {
    ((u128::from(hash) * slots as u128) >> 64) as usize
}

/// A slot value: an id + 1 in 32 or 64 bits.
pub(crate) trait Slot: bytemuck::Pod + Copy {
    fn from_id(id: u64) -> Self;
    /// The id stored, or `None` for an empty slot.
    fn id(self) -> Option<u64>;
}

impl Slot for u32 {
    fn from_id(id: u64) -> u32 {
        (id + 1) as u32
    }

    fn id(self) -> Option<u64> {
        u64::from(self).checked_sub(1)
    }
}

impl Slot for u64 {
    fn from_id(id: u64) -> u64 {
        id + 1
    }

    fn id(self) -> Option<u64> {
        self.checked_sub(1)
    }
}

/// Write a table of `count` entries whose hashes `hash_of(id)` gives, skipping ids for which it
/// gives `None` (the reserved address id 0).
pub(crate) fn build<S: Slot>(
    path: &Path,
    count: u64,
    hash_of: impl Fn(u64) -> Option<u64>,
    segment_bytes: u64,
) -> Result<FileState, StoreError> {
    let slots = slots_for(count);
    let mut file = BuildFile::create(path, slots * size_of::<S>() as u64)?;
    let table = file.as_mut_slice::<S>();
    let len = table.len();
    for id in 0..count {
        let Some(hash) = hash_of(id) else { continue };
        let mut slot = home(hash, len);
        while table[slot].id().is_some() {
            slot = if slot + 1 == len { 0 } else { slot + 1 };
        }
        table[slot] = S::from_id(id);
    }
    file.finish(segment_bytes)
}

/// The first id in the table at `hash` for which `same(id)` holds. Probing stops at an empty
/// slot, or after a whole turn (only in a damaged table).
pub(crate) fn find<S: Slot>(
    table: Column<'_, S>,
    hash: u64,
    mut same: impl FnMut(u64) -> bool,
) -> Option<u64> {
    let len = table.len();
    if len == 0 {
        return None;
    }
    let mut slot = home(hash, len);
    for _ in 0..len {
        let id = table.get(slot)?.id()?;
        if same(id) {
            return Some(id);
        }
        slot = if slot + 1 == len { 0 } else { slot + 1 };
    }
    None
}
