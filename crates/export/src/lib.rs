//! Parquet export of the store's canonical tables, so the data can be queried with any engine
//! (DuckDB, DataFusion, Spark, BigQuery).
//!
//! This crate owns the mapping from store columns to Parquet tables and their column names,
//! which follow ethereum-etl / cryo for account chains (`blocks`, `transactions`, `transfers`)
//! and bitcoin-etl for UTXO chains (`blocks`, `transactions`, `inputs`, `outputs`). Amounts are
//! written exactly as decimal strings (`value`), with a lossy `value_f64` beside them for quick
//! analytics, as cryo does. The schema is documented in docs/schema.md.
//!
//! Files are written to a temp name and renamed into place, so an interrupted export leaves no
//! half-written table behind.

#![warn(missing_docs)]

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chaintrail_core::ethereum_etl as etl;
use chaintrail_core::{ChainModel, TxHash};
use chaintrail_store::ChainReader;
use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

const ROW_GROUP: usize = 1 << 20;

/// Why an export failed, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The file cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The Parquet writer failed.
    #[error("parquet error writing {}: {source}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: parquet::errors::ParquetError,
    },
    /// A segment of the store read for the export is damaged; nothing of it is put in place.
    #[error(transparent)]
    Store(#[from] chaintrail_store::StoreError),
}

/// One exported table file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportedTable {
    /// The table's name (`transfers`, `outputs`, …).
    pub table: String,
    /// Where it was written.
    pub path: PathBuf,
    /// Rows written.
    pub rows: u64,
    /// Size of the file.
    pub bytes: u64,
}

/// The Parquet type of an exported column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// A 64-bit integer.
    Int64,
    /// A 64-bit integer, null where the store does not know it.
    OptInt64,
    /// UTF-8 text.
    Utf8,
    /// UTF-8 text or null.
    OptUtf8,
    /// A boolean.
    Bool,
    /// A 64-bit float.
    Double,
}

use ColumnKind as Kind;

/// The columns of one exported table, in file order.
pub type Columns = &'static [(&'static str, ColumnKind)];

const BLOCKS: Columns = &[
    (etl::blocks::NUMBER, Kind::Int64),
    (etl::blocks::TIMESTAMP, Kind::Int64),
];

const ACCOUNT_TRANSACTIONS: Columns = &[
    (etl::transactions::HASH, Kind::Utf8),
    (etl::transactions::BLOCK_NUMBER, Kind::Int64),
    (etl::transactions::BLOCK_TIMESTAMP, Kind::Int64),
    ("transfer_count", Kind::Int64),
];

/// ethereum-etl's token_transfers columns for what they name; the rest as cryo.
const TRANSFERS: Columns = &[
    ("chain_id", Kind::Int64),
    (etl::token_transfers::BLOCK_NUMBER, Kind::Int64),
    (etl::transactions::BLOCK_TIMESTAMP, Kind::Int64),
    (etl::token_transfers::TRANSACTION_HASH, Kind::Utf8),
    ("transfer_index", Kind::Int64),
    ("kind", Kind::Utf8),
    (etl::token_transfers::FROM_ADDRESS, Kind::OptUtf8),
    (etl::token_transfers::TO_ADDRESS, Kind::OptUtf8),
    (etl::token_transfers::TOKEN_ADDRESS, Kind::OptUtf8),
    (etl::tokens::SYMBOL, Kind::Utf8),
    (etl::token_transfers::VALUE, Kind::Utf8),
    ("value_f64", Kind::Double),
    ("success", Kind::Bool),
];

const UTXO_TRANSACTIONS: Columns = &[
    ("hash", Kind::Utf8),
    ("block_number", Kind::Int64),
    ("block_timestamp", Kind::Int64),
    ("input_count", Kind::Int64),
    ("output_count", Kind::Int64),
    ("is_coinbase", Kind::Bool),
    ("fee", Kind::OptInt64),
];

const INPUTS: Columns = &[
    ("transaction_hash", Kind::Utf8),
    ("block_number", Kind::Int64),
    ("block_timestamp", Kind::Int64),
    ("index", Kind::Int64),
    ("spent_transaction_hash", Kind::OptUtf8),
    ("spent_output_index", Kind::OptInt64),
    ("address", Kind::OptUtf8),
    ("value", Kind::OptInt64),
    ("is_coinbase", Kind::Bool),
];

