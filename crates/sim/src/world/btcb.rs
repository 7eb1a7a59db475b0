//! The BTC.b bridge (`Glacier Bridge`, in the style of the Avalanche Bridge): Bitcoin → EVM only.
//! A user pays the bridge's Bitcoin deposit address (one address, reused); six Bitcoin blocks
//! later the bridge's warden mints BTC.b (8 decimals) on the EVM chain: the deposit minus the
//! bridge fee to the user, the fee to the bridge's fee address, and a `Mint` log whose
//! `originTxId` is the Bitcoin txid in the byte order explorers and bitcoin-etl print it (the RPC
//! `txid`, not the internal little-endian order) and `originOutputIndex` the vout that paid the
//! deposit address. Deposits whose mint would fall after the world's end stay pending.

use chaintrail_core::{Address, Amount, TxHash};
use rand::Rng;

use super::tasks::Task;
use super::{EVM_BLOCKS_PER_BTC, World};
use crate::btc::{Change, Paid, Script, Select};
use crate::evm::{BTCB, ETHER, evm_address};
use crate::truth::*;
use crate::{BTC_CHAIN, EVM_CHAIN, SimError};

pub(super) const BRIDGE_NAME: &str = "Glacier Bridge";
/// Bitcoin blocks the bridge waits before minting.
const CONFIRMATIONS: u64 = 6;
/// ETH a thief sends to a BTC.b holding account for the gas of passing it on.
const GAS_MONEY: u128 = ETHER / 250;

/// The bridge fee in sats: 3,000 plus 0.1 %.
fn bridge_fee(sats: u64) -> u64 {
    3_000 + sats / 1_000
}

/// The bridge's accounts; set up with the world (`setup_btcb_evm`, `setup_btcb_btc`).
pub(super) struct Btcb {
    pub entity: u32,
    pub warden: u32,
    pub fee_to: u32,
    pub deposit_w: usize,
    pub deposit: Address,
}

impl Btcb {
    /// Before the setup: no accounts yet.
    pub(super) fn unset() -> Btcb {
        Btcb {
            entity: 0,
            warden: 0,
            fee_to: 0,
            deposit_w: 0,
            deposit: crate::btc::null_data(),
        }
    }
}

/// A deposit to the bridge's Bitcoin address.
pub(super) struct BtcbDeposit {
    in_tx: TxHash,
    vout: u32,
    from: String,
    sats: u64,
    /// The EVM account BTC.b is minted to.
    to: u32,
    /// The heist and the deposit's stolen sats.
    heist: Option<(usize, u128)>,
    minted: bool,
}

