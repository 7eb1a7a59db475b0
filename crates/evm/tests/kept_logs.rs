//! The raw logs of bridge and mixer events (`KEPT_TOPICS`) kept in `events/logs.jsonl` by the
//! ethereum-etl importer: a real Multichain `LogAnySwapIn` of mainnet block 17,173,050 from
//! ethereum-etl's JSON export, and a THORChain router `Deposit` row added to ethereum-etl's CSV
//! export of block 483,920, both kept byte for byte; a kept-topic log of a failed transaction is
//! not kept.

mod common;

use std::path::Path;

use alloy_primitives::{B256, Bytes};
use chaintrail_core::{Address, BlockRef, Chain, TxHash};
use chaintrail_evm::EthereumEtl;
use chaintrail_evm::events::{KEPT_TOPICS, KeptLog, read_kept_logs};
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_store::Store;
use common::fixtures;

fn evm(text: &str) -> Address {
    Address::parse(Chain::ETHEREUM, text).expect("address")
}

fn b256(text: &str) -> B256 {
    text.parse().expect("32-byte hex")
}

fn import(export: &Path, into: &Path) -> Store {
    let store = Store::init(into).expect("store");
    EthereumEtl
        .import(&store, export, &ImportOptions::default())
        .expect("import");
    store
}

#[test]
fn a_real_multichain_swap_in_is_kept_and_a_failed_transaction_log_is_not() {
    let source = fixtures().join("test_stream/blocks_17173049_17173050");
    let export = tempfile::tempdir().expect("tmp");
    for table in ["blocks", "transactions", "token_transfers"] {
        std::fs::copy(
            source.join(format!("expected_{table}.json")),
            export.path().join(format!("{table}.json")),
        )
        .expect("copy");
    }
    // The real logs, plus a THORChain `Deposit` log in transaction 27 of block 17,173,050,
    // which reverted (receipt_status 0): a failed transaction keeps no log.
    let mut logs = std::fs::read_to_string(source.join("expected_logs.json")).expect("logs");
    logs += &serde_json::json!({
        "type": "log", "log_index": 1000,
        "transaction_hash": "0x1011210830577e9cbf5ba9a59dc693ca7caa8677496c14ca4ac87964b4627562",
        "transaction_index": 27,
        "address": "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146",
        "data": "0x", "topics": [format!("{}", KEPT_TOPICS[0].0)],
        "block_number": 17173050, "block_timestamp": 1683030011,
        "block_hash": "0x5699ffb9477f70ec736463b144614356eb051936da75fcccec73d648f2e91de4",
    })
    .to_string();
    logs.push('\n');
    std::fs::write(export.path().join("logs.json"), logs).expect("write");

    let dir = tempfile::tempdir().expect("tmp");
    let store = import(export.path(), dir.path());
    let kept = read_kept_logs(&store, Chain::ETHEREUM).expect("kept logs");
    // Multichain's router minted anyETH bridged from chain 25 (Cronos): topic1 is the source
    // transaction, the exact join key.
    let expected = KeptLog {
        chain: Chain::ETHEREUM,
        tx: "0x38bdf78d419889896e529a90c0072dcb79271f4ca731fc743ca5d9f82bb95951"
            .parse::<TxHash>()
            .expect("hash"),
        block: BlockRef {
            height: 17_173_050,
            timestamp: 1_683_030_011,
        },
        tx_index: Some(124),
        log_index: 261,
        tx_from: evm("0x2a038e100f8b85df21e4d44121bdbfe0c288a869"),
        tx_to: Some(evm("0xba8da9dcf11b50b03fd5284f164ef5cdef910705")),
        address: evm("0xba8da9dcf11b50b03fd5284f164ef5cdef910705"),
        topics: vec![
            b256("0xaac9ce45fe3adf5143598c4f18a369591a20a3384aedaf1b525d29127e1fcd55"),
            b256("0x7f33e9eac16fe821ff43994f5285753499e9d91211605ca55e19b35394979568"),
            b256("0x0000000000000000000000000615dbba33fe61a31c7ed131bda6655ed76748b1"),
            b256("0x00000000000000000000000002d10f41f3a88614c63f718272c60da7bf37a53e"),
        ],
        data: "0x00000000000000000000000000000000000000000000000004dd5444b079100000000000000000000000000000000000000000000000000000000000000000190000000000000000000000000000000000000000000000000000000000000001"
            .parse::<Bytes>()
            .expect("data"),
    };
    assert_eq!(kept, vec![expected]);
    assert_eq!(
        KEPT_TOPICS
            .iter()
            .find(|(topic, _)| *topic == kept[0].topics[0])
            .map(|(_, signature)| *signature),
        Some("LogAnySwapIn(bytes32,address,address,uint256,uint256,uint256)")
    );
}

