//! The files of an ethereum-etl export and how their rows are read, one at a time, for
//! [`chaintrail_ingest::ordered`] to merge block by block.
//!
//! Layouts (any mix, anywhere below the directory):
//! - one file per table: `blocks.csv`, `transactions.json`…;
//! - per block range, as `ethereumetl export_all` partitions them:
//!   `blocks/start_block=00000000/end_block=00099999/blocks_00000000_00099999.csv` (or
//!   `blocks/date=2018-01-01/…`), any number of ranges per table;
//! - `ethereumetl stream` output captured to a file (JSON lines of every table, each item with
//!   its `type`: `block`, `transaction` with `receipt_*` fields, `log`, `token_transfer`, `trace`,
//!   `token`; `contract` items are skipped). Such a file may also be imported on its own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chaintrail_ingest::ImportError;
use chaintrail_ingest::ordered::{Position, RowFile, RowReader};
use chaintrail_ingest::text::{CsvHeader, CsvRecords, Lines, first_item_type};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::etl::{CsvRow, EtlRecord, EtlTable, JsonRow, parse_row};
use crate::rpcjson::u256_text;

enum Layout {
    /// One table as CSV.
    Csv {
        table: EtlTable,
        header: CsvHeader,
        columns: Arc<HashMap<String, usize>>,
    },
    /// One table as JSON lines.
    Json(EtlTable),
    /// `ethereumetl stream` items of every table.
    Stream,
}

/// One file of an ethereum-etl export.
pub(crate) struct EtlFile {
    path: PathBuf,
    layout: Layout,
    /// A stream file holds `token` items (found by the scan).
    stream_tokens: bool,
}

fn read_err(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError {
    let path = path.to_path_buf();
    move |source| ImportError::Read { path, source }
}

impl EtlFile {
    fn table_file(path: PathBuf, table: EtlTable) -> Result<EtlFile, ImportError> {
        let layout = if path.extension().is_some_and(|e| e == "csv") {
            let header = CsvHeader::read(&path)?;
            let columns = header
                .names
                .iter()
                .enumerate()
                .map(|(i, name)| (name.clone(), i))
                .collect();
            Layout::Csv {
                table,
                header,
                columns: Arc::new(columns),
            }
        } else {
            Layout::Json(table)
        };
        Ok(EtlFile {
            path,
            layout,
            stream_tokens: false,
        })
    }

    fn stream_file(path: PathBuf) -> EtlFile {
        EtlFile {
            path,
            layout: Layout::Stream,
            stream_tokens: false,
        }
    }

    /// The table of a one-table file.
    pub(crate) fn table(&self) -> Option<EtlTable> {
        match self.layout {
            Layout::Csv { table, .. } | Layout::Json(table) => Some(table),
            Layout::Stream => None,
        }
    }

    /// Whether the file holds rows of the `tokens` table (known after the scan for streams).
    pub(crate) fn has_tokens(&self) -> bool {
        self.table() == Some(EtlTable::Tokens) || self.stream_tokens
    }

    fn start(&self) -> Position {
        match &self.layout {
            Layout::Csv { header, .. } => header.first,
            Layout::Json(_) | Layout::Stream => Position::START,
        }
    }

    /// Every row of the `tokens` table in this file.
    pub(crate) fn tokens(&self) -> Result<EtlReader, ImportError> {
        self.open(EtlTable::Tokens.index(), self.start())
    }
}

/// The files of the export at `path` (a directory, or one `stream` capture) and the directory
/// that may hold its `chain_id` file.
pub(crate) fn find_export(path: &Path) -> Result<(PathBuf, Vec<EtlFile>), ImportError> {
    if path.is_file() {
        let dir = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        if stream_type(path)?.is_none() {
            return Err(ImportError::Source(format!(
                "{} is neither an export directory nor `ethereumetl stream` output (JSON lines \
                 with a `type` per item): point --format ethereum-etl at the export directory",
                path.display()
            )));
        }
        return Ok((dir, vec![EtlFile::stream_file(path.to_path_buf())]));
    }
    if !path.is_dir() {
        return Err(ImportError::Source(format!(
            "{} is not a directory: point --format ethereum-etl at the export directory",
            path.display()
        )));
    }
    let mut files = Vec::new();
    collect(path, &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((path.to_path_buf(), files))
}

fn collect(dir: &Path, out: &mut Vec<EtlFile>) -> Result<(), ImportError> {
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let path = entry.map_err(read_err(dir))?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if let Some(table) = EtlTable::of_file(&path) {
            out.push(EtlFile::table_file(path, table)?);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "jsonl")
            && stream_type(&path)?.is_some()
        {
            out.push(EtlFile::stream_file(path));
        }
    }
    Ok(())
}

/// The table of a file's first item if the file is `ethereumetl stream` output.
fn stream_type(path: &Path) -> Result<Option<EtlTable>, ImportError> {
    Ok(first_item_type(path)?.and_then(|kind| EtlTable::of_item(&kind)))
}

/// Just enough of a JSON line to place it.
#[derive(Deserialize)]
struct LineKey<'a> {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(borrow, default)]
    number: Option<&'a RawValue>,
    #[serde(borrow, default)]
    block_number: Option<&'a RawValue>,
}

fn block_text(text: &str) -> Result<u64, String> {
    let wide = u256_text(text)?;
    u64::try_from(wide).map_err(|_| format!("{wide} does not fit in 64 bits"))
}

fn block_of_raw(raw: &RawValue) -> Result<u64, String> {
    let text = raw.get();
    if text.starts_with('"') {
        let inner: String = serde_json::from_str(text).map_err(|e| e.to_string())?;
        block_text(&inner)
    } else {
        block_text(text)
    }
}

