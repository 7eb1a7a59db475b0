//! Vortex Cash, the Tornado-style pools: deposits and withdrawals of notes (users' and heists'),
//! the relayers and their fees, and the ground truth's mixer links (one per note, written at the
//! deposit and completed by the withdrawal).

use chaintrail_core::Amount;
use rand::Rng;

use super::{MIXER_NAME, World};
use crate::SimError;
use crate::evm::{GAS_TORNADO_DEPOSIT, GAS_TORNADO_WITHDRAW, Note, evm_address};
use crate::truth::*;

/// Each relayer's fee rate in basis points of the denomination; like Tornado's relayers they
/// add the withdrawal's gas at their own gas price, so a fee always covers the gas.
const RELAYER_FEE_BPS: [u128; 5] = [20, 25, 30, 40, 50];
/// How often innocent users pick each relayer (per cent).
const RELAYER_POPULARITY: [u32; 5] = [35, 25, 20, 12, 8];

/// A deposited note, its row in the truth's mixer links and the block of its deposit.
#[derive(Debug, Clone)]
pub(super) struct Deposited {
    pub note: Note,
    pub link: usize,
    pub block: u64,
}

/// Who sends a withdrawal: relayer `i` (it pays the gas and takes a fee), or the user's own
/// address (self-relayed, no fee).
#[derive(Debug, Clone, Copy)]
pub(super) enum Via {
    Relayer(usize),
    Sender(u32),
}

impl World<'_> {
    /// A relayer as innocent users choose them: the popular ones more often.
    pub(super) fn popular_relayer(&mut self) -> usize {
        let mut roll = self
            .rng
            .random_range(0..RELAYER_POPULARITY.iter().sum::<u32>());
        for (i, &weight) in RELAYER_POPULARITY.iter().enumerate() {
            if roll < weight {
                return i;
            }
            roll -= weight;
        }
        RELAYER_POPULARITY.len() - 1
    }

    /// `acct` deposits a note into pool `pool` and the truth gets its link (still `in_pool`);
    /// `None` when `acct` cannot pay the denomination and the gas.
    pub(super) fn vortex_deposit(
        &mut self,
        acct: u32,
        pool: usize,
        behaviour: &'static str,
        h: Option<usize>,
    ) -> Result<Option<Deposited>, SimError> {
        let denom = self.evm.pools[pool].denomination;
        if !self.evm.can_pay(acct, denom, GAS_TORNADO_DEPOSIT) {
            return Ok(None);
        }
        let note = self.evm.tornado_deposit(acct, pool)?;
        let link = self.mixer_links.len();
        self.mixer_links.push(MixerLink {
            pool: format!(
                "{MIXER_NAME} {} ETH",
                Amount::from_u128(denom).format_units(18)
            ),
            denomination: Amount::from_u128(denom),
            deposit_tx: note.deposit_tx,
            depositor: evm_address(self.evm.addr(acct)).to_string(),
            status: "in_pool",
            withdrawal_tx: None,
            recipient: None,
            sender: None,
            relayer: None,
            fee: None,
            behaviour,
            heist: h.map(|h| self.heists[h].name.clone()),
        });
        Ok(Some(Deposited {
            note,
            link,
            block: self.evm.block.number,
        }))
    }

    /// Withdraw note `d` to `recipient`. A self-relayed withdrawal whose sender cannot pay the
    /// gas goes through a popular relayer instead. A heist's note moves its units in the ledger:
    /// the note keeps its deposit's composition, the relayer's fee is its last units.
    pub(super) fn vortex_withdraw(
        &mut self,
        h: Option<usize>,
        d: &Deposited,
        recipient: u32,
        via: Via,
    ) -> Result<(), SimError> {
        let via = match via {
            Via::Sender(s) if !self.evm.can_pay(s, 0, GAS_TORNADO_WITHDRAW) => {
                Via::Relayer(self.popular_relayer())
            }
            via => via,
        };
        let denom = self.evm.pools[d.note.pool].denomination;
        let (sender, relayer) = match via {
            Via::Sender(s) => (s, None),
            Via::Relayer(i) => {
                let r = self.relayers[i];
                let gas = self.evm.fee(r, GAS_TORNADO_WITHDRAW);
                (r, Some((r, denom * RELAYER_FEE_BPS[i] / 10_000 + gas)))
            }
        };
        let tx = self
            .evm
            .tornado_withdraw(&d.note, sender, recipient, relayer)?;
        let fee = relayer.map_or(0, |r| r.1);
        if let Some(h) = h {
            let stolen = self.note_stolen.remove(&d.note.deposit_tx).unwrap_or(denom);
            let ledger = &mut self.heists[h].ledger;
            let lots = ledger.take_exact(
                &Place::Pool(d.note.pool),
                SimAsset::Eth,
                stolen,
                denom - stolen,
            )?;
            let (paid, fee_lots) = split_lots(lots, denom - fee);
            ledger.put(&Place::Evm(recipient), SimAsset::Eth, paid);
            ledger.fee_lots("relayer", SimAsset::Eth, &fee_lots);
        }
        let text = |w: &Self, acct: u32| evm_address(w.evm.addr(acct)).to_string();
        let (recipient, sender) = (text(self, recipient), text(self, sender));
        let relayer = relayer.map(|r| text(self, r.0));
        let link = &mut self.mixer_links[d.link];
        link.status = "withdrawn";
        link.withdrawal_tx = Some(tx);
        link.recipient = Some(recipient);
        link.sender = Some(sender);
        link.relayer = relayer;
        link.fee = Some(Amount::from_u128(fee));
        Ok(())
    }
}
