//! The CoinJoins of the Bitcoin economy: Whirlpool mixes and Wasabi 1.x rounds.

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
                let mut outs = Vec::new();
                for _ in 0..5 {
                    let a = self.bfresh(self.postmix);
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
}

fn utxo_vbytes(a: &Address) -> u64 {
    crate::btc::input_vbytes(a)
}
