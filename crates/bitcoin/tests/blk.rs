//! The block-file reader end to end: blk*.dat files built from the real mainnet block 702,861
//! plus blocks generated with rust-bitcoin on top of it (spending its real outputs, with a stale
//! fork block), XOR-obfuscated and stored out of order, ingested into a store whose reader must
//! give the right heights, fees and spenders. Numbers about block 702,861 were computed by an
//! independent Python parser of the raw bytes.

mod common;

use bitcoin::absolute::LockTime;
use bitcoin::script::Builder;
use bitcoin::{
    Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness, transaction,
};
use chaintrail_bitcoin::synthetic::{REGTEST_BITS, coinbase, mine};
use chaintrail_bitcoin::{BitcoinError, ingest_blocks_dir, tx_hash};
use chaintrail_bitcoin::{BlkWriter, XorKey, scan_records};
use chaintrail_core::{BitcoinNetwork, Chain};
use chaintrail_ingest::ImportOptions;
use chaintrail_store::{ChainReader, Store};
use proptest::prelude::*;

const KEY: XorKey = XorKey([0x3c, 0xa1, 0x07, 0xe2, 0x5d, 0x90, 0x6b, 0xf4]);

fn spend(inputs: &[(OutPoint, u8)], outputs: Vec<(u64, ScriptBuf)>) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: LockTime::ZERO,
        input: inputs
            .iter()
            .map(|&(previous_output, tag)| TxIn {
                previous_output,
                script_sig: Builder::new().push_slice([tag; 71]).into_script(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output: outputs
            .into_iter()
            .map(|(value, script_pubkey)| TxOut {
                value: Amount::from_sat(value),
                script_pubkey,
            })
            .collect(),
    }
}

fn pay(value: u64, script: ScriptBuf) -> Vec<TxOut> {
    vec![TxOut {
        value: Amount::from_sat(value),
        script_pubkey: script,
    }]
}

fn out(tx: &Transaction, vout: u32) -> OutPoint {
    OutPoint {
        txid: tx.compute_txid(),
        vout,
    }
}

fn script(hex_text: &str) -> ScriptBuf {
    ScriptBuf::from_bytes(hex::decode(hex_text).expect("hex"))
}

/// The real block, the generated main chain on top of it, and one stale fork block.
struct World {
    real: Block,
    main: Vec<Block>,
    stale: Block,
    /// Spends of real outputs with their expected fees.
    s1: Transaction,
    s2: Transaction,
    s3: Transaction,
    s4: Transaction,
    t_stale: Transaction,
}

const GENESIS_KEY: &str = "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f";
const MULTISIG_1_OF_2: &str = "512102f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f92103a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd52ae";

fn world() -> World {
    let real: Block =
        bitcoin::consensus::deserialize(&common::raw_block(common::MAINNET_702861)).expect("real");
    let coinbase_value = real.txdata[0].output[0].value.to_sat();
    assert_eq!(coinbase_value, 629_948_405, "independently read");
    let tx1 = &real.txdata[1];
    let tx1_value = tx1.output[0].value.to_sat();
    let p2wpkh = script("0014751e76e8199196d454941c45d1b3a323f1433bd6");
    let p2tr = script("5120a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c");
    let p2pk = script(&format!("41{GENESIS_KEY}ac"));
    let p2a = script("51024e73");

    // 702,862: spend the real coinbase and the real tx 1's first output.
    let s1 = spend(
        &[(out(&real.txdata[0], 0), 1)],
        vec![(600_000_000, p2wpkh.clone()), (29_000_000, p2tr.clone())],
    );
    let s2 = spend(
        &[(out(tx1, 0), 2)],
        vec![
            (tx1_value - 5_000, p2pk.clone()),
            (0, ScriptBuf::new_op_return([0x63, 0x74])),
        ],
    );
    let g1 = mine(
        real.block_hash(),
        1_633_003_000,
        REGTEST_BITS,
        vec![
            coinbase(702_862, 0, pay(625_000_000, p2wpkh.clone())),
            s1.clone(),
            s2.clone(),
        ],
    );
    // 702,863: spend s1:0 into bare multisig and a non-standard script; s4 spends s3 in-block.
    let s3 = spend(
        &[(out(&s1, 0), 3)],
        vec![
            (100_000_000, script(MULTISIG_1_OF_2)),
            (499_990_000, script("51")),
        ],
    );
    let s4 = spend(&[(out(&s3, 1), 4)], vec![(499_980_000, p2a.clone())]);
    let g2 = mine(
        g1.block_hash(),
        1_633_003_600,
        REGTEST_BITS,
        vec![
            coinbase(702_863, 0, pay(625_000_000, p2tr.clone())),
            s3.clone(),
            s4.clone(),
        ],
    );
    // The stale sibling of 702,863 double-spends s1:0.
    let t_stale = spend(&[(out(&s1, 0), 9)], vec![(599_000_000, p2tr.clone())]);
    let stale = mine(
        g1.block_hash(),
        1_633_003_500,
        REGTEST_BITS,
        vec![
            coinbase(702_863, 7, pay(625_000_000, p2pk.clone())),
            t_stale.clone(),
        ],
    );
    let g3 = mine(
        g2.block_hash(),
        1_633_004_200,
        REGTEST_BITS,
        vec![coinbase(702_864, 0, pay(625_000_000, p2wpkh.clone()))],
    );
    let s5 = spend(
        &[(out(&s2, 0), 5)],
        vec![(tx1_value - 15_000, p2wpkh.clone())],
    );
    let g4 = mine(
        g3.block_hash(),
        1_633_004_800,
        REGTEST_BITS,
        vec![coinbase(702_865, 0, pay(625_000_000, p2tr)), s5],
    );
    World {
        real,
        main: vec![g1, g2, g3, g4],
        stale,
        s1,
        s2,
        s3,
        s4,
        t_stale,
    }
}

fn bytes(block: &Block) -> Vec<u8> {
    bitcoin::consensus::serialize(block)
}

/// file 0: 702,864, stale, 702,861 | file 1: 702,863, 702,865, 702,862, zero padding.
fn write_files(dir: &std::path::Path, world: &World, key: XorKey) {
    let mut writer = BlkWriter::create(dir, BitcoinNetwork::Mainnet, key, 1 << 27).expect("writer");
    let [g1, g2, g3, g4] = &world.main[..] else {
        panic!("four generated blocks")
    };
    for block in [g3, &world.stale, &world.real] {
        writer.write_block(&bytes(block)).expect("write");
    }
    writer.next_file().expect("next");
    for block in [g2, g4, g1] {
        writer.write_block(&bytes(block)).expect("write");
    }
    writer.pad(4096).expect("pad");
    writer.finish().expect("finish");
}

fn options(every: u64) -> ImportOptions<'static> {
    ImportOptions {
        checkpoint_every: every,
        on_progress: &|_, _| {},
    }
}

