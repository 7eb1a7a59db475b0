//! OP_RETURN payloads. The extractor on arbitrary scripts and on pushes of every form; the real
//! mainnet block 702,861 — 23 OP_RETURN outputs: the SegWit witness commitment, Stacks and Omni
//! markers, two THORChain `OUT:` memos, … — read from block files and from bitcoin-etl exports
//! of the same block (with `script_hex`, and with only Core's `script_asm`) giving the same
//! payloads at the same output rows; and payloads surviving a killed and resumed ingest.
//!
//! The expected rows, lengths and digest were computed from the raw block by an independent
//! parser (a few lines of Python reading the consensus encoding by hand).

mod common;

use std::path::Path;

use bitcoin::hashes::{Hash, sha256};
use bitcoin::script::Instruction;
use bitcoin::{Amount, Block, Script, ScriptBuf, TxOut, WPubkeyHash};
use chaintrail_bitcoin::asm_payload;
use chaintrail_bitcoin::synthetic::{REGTEST_BITS, coinbase, mine};
use chaintrail_bitcoin::{BitcoinEtl, ingest_blocks_dir, null_data_payload, tx_hash};
use chaintrail_bitcoin::{BlkWriter, XorKey};
use chaintrail_core::{Address, BitcoinAddress, BitcoinNetwork, BlockRef, Chain, UtxoOutput};
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_store::{ChainReader, Store};
use proptest::prelude::*;
use serde_json::{Value, json};

const HEIGHT: u64 = 702_861;

/// (output row, payload length) of every OP_RETURN output of block 702,861, in row order.
const EXPECTED: [(u64, usize); 23] = [
    (1, 36),
    (28, 80),
    (56, 20),
    (59, 20),
    (62, 20),
    (66, 80),
    (70, 80),
    (80, 80),
    (89, 20),
    (100, 80),
    (151, 80),
    (155, 80),
    (159, 80),
    (169, 80),
    (338, 68),
    (358, 68),
    (664, 10),
    (926, 46),
    (928, 46),
    (956, 46),
    (1963, 51),
    (3344, 51),
    (5070, 32),
];

/// SHA-256 of the 1,254 payload bytes of block 702,861 concatenated in row order.
const PAYLOAD_DIGEST: &str = "21691b3ec44ed8d93eedd11a7963c4e48c38d92cc0deffcdef1c21e03f471d7b";

fn real_block() -> Block {
    bitcoin::consensus::deserialize(&common::raw_block(common::MAINNET_702861)).expect("real")
}

fn options() -> ImportOptions<'static> {
    ImportOptions {
        checkpoint_every: 1,
        on_progress: &|_, _| {},
    }
}

fn payloads(reader: &ChainReader) -> Vec<(u64, Vec<u8>)> {
    reader
        .null_data()
        .map(|(row, data)| (row, data.to_vec()))
        .collect()
}

fn write_blk_file(dir: &Path, file_number: u32, block: &Block) {
    // BlkWriter numbers files from 0: write elsewhere and move the file into place.
    let scratch = dir.join(format!("scratch{file_number}"));
    let mut writer =
        BlkWriter::create(&scratch, BitcoinNetwork::Mainnet, XorKey::NONE, 1 << 27).expect("blk");
    writer
        .write_block(&bitcoin::consensus::serialize(block))
        .expect("write");
    writer.finish().expect("finish");
    std::fs::rename(
        scratch.join("blk00000.dat"),
        dir.join(format!("blk{file_number:05}.dat")),
    )
    .expect("move");
    std::fs::remove_dir(scratch).expect("scratch");
}

/// Core's `asm` of a script made of `OP_RETURN` and data pushes longer than 4 bytes.
fn core_asm(script: &Script) -> String {
    let mut asm = String::from("OP_RETURN");
    for instruction in Script::from_bytes(&script.as_bytes()[1..]).instructions() {
        let Ok(Instruction::PushBytes(push)) = instruction else {
            panic!("block 702,861 has only single-push OP_RETURN outputs")
        };
        asm += " ";
        asm += &hex::encode(push.as_bytes());
    }
    asm
}

