//! Address clustering scored against the simulator's wallet truth ([`WalletTruth`]): pairwise
//! precision and recall over address pairs, per chain; per merge heuristic, the precision of
//! the pairs its merges made; the clusters that collapsed; CoinJoin detection precision and
//! recall. The method is written up in docs/accuracy.md (*Clustering*).
//!
//! A partition is what the product's clustering says: each address with its cluster id and the
//! heuristic of the merge that brought it into its cluster (none for a cluster's first
//! address). Pairs are counted from contingency counts (how many addresses of each true owner
//! each cluster holds), so scoring is linear in the number of addresses.

use std::collections::{BTreeMap, HashMap, HashSet};

use chaintrail_core::{Chain, TxHash};
use chaintrail_sim::{Category, CoinJoinTruth, GroundTruth, TrueOwner, WalletTruth};
use serde::Serialize;

use crate::EvalError;

/// One address of a predicted partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub chain: Chain,
    /// As the product prints it (EVM addresses match whatever their case).
    pub address: String,
    /// The predicted cluster (ids are per chain).
    pub cluster: u64,
    /// The heuristic of the merge that brought this address into its cluster.
    pub heuristic: Option<String>,
}

/// When a predicted cluster counts as collapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollapseRule {
    /// A cluster holding addresses of more true owners than this has collapsed (whatever
    /// they are).
    pub max_owners: usize,
}

impl Default for CollapseRule {
    fn default() -> CollapseRule {
        CollapseRule { max_owners: 50 }
    }
}

/// A predicted cluster that merged what must stay apart: two or more services, or more true
/// owners than [`CollapseRule::max_owners`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollapsedCluster {
    pub cluster: u64,
    pub addresses: u64,
    pub owners: usize,
    /// Service entities (exchanges, mixers, bridges, DEXes, OTC desks, miners) among them.
    pub services: usize,
}

/// The precision of the pairs that one heuristic's merges made: for every address it brought
/// into a cluster, the pairs that address forms with the rest of its cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeuristicPairs {
    pub heuristic: String,
    pub addresses: u64,
    pub pairs: u128,
    pub correct_pairs: u128,
}

impl HeuristicPairs {
    pub fn precision(&self) -> f64 {
        ratio(self.correct_pairs, self.pairs)
    }
}

/// A partition of one chain's addresses scored against the truth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainScore {
    pub chain: Chain,
    /// Addresses of the truth on this chain; those the partition does not list are singletons.
    pub addresses: u64,
    /// Addresses the partition lists that the truth does not know (left out of every count).
    pub unknown: u64,
    /// Pairs of addresses in one predicted cluster.
    pub predicted_pairs: u128,
    /// Pairs of addresses of one true owner.
    pub true_pairs: u128,
    /// Pairs both.
    pub correct_pairs: u128,
    /// Predicted clusters of two or more addresses.
    pub clusters: u64,
    /// True owners with two or more addresses.
    pub owners: u64,
    pub collapsed: Vec<CollapsedCluster>,
    pub heuristics: Vec<HeuristicPairs>,
}

impl ChainScore {
    /// Share of predicted pairs that are true (1 when nothing was merged).
    pub fn precision(&self) -> f64 {
        ratio(self.correct_pairs, self.predicted_pairs)
    }

    /// Share of true pairs that were predicted (1 when no owner has two addresses).
    pub fn recall(&self) -> f64 {
        ratio(self.correct_pairs, self.true_pairs)
    }
}

fn ratio(part: u128, whole: u128) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

fn pairs(n: u64) -> u128 {
    u128::from(n) * u128::from(n.saturating_sub(1)) / 2
}

/// How addresses are matched: EVM addresses whatever their case, others exactly.
fn address_key(chain: Chain, address: &str) -> String {
    match chain {
        Chain::Evm(_) => address.to_ascii_lowercase(),
        _ => address.to_string(),
    }
}

