//! Taint policies, written once for both chain models.
//!
//! A [`Holder`] is where value sits and mixes: a UTXO transaction (all inputs arrive, then the
//! outputs and the fee leave, in one instant) or an (account, asset) balance (inflows and outflows
//! interleaved in time). Value arrives as [`Lot`]s — runs of tainted or clean units — and the
//! policy decides which units each outflow carries:
//!
//! | policy | outflow carries | conserves value |
//! |---|---|---|
//! | poison | everything, once any taint arrived | no (an upper bound) |
//! | haircut | the holder's tainted fraction `x · T / B`, split exactly over its tags and clean rest (largest remainder; ties go to clean units) | yes |
//! | fifo | the oldest units first (Clayton's case; the UTXO interval waterfill) | yes |
//! | lifo | the newest units first | yes |
//! | tiho | tainted units first; UTXO outputs are filled largest first | yes |
//!
//! Conventions (tested by property tests): within one inflow the tainted units come before the
//! clean ones when an inflow is given as totals; a UTXO transaction's fee is an implicit last
//! output that drains what is left, so `Σ taint(outputs) + taint(fee) = Σ taint(inputs)` exactly;
//! an outflow larger than what the holder is known to hold (history before the store began) is
//! topped up with clean units.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::str::FromStr;

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

/// How taint is assigned when tainted and clean value mix in one holder (methods.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Policy {
    /// Everything a tainted holder sends is tainted (an upper bound on reach).
    Poison,
    /// Each outflow carries the holder's tainted share.
    Haircut,
    /// First in, first out.
    Fifo,
    /// Last in, first out.
    Lifo,
    /// Taint in, highest out: tainted units first; UTXO outputs filled largest first.
    Tiho,
}

impl Policy {
    /// Every policy.
    pub const ALL: [Policy; 5] = [
        Policy::Poison,
        Policy::Haircut,
        Policy::Fifo,
        Policy::Lifo,
        Policy::Tiho,
    ];

    /// Whether taint is conserved (poison is not: it is an upper bound on reach).
    pub fn conserves_value(self) -> bool {
        self != Policy::Poison
    }

    /// The policy's name (`fifo`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Poison => "poison",
            Policy::Haircut => "haircut",
            Policy::Fifo => "fifo",
            Policy::Lifo => "lifo",
            Policy::Tiho => "tiho",
        }
    }

    /// The order in which a UTXO transaction's outputs are filled.
    pub fn output_order(self, values: &[u128]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..values.len()).collect();
        if self == Policy::Tiho {
            order.sort_by_key(|&i| (std::cmp::Reverse(values[i]), i));
        }
        order
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that names no policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown taint policy `{0}`: use poison, haircut, fifo, lifo or tiho")]
pub struct UnknownPolicy(pub String);

impl FromStr for Policy {
    type Err = UnknownPolicy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Policy::ALL
            .into_iter()
            .find(|p| p.as_str() == s.to_ascii_lowercase())
            .ok_or_else(|| UnknownPolicy(s.to_string()))
    }
}

/// Tag of clean units. Any other tag marks tainted units; forward traces use [`TAINT`], provenance
/// traces one tag per source so that an outflow says which inflows it consists of.
pub const CLEAN: u32 = 0;
/// The tag of tainted units in a forward trace.
pub const TAINT: u32 = 1;

/// A run of units with one tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// Units in the run.
    pub amount: u128,
    /// Its tag: clean, tainted, or a seed's.
    pub tag: u32,
}

impl Lot {
    /// Whether the run is tainted.
    pub fn tainted(&self) -> bool {
        self.tag != CLEAN
    }
}

/// Runs of units in order, adjacent runs of the same tag merged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lots(pub Vec<Lot>);

impl Lots {
    /// `amount` clean units.
    pub fn clean(amount: u128) -> Lots {
        Lots::tagged(amount, CLEAN)
    }

    /// `amount` tainted units.
    pub fn tainted(amount: u128) -> Lots {
        Lots::tagged(amount, TAINT)
    }

    /// `amount` units of `tag`.
    pub fn tagged(amount: u128, tag: u32) -> Lots {
        let mut lots = Lots::default();
        lots.push(amount, tag);
        lots
    }

    /// `taint` tainted units then `amount − taint` clean ones.
    pub fn split(amount: u128, taint: u128) -> Lots {
        let taint = taint.min(amount);
        let mut lots = Lots::default();
        lots.push(taint, TAINT);
        lots.push(amount - taint, CLEAN);
        lots
    }

    /// Append `amount` units of `tag`, merged with the last run if it has that tag.
    pub fn push(&mut self, amount: u128, tag: u32) {
        if amount == 0 {
            return;
        }
        match self.0.last_mut() {
            Some(last) if last.tag == tag => last.amount += amount,
            _ => self.0.push(Lot { amount, tag }),
        }
    }

