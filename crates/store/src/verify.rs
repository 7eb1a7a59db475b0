//! `verify-store`: check every byte of a chain against its manifest, segment by segment, and
//! the invariants readers rely on, and name everything that is wrong instead of stopping at the
//! first problem.

use std::path::{Path, PathBuf};

use chaintrail_core::{Chain, ChainModel};
use serde::Serialize;

use crate::error::StoreError;
use crate::files::MappedFile;
use crate::manifest::{CHAIN_MANIFEST, ChainManifest, read_json};
use crate::schema::{FINGERPRINT_BYTES, NullDataEntry, col};

/// What verifying one chain found.
#[derive(Debug, Clone, Serialize)]
pub struct ChainVerification {
    /// The chain verified.
    pub chain: Chain,
    /// Files checked: every file the manifest lists, data and indexes.
    pub files: u64,
    /// Committed bytes of those files, damaged ones included.
    pub bytes: u64,
    /// Checksum segments verified (files that failed to open not counted).
    pub segments: u64,
    /// Everything wrong, each naming its file; empty when the chain is intact.
    pub problems: Vec<Problem>,
}

/// One thing found wrong with a chain: a damaged segment, a missing or short file, a broken invariant.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The file at fault (or the manifest, for indexes behind the data).
    pub file: PathBuf,
    /// What is wrong, naming the byte range and segment where there is one.
    pub what: String,
}

