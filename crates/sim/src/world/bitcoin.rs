//! The Bitcoin economy: each block's background payments (users, exchange withdrawals and
//! deposits, miner payouts, bridge inbounds, mixer entries) and the periodic housekeeping of the
//! services.

use rand::Rng;

use super::{EVM_BLOCKS_PER_BTC, World};
use crate::SimError;
use crate::btc::{Change, MAX_FEERATE, SUBSIDY, Select};

impl World<'_> {
    pub(super) fn btc_block(&mut self, height: u64, ts: u64) -> Result<(), SimError> {
        self.btc.feerate = self.rng.random_range(2..=MAX_FEERATE);
        if let Some(tasks) = self.btasks.remove(&height) {
            for t in tasks {
                self.run_btask(height, t)?;
            }
        }
        self.blendery_pay_due(height)?;
        self.blendery_large_users(height)?;
        let n_btc_blocks = (self.n_blocks / EVM_BLOCKS_PER_BTC).max(1);
        let target = (self.cfg.scale / 10) * height / n_btc_blocks;
        let mut guard = 0;
        while self.bg_btc_txs < target && guard < 100_000 {
            guard += 1;
            let before = self.btc.block.txs.len();
            self.btc_background(height)?;
            self.bg_btc_txs += (self.btc.block.txs.len() - before) as u64;
        }
        if height == (self.n_blocks - 1) / EVM_BLOCKS_PER_BTC {
            self.late_btc_inbounds()?;
        }
        if height.is_multiple_of(6) {
            self.btc_housekeeping()?;
        }
        self.whirlpool_mixes()?;
        let w = self.b_miners[0];
        let done = self.btc.finish_block(w, SUBSIDY, height + 1, ts + 600);
        self.emit_btc(done)
    }

    /// The last Bitcoin block always carries a THORChain swap and a BTC.b deposit, whose payouts
    /// fall after the world's end (pending in the truth).
    fn late_btc_inbounds(&mut self) -> Result<(), SimError> {
        for bridge in 0..2 {
            let candidates: Vec<usize> = (0..50).map(|_| self.pick_user_w()).collect();
            let Some(u) = candidates
                .into_iter()
                .find(|&u| self.btc.balance(u) > 2_000_000)
            else {
                continue;
            };
            let sats = self.btc.balance(u) / 2;
            if bridge == 0 {
                self.thor_user_btc_inbound(u, sats, true)?;
            } else {
                self.btcb_user_deposit(u, sats)?;
            }
        }
        Ok(())
    }

    pub(super) fn pick_user_w(&mut self) -> usize {
        self.b_users[self.rng.random_range(0..self.b_users.len())]
    }

    fn btc_background(&mut self, height: u64) -> Result<(), SimError> {
        let roll = self.rng.random_range(0..100);
        let u = self.pick_user_w();
        let bal = self.btc.balance(u);
        if self.pays_itself() && bal >= 200_000 {
            return self.self_payment(u);
        }
        if bal < 200_000 || (55..60).contains(&roll) {
            // A user short of coins buys some, or withdraws what they hold at an exchange: a
            // batched exchange withdrawal.
            let x = self.rng.random_range(0..self.exchanges.len());
            let n = self.rng.random_range(1..=8);
            let mut outs = Vec::new();
            for i in 0..n {
                let w = if i == 0 { u } else { self.pick_user_w() };
                let a = self.breceive(w);
                let v = self.rng.random_range(1..100u64) * 1_000_000;
                outs.push((w, a, v));
            }
            self.exchange_withdraw(x, outs)?;
            return Ok(());
        }
        let amount = bal / 100 * self.rng.random_range(1..40);
        match roll {
            49..52 => self.thor_user_btc_inbound(u, amount, false)?,
            52..55 => self.btcb_user_deposit(u, amount)?,
            0..49 => {
                let v = self.pick_user_w();
                let a = self.breceive(v);
                let change = if self.rng.random_bool(0.2) {
                    let reuse = self.btc.wallets[u].utxos[0].addr.clone();
                    Change::To(reuse)
                } else {
                    Change::Fresh
                };
                self.btc.pay(
                    &mut self.rng,
                    u,
                    Select::Random,
                    vec![(v, a, amount)],
                    None,
                    change,
                )?;
            }
            60..70 => {
                let x = self.rng.random_range(0..self.exchanges.len());
                let dw = self.exchanges[x].btc_deposits;
                let a = match self.btc_deposit_addr.get(&(u, x)) {
                    Some(a) => a.clone(),
                    None => {
                        let a = self.bfresh(dw);
                        self.btc_deposit_addr.insert((u, x), a.clone());
                        a
                    }
                };
                self.btc.pay(
                    &mut self.rng,
                    u,
                    Select::Random,
                    vec![(dw, a, amount)],
                    None,
                    Change::Fresh,
                )?;
            }
            70..75 => self.blendery_user_deposit(u, amount, height)?,
            75..79 => self.whirlpool_tx0(u, amount)?,
            79..84 => {
                let o = self.rng.random_range(0..self.b_otc.len());
                let (ow, a) = self.b_otc[o].clone();
                self.btc.pay(
                    &mut self.rng,
                    u,
                    Select::Random,
                    vec![(ow, a, amount)],
                    None,
                    Change::Fresh,
                )?;
            }
            84..90 => {
                // Postmix coins leave Whirlpool to a user.
                if let Some(utxo) = self.btc.wallets[self.postmix].utxos.pop() {
                    let a = self.breceive(u);
                    let fee = self.btc.fee_for(&[&utxo.addr], &[&a], 0);
                    let v = utxo.value - fee;
                    self.btc.emit(vec![utxo], vec![(u, a, v)], None)?;
                }
            }
            _ => {
                // Miner payout batch.
                let m = self.b_miners[0];
                let n = self.rng.random_range(5..40);
                let mut outs = Vec::new();
                for _ in 0..n {
                    let w = self.pick_user_w();
                    let a = self.breceive(w);
                    outs.push((w, a, self.rng.random_range(100_000..5_000_000)));
                }
                let change = self.bfresh(m);
                self.btc.pay(
                    &mut self.rng,
                    m,
                    Select::Random,
                    outs,
                    None,
                    Change::To(change),
                )?;
            }
        }
        Ok(())
    }

    fn btc_housekeeping(&mut self) -> Result<(), SimError> {
        for x in 0..self.exchanges.len() {
            self.consolidate_deposits(x)?;
        }
        self.blendery_sweep()?;
        self.wasabi_round()?;
        if self.habits.random_bool(super::habits::WASABI2_CHANCE) {
            self.wasabi2_round()?;
        }
        Ok(())
    }
}
