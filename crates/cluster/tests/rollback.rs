//! Clusters after a reorg: a store rolled back past the clustered transactions and then grown
//! longer than before by another branch is clustered again from scratch, not extended from a
//! checkpoint whose transactions are gone.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chaintrail_cluster::{Clusters, Mode, update};
use chaintrail_store::Store;
use common::{BTC, Chainbuilder, Labels, import};

const COIN: u64 = 100_000_000;

/// Three mined coins, to addresses 1, 2 and 3.
fn kept() -> Chainbuilder {
    let mut chain = Chainbuilder::default();
    for a in 1..=3 {
        chain.tx(&[], &[(a, COIN)]);
    }
    chain
}

/// The branch that loses: 1 and 2 spent together.
fn orphaned(chain: &mut Chainbuilder) {
    chain.tx(&[(1, 0), (2, 0)], &[(40, 2 * COIN - 1_000)]);
}

/// The branch that wins, longer: 2 and 3 spent together, then two more coins mined.
fn winning(chain: &mut Chainbuilder) {
    chain.tx(&[(2, 0), (3, 0)], &[(50, 2 * COIN - 1_000)]);
    chain.tx(&[], &[(60, COIN)]);
    chain.tx(&[], &[(61, COIN)]);
}

fn groups(store: &Store) -> BTreeSet<BTreeSet<String>> {
    let clusters = Clusters::open(store).expect("open");
    let mut by_id: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    for (address, cluster) in clusters.partition(BTC) {
        by_id.entry(cluster).or_default().insert(address);
    }
    by_id.into_values().filter(|g| g.len() > 1).collect()
}

#[test]
fn a_rollback_past_the_checkpoint_rebuilds_the_clusters() {
    let none = Labels::bitcoin(&[]);
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let base = kept();
    import(&store, &base.txs);
    let mut lost = base.clone();
    orphaned(&mut lost);
    import(&store, &lost.txs[base.txs.len()..]);
    update(&store, &none, None, Mode::Incremental).expect("clusters");
    assert_eq!(groups(&store).len(), 1);

    // Back to the first import's checkpoint, then the longer branch.
    let writer = store.writer(BTC).expect("writer");
    let first = writer.checkpoints().len() - 2;
    writer.roll_back(first, &[]).expect("roll back");
    let mut won = base.clone();
    winning(&mut won);
    // The builder numbers transactions by position: give the new branch its own hashes.
    for tx in &mut won.txs[base.txs.len()..] {
        tx.hash.0[0] = 0xB2;
    }
    import(&store, &won.txs[base.txs.len()..]);
    let reports = update(&store, &none, None, Mode::Incremental).expect("update");
    assert_eq!(
        reports[0].rebuilt.as_deref(),
        Some("the chain was rolled back past the clustered transactions")
    );

    let clean_dir = tempfile::tempdir().expect("tmp");
    let clean = Store::init(clean_dir.path()).expect("store");
    import(&clean, &won.txs);
    update(&clean, &none, None, Mode::Incremental).expect("clusters");
    assert_eq!(groups(&store), groups(&clean));
    let two_three: BTreeSet<String> = [2, 3]
        .into_iter()
        .map(|n| common::addr(n).to_string())
        .collect();
    assert_eq!(groups(&store), BTreeSet::from([two_three]));
}
