//! The THORChain decoder on real mainnet transactions (tests/fixtures, with PROVENANCE.md):
//!
//! - an Ethereum router `Deposit` (WBTC → BTC through LI.FI from an EIP-7702 account), turned
//!   into the rows ethereum-etl exports for it and imported through the real importer: a
//!   pending inbound whose evidence is its memo;
//! - a Bitcoin vault payout `OUT:84D45073…` joined exactly to its Ethereum inbound (the inbound's
//!   own log is rebuilt from Midgard's record of it: the raw Ethereum transaction is not public
//!   in any fixture), paying the memo's destination;
//! - a Bitcoin inbound with a streaming-swap memo and no payout in the store: pending, held by
//!   the vault its first output pays.

use std::collections::BTreeMap;
use std::path::Path;

use chaintrail_core::{Address, BitcoinNetwork, BlockRef, Chain, TxHash};
use chaintrail_evm::EthereumEtl;
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_labels::Category;
use chaintrail_links::{Services, build};
use chaintrail_store::Store;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("json")
}

fn hex_u64(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().expect("hex").trim_start_matches("0x"), 16).expect("hex number")
}

/// Labels an investigator has on day one: nothing about these transactions.
struct NoServices;

impl Services for NoServices {
    fn service(&self, _: Chain, _: &Address) -> Option<(Category, String)> {
        None
    }
    fn addresses(&self, _: Chain) -> Vec<(Address, Category, String)> {
        Vec::new()
    }
}

/// The ethereum-etl JSON rows of one transaction and its receipt's logs (ethereum-etl maps
/// RPC fields to these columns). The block's timestamp is not in the receipt: a placeholder.
fn ethereum_etl_export(dir: &Path, tx: &Value, receipt: &Value, timestamp: u64) {
    let block_number = hex_u64(&receipt["blockNumber"]);
    let block = json!({
        "type": "block", "number": block_number, "hash": receipt["blockHash"],
        "parent_hash": format!("0x{}", "00".repeat(32)), "timestamp": timestamp,
        "miner": "0x0000000000000000000000000000000000000000", "transaction_count": 1,
        "gas_limit": 36000000, "gas_used": hex_u64(&receipt["gasUsed"]), "base_fee_per_gas": 1000000000u64,
    });
    let transaction = json!({
        "type": "transaction", "hash": tx["hash"], "nonce": 0, "transaction_index": hex_u64(&receipt["transactionIndex"]),
        "from_address": tx["from"], "to_address": receipt["to"], "value": 0, "gas": hex_u64(&tx["gas"]),
        "gas_price": hex_u64(&tx["gasPrice"]), "input": tx["input"], "block_timestamp": timestamp,
        "block_number": block_number, "block_hash": receipt["blockHash"],
        "max_fee_per_gas": hex_u64(&tx["maxFeePerGas"]), "max_priority_fee_per_gas": hex_u64(&tx["maxPriorityFeePerGas"]),
        "transaction_type": hex_u64(&receipt["type"]), "receipt_cumulative_gas_used": hex_u64(&receipt["cumulativeGasUsed"]),
        "receipt_gas_used": hex_u64(&receipt["gasUsed"]), "receipt_contract_address": null, "receipt_root": null,
        "receipt_status": hex_u64(&receipt["status"]), "receipt_effective_gas_price": hex_u64(&receipt["effectiveGasPrice"]),
    });
    let mut logs = String::new();
    for log in receipt["logs"].as_array().expect("logs") {
        logs += &json!({
            "type": "log", "log_index": hex_u64(&log["logIndex"]), "transaction_hash": log["transactionHash"],
            "transaction_index": hex_u64(&log["transactionIndex"]), "address": log["address"], "data": log["data"],
            "topics": log["topics"], "block_number": block_number, "block_timestamp": timestamp,
            "block_hash": log["blockHash"],
        })
        .to_string();
        logs.push('\n');
    }
    std::fs::write(dir.join("blocks.json"), format!("{block}\n")).expect("write");
    std::fs::write(dir.join("transactions.json"), format!("{transaction}\n")).expect("write");
    std::fs::write(dir.join("logs.json"), logs).expect("write");
}

