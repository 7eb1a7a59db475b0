//! Positioned readers of text exports: JSON lines and CSV, each row at most [`MAX_ROW_BYTES`],
//! started at any row a previous read reported (so that a block-ordered merge can come back to a
//! place in a file without keeping the rows in between).

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::ImportError;
use crate::lines::LineReader;
use crate::ordered::Position;

/// The longest row (JSON line or CSV record) an import reads. The largest real rows — a
/// Bitcoin transaction with tens of thousands of inputs, an Ethereum transaction with a
/// megabyte of calldata — are a few megabytes; a longer one is a broken file (an unclosed
/// quote, a missing line end) that must not be read into memory whole.
pub const MAX_ROW_BYTES: usize = crate::lines::MAX_LINE;

const BUFFER: usize = 256 << 10;

fn open_at(path: &Path, offset: u64) -> Result<File, ImportError> {
    let read_err = |source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(read_err)?;
    if offset > 0 {
        file.seek(SeekFrom::Start(offset)).map_err(read_err)?;
    }
    Ok(file)
}

/// The lines of a text file from a position, one at a time (the bounded [`LineReader`] with
/// the byte position of each line, to resume from).
pub struct Lines {
    reader: LineReader<BufReader<File>>,
    next: Position,
}

impl Lines {
    /// Read from `at` (the start of a line: [`Position::START`] or one this reader reported).
    pub fn open(path: &Path, at: Position) -> Result<Lines, ImportError> {
        let file = BufReader::with_capacity(BUFFER, open_at(path, at.offset)?);
        Ok(Lines {
            reader: LineReader::new(file, path, at.line),
            next: at,
        })
    }

    /// The next line (without its line end) and where it starts; `None` at the end of the file.
    pub fn next_line(&mut self) -> Result<Option<(Position, &str)>, ImportError> {
        let at = self.next;
        let Some(line) = self.reader.next_line()? else {
            return Ok(None);
        };
        self.next = Position {
            offset: at.offset + line.bytes as u64,
            line: at.line + 1,
        };
        Ok(Some((at, line.text)))
    }
}

/// The `type` of the first non-empty line of a JSON-lines file, if that line is an object with a
/// string `type`: how the `stream` commands of ethereum-etl and bitcoin-etl mark their items.
pub fn first_item_type(path: &Path) -> Result<Option<String>, ImportError> {
    #[derive(serde::Deserialize)]
    struct Typed {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    let mut lines = Lines::open(path, Position::START)?;
    while let Some((_, line)) = lines.next_line()? {
        if line.trim().is_empty() {
            continue;
        }
        return Ok(serde_json::from_str::<Typed>(line)
            .ok()
            .and_then(|t| t.kind));
    }
    Ok(None)
}

/// A reader that refuses to read more than [`MAX_ROW_BYTES`] past the end of the last complete
/// record, so that a CSV file with an unclosed quote fails instead of filling memory.
struct Capped {
    file: File,
    read: u64,
    allowed: Rc<Cell<u64>>,
}

#[derive(Debug)]
struct RowTooLong;

impl std::fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row longer than {} MiB", MAX_ROW_BYTES >> 20)
    }
}

impl std::error::Error for RowTooLong {}

impl Read for Capped {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read > self.allowed.get() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                RowTooLong,
            ));
        }
        let n = self.file.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// The header line of a CSV file.
#[derive(Debug, Clone)]
pub struct CsvHeader {
    /// Column names, in order.
    pub names: Vec<String>,
    /// Where the first record starts.
    pub first: Position,
    /// Lines end in `\r\n` (Python's csv module, hence ethereum-etl, writes them). The csv
    /// parser reports a record as starting at the `\n` left over from the line before, one line
    /// early; reopening there is fine (a blank line is skipped) and the line is corrected.
    crlf: bool,
}

impl CsvHeader {
    /// The header of the CSV file at `path`; no columns (and no rows) for an empty file.
    pub fn read(path: &Path) -> Result<CsvHeader, ImportError> {
        let mut lines = Lines::open(path, Position::START)?;
        let first_line_end = lines.next_line()?.map(|(_, text)| text.len() as u64);
        let crlf = first_line_end.is_some_and(|len| lines.next.offset == len + 2);
        let provisional = CsvHeader {
            names: Vec::new(),
            first: Position::START,
            crlf: false,
        };
        let mut records = CsvRecords::open(path, &provisional, Position::START)?;
        let Some((_, header)) = records.next_record()? else {
            // ethereum-etl writes the header with the first row: a range without rows leaves
            // an empty file.
            return Ok(provisional);
        };
        let names = header.iter().map(str::to_string).collect();
        let raw = records.absolute(records.reader.position());
        let first = Position {
            line: raw.line + u64::from(crlf),
            ..raw
        };
        Ok(CsvHeader { names, first, crlf })
    }
}

/// The records of a CSV file with a header line, from a position, one at a time.
pub struct CsvRecords {
    reader: csv::Reader<Capped>,
    path: PathBuf,
    base: Position,
    allowed: Rc<Cell<u64>>,
    columns: usize,
    crlf: bool,
    record: csv::StringRecord,
}

