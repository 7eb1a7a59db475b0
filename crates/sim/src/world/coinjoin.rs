//! The CoinJoins of the Bitcoin economy: Whirlpool mixes, Wasabi 1.x and Wasabi 2.0 rounds.

use chaintrail_core::Address;
use rand::Rng;

use super::World;
use crate::SimError;
use crate::btc::{Change, Select};
use crate::truth::CoinJoinTruth;

impl World<'_> {
    /// A Whirlpool Tx0: premix outputs, coordinator fee, toxic change, OP_RETURN.
    pub(super) fn whirlpool_tx0(&mut self, u: usize, amount: u64) -> Result<(), SimError> {
        let denom = if amount > 6 * 5_000_000 {
            5_000_000
        } else {
            1_000_000
        };
        let n = (amount / (denom + 1_000)).min(5);
        if n >= 1 {
            let mut outs = Vec::new();
            for _ in 0..n {
                let a = self.bfresh(self.premix);
                // Premix and postmix are shared wallets: each coin is its Tx0 maker's.
                self.btc.assign(&a, u);
                outs.push((self.premix, a, denom + 1_000));
            }
            let c = self.bfresh(self.whirl_coord);
            outs.push((self.whirl_coord, c, denom / 20));
            let mut payload = vec![0u8; 46];
            self.rng.fill(&mut payload[..]);
            self.btc.pay(
                &mut self.rng,
                u,
                Select::Random,
                outs,
                Some(payload),
                Change::Fresh,
            )?;
        }
        Ok(())
    }

    /// Whirlpool mixes: 5 in / 5 out of the pool denomination; 2 fresh premix entrants pay the
    /// miner fee, 3 remixers ride free.
    pub(super) fn whirlpool_mixes(&mut self) -> Result<(), SimError> {
        for denom in [1_000_000u64, 5_000_000] {
            loop {
                let pre: Vec<usize> = self.btc.wallets[self.premix]
                    .utxos
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| u.value == denom + 1_000)
                    .map(|(i, _)| i)
                    .take(5)
                    .collect();
                let post: Vec<usize> = self.btc.wallets[self.postmix]
                    .utxos
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| u.value == denom)
                    .map(|(i, _)| i)
                    .take(3)
                    .collect();
                let (n_pre, n_post) = if post.len() >= 3 && pre.len() >= 2 {
                    (2, 3)
                } else if pre.len() >= 5 {
                    (5, 0)
                } else {
                    break;
                };
                let mut inputs = Vec::new();
                for &i in pre[..n_pre].iter().rev() {
                    inputs.push(self.btc.wallets[self.premix].utxos.swap_remove(i));
                }
                for &i in post[..n_post].iter().rev() {
                    inputs.push(self.btc.wallets[self.postmix].utxos.swap_remove(i));
                }
                let owners: Vec<Option<usize>> =
                    inputs.iter().map(|i| self.btc.owner(&i.addr)).collect();
                let mut outs = Vec::new();
                for owner in owners {
                    let a = self.bfresh(self.postmix);
                    if let Some(owner) = owner {
                        self.btc.assign(&a, owner);
                    }
                    outs.push((self.postmix, a, denom));
                }
                let txid = self.btc.emit(inputs, outs, None)?;
                self.coinjoins.push(CoinJoinTruth {
                    txid,
                    kind: "whirlpool",
                    denomination: denom,
                    equal_outputs: 5,
                });
            }
        }
        Ok(())
    }

    /// A Wasabi 1.x round: many equal ~0.1 BTC outputs, one change per participant, the
    /// coordinator fee output.
    pub(super) fn wasabi_round(&mut self) -> Result<(), SimError> {
        let denom = 10_000_000 - self.rng.random_range(0..20_000u64);
        let want = self.rng.random_range(5..=15);
        let mut inputs = Vec::new();
        let mut outs = Vec::new();
        let mut coord_fee = 0;
        let mut seen = Vec::new();
        for _ in 0..want * 4 {
            if seen.len() == want {
                break;
            }
            let u = self.pick_user_w();
            if seen.contains(&u) {
                continue;
            }
            let Some(i) = self.btc.wallets[u]
                .utxos
                .iter()
                .position(|x| x.value > denom + 200_000)
            else {
                continue;
            };
            let utxo = self.btc.wallets[u].utxos.swap_remove(i);
            let fee_share = (utxo_vbytes(&utxo.addr) + 62) * self.btc.feerate;
            let cfee = denom * 3 / 1_000;
            let change = utxo.value - denom - cfee - fee_share;
            let a = self.bfresh(u);
            outs.push((u, a, denom));
            let c = self.bfresh(u);
            outs.push((u, c, change));
            coord_fee += cfee;
            inputs.push(utxo);
            seen.push(u);
        }
        if seen.len() < 5 {
            for (u, utxo) in seen.into_iter().zip(inputs) {
                self.btc.wallets[u].utxos.push(utxo);
            }
            // The fresh outputs were never created; nothing was emitted.
            return Ok(());
        }
        let a = self.bfresh(self.wasabi_coord);
        outs.push((self.wasabi_coord, a, coord_fee));
        let n = seen.len();
        let txid = self.btc.emit(inputs, outs, None)?;
        self.coinjoins.push(CoinJoinTruth {
            txid,
            kind: "wasabi1",
            denomination: denom,
            equal_outputs: n,
        });
        Ok(())
    }

    /// A Wasabi 2.0 round: 10–40 participants bring 1–3 coins each and get their value back as
    /// standard denominations (greedy, up to eight outputs; a rest worth an output becomes a
    /// change output, a smaller one goes to the miners); no coordinator fee output; inputs and
    /// outputs ordered by value, largest first.
    pub(super) fn wasabi2_round(&mut self) -> Result<(), SimError> {
        let denominations = wasabi2_denominations();
        let want = self.habits.random_range(10..=40);
        let feerate = self.btc.feerate;
        let mut inputs = Vec::new();
        let mut outs = Vec::new();
        let mut seen: Vec<usize> = Vec::new();
        for _ in 0..want * 4 {
            if seen.len() == want {
                break;
            }
            let u = self.b_users[self.habits.random_range(0..self.b_users.len())];
            if seen.contains(&u) {
                continue;
            }
            let n_coins = self.habits.random_range(1..=3);
            let mut picked: Vec<usize> = (0..self.btc.wallets[u].utxos.len())
                .filter(|&i| self.btc.wallets[u].utxos[i].value >= 100_000)
                .take(n_coins)
                .collect();
            if picked.is_empty() {
                continue;
            }
            picked.sort_unstable_by(|a, b| b.cmp(a));
            let coins: Vec<_> = picked
                .into_iter()
                .map(|i| self.btc.wallets[u].utxos.swap_remove(i))
                .collect();
            let value: u64 = coins.iter().map(|c| c.value).sum();
            // The participant pays for its inputs and for as many outputs as it can get.
            let in_vbytes: u64 = coins.iter().map(|c| utxo_vbytes(&c.addr)).sum();
            let fee = (in_vbytes + 43 * (WASABI2_MAX_OUTPUTS as u64 + 1)) * feerate;
            let (parts, rest) = decompose(value.saturating_sub(fee), &denominations);
            for v in parts {
                let a = self.bfresh(u);
                outs.push((u, a, v));
            }
            if rest >= WASABI2_MIN_VALUE {
                let c = self.bfresh(u);
                outs.push((u, c, rest));
            }
            inputs.extend(coins.into_iter().map(|c| (u, c)));
            seen.push(u);
        }
        if seen.len() < 10 {
            for (u, coin) in inputs {
                self.btc.wallets[u].utxos.push(coin);
            }
            // The fresh outputs were never created; nothing was emitted.
            return Ok(());
        }
        let mut inputs: Vec<_> = inputs.into_iter().map(|(_, coin)| coin).collect();
        inputs.sort_by_key(|c| std::cmp::Reverse(c.value));
        outs.sort_by_key(|o| std::cmp::Reverse(o.2));
        let mut counts: std::collections::BTreeMap<u64, usize> = Default::default();
        for o in &outs {
            *counts.entry(o.2).or_default() += 1;
        }
        let (denomination, equal_outputs) = counts
            .into_iter()
            .max_by_key(|&(v, n)| (n, v))
            .unwrap_or_default();
        let txid = self.btc.emit(inputs, outs, None)?;
        self.coinjoins.push(CoinJoinTruth {
            txid,
            kind: "wasabi2",
            denomination,
            equal_outputs,
        });
        Ok(())
    }
}

