//! Bad sources: a URL that is not a node, a node that times out, errors or answers malformed
//! JSON, a flaky node. Errors name the block and the method; nothing half-written is committed.

mod common;

use std::time::Duration;

use chaintrail_core::Chain;
use chaintrail_evm::{EvmError, RpcConfig, RpcOptions, ingest_rpc, ingest_rpc_with};
use chaintrail_ingest::ImportOptions;
use chaintrail_store::Store;
use common::{Mode, fixtures, serve};

fn block_483920_dirs() -> Vec<std::path::PathBuf> {
    vec![
        fixtures().join("test_export_blocks_job/block_with_logs"),
        fixtures().join("test_export_receipts_job/receipts_with_logs"),
    ]
}

fn quick(retries: u32) -> RpcConfig {
    RpcConfig {
        options: RpcOptions {
            timeout: Duration::from_secs(1),
            retries,
            backoff: Duration::from_millis(10),
        },
        blocks_per_batch: 1,
        concurrency: 1,
        ..RpcConfig::default()
    }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(dir.path()).expect("store");
    (dir, store)
}

#[test]
fn a_url_that_is_not_a_node_is_named_as_such() {
    let node = serve(&[], 0, Mode::NotANode);
    let (_dir, store) = store();
    let error =
        ingest_rpc(&store, &node.url, 0, 0, &ImportOptions::default()).expect_err("not a node");
    let text = error.to_string();
    assert!(matches!(error, EvmError::Rpc { .. }), "{error:?}");
    assert!(
        text.contains("eth_chainId") && text.contains("not JSON-RPC") && text.contains("nginx"),
        "{text}"
    );
    assert!(
        store.chains().expect("chains").is_empty(),
        "nothing written"
    );
}

#[test]
fn bad_urls_are_refused_before_any_request() {
    let (_dir, store) = store();
    let error = ingest_rpc(
        &store,
        "ftp://example.invalid",
        0,
        0,
        &ImportOptions::default(),
    )
    .expect_err("bad url");
    assert!(error.to_string().contains("not a JSON-RPC URL"), "{error}");
}

#[test]
fn a_silent_node_times_out_after_the_retries() {
    let node = serve(&[], 0, Mode::Silent);
    let (_dir, store) = store();
    let error = ingest_rpc_with(
        &store,
        &node.url,
        0,
        0,
        &quick(1),
        &ImportOptions::default(),
    )
    .expect_err("timeout");
    let text = error.to_string();
    assert!(
        text.contains("eth_chainId") && text.contains("after 2 attempts"),
        "{text}"
    );
    assert_eq!(node.requests.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[test]
fn a_closed_port_is_a_transport_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let (_dir, store) = store();
    let url = format!("http://127.0.0.1:{port}");
    let error = ingest_rpc_with(&store, &url, 0, 0, &quick(2), &ImportOptions::default())
        .expect_err("closed");
    assert!(
        error.to_string().contains("cannot reach the node")
            && error.to_string().contains("after 3 attempts"),
        "{error}"
    );
}

#[test]
fn a_flaky_node_is_retried_with_backoff() {
    let node = serve(&block_483920_dirs(), 483_920, Mode::Flaky(3));
    let (_dir, store) = store();
    let report = ingest_rpc_with(
        &store,
        &node.url,
        483_920,
        483_920,
        &quick(3),
        &ImportOptions::default(),
    )
    .expect("retries absorb three 503s");
    assert_eq!(report.import.txs_read, 4);
}

#[test]
fn a_block_the_node_lacks_fails_naming_it_and_keeps_earlier_windows() {
    // The node claims head 483,921 but only has 483,920.
    let node = serve(&block_483920_dirs(), 483_921, Mode::Recorded);
    let (_dir, store) = store();
    let error = ingest_rpc_with(
        &store,
        &node.url,
        483_920,
        483_921,
        &quick(0),
        &ImportOptions::default(),
    )
    .expect_err("missing block");
    let text = error.to_string();
    assert!(
        text.starts_with("block 483921: eth_getBlockByNumber"),
        "{text}"
    );
    // The first window was committed with its resume point, the failing one left nothing behind.
    let writer = store.writer(Chain::Evm(1)).expect("writer");
    assert_eq!(writer.progress().txs, 4);
    assert_eq!(writer.progress().blocks, 1);
    assert_eq!(
        writer.cursor("evm-rpc:483920-483921"),
        Some(&serde_json::json!({"next_block": 483_921}))
    );
}

#[test]
fn malformed_answers_name_the_block_method_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    for source in block_483920_dirs() {
        for entry in std::fs::read_dir(&source).expect("dir") {
            let path = entry.expect("entry").path();
            std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
        }
    }
    let block_file = dir
        .path()
        .join("web3_response.eth_getBlockByNumber_0x76250_true.json");
    let text = std::fs::read_to_string(&block_file).expect("read");
    std::fs::write(
        &block_file,
        text.replace("\"timestamp\"", "\"timestamp_gone\""),
    )
    .expect("write");
    let node = serve(&[dir.path().to_path_buf()], 483_920, Mode::Recorded);
    let (_store_dir, store) = store();
    let error = ingest_rpc_with(
        &store,
        &node.url,
        483_920,
        483_920,
        &quick(0),
        &ImportOptions::default(),
    )
    .expect_err("malformed");
    let text = error.to_string();
    assert!(matches!(error, EvmError::Decode { .. }), "{error:?}");
    assert_eq!(
        text,
        "block 483920: eth_getBlockByNumber: malformed answer: field `timestamp` is missing"
    );
    assert_eq!(
        store
            .reader(Chain::Evm(1))
            .map(|r| r.tx_count())
            .unwrap_or(0),
        0,
        "nothing committed"
    );

    // A receipt whose gas used is not a number.
    std::fs::write(&block_file, text_of_original()).expect("restore");
    let receipt = dir.path().join("web3_response.eth_getTransactionReceipt_0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8.json");
    let body = std::fs::read_to_string(&receipt).expect("read");
    std::fs::write(
        &receipt,
        body.replace("\"gasUsed\": \"0xc6a5\"", "\"gasUsed\": \"lots\""),
    )
    .expect("write");
    let node = serve(&[dir.path().to_path_buf()], 483_920, Mode::Recorded);
    let error = ingest_rpc_with(
        &store,
        &node.url,
        483_920,
        483_920,
        &quick(0),
        &ImportOptions::default(),
    )
    .expect_err("malformed receipt");
    assert_eq!(
        error.to_string(),
        "block 483920: eth_getTransactionReceipt: malformed answer: field `gasUsed`: `lots` is not a number"
    );
}

fn text_of_original() -> String {
    std::fs::read_to_string(
        fixtures().join("test_export_blocks_job/block_with_logs/web3_response.eth_getBlockByNumber_0x76250_true.json"),
    )
    .expect("read")
}

#[test]
fn ranges_beyond_the_head_are_refused() {
    let node = serve(&block_483920_dirs(), 483_920, Mode::Recorded);
    let (_dir, store) = store();
    let error = ingest_rpc(
        &store,
        &node.url,
        483_920,
        483_999,
        &ImportOptions::default(),
    )
    .expect_err("beyond");
    assert!(
        error.to_string().contains("beyond the node's head 483920"),
        "{error}"
    );
}
