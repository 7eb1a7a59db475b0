//! Incremental updates over any split of a transaction sequence into imports give the same
//! partition, the same evidence and the same cluster files as one build over all of it, and
//! never rebuild (also when a labelled address first appears in a later import).

mod common;

use chaintrail_cluster::{Clusters, Mode, Settings, update};
use chaintrail_core::TxFingerprint;
use chaintrail_labels::Category;
use chaintrail_store::Store;
use common::{BTC, Chainbuilder, Labels};
use proptest::prelude::*;

/// A random but valid chain: coinbases and spends of unspent outputs to a small address pool
/// (so that co-spends chain into larger clusters), from `seed`.
fn random_chain(seed: u64, len: usize) -> Chainbuilder {
    let mut state = seed | 1;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut chain = Chainbuilder::default();
    let mut unspent: Vec<(u32, u32, u64)> = Vec::new();
    for _ in 0..len {
        if unspent.len() < 3 || next(4) == 0 {
            let a = 1 + next(24) as u8;
            let tx = chain.tx(&[], &[(a, 10_000_000 + next(1_000) * 1_000)]);
            unspent.push((tx, 0, 10_000_000));
            continue;
        }
        let spend = 1 + next(3.min(unspent.len() as u64)) as usize;
        let mut spends = Vec::new();
        let mut total = 0;
        for _ in 0..spend {
            let (tx, vout, value) = unspent.swap_remove(next(unspent.len() as u64) as usize);
            spends.push((tx, vout));
            total += value;
        }
        let outputs = 1 + next(3) as usize;
        let share = total.saturating_sub(1_000) / outputs as u64;
        let paid: Vec<(u8, u64)> = (0..outputs)
            .map(|i| {
                let a = 1 + next(40) as u8;
                // Some round payments, some odd amounts, some P2PKH addresses.
                let value = if i == 0 && next(2) == 0 {
                    share - share % 1_000_000
                } else {
                    share
                };
                (if next(5) == 0 { 200 + a } else { a }, value.max(1))
            })
            .collect();
        let tx = chain.tx(&spends, &paid);
        // One of three wallet programs, or none known, so that the fingerprint heuristic
        // votes too (at the spend that completes a transaction, maybe in a later import).
        let (version, lock_time, rbf) = match next(4) {
            0 => (1, 0, false),
            1 => (2, 0, true),
            2 => (2, tx - 1, true),
            _ => (0, 0, false),
        };
        if let Some(last) = chain.txs.last_mut() {
            last.fingerprint = (version != 0).then_some(TxFingerprint {
                version,
                lock_time,
                rbf,
            });
        }
        for (vout, &(_, value)) in paid.iter().enumerate() {
            unspent.push((tx, vout as u32, value));
        }
    }
    chain
}

fn labels() -> Labels {
    Labels::bitcoin(&[
        (1, "ExA", Category::Exchange),
        (2, "ExB", Category::Exchange),
    ])
}

/// Import `chain` in the pieces `cuts` make, updating after each; the partition, every
/// cluster's evidence and the manifest's counts.
fn cluster_in_pieces(
    chain: &Chainbuilder,
    cuts: &[usize],
    settings: &Settings,
) -> (Vec<(String, u32)>, Vec<chaintrail_cluster::Merge>, String) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut from = 0;
    let mut rebuilt = Vec::new();
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (chain.txs.len() + 1)).collect();
    bounds.push(chain.txs.len());
    bounds.sort_unstable();
    for to in bounds {
        if to > from {
            common::import(&store, &chain.txs[from..to]);
            let reports = update(&store, &labels(), Some(settings), Mode::Incremental).unwrap();
            if from > 0 {
                rebuilt.extend(reports.into_iter().filter_map(|r| r.rebuilt));
            }
            from = to;
        }
    }
    let clusters = Clusters::open(&store).unwrap();
    let partition: Vec<(String, u32)> = clusters.partition(BTC).collect();
    let mut ids: Vec<u32> = partition.iter().map(|p| p.1).collect();
    ids.sort_unstable();
    ids.dedup();
    let evidence = ids
        .iter()
        .flat_map(|&c| clusters.evidence(BTC, c))
        .collect();
    let m = clusters.manifests()[0].clone();
    let summary = format!(
        "{:?} {} {} {:?}",
        m.counts, m.clusters, m.evidence_records, m.largest
    );
    assert!(rebuilt.is_empty(), "an update rebuilt: {rebuilt:?}");
    (partition, evidence, summary)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn incremental_updates_equal_one_build(
        seed in any::<u64>(),
        len in 5usize..60,
        cuts in proptest::collection::vec(any::<usize>(), 1..5),
        change_applied in any::<bool>(),
    ) {
        let chain = random_chain(seed, len);
        let mut settings = Settings::default();
        if change_applied {
            settings.change.apply_at = Some(0.6);
        }
        let whole = cluster_in_pieces(&chain, &[], &settings);
        let pieces = cluster_in_pieces(&chain, &cuts, &settings);
        prop_assert_eq!(&whole.0, &pieces.0);
        prop_assert_eq!(&whole.1, &pieces.1);
        prop_assert_eq!(&whole.2, &pieces.2);
    }
}
