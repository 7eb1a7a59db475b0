use std::path::PathBuf;

/// What went wrong while simulating or writing a world.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write CSV {path}: {source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("cannot serialize {what}: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Store(#[from] chaintrail_store::StoreError),
    #[error("invalid simulation setting: {0}")]
    Config(String),
    /// A broken internal invariant (a bug in the simulator, never bad input).
    #[error("simulator invariant broken: {0}")]
    Invariant(String),
}

pub(crate) fn io_err(
    action: &'static str,
    path: &std::path::Path,
    source: std::io::Error,
) -> SimError {
    SimError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}
