//! The heists on the EVM chain: the three DPRK-playbook variants, their plans (swaps, fan-out,
//! Vortex deposits, bridging, clean value reaching the thieves) and the steps they schedule.

use chaintrail_core::{Address, TxHash};
use rand::Rng;

use super::heist_vortex::HeistMixing;
use super::tasks::{Onward, Task};
use super::thorchain::Party;
use super::{World, sim_asset};
use crate::EVM_CHAIN;
use crate::SimError;
use crate::evm::{
    ETH, ETHER, GAS_BRIDGE, GAS_SWAP, GAS_TOKEN, GAS_TRANSFER, STK, USDC, evm_address,
};
use crate::truth::*;

pub(super) struct Heist {
    pub name: String,
    pub variant: &'static str,
    pub victim_entity: u32,
    pub victim: u32,
    pub thief_entity: u32,
    pub start_block: u64,
    pub exploit_txs: Vec<TxHash>,
    pub first: Vec<ChainAddress>,
    pub evm_accts: Vec<u32>,
    pub btc_addrs: Vec<Address>,
    pub ledger: Ledger,
    /// A Bitcoin peel chain already started from a wallet holding clean coins too.
    pub btc_merged: bool,
    /// Its notes in Vortex and its withdrawal sessions.
    pub mixing: HeistMixing,
}

/// Unrelated clean value reaching thief account `acct` of heist `h` (when `None`, one of its
/// accounts already on chain, as chosen on arrival): from `from`, or a random funded user.
pub(super) struct CleanArrival {
    h: usize,
    acct: Option<u32>,
    asset: usize,
    amount: u128,
    kind: &'static str,
    from: Option<u32>,
}

/// The three DPRK-playbook variants.
struct HeistSpec {
    name: &'static str,
    variant: &'static str,
    victim: &'static str,
    victim_category: Category,
    thief: &'static str,
    at: f64,
    eth: u128,
    usdc: u128,
    stk: u128,
}

const HEISTS: [HeistSpec; 3] = [
    HeistSpec {
        name: "Ronin-like bridge exploit",
        variant: "ronin",
        victim: "Ronin-like Bridge",
        victim_category: Category::Bridge,
        thief: "Lazarus (Ronin-like heist)",
        at: 0.05,
        eth: 173_600 * ETHER,
        usdc: 25_500_000 * 1_000_000,
        stk: 0,
    },
    HeistSpec {
        name: "Harmony-like bridge exploit",
        variant: "harmony",
        victim: "Harmony-like Horizon Bridge",
        victim_category: Category::Bridge,
        thief: "Lazarus (Harmony-like heist)",
        at: 0.25,
        eth: 85_700 * ETHER,
        usdc: 4_000_000 * 1_000_000,
        stk: 0,
    },
    HeistSpec {
        name: "Bybit-like exchange hack",
        variant: "bybit",
        victim: "Bybit-like Exchange",
        victim_category: Category::Exchange,
        thief: "Lazarus (Bybit-like heist)",
        at: 0.45,
        eth: 401_000 * ETHER,
        usdc: 5_000_000 * 1_000_000,
        stk: 90_000 * ETHER,
    },
];