/// The block as `bitcoin-etl export_blocks_and_transactions` lines. With `asm_only`, OP_RETURN
/// outputs carry `script_asm` and `type` but no `script_hex`.
fn etl_export(block: &Block, asm_only: bool) -> String {
    let mut lines = String::new();
    for (index, tx) in block.txdata.iter().enumerate() {
        let coinbase = tx.is_coinbase();
        let inputs: Vec<Value> = if coinbase {
            Vec::new()
        } else {
            tx.input
                .iter()
                .enumerate()
                .map(|(i, input)| {
                    json!({
                        "index": i,
                        "spent_transaction_hash": tx_hash(input.previous_output.txid).to_string(),
                        "spent_output_index": input.previous_output.vout,
                    })
                })
                .collect()
        };
        let outputs: Vec<Value> = tx
            .output
            .iter()
            .enumerate()
            .map(|(i, output)| {
                let script = &output.script_pubkey;
                if asm_only && script.is_op_return() {
                    json!({"index": i, "script_asm": core_asm(script), "type": "nulldata",
                           "addresses": [], "value": output.value.to_sat()})
                } else {
                    json!({"index": i, "script_hex": hex::encode(script.as_bytes()),
                           "value": output.value.to_sat()})
                }
            })
            .collect();
        let line = json!({
            "type": "transaction",
            "hash": tx_hash(tx.compute_txid()).to_string(),
            "block_number": HEIGHT,
            "block_timestamp": block.header.time,
            "index": index,
            "is_coinbase": coinbase,
            "inputs": inputs,
            "outputs": outputs,
        });
        lines += &line.to_string();
        lines.push('\n');
    }
    lines
}

fn import_etl(root: &Path, name: &str, text: &str) -> Vec<(u64, Vec<u8>)> {
    let export = root.join(name);
    std::fs::create_dir_all(&export).expect("dir");
    std::fs::write(export.join("transactions.json"), text).expect("write");
    let store = Store::init(&root.join(format!("{name}-store"))).expect("store");
    let report = BitcoinEtl::MAINNET
        .import(&store, &export, &options())
        .expect("import");
    assert_eq!(report.txs_read, 2500);
    payloads(&store.reader(Chain::BITCOIN).expect("reader"))
}

#[test]
fn block_702861_gives_the_same_payloads_from_block_files_and_bitcoin_etl() {
    let block = real_block();
    let tmp = tempfile::tempdir().expect("tmp");
    let blocks = tmp.path().join("blocks");
    std::fs::create_dir_all(&blocks).expect("dir");
    write_blk_file(&blocks, 0, &block);
    let store = Store::init(&tmp.path().join("blk-store")).expect("store");
    ingest_blocks_dir(&store, &blocks, BitcoinNetwork::Mainnet, &options()).expect("blk");
    let reader = store.reader(Chain::BITCOIN).expect("reader");
    let from_blocks = payloads(&reader);

    let shape: Vec<(u64, usize)> = from_blocks.iter().map(|(r, d)| (*r, d.len())).collect();
    assert_eq!(shape, EXPECTED);
    let all: Vec<u8> = from_blocks.iter().flat_map(|(_, d)| d.clone()).collect();
    assert_eq!(all.len(), 1_254);
    assert_eq!(sha256::Hash::hash(&all).to_string(), PAYLOAD_DIGEST);
    // THORChain outbound memos (the join key to the inbound transaction) and the witness
    // commitment header.
    assert_eq!(
        reader.output_data(338),
        Some(&b"OUT:BD292BDD60707F967D0088417495E5BDC38B9FABAB5CE1809296BC39E325DA23"[..])
    );
    assert_eq!(
        reader.output_data(358),
        Some(&b"OUT:B7CECDE56CE45114C3C3A46705AAA6313AF9179654BA7A02D80104E91FDE88FE"[..])
    );
    assert_eq!(
        reader.output_data(1).map(|d| &d[..4]),
        Some(&[0xaa, 0x21, 0xa9, 0xed][..])
    );
    assert_eq!(reader.output_data(0), None, "the coinbase's payout");
    assert_eq!(reader.output(338).expect("output").vout, 2);

    let from_hex = import_etl(tmp.path(), "etl", &etl_export(&block, false));
    assert_eq!(from_hex, from_blocks);
    let from_asm = import_etl(tmp.path(), "etl-asm", &etl_export(&block, true));
    assert_eq!(from_asm, from_blocks);
}

