//! From `bitcoin` crate types to the value-flow model.

use bitcoin::hashes::Hash;
use bitcoin::opcodes::all::OP_RETURN;
use bitcoin::script::Instruction;
use bitcoin::{Block, Script, Transaction, Txid};
use chaintrail_core::{
    Address, BitcoinAddress, BitcoinNetwork, BlockRef, OutPoint, TxFingerprint, TxHash, UtxoInput,
    UtxoOutput, UtxoTx,
};

/// A txid in display byte order (the order Core prints and chaintrail stores).
pub fn tx_hash(txid: Txid) -> TxHash {
    let mut raw = txid.to_byte_array();
    raw.reverse();
    TxHash(raw)
}

/// The inverse of [`tx_hash`].
pub fn txid_of(hash: &TxHash) -> Txid {
    let mut raw = hash.0;
    raw.reverse();
    Txid::from_byte_array(raw)
}

/// The canonical address (or typed script identity) of an output script.
pub fn classify_script(script: &Script, network: BitcoinNetwork) -> Address {
    Address::Bitcoin {
        network,
        kind: BitcoinAddress::from_script(script),
    }
}

/// What an OP_RETURN (null-data) output carries: its push payloads concatenated in order, or,
/// when the script after `OP_RETURN` is not a clean sequence of data pushes (another opcode, a
/// push running past the end), the raw bytes after the `0x6a` opcode. `None` for every other
/// script. Pushes may use any form (`OP_0`, `OP_PUSHBYTES_n`, `OP_PUSHDATA1/2/4`), minimal or not.
pub fn null_data_payload(script: &Script) -> Option<Vec<u8>> {
    let after = script.as_bytes().strip_prefix(&[OP_RETURN.to_u8()])?;
    let mut payload = Vec::with_capacity(after.len());
    for instruction in Script::from_bytes(after).instructions() {
        match instruction {
            Ok(Instruction::PushBytes(push)) => payload.extend_from_slice(push.as_bytes()),
            Ok(Instruction::Op(_)) | Err(_) => return Some(after.to_vec()),
        }
    }
    Some(payload)
}

/// nVersion, nLockTime and replace-by-fee signalling of a transaction.
fn fingerprint(tx: &Transaction) -> TxFingerprint {
    TxFingerprint::new(
        tx.version.0,
        tx.lock_time.to_consensus_u32(),
        tx.input.iter().map(|input| input.sequence.0),
    )
}

/// One transaction as a value-flow record; `txid` is its already computed id.
pub fn utxo_tx(tx: &Transaction, txid: Txid, block: BlockRef, network: BitcoinNetwork) -> UtxoTx {
    let coinbase = tx.is_coinbase();
    let inputs = tx
        .input
        .iter()
        .map(|input| UtxoInput {
            prevout: (!coinbase).then(|| OutPoint {
                tx: tx_hash(input.previous_output.txid),
                vout: input.previous_output.vout,
            }),
            value: None,
            address: None,
        })
        .collect();
    let outputs = tx
        .output
        .iter()
        .map(|output| UtxoOutput {
            value: output.value.to_sat(),
            address: classify_script(&output.script_pubkey, network),
            data: null_data_payload(&output.script_pubkey),
        })
        .collect();
    UtxoTx {
        fingerprint: Some(fingerprint(tx)),
        hash: tx_hash(txid),
        block,
        inputs,
        outputs,
    }
}

/// Why a block's body was refused: how corrupt block bodies are caught.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockBodyError {
    /// The block has no transactions (not even a coinbase).
    #[error("the block has no transactions")]
    NoTransactions,
    /// The transactions do not hash to the header's merkle root.
    #[error("its transactions hash to merkle root {computed}, but the header says {header}")]
    MerkleRoot {
        /// The root of the block's transactions.
        computed: String,
        /// The root the header names.
        header: String,
    },
}

/// The transactions of a block at `height`, in block order. Fails when the block has no
/// transactions or its transactions do not hash to the header's merkle root.
pub fn block_txs(
    block: &Block,
    height: u64,
    network: BitcoinNetwork,
) -> Result<Vec<UtxoTx>, BlockBodyError> {
    let txids: Vec<Txid> = block.txdata.iter().map(Transaction::compute_txid).collect();
    let root = bitcoin::merkle_tree::calculate_root(txids.iter().map(|t| t.to_raw_hash()))
        .ok_or(BlockBodyError::NoTransactions)?;
    if root != block.header.merkle_root.to_raw_hash() {
        return Err(BlockBodyError::MerkleRoot {
            computed: root.to_string(),
            header: block.header.merkle_root.to_string(),
        });
    }
    let block_ref = BlockRef {
        height,
        timestamp: u64::from(block.header.time),
    };
    Ok(block
        .txdata
        .iter()
        .zip(txids)
        .map(|(tx, txid)| utxo_tx(tx, txid, block_ref, network))
        .collect())
}

/// The P2PK identities of a Bitcoin store, by the P2PKH address that pays the same key: what
/// screening and tracing use so that a P2PKH address also reaches its key's P2PK outputs
/// (Satoshi-era coinbases are P2PK). One scan of the address dictionary.
pub fn p2pk_aliases(
    reader: &chaintrail_store::ChainReader,
) -> std::collections::HashMap<Address, Vec<u32>> {
    let mut aliases: std::collections::HashMap<Address, Vec<u32>> =
        std::collections::HashMap::new();
    for id in 1..reader.address_count() as u32 {
        if let Some(Address::Bitcoin { network, kind }) = reader.address(id)
            && let Some(p2pkh) = kind.p2pkh_equivalent()
        {
            aliases
                .entry(Address::Bitcoin {
                    network,
                    kind: p2pkh,
                })
                .or_default()
                .push(id);
        }
    }
    aliases
}
