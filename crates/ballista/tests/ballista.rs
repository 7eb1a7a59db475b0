//! The same SQL on a Ballista scheduler with two executors (in this process, on 127.0.0.1) over
//! the partitioned Parquet export, and embedded over the store: every table has the catalog's
//! columns and types, the investigator queries give the same rows, and the direct-exposure job
//! gives the same rows as embedded and as the screening index.

use std::path::Path;

use chaintrail_ballista::{LocalCluster, remote_session};
use chaintrail_sim::SimConfig;
use chaintrail_sql::Catalog;
use chaintrail_sql::datafusion::arrow::array::{Array, AsArray, RecordBatch};
use chaintrail_sql::datafusion::arrow::datatypes::{DataType, Float64Type};
use chaintrail_sql::datafusion::arrow::util::display::array_value_to_string;
use chaintrail_sql::datafusion::prelude::SessionContext;

const TABLES: [&str; 11] = [
    "blocks",
    "transactions",
    "transfers",
    "inputs",
    "outputs",
    "addresses",
    "labels",
    "links",
    "attributions",
    "clusters",
    "exposure",
];

/// Investigator questions over every table and function; each groups by or orders on text
/// columns that identify its rows.
const QUERIES: [&str; 10] = [
    // What moved, per chain and kind of transfer.
    "SELECT chain, kind, count(*) AS transfers, sum(value_f64) AS units FROM transfers \
     GROUP BY chain, kind",
    // Deposits into exchanges, by service and month, in USD.
    "SELECT label_of(to_address, chain) AS service, \
     CAST(date_trunc('month', block_time) AS VARCHAR) AS month, count(*) AS deposits, \
     sum(usd(asset, value_f64, block_timestamp)) AS usd FROM transfers \
     WHERE success AND category_of(to_address, chain) = 'exchange' GROUP BY 1, 2",
    // The ten addresses that received the most USD.
    "SELECT chain, to_address, sum(usd(asset, value_f64, block_timestamp)) AS usd \
     FROM transfers WHERE success AND to_address IS NOT NULL GROUP BY 1, 2 \
     ORDER BY usd DESC, to_address LIMIT 10",
    // Addresses that sent to a mixer, and how much.
    "SELECT t.chain, t.from_address, a.entity, count(*) AS n, \
     sum(usd(t.asset, t.value_f64, t.block_timestamp)) AS usd \
     FROM transfers t JOIN attributions a ON a.chain = t.chain AND a.address = t.to_address \
     WHERE a.category = 'mixer' AND t.success GROUP BY 1, 2, 3",
    // Bitcoin: coins created, spent and unspent per chain.
    "SELECT o.chain, count(*) AS outputs, sum(o.value) AS value, \
     sum(CASE WHEN o.spent_by_transaction_hash IS NULL THEN o.value ELSE 0 END) AS unspent, \
     (SELECT count(*) FROM inputs i WHERE i.is_coinbase AND i.chain = o.chain) AS coinbases \
     FROM outputs o GROUP BY o.chain",
    // Transactions, fees and records per chain and day.
    "SELECT chain, CAST(date_trunc('day', block_time) AS VARCHAR) AS day, count(*) AS txs, \
     sum(fee) AS fees, sum(transfer_count) AS transfers, sum(input_count) AS inputs, \
     sum(output_count) AS outputs FROM transactions GROUP BY 1, 2",
    // Blocks per chain and their time span.
    "SELECT chain, count(*) AS blocks, min(number) AS first, max(number) AS last, \
     CAST(max(\"time\") AS VARCHAR) AS latest FROM blocks GROUP BY chain",
    // The largest clusters with the service they resolve to.
    "SELECT c.chain, CAST(c.cluster AS VARCHAR) AS cluster, count(*) AS size, \
     max(label_of(c.address, c.chain)) AS service, count(DISTINCT a.type) AS types \
     FROM clusters c JOIN addresses a ON a.chain = c.chain AND a.address = c.address \
     GROUP BY 1, 2 ORDER BY size DESC, cluster LIMIT 20",
    // Labels and links at a glance.
    "SELECT 'label' AS what, category AS kind, count(*) AS n FROM labels GROUP BY 2 \
     UNION ALL SELECT 'link', kind, count(*) FROM links GROUP BY 2",
    // The addresses most exposed to hacks, as the screening index has them.
    "SELECT chain, address, direction, sum(usd) AS usd, min(min_hops) AS hops FROM exposure \
     WHERE category = 'hack' GROUP BY 1, 2, 3 ORDER BY usd DESC, address LIMIT 25",
];

