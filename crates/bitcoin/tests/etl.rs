//! The bitcoin-etl importer on bitcoin-etl's own expected exports (blocks 0, 1, 50,000–50,002),
//! compared field by field with them and with the same blocks ingested over JSON-RPC.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chaintrail_bitcoin::BlockFormat;
use chaintrail_bitcoin::EtlTransaction;
use chaintrail_bitcoin::{
    BitcoinEtl, BlockRange, RpcAuth, RpcClient, RpcIngestOptions, RpcOptions, ingest_rpc,
};
use chaintrail_core::{BitcoinNetwork, Chain, TxFingerprint};
use chaintrail_ingest::{ImportOptions, Importer, find_importer};
use chaintrail_store::Store;
use common::{Behaviour, Recorded, compare, etl_form, serve};
use serde_json::Value;

const EXPORTS: [&str; 4] = [
    "block_0",
    "block_1",
    "block_without_transactions",
    "stream_50001_50002",
];

/// An export directory as `bitcoin-etl export_blocks_and_transactions` writes it, with the
/// transaction lines in reverse order (as a parallel export may leave them).
fn export_dir(root: &Path) -> PathBuf {
    let dir = root.join("export");
    std::fs::create_dir_all(&dir).expect("dir");
    let mut blocks = String::new();
    let mut txs = Vec::new();
    for name in EXPORTS {
        let src = common::etl_dir().join(name);
        blocks += &std::fs::read_to_string(src.join("expected_blocks.json")).expect("blocks");
        let text = std::fs::read_to_string(src.join("expected_transactions.json")).expect("txs");
        txs.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string),
        );
    }
    txs.reverse();
    std::fs::write(dir.join("blocks.json"), blocks).expect("write");
    std::fs::write(dir.join("transactions.json"), txs.join("\n") + "\n").expect("write");
    dir
}

fn expected() -> Vec<Value> {
    EXPORTS
        .iter()
        .flat_map(|name| {
            common::read_lines(
                &common::etl_dir()
                    .join(name)
                    .join("expected_transactions.json"),
            )
        })
        .collect()
}

#[test]
fn import_matches_bitcoin_etl_and_the_rpc_path() {
    let tmp = tempfile::tempdir().expect("tmp");
    let export = export_dir(tmp.path());
    let store = Store::init(&tmp.path().join("store")).expect("store");
    let importer: &dyn Importer = &BitcoinEtl::MAINNET;
    let found = find_importer(&[importer], "bitcoin-etl").expect("registered by name");
    let report = found
        .import(&store, &export, &ImportOptions::default())
        .expect("import");
    assert_eq!(report.txs_read, 1 + 1 + 1 + 4);
    assert_eq!(report.totals.blocks, 5);
    let reader = store.reader(Chain::BITCOIN).expect("reader");
    assert_eq!(compare(&reader, &expected(), true), 7);

    // The same blocks over JSON-RPC (with prevouts resolved) give the same outputs, values
    // and fees; inputs keep what each source says about outputs outside the store.
    let server = serve(Recorded::bitcoin_etl(), Behaviour::default());
    let options = RpcOptions {
        timeout: Duration::from_secs(5),
        retries: 0,
        backoff: Duration::from_millis(1),
    };
    let client = RpcClient::new(&server.url, RpcAuth::None, options).expect("client");
    let rpc_store = Store::init(&tmp.path().join("rpc")).expect("store");
    let rpc_options = RpcIngestOptions {
        format: BlockFormat::Verbose,
        batch: 4,
        resolve_prevouts: true,
    };
    for (start, end) in [(0, 1), (50_000, 50_002)] {
        let range = BlockRange {
            start: Some(start),
            end: Some(end),
        };
        ingest_rpc(
            &rpc_store,
            &client,
            BitcoinNetwork::Mainnet,
            range,
            &rpc_options,
            &ImportOptions::default(),
        )
        .expect("rpc");
    }
    let rpc = rpc_store.reader(Chain::BITCOIN).expect("reader");
    assert_eq!(rpc.tx_count(), reader.tx_count());
    for tx in 0..reader.tx_count() {
        let hash = reader.tx_hash(tx);
        let other = rpc.tx_id(&hash).expect("same transactions");
        assert_eq!(reader.tx_block(tx), rpc.tx_block(other));
        // bitcoin-etl's rows say version 1, lock_time 0 and sequence 4294967295 for all seven;
        // the node's transactions say the same.
        let final_v1 = TxFingerprint {
            version: 1,
            lock_time: 0,
            rbf: false,
        };
        assert_eq!(reader.tx_fingerprint(tx), Some(final_v1), "{hash}");
        assert_eq!(rpc.tx_fingerprint(other), Some(final_v1), "{hash}");
        assert_eq!(reader.tx_fee(tx), rpc.tx_fee(other), "{hash}");
        let ours: Vec<_> = reader.tx_outputs(tx).collect();
        let theirs: Vec<_> = rpc.tx_outputs(other).collect();
        assert_eq!(ours.len(), theirs.len());
        for (a, b) in ours.into_iter().zip(theirs) {
            let (a, b) = (reader.output(a).expect("a"), rpc.output(b).expect("b"));
            assert_eq!(a.value, b.value);
            assert_eq!(reader.address(a.address), rpc.address(b.address), "{hash}");
        }
        for (a, b) in reader.tx_inputs(tx).zip(rpc.tx_inputs(other)) {
            let (a, b) = (reader.input(a).expect("a"), rpc.input(b).expect("b"));
            assert_eq!(a.prevout, b.prevout);
            assert_eq!(a.value, b.value);
            // bitcoin-etl names a spent P2PK output by its P2PKH form; the node's script is P2PK.
            if let (Some(x), Some(y)) = (a.address, b.address) {
                assert_eq!(reader.address(x).expect("x").to_string(), etl_form(&rpc, y));
            }
        }
    }
}

