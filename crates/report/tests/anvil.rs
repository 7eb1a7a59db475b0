//! Reports against a real node: anvil (crates/evm/tests/setup-anvil.sh installs it). A theft of
//! ether and of an ERC-20 is laundered through a mule to two exchange deposit addresses; the
//! blocks are ingested over RPC, a report is built and anchored to the node, and
//! - the JSON report verifies against the node, every citation with block hash and index;
//! - a tampered report names its bad line and field;
//! - the freeze packs list each deposit with its transaction, block number and hash, and their
//!   deposits.json verify too.

#[path = "../../evm/tests/anvil_node.rs"]
mod anvil_node;

use chaintrail_core::Chain;
use chaintrail_evm::{RpcAuth, RpcClient, RpcConfig, RpcOptions, ingest_rpc_with};
use chaintrail_ingest::ImportOptions;
use chaintrail_labels::{Category, Label, LabelStore, Source};
use chaintrail_report::{
    Nodes, OpenedStore, ReportRequest, anchor, build_report, verify, verify_file,
    write_freeze_packs, write_json,
};
use chaintrail_store::Store;
use chaintrail_trace::{Policy, TraceRequest};
use serde_json::{Value, json};

const ETH: u128 = 1_000_000_000_000_000_000;
const EXCHANGE_ONE: &str = "0x00000000000000000000000000000000000d0001";
const EXCHANGE_TWO: &str = "0x00000000000000000000000000000000000d0002";

struct Node {
    client: RpcClient,
    accounts: Vec<String>,
}

