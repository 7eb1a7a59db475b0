//! The JSON-RPC client and `ingest_rpc` against a loopback server serving recorded Bitcoin Core
//! responses (bitcoin-etl's fixtures), compared field by field with bitcoin-etl's expected output.

mod common;

use std::time::Duration;

use chaintrail_bitcoin::BlockFormat;
use chaintrail_bitcoin::{
    BitcoinError, BitcoinRpc, BlockRange, RpcAuth, RpcClient, RpcError, RpcIngestOptions,
    RpcOptions, ingest_rpc,
};
use chaintrail_core::{BitcoinNetwork, Chain, TxFingerprint, TxHash};
use chaintrail_ingest::ImportOptions;
use chaintrail_store::Store;
use common::{Behaviour, Recorded, compare, etl_form, serve};

const MAINNET: BitcoinNetwork = BitcoinNetwork::Mainnet;

fn quick() -> RpcOptions {
    RpcOptions {
        timeout: Duration::from_secs(5),
        retries: 3,
        backoff: Duration::from_millis(10),
    }
}

fn client(url: &str) -> RpcClient {
    RpcClient::new(url, RpcAuth::None, quick()).expect("client")
}

fn verbose() -> RpcIngestOptions {
    RpcIngestOptions {
        format: BlockFormat::Verbose,
        batch: 2,
        resolve_prevouts: false,
    }
}

fn range(start: u64, end: u64) -> BlockRange {
    BlockRange {
        start: Some(start),
        end: Some(end),
    }
}

#[test]
fn genesis_and_block_1_match_bitcoin_etl() {
    let server = serve(Recorded::bitcoin_etl(), Behaviour::default());
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let report = ingest_rpc(
        &store,
        &client(&server.url),
        MAINNET,
        range(0, 1),
        &verbose(),
        &ImportOptions::default(),
    )
    .expect("ingest");
    assert_eq!(report.txs_read, 2);
    assert_eq!(report.totals.blocks, 2);
    let reader = store.reader(Chain::BITCOIN).expect("reader");
    let mut compared = 0;
    for block in ["block_0", "block_1"] {
        let expected = common::read_lines(
            &common::etl_dir()
                .join(block)
                .join("expected_transactions.json"),
        );
        compared += compare(&reader, &expected, true);
    }
    assert_eq!(compared, 2);
    // The genesis output is P2PK, kept as P2PK and reachable as Satoshi's P2PKH address.
    let out = reader.output(0).expect("genesis output");
    assert_eq!(reader.address(out.address).expect("a").type_name(), "p2pk");
    assert_eq!(
        etl_form(&reader, out.address),
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    );
    let aliases = chaintrail_bitcoin::p2pk_aliases(&reader);
    assert_eq!(aliases.len(), 2, "the two coinbase keys");
    let satoshi =
        chaintrail_core::Address::parse(Chain::BITCOIN, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
            .expect("address");
    assert_eq!(aliases[&satoshi], vec![out.address]);
}

#[test]
fn blocks_50000_to_50002_with_resolved_prevouts_match_the_stream_export() {
    let server = serve(Recorded::bitcoin_etl(), Behaviour::default());
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let options = RpcIngestOptions {
        resolve_prevouts: true,
        ..verbose()
    };
    let report = ingest_rpc(
        &store,
        &client(&server.url),
        MAINNET,
        range(50_000, 50_002),
        &options,
        &ImportOptions::default(),
    )
    .expect("ingest");
    assert_eq!(report.txs_read, 5, "1 + 3 + 1 transactions");
    let reader = store.reader(Chain::BITCOIN).expect("reader");
    let expected = common::read_lines(
        &common::etl_dir().join("stream_50001_50002/expected_transactions.json"),
    );
    assert_eq!(compare(&reader, &expected, true), 4);
    let calls = server.calls.lock().expect("calls");
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("getrawtransaction"))
            .count(),
        3,
        "one lookup per spent transaction"
    );
}

#[test]
fn without_prevouts_the_inputs_stay_unlinked_like_bitcoin_etl_export() {
    let server = serve(Recorded::bitcoin_etl(), Behaviour::default());
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    ingest_rpc(
        &store,
        &client(&server.url),
        MAINNET,
        range(50_001, 50_002),
        &verbose(),
        &ImportOptions::default(),
    )
    .expect("ingest");
    let reader = store.reader(Chain::BITCOIN).expect("reader");
    let expected = common::read_lines(
        &common::etl_dir().join("block_with_transactions/expected_transactions.json"),
    );
    assert_eq!(compare(&reader, &expected, false), 4);
    assert_eq!(reader.stats().unlinked_inputs, 3);
}

