//! Blendery, the custodial Bitcoin mixer (Blender/Sinbad-like). Each deposit goes to a fresh
//! deposit address; every six blocks the mixer consolidates its deposit coins into a fresh pool
//! address. It pays each deposit back less a fee of 1–3% in 1–4 parts of random sizes (a
//! heist's in 2–5), each at a random time 2–24 blocks after the deposit, to fresh addresses.
//! Payouts due in the same block share one transaction, which spends the pool's largest coin at
//! its initial (day-one labelled) address with up to eight of its oldest later coins and sends
//! the change back there — so co-spending ties the pool wallet to the labelled address, as with
//! the exchanges. Innocent users deposit small and large amounts (the large ones, 8–128 BTC
//! fresh from an exchange, overlap the heists' deposits in size and time), so amount and timing
//! matching is ambiguous at times.

use std::ops::RangeInclusive;

use chaintrail_core::{Address, TxHash};
use rand::Rng;

use super::tasks::BTask;
use super::{BTC_MIXER_NAME, World};
use crate::btc::{COIN, Change, Select};
use crate::truth::*;
use crate::{SimConfig, SimError};

/// The mixer's fee, in basis points of the deposit.
const FEE_BPS: RangeInclusive<u64> = 100..=300;
/// Parts a deposit is paid back in: users', heists'.
const USER_PARTS: RangeInclusive<usize> = 1..=4;
const HEIST_PARTS: RangeInclusive<usize> = 2..=5;
/// Blocks from a deposit to each of its payouts.
const PAYOUT_DELAY: RangeInclusive<u64> = 2..=24;
/// Later pool coins a payout spends along with the coin at the initial address.
const PAYOUT_EXTRA_INPUTS: usize = 8;
/// Large innocent deposits (8–128 BTC, the size of the heists') per day at the demo's scale;
/// other scales get proportionally many, at least `MIN_LARGE_DEPOSITS` in all.
const DAILY_LARGE_DEPOSITS: u64 = 72;
const MIN_LARGE_DEPOSITS: u64 = 10;

/// The mixer's wallets: per-deposit addresses, the pool and its initial address.
pub(super) struct Blendery {
    pub deposits_w: usize,
    pub pool_w: usize,
    pub initial: Address,
    /// Payouts due in the current block, paid together at its end.
    due: Vec<BlenderyPayout>,
    /// Large innocent deposits made so far.
    large_made: u64,
}

impl Blendery {
    pub(super) fn new(deposits_w: usize, pool_w: usize, initial: Address) -> Self {
        Blendery {
            deposits_w,
            pool_w,
            initial,
            due: Vec::new(),
            large_made: 0,
        }
    }
}

/// Part `amount` of deposit `link` paid to address `addr` of wallet `w` (of heist `h`, if any).
pub(super) struct BlenderyPayout {
    link: usize,
    w: usize,
    addr: Address,
    amount: u64,
    h: Option<usize>,
}

/// Large innocent deposits in a world of `cfg`'s scale and length.
pub(super) fn large_deposits(cfg: &SimConfig) -> u64 {
    (DAILY_LARGE_DEPOSITS * u64::from(cfg.days) * cfg.scale / SimConfig::DEMO_SCALE)
        .max(MIN_LARGE_DEPOSITS)
}

