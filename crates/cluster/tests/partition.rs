//! Clustering a hand-built Bitcoin chain written through the store's real writer: exact
//! partitions, a Whirlpool mix that merges nothing, two exchanges refused to merge, labels
//! propagated with the merge that carried them, evidence per merge, an incremental update after
//! a second import equal to a full rebuild, change merges entering the partition above a
//! threshold, and a collapse report.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chaintrail_cluster::{Clusters, Heuristic, Mode, Settings, update};
use chaintrail_labels::Category;
use chaintrail_store::Store;
use common::{BTC, Chainbuilder, Labels, addr, hash, import};

const COIN: u64 = 100_000_000;

fn labels() -> Labels {
    Labels::bitcoin(&[
        (30, "ExA", Category::Exchange),
        (40, "ExB", Category::Exchange),
    ])
}

/// The first import: a user wallet paying with change, a Whirlpool mix, exchange A's
/// consolidation and a co-spend of A's and B's coins.
fn first_import(chain: &mut Chainbuilder) {
    chain.tx(&[], &[(1, 10 * COIN)]); // 1
    chain.tx(&[], &[(2, 5 * COIN)]); // 2
    chain.tx(&[], &[(3, 2 * COIN)]); // 3
    for a in 11..=15 {
        chain.tx(&[], &[(a, 1_000_100)]); // 4..=8
    }
    chain.tx(&[], &[(30, COIN)]); // 9
    chain.tx(&[], &[(31, COIN / 2)]); // 10
    chain.tx(&[], &[(40, COIN)]); // 11
    // 12: A1 + A2 pay 6 BTC to a P2PKH address; change 8.9999 BTC back to fresh address 4.
    chain.tx(&[(1, 0), (2, 0)], &[(210, 6 * COIN), (4, 899_990_000)]);
    // 13: Whirlpool 0.01 BTC pool, five participants.
    chain.tx(
        &[(4, 0), (5, 0), (6, 0), (7, 0), (8, 0)],
        &[
            (21, 1_000_000),
            (22, 1_000_000),
            (23, 1_000_000),
            (24, 1_000_000),
            (25, 1_000_000),
        ],
    );
    // 14: exchange A consolidates its labelled address and another of its own.
    chain.tx(&[(9, 0), (10, 0)], &[(31, 149_990_000)]);
    // 15: B's labelled coins spent with A's: refused.
    chain.tx(&[(11, 0), (14, 0)], &[(61, 249_980_000)]);
}

/// The second import: the user's change spent with A3, and a new wallet's co-spend.
fn second_import(chain: &mut Chainbuilder) {
    chain.tx(&[(12, 1), (3, 0)], &[(62, 50_000_000), (5, 1_049_980_000)]); // 16
    chain.tx(&[], &[(70, COIN)]); // 17
    chain.tx(&[(16, 1), (17, 0)], &[(63, 1_149_970_000)]); // 18
}

/// The clusters of two or more addresses, by address number.
fn groups(clusters: &Clusters) -> BTreeSet<BTreeSet<String>> {
    let mut by_id: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    for (address, cluster) in clusters.partition(BTC) {
        by_id.entry(cluster).or_default().insert(address);
    }
    by_id.into_values().filter(|g| g.len() > 1).collect()
}

fn set(numbers: &[u8]) -> BTreeSet<String> {
    numbers.iter().map(|&n| addr(n).to_string()).collect()
}

