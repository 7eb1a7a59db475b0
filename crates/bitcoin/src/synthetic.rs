//! Real block encodings of [`chaintrail_ingest::synthetic::utxo_txs`]: the seeded load generator's
//! transactions turned into `bitcoin` transactions (legacy inputs with signature-sized scripts,
//! P2PKH / P2SH / P2WPKH outputs) and mined into a chain of regtest-difficulty blocks, for
//! benchmarks and tests of the block-file reader.

use std::collections::HashMap;

use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::script::Builder;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, OutPoint, PubkeyHash, ScriptBuf, ScriptHash, Sequence,
    Transaction, TxIn, TxMerkleNode, TxOut, Txid, WPubkeyHash, Witness, transaction,
};
use chaintrail_core::{Address, BitcoinAddress, TxHash, UtxoTx};

/// Regtest's proof-of-work limit: about every second nonce mines a block.
pub const REGTEST_BITS: u32 = 0x207f_ffff;

/// The script paying `address` (P2PKH, P2SH and P2WPKH; anything else pays OP_RETURN).
pub fn script_for(address: &Address) -> ScriptBuf {
    match address {
        Address::Bitcoin { kind, .. } => match kind {
            BitcoinAddress::P2pkh(h) => ScriptBuf::new_p2pkh(&PubkeyHash::from_byte_array(*h)),
            BitcoinAddress::P2sh(h) => ScriptBuf::new_p2sh(&ScriptHash::from_byte_array(*h)),
            BitcoinAddress::P2wpkh(h) => ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array(*h)),
            _ => ScriptBuf::new_op_return([]),
        },
        Address::Evm(_) => ScriptBuf::new_op_return([]),
    }
}

/// Mine `txdata` on top of `prev`: merkle root, and a nonce that meets `bits`.
pub fn mine(prev: BlockHash, time: u32, bits: u32, txdata: Vec<Transaction>) -> Block {
    let root =
        bitcoin::merkle_tree::calculate_root(txdata.iter().map(|t| t.compute_txid().to_raw_hash()))
            .map(TxMerkleNode::from_raw_hash)
            .unwrap_or_else(TxMerkleNode::all_zeros);
    let mut header = Header {
        version: Version::from_consensus(0x2000_0000),
        prev_blockhash: prev,
        merkle_root: root,
        time,
        bits: CompactTarget::from_consensus(bits),
        nonce: 0,
    };
    while header.validate_pow(header.target()).is_err() {
        header.nonce = header.nonce.wrapping_add(1);
    }
    Block { header, txdata }
}

/// A coinbase for `height` (BIP34) paying `outputs`; `tag` makes otherwise equal coinbases differ.
pub fn coinbase(height: u64, tag: u32, outputs: Vec<TxOut>) -> Transaction {
    let script_sig = Builder::new()
        .push_int(height as i64)
        .push_slice(tag.to_le_bytes())
        .into_script();
    Transaction {
        version: transaction::Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig,
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: outputs,
    }
}

/// The blocks of `utxo_txs(seed, records)`, in height order.
pub fn blocks(seed: u64, records: u64) -> impl Iterator<Item = Block> {
    let mut source = chaintrail_ingest::synthetic::utxo_txs(seed, records).peekable();
    let mut txids: HashMap<TxHash, Txid> = HashMap::new();
    let mut prev = BlockHash::all_zeros();
    // A signature-and-key sized unlocking script, like a real P2PKH spend.
    let script_sig = Builder::new()
        .push_slice([0x30u8; 72])
        .push_slice([0x02u8; 33])
        .into_script();
    std::iter::from_fn(move || {
        let first = source.next()?;
        let height = first.block.height;
        let time = first.block.timestamp as u32;
        let mut group: Vec<UtxoTx> = vec![first];
        while let Some(next) = source.next_if(|t| t.block.height == height) {
            group.push(next);
        }
        let txdata: Vec<Transaction> = group
            .iter()
            .enumerate()
            .map(|(i, tx)| {
                let outputs = tx
                    .outputs
                    .iter()
                    .map(|o| TxOut {
                        value: Amount::from_sat(o.value),
                        script_pubkey: script_for(&o.address),
                    })
                    .collect();
                let real = if tx.is_coinbase() {
                    coinbase(height, i as u32, outputs)
                } else {
                    Transaction {
                        version: transaction::Version::TWO,
                        lock_time: LockTime::ZERO,
                        input: tx
                            .inputs
                            .iter()
                            .filter_map(|input| input.prevout)
                            .map(|prevout| TxIn {
                                previous_output: OutPoint {
                                    txid: txids
                                        .get(&prevout.tx)
                                        .copied()
                                        .unwrap_or_else(Txid::all_zeros),
                                    vout: prevout.vout,
                                },
                                script_sig: script_sig.clone(),
                                sequence: Sequence::MAX,
                                witness: Witness::new(),
                            })
                            .collect(),
                        output: outputs,
                    }
                };
                txids.insert(tx.hash, real.compute_txid());
                real
            })
            .collect();
        let block = mine(prev, time, REGTEST_BITS, txdata);
        prev = block.block_hash();
        Some(block)
    })
}