/// The entities of the world that are services: a cluster holding two of them has collapsed.
pub fn service_entities(truth: &GroundTruth) -> HashSet<u32> {
    truth
        .entities
        .iter()
        .filter(|e| {
            matches!(
                e.category,
                Category::Exchange
                    | Category::Mixer
                    | Category::Bridge
                    | Category::Dex
                    | Category::Otc
                    | Category::Miner
            )
        })
        .map(|e| e.id)
        .collect()
}

/// Per chain of the truth, in chain order: a predicted partition's pairwise precision and
/// recall, its collapsed clusters, and the precision of each merge heuristic's pairs.
///
/// An address listed twice is refused: a partition gives each address one cluster.
pub fn score_partition(
    truth: &WalletTruth,
    services: &HashSet<u32>,
    partition: impl IntoIterator<Item = Assignment>,
    rule: CollapseRule,
) -> Result<Vec<ChainScore>, EvalError> {
    // Dense owner ids and each address's owner, per chain.
    let mut owner_ids: HashMap<TrueOwner, u32> = HashMap::new();
    let mut owner_is_service: Vec<bool> = Vec::new();
    let mut owner_of: HashMap<(Chain, String), u32> = HashMap::new();
    let mut owner_sizes: BTreeMap<Chain, HashMap<u32, u64>> = BTreeMap::new();
    for row in &truth.addresses {
        let next = owner_ids.len() as u32;
        let id = *owner_ids.entry(row.owner()).or_insert_with(|| {
            owner_is_service.push(row.entity.is_some_and(|e| services.contains(&e)));
            next
        });
        owner_of.insert((row.chain, address_key(row.chain, &row.address)), id);
        *owner_sizes
            .entry(row.chain)
            .or_default()
            .entry(id)
            .or_default() += 1;
    }
    // Contingency counts: addresses per (cluster, owner), per cluster, and per (cluster,
    // owner, heuristic) for the addresses a heuristic brought in.
    let mut listed: HashSet<(Chain, String)> = HashSet::new();
    let mut unknown: HashMap<Chain, u64> = HashMap::new();
    let mut cell: HashMap<(Chain, u64, u32), u64> = HashMap::new();
    let mut cluster_size: HashMap<(Chain, u64), u64> = HashMap::new();
    let mut merged_in: HashMap<(Chain, String, u64, u32), u64> = HashMap::new();
    for a in partition {
        let key = (a.chain, address_key(a.chain, &a.address));
        let Some(&owner) = owner_of.get(&key) else {
            *unknown.entry(a.chain).or_default() += 1;
            continue;
        };
        if !listed.insert(key) {
            return Err(EvalError::Partition(format!(
                "{} {} is listed in two clusters; give each address one cluster",
                a.chain, a.address
            )));
        }
        *cell.entry((a.chain, a.cluster, owner)).or_default() += 1;
        *cluster_size.entry((a.chain, a.cluster)).or_default() += 1;
        if let Some(h) = a.heuristic {
            *merged_in.entry((a.chain, h, a.cluster, owner)).or_default() += 1;
        }
    }
    let mut scores = Vec::new();
    for (&chain, sizes) in &owner_sizes {
        let mut score = ChainScore {
            chain,
            addresses: sizes.values().sum(),
            unknown: unknown.get(&chain).copied().unwrap_or(0),
            predicted_pairs: 0,
            true_pairs: sizes.values().map(|&n| pairs(n)).sum(),
            correct_pairs: 0,
            clusters: 0,
            owners: sizes.values().filter(|&&n| n >= 2).count() as u64,
            collapsed: Vec::new(),
            heuristics: Vec::new(),
        };
        let mut owners_in: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
        for (&(c, cluster, owner), &n) in &cell {
            if c != chain {
                continue;
            }
            score.correct_pairs += pairs(n);
            let (owners, service_owners) = owners_in.entry(cluster).or_default();
            *owners += 1;
            if owner_is_service[owner as usize] {
                *service_owners += 1;
            }
        }
        for (&(c, _), &n) in &cluster_size {
            if c == chain {
                score.predicted_pairs += pairs(n);
                score.clusters += u64::from(n >= 2);
            }
        }
        for (cluster, (owners, services)) in owners_in {
            if services >= 2 || owners > rule.max_owners {
                score.collapsed.push(CollapsedCluster {
                    cluster,
                    addresses: cluster_size[&(chain, cluster)],
                    owners,
                    services,
                });
            }
        }
        score.collapsed.sort_by(|a, b| {
            b.addresses
                .cmp(&a.addresses)
                .then(a.cluster.cmp(&b.cluster))
        });
        let mut by_heuristic: BTreeMap<&str, HeuristicPairs> = BTreeMap::new();
        for ((c, h, cluster, owner), &n) in &merged_in {
            if *c != chain {
                continue;
            }
            let entry = by_heuristic
                .entry(h.as_str())
                .or_insert_with(|| HeuristicPairs {
                    heuristic: h.clone(),
                    addresses: 0,
                    pairs: 0,
                    correct_pairs: 0,
                });
            let size = cluster_size[&(chain, *cluster)];
            let same_owner = cell[&(chain, *cluster, *owner)];
            entry.addresses += n;
            entry.pairs += u128::from(n) * u128::from(size - 1);
            entry.correct_pairs += u128::from(n) * u128::from(same_owner - 1);
        }
        score.heuristics = by_heuristic.into_values().collect();
        scores.push(score);
    }
    Ok(scores)
}

