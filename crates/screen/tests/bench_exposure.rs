//! `chaintrail bench exposure`'s sample computes what the exposure index holds for the same
//! addresses: the counts it reports are the index's, on a synthetic world with labelled hubs.

use chaintrail_core::{BitcoinNetwork, Chain};
use chaintrail_ingest::synthetic;
use chaintrail_labels::Date;
use chaintrail_screen::bench::{exposure_cost, sample_ids};
use chaintrail_screen::{ExposureIndex, Screener};
use chaintrail_store::Store;

const ETH: Chain = Chain::Evm(31337);
const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);
const TRANSFERS: u64 = 6_000;
const UTXO_RECORDS: u64 = 5_000;

#[test]
fn the_sample_counts_what_the_index_holds_for_the_same_addresses() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("init");
    let mut writer = store.writer(ETH).expect("writer");
    for tx in synthetic::account_txs(11, TRANSFERS) {
        writer.append_account_tx(&tx).expect("append");
    }
    writer.finish("test", serde_json::json!(0)).expect("finish");
    let mut writer = store.writer(BTC).expect("writer");
    for tx in synthetic::utxo_txs(11, UTXO_RECORDS) {
        writer.append_utxo_tx(&tx).expect("append");
    }
    writer.finish("test", serde_json::json!(0)).expect("finish");
    chaintrail_eval::hubs::label_hubs(dir.path(), TRANSFERS, UTXO_RECORDS).expect("hubs");

    let at: Date = "2023-12-01".parse().expect("date");
    let mut screener = Screener::open(dir.path()).expect("screener");
    screener
        .build_index(Some(at), 1, true, &|_, _| {})
        .expect("build");
    let results = exposure_cost(&screener, 50, at).expect("bench");
    let index = ExposureIndex::load(dir.path())
        .expect("load")
        .expect("an index");

    assert_eq!(
        results.iter().map(|r| r.chain).collect::<Vec<_>>(),
        vec![BTC, ETH]
    );
    for result in &results {
        let reader = &screener.readers()[&result.chain];
        assert_eq!(result.addresses, reader.address_count() as u64 - 1);
        let ids = sample_ids(reader.address_count() as u64, 50);
        assert_eq!(result.sampled, 50);
        assert_eq!(ids.len(), 50);
        let (mut with_exposure, mut truncated) = (0, 0);
        for id in ids {
            let stored = index
                .get(result.chain, id)
                .expect("readable")
                .expect("covered");
            with_exposure += usize::from(!stored.exposures.is_empty());
            truncated += usize::from(stored.truncated);
        }
        assert_eq!(
            (result.with_exposure, result.truncated),
            (with_exposure, truncated),
            "{result:?}"
        );
        // Hubs are 30% of every pick: most sampled addresses dealt with one.
        assert!(result.with_exposure > 25, "{result:?}");
        assert!(result.p50_ms <= result.p99_ms && result.p99_ms <= result.max_ms);
        assert!(result.full_build_core_seconds > 0.0);
    }
}