    /// Units in all runs.
    pub fn total(&self) -> u128 {
        self.0.iter().map(|l| l.amount).sum()
    }

    /// Tainted units in all runs.
    pub fn taint(&self) -> u128 {
        self.0
            .iter()
            .filter(|l| l.tainted())
            .map(|l| l.amount)
            .sum()
    }

    /// Units per tag, tainted tags only.
    pub fn by_tag(&self) -> BTreeMap<u32, u128> {
        let mut tags = BTreeMap::new();
        for lot in self.0.iter().filter(|l| l.tainted()) {
            *tags.entry(lot.tag).or_insert(0) += lot.amount;
        }
        tags
    }
}

/// A holder's state under one policy.
#[derive(Debug, Clone)]
pub struct Holder {
    policy: Policy,
    /// FIFO / LIFO: the runs of units held, oldest first.
    lots: VecDeque<Lot>,
    balance: u128,
    /// Units held per tainted tag.
    tags: BTreeMap<u32, u128>,
    poisoned: bool,
}

impl Holder {
    /// An empty holder under `policy`.
    pub fn new(policy: Policy) -> Holder {
        Holder {
            policy,
            lots: VecDeque::new(),
            balance: 0,
            tags: BTreeMap::new(),
            poisoned: false,
        }
    }

    /// Its policy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Units held (as far as the holder has seen).
    pub fn balance(&self) -> u128 {
        self.balance
    }

    /// Tainted units held.
    pub fn tainted(&self) -> u128 {
        if self.policy == Policy::Poison && self.poisoned {
            self.balance
        } else {
            self.tags.values().sum()
        }
    }

    /// Receive `lots`.
    pub fn inflow(&mut self, lots: &Lots) {
        for lot in &lots.0 {
            // Callers keep balances within 128 bits: the engine reports a holder whose balance
            // would not fit as `too_large` before it gets here.
            self.balance = self.balance.saturating_add(lot.amount);
            if lot.tainted() {
                *self.tags.entry(lot.tag).or_insert(0) += lot.amount;
                self.poisoned = true;
            }
            if matches!(self.policy, Policy::Fifo | Policy::Lifo) {
                match self.lots.back_mut() {
                    Some(last) if last.tag == lot.tag => last.amount += lot.amount,
                    _ => self.lots.push_back(*lot),
                }
            }
        }
    }

    /// Remove `amount` units; returns the runs they consist of.
    pub fn outflow(&mut self, amount: u128) -> Lots {
        if amount > self.balance {
            // Units the holder had before the known history: clean by assumption.
            let missing = amount - self.balance;
            self.inflow_front_clean(missing);
        }
        let mut out = Lots::default();
        match self.policy {
            Policy::Poison => {
                out.push(amount, if self.poisoned { TAINT } else { CLEAN });
            }
            Policy::Haircut => {
                // Every tag and the clean rest give up the same fraction of what they hold.
                let held: u128 = self.tags.values().sum();
                let mut parts: Vec<u128> = self.tags.values().copied().collect();
                parts.push(self.balance - held.min(self.balance));
                let takes = split_exact(amount, &parts, self.balance);
                for ((&tag, _), take) in self.tags.iter().zip(&takes) {
                    out.push(*take, tag);
                }
                out.push(takes.last().copied().unwrap_or(0), CLEAN);
            }
            Policy::Tiho => {
                let mut need = amount;
                for (&tag, &held) in &self.tags {
                    let take = need.min(held);
                    out.push(take, tag);
                    need -= take;
                }
                out.push(need, CLEAN);
            }
            Policy::Fifo | Policy::Lifo => {
                let mut need = amount;
                while need > 0 {
                    let lot = match self.policy {
                        Policy::Fifo => self.lots.front_mut(),
                        _ => self.lots.back_mut(),
                    };
                    let Some(lot) = lot else { break };
                    let take = need.min(lot.amount);
                    out.push(take, lot.tag);
                    lot.amount -= take;
                    need -= take;
                    if lot.amount == 0 {
                        match self.policy {
                            Policy::Fifo => self.lots.pop_front(),
                            _ => self.lots.pop_back(),
                        };
                    }
                }
            }
        }
        self.balance -= amount;
        if self.policy != Policy::Poison {
            for (tag, units) in out.by_tag() {
                if let Some(held) = self.tags.get_mut(&tag) {
                    *held -= units.min(*held);
                    if *held == 0 {
                        self.tags.remove(&tag);
                    }
                }
            }
        }
        out
    }

