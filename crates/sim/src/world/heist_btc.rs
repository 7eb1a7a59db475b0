//! The heists on Bitcoin: what a heist does with BTC the bridge pays it (peel chains, the
//! custodial mixer, services), its wallets' spends booked in the ledger, clean coins reaching
//! its addresses.

use chaintrail_core::Address;
use rand::Rng;

use super::tasks::{BTask, Onward};
use super::{World, thorchain};
use crate::SimError;
use crate::btc::{COIN, Change, Paid, Script, Select};
use crate::memo::SwapMemo;
use crate::truth::*;

/// The next hop of peel chain `chain` of heist `h`: spend what address `at` of wallet `w`
/// holds, at most `steps` more hops.
pub(super) struct PeelHop {
    h: usize,
    w: usize,
    at: Address,
    steps: u32,
    chain: usize,
}

/// Who pays clean coins to a heist address.
enum Payer {
    User(usize),
    Exchange(usize),
}

/// One output of a heist wallet's payment and the place its value goes in the ledger.
#[derive(Clone)]
struct HeistOut {
    w: usize,
    addr: Address,
    value: u64,
    place: Place,
}

impl HeistOut {
    /// An output to an address the ledger follows.
    pub(super) fn to(w: usize, addr: Address, value: u64) -> HeistOut {
        let place = Place::Btc(addr.clone());
        HeistOut {
            w,
            addr,
            value,
            place,
        }
    }
}

/// A heist wallet's payment and the runs of units each of its outputs took.
type HeistPaid = (Paid, Vec<Vec<Lot>>);