fn id(reader: &ChainReader, tx: &Transaction) -> u64 {
    reader
        .tx_id(&tx_hash(tx.compute_txid()))
        .unwrap_or_else(|| panic!("{} not stored", tx.compute_txid()))
}

#[test]
fn out_of_order_obfuscated_files_give_the_best_chain_with_fees_and_spenders() {
    let world = world();
    let tmp = tempfile::tempdir().expect("tmp");
    let blocks = tmp.path().join("blocks");
    write_files(&blocks, &world, KEY);
    let store = Store::init(&tmp.path().join("store")).expect("store");
    let report = ingest_blocks_dir(&store, &blocks, BitcoinNetwork::Mainnet, &options(1000))
        .expect("ingest");
    assert_eq!(report.txs_read, 2500 + 3 + 3 + 1 + 2);
    assert_eq!(report.totals.blocks, 5);
    assert!(!report.resumed);

    let reader = store.reader(Chain::BITCOIN).expect("reader");
    let heights: Vec<u64> = (0..reader.block_count())
        .map(|b| reader.block(b).height)
        .collect();
    assert_eq!(heights, (702_861..=702_865).collect::<Vec<_>>());
    assert_eq!(reader.block(0).timestamp, 1_633_002_641);

    // Block 702,861 as an independent parser read it.
    let real_outputs = 6015u64;
    let mut types = std::collections::BTreeMap::new();
    for row in 0..real_outputs {
        let output = reader.output(row).expect("output");
        let kind = reader.address(output.address).expect("address").type_name();
        *types.entry(kind).or_insert(0) += 1;
    }
    let expected: std::collections::BTreeMap<&str, i32> = [
        ("p2wpkh", 2383),
        ("nulldata", 23),
        ("p2wsh", 133),
        ("p2sh", 1816),
        ("p2pkh", 1660),
    ]
    .into();
    assert_eq!(types, expected);
    assert_eq!(
        reader.output_values().expect("output values")[..real_outputs as usize]
            .iter()
            .sum::<u64>(),
        2_883_682_728_990
    );
    let coinbase_702861 = "764b60c3d9a2c3c5bb6fe7141d9ca6e6778122df75f19366a2c5cb948d1d7d84";
    assert_eq!(
        reader.tx_id(&coinbase_702861.parse().expect("txid")),
        Some(0)
    );

    // Stale block and its double spend are left out.
    assert_eq!(reader.tx_id(&tx_hash(world.t_stale.compute_txid())), None);
    assert_eq!(
        reader.tx_id(&tx_hash(world.stale.txdata[0].compute_txid())),
        None
    );

    // Fees and spenders, across real and generated blocks and within one block.
    let (s1, s2, s3, s4) = (
        id(&reader, &world.s1),
        id(&reader, &world.s2),
        id(&reader, &world.s3),
        id(&reader, &world.s4),
    );
    assert_eq!(reader.tx_fee(s1), Some(629_948_405 - 629_000_000));
    assert_eq!(reader.tx_fee(s2), Some(5_000));
    assert_eq!(reader.tx_fee(s3), Some(10_000));
    assert_eq!(reader.tx_fee(s4), Some(10_000));
    assert_eq!(reader.tx_fee(0), None, "coinbase");
    assert_eq!(
        reader.output(0).expect("real coinbase output").spent_by,
        Some(s1)
    );
    let s1_first = reader.tx_outputs(s1).start;
    assert_eq!(reader.output(s1_first).expect("s1:0").spent_by, Some(s3));
    assert_eq!(reader.output(s1_first + 1).expect("s1:1").spent_by, None);
    let s3_second = reader.tx_outputs(s3).start + 1;
    assert_eq!(reader.output(s3_second).expect("s3:1").spent_by, Some(s4));
    let input = reader.input(reader.tx_inputs(s4).start).expect("s4 input");
    assert_eq!(input.spent_output, Some(s3_second));
    assert_eq!(input.value, Some(499_990_000));
    // 327 of the real block's inputs spend transactions of the same block (counted
    // independently); the other 6,190 spend older blocks that are not in the files.
    assert_eq!(reader.stats().unlinked_inputs, 6517 - 327);

    // Every kind of output script kept and typed.
    let kinds: Vec<&str> = [s1, s2, s3, s4]
        .iter()
        .flat_map(|&tx| reader.tx_outputs(tx))
        .map(|row| {
            let output = reader.output(row).expect("output");
            reader.address(output.address).expect("address").type_name()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "p2wpkh",
            "p2tr",
            "p2pk",
            "nulldata",
            "multisig",
            "nonstandard",
            "witness_unknown"
        ]
    );
}

