//! Following a real regtest node (`chaintrail_bitcoin::testing::RegtestNode`) through
//! a reorg of depth 3: the store ends equal to a clean follow of the winning branch, and the
//! observers hear of the applied blocks, the rollback and the new branch, the links and
//! clusters derived along the way equal those of the clean follow, and the exposure index
//! answers for the winning branch.

use chaintrail_bitcoin::BitcoinRpc;
use chaintrail_cluster::Clusters;
use chaintrail_core::{BitcoinNetwork, Chain};
use chaintrail_follow::{
    BitcoinSource, BlockObserver, ChainSource, DerivedData, FOLLOW_CURSOR, FollowCursor, follow,
};
use chaintrail_screen::{ExposureIndex, Screener};
use chaintrail_store::Store;
use serde_json::json;

const REGTEST: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);

mod common;
use common::{Recorder, node_with_a_payment, until};

#[test]
fn a_reorg_of_depth_three_is_rolled_back_and_the_winning_branch_applied() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(node) = node_with_a_payment(&tmp.path().join("node"), 4) else {
        return;
    };
    let rpc = node.client();

    let store = Store::init(&tmp.path().join("store")).expect("store");
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut observers: Vec<Box<dyn BlockObserver>> = vec![
        Box::new(DerivedData::default()),
        Box::new(Recorder(events.clone())),
    ];
    let mut source = BitcoinSource::new(node.client(), BitcoinNetwork::Regtest);
    let report = follow(&store, &mut source, &until(105), &mut observers).expect("follow");
    assert_eq!(report.blocks_applied, 106);
    assert_eq!(store.reader(REGTEST).expect("reader").tx_count(), 106 + 1);
    // An exposure index from here on is kept up to date by the follower.
    Screener::open(store.dir())
        .expect("screener")
        .build_index(None, 1, false, &|_, _| {})
        .expect("index");

    // Replace blocks 103..=105 (the payment, mined in 102, stays) by a longer branch of 4.
    let orphaned = rpc.call("getblockhash", json!([103])).expect("hash");
    rpc.call("invalidateblock", json!([orphaned]))
        .expect("invalidate");
    let miner = rpc.call("getnewaddress", json!([])).expect("address");
    rpc.call("sendtoaddress", json!([miner, 1.25]))
        .expect("send");
    rpc.call("generatetoaddress", json!([4, miner]))
        .expect("generate");
    assert_eq!(rpc.get_block_count().expect("count"), 106);
    let report = follow(&store, &mut source, &until(106), &mut observers).expect("follow");
    assert_eq!(report.rollbacks, vec![102]);
    assert_eq!(report.blocks_applied, 4);

    let clean_store = Store::init(&tmp.path().join("clean")).expect("store");
    let mut fresh = BitcoinSource::new(node.client(), BitcoinNetwork::Regtest);
    let mut derived: Vec<Box<dyn BlockObserver>> = vec![Box::new(DerivedData::default())];
    follow(&clean_store, &mut fresh, &until(106), &mut derived).expect("clean follow");
    let (followed, clean) = (
        store.reader(REGTEST).expect("reader"),
        clean_store.reader(REGTEST).expect("reader"),
    );
    // Links and clusters were derived again after the rollback: the same as the clean follow's,
    // checkpointed at the winning branch's last transaction.
    let checkpoint = |s: &Store| {
        let clusters = Clusters::open(s).expect("clusters");
        let m = clusters.manifests()[0].clone();
        (m.next_tx, m.last_tx, m.clustered_addresses, m.counts)
    };
    let last = followed.tx_hash(followed.tx_count() - 1).to_hex();
    assert_eq!(checkpoint(&store).1, Some(last));
    assert_eq!(checkpoint(&store), checkpoint(&clean_store));
    for file in ["links.jsonl", "pending.jsonl", "attributions.jsonl"] {
        let read = |s: &Store| std::fs::read(s.dir().join("links").join(file)).expect(file);
        assert_eq!(read(&store), read(&clean_store), "{file}");
    }
    assert_eq!(followed.content_checksum(), clean.content_checksum());
    // The exposure index answers for the winning branch, not the orphaned one.
    let screener = Screener::open(store.dir()).expect("screener");
    assert!(
        screener.index_status().starts_with("built"),
        "{}",
        screener.index_status()
    );
    let index = ExposureIndex::load(store.dir())
        .expect("load")
        .expect("index");
    assert_eq!(
        index.file_meta.chains[0].checksum,
        followed.content_checksum()
    );
    assert_eq!(index.file_meta.chains[0].txs, followed.tx_count());
    drop((screener, index));
    assert_eq!(followed.stats().blocks, 107);
    assert_eq!(followed.tx_count(), clean.tx_count());
    // Catching up, observers hear of batches of at most 64 blocks; at the head, of each block.
    assert_eq!(
        *events.lock().expect("lock"),
        vec![
            "applied 0..=63",
            "applied 64..=105",
            "rolled back to 102",
            "applied 103..=106",
        ]
    );

    // Killed between a block's commit and the index rebuild: readers refuse the chain until
    // the restarted follower rebuilds the indexes, then tells the observers of the block.
    rpc.call("generate", json!([1])).expect("generate");
    let block = source.block(107).expect("block 107");
    let mut writer = store.writer(REGTEST).expect("writer");
    source
        .append(&store, &mut writer, &block.txs)
        .expect("append");
    let cursor = FollowCursor {
        height: 107,
        hash: hex::encode(block.hash),
        told_below: 107,
    };
    writer
        .commit(FOLLOW_CURSOR, cursor.to_value())
        .expect("commit");
    drop(writer);
    assert!(store.reader(REGTEST).is_err(), "stale indexes are refused");
    let report = follow(&store, &mut source, &until(107), &mut observers).expect("restart");
    assert_eq!((report.blocks_applied, report.height), (0, Some(107)));
    assert_eq!(store.reader(REGTEST).expect("reader").stats().blocks, 108);
    assert_eq!(
        events.lock().expect("lock").last().map(String::as_str),
        Some("applied 107..=107")
    );
}

#[test]
fn an_exposure_index_that_cannot_be_written_does_not_stop_the_follower() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(node) = node_with_a_payment(&tmp.path().join("node"), 2) else {
        return;
    };
    let store = Store::init(&tmp.path().join("store")).expect("store");
    // A directory where the index file goes: every update fails to replace it.
    let index = ExposureIndex::path(store.dir());
    std::fs::create_dir_all(&index).expect("a directory in the index's place");
    let mut observers: Vec<Box<dyn BlockObserver>> = vec![Box::new(DerivedData::default())];
    let mut source = BitcoinSource::new(node.client(), BitcoinNetwork::Regtest);
    let report = follow(&store, &mut source, &until(103), &mut observers).expect("follow");
    assert_eq!(report.blocks_applied, 104);
    assert_eq!(store.reader(REGTEST).expect("reader").tx_count(), 105);
    assert!(index.is_dir());
}