#[test]
fn exact_partitions_evidence_labels_and_incremental_equals_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut chain = Chainbuilder::default();
    first_import(&mut chain);
    import(&store, &chain.txs);
    let reports = update(&store, &labels(), None, Mode::Incremental).unwrap();
    assert_eq!(reports[0].rebuilt.as_deref(), Some("first build"));
    assert_eq!(reports[0].txs, 15);
    let counts = &reports[0].manifest.counts;
    assert_eq!(counts["coinjoin-whirlpool"], 1);
    assert_eq!(counts["multi-input"], 2);
    assert_eq!(counts["conflicts"], 1);
    assert_eq!(counts["change-guesses"], 1);
    let conflict = &reports[0].new_conflicts[0];
    assert_eq!(conflict.tx, hash(15).to_hex());
    assert_eq!(
        (conflict.label_a.as_str(), conflict.label_b.as_str()),
        ("ExB", "ExA")
    );
    assert_eq!(conflict.a, addr(40).to_string());

    let clusters = Clusters::open(&store).unwrap();
    // The mix merged none of its participants; B's address stayed alone.
    assert_eq!(
        groups(&clusters),
        BTreeSet::from([set(&[1, 2]), set(&[30, 31])])
    );
    let x2 = clusters.cluster_of(BTC, &addr(31)).unwrap();
    let label = x2.label.clone().unwrap();
    assert_eq!(
        (label.name.as_str(), label.role),
        ("ExA", Category::Exchange)
    );
    assert_eq!(label.labelled_address, addr(30).to_string());
    let joined = x2.joined_by.unwrap();
    assert_eq!(
        (joined.tx, joined.heuristic),
        (hash(14).to_hex(), Heuristic::MultiInput)
    );
    assert_eq!(x2.size, 2);
    assert_eq!(
        (x2.first_seen, x2.last_seen),
        (Some(common::T0 + 9 * 600), Some(common::T0 + 15 * 600))
    );
    let y1 = clusters.cluster_of(BTC, &addr(40)).unwrap();
    assert_eq!((y1.size, y1.label.unwrap().name.as_str()), (1, "ExB"));
    assert!(clusters.cluster_of(BTC, &addr(21)).unwrap().label.is_none());
    // The user's cluster: one co-spend applied, one change guess recorded but not applied.
    let user = clusters.cluster_of(BTC, &addr(1)).unwrap();
    let evidence = clusters.evidence(BTC, user.cluster);
    assert_eq!(evidence.len(), 2, "{evidence:?}");
    assert_eq!(
        (
            evidence[0].heuristic,
            evidence[0].applied,
            evidence[0].confidence
        ),
        (Heuristic::MultiInput, true, 0.95)
    );
    assert_eq!(
        (
            evidence[1].heuristic,
            evidence[1].applied,
            evidence[1].confidence
        ),
        (Heuristic::Change, false, 0.82)
    );
    assert_eq!(evidence[1].detail, ["address-type", "round-amount"]);
    assert_eq!(evidence[1].b, addr(4).to_string());
    drop(clusters);

    // The second import: only its three transactions are processed.
    let before = chain.txs.len();
    second_import(&mut chain);
    import(&store, &chain.txs[before..]);
    let reports = update(&store, &labels(), None, Mode::Incremental).unwrap();
    assert_eq!((reports[0].rebuilt.clone(), reports[0].txs), (None, 3));
    let clusters = Clusters::open(&store).unwrap();
    let expected = BTreeSet::from([set(&[1, 2]), set(&[3, 4]), set(&[5, 70]), set(&[30, 31])]);
    assert_eq!(groups(&clusters), expected);
    let incremental: Vec<(String, u32)> = clusters.partition(BTC).collect();
    let incremental_evidence: Vec<_> = (0..30).flat_map(|c| clusters.evidence(BTC, c)).collect();
    assert_eq!(reports[0].manifest.evidence_records, 5);
    drop(clusters);

    let reports = update(&store, &labels(), None, Mode::Rebuild).unwrap();
    assert_eq!(
        (reports[0].rebuilt.as_deref(), reports[0].txs),
        (Some("asked for"), 18)
    );
    let clusters = Clusters::open(&store).unwrap();
    assert_eq!(clusters.partition(BTC).collect::<Vec<_>>(), incremental);
    let rebuilt_evidence: Vec<_> = (0..30).flat_map(|c| clusters.evidence(BTC, c)).collect();
    assert_eq!(rebuilt_evidence, incremental_evidence);
    assert_eq!(clusters.conflicts(&store, BTC).unwrap().len(), 1);
}

#[test]
fn change_merges_enter_the_partition_above_the_threshold_and_collapses_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut chain = Chainbuilder::default();
    first_import(&mut chain);
    second_import(&mut chain);
    import(&store, &chain.txs);
    let mut settings = Settings::default();
    settings.change.apply_at = Some(0.8);
    settings.collapse_addresses = 3;
    let reports = update(&store, &labels(), Some(&settings), Mode::Incremental).unwrap();
    let clusters = Clusters::open(&store).unwrap();
    let expected = BTreeSet::from([set(&[1, 2, 3, 4]), set(&[5, 70]), set(&[30, 31])]);
    assert_eq!(groups(&clusters), expected);
    let collapse = &reports[0].new_collapses;
    assert_eq!(collapse.len(), 1, "{collapse:?}");
    assert_eq!(
        (
            collapse[0].tx.clone(),
            collapse[0].heuristic,
            collapse[0].sizes_before,
            collapse[0].size
        ),
        (hash(12).to_hex(), Heuristic::Change, [2, 1], 3)
    );
    // Back to the defaults: the settings changed, so the next update rebuilds.
    let reports = update(
        &store,
        &labels(),
        Some(&Settings::default()),
        Mode::Incremental,
    )
    .unwrap();
    assert_eq!(reports[0].rebuilt.as_deref(), Some("the settings changed"));
    // The plain multi-input partition, in memory: no label guard, so the co-spend of A's and
    // B's coins merges them.
    let reader = store.reader(BTC).unwrap();
    let column = chaintrail_cluster::multi_input_partition(&reader);
    let id = |n: u8| reader.address_id(&addr(n)).unwrap() as usize;
    assert_eq!(column[id(40)], column[id(30)]);
    assert_eq!(column[id(31)], column[id(30)]);
    assert_ne!(column[id(21)], column[id(22)]);
    assert_eq!(column[id(2)], column[id(1)]);
}
