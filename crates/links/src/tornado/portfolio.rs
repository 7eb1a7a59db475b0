//! Multi-denomination: an address deposits a portfolio of notes across pools within a day (3 ×
//! 10 ETH + 2 × 1 ETH); a recipient withdraws exactly that portfolio within a day, after. Tutela
//! (methods.md §3.2) links the recipient to every depositor whose portfolio equals *or
//! dominates* the withdrawn one, confidence one over their number: a user may withdraw part of
//! what it deposited, so a depositor who put in more is as good an origin as one who put in
//! exactly as much.
//!
//! Portfolios are read in every day-long window of an address's activity, not in its whole
//! history: an address that also deposits on other days (a reused address) still shows the
//! portfolio it deposited in one go, and a window holding an extra note still dominates it.
//! Only depositors whose portfolio equals the withdrawn one are paired note by note (within a
//! pool, in time order: which of its equal notes went out first is not on chain); the
//! dominating ones only share out the confidence.

use std::collections::{BTreeMap, BTreeSet};

use chaintrail_core::{Address, TxHash};

use super::{Candidate, Heuristic, Pools};

/// How long a portfolio takes to deposit, and to withdraw.
const WINDOW: u64 = 86_400;
/// A portfolio: at least this many notes across at least this many pools.
const MIN_NOTES: usize = 3;
const MIN_POOLS: usize = 2;
/// The confidence with one candidate depositor; dropped below `FLOOR` (Tutela's rule).
const PRIOR: f64 = 0.9;
const FLOOR: f64 = 0.2;

/// Notes per pool.
type Portfolio<'a> = BTreeMap<&'a Address, usize>;

/// One address's notes within a day.
struct Window<'a> {
    owner: &'a Address,
    first: u64,
    last: u64,
    portfolio: Portfolio<'a>,
    /// (pool, transaction), in time order.
    notes: Vec<(&'a Address, TxHash)>,
}

/// Every day-long window of each owner's notes that makes a portfolio. `items` are (owner,
/// time, pool, transaction).
fn windows<'a>(
    items: impl Iterator<Item = (&'a Address, u64, &'a Address, TxHash)>,
) -> Vec<Window<'a>> {
    let mut by_owner: BTreeMap<&Address, Vec<(u64, TxHash, &Address)>> = BTreeMap::new();
    for (owner, time, pool, tx) in items {
        by_owner.entry(owner).or_default().push((time, tx, pool));
    }
    let mut found = Vec::new();
    for (owner, mut events) in by_owner {
        events.sort();
        for start in 0..events.len() {
            let first = events[start].0;
            let within: Vec<&(u64, TxHash, &Address)> = events[start..]
                .iter()
                .take_while(|e| e.0 - first <= WINDOW)
                .collect();
            let mut portfolio = Portfolio::new();
            for (_, _, pool) in &within {
                *portfolio.entry(*pool).or_default() += 1;
            }
            if within.len() < MIN_NOTES || portfolio.len() < MIN_POOLS {
                continue;
            }
            found.push(Window {
                owner,
                first,
                last: within.last().map_or(first, |e| e.0),
                portfolio,
                notes: within.iter().map(|(_, tx, pool)| (*pool, *tx)).collect(),
            });
        }
    }
    found
}

fn dominates(big: &Portfolio, small: &Portfolio) -> bool {
    small
        .iter()
        .all(|(pool, n)| big.get(pool).is_some_and(|m| m >= n))
}

pub(super) fn multi_denomination(p: &Pools, out: &mut Vec<Candidate>) {
    let deposited = windows(
        p.deposits
            .iter()
            .map(|d| (&d.depositor, d.time, &d.pool, d.tx)),
    );
    let withdrawn = windows(
        p.withdrawals
            .iter()
            .map(|w| (&w.recipient, w.time, &w.pool, w.tx)),
    );
    // (deposit, withdrawal) → (confidence, reason); a pair met through several windows once.
    let mut pairs: BTreeMap<(TxHash, TxHash), (f64, String)> = BTreeMap::new();
    for w in &withdrawn {
        let before = deposited.iter().filter(|d| d.last < w.first);
        let mut origins: BTreeSet<&Address> = BTreeSet::new();
        // The latest equal window of each depositor.
        let mut sources: BTreeMap<&Address, &Window> = BTreeMap::new();
        for d in before {
            if !dominates(&d.portfolio, &w.portfolio) {
                continue;
            }
            origins.insert(d.owner);
            if d.portfolio == w.portfolio {
                sources.insert(d.owner, d);
            }
        }
        let confidence = PRIOR / origins.len().max(1) as f64;
        if sources.is_empty() || confidence < FLOOR {
            continue;
        }
        let notes: usize = w.portfolio.values().sum();
        let reason = format!(
            "the same portfolio of {notes} notes across {} pools deposited and withdrawn within a day each ({} address(es) deposited it or more before)",
            w.portfolio.len(),
            origins.len()
        );
        for source in sources.values() {
            for pool in w.portfolio.keys() {
                let of_pool = |notes: &[(&Address, TxHash)]| -> Vec<TxHash> {
                    notes
                        .iter()
                        .filter(|(p, _)| p == pool)
                        .map(|(_, tx)| *tx)
                        .collect()
                };
                for (d, wd) in of_pool(&source.notes).into_iter().zip(of_pool(&w.notes)) {
                    let slot = pairs.entry((d, wd)).or_insert((0.0, String::new()));
                    if confidence > slot.0 {
                        *slot = (confidence, reason.clone());
                    }
                }
            }
        }
    }
    for ((deposit, withdrawal), (confidence, reason)) in pairs {
        out.push(Candidate {
            chain: p.chain,
            deposit,
            withdrawal,
            heuristic: Heuristic::MultiDenomination,
            confidence,
            share: 1.0,
            reason,
        });
    }
}