impl World<'_> {
    pub(super) fn thief_wallet(&mut self, h: Option<usize>) -> usize {
        let e = h.map(|h| (self.heists[h].thief_entity, Role::Thief));
        self.wallet(Script::P2wpkh, e)
    }

    /// What a heist does with BTC the bridge paid to its address `addr` of wallet `w`.
    pub(super) fn heist_btc_receipt(
        &mut self,
        h: usize,
        w: usize,
        addr: Address,
        onward: Option<Onward>,
    ) -> Result<(), SimError> {
        {
            // Unsolicited dust to the receiving address; the first peel chain of a heist also
            // starts from a wallet that got an exchange withdrawal (clean coins) just before.
            if self.rng.random_bool(0.25) {
                let from = self.pick_user_w();
                let v = self.rng.random_range(546..=1_500);
                self.btc_clean(h, Payer::User(from), w, &addr, v, "dust")?;
            }
            if matches!(onward, Some(Onward::Peel)) && !self.heists[h].btc_merged {
                let x = self.rng.random_range(0..self.exchanges.len());
                let v = self.rng.random_range(50..=300) * COIN / 100;
                if self.btc_clean(h, Payer::Exchange(x), w, &addr, v, "merge")? {
                    self.heists[h].btc_merged = true;
                }
            }
            let height = self.btc.block.height;
            match onward {
                Some(Onward::Peel) => {
                    let chain = self.peel_chains.len();
                    self.peel_chains.push(PeelChainTruth {
                        heist: Some(self.heists[h].name.clone()),
                        txs: Vec::new(),
                    });
                    let steps = self.rng.random_range(4..=10);
                    self.btasks
                        .entry(height + 1)
                        .or_default()
                        .push(BTask::Peel(PeelHop {
                            h,
                            w,
                            at: addr,
                            steps,
                            chain,
                        }));
                }
                Some(Onward::Mixer) => {
                    self.btasks
                        .entry(height + 1)
                        .or_default()
                        .push(BTask::MixerDeposit { h, w, at: addr });
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Spend everything a single-address heist wallet holds (a sweep to `outputs[0]` when
    /// `keep` is `None`, else a payment with change to `keep`) and book it in the ledger: each
    /// output's value goes to its place (an address, or the bridge an output pays). Returns the
    /// payment and the runs each output took.
    fn heist_spend(
        &mut self,
        h: usize,
        w: usize,
        at: &Address,
        outputs: Vec<HeistOut>,
        keep: Option<Address>,
        op_return: Option<Vec<u8>>,
    ) -> Result<Option<HeistPaid>, SimError> {
        let held = self.btc.balance(w);
        if u128::from(held)
            != self.heists[h]
                .ledger
                .total(&Place::Btc(at.clone()), SimAsset::Btc)
        {
            return Err(SimError::Invariant(format!(
                "heist wallet {at} is not what the ledger says"
            )));
        }
        let paid = match keep {
            None => {
                let Some(out) = outputs.into_iter().next() else {
                    return Ok(None);
                };
                self.btc.sweep(w, out.w, out.addr.clone())?.map(|p| {
                    let v = p.spent - p.fee;
                    (p, vec![(out.place, v)])
                })
            }
            Some(keep) => {
                let dests: Vec<(Place, u64)> =
                    outputs.iter().map(|o| (o.place.clone(), o.value)).collect();
                let outputs = outputs
                    .into_iter()
                    .map(|o| (o.w, o.addr, o.value))
                    .collect();
                self.btc
                    .pay(
                        &mut self.rng,
                        w,
                        Select::All,
                        outputs,
                        op_return,
                        Change::To(keep),
                    )?
                    .map(|p| (p, dests))
            }
        };
        let Some((paid, dests)) = paid else {
            return Ok(None);
        };
        if paid.spent != held {
            return Err(SimError::Invariant(format!(
                "heist wallet {at} spent {} of {held}",
                paid.spent
            )));
        }
        let from = Place::Btc(at.clone());
        let ledger = &mut self.heists[h].ledger;
        // Inputs in order fill the outputs in order (payments, then change), the fee last.
        let mut runs = Vec::with_capacity(dests.len());
        for (place, v) in dests {
            runs.push(ledger.mv(&from, place, SimAsset::Btc, u128::from(v))?);
        }
        if let Some((a, v)) = &paid.change {
            ledger.mv(&from, Place::Btc(a.clone()), SimAsset::Btc, u128::from(*v))?;
        }
        ledger.fee(&from, "miner", SimAsset::Btc, u128::from(paid.fee))?;
        Ok(Some((paid, runs)))
    }

    /// Clean coins from `from` to a heist address `at` of wallet `w`; false when the payer
    /// cannot pay.
    fn btc_clean(
        &mut self,
        h: usize,
        from: Payer,
        w: usize,
        at: &Address,
        v: u64,
        kind: &'static str,
    ) -> Result<bool, SimError> {
        let outputs = vec![(w, at.clone(), v)];
        let paid = match from {
            Payer::User(u) => self.btc.pay(
                &mut self.rng,
                u,
                Select::Random,
                outputs,
                None,
                Change::Fresh,
            )?,
            Payer::Exchange(x) => self.exchange_withdraw(x, outputs)?,
        };
        let Some(paid) = paid else {
            return Ok(false);
        };
        self.heists[h].ledger.clean_in(
            Place::Btc(at.clone()),
            SimAsset::Btc,
            u128::from(v),
            paid.txid,
            kind,
        );
        Ok(true)
    }

    /// A service destination for laundered BTC: a fresh exchange deposit address (a mule's
    /// account) or an OTC broker address.
    fn btc_service_dest(&mut self) -> (usize, Address) {
        if self.rng.random_bool(0.75) {
            let x = self.rng.random_range(0..self.exchanges.len());
            let dw = self.exchanges[x].btc_deposits;
            (dw, self.bfresh(dw))
        } else {
            self.b_otc[self.rng.random_range(0..self.b_otc.len())].clone()
        }
    }

    /// A heist sends the coins at its address `at` into the custodial mixer.
    pub(super) fn heist_mixer_deposit(
        &mut self,
        height: u64,
        h: usize,
        w: usize,
        at: Address,
    ) -> Result<(), SimError> {
        let dw = self.blendery.deposits_w;
        let a = self.bfresh(dw);
        let out = HeistOut::to(dw, a.clone(), 0);
        let paid = self.heist_spend(h, w, &at, vec![out], None, None)?;
        if let Some((paid, _)) = paid {
            let v = paid.spent - paid.fee;
            self.heists[h].ledger.mv(
                &Place::Btc(a.clone()),
                Place::BtcMixer,
                SimAsset::Btc,
                u128::from(v),
            )?;
            let fee = self.mixer_link(paid.txid, a, v, 0, Some(h), height)?;
            self.heists[h]
                .ledger
                .fee(&Place::BtcMixer, "mixer", SimAsset::Btc, u128::from(fee))?;
        }
        Ok(())
    }

    /// A heist pays the coins at its address `at` to a service.
    pub(super) fn heist_to_service(
        &mut self,
        h: usize,
        w: usize,
        at: Address,
    ) -> Result<(), SimError> {
        let (dw, a) = self.btc_service_dest();
        self.heist_spend(h, w, &at, vec![HeistOut::to(dw, a, 0)], None, None)?;
        Ok(())
    }

    /// One hop of a heist's peel chain.
    pub(super) fn peel_hop(&mut self, height: u64, hop: PeelHop) -> Result<(), SimError> {
        let PeelHop {
            h,
            w,
            at,
            steps,
            chain,
        } = hop;
        let held = self.btc.balance(w);
        let next = self.bfresh(w);
        self.heists[h].btc_addrs.push(next.clone());
        let peel = (held / 100 * self.rng.random_range(5..25)).max(100_000);
        if steps == 0 || held < peel + 200_000 {
            return Ok(());
        }
        let dest = self.peel_dest(h, peel);
        let (out, memo) = match &dest {
            PeelDest::Keep(out) | PeelDest::Btcb(out, _) => (out.clone(), None),
            PeelDest::Thor(out, memo, _) => (out.clone(), Some(memo.clone())),
        };
        let op_return = memo.as_ref().map(|m| m.render().into_bytes());
        let Some((paid, runs)) =
            self.heist_spend(h, w, &at, vec![out], Some(next.clone()), op_return)?
        else {
            return Ok(());
        };
        self.peel_chains[chain].txs.push(paid.txid);
        let stolen = runs.first().map_or(0, |r| stolen_of(r));
        match dest {
            PeelDest::Keep(_) => {}
            PeelDest::Thor(_, memo, to) => {
                let inbound = thorchain::BtcInbound {
                    paid: &paid,
                    payer: w,
                    sats: u128::from(peel),
                    memo: &memo,
                    to,
                };
                self.thor_record_btc_inbound(inbound, Some((h, stolen)))?;
            }
            PeelDest::Btcb(_, to) => {
                self.btcb_record(&paid, peel, to, Some((h, stolen)))?;
            }
        }
        if paid.change.is_some() && self.rng.random_bool(0.3) {
            // Unsolicited dust to the chain's next address, swept by the next hop.
            let from = self.pick_user_w();
            let v = self.rng.random_range(546..=1_500);
            self.btc_clean(h, Payer::User(from), w, &next, v, "dust")?;
        }
        if paid.change.is_some() {
            let due = height + self.rng.random_range(1..=3);
            self.btasks
                .entry(due)
                .or_default()
                .push(BTask::Peel(PeelHop {
                    h,
                    w,
                    at: next,
                    steps: steps - 1,
                    chain,
                }));
        }
        Ok(())
    }
}

impl World<'_> {
    /// Where a peel hop's output goes: a service (most), a thief holding, back to the EVM chain
    /// through THORChain (to a thief account or straight to an exchange deposit address), or
    /// through the BTC.b bridge to a thief account.
    fn peel_dest(&mut self, h: usize, peel: u64) -> PeelDest {
        let roll = self.rng.random_range(0..100);
        match roll {
            0..15 => {
                let tw = self.thief_wallet(Some(h));
                let a = self.bfresh(tw);
                self.heists[h].btc_addrs.push(a.clone());
                PeelDest::Keep(HeistOut::to(tw, a, peel))
            }
            15..23 => {
                let to = if self.rng.random_bool(0.5) {
                    self.thief_acct(h)
                } else {
                    self.mule_deposit()
                };
                let (vw, vault) = self.thor.btc_vault();
                let memo = self.thor_memo_to_evm(to, u128::from(peel), false, false);
                let out = HeistOut {
                    w: vw,
                    addr: vault,
                    value: peel,
                    place: Place::Bridge(BridgeProtocol::Thorchain),
                };
                PeelDest::Thor(out, memo, to)
            }
            23..30 => {
                let to = self.thief_acct(h);
                let out = HeistOut {
                    w: self.btcb.deposit_w,
                    addr: self.btcb.deposit.clone(),
                    value: peel,
                    place: Place::Bridge(BridgeProtocol::Btcb),
                };
                PeelDest::Btcb(out, to)
            }
            _ => {
                let (dw, a) = self.btc_service_dest();
                PeelDest::Keep(HeistOut::to(dw, a, peel))
            }
        }
    }
}

/// A peel hop's payment.
enum PeelDest {
    /// To an address: a service's or the thieves' own.
    Keep(HeistOut),
    /// To THORChain's vault with this memo, paid out to this EVM account.
    Thor(HeistOut, SwapMemo, u32),
    /// To the BTC.b bridge, minted to this EVM account.
    Btcb(HeistOut, u32),
}
