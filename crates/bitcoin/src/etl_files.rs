//! The files of a bitcoin-etl export and how their lines are read, one at a time, for
//! [`chaintrail_ingest::ordered`] to merge block by block.
//!
//! Layouts (any mix, anywhere below the directory):
//! - `transactions.json` (and `blocks.json`), as `bitcoinetl export_blocks_and_transactions`
//!   writes them; the path may also name the transactions file itself;
//! - per block range or date, as `bitcoinetl export_all` partitions them:
//!   `transactions/start_block=…/end_block=…/transactions_00000000_00099999.json`,
//!   `blocks/date=2019-01-01/blocks_….json`;
//! - `bitcoinetl stream` output captured to a file: `block` and `transaction` items, each with
//!   its `type`.
//!
//! Every line is placed by what it holds: a transaction has `block_number`, a block has
//! `number` (and `transaction_count`, checked against the transactions of its block).

use std::path::{Path, PathBuf};

use chaintrail_ingest::ImportError;
use chaintrail_ingest::ordered::{Position, RowFile, RowReader};
use chaintrail_ingest::text::{Lines, first_item_type};
use serde::Deserialize;

use crate::etl::EtlTransaction;

/// Table of transaction lines.
pub(crate) const TRANSACTIONS: usize = 0;
/// Table of block lines.
pub(crate) const BLOCKS: usize = 1;

/// Just enough of a line to place it.
#[derive(Deserialize)]
struct LineKey {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    block_number: Option<u64>,
    number: Option<u64>,
    index: Option<u64>,
    transaction_count: Option<u64>,
}

impl LineKey {
    /// (table, height) of the line.
    fn place(&self) -> Option<(usize, u64)> {
        match (self.kind.as_deref(), self.block_number, self.number) {
            (Some("block"), _, Some(height)) | (None, None, Some(height)) => Some((BLOCKS, height)),
            (Some("transaction") | None, Some(height), _) => Some((TRANSACTIONS, height)),
            _ => None,
        }
    }
}

/// A line of a bitcoin-etl export.
pub(crate) enum BtcRow {
    /// A transaction and its position in the block, when the export says.
    Transaction(Box<EtlTransaction>, Option<u64>),
    /// A block and the number of transactions it declares.
    Block(Option<u64>),
}

/// One JSON-lines file of a bitcoin-etl export.
pub(crate) struct BtcFile {
    pub(crate) path: PathBuf,
}

fn parse_err(path: &Path, line: u64, message: String) -> ImportError {
    ImportError::Parse {
        path: path.to_path_buf(),
        line,
        message,
    }
}

fn key_of(path: &Path, at: Position, line: &str) -> Result<(usize, u64, LineKey), ImportError> {
    let key: LineKey = serde_json::from_str(line)
        .map_err(|e| parse_err(path, at.line, format!("not a bitcoin-etl record: {e}")))?;
    let (table, height) = key.place().ok_or_else(|| {
        parse_err(
            path,
            at.line,
            "neither a transaction (block_number) nor a block (number)".to_string(),
        )
    })?;
    Ok((table, height, key))
}

impl RowFile for BtcFile {
    type Row = BtcRow;
    type Reader = BtcReader;

    fn path(&self) -> &Path {
        &self.path
    }

    fn scan(
        &mut self,
        each: &mut dyn FnMut(usize, u64, Position) -> Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        let mut lines = Lines::open(&self.path, Position::START)?;
        while let Some((at, line)) = lines.next_line()? {
            if line.trim().is_empty() {
                continue;
            }
            let (table, height, _) = key_of(&self.path, at, line)?;
            each(table, height, at)?;
        }
        Ok(())
    }

    fn open(&self, table: usize, at: Position) -> Result<BtcReader, ImportError> {
        Ok(BtcReader {
            path: self.path.clone(),
            lines: Lines::open(&self.path, at)?,
            table,
        })
    }
}

/// Reads the transaction or the block lines of a [`BtcFile`].
pub(crate) struct BtcReader {
    path: PathBuf,
    lines: Lines,
    table: usize,
}

impl RowReader for BtcReader {
    type Row = BtcRow;

    fn next_row(&mut self) -> Result<Option<(u64, Position, BtcRow)>, ImportError> {
        while let Some((at, line)) = self.lines.next_line()? {
            if line.trim().is_empty() {
                continue;
            }
            let (table, height, key) = key_of(&self.path, at, line)?;
            if table != self.table {
                continue;
            }
            let row = if table == BLOCKS {
                BtcRow::Block(key.transaction_count)
            } else {
                let tx: EtlTransaction = serde_json::from_str(line).map_err(|e| {
                    parse_err(
                        &self.path,
                        at.line,
                        format!("not a bitcoin-etl transaction: {e}"),
                    )
                })?;
                BtcRow::Transaction(Box::new(tx), key.index)
            };
            return Ok(Some((height, at, row)));
        }
        Ok(None)
    }
}

/// Whether a file name is a bitcoin-etl table's: `blocks.json`, `transactions_00000000_00099999.json`.
fn is_table_file(path: &Path) -> bool {
    let (Some(stem), Some(ext)) = (
        path.file_stem().and_then(|s| s.to_str()),
        path.extension().and_then(|e| e.to_str()),
    ) else {
        return false;
    };
    ext == "json"
        && ["blocks", "transactions"].into_iter().any(|table| {
            stem == table
                || stem
                    .strip_prefix(table)
                    .and_then(|rest| rest.strip_prefix('_'))
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
}

fn is_stream_file(path: &Path) -> Result<bool, ImportError> {
    Ok(path
        .extension()
        .is_some_and(|e| e == "json" || e == "jsonl")
        && matches!(
            first_item_type(path)?.as_deref(),
            Some("block" | "transaction")
        ))
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let read_err = |source| ImportError::Read {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if is_table_file(&path) || is_stream_file(&path)? {
            out.push(path);
        }
    }
    Ok(())
}

/// The files of the export at `path` and the path its resume cursor is named after: the
/// transactions file of a plain export (as before partitioned exports were read), else the
/// directory.
pub(crate) fn find_export(path: &Path) -> Result<(PathBuf, Vec<BtcFile>), ImportError> {
    let (key, mut paths) = if path.is_dir() {
        let plain = path.join("transactions.json");
        let mut paths = Vec::new();
        collect(path, &mut paths)?;
        let key = if plain.is_file() {
            plain
        } else {
            path.to_path_buf()
        };
        (key, paths)
    } else {
        let mut paths = vec![path.to_path_buf()];
        let blocks = path.parent().map(|p| p.join("blocks.json"));
        if let Some(blocks) = blocks.filter(|b| b.is_file() && b != path) {
            paths.push(blocks);
        }
        (path.to_path_buf(), paths)
    };
    paths.sort();
    if paths.is_empty() {
        return Err(ImportError::Source(format!(
            "{} holds no bitcoin-etl export (transactions.json and blocks.json, or \
             transactions_*.json / blocks_*.json partitions)",
            path.display()
        )));
    }
    let files = paths.into_iter().map(|path| BtcFile { path }).collect();
    Ok((key, files))
}