#[test]
fn payloads_survive_a_killed_and_resumed_ingest() {
    let real = real_block();
    let memo = [0x5a; 100];
    let next = mine(
        real.block_hash(),
        1_633_003_241,
        REGTEST_BITS,
        vec![coinbase(
            HEIGHT + 1,
            0,
            vec![
                TxOut {
                    value: Amount::from_sat(625_000_000),
                    script_pubkey: ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([7; 20])),
                },
                TxOut {
                    value: Amount::ZERO,
                    // OP_RETURN OP_PUSHDATA1 100 <memo>
                    script_pubkey: ScriptBuf::from_bytes([&[0x6a, 0x4c, 100][..], &memo].concat()),
                },
                TxOut {
                    value: Amount::ZERO,
                    script_pubkey: ScriptBuf::from_bytes(vec![0x6a, 0x51, 0x02, 0xbe, 0xef]),
                },
            ],
        )],
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let blocks = tmp.path().join("blocks");
    std::fs::create_dir_all(&blocks).expect("dir");
    write_blk_file(&blocks, 0, &real);

    let store = Store::init(&tmp.path().join("store")).expect("store");
    ingest_blocks_dir(&store, &blocks, BitcoinNetwork::Mainnet, &options()).expect("first");
    // Killed mid-write: appended rows, with a payload, reached the files but not the manifest.
    let mut writer = store.writer(Chain::BITCOIN).expect("writer");
    let stray = coinbase(HEIGHT + 1, 9, Vec::new());
    writer
        .append_utxo_tx(&chaintrail_core::UtxoTx {
            fingerprint: None,
            hash: tx_hash(stray.compute_txid()),
            block: BlockRef {
                height: HEIGHT + 1,
                timestamp: 1_633_003_241,
            },
            inputs: Vec::new(),
            outputs: vec![UtxoOutput {
                value: 0,
                address: Address::Bitcoin {
                    network: BitcoinNetwork::Mainnet,
                    kind: BitcoinAddress::NullData,
                },
                data: Some(b"never committed".to_vec()),
            }],
        })
        .expect("append");
    drop(writer);
    let on_disk = std::fs::metadata(tmp.path().join("store/chains/bitcoin/null_data.bytes"))
        .expect("payload file")
        .len();
    assert_eq!(
        on_disk,
        1_254 + 15,
        "the uncommitted payload reached the file"
    );

    write_blk_file(&blocks, 1, &next);
    let resumed =
        ingest_blocks_dir(&store, &blocks, BitcoinNetwork::Mainnet, &options()).expect("resume");
    assert!(resumed.resumed);
    assert_eq!(resumed.txs_read, 1);
    let reader = store.reader(Chain::BITCOIN).expect("reader");
    let kept = payloads(&reader);
    assert_eq!(kept.len(), 23 + 2);
    assert_eq!(kept[23], (6_015 + 1, memo.to_vec()));
    // Not a clean sequence of pushes (OP_1): the raw bytes after OP_RETURN.
    assert_eq!(kept[24], (6_015 + 2, vec![0x51, 0x02, 0xbe, 0xef]));

    let clean = Store::init(&tmp.path().join("clean")).expect("store");
    ingest_blocks_dir(&clean, &blocks, BitcoinNetwork::Mainnet, &options()).expect("clean");
    let clean = clean.reader(Chain::BITCOIN).expect("reader");
    assert_eq!(payloads(&clean), kept);
    assert_eq!(clean.content_checksum(), reader.content_checksum());
}

