//! Checksums per segment: a reader verifies a segment when it first reads from it, a damaged
//! segment is never read, `Store::verify` names every damaged range, and stores written before
//! segment checksums open and get them with their next commit.

use std::path::Path;

use chaintrail_core::{AccountTransfer, AccountTx, Address, Amount, AssetKind, BlockRef, Chain};
use chaintrail_core::{TransferKind, TxHash};
use chaintrail_store::{Store, StoreError};

const ETH: Chain = Chain::Evm(31337);
const SEGMENT: u64 = 64;

fn tx(n: u32) -> AccountTx {
    let mut hash = [0u8; 32];
    hash[..4].copy_from_slice(&n.to_be_bytes());
    hash[31] = 7;
    AccountTx {
        hash: TxHash(hash),
        block: BlockRef {
            height: u64::from(n / 4),
            timestamp: 1_000 + u64::from(n / 4) * 12,
        },
        transfers: vec![AccountTransfer {
            from: Some(Address::Evm([(n % 50 + 1) as u8; 20])),
            to: Some(Address::Evm([(n * 7 % 50 + 1) as u8; 20])),
            asset: AssetKind::Native,
            amount: Amount::from_u64(1_000 + u64::from(n)),
            kind: TransferKind::Native,
            success: true,
        }],
    }
}

/// A chain of `count` one-transfer transactions, checksummed in segments of 64 bytes.
fn chain(dir: &Path, count: u32) -> Store {
    let store = Store::init(dir).expect("init");
    let mut writer = store
        .writer_with_segment_bytes(ETH, SEGMENT)
        .expect("writer");
    for n in 0..count {
        assert!(writer.append_account_tx(&tx(n)).expect("append"));
    }
    writer
        .finish("test", serde_json::json!(count))
        .expect("finish");
    store
}

fn flip(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).expect("read");
    bytes[at] ^= 0x10;
    std::fs::write(path, bytes).expect("write");
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("chains/anvil/manifest.json")).expect("read"))
        .expect("json")
}

#[test]
fn a_segment_is_verified_when_first_read_and_never_read_damaged() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = chain(dir.path(), 200);
    let amounts = &manifest(dir.path())["files"]["transfers.amount"];
    assert_eq!(amounts["bytes"], 1_600);
    assert_eq!(amounts["segments"].as_array().expect("segments").len(), 25);

    // Row 150's amount is bytes 1200..1208: segment 19 (bytes 1152..1216).
    flip(&dir.path().join("chains/anvil/transfers.amount"), 1_202);
    let reader = store.reader(ETH).expect("opens: nothing is read at open");
    for row in (0..144).chain(152..200) {
        assert_eq!(reader.transfer_amount(row), Amount::from_u64(1_000 + row));
    }
    assert!(reader.ensure_intact().is_ok(), "intact segments only");
    let transfer = reader.transfer(150).expect("row 150");
    assert_eq!(
        transfer.amount,
        Amount::ZERO,
        "a damaged value is never handed out"
    );
    assert_eq!(reader.transfer_amount(151), Amount::ZERO);
    let message = reader.ensure_intact().expect_err("damage met").to_string();
    assert!(
        message.contains("transfers.amount")
            && message.contains("bytes 1152..1216 (segment 19 of 25)"),
        "{message}"
    );
    // Scans verify everything they hand out.
    let scan = reader.transfer_columns().amount.all();
    assert!(matches!(scan, Err(StoreError::Corrupt { .. })));
    assert_eq!(
        reader.transfer_columns().from.all().expect("intact").len(),
        200
    );

    let report = store.verify(ETH, &mut |_, _| {}).expect("verify");
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].file.ends_with("transfers.amount"));
    assert!(
        report.problems[0].what.contains("segment 19 of 25"),
        "{:?}",
        report.problems
    );
    assert!(report.segments > 25);
}

#[test]
fn verify_names_every_damaged_and_missing_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = chain(dir.path(), 120);
    let intact = store.verify(ETH, &mut |_, _| {}).expect("verify");
    assert!(intact.is_intact(), "{:?}", intact.problems);
    let chain_dir = dir.path().join("chains/anvil");
    flip(&chain_dir.join("transfers.from"), 5);
    flip(&chain_dir.join("transfers.from"), 300);
    flip(&chain_dir.join("index.in.adj"), 0);
    std::fs::remove_file(chain_dir.join("txs.hash")).expect("remove");
    let mut done = 0;
    let report = store
        .verify(ETH, &mut |bytes, _| done = bytes)
        .expect("verify");
    let mut named: Vec<(String, String)> = report
        .problems
        .iter()
        .map(|p| {
            (
                p.file.file_name().unwrap().to_string_lossy().into_owned(),
                p.what.clone(),
            )
        })
        .collect();
    named.sort();
    assert_eq!(named.len(), 4, "{named:?}");
    assert_eq!(named[0].0, "index.in.adj");
    assert!(
        named[0].1.contains("bytes 0..64 (segment 1 of"),
        "{named:?}"
    );
    assert_eq!(named[1].0, "transfers.from");
    assert!(
        named[1].1.contains("bytes 0..64 (segment 1 of 8)"),
        "{named:?}"
    );
    assert!(
        named[2].1.contains("bytes 256..320 (segment 5 of 8)"),
        "{named:?}"
    );
    assert_eq!(named[3].0, "txs.hash");
    assert!(named[3].1.contains("missing"), "{named:?}");
    assert_eq!(done, report.bytes);
}

