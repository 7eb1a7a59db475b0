//! Derived traversal indexes, rebuilt from the committed columns and written atomically.
//!
//! Adjacency lists are CSR: `*.offsets` holds `n + 1` byte offsets into `*.adj`, which holds each
//! node's record rows in ascending (= time) order as LEB128 deltas.
//!
//! The files are written through maps of their final size ([`BuildFile`]), not built on the
//! heap, and the build works on one range of nodes at a time so that its working set (the last
//! row seen and the write cursor of each node of the range, and the part of `*.adj` the range
//! writes) stays within [`INDEX_BUILD_MEMORY`] whatever the size of the chain: a chain whose
//! adjacency is larger than that is built in several sequential passes over the column instead
//! of random writes all over a file larger than memory.

use std::collections::BTreeMap;
use std::path::Path;

use chaintrail_core::ChainModel;

use crate::column::{Column, DamageLatch};
use crate::error::StoreError;
use crate::files::{BuildFile, FileState, MappedFile};
use crate::lookup;
use crate::manifest::ChainManifest;
use crate::schema::{self, Framing, NO_ADDRESS, TxId, col, put_varint, varint_len};

/// The working set one pass of an adjacency build may use (bytes).
pub const INDEX_BUILD_MEMORY: u64 = 2 << 30;

pub(crate) fn build_indexes(
    dir: &Path,
    manifest: &ChainManifest,
) -> Result<BTreeMap<String, FileState>, StoreError> {
    let segment_bytes = manifest.segment_bytes;
    let map = |name: &str| {
        MappedFile::open_verified(&dir.join(name), &manifest.file(name), segment_bytes)
    };
    let addresses = (manifest.file(col::ADDRESS_ENDS).bytes / 8) as usize;
    let mut written = BTreeMap::new();
    let mut csr = |offsets: &str, adj: &str, node_of_row: &[u32]| -> Result<(), StoreError> {
        let (offsets_state, adj_state) = build_csr(
            &dir.join(offsets),
            &dir.join(adj),
            addresses,
            node_of_row,
            INDEX_BUILD_MEMORY,
            segment_bytes,
        )?;
        written.insert(offsets.to_string(), offsets_state);
        written.insert(adj.to_string(), adj_state);
        Ok(())
    };
    match manifest.model {
        ChainModel::Account => {
            let from = map(col::TRANSFER_FROM)?;
            csr(col::IDX_OUT_OFFSETS, col::IDX_OUT_ADJ, from.as_slice())?;
            drop(from);
            let to = map(col::TRANSFER_TO)?;
            csr(col::IDX_IN_OFFSETS, col::IDX_IN_ADJ, to.as_slice())?;
        }
        ChainModel::Utxo => {
            let outputs = map(col::OUTPUT_ADDRESS)?;
            csr(col::IDX_IN_OFFSETS, col::IDX_IN_ADJ, outputs.as_slice())?;
            let spent = map(col::INPUT_SPENT)?;
            let block_first_tx = map(col::BLOCK_FIRST_TX)?;
            let block_first_input = map(col::BLOCK_FIRST_INPUT)?;
            let input_offset = map(col::TX_INPUT_OFFSET)?;
            let verified = DamageLatch::default();
            let framing = Framing {
                block_first_tx: block_first_tx.as_slice(),
                block_first_record: block_first_input.as_slice(),
                tx_offset: Column::verified(input_offset.as_slice(), &verified),
                records: spent.as_slice::<u64>().len() as u64,
            };
            let outputs = outputs.as_slice::<u32>().len();
            let (name, state) =
                build_spent_by(dir, outputs, spent.as_slice(), &framing, segment_bytes)?;
            written.insert(name.to_string(), state);
        }
    }
    let keys = map(col::ADDRESS_KEYS)?;
    let ends = map(col::ADDRESS_ENDS)?;
    let (keys, ends) = (keys.bytes(), ends.as_slice::<u64>());
    let key_of = |id: u64| {
        let id = id as usize;
        let start = id
            .checked_sub(1)
            .and_then(|p| ends.get(p))
            .copied()
            .unwrap_or(0);
        let end = ends.get(id).copied().unwrap_or(0);
        keys.get(start as usize..end as usize).unwrap_or(&[])
    };
    let state = lookup::build::<u32>(
        &dir.join(col::IDX_ADDRESS_LOOKUP),
        ends.len() as u64,
        |id| (id != u64::from(NO_ADDRESS)).then(|| lookup::key_hash(key_of(id))),
        segment_bytes,
    )?;
    written.insert(col::IDX_ADDRESS_LOOKUP.to_string(), state);
    let hashes = map(col::TX_HASH)?;
    let hashes = hashes.as_slice::<[u8; 32]>();
    let hash_of = |id: u64| hashes.get(id as usize).map(lookup::tx_hash_hash);
    let count = hashes.len() as u64;
    let (name, state) = if count < u64::from(u32::MAX) {
        let path = dir.join(col::IDX_TX_LOOKUP);
        (
            col::IDX_TX_LOOKUP,
            lookup::build::<u32>(&path, count, hash_of, segment_bytes)?,
        )
    } else {
        let path = dir.join(col::IDX_TX_LOOKUP_WIDE);
        (
            col::IDX_TX_LOOKUP_WIDE,
            lookup::build::<u64>(&path, count, hash_of, segment_bytes)?,
        )
    };
    written.insert(name.to_string(), state);
    Ok(written)
}