impl World<'_> {
    /// Record a deposit of `amount` at `addr` and schedule its payouts to fresh addresses of
    /// wallet `to_w` (of new thief wallets for a heist); returns the mixer's fee.
    pub(super) fn mixer_link(
        &mut self,
        deposit_tx: TxHash,
        addr: Address,
        amount: u64,
        to_w: usize,
        h: Option<usize>,
        height: u64,
    ) -> Result<u64, SimError> {
        let fee = amount * self.rng.random_range(FEE_BPS) / 10_000;
        let out_total = amount - fee;
        let link = self.btc_mixer_links.len();
        self.btc_mixer_links.push(BtcMixerLink {
            mixer: BTC_MIXER_NAME.to_string(),
            deposit_tx,
            deposit_address: addr.to_string(),
            deposited: amount,
            fee,
            payout_txs: Vec::new(),
            payout_addresses: Vec::new(),
            paid_out: 0,
            pending: out_total,
            heist: h.map(|h| self.heists[h].name.clone()),
        });
        let parts = match h {
            Some(_) => self.rng.random_range(HEIST_PARTS),
            None => self.rng.random_range(USER_PARTS),
        };
        // No part below 0.001 BTC.
        let parts = parts.min((out_total / 100_000).max(1) as usize);
        let weights: Vec<u64> = (0..parts).map(|_| self.rng.random_range(1..=10)).collect();
        let total_weight: u64 = weights.iter().sum();
        let mut left = out_total;
        for (i, weight) in weights.into_iter().enumerate() {
            let amount = if i + 1 == parts {
                left
            } else {
                out_total / total_weight * weight
            };
            left -= amount;
            let w = if h.is_some() {
                self.thief_wallet(h)
            } else {
                to_w
            };
            let addr = self.bfresh(w);
            if let Some(h) = h {
                self.heists[h].btc_addrs.push(addr.clone());
            }
            let due = height + self.rng.random_range(PAYOUT_DELAY);
            self.btasks
                .entry(due)
                .or_default()
                .push(BTask::MixerPayout(BlenderyPayout {
                    link,
                    w,
                    addr,
                    amount,
                    h,
                }));
        }
        Ok(fee)
    }

    /// A payout falls due: it waits for the block's batched payout transaction.
    pub(super) fn blendery_payout_due(&mut self, payout: BlenderyPayout) {
        self.blendery.due.push(payout);
    }

    /// Pay every payout due in this block in one transaction from the pool's float.
    pub(super) fn blendery_pay_due(&mut self, height: u64) -> Result<(), SimError> {
        let due = std::mem::take(&mut self.blendery.due);
        if due.is_empty() {
            return Ok(());
        }
        let outputs = due
            .iter()
            .map(|p| (p.w, p.addr.clone(), p.amount))
            .collect();
        let pool = self.blendery.pool_w;
        let initial = [self.blendery.initial.clone()];
        let paid = self
            .btc
            .pay_from_float(pool, &initial, PAYOUT_EXTRA_INPUTS, outputs)?
            .ok_or_else(|| SimError::Invariant("mixer pool out of BTC".into()))?;
        for BlenderyPayout {
            link,
            w,
            addr,
            amount,
            h,
        } in due
        {
            let l = &mut self.btc_mixer_links[link];
            l.payout_txs.push(paid.txid);
            l.payout_addresses.push(addr.to_string());
            l.paid_out += amount;
            l.pending -= amount;
            if let Some(h) = h {
                self.heists[h].ledger.mv(
                    &Place::BtcMixer,
                    Place::Btc(addr.clone()),
                    SimAsset::Btc,
                    u128::from(amount),
                )?;
                if self.rng.random_bool(0.6) {
                    let at = height + self.rng.random_range(1..=12);
                    self.btasks
                        .entry(at)
                        .or_default()
                        .push(BTask::Service { h, w, at: addr });
                }
            }
        }
        Ok(())
    }

    /// A user deposits `amount` to a fresh deposit address; the payouts come later.
    pub(super) fn blendery_user_deposit(
        &mut self,
        u: usize,
        amount: u64,
        height: u64,
    ) -> Result<(), SimError> {
        let dw = self.blendery.deposits_w;
        let a = self.bfresh(dw);
        if let Some(paid) = self.btc.pay(
            &mut self.rng,
            u,
            Select::Random,
            vec![(dw, a.clone(), amount)],
            None,
            Change::Fresh,
        )? {
            let to = self.pick_user_w();
            self.mixer_link(paid.txid, a, amount, to, None, height)?;
        }
        Ok(())
    }

    /// Large innocent deposits, spread evenly over the world: a user withdraws 8–128 BTC
    /// (log-uniform) from an exchange and deposits it 1–6 blocks later.
    pub(super) fn blendery_large_users(&mut self, height: u64) -> Result<(), SimError> {
        let n_btc_blocks = (self.n_blocks / super::EVM_BLOCKS_PER_BTC).max(1);
        let target = large_deposits(&self.cfg) * height / n_btc_blocks;
        while self.blendery.large_made < target {
            self.blendery.large_made += 1;
            let u = self.pick_user_w();
            let low = (8 * COIN) << self.rng.random_range(0..4);
            let amount = self.rng.random_range(low..2 * low);
            let x = self.rng.random_range(0..self.exchanges.len());
            let a = self.bfresh(u);
            let margin = self.rng.random_range(100_000..5_000_000);
            if self
                .exchange_withdraw(x, vec![(u, a, amount + margin)])?
                .is_some()
            {
                let at = height + self.rng.random_range(1..=6);
                self.btasks
                    .entry(at)
                    .or_default()
                    .push(BTask::LargeMixerDeposit { w: u, amount });
            }
        }
        Ok(())
    }

    /// The mixer consolidates its deposit addresses into fresh pool addresses.
    pub(super) fn blendery_sweep(&mut self) -> Result<(), SimError> {
        let (deposits, pool) = (self.blendery.deposits_w, self.blendery.pool_w);
        let utxos = std::mem::take(&mut self.btc.wallets[deposits].utxos);
        for chunk in utxos.chunks(200) {
            let addrs: Vec<&Address> = chunk.iter().map(|u| &u.addr).collect();
            let a = self.bfresh(pool);
            let fee = self.btc.fee_for(&addrs, &[&a], 0);
            let total: u64 = chunk.iter().map(|u| u.value).sum();
            self.btc
                .emit(chunk.to_vec(), vec![(pool, a, total - fee)], None)?;
        }
        Ok(())
    }
}