#[test]
fn raw_blocks_decode_exactly_and_count_matches() {
    let mut recorded = Recorded::bitcoin_etl();
    let bytes = common::raw_block(common::MAINNET_702861);
    recorded.add_raw_block(702_861, common::MAINNET_702861, &bytes);
    let server = serve(recorded, Behaviour::default());
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let report = ingest_rpc(
        &store,
        &client(&server.url),
        MAINNET,
        range(702_861, 702_861),
        &RpcIngestOptions::default(),
        &ImportOptions::default(),
    )
    .expect("ingest");
    assert_eq!(report.txs_read, 2500);
    let reader = store.reader(Chain::BITCOIN).expect("reader");
    assert_eq!(reader.input_count(), 6517 + 1);
    assert_eq!(reader.output_count(), 6015);
    let total: u64 = reader.output_values().expect("values").iter().sum();
    assert_eq!(total, 2_883_682_728_990);
    assert_eq!(reader.tx_block(0).timestamp, 1_633_002_641);
    let last: TxHash = "2947daf667b1914a2f060e8cf10267ca1d056f0dab3ccb273da474f063b7f412"
        .parse()
        .expect("txid");
    assert_eq!(reader.tx_id(&last), Some(2499));
    // Wallet fingerprints, counted by an independent parser of the raw block (Python reading
    // the consensus encoding): 1,778 version-2 transactions, 341 signalling RBF, 493 with a
    // non-zero nLockTime.
    let fingerprints: Vec<TxFingerprint> = (0..reader.tx_count())
        .map(|tx| {
            reader
                .tx_fingerprint(tx)
                .expect("every raw transaction has one")
        })
        .collect();
    let count = |pick: fn(&TxFingerprint) -> bool| fingerprints.iter().filter(|f| pick(f)).count();
    assert_eq!(count(|f| f.version == 2), 1_778);
    assert_eq!(count(|f| f.version == 1), 722);
    assert_eq!(count(|f| f.rbf), 341);
    assert_eq!(count(|f| f.lock_time != 0), 493);
    let by_hash = |hex: &str| {
        let hash: TxHash = hex.parse().expect("txid");
        reader.tx_fingerprint(reader.tx_id(&hash).expect("stored"))
    };
    // The coinbase; a Bitcoin Core-like payment (anti-fee-sniping at the tip, 702,860, and
    // RBF); a version-1 final transaction.
    let fingerprint = |version, lock_time, rbf| {
        Some(TxFingerprint {
            version,
            lock_time,
            rbf,
        })
    };
    assert_eq!(
        by_hash("764b60c3d9a2c3c5bb6fe7141d9ca6e6778122df75f19366a2c5cb948d1d7d84"),
        fingerprint(2, 0, false)
    );
    assert_eq!(
        by_hash("760601721cd1b9c6b0dcc82d6cd05af41019b713dd36cb8b7c391ae5812f8e59"),
        fingerprint(2, 702_860, true)
    );
    assert_eq!(
        by_hash("37eef45315d079910620a19e88b5541bad48440947a9ea21ab93551d4c2381d9"),
        fingerprint(1, 0, false)
    );
}

#[test]
fn a_node_of_another_network_is_refused() {
    let server = serve(Recorded::bitcoin_etl(), Behaviour::default());
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let err = ingest_rpc(
        &store,
        &client(&server.url),
        BitcoinNetwork::Regtest,
        range(0, 1),
        &verbose(),
        &ImportOptions::default(),
    )
    .expect_err("mainnet node");
    let text = err.to_string();
    assert!(
        text.contains("is on bitcoin, not bitcoin-regtest"),
        "{text}"
    );
    assert!(store.chains().expect("chains").is_empty());
}

#[test]
fn getblockcount_and_resume_after_the_last_complete_block() {
    let server = serve(Recorded::bitcoin_etl(), Behaviour::default());
    let rpc = client(&server.url);
    assert_eq!(rpc.get_block_count().expect("count"), 500_000);
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let first = ingest_rpc(
        &store,
        &rpc,
        MAINNET,
        range(0, 0),
        &verbose(),
        &ImportOptions::default(),
    )
    .expect("first");
    assert!(!first.resumed);
    let again = BlockRange {
        start: None,
        end: Some(1),
    };
    let second = ingest_rpc(
        &store,
        &rpc,
        MAINNET,
        again,
        &verbose(),
        &ImportOptions::default(),
    )
    .expect("second");
    assert!(second.resumed);
    assert_eq!(second.txs_read, 1, "only block 1");
    assert_eq!(second.totals.blocks, 2);
}

