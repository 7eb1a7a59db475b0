use serde::Serialize;

/// One problem found while importing: where it is and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// The file.
    pub file: String,
    /// 1-based line, 0 when the format has no line for it.
    pub line: u64,
    /// The field (column, YAML key, XML element) at fault, if one is.
    pub field: Option<String>,
    /// What was wrong.
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What an import did: rows read, imported, rejected (each with its reason) and warnings
/// (rows kept, but with something the user should know, e.g. an address kept as a raw string).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// What was imported (a source name or path).
    pub source: String,
    /// The files read.
    pub files: Vec<String>,
    /// Rows (or entries) read.
    pub rows_read: u64,
    /// Labels imported.
    pub imported: u64,
    /// Rows rejected, each with its reason.
    pub rejected: Vec<Issue>,
    /// Rows kept with something the user should know.
    pub warnings: Vec<Issue>,
    /// Files that could not be read at all (the rest of the import went on).
    pub failed_files: Vec<Issue>,
}

impl ImportReport {
    /// An empty report of `source`.
    pub fn new(source: &str) -> ImportReport {
        ImportReport {
            source: source.to_string(),
            ..ImportReport::default()
        }
    }

    /// Count a CSV row and hand it over with its line, or record it as rejected (malformed) and
    /// hand over nothing.
    pub(crate) fn csv_row(
        &mut self,
        file: &str,
        record: Result<csv::StringRecord, csv::Error>,
    ) -> Option<(csv::StringRecord, u64)> {
        self.rows_read += 1;
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                Some((record, line))
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                self.reject(file, line, None, format!("malformed CSV row: {e}"));
                None
            }
        }
    }

    pub(crate) fn reject(
        &mut self,
        file: &str,
        line: u64,
        field: Option<&str>,
        message: impl Into<String>,
    ) {
        self.rejected.push(Issue {
            file: file.to_string(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
        });
    }

    pub(crate) fn warn(
        &mut self,
        file: &str,
        line: u64,
        field: Option<&str>,
        message: impl Into<String>,
    ) {
        self.warnings.push(Issue {
            file: file.to_string(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
        });
    }

    /// Fold another report (of another file of the same import) into this one.
    pub fn merge(&mut self, other: ImportReport) {
        self.files.extend(other.files);
        self.rows_read += other.rows_read;
        self.imported += other.imported;
        self.rejected.extend(other.rejected);
        self.warnings.extend(other.warnings);
        self.failed_files.extend(other.failed_files);
    }

    /// Rows rejected, for the summary line.
    pub fn rejected_count(&self) -> u64 {
        self.rejected.len() as u64
    }
}
