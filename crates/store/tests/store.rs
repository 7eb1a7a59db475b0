//! End-to-end tests of the store: write, reopen, read back, detect damage.

use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, Asset, AssetKind, BitcoinAddress, BitcoinNetwork,
    BlockRef, Chain, OutPoint, TransferKind, TxHash, UtxoInput, UtxoOutput, UtxoTx,
};
use chaintrail_store::{Store, StoreError};

const ETH: Chain = Chain::Evm(31337);

fn evm(n: u8) -> Address {
    Address::Evm([n; 20])
}

fn hash(n: u32) -> TxHash {
    let mut raw = [0u8; 32];
    raw[..4].copy_from_slice(&n.to_be_bytes());
    TxHash(raw)
}

fn transfer(
    from: Option<u8>,
    to: Option<u8>,
    amount: Amount,
    kind: TransferKind,
) -> AccountTransfer {
    AccountTransfer {
        from: from.map(evm),
        to: to.map(evm),
        asset: AssetKind::Native,
        amount,
        kind,
        success: true,
    }
}

fn account_txs() -> Vec<AccountTx> {
    let huge = "0x1000000000000000000000000000000000"
        .parse::<Amount>()
        .unwrap();
    let token = AssetKind::Token(evm(200));
    vec![
        AccountTx {
            hash: hash(1),
            block: BlockRef {
                height: 10,
                timestamp: 1_000,
            },
            transfers: vec![transfer(
                None,
                Some(1),
                Amount::from_u64(5_000),
                TransferKind::Mint,
            )],
        },
        AccountTx {
            hash: hash(2),
            block: BlockRef {
                height: 10,
                timestamp: 1_000,
            },
            transfers: vec![
                transfer(
                    Some(1),
                    Some(2),
                    Amount::from_u64(1_000),
                    TransferKind::Native,
                ),
                transfer(Some(1), Some(9), Amount::from_u64(21), TransferKind::Fee),
                transfer(Some(1), None, Amount::from_u64(7), TransferKind::Burn),
            ],
        },
        AccountTx {
            hash: hash(3),
            block: BlockRef {
                height: 12,
                timestamp: 1_024,
            },
            transfers: vec![
                AccountTransfer {
                    asset: token.clone(),
                    ..transfer(Some(2), Some(3), huge, TransferKind::Token)
                },
                AccountTransfer {
                    success: false,
                    ..transfer(
                        Some(2),
                        Some(3),
                        Amount::from_u64(u64::MAX),
                        TransferKind::Internal,
                    )
                },
            ],
        },
    ]
}

#[test]
fn account_chain_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut writer = store.writer(ETH).unwrap();
    writer
        .register_asset(&Asset::token(ETH, evm(200), "USDX", 6))
        .unwrap();
    for tx in account_txs() {
        assert!(writer.append_account_tx(&tx).unwrap());
    }
    // A re-sent transaction is recognised by its hash and not stored twice.
    assert!(!writer.append_account_tx(&account_txs()[1]).unwrap());
    let progress = writer.finish("test", serde_json::json!(3)).unwrap();
    assert_eq!(progress.transfers, 6);
    assert_eq!(progress.duplicate_txs_skipped, 1);

    let reader = Store::open(dir.path()).unwrap().reader(ETH).unwrap();
    assert_eq!(reader.block_count(), 2);
    assert_eq!(reader.tx_count(), 3);
    assert_eq!(reader.transfer_count(), 6);
    let t = reader.transfer(3).unwrap();
    assert_eq!((t.tx, t.position), (1, 2));
    assert_eq!(t.kind, TransferKind::Burn);
    assert_eq!(t.to, 0);
    assert_eq!(reader.address(t.from), Some(evm(1)));
    let big = reader.transfer(4).unwrap();
    assert_eq!(
        big.amount.to_string(),
        "5444517870735015415413993718908291383296"
    );
    assert_eq!(
        big.block,
        BlockRef {
            height: 12,
            timestamp: 1_024
        }
    );
    assert_eq!(reader.asset(big.asset).unwrap().symbol, "USDX");
    let failed = reader.transfer(5).unwrap();
    assert!(!failed.success);
    assert_eq!(failed.amount, Amount::from_u64(u64::MAX));
    assert_eq!(reader.stats().overflow_amounts, 2);

    let a1 = reader.address_id(&evm(1)).unwrap();
    assert_eq!(reader.outgoing(a1).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(reader.incoming(a1).collect::<Vec<_>>(), vec![0]);
    let a3 = reader.address_id(&evm(3)).unwrap();
    assert_eq!(reader.incoming(a3).collect::<Vec<_>>(), vec![4, 5]);
    assert_eq!(reader.tx_transfers(1), 1..4);
    assert_eq!(reader.tx_id(&hash(3)), Some(2));
    assert_eq!(reader.address_id(&evm(77)), None);
}

