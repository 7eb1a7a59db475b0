//! Following a real regtest node (`chaintrail_bitcoin::testing::RegtestNode`) by reading its
//! blocks directory, without RPC (`BlocksDirSource`): blocks are applied one by one as the node
//! mines them; an `invalidateblock` reorg of depth 3 to a longer branch (the invalidated blocks
//! stay in the files) is rolled back; a restarted follower resumes. After each, the store equals
//! `ingest_blocks_dir` of the same directory and a follow over RPC.
//!
//! The node writes each block into its `blk*.dat` before it becomes the tip (Core's
//! `AcceptBlock` stores it, then `ActivateBestChain` connects it), and closes the file after
//! each write, so by the time `generate` returns the records are readable; the follower still
//! waits for the blocks with a deadline rather than assuming it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bitcoin::BlockHash;
use bitcoin::hashes::Hash;
use chaintrail_bitcoin::testing::RegtestNode;
use chaintrail_bitcoin::{BitcoinRpc, ingest_blocks_dir};
use chaintrail_core::{BitcoinNetwork, Chain};
use chaintrail_follow::{
    BitcoinSource, BlockObserver, BlocksDirSource, FOLLOW_CURSOR, FollowCursor, FollowReport,
    follow,
};
use chaintrail_ingest::ImportOptions;
use chaintrail_store::Store;
use serde_json::json;

const REGTEST: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);
mod common;
use common::{Recorder, node_with_a_payment, until};

const DEADLINE: Duration = Duration::from_secs(60);

fn blocks_dir(node: &RegtestNode) -> PathBuf {
    node.datadir.join("regtest/blocks")
}

/// Follow `blocks` into the store at `store_dir` on another thread until block `height`,
/// failing the test if that takes longer than the deadline.
fn follow_blocks_dir(
    store_dir: &Path,
    blocks: &Path,
    height: u64,
    events: &Arc<Mutex<Vec<String>>>,
) -> std::thread::JoinHandle<FollowReport> {
    let (store_dir, blocks, events) = (
        store_dir.to_path_buf(),
        blocks.to_path_buf(),
        events.clone(),
    );
    std::thread::spawn(move || {
        let store = Store::init(&store_dir).expect("store");
        let mut source =
            BlocksDirSource::open(&blocks, BitcoinNetwork::Regtest).expect("blocks dir");
        let mut observers: Vec<Box<dyn BlockObserver>> = vec![Box::new(Recorder(events))];
        follow(&store, &mut source, &until(height), &mut observers).expect("follow")
    })
}