    fn inflow_front_clean(&mut self, amount: u128) {
        self.balance += amount;
        if matches!(self.policy, Policy::Fifo | Policy::Lifo) {
            match self.lots.front_mut() {
                Some(first) if !first.tainted() => first.amount += amount,
                _ => self.lots.push_front(Lot { amount, tag: CLEAN }),
            }
        }
    }
}

/// Split `amount` over `parts` (summing to `total`) in proportion, exactly: each part gets its
/// rounded-down share and the units left over go one each to the largest remainders (Hamilton's
/// method), so no part gives more than it holds when `amount ≤ total`.
fn split_exact(amount: u128, parts: &[u128], total: u128) -> Vec<u128> {
    if total == 0 {
        return vec![0; parts.len()];
    }
    let wide_total = U256::from(total);
    let mut shares = Vec::with_capacity(parts.len());
    let mut remainders = Vec::with_capacity(parts.len());
    for (i, &part) in parts.iter().enumerate() {
        let product = U256::from(amount) * U256::from(part);
        shares.push(u128::try_from(product / wide_total).unwrap_or(part));
        remainders.push((product % wide_total, i));
    }
    let given: u128 = shares.iter().sum();
    let mut left = amount.min(total).saturating_sub(given);
    // Ties go to the later part: the clean rest comes last, so taint is not overstated.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        if shares[i] < parts[i] {
            shares[i] += 1;
            left -= 1;
        }
    }
    shares
}