/// Write the CSR of record rows grouped by node to `offsets_path` / `adj_path`.
/// `node_of_row[r]` is the node record `r` belongs to; rows of node 0 (no address) and of nodes
/// out of range are left out.
fn build_csr(
    offsets_path: &Path,
    adj_path: &Path,
    nodes: usize,
    node_of_row: &[u32],
    memory: u64,
    segment_bytes: u64,
) -> Result<(FileState, FileState), StoreError> {
    let mut offsets_file = BuildFile::create(offsets_path, (nodes as u64 + 1) * 8)?;
    let offsets = offsets_file.as_mut_slice::<u64>();
    // Bytes per node, node by node range: each node's last row seen is 8 bytes of working set.
    let per_pass = usize::try_from((memory / 16).max(1)).unwrap_or(usize::MAX);
    let mut first = 0;
    while first < nodes {
        let end = nodes.min(first.saturating_add(per_pass));
        let mut last = vec![0u64; end - first];
        for (row, &node) in node_of_row.iter().enumerate() {
            let node = node as usize;
            if node == NO_ADDRESS as usize || node < first || node >= end {
                continue;
            }
            let slot = &mut last[node - first];
            offsets[node + 1] += varint_len(row as u64 - *slot);
            *slot = row as u64;
        }
        first = end;
    }
    for i in 1..offsets.len() {
        offsets[i] += offsets[i - 1];
    }
    let total = offsets.last().copied().unwrap_or(0);
    let mut adj_file = BuildFile::create(adj_path, total)?;
    let adj = adj_file.bytes_mut();
    let mut scratch = Vec::with_capacity(10);
    let mut first = 0;
    while first < nodes {
        // As many nodes as fit: their cursors and last rows (16 bytes each) and their lists.
        let mut end = first;
        while end < nodes {
            let bytes = offsets[end + 1] - offsets[first] + 16 * (end + 1 - first) as u64;
            if end > first && bytes > memory {
                break;
            }
            end += 1;
        }
        let mut cursor: Vec<u64> = offsets[first..end].to_vec();
        let mut last = vec![0u64; end - first];
        for (row, &node) in node_of_row.iter().enumerate() {
            let node = node as usize;
            if node == NO_ADDRESS as usize || node < first || node >= end {
                continue;
            }
            let i = node - first;
            scratch.clear();
            put_varint(&mut scratch, row as u64 - last[i]);
            last[i] = row as u64;
            let at = cursor[i] as usize;
            adj[at..at + scratch.len()].copy_from_slice(&scratch);
            cursor[i] += scratch.len() as u64;
        }
        first = end;
    }
    Ok((
        offsets_file.finish(segment_bytes)?,
        adj_file.finish(segment_bytes)?,
    ))
}

/// For each output row, the transaction whose input spends it: `index.spent_by` (u32 ids,
/// [`schema::UNSPENT`]) while every id fits 32 bits, else `index.spent_by_wide` (u64 ids,
/// [`schema::UNSPENT_WIDE`]).
fn build_spent_by(
    dir: &Path,
    outputs: usize,
    spent: &[u64],
    inputs: &Framing<'_>,
    segment_bytes: u64,
) -> Result<(&'static str, FileState), StoreError> {
    if inputs.tx_count() < u64::from(schema::UNSPENT) {
        let name = col::IDX_SPENT_BY;
        let mut file = BuildFile::create(&dir.join(name), outputs as u64 * 4)?;
        fill_spent_by(
            file.as_mut_slice::<u32>(),
            spent,
            inputs,
            schema::UNSPENT,
            |tx| tx as u32,
        );
        return Ok((name, file.finish(segment_bytes)?));
    }
    let name = col::IDX_SPENT_BY_WIDE;
    let mut file = BuildFile::create(&dir.join(name), outputs as u64 * 8)?;
    fill_spent_by(
        file.as_mut_slice::<u64>(),
        spent,
        inputs,
        schema::UNSPENT_WIDE,
        |tx| tx,
    );
    Ok((name, file.finish(segment_bytes)?))
}

fn fill_spent_by<T: Copy>(
    spent_by: &mut [T],
    spent: &[u64],
    inputs: &Framing<'_>,
    unspent: T,
    id: impl Fn(TxId) -> T,
) {
    spent_by.fill(unspent);
    for tx in 0..inputs.tx_count() {
        for row in inputs.range(tx) {
            if let Some(slot) = spent
                .get(row as usize)
                .and_then(|&o| spent_by.get_mut(o as usize))
            {
                *slot = id(tx);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::DeltaList;
    use proptest::prelude::*;

    proptest! {
        /// Any memory budget, down to one node per pass, builds the same lists.
        #[test]
        fn passes_build_the_same_adjacency(
            node_of_row in proptest::collection::vec(0u32..12, 0..300),
            memory in 1u64..400,
        ) {
            let dir = tempfile::tempdir().expect("tmp");
            let nodes = 10;
            let (o, a) = (dir.path().join("o"), dir.path().join("a"));
            let (offsets_state, adj_state) =
                build_csr(&o, &a, nodes, &node_of_row, memory, 64).expect("build");
            let offsets_bytes = std::fs::read(&o).expect("offsets");
            let adj = std::fs::read(&a).expect("adj");
            prop_assert_eq!(offsets_state.bytes, offsets_bytes.len() as u64);
            prop_assert_eq!(adj_state.crc32, crc32fast::hash(&adj));
            let offsets: &[u64] = bytemuck::cast_slice(&offsets_bytes);
            prop_assert_eq!(offsets.len(), nodes + 1);
            for node in 0..nodes {
                let expected: Vec<u64> = node_of_row
                    .iter()
                    .enumerate()
                    .filter(|&(_, &n)| n as usize == node && node != 0)
                    .map(|(row, _)| row as u64)
                    .collect();
                let list = &adj[offsets[node] as usize..offsets[node + 1] as usize];
                prop_assert_eq!(DeltaList::new(list).collect::<Vec<_>>(), expected);
            }
        }
    }
}