/// `Deposit(address indexed to, address indexed asset, uint256 amount, string memo)`: 1 ETH
/// (asset 0) to a vault with a swap-to-Bitcoin memo, ABI-encoded.
const DEPOSIT_DATA: &str = concat!(
    "0x",
    "0000000000000000000000000000000000000000000000000de0b6b3a7640000", // amount
    "0000000000000000000000000000000000000000000000000000000000000040", // memo offset
    "0000000000000000000000000000000000000000000000000000000000000034", // memo length 52
    // "=:BTC.BTC:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", zero-padded to two words
    "3d3a4254432e4254433a626331717879326b676479676a727371747a71326e30",
    "797266323439337038336b6b666a687830776c68000000000000000000000000"
);

#[test]
fn a_thorchain_deposit_row_of_a_csv_export_is_kept_exactly() {
    // Block 483,920 as ethereum-etl exports it to CSV (its own expected outputs), with one row
    // added to logs.csv in ethereum-etl's column layout: a router Deposit in transaction 3.
    let block_dir = fixtures().join("test_export_blocks_job/block_with_logs");
    let receipt_dir = fixtures().join("test_export_receipts_job/receipts_with_logs");
    let export = tempfile::tempdir().expect("tmp");
    for (dir, table) in [
        (&block_dir, "blocks"),
        (&block_dir, "transactions"),
        (&receipt_dir, "receipts"),
    ] {
        std::fs::copy(
            dir.join(format!("expected_{table}.csv")),
            export.path().join(format!("{table}.csv")),
        )
        .expect("copy");
    }
    let vault = "0x000000000000000000000000a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
    let asset = "0x0000000000000000000000000000000000000000000000000000000000000000";
    let mut logs = std::fs::read_to_string(receipt_dir.join("expected_logs.csv")).expect("logs");
    assert!(logs.starts_with(
        "log_index,transaction_hash,transaction_index,block_hash,block_number,address,data,topics\n"
    ));
    let data = DEPOSIT_DATA;
    logs += &format!(
        "2,0x05287a561f218418892ab053adfb3d919860988b19458c570c5c30f51c146f02,3,\
         0x246edb4b351d93c27926f4649bcf6c24366e2a7c7c718dc9158eea20c03bc6ae,483920,\
         0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146,{data},\"{},{vault},{asset}\"\n",
        KEPT_TOPICS[0].0
    );
    std::fs::write(export.path().join("logs.csv"), logs).expect("write");

    let dir = tempfile::tempdir().expect("tmp");
    let store = import(export.path(), dir.path());
    let kept = read_kept_logs(&store, Chain::ETHEREUM).expect("kept logs");
    assert_eq!(
        kept.len(),
        1,
        "the two Transfer logs of the block are not kept"
    );
    let log = &kept[0];
    assert_eq!(
        log.tx,
        "0x05287a561f218418892ab053adfb3d919860988b19458c570c5c30f51c146f02"
            .parse::<TxHash>()
            .expect("hash")
    );
    assert_eq!(
        (log.block.height, log.block.timestamp),
        (483_920, 1_446_561_880)
    );
    assert_eq!((log.tx_index, log.log_index), (Some(3), 2));
    assert_eq!(
        log.tx_from,
        evm("0x2a65aca4d5fc5b5c859090a6c34d164135398226")
    );
    assert_eq!(
        log.tx_to,
        Some(evm("0x743b8aeedc163c0e3a0fe9f3910d146c48e70da8"))
    );
    assert_eq!(
        log.address,
        evm("0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146")
    );
    assert_eq!(
        log.topics,
        vec![
            b256("0xef519b7eb82aaf6ac376a6df2d793843ebfd593de5f1a0601d3cc6ab49ebb395"),
            b256(vault),
            b256(asset),
        ]
    );
    assert_eq!(log.data, data.parse::<Bytes>().expect("data"));
    // The memo, as a decoder will read it: after the amount, offset and length words.
    assert_eq!(
        &log.data[96..96 + 52],
        b"=:BTC.BTC:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
    );
}