#[test]
fn resumes_after_the_last_complete_block() {
    let world = world();
    let tmp = tempfile::tempdir().expect("tmp");
    let blocks = tmp.path().join("blocks");
    write_files(&blocks, &world, KEY);
    let store = Store::init(&tmp.path().join("store")).expect("store");
    ingest_blocks_dir(&store, &blocks, BitcoinNetwork::Mainnet, &options(1)).expect("first");
    let again =
        ingest_blocks_dir(&store, &blocks, BitcoinNetwork::Mainnet, &options(1)).expect("again");
    assert!(again.resumed);
    assert_eq!(again.txs_read, 0);

    // The node writes a new block into a new file.
    let tip = world.main.last().expect("tip");
    let next = mine(
        tip.block_hash(),
        1_633_005_400,
        REGTEST_BITS,
        vec![coinbase(702_866, 0, pay(1, script("51")))],
    );
    let mut raw = bytes(&next);
    let offset = 8u64;
    let mut record = Vec::new();
    record.extend_from_slice(&[0xf9, 0xbe, 0xb4, 0xd9]);
    record.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    record.append(&mut raw);
    KEY.apply(&mut record, offset - 8);
    std::fs::write(blocks.join("blk00002.dat"), record).expect("write");
    let third =
        ingest_blocks_dir(&store, &blocks, BitcoinNetwork::Mainnet, &options(1)).expect("third");
    assert!(third.resumed);
    assert_eq!(third.txs_read, 1);
    assert_eq!(third.totals.blocks, 6);
}

