//! Bitcoin Core `blk*.dat` files: framing, XOR key, header index, best chain, block decoding.
//! Input: one selector byte (bits 0-1: mainnet, testnet, regtest; bit 2: the next 8 bytes are
//! `xor.dat`), then the bytes of `blk00000.dat`.
#![no_main]

use chaintrail_bitcoin::BestChain;
use chaintrail_core::BitcoinNetwork;
use chaintrail_fuzz::{fresh_dir, write_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let network = match mode & 3 {
        0 => BitcoinNetwork::Mainnet,
        1 => BitcoinNetwork::Testnet,
        _ => BitcoinNetwork::Regtest,
    };
    let dir = fresh_dir("blocks");
    let blocks = match rest.split_at_checked(8) {
        Some((key, blocks)) if mode & 4 != 0 => {
            write_file(&dir, "xor.dat", key);
            blocks
        }
        _ => rest,
    };
    write_file(&dir, "blk00000.dat", blocks);
    let Ok(chain) = BestChain::open(&dir, network) else {
        return;
    };
    let mut heights = Vec::new();
    let decoded = chain.for_each_block(|height, _| heights.push(height));
    if decoded.is_ok() {
        assert_eq!(
            heights.len(),
            chain.len(),
            "every block of the best chain decoded"
        );
        assert!(
            heights.windows(2).all(|w| w[1] == w[0] + 1),
            "heights in order"
        );
    }
});
