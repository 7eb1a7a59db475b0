//! The reorg window: the states of the last commits, kept in the chain manifest, and the
//! rollback of a chain to one of them.
//!
//! Every [`ChainWriter::commit`](crate::ChainWriter::commit) records a [`Checkpoint`]: the
//! committed length of every file, the importers' cursors and the duplicate count. Files are
//! append-only, so the state of a past commit is its lengths: the bytes up to them are unchanged
//! since. Rolling back writes a manifest with those lengths (the checksums of the cut files are
//! computed from the segment checksums and at most one segment read back), the cursors of that
//! commit and stale indexes, in one atomic replace; everything then follows from reopening: bytes
//! past the lengths are cut off, the address dictionary, asset table and outpoint map are rebuilt
//! from the kept columns (an output spent only by dropped inputs is unspent again), and the
//! indexes are rebuilt.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{StoreError, io_err};
use crate::manifest::ChainManifest;
use crate::segments::prefix_state;

/// How many commits a chain can be rolled back to. Live following commits once per block, so
/// this is its reorg window in blocks; bulk imports commit per batch of blocks, so theirs is
/// wider.
pub const CHECKPOINTS_KEPT: usize = 128;

/// The state of one past commit of a chain, which [`ChainWriter::roll_back`] returns the chain
/// to.
///
/// [`ChainWriter::roll_back`]: crate::ChainWriter::roll_back
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The height of the highest stored block at the commit (`None`: no block yet).
    tip: Option<u64>,
    /// The committed length of every file the manifest listed.
    lengths: BTreeMap<String, u64>,
    duplicate_txs_skipped: u64,
    /// The importers' cursors as committed.
    cursors: BTreeMap<String, serde_json::Value>,
}

impl Checkpoint {
    /// The height of the highest block stored at this commit.
    pub fn tip(&self) -> Option<u64> {
        self.tip
    }

    /// The cursor `key` as committed with this checkpoint.
    pub fn cursor(&self, key: &str) -> Option<&serde_json::Value> {
        self.cursors.get(key)
    }
}

/// Record the commit `manifest` describes. A commit that appended nothing since the last
/// checkpoint (a cursor update) replaces it rather than adding one.
pub(crate) fn record(manifest: &mut ChainManifest, tip: Option<u64>) {
    let checkpoint = Checkpoint {
        tip,
        lengths: manifest
            .files
            .iter()
            .map(|(name, state)| (name.clone(), state.bytes))
            .collect(),
        duplicate_txs_skipped: manifest.duplicate_txs_skipped,
        cursors: manifest.cursors.clone(),
    };
    let checkpoints = &mut manifest.checkpoints;
    if checkpoints
        .back()
        .is_some_and(|last| last.lengths == checkpoint.lengths)
    {
        checkpoints.pop_back();
    }
    checkpoints.push_back(checkpoint);
    while checkpoints.len() > CHECKPOINTS_KEPT {
        checkpoints.pop_front();
    }
}

/// The manifest of `dir`'s chain rolled back to checkpoint `index` (of
/// `manifest.checkpoints`), with `cursors` set over the checkpoint's own. Indexes are marked
/// stale (none listed), so readers refuse the chain until they are rebuilt.
pub(crate) fn rolled_back(
    dir: &Path,
    manifest: &ChainManifest,
    index: usize,
    cursors: &[(&str, serde_json::Value)],
) -> Result<ChainManifest, StoreError> {
    let checkpoint = manifest.checkpoints.get(index).ok_or_else(|| {
        StoreError::Input(format!(
            "{} has {} checkpoints to roll back to; there is no checkpoint {index}",
            manifest.chain,
            manifest.checkpoints.len()
        ))
    })?;
    let mut files = BTreeMap::new();
    for (name, &cut) in &checkpoint.lengths {
        let committed = manifest.file(name);
        if cut > committed.bytes {
            return Err(StoreError::Corrupt {
                file: dir.join(name),
                reason: format!(
                    "checkpoint {index} lists {cut} bytes, more than the {} committed",
                    committed.bytes
                ),
            });
        }
        let state = if cut == committed.bytes {
            committed
        } else {
            prefix_state(&committed, manifest.segment_bytes, cut, |from| {
                read_range(&dir.join(name), from, cut)
            })?
        };
        files.insert(name.clone(), state);
    }
    let mut restored = ChainManifest {
        files,
        indexes: BTreeMap::new(),
        indexed_records: 0,
        cursors: checkpoint.cursors.clone(),
        duplicate_txs_skipped: checkpoint.duplicate_txs_skipped,
        checkpoints: manifest
            .checkpoints
            .iter()
            .take(index + 1)
            .cloned()
            .collect(),
        ..manifest.clone()
    };
    for (key, value) in cursors {
        restored.cursors.insert((*key).to_string(), value.clone());
    }
    // The newest checkpoint is now the rolled-back state, with the cursors set here.
    restored.checkpoints.pop_back();
    record(&mut restored, checkpoint.tip);
    Ok(restored)
}