#[test]
fn a_second_run_resumes_and_reads_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let export = export_dir(tmp.path());
    let store = Store::init(&tmp.path().join("store")).expect("store");
    let options = ImportOptions {
        checkpoint_every: 1,
        on_progress: &|_, _| {},
    };
    let first = BitcoinEtl::MAINNET
        .import(&store, &export.join("transactions.json"), &options)
        .expect("first");
    assert!(!first.resumed);
    let second = BitcoinEtl::MAINNET
        .import(&store, &export, &options)
        .expect("second");
    assert!(second.resumed);
    assert_eq!(second.txs_read, 0);
    assert_eq!(second.totals.txs, 7);
    assert_eq!(second.totals.duplicate_txs_skipped, 0);
}

/// The check needs the block's lines only, so it happens when the import reaches the block:
/// the blocks before it are imported (and kept at a checkpoint), the incomplete one is not.
#[test]
fn an_incomplete_export_is_refused_at_the_incomplete_block() {
    let tmp = tempfile::tempdir().expect("tmp");
    let export = export_dir(tmp.path());
    let path = export.join("transactions.json");
    let text = std::fs::read_to_string(&path).expect("read");
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("f84761459a00c6df3176ae5d94c99e69f25100d09548e5686bd0c354bb8cc60a"))
        .collect();
    std::fs::write(&path, kept.join("\n")).expect("write");
    let store = Store::init(&tmp.path().join("store")).expect("store");
    let options = ImportOptions {
        checkpoint_every: 1,
        on_progress: &|_, _| {},
    };
    let err = BitcoinEtl::MAINNET
        .import(&store, &export, &options)
        .expect_err("incomplete");
    assert!(
        err.to_string()
            .contains("block 50001 has 3 transactions (blocks.json) but the export holds 2"),
        "{err}"
    );
    let writer = store.writer(Chain::BITCOIN).expect("writer");
    // Blocks 0, 1 and 50,000 (one transaction each); block 50,001 is not in the store.
    assert_eq!(writer.progress().blocks, 3);
    assert_eq!(writer.progress().txs, 3);
}