#[test]
fn a_corrupt_block_names_file_and_offset_and_keeps_the_blocks_before_it() {
    let world = world();
    let tmp = tempfile::tempdir().expect("tmp");
    let blocks = tmp.path().join("blocks");
    write_files(&blocks, &world, KEY);
    let file0 = blocks.join("blk00000.dat");
    let good = std::fs::read(&file0).expect("read");
    // 702,864 is the first record of blk00000.dat: damage its coinbase, not its header.
    let mut bad = good.clone();
    bad[8 + 80 + 50] ^= 0x55;
    std::fs::write(&file0, &bad).expect("write");
    let store = Store::init(&tmp.path().join("store")).expect("store");
    let err = ingest_blocks_dir(&store, &blocks, BitcoinNetwork::Mainnet, &options(1))
        .expect_err("corrupt");
    let text = err.to_string();
    assert!(
        matches!(err, BitcoinError::CorruptBlock { offset: 8, .. }),
        "{text}"
    );
    assert!(
        text.contains("blk00000.dat") && text.contains("height 702864"),
        "{text}"
    );
    {
        let reader = store.reader(Chain::BITCOIN).expect("reader");
        assert_eq!(reader.block_count(), 3, "702,861..=702,863 committed");
    }
    // Repaired, the next run resumes at 702,864.
    std::fs::write(&file0, &good).expect("repair");
    let report =
        ingest_blocks_dir(&store, &blocks, BitcoinNetwork::Mainnet, &options(1)).expect("resume");
    assert!(report.resumed);
    assert_eq!(report.txs_read, 1 + 2);
    assert_eq!(report.totals.txs, 2509);
}

