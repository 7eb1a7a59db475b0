use std::path::PathBuf;

/// Errors of the attribution layer. Every error about outside data names the file, the line
/// (where the format has lines) and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// A file cannot be read or written.
    #[error("cannot read or write {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why it failed.
        error: std::io::Error,
    },
    /// Malformed XML (an OFAC file).
    #[error("{file}:{line}: malformed XML: {message}")]
    Xml {
        /// The file.
        file: String,
        /// The 1-based line.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// Malformed YAML (a TagPack).
    #[error("{file}:{line}: malformed YAML: {message}")]
    Yaml {
        /// The file.
        file: String,
        /// The 1-based line.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// A row or field that does not fit the format.
    #[error("{file}:{line}: {message}")]
    Data {
        /// The file.
        file: String,
        /// The 1-based line.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// A file that is not of the format it was given as.
    #[error("{file}: unrecognised file: {message}")]
    Format {
        /// The file.
        file: String,
        /// What was wrong.
        message: String,
    },
    /// The label store's own file does not parse.
    #[error("label store {path} is corrupt at line {line}: {message}")]
    CorruptStore {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// A bad argument, phrased for the user.
    #[error("{0}")]
    Invalid(String),
}

impl LabelError {
    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> LabelError {
        LabelError::Io {
            path: path.into(),
            error,
        }
    }
}

/// Results of the attribution layer.
pub type Result<T, E = LabelError> = std::result::Result<T, E>;