#[test]
fn uncommitted_appends_are_discarded_and_resume_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let txs = account_txs();
    {
        let mut writer = store.writer(ETH).unwrap();
        writer.append_account_tx(&txs[0]).unwrap();
        writer.commit("src", serde_json::json!(1)).unwrap();
        // Appended but never committed: as if the process died here.
        writer.append_account_tx(&txs[1]).unwrap();
    }
    let mut writer = store.writer(ETH).unwrap();
    assert_eq!(writer.cursor("src"), Some(&serde_json::json!(1)));
    assert_eq!(writer.progress().transfers, 1);
    for tx in &txs[1..] {
        assert!(writer.append_account_tx(tx).unwrap());
    }
    writer.finish("src", serde_json::json!(3)).unwrap();

    let other = tempfile::tempdir().unwrap();
    let clean = Store::init(other.path()).unwrap();
    let mut writer = clean.writer(ETH).unwrap();
    for tx in &txs {
        writer.append_account_tx(tx).unwrap();
    }
    writer.finish("src", serde_json::json!(3)).unwrap();
    let a = store.reader(ETH).unwrap();
    let b = clean.reader(ETH).unwrap();
    assert_eq!(a.transfer_count(), b.transfer_count());
    assert_eq!(a.content_checksum(), b.content_checksum());
}

fn btc_addr(n: u8) -> Address {
    Address::Bitcoin {
        network: BitcoinNetwork::Regtest,
        kind: BitcoinAddress::P2wpkh([n; 20]),
    }
}

fn out(value: u64, n: u8) -> UtxoOutput {
    UtxoOutput {
        value,
        address: btc_addr(n),
        data: None,
    }
}

fn spend(tx: u32, vout: u32) -> UtxoInput {
    UtxoInput {
        prevout: Some(OutPoint { tx: hash(tx), vout }),
        value: None,
        address: None,
    }
}

#[test]
fn utxo_chain_links_spent_outputs() {
    let regtest = Chain::Bitcoin(BitcoinNetwork::Regtest);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut writer = store.writer(regtest).unwrap();
    let block = |height| BlockRef {
        height,
        timestamp: 1_600_000_000 + height,
    };
    let coinbase = UtxoTx {
        fingerprint: None,
        hash: hash(1),
        block: block(1),
        inputs: vec![UtxoInput {
            prevout: None,
            value: None,
            address: None,
        }],
        outputs: vec![out(50_0000_0000, 1)],
    };
    let pay = UtxoTx {
        fingerprint: None,
        hash: hash(2),
        block: block(2),
        inputs: vec![spend(1, 0)],
        outputs: vec![out(10_0000_0000, 2), out(39_9999_0000, 1)],
    };
    let external = UtxoTx {
        fingerprint: None,
        hash: hash(3),
        block: block(2),
        inputs: vec![
            spend(2, 0),
            UtxoInput {
                prevout: Some(OutPoint {
                    tx: hash(99),
                    vout: 7,
                }),
                value: Some(5_000),
                address: Some(btc_addr(8)),
            },
        ],
        outputs: vec![out(10_0000_4000, 3)],
    };
    for tx in [&coinbase, &pay, &external] {
        writer.append_utxo_tx(tx).unwrap();
    }
    let bad = UtxoTx {
        fingerprint: None,
        hash: hash(4),
        block: block(3),
        inputs: vec![spend(2, 5)],
        outputs: vec![out(1, 1)],
    };
    let err = writer.append_utxo_tx(&bad).unwrap_err();
    assert!(err.to_string().contains("has only 2 outputs"), "{err}");
    writer.finish("src", serde_json::json!(null)).unwrap();

    let reader = store.reader(regtest).unwrap();
    assert_eq!(reader.tx_count(), 3);
    assert_eq!((reader.input_count(), reader.output_count()), (4, 4));
    assert_eq!(reader.tx_fee(1), Some(10_000));
    assert_eq!(reader.tx_fee(2), Some(1_000));
    assert_eq!(reader.tx_fee(0), None);
    let first = reader.output(0).unwrap();
    assert_eq!(first.spent_by, Some(1));
    assert_eq!(reader.output(2).unwrap().spent_by, None);
    assert_eq!(reader.output(1).unwrap().spent_by, Some(2));
    let unlinked = reader.input(3).unwrap();
    assert_eq!(unlinked.prevout.unwrap().vout, 7);
    assert_eq!(unlinked.value, Some(5_000));
    assert_eq!(reader.address(unlinked.address.unwrap()), Some(btc_addr(8)));
    let a1 = reader.address_id(&btc_addr(1)).unwrap();
    assert_eq!(reader.incoming(a1).collect::<Vec<_>>(), vec![0, 2]);
    let stats = reader.stats();
    assert_eq!(stats.records, 8);
    assert_eq!(stats.unlinked_inputs, 1);
}

