//! cryo's Parquet files read row group by row group, for [`chaintrail_ingest::ordered`] to
//! merge block by block: a scan reads only the block number and the few columns that decide
//! what the import can derive ([`Survey`]); reading parses whole rows, one row group at a time.
//!
//! Positions are (row group, 1-based row of the file). The parquet row API panics on a few
//! malformed inputs; every call into it is guarded so that a bad file gives an error.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chaintrail_ingest::ImportError;
use chaintrail_ingest::ordered::{Position, RowFile, RowReader};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::serialized_reader::ReadOptionsBuilder;
use parquet::record::Field;
use parquet::record::reader::RowIter;
use parquet::schema::types::Type;

use super::columns::{CryoDataset, specs};
use super::fields::{RowView, bool_of, describe_column, int_of, kind_of};
use super::records::{CryoRecord, parse_row};

/// What the rows of a file carry that decides what the import can derive (summed over files).
#[derive(Debug, Clone, Default)]
pub(crate) struct Survey {
    pub(crate) chain_ids: BTreeSet<u64>,
    /// `blocks` rows without fee recipient, or in a file without a base-fee column.
    pub(crate) blocks_without_miner: u64,
    pub(crate) txs_without_success: u64,
    /// Transactions without `gas_used`, or without both `gas_price` and `max_fee_per_gas`.
    pub(crate) txs_without_gas: u64,
    pub(crate) blob_txs: u64,
    pub(crate) txs_with_timestamp: u64,
}

impl Survey {
    pub(crate) fn add(&mut self, other: &Survey) {
        self.chain_ids.extend(&other.chain_ids);
        self.blocks_without_miner += other.blocks_without_miner;
        self.txs_without_success += other.txs_without_success;
        self.txs_without_gas += other.txs_without_gas;
        self.blob_txs += other.blob_txs;
        self.txs_with_timestamp += other.txs_with_timestamp;
    }
}

/// The columns read from a file: a projection and, per spec key, its place and name.
struct Columns {
    projection: Type,
    index: HashMap<&'static str, (usize, String)>,
}

/// The spec keys the scan reads.
fn scan_keys(dataset: CryoDataset) -> &'static [&'static str] {
    match dataset {
        CryoDataset::Blocks => &["number", "chain_id", "miner"],
        CryoDataset::Transactions => &[
            "block",
            "chain_id",
            "success",
            "gas_used",
            "gas_price",
            "max_fee",
            "type",
            "timestamp",
        ],
        CryoDataset::Erc20Metadata => &["chain_id"],
        _ => &["block", "chain_id"],
    }
}

fn block_key(dataset: CryoDataset) -> &'static str {
    match dataset {
        CryoDataset::Blocks => "number",
        _ => "block",
    }
}

/// Check that the columns of `dataset`'s specs are there with usable types, and select those of
/// `keys` (all when `None`).
fn select(
    reader: &SerializedFileReader<File>,
    path: &Path,
    dataset: CryoDataset,
    keys: Option<&[&str]>,
) -> Result<Columns, ImportError> {
    let source_err =
        |message: String| ImportError::Source(format!("{}: {message}", path.display()));
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (i, column) in schema.columns().iter().enumerate() {
        if column.path().parts().len() == 1 {
            by_name.insert(column.name(), i);
        }
    }
    let mut fields: Vec<Arc<Type>> = Vec::new();
    let mut index: HashMap<&'static str, (usize, String)> = HashMap::new();
    for spec in specs(dataset) {
        let found = spec
            .names
            .iter()
            .find_map(|name| by_name.get(name).map(|i| (*name, *i)));
        let Some((name, i)) = found else {
            if !spec.required {
                continue;
            }
            let lossy: Vec<String> = spec
                .names
                .iter()
                .flat_map(|n| [format!("{n}_f64"), format!("{n}_f32")])
                .filter(|n| by_name.contains_key(n.as_str()))
                .collect();
            return Err(source_err(if let Some(lossy) = lossy.first() {
                format!(
                    "column `{lossy}` holds lossy floats and no exact column ({}) is present: \
                     re-export with cryo's `--u256-types binary string`",
                    spec.names.join(", ")
                )
            } else {
                format!(
                    "column `{}` is missing from this `{}` file",
                    spec.names.join("` / `"),
                    dataset.name()
                )
            }));
        };
        let column = schema.column(i);
        if !kind_of(&column).is_some_and(|k| spec.class.accepts(k)) {
            return Err(source_err(format!(
                "column `{name}` has the wrong type: expected {}, found {}",
                spec.class.describe(),
                describe_column(&column)
            )));
        }
        if keys.is_some_and(|keys| !keys.contains(&spec.key)) {
            continue;
        }
        index.insert(spec.key, (fields.len(), name.to_string()));
        fields.push(column.self_type_ptr());
    }
    let projection = Type::group_type_builder("schema")
        .with_fields(fields)
        .build()
        .map_err(|e| source_err(format!("cannot select columns: {e}")))?;
    Ok(Columns { projection, index })
}

