//! The EVM economy: each block's background transactions (payments, token transfers, DEX
//! swaps, exchange deposits and withdrawals, OTC trades, mixer and bridge use) and the
//! exchanges' sweeps.

use rand::Rng;

use super::World;
use crate::SimError;
use crate::evm::{BTCB, ETH, ETHER, GAS_TOKEN, GAS_TORNADO_DEPOSIT, GAS_TRANSFER, STK, USDC};

impl World<'_> {
    pub(super) fn pick_user(&mut self) -> u32 {
        self.users[self.rng.random_range(0..self.users.len())]
    }

    pub(super) fn evm_background(&mut self, b: u64) -> Result<(), SimError> {
        if b == self.n_blocks - 1 {
            // The last block always carries a swap to Bitcoin whose payout falls after the end.
            let candidates: Vec<u32> = (0..50).map(|_| self.pick_user()).collect();
            if let Some(u) = candidates
                .into_iter()
                .find(|&u| self.evm.can_pay(u, ETHER, GAS_TORNADO_DEPOSIT))
            {
                self.thor_user_eth_inbound(u, ETHER / 2, true)?;
            }
        }
        let target = self.cfg.scale * b / self.n_blocks;
        if b.is_multiple_of(25) {
            let x = (b / 25) as usize % self.exchanges.len();
            self.sweep_exchange(x)?;
        }
        let mut guard = 0;
        while self.bg_transfers < target && guard < 100_000 {
            guard += 1;
            let before = self.evm.block_transfers;
            self.evm_action()?;
            self.bg_transfers += self.evm.block_transfers - before;
        }
        Ok(())
    }

    fn evm_action(&mut self) -> Result<(), SimError> {
        let u = self.pick_user();
        let eth = self.evm.bal(u, ETH);
        let gas_reserve = self.evm.fee(u, GAS_TORNADO_DEPOSIT);
        let deadline = self.evm.block.timestamp + 1_200;
        if eth < 2 * gas_reserve {
            // Short of ETH: buy some at an exchange.
            let x = self.rng.random_range(0..self.exchanges.len());
            let hot = self.exchanges[x].hot;
            let v = self.rng.random_range(1..50u128) * ETHER / 10;
            if self.evm.can_pay(hot, v, GAS_TRANSFER) {
                self.evm.eth_transfer(hot, u, v)?;
            }
            return Ok(());
        }
        let spendable = eth - 2 * gas_reserve;
        let amount = spendable / 100 * self.rng.random_range(1..30);
        match self.rng.random_range(0..100) {
            0..36 | 80..85 => {
                let v = self.pick_user();
                self.evm.eth_transfer(u, v, amount)?;
            }
            36..50 => {
                let usdc = self.evm.bal(u, USDC);
                if usdc > 0 && !self.evm.is_frozen(u) {
                    let v = self.pick_user();
                    let a = usdc / 100 * self.rng.random_range(1..50);
                    self.evm.token_transfer(USDC, u, v, a.max(1))?;
                } else {
                    self.evm.swap_eth_for_tokens(u, USDC, amount, deadline)?;
                }
            }
            50..62 => {
                let x = self.rng.random_range(0..self.exchanges.len());
                let d = self.deposit_account(u, x);
                let usdc = self.evm.bal(u, USDC);
                if usdc > 0 && self.rng.random_bool(0.4) && !self.evm.is_frozen(u) {
                    self.evm.token_transfer(USDC, u, d, usdc / 2 + 1)?;
                } else {
                    self.evm.eth_transfer(u, d, amount)?;
                }
                if !self.exchanges[x].unswept.contains(&d) {
                    self.exchanges[x].unswept.push(d);
                }
            }
            62..70 => {
                let x = self.rng.random_range(0..self.exchanges.len());
                let hot = self.exchanges[x].hot;
                if self.rng.random_bool(0.5) {
                    let v = self.rng.random_range(1..5_000u128) * 1_000_000;
                    if self.evm.bal(hot, USDC) > v && self.evm.can_pay(hot, 0, GAS_TOKEN) {
                        self.evm.token_transfer(USDC, hot, u, v)?;
                    }
                } else {
                    let v = self.rng.random_range(1..100u128) * ETHER / 10;
                    if self.evm.can_pay(hot, v, GAS_TRANSFER) {
                        self.evm.eth_transfer(hot, u, v)?;
                    }
                }
            }
            70..80 => {
                let token = if self.rng.random_bool(0.7) { USDC } else { STK };
                let have = self.evm.bal(u, token);
                if have > 0
                    && self.rng.random_bool(0.5)
                    && !(token == USDC && self.evm.is_frozen(u))
                {
                    self.evm
                        .swap_tokens_for_eth(u, token, have / 2 + 1, deadline)?;
                } else if amount > 0 {
                    self.evm.swap_eth_for_tokens(u, token, amount, deadline)?;
                }
            }
            85..89 => {
                if amount > ETHER / 10 {
                    self.thor_user_eth_inbound(u, amount.min(20 * ETHER), false)?;
                }
            }
            89..93 => {
                // OTC: sell ETH to a broker, receive USDC.
                let o = self.otc[self.rng.random_range(0..self.otc.len())];
                if amount > ETHER / 10 {
                    self.evm.eth_transfer(u, o, amount)?;
                    let usdc = amount / 1_000_000_000_000 * 2_950;
                    if self.evm.bal(o, USDC) > usdc && self.evm.can_pay(o, 0, GAS_TOKEN) {
                        self.evm.token_transfer(USDC, o, u, usdc)?;
                    }
                }
            }
            93..96 => {
                let stk = self.evm.bal(u, STK);
                if stk > 0 {
                    let v = self.pick_user();
                    self.evm.token_transfer(STK, u, v, stk / 3 + 1)?;
                } else {
                    let v = self.pick_user();
                    self.evm.eth_transfer(u, v, amount)?;
                }
            }
            96..98 if !self.btcb_holders.is_empty() => {
                // A BTC.b holder pays it on: to an exchange deposit address or another user.
                let holder = self.btcb_holders[self.rng.random_range(0..self.btcb_holders.len())];
                let units = self.evm.bal(holder, BTCB);
                if units > 0 && self.evm.can_pay(holder, 0, GAS_TOKEN) {
                    let to = if self.rng.random_bool(0.6) {
                        let x = self.rng.random_range(0..self.exchanges.len());
                        let d = self.deposit_account(holder, x);
                        if !self.exchanges[x].unswept.contains(&d) {
                            self.exchanges[x].unswept.push(d);
                        }
                        d
                    } else {
                        self.pick_user()
                    };
                    let v = if self.rng.random_bool(0.5) {
                        units
                    } else {
                        units / 2 + 1
                    };
                    self.evm.token_transfer(BTCB, holder, to, v)?;
                }
            }
            _ => {
                let v = self.user_acct();
                self.users.push(v);
                self.evm.eth_transfer(u, v, amount)?;
            }
        }
        Ok(())
    }
}
