//! Screening counts exposure to an unlabelled address of a labelled exchange's cluster (found by
//! a co-spend), saying which merge put it there; without clusters the same transfer reaches no
//! entity.

use chaintrail_core::testing::{numbered_tx as tx, regtest_address as addr};
use chaintrail_core::{BitcoinNetwork, Chain, TxHash};
use chaintrail_labels::{Category, Date, LabelStore};
use chaintrail_screen::{Direction, ExposureType, Origin, Query, Screener};
use chaintrail_store::Store;

const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);
const LABELLED: u8 = 30;
const WALLET: u8 = 31;
const CUSTOMER: u8 = 1;

fn at() -> Date {
    "2026-11-23".parse().expect("date")
}

fn screen(dir: &std::path::Path) -> chaintrail_screen::Screening {
    Screener::open(dir)
        .expect("screener")
        .screen(&Query {
            address: addr(CUSTOMER).to_string(),
            chain: Some(BTC),
            at: Some(at()),
            paths: false,
        })
        .expect("screen")
}

#[test]
fn exposure_to_an_unlabelled_member_of_an_exchanges_cluster() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(dir.path()).expect("init");
    let mut writer = store.writer(BTC).expect("writer");
    for t in [
        tx(1, &[], &[(CUSTOMER, 500_000_000)]),
        tx(2, &[], &[(LABELLED, 100_000_000)]),
        tx(3, &[], &[(WALLET, 100_000_000)]),
        // The exchange co-spends its labelled address with another of its own.
        tx(4, &[(2, 0), (3, 0)], &[(LABELLED, 199_990_000)]),
        // The customer pays the exchange's unlabelled address.
        tx(5, &[(1, 0)], &[(WALLET, 499_990_000)]),
    ] {
        writer.append_utxo_tx(&t).expect("append");
    }
    writer.finish("test", serde_json::json!(5)).expect("finish");
    let pack = format!(
        "title: test\ncreator: test\nis_public: true\nconfidence: service_data\nsource: test\nlastmod: 2026-01-05\ntags:\n- address: '{}'\n  label: 'ExA'\n  category: exchange\n  currency: BTC\n",
        addr(LABELLED)
    );
    let file = dir.path().join("exchange.yaml");
    std::fs::write(&file, pack).expect("write pack");
    let mut labels = LabelStore::open(dir.path()).expect("labels");
    labels.import_tagpacks(&file).expect("pack");
    labels.save().expect("save labels");

    // Without clusters the customer's payment reaches no entity.
    assert!(screen(dir.path()).exposures.is_empty());

    chaintrail_cluster::refresh(&store, None, chaintrail_cluster::Mode::Incremental)
        .expect("cluster");
    let screening = screen(dir.path());
    assert_eq!(screening.exposures.len(), 1, "{:?}", screening.exposures);
    let e = &screening.exposures[0];
    assert_eq!(
        (e.category, e.entity.as_str(), e.direction, e.exposure_type),
        (
            Category::Exchange,
            "ExA",
            Direction::Outgoing,
            ExposureType::Direct
        )
    );
    // The 5 BTC the customer spent in that transaction (the screening model counts what left).
    assert_eq!(e.values[0].units, 5.0);
    assert_eq!(
        e.via_cluster.as_deref(),
        Some(
            format!(
                "cluster of ExA (labelled address {}) via multi-input in tx {}",
                addr(LABELLED),
                TxHash([4; 32]).to_hex()
            )
            .as_str()
        )
    );
    // An index build resolves the cluster's member once for all its walks: the same answer.
    Screener::open(dir.path())
        .expect("screener")
        .build_index(Some(at()), 1, true, &|_, _| {})
        .expect("index");
    let indexed = screen(dir.path());
    assert_eq!(indexed.origin, Origin::Index);
    assert_eq!(indexed.exposures, screening.exposures);
}