/// `bitcoinetl stream` output captured to one file — each batch's blocks, then its
/// transactions, every item with its `type` — imports like the two tables it holds.
#[test]
fn stream_output_imports_like_its_tables() {
    let tmp = tempfile::tempdir().expect("tmp");
    let source = common::etl_dir().join("stream_50001_50002");
    let tables = tmp.path().join("tables");
    std::fs::create_dir_all(&tables).expect("dir");
    let mut capture = String::new();
    for (from, to) in [
        ("expected_blocks.json", "blocks.json"),
        ("expected_transactions.json", "transactions.json"),
    ] {
        let text = std::fs::read_to_string(source.join(from)).expect("read");
        std::fs::write(tables.join(to), &text).expect("write");
        capture += &text;
    }
    let stream = tmp.path().join("stream.jsonl");
    std::fs::write(&stream, capture).expect("write");
    let mut stored = Vec::new();
    for path in [&tables, &stream] {
        let store = Store::init(&tmp.path().join(format!("store{}", stored.len()))).expect("store");
        let report = BitcoinEtl::MAINNET
            .import(&store, path, &ImportOptions::default())
            .expect("import");
        let reader = store.reader(Chain::BITCOIN).expect("reader");
        stored.push((
            report.txs_read,
            reader.block_count(),
            reader.content_checksum(),
        ));
    }
    assert_eq!(stored[0].0, 4);
    assert_eq!(stored[0].1, 2);
    assert_eq!(stored[0], stored[1]);
}

#[test]
fn fractional_values_are_refused_with_the_line() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("transactions.json");
    let genesis = common::read_lines(&common::etl_dir().join("block_0/expected_transactions.json"));
    let mut line = genesis[0].clone();
    line["outputs"][0]["value"] = serde_json::json!(50.5);
    std::fs::write(&path, format!("\n{line}\n")).expect("write");
    let store = Store::init(&tmp.path().join("store")).expect("store");
    let err = BitcoinEtl::MAINNET
        .import(&store, &path, &ImportOptions::default())
        .expect_err("float");
    let text = err.to_string();
    assert!(text.contains("transactions.json:2:"), "{text}");
    assert!(text.contains("not an integer amount of satoshi"), "{text}");
}

#[test]
fn dogecoin_amounts_beyond_float_precision_are_exact() {
    // bitcoin-etl once converted coin amounts through floats; its fixed export holds exact
    // integers, which must come through unchanged (totals computed independently).
    let path = common::fixtures().join(
        "bitcoin_etl/test_export_blocks_job/dogecoin/block_with_float_precision_loss/expected_transactions.json",
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    let mut total = 0u64;
    let mut outputs = 0;
    let mut largest = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let record: EtlTransaction = serde_json::from_str(line).expect("record");
        let tx = record
            .to_utxo_tx(BitcoinNetwork::Mainnet)
            .expect("converts");
        for output in &tx.outputs {
            total += output.value;
            largest = largest.max(output.value);
            outputs += 1;
        }
    }
    assert_eq!(outputs, 20);
    assert_eq!(largest, 8_484_129_938_700_000);
    assert_eq!(total, 9_623_711_599_182_957);
}

#[test]
fn a_line_longer_than_the_limit_is_refused_with_file_line_and_limit() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("transactions.json");
    let genesis = common::read_lines(&common::etl_dir().join("block_0/expected_transactions.json"));
    std::fs::write(&path, format!("{}\n", genesis[0])).expect("write");
    // Line 2: MAX_LINE + 1 zero bytes and no newline, as a sparse file (no disk used).
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    let first = file.metadata().expect("size").len();
    file.set_len(first + chaintrail_ingest::MAX_LINE as u64 + 1)
        .expect("extend");
    let store = Store::init(&tmp.path().join("store")).expect("store");
    let err = BitcoinEtl::MAINNET
        .import(&store, &path, &ImportOptions::default())
        .expect_err("an over-long line");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2: the line is longer than 64 MiB, the most chaintrail reads as one line: the \
             file is damaged or not in this format",
            path.display()
        )
    );
    assert!(store.chains().expect("chains").is_empty());
}