/// The smallest output and coin of a Wasabi 2.0 round (sats).
const WASABI2_MIN_VALUE: u64 = 5_000;
/// The most standard-denomination outputs one participant gets.
const WASABI2_MAX_OUTPUTS: usize = 8;

/// Wasabi 2.0's standard denominations from 5,000 sats up to 1,374 BTC, largest first: powers
/// of 2 and of 3, twice the powers of 3, and 1, 2 and 5 times the powers of 10.
fn wasabi2_denominations() -> Vec<u64> {
    const MAX: u64 = 137_438_953_472;
    let mut d = Vec::new();
    for (start, factor) in [(1u64, 2u64), (1, 3), (2, 3), (1, 10), (2, 10), (5, 10)] {
        let mut v = start;
        while v <= MAX {
            if v >= WASABI2_MIN_VALUE {
                d.push(v);
            }
            v *= factor;
        }
    }
    d.sort_unstable_by(|a, b| b.cmp(a));
    d.dedup();
    d
}

/// `budget` as standard denominations, greedily, at most [`WASABI2_MAX_OUTPUTS`] of them, and
/// what is left.
fn decompose(mut budget: u64, denominations: &[u64]) -> (Vec<u64>, u64) {
    let mut parts = Vec::new();
    for &d in denominations {
        while budget >= d && parts.len() < WASABI2_MAX_OUTPUTS {
            parts.push(d);
            budget -= d;
        }
    }
    (parts, budget)
}

fn utxo_vbytes(a: &Address) -> u64 {
    crate::btc::input_vbytes(a)
}