#[test]
fn core_asm_gives_the_payload_only_when_unambiguous() {
    assert_eq!(asm_payload("OP_RETURN"), Some(vec![]));
    assert_eq!(
        asm_payload("OP_RETURN 4f55543a41 0a0b0c0d0e"),
        Some(vec![
            0x4f, 0x55, 0x54, 0x3a, 0x41, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e
        ])
    );
    // Core prints pushes of up to 4 bytes, and OP_1..OP_16, as decimal numbers.
    assert_eq!(asm_payload("OP_RETURN 13"), None);
    assert_eq!(asm_payload("OP_RETURN 1234567890"), None);
    assert_eq!(asm_payload("OP_RETURN -5"), None);
    assert_eq!(asm_payload("OP_RETURN OP_CHECKSIG"), None);
    assert_eq!(asm_payload("OP_DUP OP_HASH160"), None);
    assert_eq!(
        asm_payload("OP_RETURN 12345678901234"),
        Some(hex::decode("12345678901234").expect("hex"))
    );
}

/// `data` pushed with the given form (0 direct, 1 PUSHDATA1, 2 PUSHDATA2, 3 PUSHDATA4), or the
/// next wider one when the data does not fit it.
fn push(data: &[u8], form: u8) -> Vec<u8> {
    let len = data.len();
    let mut out = match form {
        0 if len <= 75 => vec![len as u8],
        0 | 1 if len <= 255 => vec![0x4c, len as u8],
        0..=2 if len <= 65_535 => [&[0x4d][..], &(len as u16).to_le_bytes()].concat(),
        _ => [&[0x4e][..], &(len as u32).to_le_bytes()].concat(),
    };
    out.extend_from_slice(data);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_scripts_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let payload = null_data_payload(Script::from_bytes(&bytes));
        prop_assert_eq!(payload.is_some(), bytes.first() == Some(&0x6a));
        if let Some(payload) = payload {
            prop_assert!(payload.len() < bytes.len());
        }
    }

    #[test]
    fn pushes_of_every_form_round_trip(
        chunks in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..300), 0u8..4), 0..6),
        tail in proptest::option::of(prop_oneof![
            Just(vec![0x51u8]),            // OP_1: a number, not data
            Just(vec![0x4f]),              // OP_1NEGATE
            Just(vec![0xac]),              // OP_CHECKSIG
            Just(vec![0x4c]),              // PUSHDATA1 without its length
            Just(vec![0x4d, 0xff]),        // PUSHDATA2 with half its length
            Just(vec![0x05, 0x01, 0x02]),  // a push running past the end
        ]),
    ) {
        let mut script = vec![0x6a];
        for (data, form) in &chunks {
            script.extend(push(data, *form));
        }
        let expected = match &tail {
            None => chunks.iter().flat_map(|(d, _)| d.clone()).collect(),
            Some(tail) => {
                script.extend(tail);
                script[1..].to_vec()
            }
        };
        prop_assert_eq!(null_data_payload(Script::from_bytes(&script)), Some(expected));
    }
}

#[test]
fn an_empty_push_and_a_bare_op_return_carry_an_empty_payload() {
    assert_eq!(null_data_payload(Script::from_bytes(&[0x6a])), Some(vec![]));
    assert_eq!(
        null_data_payload(Script::from_bytes(&[0x6a, 0x00])),
        Some(vec![])
    );
    assert_eq!(null_data_payload(Script::from_bytes(&[0x00, 0x6a])), None);
}