fn joined(handle: std::thread::JoinHandle<FollowReport>) -> FollowReport {
    let started = Instant::now();
    while !handle.is_finished() {
        assert!(
            started.elapsed() < DEADLINE,
            "the follower did not reach its block"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    handle.join().expect("follower thread")
}

/// Wait until `events` holds `event`.
fn wait_for(events: &Arc<Mutex<Vec<String>>>, event: &str) {
    let started = Instant::now();
    while !events.lock().expect("lock").iter().any(|e| e == event) {
        assert!(started.elapsed() < DEADLINE, "no `{event}` in {events:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// (content checksum, transactions, blocks) of a store's regtest chain.
fn summary(dir: &Path) -> (u32, u64, u64) {
    let reader = Store::open(dir)
        .expect("store")
        .reader(REGTEST)
        .expect("reader");
    (
        reader.content_checksum(),
        reader.tx_count(),
        reader.stats().blocks,
    )
}

/// The store that `ingest --blocks-dir` makes of `blocks`, and the store a follow over RPC
/// makes, each clean.
fn clean_imports(tmp: &Path, node: &RegtestNode, height: u64, name: &str) -> [PathBuf; 2] {
    let ingested = tmp.join(format!("{name}-ingest"));
    let store = Store::init(&ingested).expect("store");
    ingest_blocks_dir(
        &store,
        &blocks_dir(node),
        BitcoinNetwork::Regtest,
        &ImportOptions::default(),
    )
    .expect("ingest blocks dir");
    let over_rpc = tmp.join(format!("{name}-rpc"));
    let store = Store::init(&over_rpc).expect("store");
    let mut source = BitcoinSource::new(node.client(), BitcoinNetwork::Regtest);
    follow(&store, &mut source, &until(height), &mut []).expect("rpc follow");
    [ingested, over_rpc]
}

#[test]
fn a_nodes_blocks_directory_is_followed_block_by_block_while_it_mines() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(node) = node_with_a_payment(&tmp.path().join("node"), 2) else {
        return;
    };
    let rpc = node.client();

    let events = Arc::new(Mutex::new(Vec::new()));
    let store_dir = tmp.path().join("followed");
    let follower = follow_blocks_dir(&store_dir, &blocks_dir(&node), 110, &events);
    wait_for(&events, "applied 64..=103");
    // One block at a time, each mined once the follower applied the one before.
    for height in 104..=110u64 {
        if height == 107 {
            let payee = rpc.call("getnewaddress", json!([])).expect("address");
            rpc.call("sendtoaddress", json!([payee, 2.25]))
                .expect("send");
        }
        rpc.call("generate", json!([1])).expect("generate");
        wait_for(&events, &format!("applied {height}..={height}"));
    }
    let report = joined(follower);
    assert_eq!(report.blocks_applied, 111);
    assert!(report.rollbacks.is_empty());
    let mut expected = vec!["applied 0..=63".to_string(), "applied 64..=103".to_string()];
    expected.extend((104..=110).map(|h| format!("applied {h}..={h}")));
    assert_eq!(*events.lock().expect("lock"), expected);

    let followed = summary(&store_dir);
    assert_eq!((followed.1, followed.2), (111 + 2, 111));
    for clean in clean_imports(tmp.path(), &node, 110, "clean") {
        assert_eq!(summary(&clean), followed, "{}", clean.display());
    }
}

#[test]
fn a_reorg_in_the_blocks_directory_is_rolled_back_and_a_restart_resumes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(node) = node_with_a_payment(&tmp.path().join("node"), 4) else {
        return;
    };
    let rpc = node.client();

    let events = Arc::new(Mutex::new(Vec::new()));
    let store_dir = tmp.path().join("followed");
    let report = joined(follow_blocks_dir(
        &store_dir,
        &blocks_dir(&node),
        105,
        &events,
    ));
    assert_eq!(report.blocks_applied, 106);
    assert_eq!(summary(&store_dir).1, 106 + 1);

    // Replace blocks 103..=105 by a branch of 4 (more work); the three stay in the files.
    let orphaned = rpc.call("getblockhash", json!([103])).expect("hash");
    rpc.call("invalidateblock", json!([orphaned]))
        .expect("invalidate");
    let miner = rpc.call("getnewaddress", json!([])).expect("address");
    rpc.call("sendtoaddress", json!([miner, 1.25]))
        .expect("send");
    rpc.call("generatetoaddress", json!([4, miner]))
        .expect("generate");
    assert_eq!(rpc.get_block_count().expect("count"), 106);
    let report = joined(follow_blocks_dir(
        &store_dir,
        &blocks_dir(&node),
        106,
        &events,
    ));
    assert_eq!(report.rollbacks, vec![102]);
    assert_eq!(report.blocks_applied, 4);
    let followed = summary(&store_dir);
    assert_eq!((followed.1, followed.2), (107 + 2, 107));
    for clean in clean_imports(tmp.path(), &node, 106, "after-reorg") {
        assert_eq!(summary(&clean), followed, "{}", clean.display());
    }
    let branch_tip = rpc.call("getblockhash", json!([106])).expect("hash");
    let store = Store::open(&store_dir).expect("store");
    let writer = store.writer(REGTEST).expect("writer");
    let cursor = FollowCursor::from_value(writer.cursor(FOLLOW_CURSOR)).expect("cursor");
    // The cursor keeps the hash in internal byte order; RPC shows it reversed.
    let stored = cursor.hash_bytes().map(BlockHash::from_byte_array);
    assert_eq!(cursor.height, 106);
    assert_eq!(stored.map(|h| json!(h.to_string())), Some(branch_tip));
    drop(writer);

    // The follower stopped; the node mines on; a new follower resumes from the store.
    rpc.call("generate", json!([3])).expect("generate");
    let report = joined(follow_blocks_dir(
        &store_dir,
        &blocks_dir(&node),
        109,
        &events,
    ));
    assert_eq!((report.blocks_applied, report.rollbacks.len()), (3, 0));
    let followed = summary(&store_dir);
    assert_eq!((followed.1, followed.2), (110 + 2, 110));
    for clean in clean_imports(tmp.path(), &node, 109, "after-restart") {
        assert_eq!(summary(&clean), followed, "{}", clean.display());
    }
    assert_eq!(
        events.lock().expect("lock")[2..],
        [
            "rolled back to 102",
            "applied 103..=106",
            "applied 107..=109"
        ]
    );
}