fn read_range(path: &Path, from: u64, to: u64) -> Result<Vec<u8>, StoreError> {
    let mut file = std::fs::File::open(path).map_err(|e| io_err(path, "open", e))?;
    file.seek(SeekFrom::Start(from))
        .map_err(|e| io_err(path, "seek", e))?;
    let len = usize::try_from(to - from).map_err(|_| StoreError::Corrupt {
        file: path.to_path_buf(),
        reason: format!("a segment of {} bytes does not fit in memory", to - from),
    })?;
    let mut bytes = vec![0u8; len];
    file.read_exact(&mut bytes)
        .map_err(|e| io_err(path, "read", e))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileState;
    use crate::segments::state_of;

    /// A process killed after the rolled-back manifest was written, before the chain was
    /// reopened: the files are still long and the indexes stale. Readers refuse the chain until
    /// the next writer rebuilds the indexes, which leaves the rolled-back chain.
    #[test]
    fn a_rollback_killed_after_its_manifest_is_finished_by_the_next_writer() {
        use chaintrail_core::{AccountTx, BlockRef, Chain, TxHash};

        let dir = tempfile::tempdir().expect("tmp");
        let store = crate::Store::init(dir.path()).expect("store");
        let chain = Chain::Evm(1);
        let mut writer = store.writer(chain).expect("writer");
        let mut one_block = 0;
        for height in 1..=3u64 {
            let tx = AccountTx {
                hash: TxHash([height as u8; 32]),
                block: BlockRef {
                    height,
                    timestamp: height,
                },
                transfers: vec![],
            };
            writer.append_account_tx(&tx).expect("append");
            writer
                .commit("t", serde_json::json!(height))
                .expect("commit");
            if height == 1 {
                writer.update_indexes().expect("indexes");
                one_block = store.reader(chain).expect("reader").content_checksum();
            }
        }
        writer.update_indexes().expect("indexes");
        let chain_dir = store.chain_dir(chain);
        let manifest = crate::manifest::read_json::<ChainManifest>(
            &chain_dir.join(crate::manifest::CHAIN_MANIFEST),
        )
        .expect("manifest");
        let restored = rolled_back(&chain_dir, &manifest, 0, &[]).expect("rolled back");
        crate::manifest::write_json(&chain_dir.join(crate::manifest::CHAIN_MANIFEST), &restored)
            .expect("write");
        drop(writer);
        assert!(matches!(
            store.reader(chain),
            Err(StoreError::StaleIndex { .. })
        ));
        let mut writer = store.writer(chain).expect("writer");
        writer.update_indexes().expect("indexes");
        let reader = store.reader(chain).expect("reader");
        assert_eq!(reader.tx_count(), 1);
        assert_eq!(reader.content_checksum(), one_block);
        assert_eq!(writer.cursor("t"), Some(&serde_json::json!(1)));
    }

    #[test]
    fn a_prefix_state_equals_the_state_of_the_prefix_at_every_cut() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let segment = 64;
        let whole = state_of(&bytes, segment);
        for cut in 0..=bytes.len() {
            let got = prefix_state(&whole, segment, cut as u64, |from| {
                Ok::<_, ()>(bytes[from as usize..cut].to_vec())
            })
            .expect("prefix");
            assert_eq!(got, state_of(&bytes[..cut], segment), "cut {cut}");
        }
        // Without segment checksums (an old manifest), the prefix is read from the start.
        let legacy = FileState {
            segments: Vec::new(),
            ..whole
        };
        let got = prefix_state(&legacy, segment, 700, |from| {
            assert_eq!(from, 0);
            Ok::<_, ()>(bytes[..700].to_vec())
        })
        .expect("prefix");
        assert_eq!(got, state_of(&bytes[..700], segment));
    }
}
