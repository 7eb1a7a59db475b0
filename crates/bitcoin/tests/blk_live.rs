//! The block-file reader on a directory that grows while it is read (`BestChain::open_live` and
//! `refresh`), on hand-written regtest files: records appended between looks, a record whose
//! length runs past the end of the file, a record cut inside its 8-byte prefix, records inside
//! Core's zero-filled preallocation whose body or header is only half written, a new file
//! appearing, a longer fork that takes over, and the XOR key throughout. Heights and hashes are
//! exact.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use bitcoin::{Amount, Block, BlockHash, ScriptBuf, TxOut};
use chaintrail_bitcoin::synthetic::{REGTEST_BITS, coinbase, mine};
use chaintrail_bitcoin::{BestChain, BitcoinError, XorKey};
use chaintrail_core::BitcoinNetwork;
use proptest::prelude::*;

const KEY: XorKey = XorKey([0x5a, 0x01, 0xc3, 0x77, 0x0e, 0xb8, 0x42, 0x9d]);
const REGTEST_MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];
const REGTEST: BitcoinNetwork = BitcoinNetwork::Regtest;

fn genesis() -> Block {
    bitcoin::constants::genesis_block(bitcoin::Network::Regtest)
}

/// `count` blocks on top of `parent` (at `height`), distinguished by `tag`.
fn branch(parent: &Block, height: u64, count: u64, tag: u32) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for i in 0..count {
        let prev = blocks.last().unwrap_or(parent).block_hash();
        let payout = TxOut {
            value: Amount::from_sat(50 * 100_000_000),
            script_pubkey: ScriptBuf::new_op_return([tag as u8; 4]),
        };
        let time = 1_700_000_000 + (height + i) as u32 * 600 + tag;
        blocks.push(mine(
            prev,
            time,
            REGTEST_BITS,
            vec![coinbase(height + 1 + i, tag, vec![payout])],
        ));
    }
    blocks
}

/// The record of `block` as Core writes it at `offset` of its file: magic, length, block, XORed.
fn record(block: &Block, offset: u64) -> Vec<u8> {
    let raw = bitcoin::consensus::serialize(block);
    let mut record = REGTEST_MAGIC.to_vec();
    record.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    record.extend_from_slice(&raw);
    KEY.apply(&mut record, offset);
    record
}

/// A block file written piece by piece, as a node writes it.
struct GrowingFile {
    path: PathBuf,
    /// Where the next record goes.
    end: u64,
}

impl GrowingFile {
    /// A new file; `preallocate` bytes of zeros first, as Core's `fallocate` leaves them.
    fn create(dir: &Path, number: u32, preallocate: u64) -> GrowingFile {
        let path = dir.join(format!("blk{number:05}.dat"));
        let file = std::fs::File::create(&path).expect("create");
        file.set_len(preallocate).expect("preallocate");
        GrowingFile { path, end: 0 }
    }

    fn write_at(&self, bytes: &[u8], offset: u64) {
        let file = OpenOptions::new()
            .write(true)
            .open(&self.path)
            .expect("open");
        file.write_all_at(bytes, offset).expect("write");
    }

    /// Write the first `cut` bytes of `block`'s record; returns the rest, to write later.
    fn write_part(&mut self, block: &Block, cut: usize) -> (Vec<u8>, u64) {
        let bytes = record(block, self.end);
        let cut = cut.min(bytes.len());
        self.write_at(&bytes[..cut], self.end);
        let rest = (bytes[cut..].to_vec(), self.end + cut as u64);
        self.end += bytes.len() as u64;
        rest
    }

    fn write(&mut self, block: &Block) {
        self.write_part(block, usize::MAX);
    }

    fn finish(&self, (rest, at): (Vec<u8>, u64)) {
        self.write_at(&rest, at);
    }
}

fn blocks_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("blocks");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("xor.dat"), KEY.0).expect("xor.dat");
    (tmp, dir)
}

fn hashes(chain: &BestChain) -> Vec<BlockHash> {
    (0..=chain.tip_height())
        .map(|h| chain.hash_at(h).expect("numbered"))
        .collect()
}

fn hash_list(blocks: &[&Block]) -> Vec<BlockHash> {
    blocks.iter().map(|b| b.block_hash()).collect()
}

