//! How the exchanges move customer funds, so that chain data reveals their deposit addresses as
//! it does on mainnet:
//! - EVM: every customer has a deposit address; every 25 blocks the exchange sweeps each deposit
//!   address's whole balance to its hot wallet (tokens after a gas top-up from the hot wallet);
//! - Bitcoin: deposit addresses are consolidated into a fresh hot-wallet address every 6 blocks;
//!   batched withdrawals spend the hot wallet's big coin at one of its initial (publicly known)
//!   addresses together with up to eight later hot-wallet coins, change back to that initial
//!   address, so multi-input clustering ties every later hot address to a known one.

use chaintrail_core::Address;

use super::World;
use crate::SimError;
use crate::btc::Paid;
use crate::evm::{BTCB, ETH, ETHER, GAS_TOKEN, GAS_TRANSFER, USDC};

/// An exchange: its EVM hot wallet and deposit addresses waiting for a sweep, its Bitcoin hot
/// and deposit wallets.
pub(super) struct Exchange {
    pub entity: u32,
    pub hot: u32,
    pub unswept: Vec<u32>,
    pub btc_hot: usize,
    /// The hot wallet's first addresses (the ones an investigator knows on day one); its
    /// withdrawals spend from them and send their change back to them.
    pub btc_initial: Vec<Address>,
    pub btc_deposits: usize,
}

/// Later hot-wallet coins a withdrawal spends along with the big one (consolidated deposits are
/// spent soon, as a hot wallet's float).
const WITHDRAWAL_EXTRA_INPUTS: usize = 8;

impl World<'_> {
    /// Exchange `x`'s deposit address for `user` (created on first use; all EOAs of a user
    /// share it).
    pub(super) fn deposit_account(&mut self, user: u32, x: usize) -> u32 {
        let user = self.deposit_owner(user);
        if let Some(&d) = self.deposit_addr.get(&(user, x)) {
            return d;
        }
        let e = self.exchanges[x].entity;
        let d = self.member(e, crate::Role::Deposit);
        self.deposit_addr.insert((user, x), d);
        d
    }

    /// Sweep every EVM deposit address of exchange `x` that received funds into its hot wallet.
    /// An address handed out for a deposit that has not arrived yet waits for the next sweep.
    pub(super) fn sweep_exchange(&mut self, x: usize) -> Result<(), SimError> {
        let hot = self.exchanges[x].hot;
        let pending = std::mem::take(&mut self.exchanges[x].unswept);
        for d in pending {
            let mut swept = false;
            for token in [USDC, BTCB] {
                let units = self.evm.bal(d, token);
                if units == 0 || (token == USDC && self.evm.is_frozen(d)) {
                    continue;
                }
                let gas = self.evm.fee(d, GAS_TOKEN);
                if self.evm.bal(d, ETH) < gas && self.evm.can_pay(hot, gas, GAS_TRANSFER) {
                    self.evm.eth_transfer(hot, d, gas)?;
                }
                if self.evm.can_pay(d, 0, GAS_TOKEN) {
                    self.evm.token_transfer(token, d, hot, units)?;
                    swept = true;
                }
            }
            let fee = self.evm.fee(d, GAS_TRANSFER);
            let eth = self.evm.bal(d, ETH);
            if eth > fee + ETHER / 1_000 {
                self.evm.eth_transfer(d, hot, eth - fee)?;
                swept = true;
            }
            if !swept {
                self.exchanges[x].unswept.push(d);
            }
        }
        Ok(())
    }

    /// Consolidate exchange `x`'s Bitcoin deposit coins into fresh hot-wallet addresses.
    pub(super) fn consolidate_deposits(&mut self, x: usize) -> Result<(), SimError> {
        let (dw, hot) = (self.exchanges[x].btc_deposits, self.exchanges[x].btc_hot);
        let utxos = std::mem::take(&mut self.btc.wallets[dw].utxos);
        for chunk in utxos.chunks(200) {
            let addrs: Vec<&Address> = chunk.iter().map(|u| &u.addr).collect();
            // Every later hot address is P2WPKH like the wallet's: size the fee by the first.
            let fee = self
                .btc
                .fee_for(&addrs, &[&self.exchanges[x].btc_initial[0]], 0);
            let total: u64 = chunk.iter().map(|u| u.value).sum();
            if total > fee + 10_000 {
                let a = self.bfresh(hot);
                self.btc
                    .emit(chunk.to_vec(), vec![(hot, a, total - fee)], None)?;
            } else {
                self.btc.wallets[dw].utxos.extend_from_slice(chunk);
            }
        }
        Ok(())
    }

    /// A batched withdrawal from exchange `x`'s Bitcoin hot wallet: its largest coin at an
    /// initial address plus its oldest later coins, change back to that initial address.
    /// `None` when the hot wallet cannot pay.
    pub(super) fn exchange_withdraw(
        &mut self,
        x: usize,
        outputs: Vec<(usize, Address, u64)>,
    ) -> Result<Option<Paid>, SimError> {
        let (hot, initial) = (self.exchanges[x].btc_hot, &self.exchanges[x].btc_initial);
        self.btc
            .pay_from_float(hot, initial, WITHDRAWAL_EXTRA_INPUTS, outputs)
    }
}