/// The truth's own partition: every address in its true owner's cluster (what a perfect
/// clustering would return; for tests and as the scorer's fixed point).
pub fn truth_partition(truth: &WalletTruth) -> Vec<Assignment> {
    let mut ids: HashMap<TrueOwner, u64> = HashMap::new();
    truth
        .addresses
        .iter()
        .map(|row| {
            let next = ids.len() as u64;
            let cluster = *ids.entry(row.owner()).or_insert(next);
            Assignment {
                chain: row.chain,
                address: row.address.clone(),
                cluster,
                heuristic: None,
            }
        })
        .collect()
}

/// One change guess of the evidence log: the transaction, the spender's address, the output
/// named change, and the change heuristics that voted for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeGuess {
    pub chain: Chain,
    pub tx: String,
    pub input: String,
    pub change: String,
    pub heuristics: Vec<String>,
}

/// How often the guesses a change heuristic voted for were right (the output's owner is the
/// spender's), whether or not the guess entered the partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuessScore {
    /// A change heuristic's name, or `any` for every guess.
    pub heuristic: String,
    pub guesses: u64,
    pub correct: u64,
    /// Guesses with an address the truth does not know (left out of both counts).
    pub unknown: u64,
}

impl GuessScore {
    pub fn precision(&self) -> f64 {
        ratio(u128::from(self.correct), u128::from(self.guesses))
    }
}

/// Score change guesses against the wallet truth, per heuristic that voted (a guess two
/// heuristics agreed on counts for both) and for `any`. A transaction guessed twice (the
/// fingerprint heuristic corroborating an earlier guess once its outputs were spent) counts
/// once, with its last guess.
pub fn score_change_guesses(
    truth: &WalletTruth,
    guesses: impl IntoIterator<Item = ChangeGuess>,
) -> Vec<GuessScore> {
    let owner_of: HashMap<(Chain, String), TrueOwner> = truth
        .addresses
        .iter()
        .map(|row| {
            (
                (row.chain, address_key(row.chain, &row.address)),
                row.owner(),
            )
        })
        .collect();
    let mut last: HashMap<(Chain, String), ChangeGuess> = HashMap::new();
    for g in guesses {
        last.insert((g.chain, g.tx.clone()), g);
    }
    let mut scores: BTreeMap<String, GuessScore> = BTreeMap::new();
    for g in last.into_values() {
        let owner = |a: &str| owner_of.get(&(g.chain, address_key(g.chain, a)));
        let verdict = match (owner(&g.input), owner(&g.change)) {
            (Some(a), Some(b)) => Some(a == b),
            _ => None,
        };
        for name in g.heuristics.iter().map(String::as_str).chain(["any"]) {
            let score = scores
                .entry(name.to_string())
                .or_insert_with(|| GuessScore {
                    heuristic: name.to_string(),
                    guesses: 0,
                    correct: 0,
                    unknown: 0,
                });
            match verdict {
                Some(right) => {
                    score.guesses += 1;
                    score.correct += u64::from(right);
                }
                None => score.unknown += 1,
            }
        }
    }
    scores.into_values().collect()
}