const OUTPUTS: Columns = &[
    ("transaction_hash", Kind::Utf8),
    ("block_number", Kind::Int64),
    ("block_timestamp", Kind::Int64),
    ("index", Kind::Int64),
    ("address", Kind::OptUtf8),
    ("type", Kind::Utf8),
    ("value", Kind::Int64),
    ("spent_by_transaction_hash", Kind::OptUtf8),
];

/// The tables exported for a chain of `model`, with their columns.
pub fn tables(model: ChainModel) -> &'static [(&'static str, Columns)] {
    match model {
        ChainModel::Account => &[
            (etl::blocks::TABLE, BLOCKS),
            (etl::transactions::TABLE, ACCOUNT_TRANSACTIONS),
            ("transfers", TRANSFERS),
        ],
        ChainModel::Utxo => &[
            (etl::blocks::TABLE, BLOCKS),
            ("transactions", UTXO_TRANSACTIONS),
            ("inputs", INPUTS),
            ("outputs", OUTPUTS),
        ],
    }
}

enum Values {
    Int64(Vec<i64>),
    OptInt64(Vec<i64>, Vec<i16>),
    Utf8(Vec<ByteArray>),
    OptUtf8(Vec<ByteArray>, Vec<i16>),
    Bool(Vec<bool>),
    Double(Vec<f64>),
}

/// A table being written: a schema and one buffer per column, flushed as row groups.
struct TableWriter {
    name: &'static str,
    path: PathBuf,
    tmp: PathBuf,
    columns: Columns,
    buffers: Vec<Values>,
    buffered: usize,
    rows: u64,
    writer: SerializedFileWriter<File>,
}

/// A cell of a row. Rows are pushed as slices of cells in column order.
enum Cell {
    I(i64),
    OI(Option<i64>),
    S(String),
    O(Option<String>),
    B(bool),
    F(f64),
}

impl TableWriter {
    /// A writer of table `name` to the file `path` (its directory created if needed).
    fn create(
        path: PathBuf,
        name: &'static str,
        columns: Columns,
    ) -> Result<TableWriter, ExportError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let file_name = path
            .file_name()
            .map_or_else(|| name.into(), |f| f.to_string_lossy());
        let tmp = dir.join(format!(".{file_name}.tmp"));
        let parquet_err = |source| ExportError::Parquet {
            path: path.clone(),
            source,
        };
        let fields = columns
            .iter()
            .map(|(column, kind)| {
                let (physical, logical, repetition) = match kind {
                    Kind::Int64 => (PhysicalType::INT64, None, Repetition::REQUIRED),
                    Kind::OptInt64 => (PhysicalType::INT64, None, Repetition::OPTIONAL),
                    Kind::Utf8 => (
                        PhysicalType::BYTE_ARRAY,
                        Some(LogicalType::String),
                        Repetition::REQUIRED,
                    ),
                    Kind::OptUtf8 => (
                        PhysicalType::BYTE_ARRAY,
                        Some(LogicalType::String),
                        Repetition::OPTIONAL,
                    ),
                    Kind::Bool => (PhysicalType::BOOLEAN, None, Repetition::REQUIRED),
                    Kind::Double => (PhysicalType::DOUBLE, None, Repetition::REQUIRED),
                };
                Type::primitive_type_builder(column, physical)
                    .with_logical_type(logical)
                    .with_repetition(repetition)
                    .build()
                    .map(Arc::new)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(parquet_err)?;
        let schema = Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .map_err(parquet_err)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let file = File::create(&tmp).map_err(|source| ExportError::Io {
            path: tmp.clone(),
            source,
        })?;
        let writer = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props))
            .map_err(parquet_err)?;
        let buffers = columns.iter().map(|(_, kind)| empty(*kind)).collect();
        Ok(TableWriter {
            name,
            path,
            tmp,
            columns,
            buffers,
            buffered: 0,
            rows: 0,
            writer,
        })
    }

    fn push(&mut self, row: Vec<Cell>) -> Result<(), ExportError> {
        for (buffer, cell) in self.buffers.iter_mut().zip(row) {
            match (buffer, cell) {
                (Values::Int64(v), Cell::I(x)) => v.push(x),
                (Values::OptInt64(v, defs), Cell::OI(x)) => match x {
                    Some(x) => {
                        v.push(x);
                        defs.push(1);
                    }
                    None => defs.push(0),
                },
                (Values::Utf8(v), Cell::S(x)) => v.push(ByteArray::from(x.into_bytes())),
                (Values::OptUtf8(v, defs), Cell::O(x)) => match x {
                    Some(x) => {
                        v.push(ByteArray::from(x.into_bytes()));
                        defs.push(1);
                    }
                    None => defs.push(0),
                },
                (Values::Bool(v), Cell::B(x)) => v.push(x),
                (Values::Double(v), Cell::F(x)) => v.push(x),
                _ => unreachable!("rows are built to match their table's schema"),
            }
        }
        self.buffered += 1;
        self.rows += 1;
        if self.buffered >= ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ExportError> {
        if self.buffered == 0 {
            return Ok(());
        }
        let path = self.path.clone();
        let parquet_err = |source| ExportError::Parquet {
            path: path.clone(),
            source,
        };
        let mut group = self.writer.next_row_group().map_err(parquet_err)?;
        for buffer in &self.buffers {
            let Some(mut column) = group.next_column().map_err(parquet_err)? else {
                break;
            };
            match buffer {
                Values::Int64(v) => column.typed::<Int64Type>().write_batch(v, None, None),
                Values::OptInt64(v, defs) => {
                    column.typed::<Int64Type>().write_batch(v, Some(defs), None)
                }
                Values::Utf8(v) => column.typed::<ByteArrayType>().write_batch(v, None, None),
                Values::OptUtf8(v, defs) => {
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(v, Some(defs), None)
                }
                Values::Bool(v) => column.typed::<BoolType>().write_batch(v, None, None),
                Values::Double(v) => column.typed::<DoubleType>().write_batch(v, None, None),
            }
            .map_err(parquet_err)?;
            column.close().map_err(parquet_err)?;
        }
        group.close().map_err(parquet_err)?;
        self.buffers = self.columns.iter().map(|(_, kind)| empty(*kind)).collect();
        self.buffered = 0;
        Ok(())
    }

    fn finish(mut self) -> Result<ExportedTable, ExportError> {
        self.flush()?;
        let path = self.path.clone();
        self.writer.close().map_err(|source| ExportError::Parquet {
            path: path.clone(),
            source,
        })?;
        std::fs::rename(&self.tmp, &self.path).map_err(|source| ExportError::Io {
            path: path.clone(),
            source,
        })?;
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        Ok(ExportedTable {
            table: self.name.to_string(),
            path,
            rows: self.rows,
            bytes,
        })
    }
}

