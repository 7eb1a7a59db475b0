//! Relayer behaviour: users keep to a relayer. When other heuristics tie some withdrawals to a
//! recipient with a depositor's notes, and the recipient's other withdrawals from the pool go
//! through the very relayer those used, they are likely the same user's too: each is paired
//! with the depositor's notes in its pool that no heuristic tied yet.
//!
//! A relayer serves many users, so this is weak evidence; its confidence is measured against
//! chance the way address match's is (`chance.rs`: the depositor's untied notes lie in other
//! pools only), never above `PRIOR`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chaintrail_core::{Address, TxHash};

use super::chance::{Control, PoolShares};
use super::{Candidate, Deposit, Heuristic, Pools, Withdrawal};

/// Ties at least this confident say who withdrew.
const TIED: f64 = 0.5;
/// What a shared relayer is worth where chance is nil.
const PRIOR: f64 = 0.7;

pub(super) fn relayer_behaviour(
    p: &Pools,
    shares: &PoolShares,
    known: &[Candidate],
) -> Vec<Candidate> {
    let deposits: HashMap<TxHash, &Deposit> = p.deposits.iter().map(|d| (d.tx, d)).collect();
    let withdrawals: HashMap<TxHash, &Withdrawal> =
        p.withdrawals.iter().map(|w| (w.tx, w)).collect();
    let tied: Vec<(&Deposit, &Withdrawal)> = known
        .iter()
        .filter(|c| c.confidence >= TIED && c.share >= 1.0)
        .filter_map(|c| Some((*deposits.get(&c.deposit)?, *withdrawals.get(&c.withdrawal)?)))
        .collect();
    let tied_deposits: HashSet<TxHash> = tied.iter().map(|(d, _)| d.tx).collect();
    let tied_withdrawals: HashSet<TxHash> = tied.iter().map(|(_, w)| w.tx).collect();
    // Per recipient: the depositors its tied withdrawals came from, with the relayers used.
    let mut ties: HashMap<&Address, BTreeMap<&Address, BTreeSet<&Address>>> = HashMap::new();
    for (d, w) in &tied {
        let relayer = if w.self_relayed {
            &w.sender
        } else {
            &w.relayer
        };
        ties.entry(&w.recipient)
            .or_default()
            .entry(&d.depositor)
            .or_default()
            .insert(relayer);
    }
    let mut untied: HashMap<&Address, Vec<&Deposit>> = HashMap::new();
    for d in p.deposits.iter().filter(|d| !tied_deposits.contains(&d.tx)) {
        untied.entry(&d.depositor).or_default().push(d);
    }
    let mut control = Control::default();
    let mut found: Vec<(&Withdrawal, &Address, Vec<&Deposit>)> = Vec::new();
    for w in p
        .withdrawals
        .iter()
        .filter(|w| !w.self_relayed && !tied_withdrawals.contains(&w.tx))
    {
        let Some(depositors) = ties.get(&w.recipient) else {
            continue;
        };
        for (depositor, relayers) in depositors {
            if relayers.len() != 1 || !relayers.contains(&w.relayer) {
                continue;
            }
            let earlier: Vec<&Deposit> = untied
                .get(depositor)
                .map(|ds| ds.iter().filter(|d| d.time < w.time).copied().collect())
                .unwrap_or_default();
            let (here, elsewhere): (Vec<&Deposit>, Vec<&Deposit>) =
                earlier.into_iter().partition(|d| d.pool == w.pool);
            if here.is_empty() && elsewhere.is_empty() {
                continue;
            }
            control.observe(shares, &w.pool, !here.is_empty());
            if !here.is_empty() {
                found.push((w, depositor, here));
            }
        }
    }
    let mut out = Vec::new();
    for (w, depositor, here) in found {
        let confidence = control.confidence(PRIOR) / here.len() as f64;
        for d in &here {
            out.push(Candidate {
                chain: p.chain,
                deposit: d.tx,
                withdrawal: w.tx,
                heuristic: Heuristic::RelayerBehaviour,
                confidence,
                share: 1.0,
                reason: format!(
                    "withdrawn through {}, the relayer of the recipient's withdrawals of {depositor}'s other notes ({})",
                    w.relayer,
                    control.describe()
                ),
            });
        }
    }
    out
}
