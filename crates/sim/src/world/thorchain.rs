//! The THORChain-style bridge (`Thornet Bridge`), both directions, as the real protocol does it:
//!
//! - EVM → Bitcoin: `depositWithExpiry` on the router (ETH forwarded to the vault, `Deposit` log
//!   with the memo); the Bitcoin vault pays the memo's destination with `OUT:<INBOUND HASH>` in
//!   an OP_RETURN of the same transaction, change back to the vault's address;
//! - Bitcoin → EVM: a Bitcoin transaction paying the vault (vout 0) with the memo in an OP_RETURN
//!   and change back to its first input's address; the EVM vault pays with `transferOut`
//!   (vault → router → recipient) and a `TransferOut` log with `OUT:<BTC TXID>`;
//! - memos vary as wallets write them (`memo.rs`); a limit above what the pools give is refunded
//!   (`REFUND:<hash>`, back on the inbound's chain, to the refund address or the sender);
//!   streaming swaps are paid in two or three outbounds with the same `OUT:` memo; large
//!   outbounds wait longer; payouts that would fall after the world's end stay pending;
//! - a churn halfway through: new vaults on both chains, the old ones hand everything over with
//!   `MIGRATE:<THORChain height>` (`returnVaultAssets` on the EVM chain, an OP_RETURN on Bitcoin);
//! - the pools deepen with the world ([`pool_depth`]), and the vaults stay solvent as the real
//!   ones do: a swap whose payout the outbound chain's vault cannot fund after its pending
//!   payouts and their gas reservations is refunded ([`Outbounds`]).

use chaintrail_core::{Address, Amount, TxHash};
use rand::Rng;

use super::tasks::{BTask, Onward, Task};
use super::{EVM_BLOCKS_PER_BTC, World};
use crate::btc::{COIN, Change, MAX_OP_RETURN, Paid, Script, Select, max_payment_fee};
use crate::evm::{ETH, ETHER, GAS_TRANSFER_OUT, evm_address};
use crate::fees::MAX_BASE_FEE;
use crate::memo::{MemoPlan, SwapMemo, Target, migrate_memo, out_memo, refund_memo};
use crate::truth::*;
use crate::{BTC_CHAIN, EVM_CHAIN, START_TIMESTAMP, SimError};

pub(super) const BRIDGE_NAME: &str = "Thornet Bridge";
/// Sats per ETH in the bridge's pools (0.03 BTC per ETH).
const SATS_PER_ETH: u128 = 3_000_000;
/// The pools' liquidity fee: 0.2 % of the output.
const LIQUIDITY_FEE_DIVISOR: u128 = 500;
const BTC_OUTBOUND_FEE: u128 = 20_000;
/// 0.0024 ETH.
const ETH_OUTBOUND_FEE: u128 = 2_400_000_000_000_000;
/// THORChain keeps amounts in 1e8 units: its ETH payouts are whole multiples of 1e10 wei.
const WEI_PER_UNIT: u128 = 10_000_000_000;
/// Shares of users' swaps that are refunded (limit too high) and that stream.
const REFUNDED_SHARE: f64 = 0.05;
const STREAMING_SHARE: f64 = 0.12;
/// When the churn happens, as a share of the world's blocks.
const CHURN_AT_PERCENT: u64 = 55;
/// The Bitcoin vault's starting coins are this large.
const VAULT_COIN: u64 = 20_000 * COIN;

/// The pools' depth at the start: what each chain's first vault holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PoolDepth {
    pub wei: u128,
    /// Coins of [`VAULT_COIN`] sats.
    pub btc_coins: u64,
}

/// The pools of a world of `scale`: a base that carries the heists' swaps (300,000 ETH and four
/// coins of 20,000 BTC), and for every full million of scale another 20,000 BTC and its worth
/// in ETH at the pools' price. Users' swaps grow with the world, and their BTC → ETH payouts
/// outrun their ETH → BTC inbounds (about a quarter of an ETH per unit of scale, docs/sim.md):
/// a fixed ETH pool ran dry in worlds of a few million.
pub(super) fn pool_depth(scale: u64) -> PoolDepth {
    let millions = scale / 1_000_000;
    let eth_per_coin = u128::from(VAULT_COIN) * ETHER / SATS_PER_ETH;
    PoolDepth {
        wei: 300_000 * ETHER + u128::from(millions) * eth_per_coin,
        btc_coins: 4 + millions,
    }
}