/// CoinJoin detection against the truth's CoinJoins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoinJoinScore {
    pub detected: u64,
    pub true_coinjoins: u64,
    pub correct: u64,
    /// Per kind (whirlpool, wasabi1, wasabi2): how many of the truth's were detected, of how
    /// many.
    pub by_kind: Vec<(String, u64, u64)>,
}

impl CoinJoinScore {
    pub fn precision(&self) -> f64 {
        ratio(u128::from(self.correct), u128::from(self.detected))
    }

    pub fn recall(&self) -> f64 {
        ratio(u128::from(self.correct), u128::from(self.true_coinjoins))
    }
}

/// Score the transactions a detector calls CoinJoins (each counted once).
pub fn score_coinjoins(
    truth: &[CoinJoinTruth],
    detected: impl IntoIterator<Item = TxHash>,
) -> CoinJoinScore {
    let detected: HashSet<TxHash> = detected.into_iter().collect();
    let mut by_kind: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for cj in truth {
        let (found, total) = by_kind.entry(cj.kind).or_default();
        *total += 1;
        *found += u64::from(detected.contains(&cj.txid));
    }
    let correct = by_kind.values().map(|&(found, _)| found).sum();
    CoinJoinScore {
        detected: detected.len() as u64,
        true_coinjoins: truth.len() as u64,
        correct,
        by_kind: by_kind
            .into_iter()
            .map(|(kind, (found, total))| (kind.to_string(), found, total))
            .collect(),
    }
}

fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// The *Clustering* section of docs/accuracy.md: how partitions are scored.
pub const METHOD_MARKDOWN: &str = "\
## Clustering

Address clusters are scored against the simulator's wallet truth (`wallets.csv`, docs/sim.md): \
the owner of every address on either chain, an entity (all of a service's or a thief's \
wallets) or a private wallet (a Bitcoin key store; on the EVM chain all EOAs of one user). The \
simulated wallets reuse addresses, consolidate and pay themselves, CoinJoin (Whirlpool, \
Wasabi 1.x and 2.0) and, on the EVM chain, pay one exchange deposit address from two EOAs.

* **Pairwise precision and recall**, per chain: over all pairs of the truth's addresses, \
precision = pairs in one predicted cluster that have one owner / pairs in one predicted \
cluster; recall = the same / pairs with one owner. An address the partition does not list is \
a cluster of its own; an address the truth does not know is left out (and counted). Pairs \
are counted from contingency counts (addresses per cluster and owner), not one by one. Large \
owners weigh most: an exchange's thousands of deposit addresses make most true pairs.
* **Per heuristic**: every address carries the heuristic of the merge that brought it into \
its cluster; a heuristic's precision is that of the pairs its addresses form with the rest \
of their clusters. Recall per heuristic comes from partitions built with that heuristic \
alone (one row per setting).
* **Collapsed clusters**: predicted clusters holding two or more service entities \
(exchanges, mixers, bridges, DEXes, OTC desks, miners), or addresses of more than 50 owners.
* **CoinJoin detection**: precision and recall of the transactions called CoinJoins against \
the truth's `coinjoins[]`, with recall per kind.

`chaintrail_eval::clustering::{score_partition, score_coinjoins, clustering_markdown}`; the \
truth's own partition scores 100% / 100%, and merging every CoinJoin's inputs on top of it \
(what the multi-input heuristic does without CoinJoin detection) costs precision and collapses \
clusters (`crates/eval/tests/clustering.rs`). Figures come with the clustering crate.
";