impl Node {
    fn rpc(&self, method: &str, params: Value) -> Value {
        self.client
            .call(method, params)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// The receipt, waiting for the block (anvil may answer `eth_sendTransaction` first).
    fn receipt(&self, hash: &Value) -> Value {
        for _ in 0..200 {
            let receipt = self.rpc("eth_getTransactionReceipt", json!([hash]));
            if !receipt.is_null() {
                return receipt;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("no receipt for {hash}");
    }

    /// Send and wait for the receipt; returns the hash.
    fn send(&self, from: usize, to: &str, value: u128, data: &str) -> String {
        let hash = self.rpc(
            "eth_sendTransaction",
            json!([{
                "from": self.accounts[from],
                "to": to,
                "value": format!("{value:#x}"),
                "data": data,
                "gas": "0x2dc6c0",
            }]),
        );
        let receipt = self.receipt(&hash);
        let hash = hash.as_str().expect("hash").to_string();
        assert_eq!(receipt["status"], "0x1", "{hash} failed");
        hash
    }

    fn deploy_token(&self, supply: u128) -> String {
        let artifacts: Value =
            serde_json::from_str(include_str!("../../evm/tests/contracts/Fixtures.json"))
                .expect("artifacts");
        let code = artifacts["contracts"]["Token"]["bytecode"]
            .as_str()
            .expect("bytecode");
        let hash = self.rpc(
            "eth_sendTransaction",
            json!([{"from": self.accounts[0], "data": format!("{code}{supply:064x}"), "gas": "0x2dc6c0"}]),
        );
        let receipt = self.receipt(&hash);
        receipt["contractAddress"]
            .as_str()
            .expect("contract")
            .to_string()
    }

    fn head(&self) -> u64 {
        let head = self.rpc("eth_blockNumber", json!([]));
        u64::from_str_radix(head.as_str().expect("hex").trim_start_matches("0x"), 16)
            .expect("number")
    }
}

/// ERC-20 `transfer(to, value)` calldata.
fn transfer_call(to: &str, value: u128) -> String {
    format!("0xa9059cbb{:0>64}{value:064x}", to.trim_start_matches("0x"))
}

#[test]
fn a_report_anchored_to_anvil_verifies_and_a_tampered_one_names_its_line() {
    let Some(anvil) = anvil_node::start_anvil() else {
        return;
    };
    let node = Node {
        client: RpcClient::new(&anvil.url, RpcAuth::None, RpcOptions::default()).expect("client"),
        accounts: Vec::new(),
    };
    let accounts: Vec<String> = node
        .rpc("eth_accounts", json!([]))
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| a.as_str().expect("text").to_string())
        .collect();
    let node = Node { accounts, ..node };
    let start = node.head();
    let (thief, mule) = (node.accounts[1].clone(), node.accounts[2].clone());
    let token = node.deploy_token(1_000_000 * ETH);
    let theft = node.send(0, &thief, 100 * ETH, "0x");
    let token_theft = node.send(0, &token, 0, &transfer_call(&thief, 1000 * ETH));
    let to_mule = node.send(1, &mule, 60 * ETH, "0x");
    let to_two = node.send(1, EXCHANGE_TWO, 30 * ETH, "0x");
    let to_one = node.send(2, EXCHANGE_ONE, 50 * ETH, "0x");
    let token_to_one = node.send(1, &token, 0, &transfer_call(EXCHANGE_ONE, 1000 * ETH));

    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(dir.path()).expect("store");
    ingest_rpc_with(
        &store,
        &anvil.url,
        start + 1,
        node.head(),
        &RpcConfig::default(),
        &ImportOptions::default(),
    )
    .expect("ingest");
    let mut labels = LabelStore::open(store.dir()).expect("labels");
    labels.replace_labels(
        "test-exchanges",
        vec![
            Label::new(
                Source::Graphsense,
                "test-exchanges",
                Chain::Evm(31337),
                EXCHANGE_ONE,
                "Exchange One",
                vec![Category::Exchange],
            ),
            Label::new(
                Source::Graphsense,
                "test-exchanges",
                Chain::Evm(31337),
                EXCHANGE_TWO,
                "Exchange Two",
                vec![Category::Exchange],
            ),
        ],
    );
    labels.save().expect("save labels");

    let opened = OpenedStore::open(&store, None).expect("open");
    let request = ReportRequest {
        title: "anvil theft".to_string(),
        trace: TraceRequest {
            seeds: vec![
                format!("anvil:{theft}").parse().expect("seed"),
                format!("anvil:{token_theft}").parse().expect("seed"),
            ],
            policy: Policy::Fifo,
            ..TraceRequest::default()
        },
        compare: vec![Policy::Haircut, Policy::Poison],
    };
    let mut report = build_report(&opened.investigation(), &request).expect("report");
    let nodes = Nodes::connect(std::slice::from_ref(&anvil.url)).expect("nodes");
    assert_eq!(nodes.chains(), vec![Chain::Evm(31337)]);
    let anchored = anchor(&mut report.citations, &nodes).expect("anchor");
    assert_eq!(anchored, report.citations.len());

    // Every transaction of the laundering is cited, with the node's block hash and index.
    for tx in [
        &theft,
        &token_theft,
        &to_mule,
        &to_two,
        &to_one,
        &token_to_one,
    ] {
        let cited = report
            .citations
            .iter()
            .find(|c| &c.tx == tx)
            .unwrap_or_else(|| panic!("{tx} is not cited"));
        let on_node = node.rpc("eth_getTransactionByHash", json!([tx]));
        assert_eq!(cited.block_hash.as_deref(), on_node["blockHash"].as_str());
        assert_eq!(
            cited.tx_index,
            u64::from_str_radix(
                on_node["transactionIndex"]
                    .as_str()
                    .expect("index")
                    .trim_start_matches("0x"),
                16
            )
            .ok()
        );
    }
    // The token transfer to the exchange names its Transfer log.
    let token_cite = report
        .citations
        .iter()
        .find(|c| c.tx == token_to_one && c.contract.is_some())
        .expect("cited");
    let receipt = node.rpc("eth_getTransactionReceipt", json!([token_to_one]));
    assert_eq!(
        token_cite.log_index,
        u64::from_str_radix(
            receipt["logs"][0]["logIndex"]
                .as_str()
                .expect("log")
                .trim_start_matches("0x"),
            16
        )
        .ok()
    );
    assert_eq!(
        token_cite.contract.as_deref().map(str::to_ascii_lowercase),
        Some(token.to_ascii_lowercase())
    );

    // The policies side by side: FIFO, haircut and poison all reach both exchanges.
    let one = report
        .comparison
        .rows
        .iter()
        .find(|r| r.entity == "Exchange One")
        .expect("Exchange One compared");
    assert_eq!(one.usd.len(), 3);
    assert!(one.values.iter().all(|v| !v.is_empty()), "{one:?}");

    // The JSON report verifies.
    let json_path = dir.path().join("report.json");
    write_json(&report, &json_path).expect("json");
    let outcome = verify_file(&json_path, &nodes).expect("verify");
    assert!(outcome.passed(), "{outcome:?}");
    assert_eq!(outcome.verified, report.citations.len());

    // A tampered block hash is named by its line and field.
    let text = std::fs::read_to_string(&json_path).expect("read");
    let (line, original) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(&to_one) && l.trim_start().starts_with("{\"id\""))
        .expect("citation line");
    let cited_hash = report
        .citations
        .iter()
        .find(|c| c.tx == to_one)
        .and_then(|c| c.block_hash.clone())
        .expect("hash of to_one");
    let forged = format!("0x{}", "ab".repeat(32));
    let tampered = text.replacen(original, &original.replace(&cited_hash, &forged), 1);
    assert_ne!(tampered, text, "the tamper must change the file");
    let outcome = verify(&tampered, &nodes).expect("verify tampered");
    assert!(!outcome.passed());
    assert_eq!(outcome.mismatches.len(), 1, "{:?}", outcome.mismatches);
    let bad = &outcome.mismatches[0];
    assert_eq!(bad.line, Some(line + 1));
    assert_eq!(bad.field, "block_hash");
    assert_eq!(bad.report, forged);
    assert_eq!(bad.node, cited_hash);
    // A tampered transaction index names that field.
    let index = report
        .citations
        .iter()
        .find(|c| c.tx == to_one)
        .and_then(|c| c.tx_index)
        .expect("index");
    let moved = text.replacen(
        original,
        &original.replace(
            &format!("\"tx_index\":{index}"),
            &format!("\"tx_index\":{}", index + 7),
        ),
        1,
    );
    let outcome = verify(&moved, &nodes).expect("verify moved");
    assert_eq!(outcome.mismatches.len(), 1, "{:?}", outcome.mismatches);
    assert_eq!(outcome.mismatches[0].field, "tx_index");
    assert_eq!(outcome.mismatches[0].node, index.to_string());
    assert_eq!(outcome.mismatches[0].line, Some(line + 1));

    // Freeze packs: one folder per exchange, deposits with transaction, block number and hash.
    let packs_dir = dir.path().join("packs");
    let packs = write_freeze_packs(&report, &packs_dir).expect("packs");
    let names: Vec<&str> = packs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 2);
    assert!(
        names.contains(&"exchange-one") && names.contains(&"exchange-two"),
        "{names:?}"
    );
    let csv = std::fs::read_to_string(packs_dir.join("exchange-one/deposits.csv")).expect("csv");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    let ether_row = rows
        .iter()
        .find(|r| r.contains(&to_one))
        .expect("ether deposit");
    // FIFO: the mule's first 50 ETH out are the stolen ones it received.
    assert!(
        ether_row.contains(",ETH,,50000000000000000000,50,"),
        "{ether_row}"
    );
    let token_row = rows
        .iter()
        .find(|r| r.contains(&token_to_one))
        .expect("token deposit");
    // The fixture token declares no decimals: base units and units agree.
    assert!(
        token_row.contains(",1000000000000000000000,1000000000000000000000,"),
        "{token_row}"
    );
    let token_block = u64::from_str_radix(
        receipt["blockNumber"]
            .as_str()
            .expect("n")
            .trim_start_matches("0x"),
        16,
    )
    .expect("block");
    assert!(
        token_row.contains(&format!(
            ",{token_block},{},",
            receipt["blockHash"].as_str().expect("hash")
        )),
        "{token_row}"
    );
    for file in ["deposits.json", "path.txt", "letter.txt"] {
        assert!(
            packs_dir.join("exchange-one").join(file).is_file(),
            "{file}"
        );
    }
    let letter =
        std::fs::read_to_string(packs_dir.join("exchange-one/letter.txt")).expect("letter");
    assert!(
        letter.contains("Exchange One") && letter.contains(&to_one),
        "{letter}"
    );
    let path = std::fs::read_to_string(packs_dir.join("exchange-one/path.txt")).expect("path");
    assert!(
        path.contains(&theft) && path.contains(&to_mule) && path.contains(&to_one),
        "{path}"
    );
    let outcome =
        verify_file(&packs_dir.join("exchange-one/deposits.json"), &nodes).expect("verify pack");
    assert!(outcome.passed(), "{outcome:?}");
}
