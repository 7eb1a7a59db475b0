//! Token metadata: the `symbol()` / `decimals()` decoders on real mainnet answers recorded by
//! ethereum-etl (a `bytes32` symbol, a string padded with NULs), and the ethereum-etl importer's
//! `tokens` table naming a token the registry does not know.

mod common;

use std::path::Path;

use chaintrail_core::{Address, Chain};
use chaintrail_evm::EthereumEtl;
use chaintrail_evm::{decode_decimals, decode_symbol};
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_store::Store;
use common::fixtures;

fn answer(dir: &Path, selector: &str, to: &str) -> Vec<u8> {
    let path = dir.join(format!(
        "web3_response.eth_call_data_{selector}_to_{to}_latest.json"
    ));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json");
    let text = json["result"].as_str().expect("result");
    hex::decode(text.trim_start_matches("0x")).expect("hex")
}

#[test]
fn decoders_read_real_answers_as_ethereum_etl_does() {
    let jobs = fixtures().join("test_export_tokens_job");
    for (case, contract, symbol, decimals) in [
        // EOS answers symbol() with bytes32.
        (
            "token_with_alternative_return_type",
            "0x86fa049857e0209aa7d9e616f7eb3b3b78ecfdb0",
            "EOS",
            18,
        ),
        // A string whose declared length counts three NUL bytes.
        (
            "token_with_invalid_data",
            "0xf763be8b3263c268e9789abfb3934564a7b80054",
            "ETH",
            18,
        ),
    ] {
        let dir = jobs.join(case);
        let expected = std::fs::read_to_string(dir.join("expected_tokens.csv")).expect("csv");
        assert!(
            expected.contains(&format!("{contract},{symbol},")),
            "{case}"
        );
        assert_eq!(
            decode_symbol(&answer(&dir, "0x95d89b41", contract)).as_deref(),
            Some(symbol),
            "{case}"
        );
        assert_eq!(
            decode_decimals(&answer(&dir, "0x313ce567", contract)),
            Some(decimals),
            "{case}"
        );
    }
}

/// Block 483,920 as ethereum-etl exports it to CSV: its two token transfers move a token the
/// registry does not list.
fn export_483920(dir: &Path) {
    let blocks = fixtures().join("test_export_blocks_job/block_with_logs");
    let receipts = fixtures().join("test_export_receipts_job/receipts_with_logs");
    for (from, table) in [
        (&blocks, "blocks"),
        (&blocks, "transactions"),
        (&receipts, "receipts"),
        (&receipts, "logs"),
    ] {
        std::fs::copy(
            from.join(format!("expected_{table}.csv")),
            dir.join(format!("{table}.csv")),
        )
        .expect("copy");
    }
}

#[test]
fn the_export_tokens_table_names_tokens_the_registry_does_not_know() {
    let token = Address::parse(
        Chain::ETHEREUM,
        "0xf4eced2f682ce333f96f2d8966c613ded8fc95dd",
    )
    .expect("address");
    let metadata = |export: &Path| {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::init(dir.path()).expect("store");
        EthereumEtl
            .import(&store, export, &ImportOptions::default())
            .expect("import");
        let reader = store.reader(Chain::ETHEREUM).expect("reader");
        reader
            .assets()
            .iter()
            .find(|a| a.contract() == Some(&token))
            .map(|a| (a.symbol.clone(), a.decimals))
    };
    let export = tempfile::tempdir().expect("tmp");
    export_483920(export.path());
    assert_eq!(
        metadata(export.path()),
        Some((String::new(), 0)),
        "neither the export nor the registry names it"
    );
    // ethereum-etl's tokens table, in its column layout.
    std::fs::write(
        export.path().join("tokens.csv"),
        "address,symbol,name,decimals,total_supply,block_number\n\
         0xf4eced2f682ce333f96f2d8966c613ded8fc95dd,EXP,Example Token,2,1000000,483920\n",
    )
    .expect("write");
    assert_eq!(metadata(export.path()), Some(("EXP".to_string(), 2)));
}
