//! `chaintrail follow --chain anvil` end to end, as a user runs it: a real anvil node on
//! 127.0.0.1 (crates/evm/tests/setup-anvil.sh), the watchlist and labels set with the CLI, and a
//! local webhook receiver that checks every HMAC signature itself. Covers the alerts of a
//! watched thief's sends and of stolen value reaching an exchange deposit address, a reorg made
//! with `evm_snapshot`/`evm_revert` that retracts them, and kill -9 of the follower.

#[path = "../../evm/tests/anvil_node.rs"]
mod anvil_node;
#[path = "../../alert/tests/receiver/mod.rs"]
mod receiver;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use chaintrail_core::Chain;
use chaintrail_evm::{RpcAuth, RpcClient, RpcOptions};
use chaintrail_store::Store;
use receiver::{Behaviour, Receiver};
use serde_json::{Value, json};

const ANVIL: Chain = Chain::Evm(31337);
const ETH: u128 = 1_000_000_000_000_000_000;
const SECRET: &str = "follow-test-secret";

fn chaintrail(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chaintrail"));
    command.arg("--data-dir").arg(data_dir);
    command
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn run(data_dir: &Path, args: &[&str]) -> String {
    ok(chaintrail(data_dir)
        .args(args)
        .output()
        .expect("chaintrail runs"))
}

/// The anvil node, driven over JSON-RPC.
struct Node {
    client: RpcClient,
    accounts: Vec<String>,
}

impl Node {
    fn new(url: &str) -> Node {
        let client = RpcClient::new(url, RpcAuth::None, RpcOptions::default()).expect("client");
        let accounts = client
            .call("eth_accounts", json!([]))
            .expect("accounts")
            .as_array()
            .expect("list")
            .iter()
            .map(|a| a.as_str().expect("text").to_ascii_lowercase())
            .collect();
        Node { client, accounts }
    }

    fn rpc(&self, method: &'static str, params: Value) -> Value {
        self.client
            .call(method, params)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Send a transaction (anvil mines one block per transaction) and wait for its receipt.
    fn send(&self, from: &str, to: Option<&str>, value: u128, data: &[u8]) -> Value {
        let mut tx = json!({
            "from": from,
            "value": format!("{value:#x}"),
            "data": format!("0x{}", hex::encode(data)),
            "gas": "0x2dc6c0",
        });
        if let Some(to) = to {
            tx["to"] = json!(to);
        }
        let hash = self.rpc("eth_sendTransaction", json!([tx]));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let receipt = self.rpc("eth_getTransactionReceipt", json!([hash]));
            if !receipt.is_null() {
                assert_eq!(receipt["status"], "0x1", "{receipt}");
                return receipt;
            }
            assert!(Instant::now() < deadline, "{hash} was never mined");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn pay(&self, from: &str, to: &str, wei: u128) -> String {
        let receipt = self.send(from, Some(to), wei, &[]);
        receipt["transactionHash"]
            .as_str()
            .expect("hash")
            .to_string()
    }

    /// Deploy the fixtures' minimal ERC-20 with `supply` minted to `from`.
    fn deploy_token(&self, from: &str, supply: u128) -> String {
        let artifacts: Value =
            serde_json::from_str(include_str!("../../evm/tests/contracts/Fixtures.json"))
                .expect("artifacts");
        let code = artifacts["contracts"]["Token"]["bytecode"]
            .as_str()
            .expect("bytecode");
        let mut data = hex::decode(code.trim_start_matches("0x")).expect("hex");
        data.extend_from_slice(&word_u128(supply));
        let receipt = self.send(from, None, 0, &data);
        receipt["contractAddress"]
            .as_str()
            .expect("address")
            .to_ascii_lowercase()
    }

    /// ERC-20 `transfer(to, amount)`.
    fn token_transfer(&self, token: &str, from: &str, to: &str, amount: u128) -> String {
        let mut data = hex::decode("a9059cbb").expect("selector");
        let mut to_word = [0u8; 32];
        to_word[12..].copy_from_slice(&hex::decode(to.trim_start_matches("0x")).expect("hex"));
        data.extend_from_slice(&to_word);
        data.extend_from_slice(&word_u128(amount));
        let receipt = self.send(from, Some(token), 0, &data);
        receipt["transactionHash"]
            .as_str()
            .expect("hash")
            .to_string()
    }

    fn head(&self) -> u64 {
        let value = self.rpc("eth_blockNumber", json!([]));
        u64::from_str_radix(value.as_str().expect("text").trim_start_matches("0x"), 16)
            .expect("number")
    }

    fn block_hash(&self, number: u64) -> String {
        let block = self.rpc(
            "eth_getBlockByNumber",
            json!([format!("{number:#x}"), false]),
        );
        block["hash"].as_str().expect("hash").to_string()
    }
}

fn word_u128(value: u128) -> [u8; 32] {
    let mut word = [0u8; 32];
    word[16..].copy_from_slice(&value.to_be_bytes());
    word
}

/// A TagPack that labels `address` as a deposit address of the exchange TestEx.
fn label_exchange(data_dir: &Path, address: &str) {
    let packs = data_dir.join("packs");
    std::fs::create_dir_all(&packs).expect("packs dir");
    std::fs::write(
        packs.join("exchange.yaml"),
        format!(
            "title: Test exchange\ncreator: test\nconfidence: authority_data\n\
             category: exchange\nlabel: TestEx\ncurrency: ETH\nlastmod: 2024-01-01\n\
             source: https://example.invalid/test\ntags:\n- address: '{address}'\n"
        ),
    )
    .expect("pack");
    run(
        data_dir,
        &["labels", "import-tagpack", packs.to_str().expect("utf-8")],
    );
}

fn follow_args<'a>(url: &'a str, hook: &'a str) -> Vec<&'a str> {
    vec![
        "follow",
        "--chain",
        "anvil",
        "--rpc",
        url,
        "--poll-interval",
        "50ms",
        "--webhook",
        hook,
        "--webhook-secret",
        SECRET,
        "--alert-attempts",
        "3",
    ]
}

/// Follow until `height` is applied, then exit.
fn follow_until(data_dir: &Path, url: &str, hook: &str, height: u64) -> Value {
    let until = height.to_string();
    let mut args = vec!["--format", "json"];
    args.extend(follow_args(url, hook));
    args.extend(["--until-block", &until]);
    serde_json::from_str(&run(data_dir, &args)).expect("follow report")
}

/// The store's content checksum and transaction count of the anvil chain.
fn content(data_dir: &Path) -> (u32, u64) {
    let store = Store::open(data_dir).expect("store");
    let reader = store.reader(ANVIL).expect("reader");
    (reader.content_checksum(), reader.tx_count())
}

/// A clean `ingest evm` of blocks 0..=to from the node into a fresh store.
fn clean_import(dir: &Path, url: &str, to: u64) -> (u32, u64) {
    let clean = dir.join("clean");
    run(
        &clean,
        &[
            "ingest",
            "evm",
            "--rpc",
            url,
            "--from",
            "0",
            "--to",
            &to.to_string(),
        ],
    );
    content(&clean)
}

/// (kind, rule, block, tx, watch id) of each request, in arrival order; every signature valid.
fn received(hook: &Receiver) -> Vec<(String, String, u64, String, String)> {
    hook.requests()
        .iter()
        .map(|r| {
            assert!(r.signature_valid, "bad signature on {}", r.body);
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                text(&r.body["kind"]),
                text(&r.body["rule"]),
                r.body["block"]["number"].as_u64().expect("block number"),
                text(&r.body["tx"]),
                text(&r.body["watch"]["id"]),
            )
        })
        .collect()
}

fn watch_id(data_dir: &Path, describes: &str) -> String {
    let list: Value =
        serde_json::from_str(&run(data_dir, &["watch", "list", "--format", "json"])).expect("json");
    list.as_array()
        .expect("entries")
        .iter()
        .find(|e| e.to_string().to_ascii_lowercase().contains(describes))
        .and_then(|e| e["id"].as_str())
        .unwrap_or_else(|| panic!("no entry for {describes} in {list}"))
        .to_string()
}

#[test]
fn anvil_follow_alerts_on_the_thief_and_the_deposit_and_a_reorg_retracts_them() {
    let Some(anvil) = anvil_node::start_anvil() else {
        return;
    };
    let node = Node::new(&anvil.url);
    let (victim, thief, deposit, bystander) = (
        node.accounts[0].clone(),
        node.accounts[1].clone(),
        node.accounts[2].clone(),
        node.accounts[3].clone(),
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let hook = Receiver::start(SECRET, Behaviour::Accept);

    // Block 1: a token; block 2: the theft of 10 ETH; block 3: tokens stolen too.
    let token = node.deploy_token(&victim, 1_000_000);
    let theft = node.pay(&victim, &thief, 10 * ETH);
    node.token_transfer(&token, &victim, &thief, 5_000);
    assert_eq!(node.head(), 3);
    label_exchange(&data, &deposit);
    run(
        &data,
        &["watch", "add", "address", &format!("anvil:{thief}")],
    );
    run(
        &data,
        &[
            "watch",
            "add",
            "case",
            "--seed",
            &format!("anvil:{theft}"),
            "--policy",
            "fifo",
        ],
    );
    let (thief_watch, case_watch) = (watch_id(&data, &thief), watch_id(&data, &theft));

    // The node's chain id must be the chain asked for.
    let wrong = chaintrail(&data)
        .args([
            "follow",
            "--chain",
            "ethereum",
            "--rpc",
            &anvil.url,
            "--until-block",
            "3",
        ])
        .output()
        .expect("chaintrail runs");
    assert!(!wrong.status.success());
    let message = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        message
            .contains("the node serves anvil (chain id 31337), not ethereum: pass --chain anvil"),
        "{message}"
    );

    let report = follow_until(&data, &anvil.url, &hook.url, 3);
    assert_eq!(report["blocks_applied"], 4);
    assert_eq!(report["height"], 3);
    assert_eq!(received(&hook), Vec::new(), "the thief has not moved yet");

    // The thief moves 4 ETH and 2,000 tokens to the exchange deposit address: the watched
    // address sends twice; the case's tainted holder sends the stolen ether, which reaches a
    // service. The tokens are not the case's (its seed is the ether theft).
    let fork_point = node.rpc("evm_snapshot", json!([]));
    let eth_move = node.pay(&thief, &deposit, 4 * ETH);
    let token_move = node.token_transfer(&token, &thief, &deposit, 2_000);
    let report = follow_until(&data, &anvil.url, &hook.url, 5);
    assert_eq!(report["blocks_applied"], 2);
    let raised = received(&hook);
    let raised_set: BTreeSet<_> = raised.iter().cloned().collect();
    let expected: BTreeSet<_> = [
        ("watched_sends", 4, &eth_move, &thief_watch),
        ("watched_sends", 5, &token_move, &thief_watch),
        ("tainted_holder_sends", 4, &eth_move, &case_watch),
        ("tainted_reaches_service", 4, &eth_move, &case_watch),
    ]
    .into_iter()
    .map(|(rule, block, tx, watch)| {
        (
            "raised".to_string(),
            rule.to_string(),
            block,
            tx.clone(),
            watch.clone(),
        )
    })
    .collect();
    assert_eq!(raised_set, expected, "{raised:?}");
    assert_eq!(raised.len(), 4, "each alert once: {raised:?}");
    let deposit_alert = hook
        .requests()
        .into_iter()
        .find(|r| r.body["rule"] == "tainted_reaches_service")
        .expect("deposit alert")
        .body;
    assert_eq!(
        deposit_alert["counterparty"]["address"]
            .as_str()
            .map(str::to_ascii_lowercase),
        Some(deposit.clone())
    );
    assert_eq!(deposit_alert["counterparty"]["entity"], "TestEx");
    assert_eq!(deposit_alert["amount"]["amount"], (4 * ETH).to_string());
    assert_eq!(deposit_alert["block"]["hash"], node.block_hash(4));

    // A reorg: the node drops blocks 4 and 5 and mines a longer branch without the deposit.
    assert_eq!(node.rpc("evm_revert", json!([fork_point])), json!(true));
    for _ in 0..3 {
        node.pay(&victim, &bystander, ETH);
    }
    assert_eq!(node.head(), 6);
    let report = follow_until(&data, &anvil.url, &hook.url, 6);
    assert_eq!(report["rollbacks"], json!([3]));
    assert_eq!(report["blocks_applied"], 3);
    let all = received(&hook);
    let retractions: BTreeSet<_> = all[4..]
        .iter()
        .map(|(kind, rule, block, tx, watch)| {
            assert_eq!(kind, "retracted");
            (rule.clone(), *block, tx.clone(), watch.clone())
        })
        .collect();
    let retracted: BTreeSet<_> = raised
        .iter()
        .map(|(_, rule, block, tx, watch)| (rule.clone(), *block, tx.clone(), watch.clone()))
        .collect();
    assert_eq!(all.len(), 8, "four raised, four retracted: {all:?}");
    assert_eq!(retractions, retracted);
    let raised_ids: BTreeSet<String> = hook.requests()[..4]
        .iter()
        .map(|r| r.body["id"].as_str().expect("id").to_string())
        .collect();
    let retracts: BTreeSet<String> = hook.requests()[4..]
        .iter()
        .map(|r| r.body["retracts"].as_str().expect("retracts").to_string())
        .collect();
    assert_eq!(raised_ids, retracts);

    // The store equals a clean import of the winning branch.
    let followed = content(&data);
    assert_eq!(followed.1, 6, "{followed:?}");
    assert_eq!(followed, clean_import(tmp.path(), &anvil.url, 6));
}

/// Start `chaintrail follow` in the background (no --until-block: it runs until killed).
fn spawn_follow(data_dir: &Path, url: &str, hook: &str) -> Child {
    chaintrail(data_dir)
        .args(follow_args(url, hook))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chaintrail follow")
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn kill_9_of_the_follower_loses_and_duplicates_no_block_and_no_alert() {
    let Some(anvil) = anvil_node::start_anvil() else {
        return;
    };
    let node = Node::new(&anvil.url);
    let (thief, mule) = (node.accounts[1].clone(), node.accounts[4].clone());
    const SENDS: u64 = 30;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    run(
        &data,
        &["watch", "add", "address", &format!("anvil:{thief}")],
    );
    let hook = Receiver::start(SECRET, Behaviour::HangAfter(8));

    // The follower runs while the node mines one payment of the thief per block. It is killed
    // while delivering the 9th alert: eight were acknowledged, the 9th never will be.
    let mut sends = Vec::new();
    let pay = |i: u64| node.pay(&thief, &mule, ETH + u128::from(i));
    sends.extend((0..5).map(pay));
    let mut follower = spawn_follow(&data, &anvil.url, &hook.url);
    for i in 5..SENDS {
        sends.push(pay(i));
        std::thread::sleep(Duration::from_millis(30));
    }
    let head = node.head();
    assert_eq!(head, SENDS);
    wait_for("the 9th alert", Duration::from_secs(60), || {
        hook.requests().len() >= 9
    });
    follower.kill().expect("kill -9");
    follower.wait().expect("reaped");

    // Restarted: the 9th is sent again (it was never acknowledged), then five more, and it is
    // killed again while the receiver holds the 15th.
    hook.set(Behaviour::HangAfter(14));
    let mut follower = spawn_follow(&data, &anvil.url, &hook.url);
    wait_for("the 15th request", Duration::from_secs(60), || {
        hook.requests().len() >= 15
    });
    follower.kill().expect("kill -9");
    follower.wait().expect("reaped");
    hook.set(Behaviour::Accept);

    let report = follow_until(&data, &anvil.url, &hook.url, head);
    assert_eq!(report["height"], head);
    let mut per_id: BTreeMap<String, usize> = BTreeMap::new();
    for id in hook.acknowledged_ids() {
        *per_id.entry(id).or_default() += 1;
    }
    assert_eq!(per_id.len() as u64, SENDS, "{:?}", received(&hook));
    assert!(
        per_id.values().all(|&n| n == 1),
        "an alert acknowledged twice: {per_id:?}"
    );
    let alerted: BTreeSet<String> = received(&hook).into_iter().map(|r| r.3).collect();
    assert_eq!(alerted, sends.into_iter().collect::<BTreeSet<_>>());

    let followed = content(&data);
    assert_eq!(followed.1, SENDS);
    assert_eq!(followed, clean_import(tmp.path(), &anvil.url, head));
}
