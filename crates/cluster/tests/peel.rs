//! Peel chains (Kappos et al. 2022, methods.md §2.3) on a hand-built Bitcoin chain written
//! through the store's real writer: each step that spends the remainder of a peel step names
//! its own large fresh leg as change, a step spending a peel (the small leg) does not, and with
//! a threshold the remainders of the chain become one cluster.

mod common;

use std::collections::BTreeSet;

use chaintrail_cluster::{ChangeSettings, Clusters, Heuristic, Mode, Settings, update};
use chaintrail_store::Store;
use common::{BTC, Chainbuilder, Labels, addr, hash, import};

const COIN: u64 = 100_000_000;

/// A wallet peeling payments off 10 BTC: remainders at addresses 2, 3, 4; payees from 100.
fn peel_chain() -> Chainbuilder {
    let mut chain = Chainbuilder::default();
    chain.tx(&[], &[(1, 10 * COIN)]); // 1: mined
    chain.tx(&[(1, 0)], &[(100, 50_000_000), (2, 949_990_000)]); // 2: first peel
    chain.tx(&[(2, 1)], &[(101, 30_000_000), (3, 919_980_000)]); // 3: spends the remainder
    chain.tx(&[(3, 1)], &[(4, 849_970_000), (102, 70_000_000)]); // 4: remainder first
    // 5: payee 102 spends its peel, shaped like a peel step itself: not a continuation.
    chain.tx(&[(4, 1)], &[(103, 5_000_000), (5, 64_990_000)]);
    chain
}

fn build(settings: &Settings) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::init(dir.path()).expect("store");
    import(&store, &peel_chain().txs);
    update(&store, &Labels::bitcoin(&[]), Some(settings), Mode::Rebuild).expect("clusters");
    (dir, store)
}

/// Every change guess as (tx number, change address number, heuristics, confidence, applied).
fn guesses(store: &Store) -> Vec<(u32, String, Vec<&'static str>, f64, bool)> {
    let clusters = Clusters::open(store).expect("open");
    clusters
        .merges(BTC, Heuristic::Change)
        .map(|m| {
            let tx = (1..=5).find(|&n| hash(n).to_hex() == m.tx).expect("tx");
            (tx, m.b, m.detail, m.confidence, m.applied)
        })
        .collect()
}

#[test]
fn each_continuation_of_a_peel_chain_names_its_remainder() {
    let settings = Settings {
        change: ChangeSettings {
            peel_chain: true,
            ..ChangeSettings::off()
        },
        ..Settings::default()
    };
    let (_dir, store) = build(&settings);
    assert_eq!(
        guesses(&store),
        vec![
            (3, addr(3).to_string(), vec!["peel-chain"], 0.8, false),
            (4, addr(4).to_string(), vec!["peel-chain"], 0.8, false),
        ]
    );
}

#[test]
fn with_the_other_heuristics_the_remainders_join_above_a_threshold() {
    let mut settings = Settings::default();
    settings.change.apply_at = Some(0.9);
    let (_dir, store) = build(&settings);
    // Round amount alone (0.55) on the first step and on the payee's spend; round amount and
    // peel chain (1 − 0.45 · 0.2 = 0.91) on the continuations.
    assert_eq!(
        guesses(&store),
        vec![
            (2, addr(2).to_string(), vec!["round-amount"], 0.55, false),
            (
                3,
                addr(3).to_string(),
                vec!["round-amount", "peel-chain"],
                0.91,
                true
            ),
            (
                4,
                addr(4).to_string(),
                vec!["round-amount", "peel-chain"],
                0.91,
                true
            ),
            (5, addr(5).to_string(), vec!["round-amount"], 0.55, false),
        ]
    );
    let clusters = Clusters::open(&store).expect("open");
    let of_2 = clusters
        .cluster_of(BTC, &addr(2))
        .expect("clustered")
        .cluster;
    let members: BTreeSet<String> = clusters
        .partition(BTC)
        .filter(|(_, c)| *c == of_2)
        .map(|(a, _)| a)
        .collect();
    let expected: BTreeSet<String> = [2, 3, 4].iter().map(|&n| addr(n).to_string()).collect();
    assert_eq!(members, expected);
}
