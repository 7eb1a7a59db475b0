//! How good the links and attributions derived from chain data are, against the simulator's
//! ground truth: precision and recall per decoder and detector, and per demixing heuristic.

use std::collections::{BTreeMap, BTreeSet};

use chaintrail_core::{Address, Chain, TxHash};
use chaintrail_links::{Attribution, LinkSet};
use chaintrail_sim::{Category, GroundTruth, Role};
use serde::Serialize;

/// Found against true, for one decoder or detector.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Detection {
    pub name: String,
    pub derived: u64,
    pub truth: u64,
    pub correct: u64,
    pub precision: f64,
    pub recall: f64,
    /// Of the correct ones: how many name the right recipient (links) or entity (attributions).
    pub right_target: u64,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn detection<K: Ord + Clone>(
    name: &str,
    derived: &BTreeMap<K, String>,
    truth: &BTreeMap<K, String>,
) -> Detection {
    let correct: Vec<&K> = derived.keys().filter(|k| truth.contains_key(k)).collect();
    let right_target = correct
        .iter()
        .filter(|k| derived.get(**k) == truth.get(**k))
        .count() as u64;
    Detection {
        name: name.to_string(),
        derived: derived.len() as u64,
        truth: truth.len() as u64,
        correct: correct.len() as u64,
        precision: ratio(correct.len() as u64, derived.len() as u64),
        recall: ratio(correct.len() as u64, truth.len() as u64),
        right_target,
    }
}

/// An address in its canonical form, so that derived and true addresses compare.
fn canonical(chain: Chain, text: &str) -> String {
    Address::parse(chain, text).map_or_else(|_| text.to_string(), |a| a.to_string())
}

/// Which decoder finds which protocol's links.
fn decoder_of(protocol: &str) -> &'static str {
    match protocol {
        "thorchain" => "thorchain",
        "btcb" => "avalanche-bridge",
        _ => "other",
    }
}

type LinkKey = (Chain, TxHash, Chain, TxHash);

