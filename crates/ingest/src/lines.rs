//! Lines of outside files, read with a bound: a line longer than [`MAX_LINE`] is an error naming
//! the file, the line and the limit — never an allocation as large as whatever the file holds
//! before its next newline (a damaged or hostile file may hold gigabytes without one).

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use crate::ImportError;

/// The longest line chaintrail reads from an outside file, in bytes (without the line end). The
/// largest real record, a Bitcoin transaction filling a 4 MB block as bitcoin-etl JSON, is 8 MB
/// of hex plus its asm: far below.
pub const MAX_LINE: usize = 64 << 20;

/// Reads the lines of one file, counting them, each at most `limit` bytes.
pub struct LineReader<R> {
    reader: R,
    path: PathBuf,
    /// Number of the line the next [`LineReader::next_line`] returns (1-based).
    next_number: u64,
    limit: usize,
    buf: Vec<u8>,
}

/// One line: its text (without `\n` or `\r\n`), its number and the bytes it took in the file.
#[derive(Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// The text, without the line end.
    pub text: &'a str,
    /// The 1-based line number.
    pub number: u64,
    /// Bytes the line took in the file, line end included.
    pub bytes: usize,
}

impl<R: BufRead> LineReader<R> {
    /// Lines of `reader` (the file at `path`, named in errors) from line `first_number` on.
    pub fn new(reader: R, path: &Path, first_number: u64) -> LineReader<R> {
        LineReader::with_limit(reader, path, first_number, MAX_LINE)
    }

    /// [`LineReader::new`] with another limit than [`MAX_LINE`].
    pub fn with_limit(reader: R, path: &Path, first_number: u64, limit: usize) -> LineReader<R> {
        LineReader {
            reader,
            path: path.to_path_buf(),
            next_number: first_number,
            limit,
            buf: Vec::new(),
        }
    }

    /// The next line, or `None` at the end of the file.
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, ImportError> {
        self.buf.clear();
        let number = self.next_number;
        // One byte more than the limit, plus the newline: enough to tell a line at the limit
        // from one beyond it, and never more.
        let cap = self.limit.saturating_add(2) as u64;
        let read = (&mut self.reader)
            .take(cap)
            .read_until(b'\n', &mut self.buf)
            .map_err(|source| ImportError::Read {
                path: self.path.clone(),
                source,
            })?;
        if read == 0 {
            return Ok(None);
        }
        self.next_number += 1;
        let mut content = self.buf.as_slice();
        if let Some(rest) = content.strip_suffix(b"\n") {
            content = rest.strip_suffix(b"\r").unwrap_or(rest);
        }
        if content.len() > self.limit {
            return Err(ImportError::Parse {
                path: self.path.clone(),
                line: number,
                message: format!(
                    "the line is longer than {}, the most chaintrail reads as one line: the file \
                     is damaged or not in this format",
                    size_text(self.limit)
                ),
            });
        }
        let text = std::str::from_utf8(content).map_err(|e| ImportError::Parse {
            path: self.path.clone(),
            line: number,
            message: format!("not UTF-8 text ({e})"),
        })?;
        Ok(Some(Line {
            text,
            number,
            bytes: read,
        }))
    }

    /// The reader, positioned after the last line read.
    pub fn into_inner(self) -> R {
        self.reader
    }
}

fn size_text(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], limit: usize) -> Vec<Result<(String, u64, usize), String>> {
        let mut reader = LineReader::with_limit(input, Path::new("f.jsonl"), 1, limit);
        let mut out = Vec::new();
        loop {
            match reader.next_line() {
                Ok(Some(line)) => out.push(Ok((line.text.to_string(), line.number, line.bytes))),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn lines_up_to_the_limit_are_read_with_their_numbers_and_sizes() {
        assert_eq!(
            lines(b"abcd\nab\r\n\nxyz", 4),
            [
                Ok(("abcd".to_string(), 1, 5)),
                Ok(("ab".to_string(), 2, 4)),
                Ok((String::new(), 3, 1)),
                Ok(("xyz".to_string(), 4, 3)),
            ]
        );
    }

    #[test]
    fn a_longer_line_is_an_error_naming_file_line_and_limit() {
        assert_eq!(
            lines(b"ok\nabcde\nnever read\n", 4),
            [
                Ok(("ok".to_string(), 1, 3)),
                Err(
                    "f.jsonl:2: the line is longer than 4 bytes, the most chaintrail reads as \
                     one line: the file is damaged or not in this format"
                        .to_string()
                ),
            ]
        );
        assert!(
            lines(&[0xff, b'\n'], 4)[0]
                .as_ref()
                .unwrap_err()
                .contains("not UTF-8")
        );
    }

    #[test]
    fn an_endless_line_stops_at_the_limit() {
        // A reader that never ends and never has a newline: reading a line must not try to hold
        // it all.
        let endless = std::io::BufReader::new(std::io::repeat(b'x'));
        let mut reader = LineReader::with_limit(endless, Path::new("endless"), 7, 1 << 20);
        let err = reader.next_line().unwrap_err().to_string();
        assert!(
            err.starts_with("endless:7: the line is longer than 1 MiB"),
            "{err}"
        );
        assert!(reader.buf.capacity() < 4 << 20, "{}", reader.buf.capacity());
    }
}
