//! The store benchmark's building blocks on small chains: the scan folds every record, the
//! figures count what was appended, and a chain that already exists is refused.

use std::cell::Cell;

use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, AssetKind, BitcoinAddress, BitcoinNetwork,
    BlockRef, Chain, TransferKind, TxHash, UtxoInput, UtxoOutput, UtxoTx,
};
use chaintrail_store::Store;
use chaintrail_store::bench::{bench_account_chain, bench_utxo_chain, scan_account};

const ETH: Chain = Chain::Evm(31337);

fn hash(n: u32) -> TxHash {
    let mut raw = [0u8; 32];
    raw[..4].copy_from_slice(&n.to_be_bytes());
    TxHash(raw)
}

fn native(from: u8, to: u8, amount: u64, kind: TransferKind, success: bool) -> AccountTransfer {
    AccountTransfer {
        from: Some(Address::Evm([from; 20])),
        to: Some(Address::Evm([to; 20])),
        asset: AssetKind::Native,
        amount: Amount::from_u64(amount),
        kind,
        success,
    }
}

fn account_txs() -> Vec<AccountTx> {
    let block = BlockRef {
        height: 1,
        timestamp: 1_000,
    };
    vec![
        AccountTx {
            hash: hash(1),
            block,
            transfers: vec![
                native(1, 2, 1_000, TransferKind::Native, true),
                native(1, 9, 21, TransferKind::Fee, true),
            ],
        },
        AccountTx {
            hash: hash(2),
            block,
            transfers: vec![native(2, 3, 7, TransferKind::Native, false)],
        },
    ]
}

#[test]
fn the_account_scan_folds_every_transfer_and_the_figures_count_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let reported = Cell::new(0);
    let bench = bench_account_chain(&store, ETH, account_txs(), 3, &|done| reported.set(done))
        .expect("bench");
    assert_eq!(bench.chain, ETH);
    assert_eq!(bench.records, 3);
    assert_eq!(
        reported.get(),
        2,
        "reported after the first transaction (2 transfers), next only after 65,536 more"
    );
    assert!(bench.append_seconds > 0.0 && bench.scan_median_seconds > 0.0);
    // The checksum, row by row through the reader: successful native value (1,000; the failed
    // 7 and the fee do not count) plus every transfer's `from ^ to` ids.
    let reader = store.reader(ETH).expect("reader");
    let ids: u128 = (0..reader.transfer_count())
        .filter_map(|row| reader.transfer(row))
        .map(|t| u128::from(t.from ^ t.to))
        .sum();
    assert_eq!(scan_account(&reader).expect("scan"), 1_000 + ids);
    assert_eq!(bench.scan_checksum, (1_000 + ids).to_string());

    let err = bench_account_chain(&store, ETH, account_txs(), 1, &|_| {}).expect_err("twice");
    assert!(err.to_string().contains("already holds anvil"), "{err}");
}

#[test]
fn the_utxo_bench_counts_inputs_and_outputs() {
    let regtest = Chain::Bitcoin(BitcoinNetwork::Regtest);
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let output = |value: u64, n: u8| UtxoOutput {
        value,
        address: Address::Bitcoin {
            network: BitcoinNetwork::Regtest,
            kind: BitcoinAddress::P2wpkh([n; 20]),
        },
        data: None,
    };
    let txs = vec![UtxoTx {
        fingerprint: None,
        hash: hash(1),
        block: BlockRef {
            height: 1,
            timestamp: 1_000,
        },
        inputs: vec![UtxoInput {
            prevout: None,
            value: None,
            address: None,
        }],
        outputs: vec![output(50, 1), output(7, 2)],
    }];
    let bench = bench_utxo_chain(&store, regtest, txs, 1, &|_| {}).expect("bench");
    assert_eq!(bench.records, 3, "one coinbase input and two outputs");
    assert!(bench.bytes_per_record > 0.0);
}
