//! `chaintrail case`, `report` and `freeze-pack`, run as a user runs them, on a small synthetic
//! chain (no labels: the trace reaches no exchange).

use chaintrail_core::Chain;
use chaintrail_ingest::{FlowRecord, synthetic, write_flow_jsonl};
use chaintrail_store::Store;

mod common;
use common::{chaintrail, stderr};

const ANVIL: Chain = Chain::Evm(31337);

#[test]
fn a_case_gives_its_report_and_says_when_no_exchange_was_reached() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let flows = work.path().join("anvil.flow.jsonl");
    let records: Vec<FlowRecord> = synthetic::account_txs(42, 300)
        .map(FlowRecord::Account)
        .collect();
    write_flow_jsonl(&flows, ANVIL, &records).unwrap();
    let imported = chaintrail(&data, &["import", flows.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let reader = Store::open(&data).unwrap().reader(ANVIL).unwrap();
    let seed = format!("anvil:{}", reader.tx_hash(2).to_hex_prefixed());
    let block = reader.tx_block(2).height;

    let saved = chaintrail(
        &data,
        &[
            "case",
            "new",
            "--name",
            "Test theft",
            "--seed",
            &seed,
            "--policy",
            "fifo",
            "--notes",
            "first look",
            "--annotate",
            "0xabc=hot wallet?",
            "--format",
            "json",
        ],
    );
    assert!(saved.status.success(), "{}", stderr(&saved));
    let case: serde_json::Value = serde_json::from_slice(&saved.stdout).unwrap();
    assert_eq!(case["id"], "test-theft-1");
    assert_eq!(case["annotations"][0]["note"], "hot wallet?");
    let shown = chaintrail(&data, &["case", "show", "test-theft-1"]);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["seeds"][0], seed.as_str());
    assert_eq!(shown["policy"], "fifo");

    let json = work.path().join("report.json");
    let report = chaintrail(
        &data,
        &[
            "report",
            "--case",
            "test-theft-1",
            "--compare",
            "haircut,poison",
            "--format",
            "json",
            "--out",
            json.to_str().unwrap(),
        ],
    );
    assert!(report.status.success(), "{}", stderr(&report));
    let text = std::fs::read_to_string(&json).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["title"], "Test theft");
    let policies: Vec<&str> = parsed["comparison"]["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["policy"].as_str().unwrap())
        .collect();
    assert_eq!(policies, ["fifo", "haircut", "poison"]);
    // The seed transaction is cited first, with the store's block and no hash (no --rpc).
    let first = &parsed["citations"][0];
    assert_eq!(first["id"], "c1");
    assert_eq!(first["tx"], reader.tx_hash(2).to_hex_prefixed());
    assert_eq!(first["block_number"], block);
    assert_eq!(first["block_hash"], serde_json::Value::Null);
    // One citation per line.
    let lines = text
        .lines()
        .filter(|l| l.trim_start().starts_with("{\"id\":\"c"))
        .count();
    assert_eq!(lines, parsed["citations"].as_array().unwrap().len());

    let html = work.path().join("report.html");
    let report = chaintrail(
        &data,
        &[
            "report",
            "--seed",
            &seed,
            "--format",
            "html",
            "--out",
            html.to_str().unwrap(),
        ],
    );
    assert!(report.status.success(), "{}", stderr(&report));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg class=\"flow\"") && page.contains("Policies side by side"));

    let packs = work.path().join("packs");
    let refused = chaintrail(
        &data,
        &[
            "freeze-pack",
            "--case",
            "test-theft-1",
            "--out",
            packs.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("reached no exchange or other service"),
        "{}",
        stderr(&refused)
    );
    assert!(!packs.exists(), "nothing half-written");

    let missing = chaintrail(&data, &["report", "--case", "nope-1"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no case `nope-1`"),
        "{}",
        stderr(&missing)
    );
}
