//! The vendor-shaped answers follow the rule table in force: a 100 ETH deposit into the real
//! Tornado Cash pool on 2025-06-01, while OFAC listed it (the 2025-03-04 snapshot), is Severe
//! with a Chainalysis trigger naming the rule under the built-in table, and High in TRM's shape
//! under a table that says so; `/v1/rules` serves the table in force.

mod common;

use std::path::Path;

use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, AssetKind, BlockRef, Chain, TransferKind, TxHash,
};
use chaintrail_labels::LabelStore;
use chaintrail_screen::{RuleTable, Screener};
use chaintrail_store::Store;
use common::{KEY, config, get, post, start, start_with};

const POOL: &str = "0xA160cdAB225685dA1d56aa342Ad8841c3b53f291";
/// 2025-06-01 00:00 UTC.
const LISTED: u64 = 1_748_736_000;
const DEPOSITOR: &str = "0x2424242424242424242424242424242424242424";

fn transfer(n: u8, from: Option<Address>, to: Address) -> AccountTx {
    let kind = if from.is_some() {
        TransferKind::Native
    } else {
        TransferKind::Mint
    };
    AccountTx {
        hash: TxHash([n; 32]),
        block: BlockRef {
            height: u64::from(n),
            timestamp: LISTED + u64::from(n) * 12,
        },
        transfers: vec![AccountTransfer {
            from,
            to: Some(to),
            asset: AssetKind::Native,
            amount: Amount::from_units("100", 18).expect("amount"),
            kind,
            success: true,
        }],
    }
}

fn store(dir: &Path) {
    let store = Store::init(dir).expect("init");
    let mut writer = store.writer(Chain::ETHEREUM).expect("writer");
    let depositor = Address::parse(Chain::ETHEREUM, DEPOSITOR).expect("depositor");
    let pool = Address::parse(Chain::ETHEREUM, POOL).expect("pool");
    for tx in [
        transfer(1, None, depositor.clone()),
        transfer(2, Some(depositor), pool),
    ] {
        writer.append_account_tx(&tx).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
    let mut labels = LabelStore::open(dir).expect("labels");
    labels
        .import_ofac(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(
                "../../../shared/data/ofac_sdn/sdn_digital_currency_addresses_2025-03-04.csv",
            ),
            None,
        )
        .expect("ofac");
    labels.save().expect("save");
}

#[test]
fn vendor_shapes_follow_the_rule_table() {
    let dir = tempfile::tempdir().expect("tmp");
    store(dir.path());
    let server = start(dir.path(), config());

    let rules = get(&server, "/v1/rules", Some(KEY));
    assert_eq!(rules.status, 200);
    assert_eq!(rules.json["source"], "built-in");
    assert_eq!(rules.json["hop_discount"], 0.5);
    assert_eq!(
        rules.json["fingerprint"],
        RuleTable::builtin().fingerprint()
    );
    assert_eq!(rules.json["rules"][3]["name"], "prohibited-direct");
    assert_eq!(rules.json["rules"][3]["exposure"], "direct");

    let risk = get(
        &server,
        &format!("/api/risk/v2/entities/{DEPOSITOR}?date=2025-06-30"),
        Some(KEY),
    );
    assert_eq!(risk.status, 200, "{}", risk.json);
    assert_eq!(risk.json["risk"], "Severe");
    let reason = risk.json["riskReason"].as_str().expect("reason");
    assert!(
        reason.starts_with("Direct outgoing exposure to TORNADO CASH (sanctioned): $")
            && reason.ends_with(
                "; sent to a then-sanctioned party on 2025-06-01 — rule `prohibited-direct`"
            ),
        "{reason}"
    );
    assert_eq!(
        risk.json["triggers"],
        serde_json::json!([{
            "category": "sanctions",
            "percentage": 1.0,
            "message": risk.json["triggers"][0]["message"],
            "ruleTriggered": {
                "name": "prohibited-direct",
                "risk": "Severe",
                "exposureType": "direct",
                "direction": "sent",
            },
        }])
    );

    // A table in which a direct sanctioned counterparty is High: TRM's levels follow it.
    let text = RuleTable::builtin_text().replacen(
        "exposure = \"direct\"\nlevel = \"Severe\"",
        "exposure = \"direct\"\nlevel = \"High\"",
        1,
    );
    let table = RuleTable::parse(&text, Path::new("high.toml")).expect("rules");
    let screener = Screener::open(dir.path())
        .expect("open")
        .with_rules(table)
        .expect("rules");
    let server = start_with(screener, dir.path(), config());
    assert_eq!(get(&server, "/v1/rules", Some(KEY)).json["source"], "file");
    let body = format!(r#"[{{"address": "{DEPOSITOR}", "chain": "ethereum"}}]"#);
    let reply = post(
        &server,
        "/public/v2/screening/addresses?date=2025-06-30",
        &body,
        Some(KEY),
    );
    assert_eq!(reply.status, 200, "{}", reply.json);
    let indicator = &reply.json[0]["addressRiskIndicators"][0];
    assert_eq!(indicator["category"], "Sanctions");
    assert_eq!(indicator["riskType"], "COUNTERPARTY");
    assert_eq!(indicator["categoryRiskScoreLevel"], 10);
    assert_eq!(indicator["categoryRiskScoreLevelLabel"], "High");
}
