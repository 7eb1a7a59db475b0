//! The partitioned Parquet export the executors read: the store's chain tables cut by chain and
//! block range (written by `chaintrail-export`, the one Parquet writer of the chain tables),
//! and the tables beside the chains as the SQL catalog shows them.
//!
//! Layout under the export's root (a directory here; the same tree on an object store):
//!
//! ```text
//! <table>/chain=<chain>/<first height>-<last height>.parquet   blocks, transactions, transfers, inputs, outputs
//! <table>/<table>.parquet                                      addresses, labels, links, attributions, clusters, exposure
//! ```
//!
//! `chain=` is a Hive partition: a query filtering on `chain` reads only that chain's files,
//! and a filter on `block_number` skips files and row groups by their statistics.

use std::path::{Path, PathBuf};

use chaintrail_export::ExportedTable;
use chaintrail_sql::Catalog;
use chaintrail_sql::datafusion::arrow::array::{AsArray, RecordBatch};
use chaintrail_sql::datafusion::arrow::datatypes::UInt64Type;
use chaintrail_sql::datafusion::dataframe::DataFrameWriteOptions;
use chaintrail_store::Store;

use crate::DistributedError;

/// Blocks per file of the chain tables when the caller gives none: a starting point, to be
/// tuned per chain so that files hold 100 MB – 1 GB (docs/distributed.md).
pub const DEFAULT_BLOCKS_PER_FILE: usize = 10_000;

/// The tables beside the chains, exported whole from the catalog (their rows are the screener's
/// view: labels resolved, clusters, attributions on the catalog's day, the exposure index).
pub const SIDE_TABLES: [&str; 6] = [
    "addresses",
    "labels",
    "links",
    "attributions",
    "clusters",
    "exposure",
];

/// Export the store at `store_dir` to the new directory `out`, chain tables in files of
/// `blocks_per_file` blocks. The export is written beside `out` (`<out>.partial`) and renamed
/// into place when whole, so `out` is either absent or complete. Blocks the calling thread
/// while the chain tables are written.
pub async fn export(
    store_dir: &Path,
    out: &Path,
    blocks_per_file: usize,
) -> Result<Vec<ExportedTable>, DistributedError> {
    if blocks_per_file == 0 {
        return Err(DistributedError::Usage(
            "blocks per file must be at least 1".into(),
        ));
    }
    if out.exists() {
        return Err(DistributedError::Usage(format!(
            "{} exists: export into a new directory (or delete that one first)",
            out.display()
        )));
    }
    let partial = partial_dir(out);
    if partial.exists() {
        return Err(DistributedError::Usage(format!(
            "{} is left from an interrupted export: delete it, then export again",
            partial.display()
        )));
    }
    let mut files = chain_tables(store_dir, &partial, blocks_per_file)?;
    files.extend(side_tables(store_dir, &partial).await?);
    std::fs::rename(&partial, out).map_err(|source| DistributedError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    for file in &mut files {
        if let Ok(relative) = file.path.strip_prefix(&partial) {
            file.path = out.join(relative);
        }
    }
    Ok(files)
}

fn partial_dir(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}

fn chain_tables(
    store_dir: &Path,
    root: &Path,
    blocks_per_file: usize,
) -> Result<Vec<ExportedTable>, DistributedError> {
    let store = Store::open(store_dir)?;
    let mut files = Vec::new();
    for (chain, reader) in store.readers()? {
        let blocks = reader.block_count();
        let mut start = 0;
        while start < blocks {
            let end = blocks.min(start + blocks_per_file);
            let name = format!(
                "{:012}-{:012}.parquet",
                reader.block(start).height,
                reader.block(end - 1).height
            );
            let path_of = |table: &str| root.join(table).join(format!("chain={chain}")).join(&name);
            files.extend(chaintrail_export::export_parquet_blocks(
                &reader,
                start..end,
                &path_of,
            )?);
            start = end;
        }
    }
    Ok(files)
}

async fn side_tables(
    store_dir: &Path,
    root: &Path,
) -> Result<Vec<ExportedTable>, DistributedError> {
    let catalog = Catalog::open(store_dir)?;
    let mut files = Vec::new();
    for table in SIDE_TABLES {
        let dir = root.join(table);
        std::fs::create_dir_all(&dir).map_err(|source| DistributedError::Io {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join(format!("{table}.parquet"));
        let Some(url) = path.to_str() else {
            return Err(DistributedError::Usage(format!(
                "{}: export into a directory whose path is UTF-8",
                path.display()
            )));
        };
        let written = catalog
            .session()
            .table(table)
            .await?
            .write_parquet(
                url,
                DataFrameWriteOptions::new().with_single_file_output(true),
                None,
            )
            .await?;
        let bytes = std::fs::metadata(&path)
            .map_err(|source| DistributedError::Io {
                path: path.clone(),
                source,
            })?
            .len();
        files.push(ExportedTable {
            table: table.to_string(),
            path,
            rows: written_rows(&written),
            bytes,
        });
    }
    Ok(files)
}

/// The row count DataFusion's writers answer with (one `count` column).
fn written_rows(batches: &[RecordBatch]) -> u64 {
    batches
        .iter()
        .filter_map(|b| b.column(0).as_primitive_opt::<UInt64Type>())
        .flat_map(|counts| counts.iter().flatten())
        .sum()
}
