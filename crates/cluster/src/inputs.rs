//! The multi-input heuristic's input: per transaction, the set of input addresses it reads, and
//! a file holding them, so that another clustering (GraphSense's `gs_clustering`) and this
//! crate's union-find start from the same bytes (docs/benchmarks.md, "Clustering against
//! GraphSense").
//!
//! The file (little-endian throughout; 8-byte aligned sections so a reader can map it):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `CTINSET1` |
//! | 4 | address count: every id is below it (id 0 is the store's reserved id) |
//! | 4 | zero |
//! | 8 | sets |
//! | 8 | ids |
//! | 4 × ids | the address ids, set after set |
//! | 0 or 4 | zero padding to a multiple of 8 |
//! | 8 × (sets + 1) | offsets: set i is ids `offsets[i]..offsets[i+1]`; `offsets[0]` = 0 |
//!
//! Offsets and values apart (Arrow's list layout) rather than a count before each set: Python
//! builds a pyarrow `ListArray` from the two sections without a loop over sets, which is what
//! `gs_clustering`'s `process_transactions_arrow` takes.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chaintrail_core::ChainModel;
use chaintrail_links::deposits::utxo::{CoSpend, co_spend, null_data_id, tx_sides};
use chaintrail_store::ChainReader;
use memmap2::Mmap;

use crate::ClusterError;
use crate::plain::MinRootSets;

const MAGIC: &[u8; 8] = b"CTINSET1";
const HEADER: usize = 32;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError + '_ {
    move |source| ClusterError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Calls `visit` with the distinct input address ids (first input's first) of every transaction
/// of a UTXO chain that has an input with a known address and is not a CoinJoin — coinbases have
/// none. Sets of one address are visited too: they merge nothing, but a clustering is fed them.
/// The CoinJoin exclusion is `co_spend`'s, the decision every clustering pass makes. An account
/// chain has no input sets.
pub fn for_each_input_set(reader: &ChainReader, mut visit: impl FnMut(&[u32])) {
    if reader.model() != ChainModel::Utxo {
        return;
    }
    let null_data = null_data_id(reader);
    for tx in 0..reader.tx_count() {
        let (inputs, outputs) = tx_sides(reader, tx, null_data);
        match co_spend(&inputs, &outputs) {
            CoSpend::Owner(owner) => visit(&owner),
            CoSpend::CoinJoin(_) => {}
            // Fewer than two distinct addresses: the first (if any) is the set.
            CoSpend::Single => {
                if let Some(first) = inputs.first() {
                    visit(std::slice::from_ref(first));
                }
            }
        }
    }
}

/// How many sets and ids an input-set file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct InputSetCounts {
    /// Ids are below this.
    pub address_count: u32,
    /// Transactions (sets).
    pub sets: u64,
    /// Address ids over all sets.
    pub ids: u64,
}