/// Spend a UTXO transaction: the inputs' runs arrive in order, the outputs are filled in the
/// policy's order and the fee drains the rest. Returns the runs of each output (in output order)
/// and of the fee.
pub fn spend_utxo(policy: Policy, inputs: &[Lots], outputs: &[u128]) -> (Vec<Lots>, Lots) {
    let mut holder = Holder::new(policy);
    let mut ordered: Vec<Lot> = inputs.iter().flat_map(|l| l.0.iter().copied()).collect();
    if policy == Policy::Tiho {
        // Tainted units are poured first.
        ordered.sort_by_key(|l| !l.tainted());
    }
    let mut merged = Lots::default();
    for lot in ordered {
        merged.push(lot.amount, lot.tag);
    }
    holder.inflow(&merged);
    let mut filled = vec![Lots::default(); outputs.len()];
    for index in policy.output_order(outputs) {
        let take = outputs[index].min(holder.balance());
        filled[index] = holder.outflow(take);
        let short = outputs[index] - take;
        filled[index].push(short, CLEAN);
    }
    let fee_amount = holder.balance();
    let fee = holder.outflow(fee_amount);
    (filled, fee)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lots_strategy() -> impl Strategy<Value = Lots> {
        proptest::collection::vec((1u128..1_000_000_000_000u128, any::<bool>()), 1..4).prop_map(
            |runs| {
                let mut lots = Lots::default();
                for (amount, tainted) in runs {
                    lots.push(amount, if tainted { TAINT } else { CLEAN });
                }
                lots
            },
        )
    }

    #[test]
    fn fifo_is_the_interval_waterfill() {
        // Inputs: 5 clean, 3 tainted; outputs 4 and 3, fee 1.
        let inputs = [Lots::clean(5), Lots::tainted(3)];
        let (outs, fee) = spend_utxo(Policy::Fifo, &inputs, &[4, 3]);
        assert_eq!(outs[0].taint(), 0);
        assert_eq!(
            outs[1],
            Lots(vec![
                Lot {
                    amount: 1,
                    tag: CLEAN
                },
                Lot {
                    amount: 2,
                    tag: TAINT
                }
            ])
        );
        assert_eq!(fee.taint(), 1);
        let (outs, fee) = spend_utxo(Policy::Lifo, &inputs, &[4, 3]);
        assert_eq!((outs[0].taint(), outs[1].taint(), fee.taint()), (3, 0, 0));
        let (outs, fee) = spend_utxo(Policy::Tiho, &inputs, &[3, 4]);
        assert_eq!((outs[0].taint(), outs[1].taint(), fee.taint()), (0, 3, 0));
        let (outs, fee) = spend_utxo(Policy::Haircut, &inputs, &[4, 3]);
        assert_eq!((outs[0].taint(), outs[1].taint(), fee.taint()), (1, 1, 1));
        let (outs, fee) = spend_utxo(Policy::Poison, &inputs, &[4, 3]);
        assert_eq!((outs[0].taint(), outs[1].taint(), fee.taint()), (4, 3, 1));
    }

    #[test]
    fn account_lot_queues() {
        let mut fifo = Holder::new(Policy::Fifo);
        fifo.inflow(&Lots::clean(10));
        fifo.inflow(&Lots::tainted(5));
        assert_eq!(fifo.outflow(12).taint(), 2);
        assert_eq!(fifo.tainted(), 3);
        let mut lifo = Holder::new(Policy::Lifo);
        lifo.inflow(&Lots::clean(10));
        lifo.inflow(&Lots::tainted(5));
        assert_eq!(lifo.outflow(6).taint(), 5);
        let mut haircut = Holder::new(Policy::Haircut);
        haircut.inflow(&Lots::clean(75));
        haircut.inflow(&Lots::tainted(25));
        assert_eq!(haircut.outflow(40).taint(), 10);
        // Spending more than the known balance: the unknown earlier units are clean.
        let mut short = Holder::new(Policy::Fifo);
        short.inflow(&Lots::tainted(5));
        assert_eq!(
            short.outflow(8),
            Lots(vec![
                Lot {
                    amount: 3,
                    tag: CLEAN
                },
                Lot {
                    amount: 5,
                    tag: TAINT
                }
            ])
        );
    }

    proptest! {
        #[test]
        fn utxo_policies_conserve_taint(
            inputs in proptest::collection::vec(lots_strategy(), 1..6),
            shares in proptest::collection::vec(1u32..100, 1..6),
            fee_share in 0u32..20,
        ) {
            let total: u128 = inputs.iter().map(Lots::total).sum();
            let weight: u128 = shares.iter().map(|&s| u128::from(s)).sum::<u128>() + u128::from(fee_share);
            let outputs: Vec<u128> = shares.iter().map(|&s| total * u128::from(s) / weight).collect();
            let taint_in: u128 = inputs.iter().map(Lots::taint).sum();
            for policy in Policy::ALL {
                let (outs, fee) = spend_utxo(policy, &inputs, &outputs);
                for (out, &value) in outs.iter().zip(&outputs) {
                    prop_assert_eq!(out.total(), value);
                }
                prop_assert_eq!(outs.iter().map(Lots::total).sum::<u128>() + fee.total(), total);
                let taint_out = outs.iter().map(Lots::taint).sum::<u128>() + fee.taint();
                if policy.conserves_value() {
                    prop_assert_eq!(taint_out, taint_in, "policy {}", policy);
                } else {
                    prop_assert!(taint_out >= taint_in);
                }
            }
        }

        #[test]
        fn every_source_is_conserved_separately(
            events in proptest::collection::vec((any::<bool>(), 1u128..1_000_000_000, 0u32..5), 1..60),
        ) {
            for policy in [Policy::Haircut, Policy::Fifo, Policy::Lifo, Policy::Tiho] {
                let mut holder = Holder::new(policy);
                let mut received: BTreeMap<u32, u128> = BTreeMap::new();
                let mut sent: BTreeMap<u32, u128> = BTreeMap::new();
                for &(incoming, amount, tag) in &events {
                    if incoming {
                        *received.entry(tag).or_default() += amount;
                        holder.inflow(&Lots::tagged(amount, tag));
                    } else {
                        let amount = amount.min(holder.balance());
                        let out = holder.outflow(amount);
                        prop_assert_eq!(out.total(), amount);
                        for (tag, units) in out.by_tag() {
                            *sent.entry(tag).or_default() += units;
                        }
                    }
                    prop_assert!(holder.tainted() <= holder.balance(), "policy {}", policy);
                }
                received.remove(&CLEAN);
                let mut left = holder.clone();
                let rest = left.outflow(left.balance()).by_tag();
                for (tag, got) in received {
                    let out = sent.get(&tag).copied().unwrap_or(0) + rest.get(&tag).copied().unwrap_or(0);
                    prop_assert_eq!(out, got, "policy {} tag {}", policy, tag);
                }
            }
        }

        #[test]
        fn account_policies_conserve_taint(
            events in proptest::collection::vec((any::<bool>(), 1u128..1_000_000_000, 0u8..=100), 1..60),
        ) {
            for policy in Policy::ALL {
                let mut holder = Holder::new(policy);
                let (mut taint_in, mut taint_out) = (0u128, 0u128);
                let (mut units_in, mut units_out) = (0u128, 0u128);
                for &(incoming, amount, percent) in &events {
                    if incoming {
                        let lots = Lots::split(amount, amount * u128::from(percent) / 100);
                        taint_in += lots.taint();
                        units_in += amount;
                        holder.inflow(&lots);
                    } else {
                        let amount = amount.min(holder.balance());
                        let out = holder.outflow(amount);
                        prop_assert_eq!(out.total(), amount);
                        taint_out += out.taint();
                        units_out += amount;
                    }
                }
                prop_assert_eq!(holder.balance(), units_in - units_out);
                prop_assert!(holder.tainted() <= holder.balance());
                if policy.conserves_value() {
                    prop_assert_eq!(taint_out + holder.tainted(), taint_in, "policy {}", policy);
                }
            }
        }
    }
}
