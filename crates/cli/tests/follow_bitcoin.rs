//! `chaintrail follow --chain bitcoin-regtest` end to end, as a user runs it: a real regtest
//! node (`chaintrail_bitcoin::testing::RegtestNode`), a watched sender set with `chaintrail watch`,
//! and a local webhook receiver that checks every HMAC signature. The watched address's payment
//! raises an alert; `invalidateblock` orphans its block (a reorg of depth 2), which retracts the
//! alert, and the payment confirmed again on the new branch is raised again as revision 1.

#[path = "../../alert/tests/receiver/mod.rs"]
mod receiver;

use std::path::Path;
use std::process::{Command, Output};

use chaintrail_bitcoin::testing::{RPC_PASSWORD, RPC_USER, RegtestNode};
use chaintrail_core::{BitcoinNetwork, Chain};
use chaintrail_store::Store;
use receiver::{Behaviour, Receiver};
use serde_json::{Value, json};

const REGTEST: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);
const SECRET: &str = "regtest-follow-secret";

fn run(data_dir: &Path, args: &[&str]) -> String {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_chaintrail"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("chaintrail runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn follow_until(data_dir: &Path, node: &RegtestNode, hook: &str, height: u64) -> Value {
    let until = height.to_string();
    let report = run(
        data_dir,
        &[
            "--format",
            "json",
            "follow",
            "--chain",
            "bitcoin-regtest",
            "--rpc",
            &node.url,
            "--rpc-user",
            RPC_USER,
            "--rpc-password",
            RPC_PASSWORD,
            "--poll-interval",
            "50ms",
            "--webhook",
            hook,
            "--webhook-secret",
            SECRET,
            "--until-block",
            &until,
        ],
    );
    serde_json::from_str(&report).expect("follow report")
}

#[test]
fn regtest_follow_alerts_on_a_watched_sender_and_invalidateblock_retracts_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(node) = RegtestNode::start(&tmp.path().join("node")) else {
        return;
    };
    let rpc = node.client();
    let call = |method: &str, params: Value| {
        rpc.call(method, params)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    };
    // The wallet mines to one address, so the coinbase it spends pays the watched sender.
    let watched = call("getnewaddress", json!([]));
    let watched = watched.as_str().expect("address").to_string();
    call("generatetoaddress", json!([101, watched]));
    let payee = call("getnewaddress", json!([]));
    let payment = call("sendtoaddress", json!([payee, 7.5]));
    let payment = payment.as_str().expect("txid").to_string();
    call("generatetoaddress", json!([2, payee]));
    assert_eq!(call("getblockcount", json!([])), json!(103));
    let data = tmp.path().join("data");
    run(
        &data,
        &[
            "watch",
            "add",
            "address",
            &format!("bitcoin-regtest:{watched}"),
        ],
    );
    let hook = Receiver::start(SECRET, Behaviour::Accept);

    let report = follow_until(&data, &node, &hook.url, 103);
    assert_eq!(report["blocks_applied"], 104);
    let raised = hook.requests();
    assert_eq!(raised.len(), 1, "{raised:?}");
    let alert = &raised[0].body;
    assert!(raised[0].signature_valid);
    assert_eq!(alert["kind"], "raised");
    assert_eq!(alert["rule"], "watched_sends");
    assert_eq!(alert["tx"], payment);
    assert_eq!(alert["side"], "input");
    assert_eq!(alert["block"]["number"], 102);
    let block_102 = call("getblockhash", json!([102]));
    assert_eq!(alert["block"]["hash"], block_102);
    // The wallet spent one mature 50-coin coinbase of the watched address.
    assert_eq!(alert["amount"]["amount"], "5000000000");
    assert_eq!(alert["holder"]["address"], watched);

    // Orphan blocks 102 and 103; the payment returns to the mempool and confirms again in the
    // new branch's first block (a new hash at height 102).
    call("invalidateblock", json!([block_102]));
    assert_eq!(call("getblockcount", json!([])), json!(101));
    // Mined to another address: a block with the orphaned one's contents and timestamp would
    // have its hash, which the node holds invalid.
    let miner = call("getnewaddress", json!([]));
    call("generatetoaddress", json!([3, miner]));
    assert_ne!(call("getblockhash", json!([102])), block_102);
    let report = follow_until(&data, &node, &hook.url, 104);
    assert_eq!(report["rollbacks"], json!([101]));
    assert_eq!(report["blocks_applied"], 3);
    let all = hook.requests();
    assert!(all.iter().all(|r| r.signature_valid));
    let kinds: Vec<(String, u64, u64)> = all
        .iter()
        .map(|r| {
            (
                r.body["kind"].as_str().unwrap_or_default().to_string(),
                r.body["block"]["number"].as_u64().unwrap_or_default(),
                r.body["revision"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("raised".to_string(), 102, 0),
            ("retracted".to_string(), 102, 0),
            ("raised".to_string(), 102, 1),
        ]
    );
    assert_eq!(all[1].body["retracts"], alert["id"]);
    assert_eq!(all[2].body["tx"], payment);
    assert_ne!(all[2].body["id"], alert["id"]);
    assert_eq!(
        all[2].body["block"]["hash"],
        call("getblockhash", json!([102]))
    );

    // The store equals a clean follow of the winning branch.
    let clean = tmp.path().join("clean");
    let other_hook = Receiver::start(SECRET, Behaviour::Accept);
    follow_until(&clean, &node, &other_hook.url, 104);
    let checksum = |dir: &Path| {
        let reader = Store::open(dir)
            .expect("store")
            .reader(REGTEST)
            .expect("reader");
        (reader.content_checksum(), reader.tx_count())
    };
    assert_eq!(checksum(&data), checksum(&clean));
    assert_eq!(checksum(&data).1, 105 + 1);
}

/// `chaintrail follow --blocks-dir`: the node's block files, no RPC; the store equals
/// `chaintrail ingest bitcoin --blocks-dir` of the same directory.
#[test]
fn regtest_follow_from_the_blocks_dir_equals_its_ingest() {
    let tmp = tempfile::tempdir().expect("tmp");
    // Neither or both node flags: refused before anything is read.
    let refused = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_chaintrail"))
            .arg("--data-dir")
            .arg(tmp.path().join("refused"))
            .args(["follow", "--chain"])
            .args(args)
            .output()
            .expect("chaintrail runs");
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let neither = refused(&["bitcoin-regtest"]);
    assert!(
        neither.contains("--rpc") && neither.contains("--blocks-dir"),
        "{neither}"
    );
    let both = refused(&[
        "bitcoin-regtest",
        "--rpc",
        "127.0.0.1:1",
        "--blocks-dir",
        "x",
    ]);
    assert!(both.contains("cannot be used with"), "{both}");
    let evm = refused(&["anvil", "--blocks-dir", "x"]);
    assert!(evm.contains("--blocks-dir reads Bitcoin Core"), "{evm}");

    let Some(node) = RegtestNode::start(&tmp.path().join("node")) else {
        return;
    };
    let rpc = node.client();
    rpc.call("generate", json!([101])).expect("generate");
    let payee = rpc.call("getnewaddress", json!([])).expect("address");
    rpc.call("sendtoaddress", json!([payee, 3.5]))
        .expect("send");
    rpc.call("generate", json!([2])).expect("generate");
    let blocks = node.datadir.join("regtest/blocks");
    let blocks = blocks.to_str().expect("utf-8 path");
    let followed = tmp.path().join("followed");
    let report = run(
        &followed,
        &[
            "--format",
            "json",
            "follow",
            "--chain",
            "bitcoin-regtest",
            "--blocks-dir",
            blocks,
            "--poll-interval",
            "50ms",
            "--until-block",
            "103",
        ],
    );
    let report: Value = serde_json::from_str(&report).expect("report");
    assert_eq!(report["blocks_applied"], 104);
    assert_eq!(report["height"], 103);
    let ingested = tmp.path().join("ingested");
    run(
        &ingested,
        &[
            "ingest",
            "bitcoin",
            "--network",
            "regtest",
            "--blocks-dir",
            blocks,
        ],
    );
    let checksum = |dir: &Path| {
        let reader = Store::open(dir)
            .expect("store")
            .reader(REGTEST)
            .expect("reader");
        (reader.content_checksum(), reader.tx_count())
    };
    assert_eq!(checksum(&followed), checksum(&ingested));
    assert_eq!(checksum(&followed).1, 104 + 1);
}