/// Strip what this version adds to manifests: the segment checksums, and optionally the
/// segment size.
fn make_legacy(dir: &Path, keep_segment_size: bool) {
    let path = dir.join("chains/anvil/manifest.json");
    let mut manifest = manifest(dir);
    for group in ["files", "indexes"] {
        for state in manifest[group].as_object_mut().expect("files").values_mut() {
            state.as_object_mut().expect("state").remove("segments");
        }
    }
    if !keep_segment_size {
        manifest
            .as_object_mut()
            .expect("manifest")
            .remove("segment_bytes");
    }
    std::fs::write(path, serde_json::to_vec_pretty(&manifest).expect("json")).expect("write");
}

#[test]
fn a_store_without_segment_checksums_opens_and_gets_them_with_its_next_commit() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = chain(dir.path(), 100);
    make_legacy(dir.path(), true);
    let reader = store.reader(ETH).expect("opens");
    assert_eq!(reader.transfer_amount(99), Amount::from_u64(1_099));
    assert!(reader.ensure_intact().is_ok());
    let report = store.verify(ETH, &mut |_, _| {}).expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.segments, report.files, "one segment per file");
    drop(reader);

    // A damaged legacy file is one segment: any read of it finds the damage.
    let amounts = dir.path().join("chains/anvil/transfers.amount");
    flip(&amounts, 700);
    let reader = store.reader(ETH).expect("opens");
    assert_eq!(reader.transfer_amount(3), Amount::ZERO);
    let message = reader.ensure_intact().expect_err("damaged").to_string();
    assert!(message.contains("(segment 1 of 1)"), "{message}");
    drop(reader);
    // A writer hashes a legacy file again to continue it, and refuses a damaged one.
    let message = store.writer(ETH).err().expect("refused").to_string();
    assert!(message.contains("transfers.amount"), "{message}");
    flip(&amounts, 700);

    let mut writer = store.writer(ETH).expect("writer");
    for n in 100..130 {
        assert!(writer.append_account_tx(&tx(n)).expect("append"));
    }
    writer
        .finish("test", serde_json::json!(130))
        .expect("finish");
    let amounts = &manifest(dir.path())["files"]["transfers.amount"];
    assert_eq!(amounts["segments"].as_array().expect("segments").len(), 17);
    let reader = store.reader(ETH).expect("opens");
    for row in 0..130 {
        assert_eq!(reader.transfer_amount(row), Amount::from_u64(1_000 + row));
    }
    assert!(reader.ensure_intact().is_ok());
    assert!(
        store
            .verify(ETH, &mut |_, _| {})
            .expect("verify")
            .is_intact()
    );
}

#[test]
fn new_chains_get_8_mib_segments() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("init");
    let mut writer = store.writer(ETH).expect("writer");
    assert!(writer.append_account_tx(&tx(0)).expect("append"));
    writer.finish("test", serde_json::json!(1)).expect("finish");
    assert_eq!(manifest(dir.path())["segment_bytes"], 8 << 20);
}

/// A manifest written before segment sizes were recorded was written with 64 MiB segments.
#[test]
fn a_manifest_without_a_segment_size_uses_the_default() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = chain(dir.path(), 40);
    make_legacy(dir.path(), false);
    let mut writer = store.writer(ETH).expect("writer");
    assert!(writer.append_account_tx(&tx(40)).expect("append"));
    writer
        .finish("test", serde_json::json!(41))
        .expect("finish");
    let manifest = manifest(dir.path());
    assert_eq!(manifest["segment_bytes"], 64 << 20);
    assert!(
        manifest["files"]["transfers.amount"]
            .get("segments")
            .is_none()
    );
    let reader = store.reader(ETH).expect("reader");
    assert_eq!(reader.transfer_amount(40), Amount::from_u64(1_040));
    assert!(reader.ensure_intact().is_ok());
}

#[test]
fn addresses_and_transactions_are_found_through_the_mapped_lookups() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = chain(dir.path(), 300);
    let reader = store.reader(ETH).expect("reader");
    let stats = reader.stats();
    assert!(stats.bytes.lookups > 0);
    for n in 0..300 {
        assert_eq!(reader.tx_id(&tx(n).hash), Some(u64::from(n)));
    }
    assert_eq!(reader.tx_id(&TxHash([9; 32])), None);
    for id in 1..reader.address_count() as u32 {
        let address = reader.address(id).expect("address");
        assert_eq!(reader.address_id(&address), Some(id));
    }
    assert_eq!(reader.address_id(&Address::Evm([200; 20])), None);
    assert!(reader.ensure_intact().is_ok());
    drop(reader);

    // A store indexed before the lookups existed finds them by a map built on first use.
    let path = dir.path().join("chains/anvil/manifest.json");
    let mut manifest = manifest(dir.path());
    let indexes = manifest["indexes"].as_object_mut().expect("indexes");
    indexes.remove("index.address_lookup");
    indexes.remove("index.tx_lookup");
    std::fs::write(&path, serde_json::to_vec(&manifest).expect("json")).expect("write");
    let reader = store.reader(ETH).expect("reader");
    assert_eq!(reader.tx_id(&tx(17).hash), Some(17));
    let address = reader.address(5).expect("address");
    assert_eq!(reader.address_id(&address), Some(5));
}