fn empty(kind: Kind) -> Values {
    match kind {
        Kind::Int64 => Values::Int64(Vec::new()),
        Kind::OptInt64 => Values::OptInt64(Vec::new(), Vec::new()),
        Kind::Utf8 => Values::Utf8(Vec::new()),
        Kind::OptUtf8 => Values::OptUtf8(Vec::new(), Vec::new()),
        Kind::Bool => Values::Bool(Vec::new()),
        Kind::Double => Values::Double(Vec::new()),
    }
}

fn int(value: u64) -> Cell {
    Cell::I(i64::try_from(value).unwrap_or(i64::MAX))
}

fn opt_int(value: Option<u64>) -> Cell {
    Cell::OI(value.map(|v| i64::try_from(v).unwrap_or(i64::MAX)))
}

/// Export every canonical table of one chain into `dir` (created if needed), one file per
/// table: `dir/<table>.parquet`.
pub fn export_parquet(reader: &ChainReader, dir: &Path) -> Result<Vec<ExportedTable>, ExportError> {
    export_parquet_blocks(reader, 0..reader.block_count(), &|table| {
        dir.join(format!("{table}.parquet"))
    })
}

/// Export the rows of the blocks at indexes `blocks` (indexes into the chain's blocks table,
/// not heights) of every canonical table of one chain, table `t` to the file `path_of(t)`
/// (directories created as needed). A partitioned export calls this once per block range.
pub fn export_parquet_blocks(
    reader: &ChainReader,
    blocks: Range<usize>,
    path_of: &dyn Fn(&str) -> PathBuf,
) -> Result<Vec<ExportedTable>, ExportError> {
    let blocks = blocks.start.min(reader.block_count())..blocks.end.min(reader.block_count());
    let txs = if blocks.is_empty() {
        0..0
    } else {
        reader.block_txs(blocks.start).start..reader.block_txs(blocks.end - 1).end
    };
    let create =
        |table: &'static str, columns: Columns| TableWriter::create(path_of(table), table, columns);
    let hash_text = |hash: TxHash| match reader.model() {
        ChainModel::Account => hash.to_hex_prefixed(),
        ChainModel::Utxo => hash.to_hex(),
    };
    let address_text = |id: u32| reader.address(id).map(|a| a.to_string());
    let chain_id = match reader.chain() {
        chaintrail_core::Chain::Evm(id) => id,
        chaintrail_core::Chain::Bitcoin(_) => 0,
    };
    let mut tables = Vec::new();

    let mut block_table = create(etl::blocks::TABLE, BLOCKS)?;
    for index in blocks {
        let block = reader.block(index);
        block_table.push(vec![int(block.height), int(block.timestamp)])?;
    }
    // A table is put in place only when nothing it was made of came from a damaged segment.
    reader.ensure_intact()?;
    tables.push(block_table.finish()?);

    match reader.model() {
        ChainModel::Account => {
            let mut tx_table = create(etl::transactions::TABLE, ACCOUNT_TRANSACTIONS)?;
            let mut transfers = create("transfers", TRANSFERS)?;
            for tx in txs.clone() {
                let hash = hash_text(reader.tx_hash(tx));
                let block = reader.tx_block(tx);
                let rows = reader.tx_transfers(tx);
                tx_table.push(vec![
                    Cell::S(hash.clone()),
                    int(block.height),
                    int(block.timestamp),
                    int(rows.end - rows.start),
                ])?;
                for row in rows {
                    let Some(t) = reader.transfer(row) else {
                        continue;
                    };
                    let asset = reader.asset(t.asset);
                    let decimals = asset.map_or(0, |a| a.decimals);
                    transfers.push(vec![
                        int(chain_id),
                        int(block.height),
                        int(block.timestamp),
                        Cell::S(hash.clone()),
                        int(u64::from(t.position)),
                        Cell::S(t.kind.to_string()),
                        Cell::O(address_text(t.from)),
                        Cell::O(address_text(t.to)),
                        Cell::O(asset.and_then(|a| a.contract()).map(ToString::to_string)),
                        Cell::S(asset.map_or_else(String::new, |a| a.symbol.clone())),
                        Cell::S(t.amount.to_string()),
                        Cell::F(t.amount.to_f64_units(decimals)),
                        Cell::B(t.success),
                    ])?;
                }
            }
            reader.ensure_intact()?;
            tables.push(tx_table.finish()?);
            tables.push(transfers.finish()?);
        }
        ChainModel::Utxo => {
            let mut tx_table = create("transactions", UTXO_TRANSACTIONS)?;
            let mut inputs = create("inputs", INPUTS)?;
            let mut outputs = create("outputs", OUTPUTS)?;
            for tx in txs.clone() {
                let hash = hash_text(reader.tx_hash(tx));
                let block = reader.tx_block(tx);
                let (in_rows, out_rows) = (reader.tx_inputs(tx), reader.tx_outputs(tx));
                let mut coinbase = false;
                for (index, row) in in_rows.clone().enumerate() {
                    let Some(input) = reader.input(row) else {
                        continue;
                    };
                    coinbase |= input.coinbase;
                    inputs.push(vec![
                        Cell::S(hash.clone()),
                        int(block.height),
                        int(block.timestamp),
                        int(index as u64),
                        Cell::O(input.prevout.map(|p| hash_text(p.tx))),
                        opt_int(input.prevout.map(|p| u64::from(p.vout))),
                        Cell::O(input.address.and_then(address_text)),
                        opt_int(input.value),
                        Cell::B(input.coinbase),
                    ])?;
                }
                for row in out_rows.clone() {
                    let Some(output) = reader.output(row) else {
                        continue;
                    };
                    let address = reader.address(output.address);
                    outputs.push(vec![
                        Cell::S(hash.clone()),
                        int(block.height),
                        int(block.timestamp),
                        int(u64::from(output.vout)),
                        Cell::O(address.as_ref().map(ToString::to_string)),
                        Cell::S(
                            address
                                .as_ref()
                                .map_or("unknown", |a| a.type_name())
                                .to_string(),
                        ),
                        int(output.value),
                        Cell::O(output.spent_by.map(|t| hash_text(reader.tx_hash(t)))),
                    ])?;
                }
                tx_table.push(vec![
                    Cell::S(hash),
                    int(block.height),
                    int(block.timestamp),
                    int(in_rows.end - in_rows.start),
                    int(out_rows.end - out_rows.start),
                    Cell::B(coinbase),
                    opt_int(reader.tx_fee(tx)),
                ])?;
            }
            reader.ensure_intact()?;
            tables.push(tx_table.finish()?);
            tables.push(inputs.finish()?);
            tables.push(outputs.finish()?);
        }
    }
    Ok(tables)
}
