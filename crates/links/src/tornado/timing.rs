//! Timing and the minimum anonymity set: a user who withdraws minutes after depositing hides
//! among the few notes deposited in those minutes only. A withdrawal is paired with each note
//! deposited into its pool within `WINDOW` before it, at one over their number — the
//! anonymity set the withdrawal reached — times the chance the withdrawal is such a quick one
//! at all.
//!
//! That chance is measured, per pool, against the reverse: in a busy pool a withdrawal follows
//! some deposit within minutes as often as it precedes one, and deposits *after* a withdrawal
//! cannot be its note. The share of withdrawals with a deposit just before them in excess of
//! those with one just after is the share of quick withdrawals.

use std::collections::HashMap;

use chaintrail_core::Address;

use super::{Candidate, Heuristic, Pools, Withdrawal};

/// How soon after a deposit a withdrawal is quick.
const WINDOW: u64 = 600;

/// Deposit times of one pool, sorted.
fn deposits_within(times: &[(u64, usize)], from: u64, to: u64) -> &[(u64, usize)] {
    let start = times.partition_point(|(t, _)| *t < from);
    let end = times.partition_point(|(t, _)| *t <= to);
    &times[start..end.max(start)]
}

pub(super) fn timing(p: &Pools, out: &mut Vec<Candidate>) {
    let mut by_pool: HashMap<&Address, Vec<(u64, usize)>> = HashMap::new();
    for (i, d) in p.deposits.iter().enumerate() {
        by_pool.entry(&d.pool).or_default().push((d.time, i));
    }
    for times in by_pool.values_mut() {
        times.sort();
    }
    let mut by_pool_withdrawals: HashMap<&Address, Vec<&Withdrawal>> = HashMap::new();
    for w in &p.withdrawals {
        by_pool_withdrawals.entry(&w.pool).or_default().push(w);
    }
    for (pool, withdrawals) in by_pool_withdrawals {
        let Some(times) = by_pool.get(pool) else {
            continue;
        };
        let before = |w: &Withdrawal| {
            deposits_within(
                times,
                w.time.saturating_sub(WINDOW),
                w.time.saturating_sub(1),
            )
        };
        let after = |w: &Withdrawal| deposits_within(times, w.time + 1, w.time + WINDOW);
        let preceded = withdrawals.iter().filter(|w| !before(w).is_empty()).count();
        let followed = withdrawals.iter().filter(|w| !after(w).is_empty()).count();
        // One more in the denominator: a handful of withdrawals measures little.
        let quick = (preceded.saturating_sub(followed)) as f64 / (preceded + 1) as f64;
        if quick <= 0.0 {
            continue;
        }
        for w in withdrawals {
            let set = before(w);
            for (_, i) in set {
                let d = &p.deposits[*i];
                out.push(Candidate {
                    chain: p.chain,
                    deposit: d.tx,
                    withdrawal: w.tx,
                    heuristic: Heuristic::Timing,
                    confidence: quick / set.len() as f64,
                    share: 1.0,
                    reason: format!(
                        "withdrawn {} s after the deposit, one of {} notes deposited into the pool in the {} minutes before ({:.0}% of the pool's withdrawals are that quick beyond chance)",
                        w.time - d.time,
                        set.len(),
                        WINDOW / 60,
                        100.0 * quick
                    ),
                });
            }
        }
    }
}
