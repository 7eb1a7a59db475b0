//! Hand-made Bitcoin regtest transactions for the tests of the crates built on core (feature
//! `test-support`, enabled only by dev-dependencies): one builder instead of one per test file.

use crate::{
    Address, BitcoinAddress, BitcoinNetwork, BlockRef, OutPoint, TxHash, UtxoInput, UtxoOutput,
    UtxoTx,
};

/// The timestamp of block 0 in [`numbered_tx`] chains (2023-11-14); blocks are 600 s apart.
pub const T0: u64 = 1_700_000_000;

/// The regtest P2WPKH address whose key hash is 20 bytes of `n`.
pub fn regtest_address(n: u8) -> Address {
    Address::Bitcoin {
        network: BitcoinNetwork::Regtest,
        kind: BitcoinAddress::P2wpkh([n; 20]),
    }
}

/// A transaction spending `spends` (none: a coinbase) and paying `outputs` (address, sats).
pub fn utxo_tx(
    hash: TxHash,
    block: BlockRef,
    spends: &[OutPoint],
    outputs: &[(Address, u64)],
) -> UtxoTx {
    let input = |prevout: Option<OutPoint>| UtxoInput {
        prevout,
        value: None,
        address: None,
    };
    UtxoTx {
        fingerprint: None,
        hash,
        block,
        inputs: if spends.is_empty() {
            vec![input(None)]
        } else {
            spends.iter().map(|&p| input(Some(p))).collect()
        },
        outputs: outputs
            .iter()
            .map(|(address, value)| UtxoOutput {
                value: *value,
                address: address.clone(),
                data: None,
            })
            .collect(),
    }
}

/// Transaction number `n` of a small numbered chain: hash 32 bytes of `n`, alone in block `n`
/// ([`T0`] + 600 s × `n`), spending outputs (transaction number, vout) and paying
/// ([`regtest_address`] number, sats).
pub fn numbered_tx(n: u8, spends: &[(u8, u32)], outputs: &[(u8, u64)]) -> UtxoTx {
    let spends: Vec<OutPoint> = spends
        .iter()
        .map(|&(tx, vout)| OutPoint {
            tx: TxHash([tx; 32]),
            vout,
        })
        .collect();
    let outputs: Vec<(Address, u64)> = outputs
        .iter()
        .map(|&(a, value)| (regtest_address(a), value))
        .collect();
    let block = BlockRef {
        height: u64::from(n),
        timestamp: T0 + u64::from(n) * 600,
    };
    utxo_tx(TxHash([n; 32]), block, &spends, &outputs)
}

/// A global allocator that counts the bytes live on the heap, for benchmarks that report memory
/// per item (`#[global_allocator] static ALLOCATOR: CountingAllocator = CountingAllocator;`, then
/// [`live_bytes`]).
pub struct CountingAllocator;

static LIVE_BYTES: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only a counter is kept.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(
            new_size as isize - layout.size() as isize,
            std::sync::atomic::Ordering::Relaxed,
        );
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

/// Bytes live on the heap under [`CountingAllocator`].
pub fn live_bytes() -> isize {
    LIVE_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_numbered_chain_spends_what_it_names() {
        let coinbase = numbered_tx(1, &[], &[(7, 50)]);
        assert!(coinbase.is_coinbase());
        let spend = numbered_tx(2, &[(1, 0)], &[(8, 30), (7, 19)]);
        assert!(!spend.is_coinbase());
        assert_eq!(
            spend.inputs[0].prevout,
            Some(OutPoint {
                tx: coinbase.hash,
                vout: 0
            })
        );
        assert_eq!(spend.outputs[0].address, regtest_address(8));
        assert_eq!(spend.block.timestamp, T0 + 1_200);
    }
}
