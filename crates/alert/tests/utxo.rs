//! The rules on a UTXO chain: a regtest store imported through the real flow-jsonl importer,
//! alerts to a JSON-lines file.

use chaintrail_alert::{
    Alert, AlertConfig, AlertEngine, RetryPolicy, Rule, Side, SinkConfig, WatchTarget, Watchlist,
};
use chaintrail_core::testing::{numbered_tx as tx, regtest_address as addr};
use chaintrail_core::{BitcoinNetwork, Chain, TxHash};
use chaintrail_ingest::{FlowJsonl, FlowRecord, ImportOptions, Importer, write_flow_jsonl};
use chaintrail_labels::LabelStore;
use chaintrail_store::Store;

const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);
const WATCHED: u8 = 1;
const OTHER: u8 = 2;
const SANCTIONED: u8 = 7;

#[test]
fn a_watched_input_and_a_sanctioned_counterparty_raise_alerts_on_bitcoin() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(&dir.path().join("data")).expect("store");
    let records: Vec<FlowRecord> = [
        tx(1, &[], &[(WATCHED, 50_000)]),
        tx(2, &[], &[(SANCTIONED, 30_000)]),
        // The watched wallet spends its coin.
        tx(3, &[(1, 0)], &[(OTHER, 49_000)]),
        // The sanctioned address pays the watched wallet.
        tx(4, &[(2, 0)], &[(WATCHED, 29_000)]),
    ]
    .into_iter()
    .map(FlowRecord::Utxo)
    .collect();
    let export = dir.path().join("btc.jsonl");
    write_flow_jsonl(&export, BTC, &records).expect("export");
    FlowJsonl
        .import(&store, &export, &ImportOptions::default())
        .expect("import");
    let pack = dir.path().join("sanctioned.yaml");
    std::fs::write(
        &pack,
        format!(
            "title: Sanctioned actor\ncreator: test\nconfidence: authority_data\n\
             abuse: sanction\nlabel: Bad Actor\ncurrency: BTC\nlastmod: 2024-01-01\n\
             source: https://example.invalid/test\ntags:\n- address: '{}'\n",
            addr(SANCTIONED)
        ),
    )
    .expect("pack");
    let mut labels = LabelStore::open(store.dir()).expect("labels");
    let report = labels.import_tagpacks(&pack).expect("tagpack");
    assert_eq!(report.imported, 1, "{report:?}");
    labels.save().expect("save");
    let mut watchlist = Watchlist::open(store.dir()).expect("watchlist");
    let entry = watchlist
        .add(
            WatchTarget::address(BTC, &addr(WATCHED).to_string()).expect("address"),
            None,
        )
        .expect("watch");

    let jsonl = dir.path().join("alerts.jsonl");
    let mut engine = AlertEngine::open(
        store.dir(),
        AlertConfig {
            sinks: vec![SinkConfig::JsonlFile(jsonl.clone())],
            retry: RetryPolicy::default(),
            links_file: None,
        },
    )
    .expect("engine");
    engine.blocks_applied(&store, BTC, 1, 4).expect("evaluate");
    let alerts: Vec<Alert> = std::fs::read_to_string(&jsonl)
        .expect("alerts")
        .lines()
        .map(|l| serde_json::from_str(l).expect("an alert"))
        .collect();
    let party = |p: &Option<chaintrail_alert::Party>| p.as_ref().map(|p| p.address.clone());
    assert_eq!(
        alerts
            .iter()
            .map(|a| (
                a.rule,
                a.block.number,
                a.tx.clone(),
                a.side,
                a.position,
                party(&a.holder),
                party(&a.counterparty),
                a.amount.amount.clone(),
                a.amount.units.clone(),
                a.watch.id.clone(),
            ))
            .collect::<Vec<_>>(),
        vec![
            (
                Rule::WatchedSends,
                3,
                TxHash([3; 32]).to_hex(),
                Side::Input,
                0,
                Some(addr(WATCHED).to_string()),
                None,
                "50000".to_string(),
                "0.0005".to_string(),
                entry.id.clone(),
            ),
            (
                Rule::SanctionedCounterparty,
                4,
                TxHash([4; 32]).to_hex(),
                Side::Input,
                0,
                Some(addr(WATCHED).to_string()),
                Some(addr(SANCTIONED).to_string()),
                "30000".to_string(),
                "0.0003".to_string(),
                entry.id.clone(),
            ),
        ]
    );
    assert_eq!(
        alerts[1].counterparty.as_ref().map(|p| p.flags.clone()),
        Some(vec!["sanctioned".to_string()])
    );
}
