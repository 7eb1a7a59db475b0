//! Memory and speed of the store writer's txid table (the outpoint map of UTXO chains).
//!
//! ```text
//! cargo run --release -p chaintrail-store --example tx_lookup_memory -- [utxo records] [account txs] [max inputs]
//! ```
//! Appends a synthetic UTXO chain (random 32-byte txids; each tx spends 1 to `max inputs`
//! (default 3) random unspent outputs and makes 2, a coinbase every 150 txs: with 3 the UTXO set
//! stays small as in `chaintrail bench store`, with 2 it grows by ½ per tx), reopens it
//! (the rebuild a resumed import does), then an account chain. Heap is measured with a counting
//! allocator; the old design (`HashMap<[u8; 32], u32>` over every tx plus a `Vec<u64>` of first
//! output rows) is rebuilt over the same txids for comparison.

use std::collections::HashMap;
use std::time::Instant;

use chaintrail_core::testing::{CountingAllocator, live_bytes};
use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, AssetKind, BitcoinAddress, BitcoinNetwork,
    BlockRef, Chain, OutPoint, TransferKind, TxHash, UtxoInput, UtxoOutput, UtxoTx,
};
use chaintrail_store::Store;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn hash(&mut self) -> TxHash {
        let mut raw = [0u8; 32];
        for chunk in raw.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        TxHash(raw)
    }
}