#[test]
fn damage_is_detected_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut writer = store.writer(ETH).unwrap();
    for tx in account_txs() {
        writer.append_account_tx(&tx).unwrap();
    }
    writer.finish("src", serde_json::json!(3)).unwrap();
    let column = dir.path().join("chains/anvil/transfers.amount");
    let mut bytes = std::fs::read(&column).unwrap();
    bytes[3] ^= 0x40;
    std::fs::write(&column, &bytes).unwrap();
    // Opening reads nothing; the first read of the damaged segment finds it and returns nothing.
    let reader = store.reader(ETH).unwrap();
    assert!(reader.ensure_intact().is_ok());
    assert_eq!(reader.transfer_amount(0), Amount::ZERO);
    let err = reader.ensure_intact().unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }));
    let message = err.to_string();
    assert!(
        message.contains("transfers.amount") && message.contains("checksum mismatch in bytes 0.."),
        "{message}"
    );
    let report = store.verify(ETH, &mut |_, _| {}).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].file.ends_with("transfers.amount"));

    bytes[3] ^= 0x40;
    std::fs::write(&column, &bytes[..bytes.len() - 5]).unwrap();
    let message = store.reader(ETH).err().unwrap().to_string();
    assert!(message.contains("truncated"), "{message}");
    let report = store.verify(ETH, &mut |_, _| {}).unwrap();
    assert!(
        report.problems[0].what.contains("truncated"),
        "{:?}",
        report.problems
    );

    let missing = Store::open(&dir.path().join("nowhere")).unwrap_err();
    assert!(missing.to_string().contains("chaintrail init"), "{missing}");
    let err = store.reader(Chain::BITCOIN).err().unwrap();
    assert!(err.to_string().contains("chains present: anvil"), "{err}");
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let _first = store.writer(ETH).unwrap();
    let err = store.writer(ETH).err().unwrap();
    assert!(matches!(err, StoreError::Locked(_)), "{err}");
}

fn op_return(payload: &[u8]) -> UtxoOutput {
    UtxoOutput {
        value: 0,
        address: Address::Bitcoin {
            network: BitcoinNetwork::Regtest,
            kind: BitcoinAddress::NullData,
        },
        data: Some(payload.to_vec()),
    }
}

fn coinbase(n: u32, height: u64, outputs: Vec<UtxoOutput>) -> UtxoTx {
    UtxoTx {
        fingerprint: None,
        hash: hash(n),
        block: BlockRef {
            height,
            timestamp: 1_600_000_000 + height,
        },
        inputs: vec![UtxoInput {
            prevout: None,
            value: None,
            address: None,
        }],
        outputs,
    }
}

#[test]
fn op_return_payloads_are_kept_beside_the_records() {
    let regtest = Chain::Bitcoin(BitcoinNetwork::Regtest);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut writer = store.writer(regtest).unwrap();
    let memo = b"OUT:6A2BCDEF".to_vec();
    let txs = [
        coinbase(1, 1, vec![out(50, 1), op_return(&memo)]),
        coinbase(
            2,
            2,
            vec![op_return(b""), out(7, 2), op_return(&[0xff; 300])],
        ),
    ];
    for tx in &txs {
        assert!(writer.append_utxo_tx(tx).unwrap());
    }
    let mut misplaced = coinbase(3, 3, vec![out(1, 1)]);
    misplaced.outputs[0].data = Some(vec![1]);
    let err = writer.append_utxo_tx(&misplaced).unwrap_err();
    assert!(err.to_string().contains("not an OP_RETURN output"), "{err}");
    writer.finish("src", serde_json::json!(null)).unwrap();

    let reader = store.reader(regtest).unwrap();
    assert_eq!(reader.output_count(), 5);
    let payloads: Vec<(u64, Vec<u8>)> = reader
        .null_data()
        .map(|(row, data)| (row, data.to_vec()))
        .collect();
    assert_eq!(
        payloads,
        vec![(1, memo.clone()), (2, vec![]), (4, vec![0xff; 300])]
    );
    assert_eq!(reader.output_data(1), Some(&memo[..]));
    assert_eq!(reader.output_data(2), Some(&[][..]));
    assert_eq!(reader.output_data(0), None);
    assert_eq!(reader.output_data(3), None);
    assert_eq!(reader.output_data(99), None);
    // The payloads are their own byte group: records stay at their fixed widths (8 B value +
    // 4 B address per output, 8 B per input, framing), whatever the outputs carry.
    let stats = reader.stats();
    assert_eq!(stats.bytes.null_data, 3 * 16 + memo.len() as u64 + 300);
    let record_files: u64 = stats
        .files
        .iter()
        .filter(|f| f.name.starts_with("outputs.") || f.name.starts_with("inputs."))
        .map(|f| f.bytes)
        .sum();
    assert_eq!(record_files, 5 * 12 + 2 * 8);
}

