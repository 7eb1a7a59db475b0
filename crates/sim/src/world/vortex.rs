//! Vortex Cash, the Tornado-style pools: users' deposits and the withdrawals of every note
//! (users' and heists'), with the ground truth's mixer links.

use chaintrail_core::Amount;
use rand::Rng;

use super::tasks::Task;
use super::{MIXER_NAME, World};
use crate::SimError;
use crate::evm::{Note, evm_address};
use crate::truth::*;

impl World<'_> {
    /// A user deposits into a random pool below 100 ETH and schedules the withdrawal.
    pub(super) fn vortex_user_deposit(
        &mut self,
        b: u64,
        u: u32,
        spendable: u128,
        p: u64,
    ) -> Result<(), SimError> {
        let pool = self.rng.random_range(0..3);
        let denom = self.evm.pools[pool].denomination;
        if spendable > denom {
            let note = self.evm.tornado_deposit(u, pool, p)?;
            let due = b + self.rng.random_range(150..5_000);
            let recipient = self.user_acct();
            self.users.push(recipient);
            let relayer = if self.rng.random_bool(0.7) {
                Some(self.relayers[self.rng.random_range(0..self.relayers.len())])
            } else {
                None
            };
            let recipient = if relayer.is_none() { u } else { recipient };
            self.tasks.entry(due).or_default().push(Task::Withdraw {
                h: None,
                note,
                recipient,
                relayer,
            });
        }
        Ok(())
    }

    /// Withdraw `note` to `recipient`, through `relayer` or sent by its depositor.
    pub(super) fn vortex_withdraw(
        &mut self,
        h: Option<usize>,
        note: Note,
        (recipient, relayer): (u32, Option<u32>),
        p: u64,
    ) -> Result<(), SimError> {
        let denom = self.evm.pools[note.pool].denomination;
        let relayer = relayer.map(|r| (r, denom * self.rng.random_range(20..50) / 10_000));
        let sender = if relayer.is_some() {
            recipient
        } else {
            note.depositor
        };
        if relayer.is_none()
            && !self
                .evm
                .can_pay(sender, 0, crate::evm::GAS_TORNADO_WITHDRAW, p)
        {
            return Ok(());
        }
        let tx = self
            .evm
            .tornado_withdraw(&note, sender, recipient, relayer, p)?;
        let fee = relayer.map_or(0, |r| r.1);
        if let Some(h) = h {
            // The note carries its deposit's units; the relayer's fee is its last ones.
            let stolen = self.note_stolen.remove(&note.deposit_tx).unwrap_or(denom);
            let ledger = &mut self.heists[h].ledger;
            let lots = ledger.take_exact(
                &Place::Pool(note.pool),
                SimAsset::Eth,
                stolen,
                denom - stolen,
            )?;
            let (paid, fee_lots) = split_lots(lots, denom - fee);
            ledger.put(&Place::Evm(recipient), SimAsset::Eth, paid);
            ledger.fee_lots("relayer", SimAsset::Eth, &fee_lots);
        }
        self.mixer_links.push(MixerLink {
            pool: format!(
                "{MIXER_NAME} {} ETH",
                Amount::from_u128(denom).format_units(18)
            ),
            denomination: Amount::from_u128(denom),
            deposit_tx: note.deposit_tx,
            depositor: evm_address(self.evm.addr(note.depositor)).to_string(),
            withdrawal_tx: tx,
            recipient: evm_address(self.evm.addr(recipient)).to_string(),
            relayer: relayer.map(|r| evm_address(self.evm.addr(r.0)).to_string()),
            fee: Amount::from_u128(fee),
            heist: h.map(|h| self.heists[h].name.clone()),
        });
        Ok(())
    }
}
