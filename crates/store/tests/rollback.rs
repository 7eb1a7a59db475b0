//! Rolling a chain back to a checkpoint leaves exactly the store a clean import of the kept
//! blocks makes, and the new branch appended after it leaves exactly the store a clean import of
//! the winning branch makes: records, transactions, addresses, assets, OP_RETURN payloads,
//! duplicate counts, checksums, cursors and the outpoint map.

use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, AssetKind, BitcoinAddress, BitcoinNetwork,
    BlockRef, Chain, OutPoint, TransferKind, TxHash, UtxoInput, UtxoOutput, UtxoTx,
};
use chaintrail_store::{ChainReader, ChainWriter, Store, StoreError};
use serde_json::json;

const REGTEST: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);
const ETH: Chain = Chain::Evm(1);

fn hash(branch: u8, height: u64, n: u8) -> TxHash {
    let mut raw = [0u8; 32];
    raw[0] = branch;
    raw[1..9].copy_from_slice(&height.to_le_bytes());
    raw[9] = n;
    raw[31] = 0xaa;
    TxHash(raw)
}

fn wallet(n: u8) -> Address {
    Address::Bitcoin {
        network: BitcoinNetwork::Regtest,
        kind: BitcoinAddress::P2wpkh([n; 20]),
    }
}

fn output(value: u64, address: Address) -> UtxoOutput {
    UtxoOutput {
        value,
        address,
        data: None,
    }
}

fn spend(tx: TxHash, vout: u32) -> UtxoInput {
    UtxoInput {
        prevout: Some(OutPoint { tx, vout }),
        value: None,
        address: None,
    }
}

/// A block of `branch` at `height`: a coinbase to a wallet first seen here, and a payment that
/// spends the previous block's coinbase; branch 2 spends the same output as branch 1 (a double
/// spend across the fork), carries an OP_RETURN payload and repeats an old transaction.
fn bitcoin_block(branch: u8, height: u64) -> Vec<UtxoTx> {
    let block = BlockRef {
        height,
        timestamp: 1_700_000_000 + height * 600,
    };
    let parent_branch = |h: u64| if h <= 3 { 1 } else { branch };
    let coinbase = UtxoTx {
        fingerprint: None,
        hash: hash(branch, height, 0),
        block,
        inputs: vec![UtxoInput {
            prevout: None,
            value: None,
            address: None,
        }],
        outputs: vec![output(50_000, wallet(branch * 40 + height as u8))],
    };
    let mut txs = vec![coinbase];
    if height > 0 {
        let mut outputs = vec![output(30_000, wallet(branch * 80 + height as u8))];
        if branch == 2 {
            outputs.push(UtxoOutput {
                value: 0,
                address: Address::Bitcoin {
                    network: BitcoinNetwork::Regtest,
                    kind: BitcoinAddress::NullData,
                },
                data: Some(vec![branch, height as u8, 0x6a]),
            });
        }
        txs.push(UtxoTx {
            fingerprint: None,
            hash: hash(branch, height, 1),
            block,
            inputs: vec![spend(hash(parent_branch(height - 1), height - 1, 0), 0)],
            outputs,
        });
    }
    if branch == 2 && height == 5 {
        // Already stored (block 1's payment is unspent): skipped as a duplicate.
        let mut again = bitcoin_block(1, 1).remove(1);
        again.block = block;
        txs.push(again);
    }
    txs
}

fn eth_block(branch: u8, height: u64) -> Vec<AccountTx> {
    let evm = |n: u8| Address::Evm([n; 20]);
    let block = BlockRef {
        height,
        timestamp: 1_700_000_000 + height * 12,
    };
    let mut transfers = vec![AccountTransfer {
        from: Some(evm(1)),
        to: Some(evm(branch * 40 + height as u8)),
        asset: AssetKind::Native,
        amount: Amount::from_u64(1_000 + height),
        kind: TransferKind::Native,
        success: true,
    }];
    // Tokens first seen above the fork: a new asset id on each branch.
    if height >= 4 {
        transfers.push(AccountTransfer {
            from: Some(evm(2)),
            to: Some(evm(3)),
            asset: AssetKind::Token(evm(branch * 100 + height as u8)),
            amount: Amount::from_u128(u128::from(u64::MAX) * 3),
            kind: TransferKind::Token,
            success: true,
        });
    }
    vec![AccountTx {
        hash: hash(branch, height, 0),
        block,
        transfers,
    }]
}

/// Append `blocks` and commit after each, with a cursor naming the block.
fn append<T>(
    writer: &mut ChainWriter,
    blocks: impl IntoIterator<Item = (u64, Vec<T>)>,
    add: impl Fn(&mut ChainWriter, &T) -> Result<bool, StoreError>,
) {
    for (height, txs) in blocks {
        for tx in &txs {
            add(writer, tx).expect("append");
        }
        writer
            .commit("test", json!({ "height": height }))
            .expect("commit");
    }
}

fn utxo(writer: &mut ChainWriter, tx: &UtxoTx) -> Result<bool, StoreError> {
    writer.append_utxo_tx(tx)
}

fn account(writer: &mut ChainWriter, tx: &AccountTx) -> Result<bool, StoreError> {
    writer.append_account_tx(tx)
}