impl ChainVerification {
    /// `true` when no problem was found.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verify the chain in `dir`. `progress(done, total)` is called with bytes verified so far.
/// `Err` only when the manifest itself cannot be read.
pub(crate) fn verify_chain(
    dir: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ChainVerification, StoreError> {
    let manifest: ChainManifest = read_json(&dir.join(CHAIN_MANIFEST))?;
    let mut report = ChainVerification {
        chain: manifest.chain,
        files: 0,
        bytes: 0,
        segments: 0,
        problems: Vec::new(),
    };
    let total: u64 = manifest
        .files
        .values()
        .chain(manifest.indexes.values())
        .map(|state| state.bytes)
        .sum();
    let mut intact: Vec<(String, MappedFile)> = Vec::new();
    let listed = manifest.files.iter().chain(manifest.indexes.iter());
    for (name, state) in listed {
        report.files += 1;
        let path = dir.join(name);
        let file = match MappedFile::open(&path, state, manifest.segment_bytes) {
            Ok(file) => file,
            Err(error) => {
                report.problems.push(problem(&path, error));
                report.bytes += state.bytes;
                progress(report.bytes, total);
                continue;
            }
        };
        let mut damaged = false;
        for segment in 0..file.segments() {
            report.segments += 1;
            if let Err(damage) = file.verify_segment(segment) {
                damaged = true;
                report.problems.push(Problem {
                    file: path.clone(),
                    what: damage.to_string(),
                });
            }
        }
        report.bytes += state.bytes;
        progress(report.bytes, total);
        if !damaged {
            intact.push((name.clone(), file));
        }
    }
    if manifest.indexed_records != manifest.records() {
        report.problems.push(Problem {
            file: dir.join(CHAIN_MANIFEST),
            what: format!(
                "the indexes cover {} records of {}: an import was interrupted; rerun it to \
                 finish",
                manifest.indexed_records,
                manifest.records()
            ),
        });
    }
    let find = |name: &str| intact.iter().find(|(n, _)| n == name).map(|(_, file)| file);
    check_structure(dir, &manifest, &find, &mut report.problems);
    Ok(report)
}

fn problem(path: &Path, error: StoreError) -> Problem {
    let what = match error {
        StoreError::Corrupt { reason, .. } => reason,
        other => other.to_string(),
    };
    Problem {
        file: path.to_path_buf(),
        what,
    }
}

/// The invariants readers rely on, over the files that verified intact: aligned columns, CSR
/// offsets that ascend and end at their list file's length, and the payload index of
/// OP_RETURN outputs.
fn check_structure<'a>(
    dir: &Path,
    manifest: &ChainManifest,
    find: &dyn Fn(&str) -> Option<&'a MappedFile>,
    problems: &mut Vec<Problem>,
) {
    let mut complain = |name: &str, what: String| {
        problems.push(Problem {
            file: dir.join(name),
            what,
        })
    };
    let rows = |name: &str, width: u64| manifest.file(name).bytes / width;
    let aligned: &[(&str, &[(&str, u64)])] = match manifest.model {
        ChainModel::Account => &[
            (
                "transfers",
                &[
                    (col::TRANSFER_FROM, 4),
                    (col::TRANSFER_TO, 4),
                    (col::TRANSFER_META, 4),
                    (col::TRANSFER_AMOUNT, 8),
                ],
            ),
            (
                "blocks",
                &[
                    (col::BLOCK_HEIGHT, 8),
                    (col::BLOCK_TIMESTAMP, 8),
                    (col::BLOCK_FIRST_TX, 8),
                    (col::BLOCK_FIRST_TRANSFER, 8),
                ],
            ),
            ("txs", &[(col::TX_HASH, 32), (col::TX_TRANSFER_OFFSET, 4)]),
        ],
        ChainModel::Utxo => &[
            (
                "outputs",
                &[(col::OUTPUT_VALUE, 8), (col::OUTPUT_ADDRESS, 4)],
            ),
            (
                "blocks",
                &[
                    (col::BLOCK_HEIGHT, 8),
                    (col::BLOCK_TIMESTAMP, 8),
                    (col::BLOCK_FIRST_TX, 8),
                    (col::BLOCK_FIRST_INPUT, 8),
                    (col::BLOCK_FIRST_OUTPUT, 8),
                ],
            ),
            (
                "txs",
                &[
                    (col::TX_HASH, 32),
                    (col::TX_INPUT_OFFSET, 4),
                    (col::TX_OUTPUT_OFFSET, 4),
                    (col::TX_FINGERPRINT, FINGERPRINT_BYTES as u64),
                ],
            ),
        ],
    };
    for (table, columns) in aligned {
        let counts: Vec<u64> = columns.iter().map(|&(name, w)| rows(name, w)).collect();
        if counts.iter().any(|&c| c != counts[0]) {
            let listing: Vec<String> = columns
                .iter()
                .zip(&counts)
                .map(|((name, _), c)| format!("{name} {c}"))
                .collect();
            complain(
                columns[0].0,
                format!(
                    "the {table} columns disagree on their row count: {}",
                    listing.join(", ")
                ),
            );
        }
    }
    let addresses = manifest.file(col::ADDRESS_ENDS).bytes / 8;
    for (offsets, adj) in [
        (col::IDX_OUT_OFFSETS, col::IDX_OUT_ADJ),
        (col::IDX_IN_OFFSETS, col::IDX_IN_ADJ),
    ] {
        let (Some(offsets_file), Some(adj_file)) = (find(offsets), find(adj)) else {
            continue;
        };
        let values = offsets_file.as_slice::<u64>();
        if values.len() as u64 != addresses + 1 {
            complain(
                offsets,
                format!("{} offsets for {addresses} addresses", values.len()),
            );
        } else if !values.is_sorted() {
            complain(offsets, "offsets do not ascend".to_string());
        } else if values.last().copied() != Some(adj_file.bytes().len() as u64) {
            complain(
                offsets,
                format!(
                    "offsets end at {:?}, but {adj} holds {} bytes",
                    values.last(),
                    adj_file.bytes().len()
                ),
            );
        }
    }
    if manifest.model == ChainModel::Utxo {
        let outputs = rows(col::OUTPUT_VALUE, 8);
        for (name, width) in [(col::IDX_SPENT_BY, 4), (col::IDX_SPENT_BY_WIDE, 8)] {
            if manifest.indexes.contains_key(name) && manifest.index(name).bytes / width != outputs
            {
                complain(
                    name,
                    format!(
                        "{} entries for {outputs} outputs",
                        manifest.index(name).bytes / width
                    ),
                );
            }
        }
        if let (Some(entries), Some(bytes)) =
            (find(col::NULL_DATA_ROWS), find(col::NULL_DATA_BYTES))
            && let Err(what) = check_null_data(
                entries.as_slice::<NullDataEntry>(),
                bytes.bytes().len() as u64,
                outputs,
            )
        {
            complain(col::NULL_DATA_ROWS, what);
        }
    }
}

/// The payload index must name ascending output rows that exist and ascending ends within
/// `null_data.bytes`, ending at its length, so that every lookup slices in bounds.
fn check_null_data(entries: &[NullDataEntry], stored: u64, outputs: u64) -> Result<(), String> {
    let (mut last_row, mut last_end) = (None, 0u64);
    for (i, entry) in entries.iter().enumerate() {
        if entry.row >= outputs || last_row.is_some_and(|row| entry.row <= row) {
            return Err(format!(
                "entry {i} names output {} (of {outputs}) out of order",
                entry.row
            ));
        }
        if entry.end < last_end {
            return Err(format!("entry {i} ends before the one before it"));
        }
        (last_row, last_end) = (Some(entry.row), entry.end);
    }
    if last_end != stored {
        return Err(format!(
            "payloads end at byte {last_end}, but null_data.bytes holds {stored}"
        ));
    }
    Ok(())
}