/// Transaction 52 of mainnet block 702,861 (a Bitcoin Core-like payment: version 2, nLockTime
/// at the tip, RBF) as a `bitcoin-etl export_blocks_and_transactions` line; the fields read from
/// the raw block by an independent parser (Python reading the consensus encoding). Input
/// enrichment (`value`, `addresses`) left out, as an export without it does.
const CORE_LIKE_ROW: &str = r#"{"hash": "760601721cd1b9c6b0dcc82d6cd05af41019b713dd36cb8b7c391ae5812f8e59", "size": 222, "virtual_size": 222, "version": 2, "lock_time": 702860, "block_number": 702861, "block_hash": "000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae", "block_timestamp": 1633002641, "is_coinbase": false, "index": 52, "inputs": [{"index": 0, "spent_transaction_hash": "a14138307017d98b7e249ed4ecc6674fd5c2a03ed90ad1960f19650a1e873858", "spent_output_index": 0, "script_hex": "47304402205b51bd86c91b5846e4b94c34aa92a09a7411e310dcf1aab46cea6e701325657e0220705a9f199032a373af9ff5f918c9b5ae19942ce8cd62e599ca33ec44d07ca0e70121020d16477427109b88f1e987aa96c4c55c25dd31a6acc9abb2b8ecba9528d57262", "sequence": 4294967293}], "outputs": [{"index": 0, "script_hex": "76a9144edf443f848a4e5c3bbe7f1d37cd4b4d39c88c3288ac", "type": "pubkeyhash", "value": 995118}, {"index": 1, "script_hex": "0014ad9bc7ef7520c06539e7ddc1bba56146191d6298", "type": "witness_v0_keyhash", "value": 39086}], "input_count": 1, "output_count": 2, "output_value": 1034204}"#;

fn row_with(change: impl FnOnce(&mut Value)) -> Result<chaintrail_core::UtxoTx, String> {
    let mut value: Value = serde_json::from_str(CORE_LIKE_ROW).expect("row");
    change(&mut value);
    let row: EtlTransaction = serde_json::from_value(value).map_err(|e| e.to_string())?;
    row.to_utxo_tx(BitcoinNetwork::Mainnet)
        .map_err(|e| e.to_string())
}

#[test]
fn version_lock_time_and_sequences_give_the_fingerprint_the_raw_block_gives() {
    let tx = row_with(|_| {}).expect("row");
    let core_like = TxFingerprint {
        version: 2,
        lock_time: 702_860,
        rbf: true,
    };
    assert_eq!(tx.fingerprint, Some(core_like));
    let block: bitcoin::Block =
        bitcoin::consensus::deserialize(&common::raw_block(common::MAINNET_702861)).expect("real");
    let raw = chaintrail_bitcoin::block_txs(&block, 702_861, BitcoinNetwork::Mainnet).expect("txs");
    assert_eq!(
        (raw[52].hash, raw[52].fingerprint),
        (tx.hash, tx.fingerprint)
    );

    // 0xfffffffe keeps nLockTime enforced without signalling RBF.
    let final_input = row_with(|v| v["inputs"][0]["sequence"] = 4_294_967_294u64.into());
    assert_eq!(
        final_input.expect("row").fingerprint,
        Some(TxFingerprint {
            rbf: false,
            ..core_like
        })
    );
    // Core 28 prints nVersion unsigned: 4294967295 is version -1.
    let unsigned = row_with(|v| v["version"] = 4_294_967_295u64.into());
    assert_eq!(
        unsigned.expect("row").fingerprint.map(|f| f.version),
        Some(-1)
    );
    // A row without version (or an input without sequence) has no fingerprint, not a guess.
    let bare = row_with(|v| {
        v.as_object_mut().expect("object").remove("version");
    });
    assert_eq!(bare.expect("row").fingerprint, None);
    let no_sequence = row_with(|v| {
        v["inputs"][0]
            .as_object_mut()
            .expect("input")
            .remove("sequence");
    });
    assert_eq!(no_sequence.expect("row").fingerprint, None);
    let huge = row_with(|v| v["lock_time"] = 4_294_967_296u64.into()).expect_err("refused");
    assert!(
        huge.contains("`lock_time` 4294967296 is not a 32-bit nLockTime"),
        "{huge}"
    );
    let bad_sequence = row_with(|v| v["inputs"][0]["sequence"] = (-1).into()).expect_err("refused");
    assert!(
        bad_sequence.contains("input 0: `sequence` -1"),
        "{bad_sequence}"
    );
}
