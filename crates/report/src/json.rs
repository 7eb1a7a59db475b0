//! JSON with one line per item: the top-level fields and the elements of top-level arrays are
//! laid out one per line, everything deeper is compact. A citation is one line, so a verifier
//! can name the line of a mismatch and a diff shows which citation changed.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

use crate::{Report, ReportError, write_atomic};

/// Two levels pretty (the document and its top-level arrays and objects), compact below.
#[derive(Default)]
struct TwoLevels {
    /// Per open array or object: whether it has a value yet.
    open: Vec<bool>,
}

impl TwoLevels {
    fn pretty(&self) -> bool {
        self.open.len() <= 2
    }

    fn newline<W: ?Sized + Write>(&self, writer: &mut W, depth: usize) -> io::Result<()> {
        writer.write_all(b"\n")?;
        for _ in 0..depth {
            writer.write_all(b"  ")?;
        }
        Ok(())
    }

    fn begin<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.open.push(false);
        writer.write_all(bracket)
    }

    fn end<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        let pretty = self.pretty();
        let had_value = self.open.pop().unwrap_or(false);
        if pretty && had_value {
            self.newline(writer, self.open.len())?;
        }
        writer.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if !first {
            writer.write_all(b",")?;
        }
        if let Some(has) = self.open.last_mut() {
            *has = true;
        }
        if self.pretty() {
            self.newline(writer, self.open.len())?;
        }
        Ok(())
    }
}

impl Formatter for TwoLevels {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.begin(writer, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.end(writer, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.item(writer, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.begin(writer, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.end(writer, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.item(writer, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.pretty() {
            writer.write_all(b": ")
        } else {
            CompactFormatter.begin_object_value(writer)
        }
    }
}

/// `value` as JSON with one line per top-level field and per element of a top-level array.
pub fn to_json_lines<T: Serialize>(value: &T) -> Result<String, ReportError> {
    let mut bytes = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, TwoLevels::default());
    value
        .serialize(&mut serializer)
        .map_err(|e| ReportError::Invalid(format!("cannot write the report as JSON: {e}")))?;
    bytes.push(b'\n');
    String::from_utf8(bytes)
        .map_err(|e| ReportError::Invalid(format!("the report's JSON is not UTF-8: {e}")))
}

/// Write `report` as JSON to `path`, atomically.
pub fn write_json(report: &Report, path: &Path) -> Result<(), ReportError> {
    write_atomic(path, to_json_lines(report)?.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_array_elements_get_a_line_each() {
        let value = serde_json::json!({
            "title": "t",
            "citations": [{"id": "c1", "n": [1, 2]}, {"id": "c2", "n": []}],
            "empty": [],
        });
        let text = to_json_lines(&value).unwrap();
        assert_eq!(
            text,
            "{\n  \"citations\": [\n    {\"id\":\"c1\",\"n\":[1,2]},\n    {\"id\":\"c2\",\"n\":[]}\n  ],\n  \"empty\": [],\n  \"title\": \"t\"\n}\n"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