/// Write the input sets of a UTXO chain ([`for_each_input_set`]) to `path`, atomically (a temp
/// file beside it, synced, renamed).
pub fn write_input_sets(reader: &ChainReader, path: &Path) -> Result<InputSetCounts, ClusterError> {
    if reader.model() != ChainModel::Utxo {
        return Err(ClusterError::Settings(format!(
            "{} is an account chain: input sets exist only on UTXO chains",
            reader.chain()
        )));
    }
    let address_count = u32::try_from(reader.address_count()).map_err(|_| {
        ClusterError::Corrupt("the store holds more than 2^32 address ids".to_string())
    })?;
    let temp = temp_beside(path, "tmp");
    let offsets_temp = temp_beside(path, "offsets.tmp");
    let written = write_sections(reader, address_count, &temp, &offsets_temp);
    let _ = std::fs::remove_file(&offsets_temp);
    match written {
        Ok(counts) => {
            std::fs::rename(&temp, path).map_err(io(path))?;
            Ok(counts)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

fn temp_beside(path: &Path, ext: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{ext}"));
    path.with_file_name(name)
}

/// The ids stream into `temp` while the offsets, known only set by set, go to `offsets_temp`
/// and are appended after them.
fn write_sections(
    reader: &ChainReader,
    address_count: u32,
    temp: &Path,
    offsets_temp: &Path,
) -> Result<InputSetCounts, ClusterError> {
    let file = File::create(temp).map_err(io(temp))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let offsets_file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(offsets_temp)
        .map_err(io(offsets_temp))?;
    let mut offsets = BufWriter::with_capacity(1 << 20, offsets_file);
    out.write_all(&[0; HEADER]).map_err(io(temp))?;
    offsets
        .write_all(&0u64.to_le_bytes())
        .map_err(io(offsets_temp))?;
    let (mut sets, mut ids) = (0u64, 0u64);
    let mut failed = None;
    for_each_input_set(reader, |set| {
        if failed.is_some() {
            return;
        }
        let wrote = set
            .iter()
            .try_for_each(|id| out.write_all(&id.to_le_bytes()))
            .map_err(io(temp))
            .and_then(|()| {
                ids += set.len() as u64;
                sets += 1;
                offsets
                    .write_all(&ids.to_le_bytes())
                    .map_err(io(offsets_temp))
            });
        failed = wrote.err();
    });
    if let Some(e) = failed {
        return Err(e);
    }
    reader.ensure_intact()?;
    if ids % 2 == 1 {
        out.write_all(&[0; 4]).map_err(io(temp))?;
    }
    let mut offsets = offsets
        .into_inner()
        .map_err(|e| io(offsets_temp)(e.into_error()))?;
    offsets.seek(SeekFrom::Start(0)).map_err(io(offsets_temp))?;
    std::io::copy(&mut offsets, &mut out).map_err(io(temp))?;
    let mut file = out.into_inner().map_err(|e| io(temp)(e.into_error()))?;
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&address_count.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&sets.to_le_bytes());
    header.extend_from_slice(&ids.to_le_bytes());
    file.seek(SeekFrom::Start(0)).map_err(io(temp))?;
    file.write_all(&header).map_err(io(temp))?;
    file.sync_all().map_err(io(temp))?;
    Ok(InputSetCounts {
        address_count,
        sets,
        ids,
    })
}

/// An input-set file, read and checked.
pub struct InputSets {
    counts: InputSetCounts,
    ids: Vec<u32>,
    offsets: Vec<u64>,
}

impl InputSets {
    /// Read `path` and check it whole: its header, its size, offsets ascending to the id count,
    /// every id below the address count.
    pub fn open(path: &Path) -> Result<InputSets, ClusterError> {
        let file = File::open(path).map_err(io(path))?;
        // SAFETY: the file is only read, and only while this function runs; one written by
        // `write_input_sets` is never modified in place (it is replaced by a rename).
        let map = unsafe { Mmap::map(&file) }.map_err(io(path))?;
        let bad = |what: String| {
            ClusterError::Corrupt(format!(
                "{} is not an input-set file of chaintrail: {what} (write it with `chaintrail cluster export-inputs`)",
                path.display()
            ))
        };
        if map.len() < HEADER || &map[..8] != MAGIC {
            return Err(bad("no CTINSET1 header".to_string()));
        }
        let word = |at: usize| u64::from_le_bytes(map[at..at + 8].try_into().unwrap_or([0; 8]));
        let address_count = u32::from_le_bytes(map[8..12].try_into().unwrap_or([0; 4]));
        let (sets, ids) = (word(16), word(24));
        let offsets_at = usize::try_from(ids)
            .ok()
            .and_then(|ids| HEADER.checked_add(ids.checked_mul(4)?.next_multiple_of(8)));
        let expected = usize::try_from(sets)
            .ok()
            .and_then(|sets| offsets_at?.checked_add(sets.checked_add(1)?.checked_mul(8)?));
        let (Some(offsets_at), Some(expected)) = (offsets_at, expected) else {
            return Err(bad(format!(
                "{sets} sets of {ids} ids do not fit in memory"
            )));
        };
        if map.len() != expected {
            return Err(bad(format!(
                "{} bytes where {sets} sets of {ids} ids take {expected}",
                map.len()
            )));
        }
        let id_values: Vec<u32> = map[HEADER..HEADER + 4 * ids as usize]
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if let Some(id) = id_values.iter().find(|&&id| id >= address_count) {
            return Err(bad(format!(
                "address id {id} is not below the address count {address_count}"
            )));
        }
        let offsets: Vec<u64> = map[offsets_at..]
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            .collect();
        if offsets.first() != Some(&0) || offsets.last() != Some(&ids) {
            return Err(bad(format!("the offsets do not run from 0 to {ids}")));
        }
        if let Some(i) = offsets.windows(2).position(|w| w[0] > w[1]) {
            return Err(bad(format!("offset {} is below offset {i}", i + 1)));
        }
        Ok(InputSets {
            counts: InputSetCounts {
                address_count,
                sets,
                ids,
            },
            ids: id_values,
            offsets,
        })
    }

    /// What the file holds.
    pub fn counts(&self) -> InputSetCounts {
        self.counts
    }

    /// Calls `visit` with every set, in file order.
    pub fn for_each(&self, mut visit: impl FnMut(&[u32])) {
        for w in self.offsets.windows(2) {
            // Checked ascending and within the ids when read.
            visit(&self.ids[w[0] as usize..w[1] as usize]);
        }
    }

    /// The partition the sets make: per address id below the address count, the smallest
    /// address id of its cluster (as [`crate::multi_input_partition`] gives it).
    pub fn partition(&self) -> Vec<u32> {
        let mut sets = MinRootSets::new(self.counts.address_count as usize);
        self.for_each(|set| sets.join(set));
        sets.into_column()
    }
}

/// The clusters of two or more addresses in a partition column (cluster id = smallest member).
pub fn multi_address_clusters(partition: &[u32]) -> usize {
    let mut roots_joined = vec![false; partition.len()];
    let mut count = 0;
    for (address, &cluster) in partition.iter().enumerate() {
        if cluster as usize != address
            && let Some(joined) = roots_joined.get_mut(cluster as usize)
            && !*joined
        {
            *joined = true;
            count += 1;
        }
    }
    count
}