#[test]
fn a_real_router_deposit_imported_from_ethereum_etl_rows_is_a_pending_inbound() {
    let receipt = fixture("eth_receipt_0xba43fa28_thorchain_deposit_wbtc_to_btc.raw.json");
    let tx = fixture("eth_tx_0xba43fa28.raw.json");
    let export = tempfile::tempdir().expect("tmp");
    ethereum_etl_export(export.path(), &tx, &receipt["result"], 1_747_500_000);
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    EthereumEtl
        .import(&store, export.path(), &ImportOptions::default())
        .expect("import");
    let built = build(&store, &NoServices).expect("links");
    let stats = &built.manifest.decoders["thorchain"];
    assert_eq!((stats.decoded, stats.links, stats.pending), (1, 0, 1));
    let pending = &built.set.pending_inbounds()[0];
    assert_eq!(
        pending.tx,
        "0xba43fa28957a7aaf961bc0bbf5b321a3218e99e408d2b5a491274e2125988bbe"
            .parse::<TxHash>()
            .expect("hash")
    );
    assert_eq!(
        pending.evidence,
        "inbound memo =:b:bc1q80nz3hx4w6dpzwwmuddyyd0y3uwj0sjxrtmlgu:1033655:lifi/-_:0/20 \
         (asks for BTC.BTC to bc1q80nz3hx4w6dpzwwmuddyyd0y3uwj0sjxrtmlgu), held by vault \
         0xc9146363D39cd45B11f6df465Cee68D014C962A0; no OUT:BA43FA28957A7AAF961BC0BBF5B321A3218E99E408D2B5A491274E2125988BBE payout in the store"
    );
    // The router and the vault are known from the event alone.
    let mut derived: Vec<(String, Category)> = built
        .attributions
        .iter()
        .map(|a| (a.address.clone(), a.role))
        .collect();
    derived.sort();
    assert_eq!(
        derived,
        vec![
            (
                "0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146".to_string(),
                Category::Bridge
            ),
            (
                "0xc9146363D39cd45B11f6df465Cee68D014C962A0".to_string(),
                Category::Bridge
            ),
        ]
    );
}

/// A Bitcoin mainnet transaction of a fixture, as the store's value-flow record.
fn bitcoin_tx(name: &str) -> (chaintrail_core::UtxoTx, Value) {
    let fixture = fixture(name);
    let raw = hex::decode(fixture["tx"]["hex"].as_str().expect("hex")).expect("hex");
    let tx: bitcoin::Transaction = bitcoin::consensus::deserialize(&raw).expect("transaction");
    let block = BlockRef {
        height: fixture["tx"]["blockHeight"].as_u64().expect("height"),
        timestamp: fixture["tx"]["timestamp"].as_u64().expect("time"),
    };
    let txid = tx.compute_txid();
    (
        chaintrail_bitcoin::utxo_tx(&tx, txid, block, BitcoinNetwork::Mainnet),
        fixture,
    )
}

/// `Deposit(address indexed to, address indexed asset, uint256 amount, string memo)` as an
/// ethereum-etl log row.
fn deposit_log(tx: &str, block: u64, vault: &str, amount: u128, memo: &str) -> Value {
    use alloy_sol_types::SolValue;
    let data = (alloy_primitives::U256::from(amount), memo.to_string()).abi_encode_params();
    let topic = |a: &str| format!("0x{:0>64}", a.trim_start_matches("0x"));
    json!({
        "type": "log", "log_index": 0, "transaction_hash": tx, "transaction_index": 0,
        "address": "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146",
        "data": format!("0x{}", hex::encode(data)),
        "topics": [
            "0xef519b7eb82aaf6ac376a6df2d793843ebfd593de5f1a0601d3cc6ab49ebb395",
            topic(vault), topic("0x0000000000000000000000000000000000000000"),
        ],
        "block_number": block, "block_timestamp": 1_705_090_000u64,
        "block_hash": format!("0x{}", "11".repeat(32)),
    })
}