impl CsvRecords {
    /// Read the records from `at` (the header's `first` or a position this reader reported);
    /// each must have as many fields as the header has names.
    pub fn open(path: &Path, header: &CsvHeader, at: Position) -> Result<CsvRecords, ImportError> {
        let allowed = Rc::new(Cell::new(MAX_ROW_BYTES as u64));
        let capped = Capped {
            file: open_at(path, at.offset)?,
            read: 0,
            allowed: allowed.clone(),
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(BUFFER)
            .from_reader(capped);
        Ok(CsvRecords {
            reader,
            path: path.to_path_buf(),
            // Positions handed out carry corrected lines; the parser counts from the raw one.
            base: Position {
                line: at.line.saturating_sub(u64::from(header.crlf)).max(1),
                ..at
            },
            allowed,
            columns: header.names.len(),
            crlf: header.crlf,
            record: csv::StringRecord::new(),
        })
    }

    fn absolute(&self, pos: &csv::Position) -> Position {
        Position {
            offset: self.base.offset + pos.byte(),
            line: self.base.line + pos.line() - 1,
        }
    }

    /// The next record and where it starts; `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<(Position, &csv::StringRecord)>, ImportError> {
        let before = self.absolute(self.reader.position());
        match self.reader.read_record(&mut self.record) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => {
                let message = match e.kind() {
                    csv::ErrorKind::Io(io)
                        if io.get_ref().is_some_and(|inner| inner.is::<RowTooLong>()) =>
                    {
                        format!(
                            "a row longer than {} MiB: an unclosed quote, or not a CSV table",
                            MAX_ROW_BYTES >> 20
                        )
                    }
                    csv::ErrorKind::Io(_) => {
                        return Err(ImportError::Read {
                            path: self.path.clone(),
                            source: std::io::Error::other(e.to_string()),
                        });
                    }
                    _ => format!("not a CSV row: {e}"),
                };
                return Err(ImportError::Parse {
                    path: self.path.clone(),
                    line: before.line + u64::from(self.crlf),
                    message,
                });
            }
        }
        let end = self.reader.position().byte();
        self.allowed.set(end + MAX_ROW_BYTES as u64);
        let at = match self.record.position() {
            Some(pos) => self.absolute(pos),
            None => before,
        };
        let line = at.line + u64::from(self.crlf);
        if self.columns > 0 && self.record.len() != self.columns {
            return Err(ImportError::Parse {
                path: self.path.clone(),
                line,
                message: format!(
                    "{} fields, but the header has {}",
                    self.record.len(),
                    self.columns
                ),
            });
        }
        Ok(Some((Position { line, ..at }, &self.record)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_reopen_at_a_reported_position() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n3,w\r\n").expect("write");
        let header = CsvHeader::read(&path).expect("header");
        assert_eq!(header.names, vec!["a", "b"]);
        let mut records = CsvRecords::open(&path, &header, header.first).expect("open");
        let (at, row) = records.next_record().expect("row").expect("some");
        assert_eq!((at.line, &row[1]), (2, "x\r\ny"));
        let (second, row) = records.next_record().expect("row").expect("some");
        assert_eq!((second.line, &row[0]), (4, "2"));
        let mut again = CsvRecords::open(&path, &header, second).expect("reopen");
        let (at, row) = again.next_record().expect("row").expect("some");
        assert_eq!((at, &row[1]), (second, "z"));
        let (at, row) = again.next_record().expect("row").expect("some");
        assert_eq!((at.line, &row[0]), (5, "3"));
        assert!(again.next_record().expect("end").is_none());
    }

    #[test]
    fn an_empty_file_is_a_table_without_rows() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "").expect("write");
        let header = CsvHeader::read(&path).expect("header");
        assert!(header.names.is_empty());
        let mut records = CsvRecords::open(&path, &header, header.first).expect("open");
        assert!(records.next_record().expect("end").is_none());
    }

    #[test]
    fn a_row_with_the_wrong_field_count_names_its_line() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\n1,2\n3\n").expect("write");
        let header = CsvHeader::read(&path).expect("header");
        let mut records = CsvRecords::open(&path, &header, header.first).expect("open");
        records.next_record().expect("row 2");
        let err = records.next_record().expect_err("short row").to_string();
        assert!(
            err.ends_with("t.csv:3: 1 fields, but the header has 2"),
            "{err}"
        );
    }

    #[test]
    fn an_unclosed_quote_fails_without_reading_the_file_into_memory() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("t.csv");
        let mut text = String::from("a,b\n1,\"never closed\n");
        text.push_str(&"0123456789abcdef\n".repeat(MAX_ROW_BYTES / 16));
        std::fs::write(&path, text).expect("write");
        let header = CsvHeader::read(&path).expect("header");
        let mut records = CsvRecords::open(&path, &header, header.first).expect("open");
        let err = records.next_record().expect_err("too long").to_string();
        assert!(err.contains("t.csv:2: a row longer than 64 MiB"), "{err}");
    }

    #[test]
    fn lines_report_positions_and_refuse_overlong_lines() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("t.json");
        std::fs::write(&path, "{\"type\":\"block\"}\r\n\n{}").expect("write");
        assert_eq!(
            first_item_type(&path).expect("type").as_deref(),
            Some("block")
        );
        let mut lines = Lines::open(&path, Position::START).expect("open");
        let (at, text) = lines.next_line().expect("line").expect("some");
        assert_eq!((at, text), (Position::START, "{\"type\":\"block\"}"));
        let (at, text) = lines.next_line().expect("line").expect("some");
        assert_eq!((at.offset, at.line, text), (18, 2, ""));
        let (at, text) = lines.next_line().expect("line").expect("some");
        assert_eq!((at.offset, at.line, text), (19, 3, "{}"));
        assert!(lines.next_line().expect("end").is_none());

        std::fs::write(&path, "x".repeat(MAX_ROW_BYTES + 1)).expect("write");
        let mut lines = Lines::open(&path, Position::START).expect("open");
        let err = lines.next_line().expect_err("too long").to_string();
        assert!(
            err.contains("t.json:1: the line is longer than 64 MiB"),
            "{err}"
        );
    }
}
