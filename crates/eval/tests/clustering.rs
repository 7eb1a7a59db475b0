//! The clustering scorer on a simulated world's own wallet truth: the truth's partition scores
//! perfectly, and a partition that also merges every CoinJoin's inputs (what the multi-input
//! heuristic does without CoinJoin detection) scores what counting every pair says.

use std::collections::{BTreeMap, HashMap, HashSet};

use chaintrail_eval::clustering::{
    Assignment, ChainScore, CollapseRule, clustering_markdown, score_coinjoins, score_partition,
    service_entities, truth_partition,
};
use chaintrail_sim::{
    BTC_CHAIN, BtcBlock, BtcTx, EVM_CHAIN, EvmBlock, GroundTruth, SimConfig, SimError, TrueOwner,
    WorldSink, simulate,
};

#[derive(Default)]
struct BitcoinTxs(Vec<BtcTx>);

impl WorldSink for BitcoinTxs {
    fn evm_block(&mut self, _: &EvmBlock) -> Result<(), SimError> {
        Ok(())
    }
    fn btc_block(&mut self, block: &BtcBlock) -> Result<(), SimError> {
        self.0.extend(block.txs.iter().cloned());
        Ok(())
    }
}

fn world() -> (BitcoinTxs, GroundTruth) {
    let mut txs = BitcoinTxs::default();
    let truth = simulate(
        &SimConfig {
            seed: 5,
            scale: 8_000,
            days: 1,
        },
        &mut txs,
    )
    .expect("world");
    (txs, truth)
}

fn find(parent: &mut HashMap<u64, u64>, x: u64) -> u64 {
    let p = *parent.get(&x).unwrap_or(&x);
    if p == x {
        return x;
    }
    let root = find(parent, p);
    parent.insert(x, root);
    root
}

/// Pairs counted one by one: (predicted, true, both), and the clusters with more than
/// `max_owners` owners or two services.
fn brute_force(
    addresses: &[(u64, TrueOwner, bool)],
    max_owners: usize,
) -> ((u128, u128, u128), usize) {
    let (mut predicted, mut true_pairs, mut both) = (0, 0, 0);
    for i in 0..addresses.len() {
        for j in i + 1..addresses.len() {
            let same_cluster = addresses[i].0 == addresses[j].0;
            let same_owner = addresses[i].1 == addresses[j].1;
            predicted += u128::from(same_cluster);
            true_pairs += u128::from(same_owner);
            both += u128::from(same_cluster && same_owner);
        }
    }
    let mut owners: BTreeMap<u64, HashSet<(TrueOwner, bool)>> = BTreeMap::new();
    for &(cluster, owner, service) in addresses {
        owners.entry(cluster).or_default().insert((owner, service));
    }
    let collapsed = owners
        .values()
        .filter(|o| o.len() > max_owners || o.iter().filter(|(_, s)| *s).count() >= 2)
        .count();
    ((predicted, true_pairs, both), collapsed)
}

