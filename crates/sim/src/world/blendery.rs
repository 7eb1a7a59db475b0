//! Blendery, the custodial Bitcoin mixer (Blender/Sinbad-like): a fresh deposit address per
//! deposit, swept into the pool, paid out from pool coins in parts after 2–24 blocks, 2% fee.

use chaintrail_core::{Address, TxHash};
use rand::Rng;

use super::tasks::BTask;
use super::{BTC_MIXER_NAME, World};
use crate::SimError;
use crate::btc::{Change, Select};
use crate::truth::*;

/// Part `amount` of deposit `link` paid to address `addr` of wallet `w` (of heist `h`, if any).
pub(super) struct BlenderyPayout {
    link: usize,
    w: usize,
    addr: Address,
    amount: u64,
    h: Option<usize>,
}

impl World<'_> {
    /// Record a custodial-mixer deposit and schedule its payouts (2% fee).
    pub(super) fn mixer_link(
        &mut self,
        deposit_tx: TxHash,
        addr: Address,
        amount: u64,
        to_w: usize,
        h: Option<usize>,
        height: u64,
    ) -> Result<usize, SimError> {
        let link = self.btc_mixer_links.len();
        self.btc_mixer_links.push(BtcMixerLink {
            mixer: BTC_MIXER_NAME.to_string(),
            deposit_tx,
            deposit_address: addr.to_string(),
            deposited: amount,
            payout_txs: Vec::new(),
            payout_addresses: Vec::new(),
            paid_out: 0,
            heist: h.map(|h| self.heists[h].name.clone()),
        });
        let out_total = amount - amount / 50;
        let parts = if h.is_some() {
            3
        } else {
            self.rng.random_range(1..=2)
        };
        let mut left = out_total;
        for i in 0..parts {
            let v = if i + 1 == parts {
                left
            } else {
                out_total / parts
            };
            left -= v;
            let due = height + self.rng.random_range(2..=24);
            let w = if h.is_some() {
                self.thief_wallet(h)
            } else {
                to_w
            };
            let a = self.bfresh(w);
            if let Some(h) = h {
                self.heists[h].btc_addrs.push(a.clone());
            }
            self.btasks
                .entry(due)
                .or_default()
                .push(BTask::MixerPayout(BlenderyPayout {
                    link,
                    w,
                    addr: a,
                    amount: v,
                    h,
                }));
        }
        Ok(link)
    }

    /// Part of a deposit leaves the pool: a payment from pool coins, change to a fresh pool address.
    pub(super) fn blendery_payout(
        &mut self,
        height: u64,
        payout: BlenderyPayout,
    ) -> Result<(), SimError> {
        let BlenderyPayout {
            link,
            w,
            addr,
            amount,
            h,
        } = payout;
        let pool = self.mixer_pool;
        let change = self.bfresh(pool);
        let paid = self
            .btc
            .pay(
                &mut self.rng,
                pool,
                Select::Random,
                vec![(w, addr.clone(), amount)],
                None,
                Change::To(change),
            )?
            .ok_or_else(|| SimError::Invariant("mixer pool out of BTC".into()))?;
        let l = &mut self.btc_mixer_links[link];
        l.payout_txs.push(paid.txid);
        l.payout_addresses.push(addr.to_string());
        l.paid_out += amount;
        if let Some(h) = h {
            self.heists[h].ledger.mv(
                &Place::BtcMixer,
                Place::Btc(addr.clone()),
                SimAsset::Btc,
                u128::from(amount),
            )?;
            if self.rng.random_bool(0.6) {
                let due = height + self.rng.random_range(1..=12);
                self.btasks
                    .entry(due)
                    .or_default()
                    .push(BTask::Service { h, w, at: addr });
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
        let dw = self.mixer_deposits;
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

    /// The mixer sweeps its deposit addresses into the pool.
    pub(super) fn blendery_sweep(&mut self) -> Result<(), SimError> {
        let utxos = std::mem::take(&mut self.btc.wallets[self.mixer_deposits].utxos);
        for chunk in utxos.chunks(200) {
            let addrs: Vec<&Address> = chunk.iter().map(|u| &u.addr).collect();
            let a = self.bfresh(self.mixer_pool);
            let fee = self.btc.fee_for(&addrs, &[&a], 0);
            let total: u64 = chunk.iter().map(|u| u.value).sum();
            self.btc.emit(
                chunk.to_vec(),
                vec![(self.mixer_pool, a, total - fee)],
                None,
            )?;
        }
        Ok(())
    }
}