/// The *Clustering* tables of docs/accuracy.md: one row per (setting, chain) — a setting names
/// the heuristics that made the partition — then the precision of each heuristic's pairs, then
/// CoinJoin detection.
pub fn clustering_markdown(
    rows: &[(String, ChainScore)],
    change: &[GuessScore],
    coinjoins: &CoinJoinScore,
) -> String {
    let mut out = String::from(
        "| setting | chain | addresses | clusters | precision | recall | predicted pairs | true pairs | collapsed |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (setting, s) in rows {
        out.push_str(&format!(
            "| {setting} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            s.chain,
            s.addresses,
            s.clusters,
            percent(s.precision()),
            percent(s.recall()),
            s.predicted_pairs,
            s.true_pairs,
            s.collapsed.len()
        ));
    }
    out.push_str(
        "\n| setting | chain | heuristic | addresses merged | their pairs | precision |\n\
         |---|---|---|---:|---:|---:|\n",
    );
    for (setting, s) in rows {
        for h in &s.heuristics {
            out.push_str(&format!(
                "| {setting} | {} | {} | {} | {} | {} |\n",
                s.chain,
                h.heuristic,
                h.addresses,
                h.pairs,
                percent(h.precision())
            ));
        }
    }
    out.push_str(
        "\nChange guesses of the built-in build (the evidence log: every guess, in the partition \
         or not), per heuristic that voted for the guess:\n\n\
         | heuristic | guesses | right | precision | unknown to the truth |\n|---|---:|---:|---:|---:|\n",
    );
    for g in change {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            g.heuristic,
            g.guesses,
            g.correct,
            percent(g.precision()),
            g.unknown
        ));
    }
    out.push_str(&format!(
        "\nCoinJoin detection: {} detected, {} true, {} correct — precision {}, recall {}.\n\n\
         | kind | detected | of |\n|---|---:|---:|\n",
        coinjoins.detected,
        coinjoins.true_coinjoins,
        coinjoins.correct,
        percent(coinjoins.precision()),
        percent(coinjoins.recall())
    ));
    for (kind, found, total) in &coinjoins.by_kind {
        out.push_str(&format!("| {kind} | {found} | {total} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use chaintrail_core::BitcoinNetwork;
    use chaintrail_sim::AddressOwner;

    use super::*;

    const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);
    const EVM: Chain = Chain::Evm(31337);

    /// A truth from (chain, address, wallet, entity) rows.
    fn truth(rows: &[(Chain, &str, u32, Option<u32>)]) -> WalletTruth {
        WalletTruth {
            addresses: rows
                .iter()
                .map(|&(chain, address, wallet, entity)| AddressOwner {
                    chain,
                    address: address.to_string(),
                    wallet,
                    entity,
                })
                .collect(),
        }
    }

    fn assign(chain: Chain, address: &str, cluster: u64, heuristic: Option<&str>) -> Assignment {
        Assignment {
            chain,
            address: address.to_string(),
            cluster,
            heuristic: heuristic.map(str::to_string),
        }
    }

    /// Truth {a,b,c}{d}.
    fn abc_d() -> WalletTruth {
        truth(&[
            (BTC, "a", 1, None),
            (BTC, "b", 1, None),
            (BTC, "c", 1, None),
            (BTC, "d", 2, None),
        ])
    }

    #[test]
    fn pairs_are_counted_from_the_contingency_of_clusters_and_owners() {
        // Predicted {a,b}{c,d}: pairs ab, cd; true pairs ab, ac, bc; ab correct.
        let partition = vec![
            assign(BTC, "a", 10, None),
            assign(BTC, "b", 10, Some("multi_input")),
            assign(BTC, "c", 11, None),
            assign(BTC, "d", 11, Some("change")),
        ];
        let scores = score_partition(
            &abc_d(),
            &HashSet::new(),
            partition,
            CollapseRule::default(),
        )
        .expect("score");
        assert_eq!(scores.len(), 1);
        let s = &scores[0];
        assert_eq!(
            (s.predicted_pairs, s.true_pairs, s.correct_pairs),
            (2, 3, 1)
        );
        assert_eq!((s.precision(), s.recall()), (0.5, 1.0 / 3.0));
        assert_eq!((s.addresses, s.clusters, s.owners, s.unknown), (4, 2, 1, 0));
        // b joined {a,b} rightly (1 pair, right); d joined {c,d} wrongly (1 pair, wrong).
        assert_eq!(
            s.heuristics,
            vec![
                HeuristicPairs {
                    heuristic: "change".into(),
                    addresses: 1,
                    pairs: 1,
                    correct_pairs: 0
                },
                HeuristicPairs {
                    heuristic: "multi_input".into(),
                    addresses: 1,
                    pairs: 1,
                    correct_pairs: 1
                },
            ]
        );
    }

    #[test]
    fn unlisted_addresses_are_singletons_and_unknown_ones_are_left_out() {
        // Predicted {a,b,x}, c and d not listed, x unknown: 1 predicted pair (ab), right.
        let partition = vec![
            assign(BTC, "a", 1, None),
            assign(BTC, "b", 1, None),
            assign(BTC, "x", 1, None),
        ];
        let s = &score_partition(
            &abc_d(),
            &HashSet::new(),
            partition,
            CollapseRule::default(),
        )
        .expect("score")[0];
        assert_eq!(
            (s.predicted_pairs, s.true_pairs, s.correct_pairs, s.unknown),
            (1, 3, 1, 1)
        );
        assert_eq!((s.precision(), s.recall()), (1.0, 1.0 / 3.0));
        // Nothing merged: precision 1 by convention, recall 0.
        let s = &score_partition(&abc_d(), &HashSet::new(), vec![], CollapseRule::default())
            .expect("score")[0];
        assert_eq!((s.precision(), s.recall()), (1.0, 0.0));
    }

    #[test]
    fn evm_addresses_match_in_any_case_and_chains_are_scored_apart() {
        let t = truth(&[
            (EVM, "0xAbC0000000000000000000000000000000000001", 1, None),
            (EVM, "0xabc0000000000000000000000000000000000002", 1, None),
            (BTC, "bcrt1qa", 1, None),
            (BTC, "bcrt1qb", 1, None),
        ]);
        let partition = vec![
            assign(EVM, "0xabc0000000000000000000000000000000000001", 5, None),
            assign(EVM, "0xABC0000000000000000000000000000000000002", 5, None),
            // The same cluster id on the other chain is another cluster.
            assign(BTC, "bcrt1qa", 5, None),
        ];
        let scores =
            score_partition(&t, &HashSet::new(), partition, CollapseRule::default()).expect("ok");
        let by_chain: HashMap<Chain, (u128, u128, u128)> = scores
            .iter()
            .map(|s| (s.chain, (s.predicted_pairs, s.true_pairs, s.correct_pairs)))
            .collect();
        // Wallet 1 on Bitcoin and wallet 1 on the EVM chain are different owners.
        assert_eq!(by_chain[&EVM], (1, 1, 1));
        assert_eq!(by_chain[&BTC], (0, 1, 0));
    }

    #[test]
    fn an_address_in_two_clusters_is_refused() {
        let partition = vec![assign(BTC, "a", 1, None), assign(BTC, "a", 2, None)];
        let err = score_partition(
            &abc_d(),
            &HashSet::new(),
            partition,
            CollapseRule::default(),
        )
        .expect_err("refused");
        assert!(
            err.to_string().contains("a is listed in two clusters"),
            "{err}"
        );
    }

    #[test]
    fn clusters_of_two_services_or_too_many_owners_have_collapsed() {
        // Two exchanges (entities 7 and 8), a private user (wallet 3), users 4–6.
        let t = truth(&[
            (BTC, "x1", 100, Some(7)),
            (BTC, "x2", 101, Some(7)),
            (BTC, "y1", 102, Some(8)),
            (BTC, "u3", 3, None),
            (BTC, "u4", 4, None),
            (BTC, "u5", 5, None),
            (BTC, "u6", 6, None),
        ]);
        let services: HashSet<u32> = [7, 8].into();
        let partition = vec![
            // Exchange 7 and a user: fine.
            assign(BTC, "x1", 1, None),
            assign(BTC, "x2", 1, None),
            assign(BTC, "u3", 1, None),
            // Exchanges 7 and 8 (x2 is elsewhere): collapsed.
            assign(BTC, "y1", 2, None),
            assign(BTC, "u4", 2, None),
            // Three users: collapsed when more than two owners are too many.
            assign(BTC, "u5", 3, None),
            assign(BTC, "u6", 3, None),
        ];
        let mut partition_two_services = partition.clone();
        partition_two_services[1].cluster = 2;
        let s = &score_partition(
            &t,
            &services,
            partition_two_services,
            CollapseRule { max_owners: 2 },
        )
        .expect("score")[0];
        assert_eq!(
            s.collapsed,
            vec![CollapsedCluster {
                cluster: 2,
                addresses: 3,
                owners: 3,
                services: 2
            }]
        );
        let s = &score_partition(&t, &services, partition, CollapseRule { max_owners: 1 })
            .expect("score")[0];
        let collapsed: Vec<u64> = s.collapsed.iter().map(|c| c.cluster).collect();
        assert_eq!(collapsed, vec![1, 2, 3]);
    }

    #[test]
    fn coinjoin_detection_counts_each_transaction_once() {
        let tx = |b: u8| TxHash([b; 32]);
        let truth = vec![
            CoinJoinTruth {
                txid: tx(1),
                kind: "whirlpool",
                denomination: 1_000_000,
                equal_outputs: 5,
            },
            CoinJoinTruth {
                txid: tx(2),
                kind: "wasabi2",
                denomination: 8_192,
                equal_outputs: 7,
            },
            CoinJoinTruth {
                txid: tx(3),
                kind: "wasabi2",
                denomination: 5_000,
                equal_outputs: 3,
            },
        ];
        // Two right (one listed twice), one wrong.
        let s = score_coinjoins(&truth, [tx(1), tx(2), tx(2), tx(9)]);
        assert_eq!((s.detected, s.true_coinjoins, s.correct), (3, 3, 2));
        assert_eq!((s.precision(), s.recall()), (2.0 / 3.0, 2.0 / 3.0));
        assert_eq!(
            s.by_kind,
            vec![
                ("wasabi2".to_string(), 1, 2),
                ("whirlpool".to_string(), 1, 1)
            ]
        );
        let md = clustering_markdown(&[], &[], &s);
        assert!(md.contains("precision 66.7%, recall 66.7%"), "{md}");
        assert!(md.contains("| wasabi2 | 1 | 2 |"), "{md}");
    }

    #[test]
    fn change_guesses_count_for_every_heuristic_that_voted() {
        let t = abc_d();
        let guess = |input: &str, change: &str, hs: &[&str]| ChangeGuess {
            chain: BTC,
            tx: format!("{input}{change}"),
            input: input.into(),
            change: change.into(),
            heuristics: hs.iter().map(|h| h.to_string()).collect(),
        };
        let scores = score_change_guesses(
            &t,
            [
                guess("a", "b", &["fresh-address", "peel-chain"]),
                guess("a", "d", &["fresh-address"]),
                guess("c", "x", &["peel-chain"]),
                // Corroborated later by the fingerprint: the first guess of a → b no longer
                // counts.
                guess("a", "b", &["fresh-address", "peel-chain", "fingerprint"]),
            ],
        );
        let row = |h: &str| {
            let s = scores.iter().find(|s| s.heuristic == h).expect(h);
            (s.guesses, s.correct, s.unknown)
        };
        assert_eq!(row("any"), (2, 1, 1));
        assert_eq!(row("fresh-address"), (2, 1, 0));
        assert_eq!(row("peel-chain"), (1, 1, 1));
        assert_eq!(row("fingerprint"), (1, 1, 0));
        assert_eq!(scores.len(), 4);
    }
}