/// Links and pending records per decoder (bridge inbounds without a payout, custodial mixer
/// deposits without a payback, against those whose payback is due after the world's end).
pub fn score_links(truth: &GroundTruth, set: &LinkSet) -> Vec<Detection> {
    let mut true_links: BTreeMap<&str, BTreeMap<LinkKey, String>> = BTreeMap::new();
    let mut true_pending: BTreeMap<&str, BTreeMap<(Chain, TxHash), String>> = BTreeMap::new();
    for b in &truth.bridge_links {
        let decoder = decoder_of(b.protocol);
        match b.out_tx {
            Some(out_tx) => {
                true_links.entry(decoder).or_default().insert(
                    (b.in_chain, b.in_tx, b.out_chain, out_tx),
                    canonical(b.out_chain, &b.out_address),
                );
            }
            None => {
                true_pending
                    .entry(decoder)
                    .or_default()
                    .insert((b.in_chain, b.in_tx), String::new());
            }
        }
    }
    for m in &truth.mixer_links {
        let (Some(withdrawal), Some(recipient)) = (m.withdrawal_tx, m.recipient.as_deref()) else {
            continue;
        };
        true_links.entry("tornado").or_default().insert(
            (truth.evm_chain, m.deposit_tx, truth.evm_chain, withdrawal),
            canonical(truth.evm_chain, recipient),
        );
    }
    for m in &truth.btc_mixer_links {
        // A deposit some of whose payback is due after the world's end stays in the mixer in
        // part: what an unmatched deposit's pending record says.
        if m.pending > 0 {
            true_pending
                .entry(chaintrail_links::custodial::DECODER)
                .or_default()
                .insert((truth.btc_chain, m.deposit_tx), String::new());
        }
        for (payout, address) in m.payout_txs.iter().zip(&m.payout_addresses) {
            true_links
                .entry(chaintrail_links::custodial::DECODER)
                .or_default()
                .insert(
                    (truth.btc_chain, m.deposit_tx, truth.btc_chain, *payout),
                    canonical(truth.btc_chain, address),
                );
        }
    }
    let mut derived_links: BTreeMap<&str, BTreeMap<LinkKey, String>> = BTreeMap::new();
    // Bulk movers' pieces claim a batch, not a pair: scored as batches by `score_demixing`.
    let bulk = format!(
        "heuristic {}",
        chaintrail_links::tornado::Heuristic::BulkMovers.as_str()
    );
    for l in set.links() {
        if l.decoder == "tornado" && l.evidence.starts_with(&bulk) {
            continue;
        }
        derived_links.entry(l.decoder.as_str()).or_default().insert(
            (l.from_chain, l.from_tx, l.to_chain, l.to_tx),
            l.to_address
                .as_deref()
                .map_or_else(String::new, |a| canonical(l.to_chain, a)),
        );
    }
    let mut derived_pending: BTreeMap<&str, BTreeMap<(Chain, TxHash), String>> = BTreeMap::new();
    for p in set.pending_inbounds() {
        derived_pending
            .entry(p.decoder.as_str())
            .or_default()
            .insert((p.chain, p.tx), String::new());
    }
    let empty_links = BTreeMap::new();
    let empty_pending = BTreeMap::new();
    let decoders: BTreeSet<&str> = true_links
        .keys()
        .chain(derived_links.keys())
        .chain(true_pending.keys())
        .chain(derived_pending.keys())
        .copied()
        .collect();
    let mut out = Vec::new();
    for decoder in decoders {
        out.push(detection(
            &format!("{decoder} links"),
            derived_links.get(decoder).unwrap_or(&empty_links),
            true_links.get(decoder).unwrap_or(&empty_links),
        ));
        out.push(detection(
            &format!("{decoder} pending inbounds"),
            derived_pending.get(decoder).unwrap_or(&empty_pending),
            true_pending.get(decoder).unwrap_or(&empty_pending),
        ));
    }
    out
}

/// Attributions per detector: exchange and OTC deposit addresses (account and UTXO chains), the
/// co-spent wallet addresses of exchanges, OTC desks and miners, bridge vaults and deposit
/// addresses, and — apart, since no detector targets them yet — the custodial mixer's own
/// addresses. The truth is every address of those roles the day-one labels do not name.
pub fn score_attributions(truth: &GroundTruth, attributions: &[Attribution]) -> Vec<Detection> {
    const MIXER: &str = "custodial mixer addresses (any detector)";
    const MINER: &str = "cospend-utxo (miners)";
    let custodial = |c: Category| matches!(c, Category::Exchange | Category::Otc);
    let mut wanted: BTreeMap<&str, BTreeMap<(Chain, String), String>> = BTreeMap::new();
    for entity in &truth.entities {
        for a in &entity.addresses {
            let key = (a.chain, canonical(a.chain, &a.address));
            if a.day_one_labelled {
                continue;
            }
            let detector = match (entity.category, a.role, a.chain) {
                (c, Role::Deposit, Chain::Evm(_)) if custodial(c) => "deposit-account",
                (c, Role::Deposit, Chain::Bitcoin(_)) if custodial(c) => "deposit-utxo",
                (
                    Category::Exchange | Category::Otc,
                    Role::HotWallet | Role::Wallet | Role::Main,
                    Chain::Bitcoin(_),
                ) => "cospend-utxo",
                (Category::Miner, Role::Wallet | Role::Coinbase, Chain::Bitcoin(_)) => MINER,
                (Category::Mixer, Role::Pool | Role::Deposit, Chain::Bitcoin(_)) => MIXER,
                (Category::Bridge, Role::Vault | Role::Router, _) => "thorchain",
                (Category::Bridge, Role::Deposit, _) => "avalanche-bridge",
                _ => continue,
            };
            wanted
                .entry(detector)
                .or_default()
                .insert(key, entity.name.clone());
        }
    }
    let mut found: BTreeMap<&str, BTreeMap<(Chain, String), String>> = BTreeMap::new();
    for a in attributions {
        let key = (a.chain, canonical(a.chain, &a.address));
        let detector = match a.role {
            chaintrail_labels::Category::Mixer => MIXER,
            chaintrail_labels::Category::Miner => MINER,
            _ => a.detector.as_str(),
        };
        found
            .entry(detector)
            .or_default()
            .insert(key, a.name.clone());
    }
    let names: BTreeSet<&str> = wanted.keys().chain(found.keys()).copied().collect();
    let empty = BTreeMap::new();
    names
        .into_iter()
        .map(|name| {
            detection(
                name,
                found.get(name).unwrap_or(&empty),
                wanted.get(name).unwrap_or(&empty),
            )
        })
        .collect()
}