fn at() -> chaintrail_labels::Date {
    "2026-11-23".parse().expect("date")
}

/// A result as comparable rows: text cells (every column but the floats), then float cells.
type Rows = Vec<(Vec<String>, Vec<Option<f64>>)>;

fn rows(batches: &[RecordBatch]) -> Rows {
    let mut rows: Rows = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            let mut texts = Vec::new();
            let mut floats = Vec::new();
            for column in batch.columns() {
                if column.data_type() == &DataType::Float64 {
                    let values = column.as_primitive::<Float64Type>();
                    floats.push((!values.is_null(row)).then(|| values.value(row)));
                } else {
                    texts.push(array_value_to_string(column, row).expect("display"));
                }
            }
            rows.push((texts, floats));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

/// Equal text cells, and floats equal to 10⁻⁹ of their size (sums over partitions add in
/// another order than one process does).
fn assert_same_rows(what: &str, distributed: &Rows, embedded: &Rows) {
    assert_eq!(distributed.len(), embedded.len(), "{what}: row count");
    for (d, e) in distributed.iter().zip(embedded) {
        assert_eq!(d.0, e.0, "{what}");
        assert_eq!(d.1.len(), e.1.len(), "{what}");
        for (x, y) in d.1.iter().zip(&e.1) {
            match (x, y) {
                (Some(x), Some(y)) => assert!(
                    (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                    "{what}: {:?}: {x} vs {y}",
                    d.0
                ),
                _ => assert_eq!(x, y, "{what}: {:?}", d.0),
            }
        }
    }
}

async fn collect(session: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    let frame = session
        .sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    frame
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn build_store(dir: &Path) {
    chaintrail_eval::build_screened_store(dir, &SimConfig::new(1, 20_000), at(), 2)
        .expect("screened store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_sql_on_a_scheduler_and_two_executors() {
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    build_store(&store);
    let export = work.path().join("export");
    // Small files, so that every table spans several block ranges and both executors read.
    let files = chaintrail_ballista::export(&store, &export, 500)
        .await
        .expect("export");
    let chain_files = files.iter().filter(|f| f.table == "transfers").count();
    assert!(chain_files > 2, "{chain_files} files of transfers");

    let catalog = Catalog::open(&store).expect("catalog");
    let cluster = LocalCluster::start(&store, 2, 1).await.expect("cluster");
    let session = remote_session(&cluster.scheduler_url(), &store, &export.to_string_lossy())
        .await
        .expect("session");

    for table in TABLES {
        let distributed = session.table(table).await.expect(table);
        let embedded = catalog.session().table(table).await.expect(table);
        let columns = |schema: &chaintrail_sql::datafusion::common::DFSchema| {
            schema
                .fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            columns(distributed.schema()),
            columns(embedded.schema()),
            "{table}"
        );
        let count = format!("SELECT count(*) FROM {table}");
        let (d, e) = (
            collect(&session, &count).await,
            catalog.query(&count).await.expect("count"),
        );
        assert_same_rows(&count, &rows(&d), &rows(&e));
    }

    for sql in QUERIES {
        let distributed = rows(&collect(&session, sql).await);
        let embedded = rows(&catalog.query(sql).await.expect(sql));
        assert!(!embedded.is_empty(), "{sql}: no rows to compare");
        assert_same_rows(sql, &distributed, &embedded);
    }

    let job = catalog.direct_exposure_query();
    let distributed = rows(&collect(&session, &job).await);
    let embedded = rows(&catalog.query(&job).await.expect("job"));
    assert!(embedded.len() > 1_000, "{} rows", embedded.len());
    assert_same_rows("direct exposure", &distributed, &embedded);
    let indexed = chaintrail_eval::indexed_direct_exposures(&store).expect("index");
    let keyed: Vec<_> = distributed
        .into_iter()
        .map(|(texts, floats)| {
            let [chain, address, category, entity, direction] =
                <[String; 5]>::try_from(texts).expect("five key columns");
            let usd = floats[0].expect("usd");
            ((chain, address, category, entity, direction), usd)
        })
        .collect();
    let differences = indexed.differences(&keyed, 10);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
