//! How often a heuristic fires by chance, measured on the store itself rather than assumed.
//!
//! Address match, linked addresses and relayer behaviour relate a withdrawal's recipient to a
//! depositor address. The relation says the depositor's note funds the withdrawal only when the
//! depositor put a note into the *withdrawal's* pool; when it deposited into other pools only,
//! the relation cannot be about the note withdrawn — it is what the relation looks like between
//! addresses that are not the same user's withdrawal (a payment to someone who once used the
//! mixer, a recipient that later paid a depositor). If such coincidences do not care which pool
//! the depositor used, a depositor related by chance deposited into the withdrawal's pool with
//! the odds `q / (1 − q)` of doing so rather than only elsewhere, `q` being the share of the
//! store's depositor addresses that used the pool. So every cross-pool relation predicts `q /
//! (1 − q)` same-pool relations by chance, and the share of the same-pool relations that are not
//! chance — the heuristic's precision on this store — is `1 − expected / observed`.

use std::collections::{HashMap, HashSet};

use chaintrail_core::Address;

use super::Pools;

/// A pool that holds more than this share of the depositors leaves too few elsewhere to
/// measure chance with.
const MAX_POOL_SHARE: f64 = 0.9;

/// The share of the store's depositor addresses that deposited into each pool.
pub(super) struct PoolShares(HashMap<Address, f64>);

impl PoolShares {
    pub(super) fn of(p: &Pools) -> PoolShares {
        let mut depositors: HashMap<&Address, HashSet<&Address>> = HashMap::new();
        let mut everyone: HashSet<&Address> = HashSet::new();
        for d in &p.deposits {
            depositors.entry(&d.pool).or_default().insert(&d.depositor);
            everyone.insert(&d.depositor);
        }
        let total = everyone.len().max(1) as f64;
        PoolShares(
            depositors
                .into_iter()
                .map(|(pool, who)| (pool.clone(), who.len() as f64 / total))
                .collect(),
        )
    }

    /// How many same-pool chance relations one cross-pool relation predicts for `pool`; none
    /// when the pool holds nearly every depositor.
    fn odds(&self, pool: &Address) -> Option<f64> {
        let q = *self.0.get(pool)?;
        (q <= MAX_POOL_SHARE).then(|| q / (1.0 - q))
    }
}

/// One evidence class's relations: found within the withdrawal's pool, and the number expected
/// there by chance.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Control {
    same_pool: f64,
    by_chance: f64,
}

impl Control {
    /// A relation between a withdrawal from `pool` and a depositor who deposited into it before
    /// (`same_pool`), or only into other pools before.
    pub(super) fn observe(&mut self, shares: &PoolShares, pool: &Address, same_pool: bool) {
        let Some(odds) = shares.odds(pool) else {
            return;
        };
        if same_pool {
            self.same_pool += 1.0;
        } else {
            self.by_chance += odds;
        }
    }

    /// The share of the same-pool relations that are not chance; none when nothing was
    /// measurable (a store with one pool, or no relation in a pool with others beside it).
    pub(super) fn precision(&self) -> Option<f64> {
        (self.same_pool > 0.0).then(|| (1.0 - self.by_chance / self.same_pool).clamp(0.0, 1.0))
    }

    /// The confidence of one relation: the measured precision, never above `prior` (what the
    /// heuristic is worth where chance is nil), `prior` itself when nothing was measurable.
    pub(super) fn confidence(&self, prior: f64) -> f64 {
        self.precision().map_or(prior, |p| p.min(prior))
    }

    /// How the confidence came about, for a link's reason.
    pub(super) fn describe(&self) -> String {
        match self.precision() {
            Some(p) => format!(
                "{:.0}% of {} such relations in the store are not chance",
                100.0 * p,
                self.same_pool
            ),
            None => "chance not measurable in this store".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: u8) -> Address {
        Address::Evm([n; 20])
    }

    fn shares(q: &[(u8, f64)]) -> PoolShares {
        PoolShares(q.iter().map(|(n, q)| (pool(*n), *q)).collect())
    }

    #[test]
    fn cross_pool_relations_predict_same_pool_chance_by_the_pools_odds() {
        // Pool 1 holds a quarter of the depositors: each cross-pool relation predicts 1/3 of a
        // same-pool one. 6 cross-pool relations predict 2 of the 10 same-pool ones.
        let shares = shares(&[(1, 0.25), (2, 0.8)]);
        let mut control = Control::default();
        for _ in 0..10 {
            control.observe(&shares, &pool(1), true);
        }
        for _ in 0..6 {
            control.observe(&shares, &pool(1), false);
        }
        let precision = control.precision().expect("measured");
        assert!((precision - 0.8).abs() < 1e-9, "{precision}");
        assert!((control.confidence(0.95) - 0.8).abs() < 1e-9);
        assert!((control.confidence(0.7) - 0.7).abs() < 1e-9);
    }

    #[test]
    fn a_pool_holding_nearly_every_depositor_measures_nothing() {
        let shares = shares(&[(1, 0.95)]);
        let mut control = Control::default();
        control.observe(&shares, &pool(1), true);
        control.observe(&shares, &pool(1), false);
        assert_eq!(control.precision(), None);
        assert_eq!(control.confidence(0.9), 0.9);
    }

    #[test]
    fn more_chance_than_relations_is_no_precision_at_all() {
        let shares = shares(&[(1, 0.5)]);
        let mut control = Control::default();
        control.observe(&shares, &pool(1), true);
        control.observe(&shares, &pool(1), false);
        control.observe(&shares, &pool(1), false);
        assert_eq!(control.precision(), Some(0.0));
    }
}