#[test]
fn a_store_written_before_payloads_were_kept_opens_without_them() {
    let regtest = Chain::Bitcoin(BitcoinNetwork::Regtest);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut writer = store.writer(regtest).unwrap();
    writer
        .append_utxo_tx(&coinbase(1, 1, vec![out(50, 1)]))
        .unwrap();
    writer.finish("src", serde_json::json!(1)).unwrap();
    // A chain without payloads does not list the payload files, which is what an older
    // chaintrail left; it did not create them either.
    let chain_dir = dir.path().join("chains/bitcoin-regtest");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(chain_dir.join("manifest.json")).unwrap()).unwrap();
    let listed: Vec<&String> = manifest["files"].as_object().unwrap().keys().collect();
    assert!(
        listed.iter().all(|name| !name.starts_with("null_data")),
        "{listed:?}"
    );
    std::fs::remove_file(chain_dir.join("null_data.rows")).unwrap();
    std::fs::remove_file(chain_dir.join("null_data.bytes")).unwrap();

    let reader = store.reader(regtest).unwrap();
    assert_eq!(reader.null_data().count(), 0);
    assert_eq!(reader.output_data(0), None);
    drop(reader);
    // Appending to it starts the payload files.
    let mut writer = store.writer(regtest).unwrap();
    writer
        .append_utxo_tx(&coinbase(2, 2, vec![op_return(b"memo")]))
        .unwrap();
    writer.finish("src", serde_json::json!(2)).unwrap();
    let reader = store.reader(regtest).unwrap();
    assert_eq!(
        reader.null_data().collect::<Vec<_>>(),
        vec![(1, &b"memo"[..])]
    );
}

#[test]
fn effective_block_times_never_decrease() {
    let regtest = Chain::Bitcoin(BitcoinNetwork::Regtest);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut writer = store.writer(regtest).unwrap();
    // Heights 1..=5; blocks 3 and 4 carry earlier times than block 2 (allowed by consensus).
    let times = [100, 300, 200, 250, 400];
    for (i, time) in times.iter().enumerate() {
        let n = i as u32 + 1;
        let mut tx = coinbase(n, u64::from(n), vec![out(1_000, 1)]);
        tx.block.timestamp = *time;
        writer.append_utxo_tx(&tx).unwrap();
    }
    writer.finish("src", serde_json::json!(null)).unwrap();
    let reader = store.reader(regtest).unwrap();
    let raw: Vec<u64> = (0..5).map(|i| reader.block(i).timestamp).collect();
    assert_eq!(raw, times);
    let effective: Vec<u64> = (0..5).map(|i| reader.block_effective_time(i)).collect();
    assert_eq!(effective, [100, 300, 300, 300, 400]);
    let by_tx: Vec<u64> = (0..5).map(|tx| reader.tx_effective_time(tx)).collect();
    assert_eq!(by_tx, [100, 300, 300, 300, 400]);
    assert_eq!(reader.block_effective_time(5), 0);

    // Increasing timestamps are their own effective times.
    let store = Store::init(&dir.path().join("eth")).unwrap();
    let mut writer = store.writer(ETH).unwrap();
    for tx in account_txs() {
        writer.append_account_tx(&tx).unwrap();
    }
    writer.finish("src", serde_json::json!(null)).unwrap();
    let reader = store.reader(ETH).unwrap();
    for row in 0..reader.transfer_count() {
        let t = reader.transfer(row).unwrap();
        assert_eq!(reader.transfer_effective_time(row), t.block.timestamp);
    }
}

#[test]
fn a_store_of_format_1_is_refused_with_how_to_rebuild_it() {
    let dir = tempfile::tempdir().unwrap();
    Store::init(dir.path()).unwrap();
    // What chaintrail wrote before per-transaction wallet fingerprints.
    std::fs::write(
        dir.path().join("chaintrail.json"),
        r#"{"format": 1, "software": "chaintrail 0.1.0"}"#,
    )
    .unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Format {
                found: 1,
                expected: 2,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.ends_with(
            "holds a store of format 1; this chaintrail reads format 2: it was written by an \
             older chaintrail (format 2 added per-transaction wallet fingerprints); rebuild it \
             by importing the sources again into a new --data-dir"
        ),
        "{text}"
    );
}
