//! The `cryo` import format: a directory of [cryo](https://github.com/paradigmxyz/cryo) Parquet
//! files — `blocks`, `transactions`, `logs`, `traces` or `native_transfers`, `erc20_transfers` —
//! named as cryo names them (`<network>__<dataset>__<start>_to_<end>.parquet`, several files per
//! dataset) or `<dataset>.parquet`, anywhere below the directory.
//!
//! Rows are read with `parquet`'s row API (no arrow) and turned into the same per-block records
//! as an ethereum-etl export ([`crate::etl`]), so the value flows come from the same code
//! ([`crate::flows`]). Any subset of the datasets is accepted; what a missing dataset makes
//! underivable (fees, internal transfers, outcomes, WETH/swap/mixer events) is named in
//! [`ImportReport::format`] and logged.
//!
//! cryo's column types: addresses and hashes are binary (20 / 32 bytes; `--hex` exports give
//! `0x` text, also accepted), block numbers and indexes UInt32 or UInt64, U256 amounts split over
//! `<name>_binary` (32-byte big-endian), `<name>_string` (decimal) and `<name>_f64` (lossy:
//! refused), `gas_price` and `base_fee_per_gas` UInt64, traces' `action_value` decimal text,
//! `trace_address` `_`-joined positions.
//!
//! Parts: [`columns`] (datasets and their columns), [`fields`] (reading Parquet values),
//! [`records`] (one row as a record), [`files`] (files read row group by row group, surveyed),
//! [`coverage`] (what the datasets allow), [`parts`] (one block's rows as ethereum-etl parts);
//! this module finds the files and runs the import.

mod columns;
mod coverage;
mod fields;
mod files;
mod parts;
mod records;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use alloy_primitives::B256;
use chaintrail_core::{Asset, Chain};
use chaintrail_ingest::ordered::{BlockOrder, RowFile, RowReader, total_bytes};
use chaintrail_ingest::{ImportError, ImportOptions, ImportReport, Importer};
use chaintrail_store::Store;

use crate::etl::{BlockSink, assemble, chain_id_file};
use crate::flows::{FlowRules, block_flows};

pub use columns::CryoDataset;
use coverage::Coverage;
use files::{CryoFile, Survey};
use parts::CryoBlock;
use records::CryoRecord;

/// The `cryo` importer (see the module docs).
pub struct Cryo;

impl Importer for Cryo {
    fn name(&self) -> &'static str {
        "cryo"
    }

    fn describe(&self) -> &'static str {
        "a cryo Parquet export directory: blocks, transactions, logs, traces or \
         native_transfers, erc20_transfers (any subset; the report names what could not be \
         derived)"
    }

    fn import(
        &self,
        store: &Store,
        path: &Path,
        options: &ImportOptions<'_>,
    ) -> Result<ImportReport, ImportError> {
        import(store, path, options)
    }
}