/// Everything a reader can tell apart, file by file and count by count.
fn summary(reader: &ChainReader) -> String {
    let stats = reader.stats();
    format!(
        "checksum {:08x} blocks {} txs {} records {} addresses {} assets {} files {:?}",
        reader.content_checksum(),
        stats.blocks,
        stats.txs,
        stats.records,
        stats.addresses,
        stats.assets,
        stats.files
    )
}

fn clean<T>(
    chain: Chain,
    blocks: impl IntoIterator<Item = (u64, Vec<T>)>,
    add: impl Fn(&mut ChainWriter, &T) -> Result<bool, StoreError>,
) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let mut writer = store.writer(chain).expect("writer");
    append(&mut writer, blocks, add);
    writer.update_indexes().expect("indexes");
    let text = summary(&store.reader(chain).expect("reader"));
    (dir, text)
}

/// The checkpoint whose cursor names block `height`.
fn checkpoint_at(writer: &ChainWriter, height: u64) -> usize {
    writer
        .checkpoints()
        .position(|c| c.cursor("test") == Some(&json!({ "height": height })))
        .expect("checkpoint of the block")
}

#[test]
fn a_bitcoin_rollback_equals_a_clean_import_of_the_kept_then_the_winning_branch() {
    let branch = |b: u8, heights: std::ops::RangeInclusive<u64>| {
        heights.map(move |h| (h, bitcoin_block(if h <= 3 { 1 } else { b }, h)))
    };
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let mut writer = store.writer(REGTEST).expect("writer");
    append(&mut writer, branch(1, 0..=7), utxo);
    writer.update_indexes().expect("indexes");
    let before = summary(&store.reader(REGTEST).expect("reader"));
    assert_eq!(before, clean(REGTEST, branch(1, 0..=7), utxo).1);

    let at = checkpoint_at(&writer, 3);
    assert_eq!(writer.checkpoints().nth(at).and_then(|c| c.tip()), Some(3));
    let mut writer = writer
        .roll_back(at, &[("follow", json!("rolled back to 3"))])
        .expect("roll back");
    let (_kept, kept) = clean(REGTEST, branch(1, 0..=3), utxo);
    let reader = store.reader(REGTEST).expect("reader");
    assert_eq!(summary(&reader), kept);
    assert_eq!(writer.cursor("test"), Some(&json!({ "height": 3 })));
    assert_eq!(writer.cursor("follow"), Some(&json!("rolled back to 3")));
    assert_eq!(writer.checkpoints().len(), at + 1);
    // Block 4's payment spent block 3's coinbase; that output is unspent again.
    let coinbase3 = reader.tx_id(&hash(1, 3, 0)).expect("kept");
    let output = reader.tx_outputs(coinbase3).start;
    assert_eq!(reader.output(output).and_then(|o| o.spent_by), None);
    assert_eq!(reader.tx_id(&hash(1, 4, 1)), None);
    drop(reader);

    append(&mut writer, branch(2, 4..=8), utxo);
    writer.update_indexes().expect("indexes");
    let (_won, won) = clean(REGTEST, branch(2, 0..=8), utxo);
    let reader = store.reader(REGTEST).expect("reader");
    assert_eq!(summary(&reader), won);
    let payment = reader.tx_id(&hash(2, 4, 1)).expect("new branch");
    let input = reader.tx_inputs(payment).start;
    assert_eq!(
        reader.input(input).and_then(|i| i.spent_output),
        Some(output),
        "the new branch's spend of block 3's coinbase is linked"
    );
    assert_eq!(writer.progress().duplicate_txs_skipped, 1);
    let verified = store.verify(REGTEST, &mut |_, _| {}).expect("verify");
    assert!(verified.problems.is_empty(), "{:?}", verified.problems);
}

#[test]
fn an_account_rollback_drops_the_assets_and_addresses_first_seen_above_it() {
    let branch = |b: u8, heights: std::ops::RangeInclusive<u64>| {
        heights.map(move |h| (h, eth_block(if h <= 4 { 1 } else { b }, h)))
    };
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let mut writer = store.writer(ETH).expect("writer");
    append(&mut writer, branch(1, 1..=9), account);
    let at = checkpoint_at(&writer, 4);
    let mut writer = writer.roll_back(at, &[]).expect("roll back");
    let (_kept, kept) = clean(ETH, branch(1, 1..=4), account);
    assert_eq!(summary(&store.reader(ETH).expect("reader")), kept);
    append(&mut writer, branch(2, 5..=6), account);
    writer.update_indexes().expect("indexes");
    let (_won, won) = clean(ETH, branch(2, 1..=6), account);
    let reader = store.reader(ETH).expect("reader");
    assert_eq!(summary(&reader), won);
    assert_eq!(
        reader.assets().len(),
        1 + 3,
        "native, block 4's token, two of branch 2"
    );
}

#[test]
fn a_checkpoint_that_does_not_exist_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let mut writer = store.writer(ETH).expect("writer");
    append(&mut writer, (1..=3).map(|h| (h, eth_block(1, h))), account);
    writer.update_indexes().expect("indexes");
    let before = summary(&store.reader(ETH).expect("reader"));
    let count = writer.checkpoints().len();
    let err = match writer.roll_back(count, &[]) {
        Ok(_) => panic!("rolled back to a checkpoint past the last"),
        Err(err) => err,
    };
    assert!(err.to_string().contains("no checkpoint 3"), "{err}");
    assert_eq!(summary(&store.reader(ETH).expect("reader")), before);
}