#[test]
fn bad_files_are_refused_with_file_and_offset() {
    let world = world();
    let tmp = tempfile::tempdir().expect("tmp");
    let blocks = tmp.path().join("blocks");
    write_files(&blocks, &world, KEY);
    let store = Store::init(&tmp.path().join("store")).expect("store");
    let ingest = |network| ingest_blocks_dir(&store, &blocks, network, &options(1));

    let err = ingest(BitcoinNetwork::Testnet)
        .expect_err("network")
        .to_string();
    assert!(
        err.contains("blk00000.dat, byte offset 0") && err.contains("magic of bitcoin"),
        "{err}"
    );

    std::fs::write(blocks.join("xor.dat"), [1u8, 2, 3, 4, 5, 6, 7, 8]).expect("key");
    let err = ingest(BitcoinNetwork::Mainnet)
        .expect_err("key")
        .to_string();
    assert!(
        err.contains("blk00000.dat, byte offset 0") && err.contains("wrong XOR key"),
        "{err}"
    );

    std::fs::remove_file(blocks.join("xor.dat")).expect("rm");
    let err = ingest(BitcoinNetwork::Mainnet)
        .expect_err("no key")
        .to_string();
    assert!(err.contains("xor.dat is missing"), "{err}");

    std::fs::write(blocks.join("xor.dat"), [1u8, 2, 3]).expect("key");
    let err = ingest(BitcoinNetwork::Mainnet)
        .expect_err("short key")
        .to_string();
    assert!(err.contains("8-byte key"), "{err}");
    std::fs::write(blocks.join("xor.dat"), KEY.0).expect("key");

    // Truncate blk00001.dat inside its second record.
    let file1 = blocks.join("blk00001.dat");
    let data = std::fs::read(&file1).expect("read");
    let second = 8 + bytes(&world.main[1]).len() as u64;
    std::fs::write(&file1, &data[..second as usize + 100]).expect("truncate");
    let err = ingest(BitcoinNetwork::Mainnet).expect_err("truncated");
    let text = err.to_string();
    assert!(
        matches!(&err, BitcoinError::Framing { offset, .. } if *offset == second),
        "{text}"
    );
    assert!(
        text.contains("blk00001.dat") && text.contains("truncated"),
        "{text}"
    );
    assert!(
        store.chains().expect("chains").is_empty(),
        "nothing written"
    );

    let empty = tempfile::tempdir().expect("tmp");
    let err = ingest_blocks_dir(&store, empty.path(), BitcoinNetwork::Mainnet, &options(1))
        .expect_err("empty dir")
        .to_string();
    assert!(err.contains("no blk*.dat files"), "{err}");
}

#[test]
fn a_plain_testnet_directory_of_core_before_28() {
    let block: Block =
        bitcoin::consensus::deserialize(&common::raw_block(common::TESTNET_924634)).expect("tb");
    let tmp = tempfile::tempdir().expect("tmp");
    let datadir = tmp.path().join("testnet3");
    let mut writer = BlkWriter::create(
        &datadir.join("blocks"),
        BitcoinNetwork::Testnet,
        XorKey::NONE,
        1 << 27,
    )
    .expect("writer");
    writer.write_block(&bytes(&block)).expect("write");
    writer.finish().expect("finish");
    assert!(!datadir.join("blocks/xor.dat").exists());
    let store = Store::init(&tmp.path().join("store")).expect("store");
    // The data directory is accepted too: its blocks/ is used.
    let report =
        ingest_blocks_dir(&store, &datadir, BitcoinNetwork::Testnet, &options(10)).expect("ingest");
    assert_eq!(report.txs_read, 15);
    let reader = store
        .reader(Chain::Bitcoin(BitcoinNetwork::Testnet))
        .expect("reader");
    assert_eq!(reader.block(0).height, 924_634);
    assert_eq!(reader.block(0).timestamp, 1_472_004_949);
    assert_eq!(reader.output_count(), 29);
    let total: u64 = reader.output_values().expect("values").iter().sum();
    assert_eq!(total, 21_397_492_046);
    let last = "ae4e1e27c1ce7f92cb3234ada3bdae7676da5d0a0f64776f515b130fc34d00db";
    assert_eq!(reader.tx_id(&last.parse().expect("txid")), Some(14));
    let first_output = reader.output(0).expect("output");
    assert_eq!(first_output.value, 312_665_524);
    let address = reader
        .address(first_output.address)
        .expect("address")
        .to_string();
    assert!(
        address.starts_with('m') || address.starts_with('n') || address.starts_with('2'),
        "{address}"
    );
}

