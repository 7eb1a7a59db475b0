//! A trace stops at an unlabelled address of a labelled exchange's cluster (found by a
//! co-spend), naming the exchange and the merge; without the clusters it runs on past it.

use chaintrail_core::testing::{numbered_tx as tx, regtest_address as addr};
use chaintrail_core::{Address, BitcoinNetwork, Chain, TxHash};
use chaintrail_labels::Category;
use chaintrail_links::Services;
use chaintrail_store::Store;
use chaintrail_trace::{
    EndpointKind, Entity, Policy, Prices, StaticAttribution, TraceRequest, WithClusters, trace_with,
};

const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);
const EXCHANGE_LABELLED: u8 = 30;
const EXCHANGE_WALLET: u8 = 31;

struct Exchange;

impl Services for Exchange {
    fn service(&self, _: Chain, address: &Address) -> Option<(Category, String)> {
        (*address == addr(EXCHANGE_LABELLED)).then(|| (Category::Exchange, "ExA".to_string()))
    }

    fn addresses(&self, _: Chain) -> Vec<(Address, Category, String)> {
        vec![(
            addr(EXCHANGE_LABELLED),
            Category::Exchange,
            "ExA".to_string(),
        )]
    }
}

#[test]
fn a_trace_stops_in_a_labelled_exchanges_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut writer = store.writer(BTC).unwrap();
    for t in [
        tx(1, &[], &[(1, 500_000_000)]),
        tx(2, &[], &[(EXCHANGE_LABELLED, 100_000_000)]),
        tx(3, &[], &[(EXCHANGE_WALLET, 100_000_000)]),
        // The exchange co-spends its labelled address with another of its own.
        tx(4, &[(2, 0), (3, 0)], &[(EXCHANGE_LABELLED, 199_990_000)]),
        // The thief pays the exchange's unlabelled address, which pays on.
        tx(5, &[(1, 0)], &[(EXCHANGE_WALLET, 499_990_000)]),
        tx(6, &[(5, 0)], &[(40, 499_980_000)]),
    ] {
        writer.append_utxo_tx(&t).unwrap();
    }
    writer.finish("test", serde_json::json!(6)).unwrap();
    chaintrail_cluster::update(
        &store,
        &Exchange,
        None,
        chaintrail_cluster::Mode::Incremental,
    )
    .unwrap();
    let clusters = chaintrail_cluster::Clusters::open(&store).unwrap();
    let readers = store.readers().unwrap();
    let mut labels = StaticAttribution::default();
    labels.insert(
        BTC,
        addr(EXCHANGE_LABELLED),
        Entity::with_role("ExA", Category::Exchange),
    );
    let request = TraceRequest {
        seeds: vec![format!("{BTC}:{}:0", TxHash([1; 32])).parse().unwrap()],
        policy: Policy::Fifo,
        ..TraceRequest::default()
    };
    let with = WithClusters {
        labels: &labels,
        clusters: &clusters,
    };
    let not_fees = |report: &chaintrail_trace::TraceReport| -> Vec<chaintrail_trace::Endpoint> {
        report
            .endpoints
            .iter()
            .filter(|e| e.kind != EndpointKind::Fee)
            .cloned()
            .collect()
    };
    let report = trace_with(&readers, &with, &Prices::bundled(), &[], &request).unwrap();
    let ends = not_fees(&report);
    assert_eq!(ends.len(), 1, "{ends:?}");
    let end = &ends[0];
    assert_eq!(end.kind, EndpointKind::Service);
    assert_eq!(end.entity.as_deref(), Some("ExA"));
    assert_eq!(end.address, Some(addr(EXCHANGE_WALLET).to_string()));
    assert_eq!(end.value.units, "4.9999");
    assert_eq!(
        end.evidence.as_deref(),
        Some(
            format!(
                "cluster of ExA (labelled address {}) via multi-input in tx {}",
                addr(EXCHANGE_LABELLED),
                TxHash([4; 32]).to_hex()
            )
            .as_str()
        )
    );
    // Labels alone: the exchange's unlabelled address is walked through to address 40.
    let report = trace_with(&readers, &labels, &Prices::bundled(), &[], &request).unwrap();
    let ends = not_fees(&report);
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0].kind, EndpointKind::Unspent);
    assert_eq!(ends[0].address, Some(addr(40).to_string()));
}
