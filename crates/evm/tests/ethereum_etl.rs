//! The `ethereum-etl` importer on ethereum-etl's own exports of mainnet blocks 17,173,049–
//! 17,173,050 (post-Shanghai, with withdrawals), on a CSV export, and against arbitrary input.

mod common;

use std::path::Path;

use alloy_primitives::U256;
use chaintrail_core::{AssetKind, Chain, TransferKind};
use chaintrail_evm::EthereumEtl;
use chaintrail_evm::events::decode_token_transfer;
use chaintrail_evm::{EtlRecord, EtlTable};
use chaintrail_evm::{parse_etl_csv, parse_etl_json};
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_store::Store;
use common::fixtures;
use proptest::prelude::*;
use serde_json::Value;

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}

fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

#[test]
fn post_shanghai_json_export_imports_with_withdrawals_fees_and_tokens() {
    let source = fixtures().join("test_stream/blocks_17173049_17173050");
    let export = tempfile::tempdir().expect("tempdir");
    for table in ["blocks", "transactions", "logs", "token_transfers"] {
        copy(
            &source.join(format!("expected_{table}.json")),
            &export.path().join(format!("{table}.json")),
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(dir.path()).expect("store");
    let report = EthereumEtl
        .import(&store, export.path(), &ImportOptions::default())
        .expect("import");
    assert_eq!(report.chain, Chain::Evm(1));
    // 116 + 182 transactions, and one synthetic transaction per block for its withdrawals.
    assert_eq!(report.txs_read, 116 + 182 + 2);

    let blocks = json_lines(&export.path().join("blocks.json"));
    let withdrawn: U256 = blocks
        .iter()
        .flat_map(|b| b["withdrawals"].as_array().cloned().unwrap_or_default())
        .map(|w| U256::from(w["amount"].as_u64().expect("gwei")) * U256::from(1_000_000_000u64))
        .sum();
    assert!(withdrawn > U256::ZERO);
    let txs = json_lines(&export.path().join("transactions.json"));
    let base_fee = |number: u64| {
        let block = blocks
            .iter()
            .find(|b| b["number"] == number)
            .expect("block");
        U256::from(block["base_fee_per_gas"].as_u64().expect("base fee"))
    };
    let burnt: U256 = txs
        .iter()
        .map(|t| {
            base_fee(t["block_number"].as_u64().expect("n"))
                * U256::from(t["receipt_gas_used"].as_u64().expect("gas"))
        })
        .sum();
    let tips: U256 = txs
        .iter()
        .map(|t| {
            let price = U256::from(t["receipt_effective_gas_price"].as_u64().expect("price"));
            (price - base_fee(t["block_number"].as_u64().expect("n")))
                * U256::from(t["receipt_gas_used"].as_u64().expect("gas"))
        })
        .sum();

    let reader = store.reader(Chain::Evm(1)).expect("reader");
    let (mut minted, mut burnt_seen, mut tips_seen, mut token_rows) =
        (U256::ZERO, U256::ZERO, U256::ZERO, 0);
    let weth = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
    for row in 0..reader.transfer_count() {
        let t = reader.transfer(row).expect("row");
        let asset = &reader.asset(t.asset).expect("asset").kind;
        match (asset, t.kind) {
            (AssetKind::Native, TransferKind::Mint) => minted += t.amount.as_u256(),
            (AssetKind::Native, TransferKind::Burn) => burnt_seen += t.amount.as_u256(),
            (AssetKind::Native, TransferKind::Fee) => tips_seen += t.amount.as_u256(),
            (AssetKind::Token(_), _) => token_rows += 1,
            _ => {}
        }
    }
    assert_eq!(minted, withdrawn, "withdrawals are minted");
    assert_eq!(burnt_seen, burnt, "base fee × gas used is burnt");
    assert_eq!(tips_seen, tips, "priority fees go to the fee recipient");
    // Token transfers decoded from the logs are ethereum-etl's token_transfers, field by field.
    let records = |table, name: &str| {
        parse_etl_json(
            table,
            &std::fs::read(export.path().join(name)).expect("read"),
        )
        .expect("parse")
    };
    let decoded: Vec<EtlRecord> = records(EtlTable::Logs, "logs.json")
        .into_iter()
        .filter_map(|r| match r {
            EtlRecord::Log(log) => decode_token_transfer(&log).map(EtlRecord::TokenTransfer),
            _ => None,
        })
        .collect();
    // ethereum-etl also lists ERC-721 transfers (four topics, `value` = the token id): not
    // amounts, so chaintrail leaves them out.
    let nft_logs: Vec<(String, u64)> = json_lines(&export.path().join("logs.json"))
        .iter()
        .filter(|l| l["topics"].as_array().is_some_and(|t| t.len() == 4))
        .map(|l| {
            (
                l["transaction_hash"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                l["log_index"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let all = records(EtlTable::TokenTransfers, "token_transfers.json");
    let expected: Vec<EtlRecord> = all
        .iter()
        .filter(|r| match r {
            EtlRecord::TokenTransfer(t) => {
                !nft_logs.contains(&(t.transaction_hash.to_string(), t.log_index))
            }
            _ => false,
        })
        .cloned()
        .collect();
    assert_eq!((all.len(), expected.len()), (291, 282));
    assert_eq!(decoded, expected);
    // And the store holds one token-asset transfer per ERC-20 transfer, plus the WETH wraps.
    let weth_wraps = json_lines(&export.path().join("logs.json"))
        .iter()
        .filter(|l| {
            l["address"] == weth.to_lowercase()
                && [
                    "0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c",
                    "0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65",
                ]
                .contains(&l["topics"][0].as_str().unwrap_or_default())
        })
        .count();
    assert!(weth_wraps > 0, "the blocks have WETH wraps");
    assert_eq!(token_rows, expected.len() + weth_wraps);

    // Importing again resumes at the end and stores nothing twice.
    let again = EthereumEtl
        .import(&store, export.path(), &ImportOptions::default())
        .expect("again");
    assert!(again.resumed);
    assert_eq!(again.txs_read, 0);
}

#[test]
fn csv_export_without_receipts_is_refused_with_a_hint() {
    let source = fixtures().join("test_export_blocks_job/blocks_with_transactions_and_withdrawals");
    let export = tempfile::tempdir().expect("tempdir");
    copy(
        &source.join("expected_blocks.csv"),
        &export.path().join("blocks.csv"),
    );
    copy(
        &source.join("expected_transactions.csv"),
        &export.path().join("transactions.csv"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(dir.path()).expect("store");
    let error = EthereumEtl
        .import(&store, export.path(), &ImportOptions::default())
        .expect_err("no receipts");
    let text = error.to_string();
    assert!(
        text.contains("block 17173049") && text.contains("export `receipts` too"),
        "{text}"
    );
    assert!(store.reader(Chain::Evm(1)).is_err(), "nothing committed");
}

#[test]
fn csv_tables_parse_like_their_json_twins() {
    let csv_dir =
        fixtures().join("test_export_blocks_job/blocks_with_transactions_and_withdrawals");
    for table in [EtlTable::Blocks, EtlTable::Transactions] {
        let name = if table == EtlTable::Blocks {
            "blocks"
        } else {
            "transactions"
        };
        let from_csv = parse_etl_csv(
            table,
            &std::fs::read(csv_dir.join(format!("expected_{name}.csv"))).expect("csv"),
        )
        .expect("parse csv");
        let from_json = parse_etl_json(
            table,
            &std::fs::read(csv_dir.join(format!("expected_{name}.json"))).expect("json"),
        )
        .expect("parse json");
        assert_eq!(
            from_csv.len(),
            if table == EtlTable::Blocks { 2 } else { 298 }
        );
        assert_eq!(from_csv, from_json, "{name}");
    }
}

#[test]
fn missing_tables_and_bad_rows_are_reported_with_file_and_line() {
    let export = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(dir.path()).expect("store");
    let error = EthereumEtl
        .import(&store, export.path(), &ImportOptions::default())
        .expect_err("empty");
    assert!(error.to_string().contains("no `blocks` table"), "{error}");
    std::fs::write(
        export.path().join("blocks.csv"),
        "number,hash,timestamp,miner\n1,0xnothex,5,0x00\n",
    )
    .expect("write");
    std::fs::write(export.path().join("transactions.csv"), "hash\n").expect("write");
    let error = EthereumEtl
        .import(&store, export.path(), &ImportOptions::default())
        .expect_err("bad row");
    let text = error.to_string();
    assert!(
        text.contains("blocks.csv:2: column `hash`: `0xnothex` is not a 32-byte hash"),
        "{text}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn row_parsers_never_panic_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        for table in [EtlTable::Blocks, EtlTable::Transactions, EtlTable::Receipts, EtlTable::Logs, EtlTable::TokenTransfers, EtlTable::Traces, EtlTable::Tokens] {
            let _ = parse_etl_csv(table, &data);
            let _ = parse_etl_json(table, &data);
        }
    }

    #[test]
    fn row_parsers_never_panic_on_plausible_rows(
        cells in proptest::collection::vec(prop_oneof![
            Just(String::new()),
            "[0-9]{1,90}",
            "0x[0-9a-f]{0,70}",
            "[ -~]{0,20}",
            Just("{\"index\":1,\"validator_index\":2,\"address\":\"0x01\",\"amount\":3}".to_string()),
        ], 21)
    ) {
        let header = "number,hash,timestamp,miner,base_fee_per_gas,withdrawals,nonce,block_number,transaction_index,from_address,to_address,value,gas,gas_price,input,transaction_hash,log_index,address,data,topics,trace_type";
        let columns: Vec<&str> = header.split(',').collect();
        let quoted: Vec<String> = cells.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
        let csv = format!("{header}\n{}\n", quoted.join(","));
        let object: serde_json::Map<String, Value> = columns.iter().zip(&cells).map(|(k, v)| (k.to_string(), Value::String(v.clone()))).collect();
        let json = Value::Object(object).to_string();
        for table in [EtlTable::Blocks, EtlTable::Transactions, EtlTable::Receipts, EtlTable::Logs, EtlTable::TokenTransfers, EtlTable::Traces, EtlTable::Tokens] {
            let _ = parse_etl_csv(table, csv.as_bytes());
            let _ = parse_etl_json(table, json.as_bytes());
        }
    }

    #[test]
    fn rpc_decoders_never_panic(text in "[\\[\\]{}\":,0-9a-fx a-z]{0,200}") {
        if let Ok(value) = serde_json::from_str::<Value>(&text) {
            let _ = chaintrail_evm::decode_block(&value);
            let _ = chaintrail_evm::decode_receipt(&value);
            let _ = chaintrail_evm::decode_parity_traces(&value);
            let _ = chaintrail_evm::decode_geth_traces(&value, 1, &[]);
        }
    }
}