fn framed(blocks: &[Vec<u8>], key: XorKey) -> Vec<u8> {
    let mut file = Vec::new();
    for block in blocks {
        let mut record = vec![0xf9, 0xbe, 0xb4, 0xd9];
        record.extend_from_slice(&(block.len() as u32).to_le_bytes());
        record.extend_from_slice(block);
        let at = file.len() as u64;
        key.apply(&mut record, at);
        file.extend_from_slice(&record);
    }
    file
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn framing_arbitrary_bytes_never_panics(
        data in proptest::collection::vec(any::<u8>(), 0..4096),
        key in any::<[u8; 8]>(),
    ) {
        for network in [BitcoinNetwork::Mainnet, BitcoinNetwork::Testnet, BitcoinNetwork::Regtest] {
            let mut records = Vec::new();
            let _ = scan_records(data.as_slice(), &XorKey(key), network, |r| records.push(r));
            for record in records {
                prop_assert!(record.offset + u64::from(record.len) <= data.len() as u64);
            }
        }
    }

    #[test]
    fn damaged_framing_is_an_error_or_stays_in_bounds(
        cut in 0usize..2000,
        flips in proptest::collection::vec((0usize..2000, any::<u8>()), 0..4),
        key in any::<[u8; 8]>(),
    ) {
        let genesis = bitcoin::consensus::serialize(&bitcoin::constants::genesis_block(bitcoin::Network::Bitcoin));
        let mut file = framed(&[genesis.clone(), genesis.clone(), genesis], XorKey(key));
        for (at, mask) in flips {
            let at = at % file.len();
            file[at] ^= mask;
        }
        file.truncate(cut.min(file.len()));
        let mut records = Vec::new();
        let result = scan_records(file.as_slice(), &XorKey(key), BitcoinNetwork::Mainnet, |r| records.push(r));
        for record in &records {
            prop_assert!(record.offset + u64::from(record.len) <= file.len() as u64);
        }
        if result.is_ok() && cut >= file.len() {
            prop_assert!(records.len() <= 3);
        }
    }
}

#[test]
fn the_genesis_block_frames_and_its_header_round_trips() {
    let genesis = bitcoin::constants::genesis_block(bitcoin::Network::Bitcoin);
    let raw = bitcoin::consensus::serialize(&genesis);
    let file = framed(&[raw.clone(), raw.clone()], KEY);
    let mut records = Vec::new();
    scan_records(file.as_slice(), &KEY, BitcoinNetwork::Mainnet, |r| {
        records.push(r)
    })
    .expect("scan");
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].offset, 8 + raw.len() as u64 + 8);
    assert_eq!(records[0].header.block_hash(), genesis.block_hash());
    assert_eq!(
        records[0].header.block_hash().to_string(),
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
    );
}

#[test]
fn the_benchmark_chain_links_every_input() {
    let records = 3_000;
    let source: Vec<_> = chaintrail_ingest::synthetic::utxo_txs(7, records).collect();
    let tmp = tempfile::tempdir().expect("tmp");
    let blocks = tmp.path().join("blocks");
    let mut writer =
        BlkWriter::create(&blocks, BitcoinNetwork::Regtest, KEY, 64 << 10).expect("writer");
    for block in chaintrail_bitcoin::synthetic::blocks(7, records) {
        writer.write_block(&bytes(&block)).expect("write");
    }
    writer.finish().expect("finish");
    assert!(
        blocks.join("blk00001.dat").exists(),
        "spread over several files"
    );
    let store = Store::init(&tmp.path().join("store")).expect("store");
    let report =
        ingest_blocks_dir(&store, &blocks, BitcoinNetwork::Regtest, &options(500)).expect("ingest");
    assert_eq!(report.txs_read, source.len() as u64);
    let inputs: usize = source.iter().map(|t| t.inputs.len()).sum();
    let outputs: usize = source.iter().map(|t| t.outputs.len()).sum();
    assert_eq!(report.totals.inputs, inputs as u64);
    assert_eq!(report.totals.outputs, outputs as u64);
    let reader = store
        .reader(Chain::Bitcoin(BitcoinNetwork::Regtest))
        .expect("reader");
    assert_eq!(reader.stats().unlinked_inputs, 0);
    // Same values in the same order, and every payment's fee follows from linked inputs.
    let values: Vec<u64> = source
        .iter()
        .flat_map(|t| t.outputs.iter().map(|o| o.value))
        .collect();
    assert_eq!(
        reader.output_values().expect("output values"),
        values.as_slice()
    );
    for tx in 0..reader.tx_count() {
        let is_coinbase = source[tx as usize].is_coinbase();
        assert_eq!(reader.tx_fee(tx).is_some(), !is_coinbase);
    }
}
