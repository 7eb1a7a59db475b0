//! Parent hashes at import: a block whose parent is not the stored block below it is refused,
//! naming both hashes, with nothing of it stored; within one export and across imports (the
//! stored head survives reopening the store). On two real mainnet blocks (17173049, 17173050,
//! ethereum-etl's own `stream` test fixture).

mod common;

use std::path::Path;

use chaintrail_core::Chain;
use chaintrail_evm::EthereumEtl;
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_store::Store;
use common::fixtures;
use serde_json::Value;

const FIRST: u64 = 17_173_049;
const SECOND: u64 = 17_173_050;
const FIRST_HASH: &str = "0xaa5ab9bb22d8020d438496a7edb4eff508b1c5128b0dc01fdecf57f96aac1bb3";
const SECOND_HASH: &str = "0x5699ffb9477f70ec736463b144614356eb051936da75fcccec73d648f2e91de4";
const OTHER_HASH: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";
/// Transactions of each block, plus the synthetic one of its beacon withdrawals.
const FIRST_TXS: u64 = 116 + 1;
const SECOND_TXS: u64 = 182 + 1;

/// Write the fixture's tables with the rows of `blocks` into `dir`, `edit` applied to each
/// `blocks` line (as text: amounts beyond 64 bits must not go through `f64`).
fn write_export(dir: &Path, blocks: &[u64], edit: impl Fn(String) -> String) {
    let source = fixtures().join("test_stream/blocks_17173049_17173050");
    for table in ["blocks", "transactions", "logs", "token_transfers"] {
        let text = std::fs::read_to_string(source.join(format!("expected_{table}.json")))
            .expect("fixture");
        let mut out = String::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let row: Value = serde_json::from_str(line).expect("json");
            let number = row
                .get("block_number")
                .or_else(|| row.get("number"))
                .and_then(Value::as_u64)
                .expect("block number");
            if !blocks.contains(&number) {
                continue;
            }
            let line = match table {
                "blocks" => edit(line.to_string()),
                _ => line.to_string(),
            };
            out.push_str(&line);
            out.push('\n');
        }
        std::fs::write(dir.join(format!("{table}.json")), out).expect("write");
    }
}

fn import(store: &Store, export: &Path) -> Result<chaintrail_ingest::ImportReport, String> {
    EthereumEtl
        .import(store, export, &ImportOptions::default())
        .map_err(|e| e.to_string())
}

/// (transactions, blocks) committed (a refused import leaves the indexes for readers stale).
fn stored(dir: &Path) -> (u64, u64) {
    let store = Store::open(dir).expect("open");
    let progress = store.writer(Chain::Evm(1)).expect("writer").progress();
    (progress.txs, progress.blocks)
}

/// The block line of `number` with `field` (`hash`, `parent_hash`) set to `value`.
fn set(line: String, number: u64, field: &str, value: &str) -> String {
    let row: Value = serde_json::from_str(&line).expect("json");
    if row["number"] != number {
        return line;
    }
    let old = row[field].as_str().expect("hash");
    line.replace(
        &format!("\"{field}\": \"{old}\""),
        &format!("\"{field}\": \"{value}\""),
    )
}

#[test]
fn a_block_naming_another_parent_is_refused_with_both_hashes_and_nothing_of_it_stored() {
    let export = tempfile::tempdir().expect("tempdir");
    write_export(export.path(), &[FIRST, SECOND], |line| {
        set(line, SECOND, "parent_hash", OTHER_HASH)
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(dir.path()).expect("store");

    let error = import(&store, export.path()).expect_err("a forked block is refused");
    assert!(
        error.contains(&format!(
            "block {SECOND} names parent {OTHER_HASH}, but the stored block {FIRST} is \
             {FIRST_HASH}"
        )),
        "{error}"
    );
    assert!(error.contains("chaintrail follow"), "{error}");
    assert!(error.contains("fresh store"), "{error}");
    // Block FIRST is committed, nothing of SECOND is.
    assert_eq!(stored(dir.path()), (FIRST_TXS, 1));

    // The export with the right parent resumes at the refused block.
    write_export(export.path(), &[FIRST, SECOND], |line| line);
    let report = import(&store, export.path()).expect("the export on the stored chain");
    assert!(report.resumed);
    assert_eq!(report.txs_read, SECOND_TXS);
    assert_eq!(stored(dir.path()), (FIRST_TXS + SECOND_TXS, 2));
}

#[test]
fn the_stored_head_of_one_import_checks_the_next_import() {
    let first = tempfile::tempdir().expect("tempdir");
    write_export(first.path(), &[FIRST], |line| line);
    let forked = tempfile::tempdir().expect("tempdir");
    write_export(forked.path(), &[SECOND], |line| {
        set(line, SECOND, "parent_hash", OTHER_HASH)
    });
    let sibling = tempfile::tempdir().expect("tempdir");
    write_export(sibling.path(), &[FIRST], |line| {
        set(line, FIRST, "hash", OTHER_HASH)
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let report = import(&Store::init(dir.path()).expect("store"), first.path()).expect("import");
    assert_eq!(report.txs_read, FIRST_TXS);

    // A new store handle: the head comes from the manifest.
    let store = Store::open(dir.path()).expect("open");
    let error = import(&store, forked.path()).expect_err("a forked block is refused");
    assert!(
        error.contains(&format!(
            "block {SECOND} names parent {OTHER_HASH}, but the stored block {FIRST} is \
             {FIRST_HASH}"
        )),
        "{error}"
    );
    assert_eq!(stored(dir.path()), (FIRST_TXS, 1));

    let error = import(&store, sibling.path()).expect_err("another block at the head's height");
    assert!(
        error.contains(&format!(
            "block {FIRST} has hash {OTHER_HASH}, but the stored block {FIRST} is {FIRST_HASH}"
        )),
        "{error}"
    );
    assert_eq!(stored(dir.path()), (FIRST_TXS, 1));

    // The true child of the stored head is checked and stored; then the head is block SECOND.
    let second = tempfile::tempdir().expect("tempdir");
    write_export(second.path(), &[SECOND], |line| line);
    let report = import(&store, second.path()).expect("the stored head's child");
    assert_eq!(report.txs_read, SECOND_TXS);
    assert_eq!(stored(dir.path()), (FIRST_TXS + SECOND_TXS, 2));
    // A child of block FIRST at height SECOND + 1 (block FIRST's row renumbered, no
    // transactions): its parent is no longer the head.
    let next = tempfile::tempdir().expect("tempdir");
    write_export(next.path(), &[FIRST], |line| {
        let line = set(line, FIRST, "parent_hash", FIRST_HASH);
        let line = set(line, FIRST, "hash", OTHER_HASH);
        line.replace(
            &format!("\"number\": {FIRST}"),
            &format!("\"number\": {}", SECOND + 1),
        )
    });
    for table in ["transactions", "logs", "token_transfers"] {
        std::fs::write(next.path().join(format!("{table}.json")), "").expect("write");
    }
    let error = import(&store, next.path()).expect_err("the parent is no longer the head");
    assert!(
        error.contains(&format!(
            "block {} names parent {FIRST_HASH}, but the stored block {SECOND} is {SECOND_HASH}",
            SECOND + 1
        )),
        "{error}"
    );
}
