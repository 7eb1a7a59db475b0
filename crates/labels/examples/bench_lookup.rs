//! Lookup benchmark: load every label source of `../shared/data` into an in-memory store and
//! time `LabelStore::lookup` and `LabelStore::resolve` (what tracing and screening call) over
//! every labelled address (hits) and as many unlabelled ones (misses).
//! `cargo run --release -p chaintrail-labels --example bench_lookup [DATA_DIR]`

use std::path::PathBuf;
use std::time::Instant;

use chaintrail_labels::LabelStore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    let mut store = LabelStore::in_memory();
    let start = Instant::now();
    store.import_ofac(
        &data.join("ofac_sdn/sdn_digital_currency_addresses_2025-03-04.csv"),
        None,
    )?;
    store.import_ofac(&data.join("ofac_sdn/sdn_advanced_2025-11-19.xml.bz2"), None)?;
    store.import_ofac(
        &data.join("ofac_sdn/sdn_digital_currency_addresses_2026-08-20.csv"),
        None,
    )?;
    let ofac = start.elapsed();
    store.import_tagpacks(&data.join("graphsense_tagpacks/packs"))?;
    store.import_tagpacks(&data.join("graphsense_tagpacks/actors"))?;
    store.import_explorer(&data.join("evm_labels/etherscan_labels"), None)?;
    store.import_forta(&data.join("evm_labels/forta_labelled_datasets"), None)?;
    store.import_tornado(&data.join("tornado_cash/tornado_cash_contracts.csv"))?;
    let loaded = start.elapsed();
    let stats = store.stats();
    let mut queries: Vec<String> = store.labels().iter().map(|l| l.address.clone()).collect();
    queries.sort();
    queries.dedup();
    let hits = queries.len();
    // Misses: the same number of unlabelled EVM addresses.
    queries.extend((1..=hits as u128).map(|i| format!("0xfeed{:036x}", i * 0x9e37_79b9_7f4a_7c15)));
    let lookup = store.bench_lookups(&queries, 5);
    let resolve = store.bench_resolve(&queries, 5);
    println!(
        "loaded {} labels ({} distinct addresses) in {:.2?} (OFAC snapshots incl. the 121 MB XML: {:.2?})",
        stats.labels, stats.distinct_addresses, loaded, ofac
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({"lookup": lookup, "resolve": resolve}))?
    );
    Ok(())
}