/// One chain's queue of payouts as its vaults' solvency sees it: what they owe in payouts
/// scheduled and not yet made, each with a gas reservation (the most its network fee can cost).
/// THORChain refunds a swap whose outbound the vaults cannot fund after their pending outbounds
/// and gas reservations ("insufficient funds for outbound request"); the obligations carry over
/// to the new vault at the churn.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Outbounds {
    /// Wei or sats.
    owed: u128,
    gas_per_payout: u128,
}

impl Outbounds {
    fn new(gas_per_payout: u128) -> Outbounds {
        Outbounds {
            owed: 0,
            gas_per_payout,
        }
    }

    fn cost(&self, parts: &[u128]) -> u128 {
        parts.iter().sum::<u128>() + self.gas_per_payout * parts.len() as u128
    }

    /// Whether a vault holding `balance` can fund `parts` besides what it owes.
    fn can_fund(&self, balance: u128, parts: &[u128]) -> bool {
        self.owed + self.cost(parts) <= balance
    }

    fn book(&mut self, parts: &[u128]) {
        self.owed += self.cost(parts);
    }

    /// A booked payout of `amount` was made.
    fn paid(&mut self, amount: u128) -> Result<(), SimError> {
        self.owed = self
            .owed
            .checked_sub(self.cost(&[amount]))
            .ok_or_else(|| SimError::Invariant(format!("THORChain paid {amount} it never owed")))?;
        Ok(())
    }
}

/// The bridge's contracts and vaults; the last vault of each chain is the active one once its
/// chain's migration has happened.
#[derive(Default)]
pub(super) struct Thor {
    pub entity: u32,
    pub router: u32,
    pub evm_vaults: Vec<u32>,
    pub btc_vaults: Vec<(usize, Address)>,
    evm_active: usize,
    btc_active: usize,
    evm_outbounds: Outbounds,
    btc_outbounds: Outbounds,
}

impl Thor {
    pub(super) fn evm_vault(&self) -> u32 {
        self.evm_vaults[self.evm_active]
    }

    pub(super) fn btc_vault(&self) -> (usize, Address) {
        self.btc_vaults[self.btc_active].clone()
    }
}

/// Who a payout goes to.
#[derive(Debug, Clone)]
pub(super) enum Party {
    Evm(u32),
    Btc(usize, Address),
}

/// An inbound and what the protocol does with it.
pub(super) struct ThorSwap {
    /// The inbound is a Bitcoin transaction (else an EVM `Deposit`).
    pub from_btc: bool,
    pub in_tx: TxHash,
    pub in_index: u64,
    pub in_from: String,
    pub vault: String,
    /// Wei or sats sent in.
    pub amount: u128,
    pub memo: String,
    pub refund: bool,
    pub pay_to: Party,
    /// The outbounds' amounts (wei or sats), paid in order.
    pub parts: Vec<u128>,
    pub paid: usize,
    /// The heist, the stolen units of the inbound, and what the heist does with the payout.
    pub heist: Option<(usize, u128, Option<Onward>)>,
}

impl ThorSwap {
    /// Whether the payouts are made on the EVM chain (a Bitcoin inbound's ETH, an EVM inbound's
    /// refund).
    fn pays_on_evm(&self) -> bool {
        self.from_btc != self.refund
    }

    /// What the protocol writes on its payouts: `OUT:<hash>` or `REFUND:<hash>`.
    fn payout_memo(&self) -> String {
        if self.refund {
            refund_memo(&self.in_tx)
        } else {
            out_memo(&self.in_tx)
        }
    }
}

/// A Bitcoin transaction that paid the vault with a memo.
pub(super) struct BtcInbound<'a> {
    pub paid: &'a Paid,
    /// The paying wallet (refunds go back to its first input's address).
    pub payer: usize,
    pub sats: u128,
    pub memo: &'a SwapMemo,
    /// The EVM account the memo names.
    pub to: u32,
}

/// Sats the pools give for `wei` after an affiliate fee of `bps` and the outbound fee.
fn eth_to_btc(wei: u128, bps: u32) -> u128 {
    let net = wei - wei * u128::from(bps) / 10_000;
    let gross = net * SATS_PER_ETH / ETHER;
    (gross - gross / LIQUIDITY_FEE_DIVISOR).saturating_sub(BTC_OUTBOUND_FEE)
}

/// Wei the pools give for `sats` (a whole number of 1e8 units).
fn btc_to_eth(sats: u128, bps: u32) -> u128 {
    let net = sats - sats * u128::from(bps) / 10_000;
    let gross = net * ETHER / SATS_PER_ETH;
    let out = (gross - gross / LIQUIDITY_FEE_DIVISOR).saturating_sub(ETH_OUTBOUND_FEE);
    out / WEI_PER_UNIT * WEI_PER_UNIT
}