/// Each demixing heuristic alone, and the combined links at confidence 0.8 or more, against the
/// mixers' true deposit → withdrawal pairs.
pub fn score_demixing(
    truth: &GroundTruth,
    set: &LinkSet,
    candidates: &[chaintrail_links::tornado::Candidate],
) -> Vec<Detection> {
    let true_pairs: BTreeMap<(TxHash, TxHash), String> = truth
        .mixer_links
        .iter()
        .filter_map(|m| Some(((m.deposit_tx, m.withdrawal_tx?), String::new())))
        .collect();
    let mut out = Vec::new();
    for heuristic in chaintrail_links::tornado::Heuristic::ALL {
        let proposed: BTreeMap<(TxHash, TxHash), String> = candidates
            .iter()
            .filter(|c| c.heuristic == heuristic)
            .map(|c| ((c.deposit, c.withdrawal), String::new()))
            .collect();
        out.push(detection(
            &format!("tornado: {} (alone)", heuristic.as_str()),
            &proposed,
            &true_pairs,
        ));
    }
    // Bulk movers claim a batch, not a pair: a withdrawal's share of a note is right when the
    // note and the withdrawal are the same heist's. Counted in notes (shares summed), per heist.
    let heist_of: BTreeMap<TxHash, &str> = truth
        .mixer_links
        .iter()
        .filter_map(|m| {
            let heist = m.heist.as_deref()?;
            Some([(m.deposit_tx, heist), (m.withdrawal_tx?, heist)])
        })
        .flatten()
        .collect();
    let mut heists: BTreeMap<&str, (f64, f64, u64)> = BTreeMap::new();
    for m in &truth.mixer_links {
        if let (Some(heist), Some(_)) = (m.heist.as_deref(), m.withdrawal_tx) {
            heists.entry(heist).or_default().2 += 1;
        }
    }
    let mut all = (0.0, 0.0, heists.values().map(|h| h.2).sum::<u64>());
    for c in candidates
        .iter()
        .filter(|c| c.heuristic == chaintrail_links::tornado::Heuristic::BulkMovers)
    {
        let right = heist_of
            .get(&c.deposit)
            .filter(|h| heist_of.get(&c.withdrawal) == Some(h));
        all.0 += c.share;
        if let Some(heist) = heist_of.get(&c.deposit) {
            let slot = heists.entry(heist).or_default();
            slot.0 += c.share;
            if right.is_some() {
                slot.1 += c.share;
                all.1 += c.share;
            }
        }
    }
    let batch = |name: String, (derived, correct, truth): (f64, f64, u64)| Detection {
        name,
        derived: derived.round() as u64,
        truth,
        correct: correct.round() as u64,
        precision: if derived > 0.0 {
            correct / derived
        } else {
            0.0
        },
        recall: if truth > 0 {
            correct / truth as f64
        } else {
            0.0
        },
        right_target: correct.round() as u64,
    };
    out.push(batch(
        "tornado: bulk movers, batch right (same heist; notes)".to_string(),
        all,
    ));
    for (heist, counts) in heists {
        out.push(batch(
            format!("tornado: bulk movers, batch right: notes of {heist}"),
            counts,
        ));
    }
    let confident: BTreeMap<(TxHash, TxHash), String> = set
        .links()
        .iter()
        .filter(|l| l.decoder == "tornado" && l.confidence >= 0.8)
        .map(|l| ((l.from_tx, l.to_tx), String::new()))
        .collect();
    out.push(detection(
        "tornado links with confidence >= 0.8",
        &confident,
        &true_pairs,
    ));
    out
}

