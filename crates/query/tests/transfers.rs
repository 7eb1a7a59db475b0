//! Reading transfers in batches: every row once, an address's rows, a time range.

use chaintrail_core::{AccountTx, Chain};
use chaintrail_query::TransferScan;
use chaintrail_store::Store;

const ANVIL: Chain = Chain::Evm(31337);

fn store_with(txs: &[AccountTx]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let mut writer = store.writer(ANVIL).expect("writer");
    for tx in txs {
        writer.append_account_tx(tx).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
    (dir, store)
}

#[test]
fn batches_hold_every_transfer_once_in_store_order() {
    let txs: Vec<_> = chaintrail_ingest::synthetic::account_txs(7, 200).collect();
    let (_dir, store) = store_with(&txs);
    let reader = store.reader(ANVIL).expect("reader");
    let mut scan = TransferScan::new(&reader, None, None, None);
    let mut sizes = Vec::new();
    let mut read = Vec::new();
    loop {
        let batch = scan.next_batch(&reader, 64);
        if batch.is_empty() {
            break;
        }
        sizes.push(batch.len());
        read.extend(batch);
    }
    let expected: Vec<_> = txs
        .iter()
        .flat_map(|tx| tx.transfers.iter().map(move |t| (tx, t)))
        .collect();
    assert_eq!(read.len(), expected.len());
    assert_eq!(read.len() as u64, reader.transfer_count());
    assert!(sizes[..sizes.len() - 1].iter().all(|&n| n == 64));
    for (record, (tx, transfer)) in read.iter().zip(&expected) {
        assert_eq!(record.tx, tx.hash.to_hex_prefixed());
        assert_eq!(record.block, tx.block);
        assert_eq!(record.value.amount, transfer.amount);
        assert_eq!(record.from, transfer.from.as_ref().map(ToString::to_string));
        assert_eq!(record.to, transfer.to.as_ref().map(ToString::to_string));
    }
}

#[test]
fn an_address_scan_holds_its_transfers_within_the_time_range() {
    let txs: Vec<_> = chaintrail_ingest::synthetic::account_txs(11, 300).collect();
    let (_dir, store) = store_with(&txs);
    let reader = store.reader(ANVIL).expect("reader");
    let address = txs[0].transfers[0].from.clone().expect("a sender");
    let text = address.to_string();
    let since = txs[txs.len() / 4].block.timestamp;
    let until = txs[txs.len() * 3 / 4].block.timestamp;
    let expected = txs
        .iter()
        .filter(|tx| (since..=until).contains(&tx.block.timestamp))
        .flat_map(|tx| &tx.transfers)
        .filter(|t| t.from.as_ref() == Some(&address) || t.to.as_ref() == Some(&address))
        .count();
    assert!(expected > 0, "the sender trades within the range");

    let mut scan = TransferScan::new(&reader, Some(&address), Some(since), Some(until));
    let mut read = Vec::new();
    loop {
        let batch = scan.next_batch(&reader, 3);
        if batch.is_empty() {
            break;
        }
        read.extend(batch);
    }
    assert_eq!(read.len(), expected);
    assert!(read.iter().all(|r| {
        (since..=until).contains(&r.block.timestamp)
            && (r.from.as_deref() == Some(text.as_str()) || r.to.as_deref() == Some(text.as_str()))
    }));
}