#[test]
fn a_growing_directory_is_read_record_by_record_across_files() {
    let (_tmp, dir) = blocks_dir();
    let genesis = genesis();
    let main = branch(&genesis, 0, 6, 1);

    // blk00000.dat is preallocated: 64 KiB of zeros, filled from the front.
    let mut file0 = GrowingFile::create(&dir, 0, 64 << 10);
    file0.write(&genesis);
    file0.write(&main[0]);
    let mut chain = BestChain::open_live(&dir, REGTEST).expect("open");
    assert_eq!(chain.root_height, 0);
    assert_eq!(chain.tip_height(), 1);
    assert_eq!(hashes(&chain), hash_list(&[&genesis, &main[0]]));
    assert_eq!(chain.refresh().expect("nothing new"), 0);

    // Block 2 is only half written inside the preallocated zeros: its header frames but its
    // body does not decode yet, so it is left for the next look.
    let rest = file0.write_part(&main[1], 8 + 80 + 10);
    assert_eq!(chain.refresh().expect("refresh"), 0);
    assert_eq!(chain.tip_height(), 1);
    // Its header half written (the nonce still zeros) is no different.
    file0.finish(rest);
    let at = file0.end - record(&main[1], 0).len() as u64;
    file0.write_at(&[0; 8], at + 8 + 72);
    assert_eq!(chain.refresh().expect("refresh"), 0);
    file0.write_at(&record(&main[1], at)[8 + 72..8 + 80], at + 8 + 72);
    assert_eq!(chain.refresh().expect("refresh"), 1);
    assert_eq!(chain.tip_height(), 2);
    let (header, txs) = chain.block_at(2).expect("written");
    assert_eq!(header.block_hash(), main[1].block_hash());
    assert_eq!(txs.len(), 1);

    // Only what was appended is read: damage to the records already indexed goes unseen.
    file0.write_at(&[0xee; 4], 0);

    // A new file appears, not preallocated: block 3 whole, block 4's length runs past its end.
    let mut file1 = GrowingFile::create(&dir, 1, 0);
    file1.write(&main[2]);
    let rest = file1.write_part(&main[3], 8 + 120);
    assert_eq!(chain.refresh().expect("refresh"), 1);
    assert_eq!(chain.tip_height(), 3);
    file1.finish(rest);
    assert_eq!(chain.refresh().expect("refresh"), 1);
    assert_eq!(chain.tip_height(), 4);

    // Block 5's record is cut inside its 8-byte prefix.
    let rest = file1.write_part(&main[4], 5);
    assert_eq!(chain.refresh().expect("refresh"), 0);
    assert_eq!(chain.tip_height(), 4);
    file1.finish(rest);
    file1.write(&main[5]);
    assert_eq!(chain.refresh().expect("refresh"), 2);
    assert_eq!(chain.tip_height(), 6);
    let mut expected = vec![&genesis];
    expected.extend(main.iter());
    assert_eq!(hashes(&chain), hash_list(&expected));
    for (height, block) in expected.iter().enumerate() {
        let (header, _) = chain.block_at(height as u64).expect("block");
        assert_eq!(header.block_hash(), block.block_hash(), "height {height}");
    }

    // A fork from block 3 with one block more than the main chain above it takes over; the
    // blocks it replaced stay in the files, stale.
    let fork = branch(&main[2], 3, 4, 2);
    for block in &fork[..3] {
        file1.write(block);
    }
    assert_eq!(chain.refresh().expect("refresh"), 3);
    assert_eq!(
        chain.hash_at(4),
        Some(main[3].block_hash()),
        "equal work: first seen"
    );
    assert_eq!(chain.tip_height(), 6);
    file1.write(&fork[3]);
    assert_eq!(chain.refresh().expect("refresh"), 1);
    assert_eq!(chain.tip_height(), 7);
    assert_eq!(chain.stale(), 3);
    let mut expected: Vec<&Block> = vec![&genesis, &main[0], &main[1], &main[2]];
    expected.extend(fork.iter());
    assert_eq!(hashes(&chain), hash_list(&expected));
    let (header, txs) = chain.block_at(7).expect("fork tip");
    assert_eq!(header.block_hash(), fork[3].block_hash());
    assert_eq!(txs[0].block.height, 7);
    assert!(chain.block_at(8).is_err());
}