/// Run `read`, turning a panic of the parquet reader into an error naming the file.
fn guarded<T>(
    path: &Path,
    read: impl FnOnce() -> Result<T, ImportError>,
) -> Result<T, ImportError> {
    std::panic::catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(ImportError::Source(format!(
            "{}: the Parquet reader failed on this file (corrupt or unsupported encoding)",
            path.display()
        )))
    })
}

/// One cryo Parquet file.
pub(crate) struct CryoFile {
    path: PathBuf,
    dataset: CryoDataset,
    /// Every column the dataset's rows are parsed from (known after the scan).
    columns: Option<Arc<Columns>>,
    /// The 1-based row number of each row group's first row.
    group_first_row: Arc<Vec<u64>>,
    pub(crate) survey: Survey,
}

impl CryoFile {
    pub(crate) fn new(path: PathBuf, dataset: CryoDataset) -> CryoFile {
        CryoFile {
            path,
            dataset,
            columns: None,
            group_first_row: Arc::new(Vec::new()),
            survey: Survey::default(),
        }
    }

    pub(crate) fn dataset(&self) -> CryoDataset {
        self.dataset
    }

    fn open_parquet(&self) -> Result<SerializedFileReader<File>, ImportError> {
        let file = File::open(&self.path).map_err(|source| ImportError::Read {
            path: self.path.clone(),
            source,
        })?;
        SerializedFileReader::new(file).map_err(|e| self.not_parquet(e))
    }

    fn not_parquet(&self, e: parquet::errors::ParquetError) -> ImportError {
        ImportError::Source(format!(
            "{}: not a Parquet file ({e}); cryo's `{}` dataset is expected here",
            self.path.display(),
            self.dataset.name()
        ))
    }

    /// Every row of the file (for `erc20_metadata`, which is not block-ordered).
    pub(crate) fn all_rows(&self) -> Result<CryoReader, ImportError> {
        self.open(self.dataset.index(), Position::START)
    }
}

fn survey_row(dataset: CryoDataset, row: &RowView, has_base_fee: bool, survey: &mut Survey) {
    let known = |key: &str| row.field(key).is_some_and(|(f, _)| *f != Field::Null);
    match dataset {
        CryoDataset::Blocks if !(known("miner") && has_base_fee) => {
            survey.blocks_without_miner += 1;
        }
        CryoDataset::Transactions => {
            if !row.get("success", bool_of).is_ok_and(|v| v.is_some()) {
                survey.txs_without_success += 1;
            }
            if !(known("gas_used") && (known("gas_price") || known("max_fee"))) {
                survey.txs_without_gas += 1;
            }
            if row.int("type").is_ok_and(|t| t == Some(3)) {
                survey.blob_txs += 1;
            }
            if known("timestamp") {
                survey.txs_with_timestamp += 1;
            }
        }
        _ => {}
    }
}

impl RowFile for CryoFile {
    type Row = CryoRecord;
    type Reader = CryoReader;

    fn path(&self) -> &Path {
        &self.path
    }

