//! The clustering of a simulated world, scored: the store is clustered the way `chaintrail
//! cluster build` does under several settings, and each partition is scored against the
//! simulator's wallet truth ([`crate::clustering`]); CoinJoin detection is scored with the one
//! co-spend decision the product uses. The last setting built is the built-in one, which the
//! store keeps for tracing and screening.

use chaintrail_cluster::{Clusters, Heuristic, Mode, Settings};
use chaintrail_core::ChainModel;
use chaintrail_links::deposits::utxo::{CoSpend, co_spend, null_data_id, tx_sides};
use chaintrail_sim::GroundTruth;
use chaintrail_store::Store;

use crate::EvalError;
use crate::clustering::{
    Assignment, ChainScore, ChangeGuess, CoinJoinScore, CollapseRule, GuessScore,
    score_change_guesses, score_coinjoins, score_partition, service_entities,
};

/// The partitions scored, in build order: (name, settings). The built-in settings come last.
pub fn settings() -> Vec<(&'static str, Settings)> {
    let mut with_change = Settings::default();
    with_change.change.apply_at = Some(0.6);
    vec![
        ("multi-input only", Settings::multi_input_only()),
        ("built-in + change ≥ 0.6", with_change),
        ("built-in", Settings::default()),
    ]
}

/// The clustering scores of a world.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EntityScores {
    /// (setting, chain score), per setting and chain.
    pub rows: Vec<(String, ChainScore)>,
    /// The built-in build's change guesses, per heuristic.
    pub change_guesses: Vec<GuessScore>,
    pub coinjoins: CoinJoinScore,
}

/// Build the clusters of `store` under every [`settings`] and score each partition; the store
/// keeps the built-in clusters.
pub fn score_clusters(store: &Store, truth: &GroundTruth) -> Result<EntityScores, EvalError> {
    let service_ids = service_entities(truth);
    let mut rows = Vec::new();
    let mut guesses = Vec::new();
    for (name, settings) in settings() {
        chaintrail_cluster::refresh(store, Some(&settings), Mode::Rebuild)?;
        let clusters = Clusters::open(store)?;
        // The built-in build comes last: its guesses are the ones kept.
        guesses.clear();
        for chain in store.chains()? {
            guesses.extend(
                clusters
                    .merges(chain, Heuristic::Change)
                    .map(|m| ChangeGuess {
                        chain,
                        tx: m.tx,
                        input: m.a,
                        change: m.b,
                        heuristics: m.detail.iter().map(|d| d.to_string()).collect(),
                    }),
            );
        }
        let mut partition = Vec::new();
        for chain in store.chains()? {
            for (address, cluster) in clusters.partition(chain) {
                let heuristic = clusters
                    .find(&address, Some(chain))
                    .into_iter()
                    .find_map(|info| info.joined_by)
                    .map(|merge| merge.heuristic.name().to_string());
                partition.push(Assignment {
                    chain,
                    address,
                    cluster: u64::from(cluster),
                    heuristic,
                });
            }
        }
        let scores = score_partition(
            &truth.wallets,
            &service_ids,
            partition,
            CollapseRule::default(),
        )?;
        rows.extend(scores.into_iter().map(|s| (name.to_string(), s)));
    }
    let mut detected = Vec::new();
    for (_, reader) in store.readers()? {
        if reader.model() != ChainModel::Utxo {
            continue;
        }
        let null_data = null_data_id(&reader);
        for tx in 0..reader.tx_count() {
            let (inputs, outputs) = tx_sides(&reader, tx, null_data);
            if let CoSpend::CoinJoin(_) = co_spend(&inputs, &outputs) {
                detected.push(reader.tx_hash(tx));
            }
        }
    }
    Ok(EntityScores {
        rows,
        change_guesses: score_change_guesses(&truth.wallets, guesses),
        coinjoins: score_coinjoins(&truth.coinjoins, detected),
    })
}