impl World<'_> {
    pub(super) fn setup_heists(&mut self) {
        for spec in &HEISTS {
            let victim_entity = self.entity(spec.victim, spec.victim_category);
            let victim = self.labelled_member(victim_entity, Role::Victim);
            let thief_entity = self.entity(spec.thief, Category::Thief);
            let start_block = ((self.n_blocks as f64 * spec.at) as u64).max(2);
            let h = self.heists.len();
            self.heists.push(Heist {
                name: spec.name.to_string(),
                variant: spec.variant,
                victim_entity,
                victim,
                thief_entity,
                start_block,
                exploit_txs: Vec::new(),
                first: Vec::new(),
                evm_accts: Vec::new(),
                btc_addrs: Vec::new(),
                ledger: Ledger::default(),
                btc_merged: false,
                mixing: HeistMixing::default(),
            });
            self.tasks
                .entry(start_block)
                .or_default()
                .push(Task::Exploit {
                    h,
                    eth: spec.eth,
                    usdc: spec.usdc,
                    stk: spec.stk,
                });
        }
    }

    pub(super) fn thief_acct(&mut self, h: usize) -> u32 {
        let e = self.heists[h].thief_entity;
        let a = self.member(e, Role::Thief);
        self.heists[h].evm_accts.push(a);
        a
    }

    pub(super) fn gas(&mut self, h: usize, acct: u32, gas: u64) -> Result<(), SimError> {
        let fee = self.evm.fee(acct, gas);
        self.heists[h]
            .ledger
            .fee(&Place::Evm(acct), "gas", SimAsset::Eth, fee)
    }

    /// A thief sends `amount` of `asset` to `to`.
    pub(super) fn thief_send(
        &mut self,
        h: usize,
        from: u32,
        to: u32,
        asset: usize,
        amount: u128,
    ) -> Result<TxHash, SimError> {
        let (tx, gas) = if asset == ETH {
            (self.evm.eth_transfer(from, to, amount)?, GAS_TRANSFER)
        } else {
            (self.evm.token_transfer(asset, from, to, amount)?, GAS_TOKEN)
        };
        self.gas(h, from, gas)?;
        self.heists[h]
            .ledger
            .mv(&Place::Evm(from), Place::Evm(to), sim_asset(asset), amount)?;
        Ok(tx)
    }

    pub(super) fn mule_deposit(&mut self) -> u32 {
        let x = self.rng.random_range(0..self.exchanges.len());
        let mule = self.user_acct();
        let d = self.deposit_account(mule, x);
        self.exchanges[x].unswept.push(d);
        d
    }

    /// At block `due`, heist `h`'s account `acct` sends its `asset` on to a mule's exchange
    /// deposit address.
    pub(super) fn send_to_mule(&mut self, due: u64, h: usize, acct: u32, asset: usize) {
        let to = self.mule_deposit();
        self.tasks
            .entry(due)
            .or_default()
            .push(Task::Send { h, acct, to, asset });
    }

    /// The exploit: the victim's ETH and tokens go to the thief's first address.
    pub(super) fn exploit(
        &mut self,
        b: u64,
        h: usize,
        (eth, usdc, stk): (u128, u128, u128),
    ) -> Result<(), SimError> {
        let victim = self.heists[h].victim;
        let t0 = self.thief_acct(h);
        self.labelled_evm.insert(t0);
        let mut txs = vec![self.evm.eth_transfer(victim, t0, eth)?];
        self.heists[h]
            .ledger
            .steal(Place::Evm(t0), SimAsset::Eth, eth);
        for (asset, v) in [(USDC, usdc), (STK, stk)] {
            if v > 0 {
                txs.push(self.evm.token_transfer(asset, victim, t0, v)?);
                self.heists[h]
                    .ledger
                    .steal(Place::Evm(t0), sim_asset(asset), v);
            }
        }
        self.heists[h].exploit_txs = txs;
        self.heists[h].first.push(ChainAddress::new(
            EVM_CHAIN,
            &evm_address(self.evm.addr(t0)),
        ));
        self.plan(h, b, t0);
        Ok(())
    }

    /// A thief account swaps all its `token` for ETH on the DEX.
    pub(super) fn heist_swap(
        &mut self,
        h: usize,
        acct: u32,
        token: usize,
        deadline: u64,
    ) -> Result<(), SimError> {
        let have = self.evm.bal(acct, token);
        let (tx, out) = self.evm.swap_tokens_for_eth(acct, token, have, deadline)?;
        self.gas(h, acct, GAS_SWAP)?;
        let at = Place::Evm(acct);
        self.heists[h].ledger.convert(
            &at,
            sim_asset(token),
            have,
            at.clone(),
            SimAsset::Eth,
            out,
            "dex",
            tx,
            None,
        )?;
        Ok(())
    }

    /// A thief account splits its ETH (less a reserve for gas) evenly among `to`.
    pub(super) fn fan_out(&mut self, h: usize, from: u32, to: Vec<u32>) -> Result<(), SimError> {
        let total_w: u128 = to.len() as u128;
        let keep = 2 * ETHER;
        let share = (self.evm.bal(from, ETH).saturating_sub(keep)) / total_w.max(1);
        for t in to {
            self.thief_send(h, from, t, ETH, share)?;
        }
        Ok(())
    }

    /// A thief account sends all its `asset` (ETH: less the gas) to `to`.
    pub(super) fn send_all(
        &mut self,
        h: usize,
        (acct, to): (u32, u32),
        asset: usize,
    ) -> Result<(), SimError> {
        let v = if asset == ETH {
            self.evm
                .bal(acct, ETH)
                .saturating_sub(self.evm.fee(acct, GAS_TRANSFER))
        } else {
            self.evm.bal(acct, asset)
        };
        let payable = asset == ETH || self.evm.can_pay(acct, 0, GAS_TOKEN);
        if v > 0 && payable {
            self.thief_send(h, acct, to, asset, v)?;
        }
        Ok(())
    }

    /// A thief account bridges its ETH to Bitcoin through THORChain, in `chunks` parts.
    pub(super) fn heist_bridge(
        &mut self,
        b: u64,
        (h, acct): (usize, u32),
        chunks: u32,
        onward: Onward,
    ) -> Result<(), SimError> {
        let gas = self.evm.fee(acct, GAS_BRIDGE);
        let bal = self.evm.bal(acct, ETH);
        if bal <= gas + ETHER {
            return Ok(());
        }
        let v = if chunks <= 1 {
            bal - gas
        } else {
            bal / u128::from(chunks)
        };
        let tw = self.thief_wallet(Some(h));
        let a = self.bfresh(tw);
        self.heists[h].btc_addrs.push(a.clone());
        let swap = self.thor_eth_inbound(acct, v, Party::Btc(tw, a))?;
        self.gas(h, acct, GAS_BRIDGE)?;
        let thor = Place::Bridge(BridgeProtocol::Thorchain);
        let lots = self.heists[h]
            .ledger
            .mv(&Place::Evm(acct), thor, SimAsset::Eth, v)?;
        self.thor_swaps[swap].heist = Some((h, stolen_of(&lots), Some(onward)));
        if chunks > 1 {
            let next = b + self.rng.random_range(20..80);
            self.tasks.entry(next).or_default().push(Task::Bridge {
                h,
                acct,
                chunks: chunks - 1,
                onward,
            });
        }
        Ok(())
    }

    /// A thief account pays another one's gas.
    pub(super) fn fund(
        &mut self,
        h: usize,
        (from, to): (u32, u32),
        amount: u128,
    ) -> Result<(), SimError> {
        if self.evm.can_pay(from, amount, GAS_TRANSFER) {
            self.thief_send(h, from, to, ETH, amount)?;
        }
        Ok(())
    }

    /// Unrelated clean value reaches a thief account (from a funded user when no payer is set).
    pub(super) fn clean_arrival(&mut self, c: CleanArrival) -> Result<(), SimError> {
        let CleanArrival {
            h,
            acct,
            asset,
            amount,
            kind,
            from,
        } = c;
        let acct = match acct {
            Some(acct) => acct,
            None => {
                // Strangers can only pay addresses they have seen on chain.
                let seen: Vec<u32> = self.heists[h]
                    .evm_accts
                    .iter()
                    .copied()
                    .filter(|&a| self.evm.appears(a))
                    .collect();
                if seen.is_empty() {
                    return Ok(());
                }
                seen[self.rng.random_range(0..seen.len())]
            }
        };
        let gas = if asset == ETH {
            GAS_TRANSFER
        } else {
            GAS_TOKEN
        };
        let value = if asset == ETH { amount } else { 0 };
        let mut src = None;
        for _ in 0..6 {
            let s = match from {
                Some(s) => s,
                None => self.pick_user(),
            };
            let funded = asset == ETH || self.evm.bal(s, asset) >= amount;
            let frozen = asset == USDC && (self.evm.is_frozen(s) || self.evm.is_frozen(acct));
            if s != acct && funded && !frozen && self.evm.can_pay(s, value, gas) {
                src = Some(s);
                break;
            }
            if from.is_some() {
                break;
            }
        }
        let Some(src) = src else {
            return Ok(());
        };
        let tx = if asset == ETH {
            self.evm.eth_transfer(src, acct, amount)?
        } else {
            self.evm.token_transfer(asset, src, acct, amount)?
        };
        self.heists[h]
            .ledger
            .clean_in(Place::Evm(acct), sim_asset(asset), amount, tx, kind);
        Ok(())
    }

    /// Unrelated clean value for a heist's EVM accounts: gas top-ups from funded users and
    /// unsolicited ETH and USDC dust (never answered), spread over the laundering period, plus
    /// one substantial clean deposit the thieves merge with stolen value before spending
    /// (`merge`: an exchange withdrawal or OTC counterparty funds, before the fan-out).
    fn plan_clean(&mut self, h: usize, b: u64, merge: (u32, u32, u128, u64)) {
        let (topups, dust) = match self.heists[h].variant {
            "ronin" => (16, 24),
            "harmony" => (8, 12),
            _ => (30, 40),
        };
        for i in 0..topups + dust {
            let due = b + self.rng.random_range(41..3_000);
            let (asset, amount, kind) = if i < topups {
                (
                    ETH,
                    self.rng.random_range(2..=50u128) * ETHER / 1_000,
                    "gas_topup",
                )
            } else if self.rng.random_bool(0.5) {
                (
                    ETH,
                    self.rng.random_range(1..=100u128) * ETHER / 1_000_000,
                    "dust",
                )
            } else {
                (USDC, self.rng.random_range(1..=100_000u128), "dust")
            };
            self.tasks
                .entry(due)
                .or_default()
                .push(Task::Clean(CleanArrival {
                    h,
                    acct: None,
                    asset,
                    amount,
                    kind,
                    from: None,
                }));
        }
        let (acct, from, amount, d) = merge;
        self.tasks
            .entry(b + d)
            .or_default()
            .push(Task::Clean(CleanArrival {
                h,
                acct: Some(acct),
                asset: ETH,
                amount,
                kind: "merge",
                from: Some(from),
            }));
    }

    /// Schedule a heist's laundering after the exploit.
    fn plan(&mut self, h: usize, b: u64, t0: u32) {
        let variant = self.heists[h].variant;
        let at = |s: &mut Self, d: u64, t: Task| s.tasks.entry(b + d).or_default().push(t);
        let merge = match variant {
            "ronin" => {
                at(
                    self,
                    20,
                    Task::Swap {
                        h,
                        acct: t0,
                        token: USDC,
                    },
                );
                let ws: Vec<u32> = (0..8).map(|_| self.thief_acct(h)).collect();
                // OTC counterparty funds reach a fan-out wallet before its stolen share.
                let merge = (ws[1], self.otc[1], 250 * ETHER, 30);
                let mut to = ws.clone();
                to.push(self.mule_deposit());
                to.push(self.otc[0]);
                at(self, 40, Task::FanOut { h, from: t0, to });
                // Recipients move on: half to exchange deposit addresses, a quarter over the
                // bridge (then Blendery), a quarter hold.
                let rs: Vec<u32> = (0..40).map(|_| self.thief_acct(h)).collect();
                let mut recipients = Vec::new();
                for (i, &r) in rs.iter().enumerate() {
                    let onward = match i % 4 {
                        0 | 1 => vec![Task::Send {
                            h,
                            acct: r,
                            to: self.mule_deposit(),
                            asset: ETH,
                        }],
                        2 => vec![Task::Bridge {
                            h,
                            acct: r,
                            chunks: 1,
                            onward: Onward::Mixer,
                        }],
                        _ => Vec::new(),
                    };
                    recipients.push((r, onward));
                }
                self.plan_heist_mixing(h, b + 60, (ws, 2), recipients);
                merge
            }
            "harmony" => {
                at(
                    self,
                    20,
                    Task::Swap {
                        h,
                        acct: t0,
                        token: USDC,
                    },
                );
                let ws: Vec<u32> = (0..3).map(|_| self.thief_acct(h)).collect();
                // An exchange withdrawal to a fan-out wallet before its stolen share.
                let merge = (ws[0], self.exchanges[1].hot, 300 * ETHER, 30);
                at(
                    self,
                    40,
                    Task::FanOut {
                        h,
                        from: t0,
                        to: ws.clone(),
                    },
                );
                // Every recipient bridges to Bitcoin (then Blendery).
                let rs: Vec<u32> = (0..20).map(|_| self.thief_acct(h)).collect();
                let recipients = rs
                    .iter()
                    .map(|&r| {
                        let bridge = Task::Bridge {
                            h,
                            acct: r,
                            chunks: 1,
                            onward: Onward::Mixer,
                        };
                        (r, vec![bridge])
                    })
                    .collect();
                self.plan_heist_mixing(h, b + 60, (ws, 1), recipients);
                merge
            }
            _ => {
                let wusdc = self.thief_acct(h);
                at(
                    self,
                    5,
                    Task::Send {
                        h,
                        acct: t0,
                        to: wusdc,
                        asset: USDC,
                    },
                );
                at(self, 12, Task::Freeze { acct: wusdc });
                at(
                    self,
                    15,
                    Task::Swap {
                        h,
                        acct: t0,
                        token: STK,
                    },
                );
                let ws: Vec<u32> = (0..50).map(|_| self.thief_acct(h)).collect();
                // An exchange withdrawal to a fan-out wallet before its stolen share.
                let merge = (ws[0], self.exchanges[0].hot, 1_500 * ETHER, 10);
                at(
                    self,
                    30,
                    Task::FanOut {
                        h,
                        from: t0,
                        to: ws.clone(),
                    },
                );
                for (i, w) in ws.into_iter().enumerate() {
                    at(
                        self,
                        60 + 3 * i as u64,
                        Task::Bridge {
                            h,
                            acct: w,
                            chunks: 4,
                            onward: Onward::Peel,
                        },
                    );
                }
                merge
            }
        };
        self.plan_clean(h, b, merge);
    }
}