impl World<'_> {
    pub(super) fn setup_btcb_evm(&mut self) {
        let e = self.entity(BRIDGE_NAME, Category::Bridge);
        self.btcb.entity = e;
        self.evm.chain_token[BTCB] = self.labelled_member(e, Role::Token);
        self.btcb.warden = self.member(e, Role::Operator);
        self.btcb.fee_to = self.member(e, Role::Fee);
    }

    pub(super) fn setup_btcb_btc(&mut self) {
        let w = self.wallet(Script::P2wpkh, Some((self.btcb.entity, Role::Deposit)));
        self.btcb.deposit_w = w;
        self.btcb.deposit = self.bfresh(w);
    }

    /// A Bitcoin user bridges `sats` to BTC.b for an EVM user.
    pub(super) fn btcb_user_deposit(&mut self, u: usize, sats: u64) -> Result<(), SimError> {
        if sats < 100_000 {
            return Ok(());
        }
        let to = self.pick_user();
        let out = (self.btcb.deposit_w, self.btcb.deposit.clone(), sats);
        let Some(paid) = self.btc.pay(
            &mut self.rng,
            u,
            Select::Random,
            vec![out],
            None,
            Change::Fresh,
        )?
        else {
            return Ok(());
        };
        self.btcb_record(&paid, sats, to, None)
    }

    /// Book a deposit (vout 0 of `paid`) and schedule its mint to `to`.
    pub(super) fn btcb_record(
        &mut self,
        paid: &Paid,
        sats: u64,
        to: u32,
        heist: Option<(usize, u128)>,
    ) -> Result<(), SimError> {
        if sats <= bridge_fee(sats) {
            return Err(SimError::Invariant(format!(
                "BTC.b deposit of {sats} sats below the fee"
            )));
        }
        let d = self.btcb_deposits.len();
        self.btcb_deposits.push(BtcbDeposit {
            in_tx: paid.txid,
            vout: 0,
            from: paid.vin0.to_string(),
            sats,
            to,
            heist,
            minted: false,
        });
        let due = (self.btc.block.height + CONFIRMATIONS) * EVM_BLOCKS_PER_BTC
            + self.rng.random_range(1..40);
        self.tasks
            .entry(due)
            .or_default()
            .push(Task::BtcbMint { deposit: d });
        Ok(())
    }

    /// The warden mints deposit `d`.
    pub(super) fn btcb_mint(&mut self, d: usize) -> Result<(), SimError> {
        let dep = &self.btcb_deposits[d];
        let (in_tx, vout, sats, to, heist) = (dep.in_tx, dep.vout, dep.sats, dep.to, dep.heist);
        let fee = bridge_fee(sats);
        let minted = sats - fee;
        let (tx, index) = self.evm.btcb_mint(
            (self.btcb.warden, self.btcb.fee_to),
            to,
            (u128::from(minted), u128::from(fee)),
            (in_tx.0, vout),
        )?;
        self.btcb_deposits[d].minted = true;
        let link = self.btcb_link(d, Some((tx, index, minted)));
        self.bridge_links.push(link);
        let Some((h, stolen)) = heist else {
            self.btcb_holders.push(to);
            return Ok(());
        };
        self.heists[h].ledger.bridge_payout(
            BridgeProtocol::Btcb,
            (SimAsset::Btc, u128::from(sats), stolen),
            (Place::Evm(to), SimAsset::Btcb, u128::from(minted)),
            (in_tx, tx),
        )?;
        // The thieves pay the holding account's gas from their first address, then pass the
        // BTC.b on to an exchange deposit address.
        let b = self.evm.block.number;
        let gas_station = self.heists[h].evm_accts[0];
        let fund_at = b + self.rng.random_range(3..30);
        self.tasks.entry(fund_at).or_default().push(Task::Fund {
            h,
            from: gas_station,
            to,
            amount: GAS_MONEY,
        });
        let send_at = fund_at + self.rng.random_range(10..150);
        self.send_to_mule(send_at, h, to, BTCB);
        Ok(())
    }

    /// The row of `bridge_links` for deposit `d` and its mint (`None`: pending).
    fn btcb_link(&self, d: usize, out: Option<(TxHash, u64, u64)>) -> BridgeLink {
        let dep = &self.btcb_deposits[d];
        BridgeLink {
            protocol: "btcb",
            bridge: BRIDGE_NAME.to_string(),
            direction: "btc_to_evm",
            kind: "mint",
            status: if out.is_some() {
                "completed"
            } else {
                "pending"
            },
            in_chain: BTC_CHAIN,
            in_tx: dep.in_tx,
            in_index: u64::from(dep.vout),
            in_from: dep.from.clone(),
            vault: self.btcb.deposit.to_string(),
            in_amount: Amount::from_u64(dep.sats),
            in_memo: None,
            out_chain: EVM_CHAIN,
            out_tx: out.map(|o| o.0),
            out_index: out.map(|o| o.1),
            out_amount: out.map(|o| Amount::from_u64(o.2)),
            out_address: evm_address(self.evm.addr(dep.to)).to_string(),
            out_memo: None,
            heist: dep.heist.map(|(h, _)| self.heists[h].name.clone()),
        }
    }

    /// `bridge_links` rows of the deposits never minted.
    pub(super) fn btcb_pending_links(&self) -> Vec<BridgeLink> {
        (0..self.btcb_deposits.len())
            .filter(|&d| !self.btcb_deposits[d].minted)
            .map(|d| self.btcb_link(d, None))
            .collect()
    }
}