#[test]
fn a_real_bitcoin_payout_joins_its_ethereum_inbound_and_a_real_inbound_is_pending() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    // Ethereum: the inbound 0x84d45073… of the loan, rebuilt from Midgard's record (ETH.ETH from
    // 0xa7b8… with memo loan+:BTC.BTC:bc1qey0w…); its vault is not in the record.
    let outbound_fixture = fixture("btc_outbound_98dcde74_OUT_from_ETH_inbound_loan.json");
    let action = &outbound_fixture["actionsResponse"]["actions"][0];
    let memo = action["metadata"]["lending"]["memo"]
        .as_str()
        .or_else(|| action["metadata"]["swap"]["memo"].as_str())
        .expect("memo")
        .to_string();
    let inbound_hash = "0x84d4507377bae8f7b9297eae39738854459c8c375d1994bb9af36e451232c5f5";
    let export = tempfile::tempdir().expect("tmp");
    let block = json!({"type": "block", "number": 19_000_000u64, "hash": format!("0x{}", "11".repeat(32)),
        "parent_hash": format!("0x{}", "00".repeat(32)), "timestamp": 1_705_090_000u64,
        "miner": "0x0000000000000000000000000000000000000000", "transaction_count": 1,
        "gas_limit": 30000000, "gas_used": 50000, "base_fee_per_gas": 1000000000u64});
    let from = action["in"][0]["address"]
        .as_str()
        .expect("sender")
        .to_string();
    let transaction = json!({"type": "transaction", "hash": inbound_hash, "nonce": 0, "transaction_index": 0,
        "from_address": from, "to_address": "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146",
        "value": 0, "gas": 80000, "gas_price": 1000000000u64, "input": "0x", "block_timestamp": 1_705_090_000u64,
        "block_number": 19_000_000u64, "block_hash": format!("0x{}", "11".repeat(32)),
        "transaction_type": 2, "receipt_cumulative_gas_used": 50000, "receipt_gas_used": 50000,
        "receipt_contract_address": null, "receipt_root": null, "receipt_status": 1,
        "receipt_effective_gas_price": 1000000000u64});
    let log = deposit_log(
        inbound_hash,
        19_000_000,
        "0x1111111111111111111111111111111111111111",
        1_000_000_000_000_000_000,
        &memo,
    );
    std::fs::write(export.path().join("blocks.json"), format!("{block}\n")).expect("write");
    std::fs::write(
        export.path().join("transactions.json"),
        format!("{transaction}\n"),
    )
    .expect("write");
    std::fs::write(export.path().join("logs.json"), format!("{log}\n")).expect("write");
    EthereumEtl
        .import(&store, export.path(), &ImportOptions::default())
        .expect("import");
    // Bitcoin: the real payout and the real streaming-swap inbound.
    let (payout, _) = bitcoin_tx("btc_outbound_98dcde74_OUT_from_ETH_inbound_loan.json");
    let (inbound, _) = bitcoin_tx("btc_inbound_a1174a69_memo_to_ETH_USDT_streaming.json");
    let mut writer = store.writer(Chain::BITCOIN).expect("writer");
    for tx in [&inbound, &payout] {
        writer.append_utxo_tx(tx).expect("append");
    }
    writer.finish("test", json!(null)).expect("finish");

    let built = build(&store, &NoServices).expect("links");
    let links = built.set.links();
    assert_eq!(links.len(), 1, "{links:?}");
    let link = &links[0];
    assert_eq!(
        (link.from_chain, link.from_tx.to_hex_prefixed()),
        (Chain::ETHEREUM, inbound_hash.to_string())
    );
    assert_eq!(
        (link.to_chain, link.to_tx.to_hex()),
        (
            Chain::BITCOIN,
            "98dcde74844ef79c7cd4facd067d697d1aca698fe62aac367bcf7e932d5dfd6c".to_string()
        )
    );
    // The memo's destination, not the vault's change.
    let destination = outbound_fixture["tx"]["vout"][0]["addresses"][0]
        .as_str()
        .or_else(|| outbound_fixture["tx"]["vout"][0]["scriptPubKey"]["addresses"][0].as_str())
        .expect("recipient");
    assert_eq!(link.to_address.as_deref(), Some(destination));
    assert_eq!(
        link.confidence, 0.9,
        "an unlabelled router is not trusted fully"
    );
    assert!(
        link.evidence.starts_with(
            "memo OUT:84D4507377BAE8F7B9297EAE39738854459C8C375D1994BB9AF36E451232C5F5 answers inbound memo loan+:BTC.BTC:"
        ),
        "{}",
        link.evidence
    );
    let pending: BTreeMap<String, String> = built
        .set
        .pending_inbounds()
        .iter()
        .map(|p| (p.tx.to_hex(), p.evidence.clone()))
        .collect();
    assert_eq!(
        pending
            .get("a1174a690a6e9cc570e4e4a76f8be49d82fa2353cfd686c1b6b210d58d0e3cc7")
            .map(String::as_str),
        Some(
            "inbound memo =:ETH.USDT-EC7:0x6057d2D9f07e06FA0836a17a4e4F0044d8F02912:0/1/0:ti:70 \
             (asks for ETH.USDT-EC7 to 0x6057d2D9f07e06FA0836a17a4e4F0044d8F02912), held by vault \
             bc1qgpa0uz3ph4076j4f3kjxgzzd6t5298sdtjvwc9; no OUT:A1174A690A6E9CC570E4E4A76F8BE49D82FA2353CFD686C1B6B210D58D0E3CC7 payout in the store"
        )
    );
    // The payout's signer is a vault.
    assert!(
        built
            .attributions
            .iter()
            .any(|a| a.chain == Chain::BITCOIN && a.role == Category::Bridge),
        "{:?}",
        built.attributions
    );
}
