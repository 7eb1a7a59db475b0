//! SQL over a simulated world imported through the real importers: the tables give the store's
//! exact counts and sums, the functions answer like the screener, and the direct-exposure job
//! written in SQL equals the screener's exposure index on every address the index holds whole.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use chaintrail_core::Chain;
use chaintrail_labels::{Date, LabelStore};
use chaintrail_screen::{Attributor, Screener};
use chaintrail_sim::SimConfig;
use chaintrail_sql::Catalog;
use chaintrail_sql::datafusion::arrow::array::{Array, AsArray, RecordBatch};
use chaintrail_sql::datafusion::arrow::datatypes::{Float64Type, Int64Type, UInt64Type};
use chaintrail_store::Store;

struct World {
    dir: tempfile::TempDir,
}

fn at() -> Date {
    "2026-11-23".parse().expect("date")
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        chaintrail_eval::build_screened_store(dir.path(), &SimConfig::new(1, 20_000), at(), 2)
            .expect("screened store");
        World { dir }
    })
}

fn run(catalog: &Catalog, sql: &str) -> Vec<RecordBatch> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime")
        .block_on(catalog.query(sql))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn texts(batches: &[RecordBatch], column: usize) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column(column).as_string::<i32>();
            (0..a.len())
                .map(|i| (!a.is_null(i)).then(|| a.value(i).to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn floats(batches: &[RecordBatch], column: usize) -> Vec<Option<f64>> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column(column).as_primitive::<Float64Type>();
            (0..a.len())
                .map(|i| (!a.is_null(i)).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A single-row, single-column count or sum.
fn one_u64(batches: &[RecordBatch]) -> u64 {
    let column = batches[0].column(0);
    match column.data_type() {
        chaintrail_sql::datafusion::arrow::datatypes::DataType::Int64 => {
            u64::try_from(column.as_primitive::<Int64Type>().value(0)).expect("non-negative")
        }
        _ => column.as_primitive::<UInt64Type>().value(0),
    }
}

#[test]
fn tables_hold_exactly_what_the_store_holds() {
    let w = world();
    let store = Store::open(w.dir.path()).expect("open");
    let catalog = Catalog::open(w.dir.path()).expect("catalog");
    let readers = store.readers().expect("readers");
    let mut checked = 0;
    for (chain, reader) in &readers {
        let count = |table: &str| {
            one_u64(&run(
                &catalog,
                &format!("SELECT count(*) FROM {table} WHERE chain = '{chain}'"),
            ))
        };
        assert_eq!(
            count("blocks"),
            reader.block_count() as u64,
            "{chain} blocks"
        );
        assert_eq!(count("transactions"), reader.tx_count(), "{chain} txs");
        // Id 0 stands for "no address".
        assert_eq!(
            count("addresses"),
            reader.address_count() as u64 - 1,
            "{chain}"
        );
        match reader.model() {
            chaintrail_core::ChainModel::Account => {
                assert_eq!(count("transfers"), reader.transfer_count(), "{chain}");
                assert!(reader.transfer_count() > 10_000);
                let failed = (0..reader.transfer_count())
                    .filter(|&r| reader.transfer(r).is_some_and(|t| !t.success))
                    .count() as u64;
                let sql = format!(
                    "SELECT count(*) FROM transfers WHERE chain = '{chain}' AND NOT success"
                );
                assert_eq!(one_u64(&run(&catalog, &sql)), failed);
            }
            chaintrail_core::ChainModel::Utxo => {
                assert_eq!(count("inputs"), reader.input_count(), "{chain}");
                assert_eq!(count("outputs"), reader.output_count(), "{chain}");
                let value: u64 = (0..reader.output_count())
                    .filter_map(|r| reader.output_value(r))
                    .sum();
                let sql = format!("SELECT sum(value) FROM outputs WHERE chain = '{chain}'");
                assert_eq!(one_u64(&run(&catalog, &sql)), value, "{chain} output value");
                assert!(value > 0);
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 2, "one account chain and one UTXO chain");
    let labels = LabelStore::open(w.dir.path()).expect("labels");
    assert_eq!(
        one_u64(&run(&catalog, "SELECT count(*) FROM labels")),
        labels.labels().len() as u64
    );
    let clustered = one_u64(&run(&catalog, "SELECT count(*) FROM clusters"));
    assert!(clustered > 1000, "{clustered} clustered addresses");
}

#[test]
fn functions_answer_like_the_screener() {
    let w = world();
    let catalog = Catalog::open(w.dir.path()).expect("catalog");
    let screener = Screener::open(w.dir.path()).expect("screener");
    let labelled = run(
        &catalog,
        "SELECT DISTINCT l.address, l.chain FROM labels l \
         JOIN addresses a ON a.address = l.address AND a.chain = l.chain \
         ORDER BY l.address LIMIT 40",
    );
    let (addresses, chains) = (texts(&labelled, 0), texts(&labelled, 1));
    assert_eq!(addresses.len(), 40);
    let attributor = Attributor {
        labels: screener.labels(),
        clusters: screener.clusters(),
        at: Date::today(),
    };
    for (address, chain) in addresses.iter().zip(&chains) {
        let (address, chain) = (address.as_deref().unwrap(), chain.as_deref().unwrap());
        let entity = attributor
            .entity(chain.parse::<Chain>().expect("chain"), address)
            .expect("labelled");
        let sql = format!(
            "SELECT label_of('{address}'), category_of('{address}', '{chain}'), \
             label_of('{address}', '{chain}')"
        );
        let got = run(&catalog, &sql);
        assert_eq!(texts(&got, 0), vec![Some(entity.name.clone())], "{address}");
        let category = entity
            .categories_on(Date::today())
            .all
            .first()
            .map(|c| c.as_str().to_string());
        assert_eq!(texts(&got, 1), vec![category], "{address}");
        assert_eq!(texts(&got, 2), vec![Some(entity.name)], "{address}");
    }
    // usd() prices a transfer as the screener's prices do.
    let sample = run(
        &catalog,
        "SELECT chain, transaction_hash, transfer_index, usd(asset, value_f64, block_timestamp), \
         value_f64, block_timestamp, symbol FROM transfers WHERE success AND symbol = 'ETH' \
         ORDER BY block_timestamp, transaction_hash, transfer_index LIMIT 5",
    );
    let usd = floats(&sample, 3);
    let units = floats(&sample, 4);
    let times: Vec<u64> = sample
        .iter()
        .flat_map(|b| b.column(5).as_primitive::<UInt64Type>().values().to_vec())
        .collect();
    assert_eq!(usd.len(), 5);
    let chain: Chain = texts(&sample, 0)[0]
        .as_deref()
        .unwrap()
        .parse()
        .expect("chain");
    let native = chaintrail_core::Asset::native(chain);
    for i in 0..5 {
        let expected = screener
            .prices()
            .usd(&native, units[i].unwrap(), times[i])
            .expect("ether is priced");
        assert_eq!(usd[i], Some(expected));
    }
    // An unknown asset is unpriced, not an error.
    let unknown = run(&catalog, "SELECT usd('nowhere/native', 1.0, 0)");
    assert_eq!(floats(&unknown, 0), vec![None]);
}

#[test]
fn direct_exposure_in_sql_equals_the_exposure_index() {
    let w = world();
    let catalog = Catalog::open(w.dir.path()).expect("catalog");
    assert!(catalog.has_exposure_index());
    assert_eq!(catalog.at(), at());
    let indexed = chaintrail_eval::indexed_direct_exposures(w.dir.path()).expect("index");
    let chains: BTreeSet<&str> = indexed.exposures.keys().map(|k| k.0.as_str()).collect();
    assert_eq!(
        chains.len(),
        2,
        "both chain models have direct exposure: {chains:?}"
    );
    assert!(
        indexed.exposures.len() > 1_000,
        "{} direct exposures",
        indexed.exposures.len()
    );
    let batches = run(&catalog, &catalog.direct_exposure_query());
    let columns: Vec<Vec<Option<String>>> = (0..5).map(|c| texts(&batches, c)).collect();
    let rows: Vec<_> = floats(&batches, 5)
        .into_iter()
        .enumerate()
        .map(|(i, usd)| {
            let text = |c: usize| columns[c][i].clone().expect("not null");
            let key = (text(0), text(1), text(2), text(3), text(4));
            (key, usd.expect("usd"))
        })
        .collect();
    let differences = indexed.differences(&rows, 10);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
