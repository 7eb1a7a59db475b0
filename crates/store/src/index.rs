//! Derived traversal indexes, rebuilt from the committed columns and written atomically.
//!
//! Adjacency lists are CSR: `*.offsets` holds `n + 1` byte offsets into `*.adj`, which holds each
//! node's record rows in ascending (= time) order as LEB128 deltas.

use std::collections::BTreeMap;
use std::path::Path;

use chaintrail_core::ChainModel;

use crate::error::StoreError;
use crate::files::{FileState, MappedFile, write_atomic};
use crate::manifest::ChainManifest;
use crate::schema::{self, Framing, NO_ADDRESS, col, put_varint, varint_len};

pub(crate) fn build_indexes(
    dir: &Path,
    manifest: &ChainManifest,
) -> Result<BTreeMap<String, FileState>, StoreError> {
    let map = |name: &str| MappedFile::open(&dir.join(name), manifest.file(name));
    let addresses = (manifest.file(col::ADDRESS_ENDS).bytes / 8) as usize;
    let mut written = BTreeMap::new();
    let mut write = |name: &str, bytes: &[u8]| -> Result<(), StoreError> {
        let state = write_atomic(&dir.join(name), bytes)?;
        written.insert(name.to_string(), state);
        Ok(())
    };
    match manifest.model {
        ChainModel::Account => {
            let from = map(col::TRANSFER_FROM)?;
            let to = map(col::TRANSFER_TO)?;
            let (offsets, adj) = build_csr(addresses, from.as_slice::<u32>());
            write(col::IDX_OUT_OFFSETS, bytemuck::cast_slice(&offsets))?;
            write(col::IDX_OUT_ADJ, &adj)?;
            let (offsets, adj) = build_csr(addresses, to.as_slice::<u32>());
            write(col::IDX_IN_OFFSETS, bytemuck::cast_slice(&offsets))?;
            write(col::IDX_IN_ADJ, &adj)?;
        }
        ChainModel::Utxo => {
            let outputs = map(col::OUTPUT_ADDRESS)?;
            let (offsets, adj) = build_csr(addresses, outputs.as_slice::<u32>());
            write(col::IDX_IN_OFFSETS, bytemuck::cast_slice(&offsets))?;
            write(col::IDX_IN_ADJ, &adj)?;
            let spent = map(col::INPUT_SPENT)?;
            let block_first_tx = map(col::BLOCK_FIRST_TX)?;
            let block_first_input = map(col::BLOCK_FIRST_INPUT)?;
            let input_offset = map(col::TX_INPUT_OFFSET)?;
            let framing = Framing {
                block_first_tx: block_first_tx.as_slice(),
                block_first_record: block_first_input.as_slice(),
                tx_offset: input_offset.as_slice(),
                records: spent.as_slice::<u64>().len() as u64,
            };
            let spent_by =
                build_spent_by(outputs.as_slice::<u32>().len(), spent.as_slice(), &framing);
            write(col::IDX_SPENT_BY, bytemuck::cast_slice(&spent_by))?;
        }
    }
    Ok(written)
}

/// Group record rows by node. `node_of_row[r]` is the node record `r` belongs to.
fn build_csr(nodes: usize, node_of_row: &[u32]) -> (Vec<u64>, Vec<u8>) {
    let mut last = vec![0u64; nodes];
    let mut sizes = vec![0u64; nodes + 1];
    for (row, &node) in node_of_row.iter().enumerate() {
        let node = node as usize;
        if node == NO_ADDRESS as usize || node >= nodes {
            continue;
        }
        sizes[node + 1] += varint_len(row as u64 - last[node]);
        last[node] = row as u64;
    }
    for i in 1..sizes.len() {
        sizes[i] += sizes[i - 1];
    }
    let offsets = sizes;
    let total = offsets.last().copied().unwrap_or(0) as usize;
    let mut adj = vec![0u8; total];
    let mut cursor: Vec<u64> = offsets[..nodes].to_vec();
    last.iter_mut().for_each(|v| *v = 0);
    let mut scratch = Vec::with_capacity(10);
    for (row, &node) in node_of_row.iter().enumerate() {
        let node = node as usize;
        if node == NO_ADDRESS as usize || node >= nodes {
            continue;
        }
        scratch.clear();
        put_varint(&mut scratch, row as u64 - last[node]);
        last[node] = row as u64;
        let at = cursor[node] as usize;
        adj[at..at + scratch.len()].copy_from_slice(&scratch);
        cursor[node] += scratch.len() as u64;
    }
    (offsets, adj)
}

/// For each output row, the transaction whose input spends it, or [`schema::UNSPENT`].
fn build_spent_by(outputs: usize, spent: &[u64], inputs: &Framing<'_>) -> Vec<u32> {
    let mut spent_by = vec![schema::UNSPENT; outputs];
    for tx in 0..inputs.tx_count() {
        for row in inputs.range(tx) {
            if let Some(slot) = spent
                .get(row as usize)
                .and_then(|&o| spent_by.get_mut(o as usize))
            {
                *slot = tx as u32;
            }
        }
    }
    spent_by
}
