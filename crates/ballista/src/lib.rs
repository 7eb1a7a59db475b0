//! chaintrail's SQL on [Apache Ballista](https://datafusion.apache.org/ballista/): the same
//! queries as the embedded catalog (`chaintrail-sql`), the direct-exposure job among them, on a
//! scheduler and executors.
//!
//! - [`export()`]: the store as Parquet partitioned by chain and block range, what executors on
//!   other machines read (the chain tables through `chaintrail-export`).
//! - [`register_export`]: that export on a session under the catalog's table names and types.
//! - [`functions_state`]: a session state with `label_of`, `category_of` and `usd` bound to a
//!   store path; the client, the scheduler and each executor are built from one.
//! - [`LocalCluster`]: a scheduler and executors in-process on 127.0.0.1;
//!   [`run_scheduler`] and [`run_executor`]: each as a process of its own, for a cluster;
//!   [`remote_session`]: a client session on a scheduler.
//!
//! A workspace member outside the default build (Ballista and its gRPC stack are a long build).
//! How to run on a cluster: docs/distributed.md.

#![warn(missing_docs)]

mod cluster;
mod export;
mod processes;
mod tables;

pub use cluster::{LocalCluster, functions_state, remote_session};
pub use export::{DEFAULT_BLOCKS_PER_FILE, SIDE_TABLES, export};
pub use processes::{ExecutorOptions, run_executor, run_scheduler};
pub use tables::{FILES_SCHEMA, register_export};

use std::path::PathBuf;

use chaintrail_sql::datafusion::error::DataFusionError;

/// Why an export, a cluster or a distributed query failed.
#[derive(Debug, thiserror::Error)]
pub enum DistributedError {
    /// The request cannot be carried out as asked (the message says what to change).
    #[error("{0}")]
    Usage(String),
    /// A file or directory cannot be written or moved.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The store cannot be read.
    #[error("cannot read the store: {0}")]
    Store(#[from] chaintrail_store::StoreError),
    /// The chain tables cannot be exported.
    #[error(transparent)]
    Export(#[from] chaintrail_export::ExportError),
    /// The store cannot be opened for SQL.
    #[error(transparent)]
    Sql(#[from] chaintrail_sql::SqlError),
    /// DataFusion refused or failed a query or a table.
    #[error("{0}")]
    Query(#[from] DataFusionError),
    /// The scheduler or an executor failed to start.
    #[error("ballista: {0}")]
    Ballista(#[from] ballista_core::error::BallistaError),
}
