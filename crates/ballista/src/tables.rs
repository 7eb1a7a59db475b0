//! The export registered on a session under the catalog's names, so the SQL written for the
//! embedded catalog (docs/sql.md) runs unchanged on Ballista.
//!
//! The files are listing tables in the schema `parquet` (`parquet.transfers`, …); the chain
//! tables are views over them that give the catalog's columns and types: `chain` from the
//! partition directory, `block_time` from `block_timestamp`, `transfers.asset` from the chain and
//! token, unsigned integers where the store's are. The tables beside the chains are written from
//! the catalog with its schema and are registered as they are.

use std::sync::Arc;

use chaintrail_core::ChainModel;
use chaintrail_export::ColumnKind;
use chaintrail_sql::datafusion::arrow::datatypes::{DataType, Field, Schema};
use chaintrail_sql::datafusion::catalog::MemorySchemaProvider;
use chaintrail_sql::datafusion::datasource::file_format::parquet::ParquetFormat;
use chaintrail_sql::datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use chaintrail_sql::datafusion::prelude::SessionContext;

use crate::DistributedError;
use crate::export::SIDE_TABLES;

/// The schema holding the export's files as they are.
pub const FILES_SCHEMA: &str = "parquet";

/// `block_timestamp` (seconds) as the catalog's UTC timestamp.
const TIME: &str = r#"arrow_cast({}, 'Timestamp(Second, Some("UTC"))')"#;

/// The catalog's chain tables, as views over the export's files.
fn chain_views() -> [(&'static str, String); 5] {
    let time = |column: &str| TIME.replace("{}", column);
    let block = format!(
        "CAST(block_number AS BIGINT UNSIGNED) AS block_number, \
         CAST(block_timestamp AS BIGINT UNSIGNED) AS block_timestamp, {} AS block_time",
        time("block_timestamp")
    );
    [
        (
            "blocks",
            format!(
                "SELECT chain, CAST(number AS BIGINT UNSIGNED) AS number, \
                 CAST(\"timestamp\" AS BIGINT UNSIGNED) AS \"timestamp\", {} AS \"time\" \
                 FROM {FILES_SCHEMA}.blocks",
                time("\"timestamp\"")
            ),
        ),
        (
            "transactions",
            format!(
                "SELECT chain, hash, {block}, \
                 CAST(transfer_count AS BIGINT UNSIGNED) AS transfer_count, \
                 CAST(input_count AS BIGINT UNSIGNED) AS input_count, \
                 CAST(output_count AS BIGINT UNSIGNED) AS output_count, \
                 CAST(fee AS BIGINT UNSIGNED) AS fee \
                 FROM {FILES_SCHEMA}.transactions"
            ),
        ),
        (
            "transfers",
            format!(
                "SELECT chain, {block}, transaction_hash, \
                 CAST(transfer_index AS INT UNSIGNED) AS transfer_index, kind, from_address, \
                 to_address, chain || '/' || COALESCE(token_address, 'native') AS asset, \
                 token_address, symbol, value, value_f64, success \
                 FROM {FILES_SCHEMA}.transfers"
            ),
        ),
        (
            "inputs",
            format!(
                "SELECT chain, {block}, transaction_hash, \
                 CAST(\"index\" AS BIGINT UNSIGNED) AS \"index\", spent_transaction_hash, \
                 spent_output_index, address, CAST(value AS BIGINT UNSIGNED) AS value, \
                 is_coinbase \
                 FROM {FILES_SCHEMA}.inputs"
            ),
        ),
        (
            "outputs",
            format!(
                "SELECT chain, {block}, transaction_hash, \
                 CAST(\"index\" AS INT UNSIGNED) AS \"index\", address, \"type\", \
                 CAST(value AS BIGINT UNSIGNED) AS value, spent_by_transaction_hash \
                 FROM {FILES_SCHEMA}.outputs"
            ),
        ),
    ]
}

/// The files' schema of chain table `table` over both chain models: a column only one model
/// writes (`transfer_count`, `fee`, …) is null in the other's rows.
fn file_schema(table: &str) -> Schema {
    let models = [ChainModel::Account, ChainModel::Utxo];
    let per_model: Vec<&[(&str, ColumnKind)]> = models
        .iter()
        .filter_map(|&m| {
            chaintrail_export::tables(m)
                .iter()
                .find(|(name, _)| *name == table)
                .map(|(_, columns)| *columns)
        })
        .collect();
    let mut fields: Vec<Field> = Vec::new();
    for columns in &per_model {
        for &(name, kind) in columns.iter() {
            if fields.iter().any(|f| f.name() == name) {
                continue;
            }
            let everywhere = per_model.iter().all(|c| c.iter().any(|(n, _)| *n == name));
            let (data_type, nullable) = match kind {
                ColumnKind::Int64 => (DataType::Int64, false),
                ColumnKind::OptInt64 => (DataType::Int64, true),
                ColumnKind::Utf8 => (DataType::Utf8, false),
                ColumnKind::OptUtf8 => (DataType::Utf8, true),
                ColumnKind::Bool => (DataType::Boolean, false),
                ColumnKind::Double => (DataType::Float64, false),
            };
            fields.push(Field::new(name, data_type, nullable || !everywhere));
        }
    }
    Schema::new(fields)
}

/// Register the export at `root` (a local path, or a URL of an object store the session's
/// runtime knows) on `session` under the catalog's table names.
pub async fn register_export(session: &SessionContext, root: &str) -> Result<(), DistributedError> {
    let root = root.trim_end_matches('/');
    session
        .catalog("datafusion")
        .ok_or_else(|| DistributedError::Usage("the session has no default catalog".into()))?
        .register_schema(FILES_SCHEMA, Arc::new(MemorySchemaProvider::new()))?;
    let state = session.state();
    // The session's Parquet options (`schema_force_view_types` among them), not the defaults.
    let format =
        || Arc::new(ParquetFormat::default().with_options(state.table_options().parquet.clone()));
    for (table, view) in chain_views() {
        let url = ListingTableUrl::parse(format!("{root}/{table}/"))?;
        let options = ListingOptions::new(format())
            .with_file_extension(".parquet")
            .with_table_partition_cols(vec![("chain".to_string(), DataType::Utf8)]);
        let config = ListingTableConfig::new(url)
            .with_listing_options(options)
            .with_schema(Arc::new(file_schema(table)));
        session.register_table(
            format!("{FILES_SCHEMA}.{table}"),
            Arc::new(ListingTable::try_new(config)?),
        )?;
        session
            .sql(&format!("CREATE VIEW {table} AS {view}"))
            .await?;
    }
    for table in SIDE_TABLES {
        let url = ListingTableUrl::parse(format!("{root}/{table}/"))?;
        let options = ListingOptions::new(format()).with_file_extension(".parquet");
        let schema = options.infer_schema(&state, &url).await?;
        let config = ListingTableConfig::new(url)
            .with_listing_options(options)
            .with_schema(schema);
        let provider = Arc::new(ListingTable::try_new(config)?);
        session.register_table(format!("{FILES_SCHEMA}.{table}"), provider.clone())?;
        session.register_table(table, provider)?;
    }
    Ok(())
}