    fn scan(
        &mut self,
        each: &mut dyn FnMut(usize, u64, Position) -> Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        let path = self.path.clone();
        let dataset = self.dataset;
        let reader = guarded(&path, || self.open_parquet())?;
        let full = select(&reader, &path, dataset, None)?;
        let scanned = select(&reader, &path, dataset, Some(scan_keys(dataset)))?;
        let has_base_fee = full.index.contains_key("base_fee");
        let mut group_first_row = Vec::with_capacity(reader.num_row_groups());
        let mut survey = Survey::default();
        let row_err = |line: u64, message: String| ImportError::Parse {
            path: path.clone(),
            line,
            message: format!("row {line}: {message}"),
        };
        guarded(&path, || {
            let mut row_number = 0u64;
            for group in 0..reader.num_row_groups() {
                group_first_row.push(row_number + 1);
                let group_err = |e: parquet::errors::ParquetError| {
                    ImportError::Source(format!("{}: row group {group}: {e}", path.display()))
                };
                let group_reader = reader.get_row_group(group).map_err(group_err)?;
                let rows = RowIter::from_row_group(
                    Some(scanned.projection.clone()),
                    group_reader.as_ref(),
                )
                .map_err(group_err)?;
                for row in rows {
                    row_number += 1;
                    let row =
                        row.map_err(|e| row_err(row_number, format!("unreadable row: {e}")))?;
                    let fields = row.into_columns();
                    let view = RowView {
                        fields: &fields,
                        index: &scanned.index,
                    };
                    if let Some(id) = view.int("chain_id").map_err(|e| row_err(row_number, e))? {
                        survey.chain_ids.insert(id);
                    }
                    survey_row(dataset, &view, has_base_fee, &mut survey);
                    if dataset == CryoDataset::Erc20Metadata {
                        continue;
                    }
                    let block = view
                        .need(block_key(dataset), int_of)
                        .map_err(|e| row_err(row_number, e))?;
                    let at = Position {
                        offset: group as u64,
                        line: row_number,
                    };
                    each(dataset.index(), block, at)?;
                }
            }
            Ok(())
        })?;
        self.columns = Some(Arc::new(full));
        self.group_first_row = Arc::new(group_first_row);
        self.survey = survey;
        Ok(())
    }

    fn open(&self, _table: usize, at: Position) -> Result<CryoReader, ImportError> {
        let columns = self.columns.clone().ok_or_else(|| {
            ImportError::Source(format!(
                "{}: read before it was scanned",
                self.path.display()
            ))
        })?;
        let group = usize::try_from(at.offset).unwrap_or(usize::MAX);
        let first_row = self.group_first_row.get(group).copied().unwrap_or(1);
        let mut reader = guarded(&self.path, || {
            let file = File::open(&self.path).map_err(|source| ImportError::Read {
                path: self.path.clone(),
                source,
            })?;
            let options = ReadOptionsBuilder::new()
                .with_predicate(Box::new(move |_, i| i >= group))
                .build();
            let parquet = SerializedFileReader::new_with_options(file, options)
                .map_err(|e| self.not_parquet(e))?;
            let rows = RowIter::from_file_into(Box::new(parquet))
                .project(Some(columns.projection.clone()))
                .map_err(|e| {
                    ImportError::Source(format!(
                        "{}: cannot select columns: {e}",
                        self.path.display()
                    ))
                })?;
            Ok(CryoReader {
                path: self.path.clone(),
                dataset: self.dataset,
                rows,
                columns: columns.clone(),
                group_first_row: self.group_first_row.clone(),
                row_number: first_row - 1,
            })
        })?;
        while reader.row_number + 1 < at.line {
            if reader.next_fields()?.is_none() {
                break;
            }
        }
        Ok(reader)
    }
}

/// Reads a [`CryoFile`]'s rows, parsed.
pub(crate) struct CryoReader {
    path: PathBuf,
    dataset: CryoDataset,
    rows: RowIter<'static>,
    columns: Arc<Columns>,
    group_first_row: Arc<Vec<u64>>,
    row_number: u64,
}

impl CryoReader {
    fn next_fields(&mut self) -> Result<Option<Vec<(String, Field)>>, ImportError> {
        let path = self.path.clone();
        let next = guarded(&path, || Ok(self.rows.next()))?;
        let Some(row) = next else {
            return Ok(None);
        };
        self.row_number += 1;
        let row = row.map_err(|e| ImportError::Parse {
            path: self.path.clone(),
            line: self.row_number,
            message: format!("row {}: unreadable row: {e}", self.row_number),
        })?;
        Ok(Some(row.into_columns()))
    }
}

impl RowReader for CryoReader {
    type Row = CryoRecord;

    fn next_row(&mut self) -> Result<Option<(u64, Position, CryoRecord)>, ImportError> {
        let Some(fields) = self.next_fields()? else {
            return Ok(None);
        };
        let view = RowView {
            fields: &fields,
            index: &self.columns.index,
        };
        let record = parse_row(self.dataset, &view).map_err(|message| ImportError::Parse {
            path: self.path.clone(),
            line: self.row_number,
            message: format!("row {}: {message}", self.row_number),
        })?;
        let group = self
            .group_first_row
            .partition_point(|&first| first <= self.row_number)
            .saturating_sub(1);
        let at = Position {
            offset: group as u64,
            line: self.row_number,
        };
        Ok(Some((record.block_number(), at, record)))
    }
}