impl LineKey<'_> {
    fn block(&self, table: EtlTable) -> Result<u64, String> {
        let column = table.block_column();
        let raw = if table == EtlTable::Blocks {
            self.number
        } else {
            self.block_number
        };
        let raw = raw.ok_or_else(|| format!("column `{column}` is missing or empty"))?;
        block_of_raw(raw).map_err(|e| format!("column `{column}`: {e}"))
    }
}

impl RowFile for EtlFile {
    type Row = EtlRecord;
    type Reader = EtlReader;

    fn path(&self) -> &Path {
        &self.path
    }

    fn scan(
        &mut self,
        each: &mut dyn FnMut(usize, u64, Position) -> Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        let parse_err = |line: u64, message: String| ImportError::Parse {
            path: self.path.clone(),
            line,
            message,
        };
        match &self.layout {
            Layout::Csv { table, .. } | Layout::Json(table) if *table == EtlTable::Tokens => {}
            Layout::Csv {
                table,
                header,
                columns,
            } => {
                let column = table.block_column();
                let at_column = columns.get(column).copied();
                let mut records = CsvRecords::open(&self.path, header, header.first)?;
                while let Some((at, record)) = records.next_record()? {
                    let text = at_column.and_then(|i| record.get(i));
                    let block = match text.filter(|t| !t.is_empty()) {
                        Some(text) => block_text(text)
                            .map_err(|e| parse_err(at.line, format!("column `{column}`: {e}")))?,
                        None => {
                            return Err(parse_err(
                                at.line,
                                format!("column `{column}` is missing or empty"),
                            ));
                        }
                    };
                    each(table.index(), block, at)?;
                }
            }
            Layout::Json(table) => {
                let mut lines = Lines::open(&self.path, Position::START)?;
                while let Some((at, line)) = lines.next_line()? {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let key: LineKey = serde_json::from_str(line)
                        .map_err(|e| parse_err(at.line, format!("not a JSON object: {e}")))?;
                    let block = key.block(*table).map_err(|e| parse_err(at.line, e))?;
                    each(table.index(), block, at)?;
                }
            }
            Layout::Stream => {
                let mut tokens = false;
                let mut lines = Lines::open(&self.path, Position::START)?;
                while let Some((at, line)) = lines.next_line()? {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let key: LineKey = serde_json::from_str(line)
                        .map_err(|e| parse_err(at.line, format!("not a JSON object: {e}")))?;
                    let Some(kind) = key.kind.as_deref() else {
                        return Err(parse_err(
                            at.line,
                            "an item without `type` in `ethereumetl stream` output".to_string(),
                        ));
                    };
                    match EtlTable::of_item(kind) {
                        Some(EtlTable::Tokens) => tokens = true,
                        Some(table) => {
                            let block = key.block(table).map_err(|e| parse_err(at.line, e))?;
                            each(table.index(), block, at)?;
                        }
                        // `contract` items and types chaintrail does not read.
                        None => {}
                    }
                }
                self.stream_tokens = tokens;
            }
        }
        Ok(())
    }

    fn open(&self, table: usize, at: Position) -> Result<EtlReader, ImportError> {
        let table = EtlTable::ALL[table];
        Ok(match &self.layout {
            Layout::Csv {
                header, columns, ..
            } => EtlReader {
                path: self.path.clone(),
                table,
                source: Source::Csv {
                    records: CsvRecords::open(&self.path, header, at)?,
                    columns: columns.clone(),
                },
            },
            Layout::Json(_) | Layout::Stream => EtlReader {
                path: self.path.clone(),
                table,
                source: Source::Json {
                    lines: Lines::open(&self.path, at)?,
                    stream: matches!(self.layout, Layout::Stream),
                },
            },
        })
    }
}

enum Source {
    Csv {
        records: CsvRecords,
        columns: Arc<HashMap<String, usize>>,
    },
    Json {
        lines: Lines,
        /// Only items whose `type` is the table's.
        stream: bool,
    },
}

/// Reads one table's rows of an [`EtlFile`], parsed.
pub(crate) struct EtlReader {
    path: PathBuf,
    table: EtlTable,
    source: Source,
}

impl RowReader for EtlReader {
    type Row = EtlRecord;

    fn next_row(&mut self) -> Result<Option<(u64, Position, EtlRecord)>, ImportError> {
        let table = self.table;
        let (at, parsed) = match &mut self.source {
            Source::Csv { records, columns } => {
                let Some((at, record)) = records.next_record()? else {
                    return Ok(None);
                };
                let row = CsvRow { columns, record };
                (at, parse_row(table, &row))
            }
            Source::Json { lines, stream } => loop {
                let Some((at, line)) = lines.next_line()? else {
                    return Ok(None);
                };
                if line.trim().is_empty() {
                    continue;
                }
                let fields: HashMap<String, &RawValue> =
                    serde_json::from_str(line).map_err(|e| ImportError::Parse {
                        path: self.path.clone(),
                        line: at.line,
                        message: format!("not a JSON object: {e}"),
                    })?;
                if *stream {
                    let kind = fields
                        .get("type")
                        .and_then(|raw| serde_json::from_str::<&str>(raw.get()).ok());
                    if kind.and_then(EtlTable::of_item) != Some(table) {
                        continue;
                    }
                }
                break (at, parse_row(table, &JsonRow(fields)));
            },
        };
        let record = parsed.map_err(|message| ImportError::Parse {
            path: self.path.clone(),
            line: at.line,
            message,
        })?;
        Ok(Some((record.block_number().unwrap_or(0), at, record)))
    }
}