fn import(
    store: &Store,
    dir: &Path,
    options: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    let found = find_datasets(dir)?;
    let mut coverage = Coverage::of(found.iter().map(|(dataset, _)| *dataset).collect());
    let files: Vec<CryoFile> = found
        .into_iter()
        .filter(|(dataset, _)| coverage.reads(*dataset))
        .map(|(dataset, path)| CryoFile::new(path, dataset))
        .collect();
    let source_bytes = total_bytes(&files)?;
    let mut order = BlockOrder::scan(files)?;
    let survey = survey(order.files());
    let mut notes = Vec::new();
    let chain_id = chain_id(dir, order.files(), &mut notes)?;
    let format = coverage.settle(&survey, notes, dir);

    let chain = Chain::Evm(chain_id);
    let mut writer = store.writer(chain)?;
    writer.register_asset(&Asset::native(chain))?;
    let canonical = dir.canonicalize().map_err(|source| ImportError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let key = format!("cryo:{}", canonical.display());
    let total = blocks_total(&order);
    let mut sink = BlockSink::open(store, writer, dir, key, source_bytes, total, options)?;
    name_tokens(order.files(), &mut sink)?;
    let rules = FlowRules::new(chain_id, &[]);
    let mut blocks = order.read_from(sink.start());
    while let Some((number, rows)) = blocks.next_block()? {
        let block = CryoBlock::gather(rows.into_iter().map(|placed| placed.row));
        append_block(&mut sink, block, number, &coverage, &rules, dir)?;
    }
    sink.finish(format)
}

/// The files of every dataset chaintrail reads below `dir`, in path order; refused when none
/// carries transfers.
fn find_datasets(dir: &Path) -> Result<Vec<(CryoDataset, PathBuf)>, ImportError> {
    if !dir.is_dir() {
        return Err(ImportError::Source(format!(
            "{} is not a directory: point --format cryo at the directory cryo wrote",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    find_files(dir, &mut files)?;
    files.sort();
    let present: HashSet<CryoDataset> = files.iter().map(|(dataset, _)| *dataset).collect();
    let carries_transfers = [
        CryoDataset::Transactions,
        CryoDataset::Logs,
        CryoDataset::Traces,
        CryoDataset::NativeTransfers,
        CryoDataset::Erc20Transfers,
    ]
    .iter()
    .any(|d| present.contains(d));
    if !carries_transfers {
        return Err(ImportError::Source(format!(
            "{} has no cryo transactions, logs, traces, native_transfers or erc20_transfers \
             files (`<network>__<dataset>__<blocks>.parquet`): nothing to import",
            dir.display()
        )));
    }
    Ok(files)
}

fn find_files(dir: &Path, out: &mut Vec<(CryoDataset, PathBuf)>) -> Result<(), ImportError> {
    let read_err = |source| ImportError::Read {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.is_dir() {
            find_files(&path, out)?;
        } else if let Some(dataset) = CryoDataset::of_file(&path) {
            out.push((dataset, path));
        }
    }
    Ok(())
}

/// What the rows of all files carry, from the scan.
fn survey(files: &[CryoFile]) -> Survey {
    let mut survey = Survey::default();
    for file in files {
        survey.add(&file.survey);
    }
    survey
}

/// The chain the files' `chain_id` columns name, else the `chain_id` file's, else Ethereum
/// (said in `notes`); files of different chains are refused.
fn chain_id(dir: &Path, files: &[CryoFile], notes: &mut Vec<String>) -> Result<u64, ImportError> {
    let mut chain_ids: BTreeMap<u64, PathBuf> = BTreeMap::new();
    for file in files {
        for id in &file.survey.chain_ids {
            chain_ids
                .entry(*id)
                .or_insert_with(|| file.path().to_path_buf());
        }
    }
    match chain_ids.keys().collect::<Vec<_>>().as_slice() {
        [] => Ok(match chain_id_file(dir)? {
            Some(id) => id,
            None => {
                notes.push("chain id 1 assumed (no chain_id column or file)".to_string());
                1
            }
        }),
        [id] => Ok(**id),
        _ => {
            let listed: Vec<String> = chain_ids
                .iter()
                .map(|(id, path)| format!("{id} ({})", path.display()))
                .collect();
            Err(ImportError::Source(format!(
                "{}: files of different chains: {}; import each chain's files separately",
                dir.display(),
                listed.join(", ")
            )))
        }
    }
}

/// Blocks to import, for progress: the `blocks` rows, else the widest dataset's block span.
fn blocks_total(order: &BlockOrder<CryoFile>) -> u64 {
    let stats = order.tables();
    match stats.get(&CryoDataset::Blocks.index()) {
        Some(blocks) => blocks.rows,
        None => stats
            .values()
            .map(|t| t.last_block - t.first_block + 1)
            .max()
            .unwrap_or(0),
    }
}

/// Token metadata of `erc20_metadata` files, named before the blocks. Several snapshots of one
/// token (cryo's blocks dimension): the last row read wins.
fn name_tokens(files: &[CryoFile], sink: &mut BlockSink<'_>) -> Result<(), ImportError> {
    for file in files {
        if file.dataset() != CryoDataset::Erc20Metadata {
            continue;
        }
        let mut rows = file.all_rows()?;
        while let Some((_, _, record)) = rows.next_row()? {
            if let CryoRecord::Erc20Metadata(token, metadata) = record {
                sink.name_source_token(&crate::events::evm(token), metadata)?;
            }
        }
    }
    Ok(())
}

/// Turn one block's rows into flows and append them; errors name `dir` and the block.
fn append_block(
    sink: &mut BlockSink<'_>,
    block: CryoBlock,
    number: u64,
    coverage: &Coverage,
    rules: &FlowRules,
    dir: &Path,
) -> Result<(), ImportError> {
    let block_err = |message: String| {
        ImportError::Source(format!("{}: block {number}: {message}", dir.display()))
    };
    if coverage.blocks && block.block.is_none() {
        return Err(block_err(
            "the blocks files lack this block, but other datasets have rows for it: export the \
             same block range of every dataset"
                .to_string(),
        ));
    }
    let (parts, unknown_senders) = block.into_parts(number, coverage);
    let bundle = assemble(parts, coverage.traces || coverage.natives).map_err(block_err)?;
    let flows = block_flows(rules, &bundle).map_err(|e| block_err(e.to_string()))?;
    let txs = flows
        .txs
        .iter()
        .zip(flows.events)
        .map(|(tx, mut tx_events)| {
            if !coverage.transactions || unknown_senders.contains(&B256::from(tx.hash.0)) {
                // Swap, mixer and kept-log records name the transaction's sender, which is
                // unknown here.
                tx_events.drop_sender_events();
            }
            (tx, tx_events)
        });
    sink.append_block(&bundle.block, txs)
}