#[test]
fn the_truth_scores_perfectly_and_merged_coinjoin_inputs_cost_precision() {
    let (txs, truth) = world();
    let services = service_entities(&truth);
    let rule = CollapseRule::default();
    let perfect = truth_partition(&truth.wallets);
    let scores = score_partition(&truth.wallets, &services, perfect.clone(), rule).expect("score");
    assert_eq!(
        scores.iter().map(|s| s.chain).collect::<Vec<_>>(),
        vec![BTC_CHAIN, EVM_CHAIN]
    );
    for s in &scores {
        assert_eq!((s.precision(), s.recall()), (1.0, 1.0), "{}", s.chain);
        assert_eq!(s.predicted_pairs, s.true_pairs);
        assert!(s.true_pairs > 1_000, "{}: {}", s.chain, s.true_pairs);
        assert!(s.collapsed.is_empty());
        assert_eq!(s.unknown, 0);
    }

    // Merge every CoinJoin's inputs into one cluster, as multi-input clustering blind to
    // CoinJoins would; tag the addresses whose cluster the merge changed.
    let coinjoins: HashSet<_> = truth.coinjoins.iter().map(|c| c.txid).collect();
    let cluster_of: HashMap<&str, u64> = perfect
        .iter()
        .filter(|a| a.chain == BTC_CHAIN)
        .map(|a| (a.address.as_str(), a.cluster))
        .collect();
    let mut parent: HashMap<u64, u64> = HashMap::new();
    for tx in txs.0.iter().filter(|t| coinjoins.contains(&t.flow.hash)) {
        let clusters: Vec<u64> = tx
            .flow
            .inputs
            .iter()
            .filter_map(|i| i.address.as_ref())
            .map(|a| cluster_of[a.to_string().as_str()])
            .collect();
        let root = find(&mut parent, clusters[0]);
        for c in &clusters[1..] {
            let other = find(&mut parent, *c);
            if other != root {
                parent.insert(other, root);
            }
        }
    }
    let merged: Vec<Assignment> = perfect
        .iter()
        .filter(|a| a.chain == BTC_CHAIN)
        .map(|a| {
            let root = find(&mut parent, a.cluster);
            Assignment {
                cluster: root,
                heuristic: (root != a.cluster).then(|| "multi_input".to_string()),
                ..a.clone()
            }
        })
        .collect();
    let rule = CollapseRule { max_owners: 20 };
    let scores = score_partition(&truth.wallets, &services, merged.clone(), rule).expect("score");
    let btc: &ChainScore = scores
        .iter()
        .find(|s| s.chain == BTC_CHAIN)
        .expect("bitcoin");
    assert_eq!(btc.recall(), 1.0);
    assert!(btc.precision() < 0.9, "{}", btc.precision());

    // The same counts, pair by pair.
    let owner: HashMap<&str, (TrueOwner, bool)> = truth
        .wallets
        .addresses
        .iter()
        .map(|r| {
            let service = r.entity.is_some_and(|e| services.contains(&e));
            (r.address.as_str(), (r.owner(), service))
        })
        .collect();
    let rows: Vec<(u64, TrueOwner, bool)> = merged
        .iter()
        .map(|a| {
            let (o, s) = owner[a.address.as_str()];
            (a.cluster, o, s)
        })
        .collect();
    let (counts, collapsed) = brute_force(&rows, rule.max_owners);
    assert_eq!(
        (btc.predicted_pairs, btc.true_pairs, btc.correct_pairs),
        counts
    );
    assert_eq!(btc.collapsed.len(), collapsed);
    assert!(collapsed >= 1, "CoinJoins chained many users together");
    // The addresses the merge moved carry the wrong pairs: their precision is below the whole's.
    let tagged = &btc.heuristics;
    assert_eq!(tagged.len(), 1);
    assert!(tagged[0].precision() < btc.precision());

    // CoinJoin detection.
    let all = score_coinjoins(&truth.coinjoins, coinjoins.iter().copied());
    assert_eq!((all.precision(), all.recall()), (1.0, 1.0));
    let whirlpool: Vec<_> = truth
        .coinjoins
        .iter()
        .filter(|c| c.kind == "whirlpool")
        .map(|c| c.txid)
        .collect();
    let only_whirlpool = score_coinjoins(&truth.coinjoins, whirlpool.iter().copied());
    assert_eq!(only_whirlpool.correct, whirlpool.len() as u64);
    assert_eq!(only_whirlpool.precision(), 1.0);
    assert_eq!(
        only_whirlpool.recall(),
        whirlpool.len() as f64 / truth.coinjoins.len() as f64
    );
    let kinds: Vec<&str> = only_whirlpool
        .by_kind
        .iter()
        .map(|(k, _, _)| k.as_str())
        .collect();
    assert_eq!(kinds, vec!["wasabi1", "wasabi2", "whirlpool"]);

    let md = clustering_markdown(
        &[("multi-input, CoinJoins merged".into(), btc.clone())],
        &[],
        &all,
    );
    assert!(
        md.contains("| multi-input, CoinJoins merged | bitcoin-regtest |"),
        "{md}"
    );
    assert!(md.contains("| multi_input |"), "{md}");
}