#[test]
fn refused_credentials_name_the_method_and_leave_nothing_behind() {
    let behaviour = Behaviour {
        credentials: Some("alice:right".to_string()),
        ..Behaviour::default()
    };
    let server = serve(Recorded::bitcoin_etl(), behaviour);
    let wrong = RpcAuth::UserPass {
        user: "alice".to_string(),
        password: "wrong".to_string(),
    };
    let rpc = RpcClient::new(&server.url, wrong, quick()).expect("client");
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let err = ingest_rpc(
        &store,
        &rpc,
        MAINNET,
        range(0, 1),
        &verbose(),
        &ImportOptions::default(),
    )
    .expect_err("auth must fail");
    let text = err.to_string();
    assert!(
        matches!(err, BitcoinError::Rpc(RpcError::Auth { status: 401, .. })),
        "{text}"
    );
    assert!(text.contains("getblockhash 0"), "{text}");
    assert!(text.contains("refused the credentials"), "{text}");
    assert_eq!(
        server.requests.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "no retries"
    );
    assert!(
        store.chains().expect("chains").is_empty()
            || store.reader(Chain::BITCOIN).expect("r").tx_count() == 0
    );

    // The right password, and a cookie file, both work.
    let cookie = dir.path().join(".cookie");
    std::fs::write(&cookie, "alice:right\n").expect("cookie");
    let rpc = RpcClient::new(&server.url, RpcAuth::CookieFile(cookie), quick()).expect("client");
    assert_eq!(rpc.get_block_count().expect("count"), 500_000);
    let in_url = server.url.replace("http://", "http://alice:right@");
    let rpc = RpcClient::new(&in_url, RpcAuth::None, quick()).expect("client");
    assert_eq!(rpc.get_block_count().expect("count"), 500_000);
    assert!(
        !rpc.url().contains("right"),
        "credentials stay out of messages"
    );
}

#[test]
fn a_missing_cookie_says_so() {
    let err = RpcClient::new(
        "127.0.0.1:1",
        RpcAuth::CookieFile("/nonexistent/.cookie".into()),
        quick(),
    )
    .err()
    .expect("no cookie");
    assert!(err.to_string().contains("/nonexistent/.cookie"), "{err}");
}

#[test]
fn not_a_node_and_malformed_answers_are_told_apart() {
    let html = Behaviour {
        canned: Some((200, "<html><body>It works!</body></html>".to_string())),
        ..Behaviour::default()
    };
    let server = serve(Recorded::bitcoin_etl(), html);
    let err = client(&server.url).get_block_count().expect_err("html");
    assert!(matches!(err, RpcError::NotANode { .. }), "{err}");
    assert!(err.to_string().contains("getblockcount"), "{err}");

    let broken = Behaviour {
        canned: Some((200, "{\"result\": [1, 2".to_string())),
        ..Behaviour::default()
    };
    let server = serve(Recorded::bitcoin_etl(), broken);
    let err = client(&server.url)
        .get_block_hashes(7..8)
        .expect_err("malformed");
    assert!(matches!(err, RpcError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("getblockhash 7"), "{err}");

    // A node error names the call and the block.
    let server = serve(Recorded::bitcoin_etl(), Behaviour::default());
    let err = client(&server.url)
        .get_block_hashes(123..124)
        .expect_err("not recorded");
    assert!(matches!(err, RpcError::Node { code: -5, .. }), "{err}");
    assert!(
        err.to_string().contains("getblockhash 123 (height 123)"),
        "{err}"
    );
}

#[test]
fn transient_failures_are_retried_and_timeouts_reported() {
    let flaky = Behaviour {
        fail_first: 2,
        ..Behaviour::default()
    };
    let server = serve(Recorded::bitcoin_etl(), flaky);
    assert_eq!(
        client(&server.url)
            .get_block_count()
            .expect("after retries"),
        500_000
    );
    assert_eq!(server.requests.load(std::sync::atomic::Ordering::SeqCst), 3);

    let silent = Behaviour {
        silent: true,
        ..Behaviour::default()
    };
    let server = serve(Recorded::bitcoin_etl(), silent);
    let options = RpcOptions {
        timeout: Duration::from_secs(1),
        retries: 1,
        backoff: Duration::from_millis(10),
    };
    let rpc = RpcClient::new(&server.url, RpcAuth::None, options).expect("client");
    let err = rpc.get_block_hashes(5..6).expect_err("timeout");
    assert!(
        matches!(err, RpcError::Timeout { attempts: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("getblockhash 5"), "{err}");

    // Nothing listening at all.
    let rpc = RpcClient::new("127.0.0.1:9", RpcAuth::None, options).expect("client");
    let err = rpc.get_block_count().expect_err("unreachable");
    assert!(
        matches!(err, RpcError::Unreachable { attempts: 2, .. }),
        "{err}"
    );
}