/// A part of a custodial mixer's payback: deposit transaction, payout transaction, payout
/// address.
type PartKey = (TxHash, TxHash, String);

/// Custodial mixer demixing against the mixer's true paybacks, part by part (deposit, payout
/// transaction, payout address): every fit of each heuristic alone (before assignment), the
/// links at confidence 0.8 and 0.5 or more, and the deposits whose whole payback is linked
/// exactly (against the deposits paid back in full within the world).
pub fn score_custodial(
    truth: &GroundTruth,
    set: &LinkSet,
    candidates: &[chaintrail_links::custodial::Candidate],
) -> Vec<Detection> {
    let chain = truth.btc_chain;
    let mut true_parts: BTreeMap<PartKey, String> = BTreeMap::new();
    let mut paybacks: BTreeMap<TxHash, BTreeSet<(TxHash, String)>> = BTreeMap::new();
    for m in &truth.btc_mixer_links {
        for (payout, address) in m.payout_txs.iter().zip(&m.payout_addresses) {
            let address = canonical(chain, address);
            true_parts.insert((m.deposit_tx, *payout, address.clone()), String::new());
            if m.pending == 0 {
                paybacks
                    .entry(m.deposit_tx)
                    .or_default()
                    .insert((*payout, address));
            }
        }
    }
    let mut heuristics: BTreeMap<&str, BTreeMap<PartKey, String>> = BTreeMap::new();
    for c in candidates {
        let proposed = heuristics.entry(c.heuristic).or_default();
        for (payout, address) in &c.payouts {
            proposed.insert(
                (c.deposit, *payout, canonical(chain, address)),
                String::new(),
            );
        }
    }
    let mut out: Vec<Detection> = heuristics
        .iter()
        .map(|(heuristic, proposed)| {
            detection(
                &format!("custodial-mixer: {heuristic} (alone)"),
                proposed,
                &true_parts,
            )
        })
        .collect();
    let links: Vec<&chaintrail_links::Link> = set
        .links()
        .iter()
        .filter(|l| l.decoder == chaintrail_links::custodial::DECODER)
        .collect();
    for floor in [0.8, 0.5] {
        let linked: BTreeMap<PartKey, String> = links
            .iter()
            .filter(|l| l.confidence >= floor)
            .map(|l| {
                let address = l.to_address.as_deref().unwrap_or_default();
                (
                    (l.from_tx, l.to_tx, canonical(chain, address)),
                    String::new(),
                )
            })
            .collect();
        out.push(detection(
            &format!("custodial-mixer links with confidence >= {floor}"),
            &linked,
            &true_parts,
        ));
    }
    let mut linked_paybacks: BTreeMap<TxHash, BTreeSet<(TxHash, String)>> = BTreeMap::new();
    for l in &links {
        let address = canonical(chain, l.to_address.as_deref().unwrap_or_default());
        linked_paybacks
            .entry(l.from_tx)
            .or_default()
            .insert((l.to_tx, address));
    }
    let exact = linked_paybacks
        .iter()
        .filter(|(deposit, parts)| paybacks.get(*deposit) == Some(*parts))
        .count() as u64;
    out.push(Detection {
        name: "custodial-mixer deposits linked to their whole payback".to_string(),
        derived: linked_paybacks.len() as u64,
        truth: paybacks.len() as u64,
        correct: exact,
        precision: ratio(exact, linked_paybacks.len() as u64),
        recall: ratio(exact, paybacks.len() as u64),
        right_target: exact,
    });
    out
}
