use std::path::PathBuf;

/// Errors of the attribution layer. Every error about outside data names the file, the line
/// (where the format has lines) and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("cannot read or write {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{file}:{line}: malformed XML: {message}")]
    Xml {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}:{line}: malformed YAML: {message}")]
    Yaml {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}:{line}: {message}")]
    Data {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}: unrecognised file: {message}")]
    Format { file: String, message: String },
    #[error("label store {path} is corrupt at line {line}: {message}")]
    CorruptStore {
        path: PathBuf,
        line: usize,
        message: String,
    },
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

pub type Result<T, E = LabelError> = std::result::Result<T, E>;
