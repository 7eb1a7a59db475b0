mod common;

use chaintrail_labels::{Category, Date, LabelStore, Source};
use common::data;

#[test]
fn persists_atomically_and_ranks_sanctions_first() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = LabelStore::open(dir.path()).expect("open empty");
    store
        .import_ofac(
            &data("ofac_sdn/sdn_digital_currency_addresses_2025-03-04.csv"),
            None,
        )
        .expect("ofac 03-04");
    store
        .import_ofac(
            &data("ofac_sdn/sdn_digital_currency_addresses_2025-11-19.csv"),
            None,
        )
        .expect("ofac 11-19");
    store
        .import_tornado(&data("tornado_cash/tornado_cash_contracts.csv"))
        .expect("tornado");
    store
        .import_explorer(
            &data("evm_labels/etherscan_labels/etherscan_account_labels.json"),
            None,
        )
        .expect("explorer");
    store
        .import_tagpacks(&data("graphsense_tagpacks/packs/tornado_cash.yaml"))
        .expect("tagpack");
    store.save().expect("save");
    let files: Vec<String> = std::fs::read_dir(dir.path().join("labels"))
        .expect("labels dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    assert!(files.iter().all(|f| !f.contains(".tmp-")), "{files:?}");
    let again = LabelStore::open(dir.path()).expect("reopen");
    assert_eq!(again.labels().len(), store.labels().len());
    assert_eq!(again.stats(), store.stats());
    // Tornado 0.1 ETH pool: GraphSense (60) mixer label, then the explorer's stale "OFAC
    // sanctions list" claim and the Tornado docs label (50 each, by category risk), then the
    // delisted OFAC label (expired labels rank last).
    let pool = "0x12D66f87A04A9E220743712cE6d9bB1B5616B8Fc";
    let labels = again.lookup(pool);
    let order: Vec<(Source, Category)> = labels.iter().map(|l| (l.source, l.category)).collect();
    assert_eq!(
        order,
        vec![
            (Source::Graphsense, Category::Mixer),
            (Source::Explorer, Category::Sanctioned),
            (Source::TornadoCash, Category::Mixer),
            (Source::Ofac, Category::Sanctioned),
        ]
    );
    assert!(labels[3].valid_to.is_some());
    // While it was listed, the sanction ranks first.
    let listed: Date = "2025-03-04".parse().expect("date");
    assert_eq!(again.lookup_at(pool, listed)[0].source, Source::Ofac);
    let at: Date = "2025-12-01".parse().expect("date");
    assert!(
        again
            .lookup_at(pool, at)
            .iter()
            .all(|l| l.source != Source::Ofac)
    );
    let report = again.show(pool, None);
    assert!(!report.sanctioned);
    assert!(report.categories.contains(&Category::Mixer));
    // A corrupt store file is an error naming the file and line.
    std::fs::write(dir.path().join("labels/labels.jsonl"), "{\"oops\": 1}\n").expect("write");
    let err = LabelStore::open(dir.path()).expect_err("corrupt");
    assert!(
        err.to_string()
            .contains("labels.jsonl is corrupt at line 1"),
        "{err}"
    );
}

#[test]
fn lookup_bench_runs() {
    let mut store = LabelStore::in_memory();
    store
        .import_tagpacks(&data("graphsense_tagpacks/packs/lazarus.yaml"))
        .expect("import");
    let queries: Vec<String> = store.labels().iter().map(|l| l.address.clone()).collect();
    let bench = store.bench_lookups(&queries, 2);
    assert_eq!(bench.hits, 42);
    assert!(bench.median_ns > 0 && bench.median_ns <= bench.p99_ns);
}