#[test]
fn a_strict_open_refuses_what_a_live_open_waits_for() {
    let (_tmp, dir) = blocks_dir();
    let genesis = genesis();
    let main = branch(&genesis, 0, 1, 1);
    let mut file0 = GrowingFile::create(&dir, 0, 0);
    file0.write(&genesis);
    let _rest = file0.write_part(&main[0], 100);
    let err = BestChain::open(&dir, REGTEST).err().expect("truncated");
    assert!(
        matches!(&err, BitcoinError::Framing { offset, .. } if *offset == record(&genesis, 0).len() as u64),
        "{err}"
    );
    assert_eq!(
        BestChain::open_live(&dir, REGTEST)
            .expect("live")
            .tip_height(),
        0
    );

    // A truncated record in a file that is not the last one is not being written: refused.
    let mut file1 = GrowingFile::create(&dir, 1, 0);
    file1.write(&main[0]);
    let err = BestChain::open_live(&dir, REGTEST)
        .err()
        .expect("truncated");
    assert!(err.to_string().contains("blk00000.dat"), "{err}");

    // An indexed file that disappears (pruning) is named.
    std::fs::write(dir.join("blk00000.dat"), record(&genesis, 0)).expect("rewrite");
    let mut chain = BestChain::open_live(&dir, REGTEST).expect("open");
    assert_eq!(chain.tip_height(), 1);
    std::fs::remove_file(dir.join("blk00000.dat")).expect("rm");
    let err = chain.refresh().expect_err("gone").to_string();
    assert!(
        err.contains("blk00000.dat") && err.contains("gone"),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// However the bytes of a chain's records arrive (any cut points, spread over files), after
    /// each look the chain is exactly the blocks whose records are complete.
    #[test]
    fn any_arrival_order_of_bytes_gives_the_complete_prefix(
        cuts in proptest::collection::vec(1usize..600, 1..40),
        per_file in 2usize..6,
        preallocate in any::<bool>(),
    ) {
        let (_tmp, dir) = blocks_dir();
        let genesis = genesis();
        let mut blocks = vec![genesis.clone()];
        blocks.extend(branch(&genesis, 0, 9, 3));
        // Each file's byte stream, and where in it each block's record ends.
        let mut streams: Vec<Vec<u8>> = Vec::new();
        let mut complete_at = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            if i % per_file == 0 {
                streams.push(Vec::new());
            }
            let file = streams.len() - 1;
            let stream = &mut streams[file];
            let bytes = record(block, stream.len() as u64);
            stream.extend_from_slice(&bytes);
            complete_at.push((file, stream.len()));
        }
        let mut written: Vec<usize> = vec![0; streams.len()];
        let mut chain: Option<BestChain> = None;
        let mut cut = cuts.iter().cycle();
        let mut file = 0;
        while file < streams.len() {
            let path = dir.join(format!("blk{file:05}.dat"));
            if written[file] == 0 {
                let created = std::fs::File::create(&path).expect("create");
                if preallocate {
                    created.set_len(4096).expect("preallocate");
                }
            }
            let take = (*cut.next().expect("cycle")).min(streams[file].len() - written[file]);
            let handle = OpenOptions::new().write(true).open(&path).expect("open");
            handle
                .write_all_at(&streams[file][written[file]..written[file] + take], written[file] as u64)
                .expect("write");
            written[file] += take;
            if written[file] == streams[file].len() {
                file += 1;
            }
            let complete = complete_at
                .iter()
                .take_while(|&&(f, end)| written[f] >= end)
                .count();
            match chain.as_mut() {
                Some(chain) => { chain.refresh().expect("refresh"); }
                None if complete > 0 => chain = Some(BestChain::open_live(&dir, REGTEST).expect("open")),
                None => continue,
            }
            let chain = chain.as_ref().expect("opened");
            let expected: Vec<BlockHash> = blocks[..complete].iter().map(Block::block_hash).collect();
            prop_assert_eq!(hashes(chain), expected);
        }
        let chain = chain.expect("opened");
        prop_assert_eq!(hashes(&chain), blocks.iter().map(Block::block_hash).collect::<Vec<_>>());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Blocks of a tree with forks arriving in any order (a node during its initial download
    /// stores blocks out of order): after each one, the chain that `refresh` keeps up to date
    /// step by step equals the one a fresh open counts from scratch.
    #[test]
    fn the_chain_kept_up_to_date_equals_one_counted_from_scratch(
        order in Just((0..17usize).collect::<Vec<_>>()).prop_shuffle(),
        per_file in 1usize..8,
    ) {
        let (_tmp, dir) = blocks_dir();
        let genesis = genesis();
        let main = branch(&genesis, 0, 8, 1);
        let short_fork = branch(&main[2], 3, 3, 2);
        let long_fork = branch(&main[4], 5, 5, 3);
        let mut tree = vec![genesis];
        tree.extend(main);
        tree.extend(short_fork);
        tree.extend(long_fork.iter().cloned());
        let mut live: Option<BestChain> = None;
        let mut file: Option<GrowingFile> = None;
        for (written, &block) in order.iter().enumerate() {
            if written % per_file == 0 {
                file = Some(GrowingFile::create(&dir, (written / per_file) as u32, 0));
            }
            file.as_mut().expect("a file").write(&tree[block]);
            // Until the genesis block is written the best root may be a block of height at
            // most 16, whose BIP34 push (OP_N) does not number the chain: both must refuse it.
            let fresh = BestChain::open_live(&dir, REGTEST);
            let looked = match live.as_mut() {
                Some(live) => live.refresh().map(|_| ()),
                None => BestChain::open_live(&dir, REGTEST).map(|opened| live = Some(opened)),
            };
            match fresh {
                Err(_) => prop_assert!(looked.is_err()),
                Ok(fresh) => {
                    prop_assert!(looked.is_ok(), "{:?}", looked);
                    let live = live.as_ref().expect("opened");
                    prop_assert_eq!(live.root_height, fresh.root_height);
                    prop_assert_eq!(hashes(live), hashes(&fresh));
                }
            }
        }
        let live = live.expect("opened");
        prop_assert_eq!(live.tip_height(), 10);
        prop_assert_eq!(live.hash_at(10), Some(long_fork[4].block_hash()));
    }
}