fn address(n: u64) -> Address {
    let mut raw = [0u8; 20];
    raw[..8].copy_from_slice(&n.to_le_bytes());
    Address::Bitcoin {
        network: BitcoinNetwork::Regtest,
        kind: BitcoinAddress::P2wpkh(raw),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let records: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000_000);
    let account_txs: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let max_inputs: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3);
    let dir = tempfile::tempdir()?;
    let store = Store::init(dir.path())?;
    let chain = Chain::Bitcoin(BitcoinNetwork::Regtest);

    // --- UTXO chain -------------------------------------------------------------------------
    let mut rng = Rng(42);
    let population = (records / 5).max(16);
    let mut unspent: Vec<(TxHash, u32)> = Vec::new();
    let mut writer = store.writer(chain)?;
    let (mut emitted, mut txs) = (0u64, 0u64);
    let mut all_hashes: Vec<[u8; 32]> = Vec::new();
    let mut append_seconds = 0.0;
    while emitted < records {
        let block = BlockRef {
            height: txs / 150,
            timestamp: 1_700_000_000 + txs / 150 * 600,
        };
        let hash = rng.hash();
        let tx = if txs % 150 == 0 || unspent.len() < 3 {
            UtxoTx {
                fingerprint: None,
                hash,
                block,
                inputs: vec![UtxoInput {
                    prevout: None,
                    value: None,
                    address: None,
                }],
                outputs: vec![UtxoOutput {
                    value: 50_0000_0000,
                    address: address(rng.below(population)),
                    data: None,
                }],
            }
        } else {
            let spend = (1 + rng.below(max_inputs.max(1)) as usize).min(unspent.len());
            let inputs = (0..spend)
                .map(|_| {
                    let at = rng.below(unspent.len() as u64) as usize;
                    let (tx, vout) = unspent.swap_remove(at);
                    UtxoInput {
                        prevout: Some(OutPoint { tx, vout }),
                        value: None,
                        address: None,
                    }
                })
                .collect();
            UtxoTx {
                fingerprint: None,
                hash,
                block,
                inputs,
                outputs: (0..2)
                    .map(|_| UtxoOutput {
                        value: 1_000,
                        address: address(rng.below(population)),
                        data: None,
                    })
                    .collect(),
            }
        };
        for vout in 0..tx.outputs.len() {
            unspent.push((tx.hash, vout as u32));
        }
        emitted += (tx.inputs.len() + tx.outputs.len()) as u64;
        txs += 1;
        all_hashes.push(tx.hash.0);
        let started = Instant::now();
        writer.append_utxo_tx(&tx)?;
        append_seconds += started.elapsed().as_secs_f64();
    }
    let memory = writer.tx_lookup_memory();
    let started = Instant::now();
    writer.commit("bench", serde_json::json!(txs))?;
    let commit_seconds = started.elapsed().as_secs_f64();
    drop(writer);
    let utxos = unspent.len();
    println!(
        "utxo chain: {txs} txs, {emitted} records, {utxos} unspent outputs in {} live txs",
        memory.entries
    );
    println!(
        "  append: {append_seconds:.2} s = {:.0} records/s, {:.0} txs/s (commit {commit_seconds:.2} s)",
        emitted as f64 / append_seconds,
        txs as f64 / append_seconds
    );
    println!(
        "  txid table: {} B in {} slots (load {:.2}) = {:.1} B per live tx, {:.1} B per UTXO, \
         {:.2} B per tx ever; other lookup state {} B",
        memory.table_bytes,
        memory.slots,
        memory.entries as f64 / memory.slots as f64,
        memory.table_bytes as f64 / memory.entries.max(1) as f64,
        memory.table_bytes as f64 / utxos.max(1) as f64,
        memory.table_bytes as f64 / txs as f64,
        memory.other_bytes,
    );

    let started = Instant::now();
    let before = live_bytes();
    let writer = store.writer(chain)?;
    let reopened = writer.tx_lookup_memory();
    println!(
        "  reopen (rebuild from the columns): {:.2} s, {} live txs ({}), writer heap {} B",
        started.elapsed().as_secs_f64(),
        reopened.entries,
        if reopened.entries == memory.entries {
            "same as appended"
        } else {
            "DIFFERENT"
        },
        live_bytes() - before
    );
    drop(writer);

    let before = live_bytes();
    let mut old_map: HashMap<[u8; 32], u32> = HashMap::new();
    let mut old_first: Vec<u64> = Vec::new();
    for (id, hash) in all_hashes.iter().enumerate() {
        old_map.insert(*hash, id as u32);
        old_first.push(id as u64 * 2);
    }
    let old = live_bytes() - before;
    println!(
        "  old design over the same txs: {old} B = {:.1} B per tx, {:.1} B per UTXO",
        old as f64 / txs as f64,
        old as f64 / utxos.max(1) as f64
    );
    drop((old_map, old_first, all_hashes, unspent));

    // --- Account chain ----------------------------------------------------------------------
    let eth = Chain::Evm(31337);
    let mut writer = store.writer(eth)?;
    let mut hashes = Vec::with_capacity(account_txs as usize);
    let started = Instant::now();
    for n in 0..account_txs {
        let hash = rng.hash();
        hashes.push(hash.0);
        let mut from = [0u8; 20];
        from[..8].copy_from_slice(&(n % 100_000).to_le_bytes());
        writer.append_account_tx(&AccountTx {
            hash,
            block: BlockRef {
                height: n / 150,
                timestamp: 1_700_000_000 + n / 150 * 12,
            },
            transfers: vec![AccountTransfer {
                from: Some(Address::Evm(from)),
                to: None,
                asset: AssetKind::Native,
                amount: Amount::from_u64(n),
                kind: TransferKind::Burn,
                success: true,
            }],
        })?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let memory = writer.tx_lookup_memory();
    println!(
        "account chain: {account_txs} txs appended at {:.0} txs/s; txid table {} B = {:.1} B per tx",
        account_txs as f64 / seconds,
        memory.table_bytes,
        memory.table_bytes as f64 / account_txs as f64
    );
    drop(writer);
    let before = live_bytes();
    let old: HashMap<[u8; 32], u32> = hashes
        .iter()
        .enumerate()
        .map(|(id, h)| (*h, id as u32))
        .collect();
    let old_bytes = live_bytes() - before;
    println!(
        "  old design (HashMap<[u8; 32], u32>, grown by inserts): {old_bytes} B = {:.1} B per tx",
        old_bytes as f64 / account_txs as f64
    );
    drop(old);
    Ok(())
}
