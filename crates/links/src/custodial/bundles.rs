//! Payouts whose outputs were later spent together: by the multi-input heuristic one owner holds
//! them, so they are most likely parts of one payback and are matched as one unit — which also
//! makes a payback of several parts a combination of fewer units, far less often met by chance.

use std::collections::HashMap;

use chaintrail_store::TxId;

use super::flows::Payout;

/// The payouts of one mixer grouped by the transaction that later spent them together.
pub(crate) struct Bundles {
    /// The bundle of each payout (an index into `members`).
    of: Vec<usize>,
    members: Vec<Vec<usize>>,
}

impl Bundles {
    /// Group `payouts`: those spent by the same transaction form a bundle; the others stand
    /// alone.
    pub fn new(payouts: &[Payout]) -> Bundles {
        let mut by_spender: HashMap<TxId, usize> = HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut of = Vec::with_capacity(payouts.len());
        for (i, p) in payouts.iter().enumerate() {
            let bundle = match p.spent_by {
                Some(spender) => *by_spender.entry(spender).or_insert_with(|| {
                    members.push(Vec::new());
                    members.len() - 1
                }),
                None => {
                    members.push(Vec::new());
                    members.len() - 1
                }
            };
            members[bundle].push(i);
            of.push(bundle);
        }
        Bundles { of, members }
    }

    /// The units among the payouts `pool` (indices into the payouts, ascending): each bundle
    /// lying wholly in the pool is one unit; the payouts of a bundle only partly in it stand
    /// alone (what else their owner received came from elsewhere).
    pub fn units(&self, pool: &[usize]) -> Vec<Vec<usize>> {
        let mut seen: HashMap<usize, usize> = HashMap::new();
        for &p in pool {
            *seen.entry(self.of[p]).or_default() += 1;
        }
        let mut units = Vec::new();
        for &p in pool {
            let bundle = self.of[p];
            let members = &self.members[bundle];
            if seen[&bundle] == members.len() {
                // Once per bundle: at its first member.
                if members[0] == p {
                    units.push(members.clone());
                }
            } else {
                units.push(vec![p]);
            }
        }
        units
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payout(tx: TxId, spent_by: Option<TxId>) -> Payout {
        Payout {
            row: tx,
            tx,
            time: tx,
            value: 1,
            address: u32::try_from(tx).expect("a small id"),
            mixer: 0,
            spent_by,
        }
    }

    #[test]
    fn payouts_spent_together_are_one_unit_when_all_of_them_are_in_the_pool() {
        let payouts = [
            payout(1, Some(9)),
            payout(2, None),
            payout(3, Some(9)),
            payout(4, Some(8)),
        ];
        let bundles = Bundles::new(&payouts);
        assert_eq!(
            bundles.units(&[0, 1, 2, 3]),
            vec![vec![0, 2], vec![1], vec![3]]
        );
        // Payout 0's bundle is only half in the pool: payout 2 stands alone.
        assert_eq!(bundles.units(&[1, 2]), vec![vec![1], vec![2]]);
    }
}