/// What a refund of `amount` pays back: the inbound less the outbound fee.
fn refund_amount(from_btc: bool, amount: u128) -> u128 {
    if from_btc {
        amount.saturating_sub(BTC_OUTBOUND_FEE)
    } else {
        amount.saturating_sub(ETH_OUTBOUND_FEE) / WEI_PER_UNIT * WEI_PER_UNIT
    }
}

/// The vault that would pay a swap out: its balance (wei or sats) and its chain's outbounds.
#[derive(Debug, Clone, Copy)]
struct Payer {
    balance: u128,
    outbounds: Outbounds,
}

/// The protocol's verdict on an inbound: refund (and how much) or the payout in parts. A limit
/// above what the pools give, or a payout `payer` cannot fund, is refunded.
fn settle(
    from_btc: bool,
    amount: u128,
    memo: &SwapMemo,
    payer: Payer,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> (bool, Vec<u128>) {
    let refund = (true, vec![refund_amount(from_btc, amount)]);
    let bps = memo.affiliate_bps();
    let (out, units) = if from_btc {
        let wei = btc_to_eth(amount, bps);
        (wei, wei / WEI_PER_UNIT)
    } else {
        let sats = eth_to_btc(amount, bps);
        (sats, sats)
    };
    if out == 0 || units < memo.limit_value() {
        return refund;
    }
    let parts = if memo.stream.is_none() {
        vec![out]
    } else {
        let n: u128 = rng.random_range(2..=3);
        let grain = if from_btc { WEI_PER_UNIT } else { 1 };
        let share = out / n / grain * grain;
        let mut parts = vec![share; n as usize - 1];
        parts.push(out - share * (n - 1));
        parts
    };
    if !payer.outbounds.can_fund(payer.balance, &parts) {
        return refund;
    }
    (false, parts)
}

/// THORChain's block height at a time (6-second blocks), as migration memos carry it.
fn thorchain_height(timestamp: u64) -> u64 {
    20_000_000 + (timestamp - START_TIMESTAMP) / 6
}

fn evm_text(world: &World<'_>, acct: u32) -> String {
    evm_address(world.evm.addr(acct)).to_string()
}

impl World<'_> {
    pub(super) fn setup_thor_evm(&mut self) {
        let e = self.entity(BRIDGE_NAME, Category::Bridge);
        self.thor.entity = e;
        self.thor.router = self.labelled_member(e, Role::Router);
        let vault = self.member(e, Role::Vault);
        self.thor.evm_vaults.push(vault);
        // Every vault of the bridge shares its wallet's fee setting: the base fee never exceeds
        // MAX_BASE_FEE.
        let gas_price = self.evm.fees(vault).effective_price(MAX_BASE_FEE);
        self.thor.evm_outbounds =
            Outbounds::new(u128::from(GAS_TRANSFER_OUT) * u128::from(gas_price));
        self.thor.btc_outbounds = Outbounds::new(u128::from(max_payment_fee(
            refund_memo(&TxHash([0; 32])).len(),
        )));
        let churn = self.n_blocks * CHURN_AT_PERCENT / 100;
        self.tasks
            .entry(churn)
            .or_default()
            .push(Task::RotateVaults);
    }

    /// The first Bitcoin vault (its wallet and its one address) and its premine outputs.
    pub(super) fn setup_thor_btc(&mut self) -> Vec<(usize, Address, u64)> {
        let w = self.wallet(Script::P2wpkh, Some((self.thor.entity, Role::Vault)));
        let a = self.bfresh(w);
        self.thor.btc_vaults.push((w, a.clone()));
        let coins = pool_depth(self.cfg.scale).btc_coins;
        (0..coins).map(|_| (w, a.clone(), VAULT_COIN)).collect()
    }

    /// What the vault paying a swap out holds and owes: the EVM vault for a Bitcoin inbound,
    /// the Bitcoin vault for an EVM inbound.
    fn thor_payer(&self, from_btc: bool) -> Payer {
        if from_btc {
            Payer {
                balance: self.evm.bal(self.thor.evm_vault(), ETH),
                outbounds: self.thor.evm_outbounds,
            }
        } else {
            Payer {
                balance: u128::from(self.btc.balance(self.thor.btc_vault().0)),
                outbounds: self.thor.btc_outbounds,
            }
        }
    }

    /// Record a swap and book its payouts on the chain that makes them.
    fn thor_book(&mut self, swap: ThorSwap) {
        if swap.pays_on_evm() {
            self.thor.evm_outbounds.book(&swap.parts);
        } else {
            self.thor.btc_outbounds.book(&swap.parts);
        }
        self.thor_swaps.push(swap);
    }

    fn party_text(&self, party: &Party) -> String {
        match party {
            Party::Evm(a) => evm_text(self, *a),
            Party::Btc(_, a) => a.to_string(),
        }
    }

    /// A swap memo as a wallet writes it; on Bitcoin it fits the OP_RETURN.
    fn thor_memo(
        &mut self,
        target: Target,
        dest: String,
        refund: Option<String>,
        expected: u128,
        (refunded, streaming): (bool, bool),
    ) -> SwapMemo {
        let mut memo = SwapMemo::random(MemoPlan {
            target,
            dest,
            refund,
            expected,
            refunded,
            streaming,
            rng: &mut self.rng,
        });
        if target == Target::Eth {
            memo.fit(MAX_OP_RETURN);
        }
        memo
    }

    /// The memo a Bitcoin wallet writes to swap `sats` to ETH for EVM account `to` (the address
    /// lower-case or EIP-55 checksummed, as wallets differ).
    pub(super) fn thor_memo_to_evm(
        &mut self,
        to: u32,
        sats: u128,
        refunded: bool,
        streaming: bool,
    ) -> SwapMemo {
        let raw = self.evm.addr(to);
        let dest = if self.rng.random_bool(0.3) {
            evm_address(raw).to_string()
        } else {
            format!("0x{}", hex::encode(raw))
        };
        let expected = btc_to_eth(sats, 0) / WEI_PER_UNIT;
        self.thor_memo(Target::Eth, dest, None, expected, (refunded, streaming))
    }

    /// A user swaps ETH for BTC to a Bitcoin user (sometimes refunded unless `swap_only`,
    /// sometimes streaming, sometimes with a refund address of their own).
    pub(super) fn thor_user_eth_inbound(
        &mut self,
        u: u32,
        wei: u128,
        swap_only: bool,
    ) -> Result<(), SimError> {
        let w = self.pick_user_w();
        let a = self.bfresh(w);
        let refunded = !swap_only && self.rng.random_bool(REFUNDED_SHARE);
        let streaming = !refunded && self.rng.random_bool(STREAMING_SHARE);
        let refund_to = self.rng.random_bool(0.15).then(|| self.pick_user());
        self.thor_swap_eth(u, wei, Party::Btc(w, a), (refunded, streaming), refund_to)?;
        Ok(())
    }

    /// A heist swaps `wei` of `from`'s ETH for BTC paid to `to` in one outbound; returns the
    /// swap.
    pub(super) fn thor_eth_inbound(
        &mut self,
        from: u32,
        wei: u128,
        to: Party,
    ) -> Result<usize, SimError> {
        let s = self.thor_swap_eth(from, wei, to, (false, false), None)?;
        let swap = &self.thor_swaps[s];
        if swap.refund || swap.parts.len() != 1 {
            return Err(SimError::Invariant(format!(
                "swap {} would be refunded or split",
                swap.memo
            )));
        }
        Ok(s)
    }

    fn thor_swap_eth(
        &mut self,
        from: u32,
        wei: u128,
        to: Party,
        style: (bool, bool),
        refund_to: Option<u32>,
    ) -> Result<usize, SimError> {
        let dest = self.party_text(&to);
        let refund = refund_to.map(|r| evm_text(self, r));
        let memo = self.thor_memo(Target::Btc, dest, refund, eth_to_btc(wei, 0), style);
        let text = memo.render();
        let (router, vault) = (self.thor.router, self.thor.evm_vault());
        let expiry = self.evm.block.timestamp + 3_600;
        let (in_tx, in_index) = self
            .evm
            .thor_deposit(from, (router, vault), wei, &text, expiry)?;
        let btc_vault = self.thor_payer(false);
        let (refund, parts) = settle(false, wei, &memo, btc_vault, &mut self.rng);
        let s = self.thor_swaps.len();
        let b = self.evm.block.number;
        if refund {
            let due = b + self.rng.random_range(5..60);
            self.tasks
                .entry(due)
                .or_default()
                .push(Task::ThorOut { swap: s, part: 0 });
        } else {
            // Large outbounds wait longer (THORChain's outbound delay grows with value).
            let due = self.btc.block.height + (wei / (500 * ETHER)).min(5) as u64;
            for part in 0..parts.len() {
                self.btasks
                    .entry(due + part as u64)
                    .or_default()
                    .push(BTask::ThorOut { swap: s, part });
            }
        }
        self.thor_book(ThorSwap {
            from_btc: false,
            in_tx,
            in_index,
            in_from: evm_text(self, from),
            vault: evm_text(self, vault),
            amount: wei,
            memo: text,
            refund,
            pay_to: if refund {
                Party::Evm(refund_to.unwrap_or(from))
            } else {
                to
            },
            parts,
            paid: 0,
            heist: None,
        });
        Ok(s)
    }

    /// A Bitcoin user swaps `sats` for ETH to an EVM user (sometimes refunded unless
    /// `swap_only`).
    pub(super) fn thor_user_btc_inbound(
        &mut self,
        u: usize,
        sats: u64,
        swap_only: bool,
    ) -> Result<(), SimError> {
        if sats < 200_000 {
            return Ok(());
        }
        let to = self.pick_user();
        let refunded = !swap_only && self.rng.random_bool(REFUNDED_SHARE);
        let streaming = !refunded && self.rng.random_bool(STREAMING_SHARE);
        let memo = self.thor_memo_to_evm(to, u128::from(sats), refunded, streaming);
        let (vw, vault) = self.thor.btc_vault();
        let Some(paid) = self.btc.pay(
            &mut self.rng,
            u,
            Select::Random,
            vec![(vw, vault, sats)],
            Some(memo.render().into_bytes()),
            Change::FirstInput,
        )?
        else {
            return Ok(());
        };
        let inbound = BtcInbound {
            paid: &paid,
            payer: u,
            sats: u128::from(sats),
            memo: &memo,
            to,
        };
        self.thor_record_btc_inbound(inbound, None)?;
        Ok(())
    }

    /// Book a Bitcoin inbound (vout 0 paid the active vault) and schedule what the protocol does
    /// with it. `heist`: the heist and the inbound's stolen sats.
    pub(super) fn thor_record_btc_inbound(
        &mut self,
        inbound: BtcInbound<'_>,
        heist: Option<(usize, u128)>,
    ) -> Result<usize, SimError> {
        let BtcInbound {
            paid,
            payer,
            sats,
            memo,
            to,
        } = inbound;
        let evm_vault = self.thor_payer(true);
        let (refund, parts) = settle(true, sats, memo, evm_vault, &mut self.rng);
        if heist.is_some() && (refund || parts.len() != 1) {
            return Err(SimError::Invariant(format!(
                "heist swap {} would be refunded or split",
                memo.render()
            )));
        }
        let s = self.thor_swaps.len();
        let height = self.btc.block.height;
        // THORChain waits for confirmations in proportion to the value (against the subsidy).
        let confirmations = 1 + (sats / u128::from(crate::btc::SUBSIDY)).min(5) as u64;
        if refund {
            self.btasks
                .entry(height + confirmations)
                .or_default()
                .push(BTask::ThorOut { swap: s, part: 0 });
        } else {
            let mut due = (height + confirmations) * EVM_BLOCKS_PER_BTC;
            for part in 0..parts.len() {
                due += self.rng.random_range(1..30);
                self.tasks
                    .entry(due)
                    .or_default()
                    .push(Task::ThorOut { swap: s, part });
            }
        }
        let vault = self.thor.btc_vault().1.to_string();
        self.thor_book(ThorSwap {
            from_btc: true,
            in_tx: paid.txid,
            in_index: 0,
            in_from: paid.vin0.to_string(),
            vault,
            amount: sats,
            memo: memo.render(),
            refund,
            pay_to: if refund {
                Party::Btc(payer, paid.vin0.clone())
            } else {
                Party::Evm(to)
            },
            parts,
            paid: 0,
            heist: heist.map(|(h, stolen)| (h, stolen, None)),
        });
        Ok(s)
    }

    /// The row of `bridge_links` for swap `s` and one of its payouts (`None`: pending).
    pub(super) fn thor_link(&self, s: usize, out: Option<(TxHash, u64, u128)>) -> BridgeLink {
        let sw = &self.thor_swaps[s];
        let (in_chain, other) = if sw.from_btc {
            (BTC_CHAIN, EVM_CHAIN)
        } else {
            (EVM_CHAIN, BTC_CHAIN)
        };
        let memo = sw.payout_memo();
        BridgeLink {
            protocol: "thorchain",
            bridge: BRIDGE_NAME.to_string(),
            direction: if sw.from_btc {
                "btc_to_evm"
            } else {
                "evm_to_btc"
            },
            kind: if sw.refund { "refund" } else { "swap" },
            status: if out.is_some() {
                "completed"
            } else {
                "pending"
            },
            in_chain,
            in_tx: sw.in_tx,
            in_index: sw.in_index,
            in_from: sw.in_from.clone(),
            vault: sw.vault.clone(),
            in_amount: Amount::from_u128(sw.amount),
            in_memo: Some(sw.memo.clone()),
            out_chain: if sw.refund { in_chain } else { other },
            out_tx: out.map(|o| o.0),
            out_index: out.map(|o| o.1),
            out_amount: out.map(|o| Amount::from_u128(o.2)),
            out_address: self.party_text(&sw.pay_to),
            out_memo: out.map(|_| memo),
            heist: sw.heist.map(|(h, _, _)| self.heists[h].name.clone()),
        }
    }

    /// The active Bitcoin vault pays part `part` of swap `s` (an EVM inbound's BTC, or a
    /// Bitcoin inbound's refund).
    pub(super) fn thor_pay_btc(&mut self, s: usize, part: usize) -> Result<(), SimError> {
        let (vw, vault) = self.thor.btc_vault();
        let sw = &self.thor_swaps[s];
        let Party::Btc(w, addr) = sw.pay_to.clone() else {
            return Err(SimError::Invariant(
                "THORChain BTC payout to an EVM party".into(),
            ));
        };
        let amount = sw.parts[part];
        let sats = u64::try_from(amount)
            .map_err(|_| SimError::Invariant(format!("BTC payout of {amount} sats")))?;
        let memo = sw.payout_memo().into_bytes();
        let mut paid = None;
        // Random coins first; when they fall short, the vault's largest.
        for select in [Select::Random, Select::Largest] {
            paid = self.btc.pay(
                &mut self.rng,
                vw,
                select,
                vec![(w, addr.clone(), sats)],
                Some(memo.clone()),
                Change::To(vault.clone()),
            )?;
            if paid.is_some() {
                break;
            }
        }
        let paid = paid.ok_or_else(|| SimError::Invariant("THORChain vault out of BTC".into()))?;
        self.thor_paid(s, (paid.txid, 0, amount), Place::Btc(addr.clone()))?;
        if let Some((h, _, onward)) = self.thor_swaps[s].heist {
            self.heist_btc_receipt(h, w, addr, onward)?;
        }
        Ok(())
    }

    /// The active EVM vault pays part `part` of swap `s` through the router (a Bitcoin
    /// inbound's ETH, or an EVM inbound's refund).
    pub(super) fn thor_pay_evm(&mut self, s: usize, part: usize) -> Result<(), SimError> {
        let (router, vault) = (self.thor.router, self.thor.evm_vault());
        let sw = &self.thor_swaps[s];
        let Party::Evm(to) = sw.pay_to else {
            return Err(SimError::Invariant(
                "THORChain EVM payout to a BTC party".into(),
            ));
        };
        let amount = sw.parts[part];
        let memo = sw.payout_memo();
        if !self.evm.can_pay(vault, amount, GAS_TRANSFER_OUT) {
            return Err(SimError::Invariant("THORChain vault out of ETH".into()));
        }
        let (tx, index) = self
            .evm
            .thor_transfer_out((router, vault), to, amount, &memo)?;
        self.thor_paid(s, (tx, index, amount), Place::Evm(to))?;
        if let Some((h, _, _)) = self.thor_swaps[s].heist
            && self.evm_owner.get(&to) == Some(&self.heists[h].thief_entity)
        {
            // Paid to a thief's own account: on to an exchange deposit address.
            let due = self.evm.block.number + self.rng.random_range(20..200);
            self.send_to_mule(due, h, to, ETH);
        }
        Ok(())
    }

    /// Book a payout of swap `s` (its transaction, index and amount) to `to`: off the chain's
    /// outbounds, into the truth's bridge links and, for a heist's swap, into its ledger.
    fn thor_paid(&mut self, s: usize, out: (TxHash, u64, u128), to: Place) -> Result<(), SimError> {
        let (tx, _, amount) = out;
        let sw = &mut self.thor_swaps[s];
        sw.paid += 1;
        let outbounds = if sw.pays_on_evm() {
            &mut self.thor.evm_outbounds
        } else {
            &mut self.thor.btc_outbounds
        };
        outbounds.paid(amount)?;
        let link = self.thor_link(s, Some(out));
        self.bridge_links.push(link);
        let sw = &self.thor_swaps[s];
        if let Some((h, stolen, _)) = sw.heist {
            let asset = |on_btc: bool| if on_btc { SimAsset::Btc } else { SimAsset::Eth };
            self.heists[h].ledger.bridge_payout(
                BridgeProtocol::Thorchain,
                (asset(sw.from_btc), sw.amount, stolen),
                (to, asset(!sw.pays_on_evm()), amount),
                (sw.in_tx, tx),
            )?;
        }
        Ok(())
    }

    /// The churn: new vaults on both chains; the EVM vault hands over its ETH now, the Bitcoin
    /// vault its coins in the next Bitcoin block.
    pub(super) fn thor_rotate(&mut self) -> Result<(), SimError> {
        let e = self.thor.entity;
        let (router, old) = (self.thor.router, self.thor.evm_vault());
        let new = self.member(e, Role::Vault);
        let memo = migrate_memo(thorchain_height(self.evm.block.timestamp));
        let gas = self.evm.fee(old, GAS_TRANSFER_OUT);
        let amount = self.evm.bal(old, ETH).saturating_sub(gas);
        let tx = self
            .evm
            .thor_return_vault_assets(router, (old, new), amount, &memo)?;
        self.thor.evm_vaults.push(new);
        self.thor.evm_active = self.thor.evm_vaults.len() - 1;
        self.vault_migrations.push(VaultMigration {
            protocol: "thorchain",
            chain: EVM_CHAIN,
            tx,
            from: evm_text(self, old),
            to: evm_text(self, new),
            amount: Amount::from_u128(amount),
            memo,
        });
        let w = self.wallet(Script::P2wpkh, Some((e, Role::Vault)));
        let a = self.bfresh(w);
        self.thor.btc_vaults.push((w, a));
        self.btasks
            .entry(self.btc.block.height)
            .or_default()
            .push(BTask::MigrateBtcVault);
        Ok(())
    }

    /// The retired Bitcoin vault sends all its coins to the new one (200 inputs a transaction).
    pub(super) fn thor_migrate_btc_vault(&mut self) -> Result<(), SimError> {
        let (old_w, old) = self.thor.btc_vault();
        let Some((new_w, new)) = self.thor.btc_vaults.last().cloned() else {
            return Ok(());
        };
        let memo = migrate_memo(thorchain_height(self.btc.block.timestamp));
        let coins = std::mem::take(&mut self.btc.wallets[old_w].utxos);
        for chunk in coins.chunks(200) {
            let addrs: Vec<&Address> = chunk.iter().map(|u| &u.addr).collect();
            let fee = self.btc.fee_for(&addrs, &[&new], memo.len());
            let total: u64 = chunk.iter().map(|u| u.value).sum();
            let amount = total.saturating_sub(fee);
            let tx = self.btc.emit(
                chunk.to_vec(),
                vec![(new_w, new.clone(), amount)],
                Some(memo.clone().into_bytes()),
            )?;
            self.vault_migrations.push(VaultMigration {
                protocol: "thorchain",
                chain: BTC_CHAIN,
                tx,
                from: old.to_string(),
                to: new.to_string(),
                amount: Amount::from_u64(amount),
                memo: memo.clone(),
            });
        }
        self.thor.btc_active = self.thor.btc_vaults.len() - 1;
        Ok(())
    }

    /// `bridge_links` rows of the swaps whose payouts never happened.
    pub(super) fn thor_pending_links(&self) -> Vec<BridgeLink> {
        (0..self.thor_swaps.len())
            .filter(|&s| self.thor_swaps[s].paid < self.thor_swaps[s].parts.len())
            .map(|s| self.thor_link(s, None))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::SimConfig;
    use crate::fees::MAX_BASE_FEE;
    use crate::model::{BtcBlock, EvmBlock, WorldSink};

    struct Discard;

    impl WorldSink for Discard {
        fn evm_block(&mut self, _: &EvmBlock) -> Result<(), SimError> {
            Ok(())
        }
        fn btc_block(&mut self, _: &BtcBlock) -> Result<(), SimError> {
            Ok(())
        }
    }

    /// `=:ETH.ETH:<dest>`: no limit, no streaming, no affiliate.
    fn plain_memo_to_eth(dest: String) -> SwapMemo {
        SwapMemo {
            function: "=",
            asset: "ETH.ETH",
            dest,
            refund: None,
            limit: None,
            stream: None,
            affiliate: None,
        }
    }

    #[test]
    fn pools_deepen_with_every_million_of_scale() {
        let base = PoolDepth {
            wei: 300_000 * ETHER,
            btc_coins: 4,
        };
        assert_eq!(pool_depth(200_000), base);
        assert_eq!(pool_depth(999_999), base);
        // Each million adds 20,000 BTC and 666,666.666… ETH (0.03 BTC per ETH).
        assert_eq!(
            pool_depth(3_000_000),
            PoolDepth {
                wei: 2_299_999_999_999_999_999_999_998,
                btc_coins: 7,
            }
        );
    }

    #[test]
    fn outbounds_owe_each_payout_and_its_gas_until_it_is_made() {
        let mut book = Outbounds::new(10);
        assert!(book.can_fund(1_020, &[500, 500]));
        assert!(!book.can_fund(1_019, &[500, 500]));
        book.book(&[500, 500]);
        assert_eq!(book.owed, 1_020);
        assert!(!book.can_fund(1_050, &[21]));
        assert!(book.can_fund(1_051, &[21]));
        book.paid(500).expect("booked");
        assert_eq!(book.owed, 510);
        book.paid(500).expect("booked");
        assert_eq!(book.owed, 0);
        assert!(matches!(book.paid(1), Err(SimError::Invariant(_))));
    }

    #[test]
    fn a_swap_its_payer_cannot_fund_is_refunded() {
        let memo = plain_memo_to_eth("0x00000000000000000000000000000000000000aa".into());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let sats = 3 * u128::from(COIN);
        // 100 ETH less the 0.2% liquidity fee and the 0.0024 ETH outbound fee.
        let payout = 99_797_600_000_000_000_000;
        let gas = 1_000;
        let payer = |balance| Payer {
            balance,
            outbounds: Outbounds::new(gas),
        };
        assert_eq!(
            settle(true, sats, &memo, payer(payout + gas), &mut rng),
            (false, vec![payout])
        );
        assert_eq!(
            settle(true, sats, &memo, payer(payout + gas - 1), &mut rng),
            (true, vec![sats - BTC_OUTBOUND_FEE])
        );
    }

    /// Two Bitcoin inbounds each worth 60% of the EVM vault's ETH: the second would leave the
    /// vault unable to pay the first, so it is refunded on Bitcoin (before, both were booked
    /// and the second payout failed with "THORChain vault out of ETH").
    #[test]
    fn the_evm_vault_refunds_what_its_pending_payouts_leave_it_unable_to_pay() {
        let mut sink = Discard;
        let config = SimConfig {
            seed: 3,
            scale: 30_000,
            days: 1,
        };
        let mut world = World::new(config, &mut sink);
        world.setup_evm().expect("EVM setup");
        world.btc.open_genesis(START_TIMESTAMP);
        world.setup_btc().expect("Bitcoin setup");
        let vault = world.thor.evm_vault();
        assert_eq!(world.evm.bal(vault, ETH), 300_000 * ETHER);
        let (to, payer) = (world.users[0], world.b_users[0]);
        let sats = 5_400 * u128::from(COIN);
        let memo = plain_memo_to_eth(evm_text(&world, to));
        let mut swaps = Vec::new();
        for txid in [1, 2] {
            let paid = Paid {
                txid: TxHash([txid; 32]),
                vin0: world.btc.fresh(payer),
                fee: 0,
                change: None,
                spent: 5_400 * COIN,
            };
            let inbound = BtcInbound {
                paid: &paid,
                payer,
                sats,
                memo: &memo,
                to,
            };
            swaps.push(
                world
                    .thor_record_btc_inbound(inbound, None)
                    .expect("booked"),
            );
        }
        // 180,000 ETH less the 0.2% liquidity fee and the 0.0024 ETH outbound fee.
        let payout = 179_639_997_600_000_000_000_000;
        let (first, second) = (&world.thor_swaps[swaps[0]], &world.thor_swaps[swaps[1]]);
        assert_eq!((first.refund, first.parts.clone()), (false, vec![payout]));
        assert_eq!(
            (second.refund, second.parts.clone()),
            (true, vec![sats - BTC_OUTBOUND_FEE])
        );
        let gas_reserved = world.thor.evm_outbounds.gas_per_payout;
        assert_eq!(world.thor.evm_outbounds.owed, payout + gas_reserved);
        let refund_fee = world.thor.btc_outbounds.gas_per_payout;
        assert_eq!(
            world.thor.btc_outbounds.owed,
            sats - BTC_OUTBOUND_FEE + refund_fee
        );

        // The vault pays what it owes, at the highest base fee, within its gas reservation.
        world
            .evm
            .start_block(1, START_TIMESTAMP + 12, world.builders[0], MAX_BASE_FEE);
        let before = (world.evm.bal(vault, ETH), world.evm.bal(to, ETH));
        world.thor_pay_evm(swaps[0], 0).expect("the vault can pay");
        assert_eq!(world.evm.bal(to, ETH) - before.1, payout);
        let gas_paid = before.0 - world.evm.bal(vault, ETH) - payout;
        assert!(0 < gas_paid && gas_paid <= gas_reserved, "{gas_paid} wei");
        assert_eq!(world.thor.evm_outbounds.owed, 0);
    }
}
