//! The world's setup: entities and their addresses (and what the day-one TagPack labels), the
//! EVM genesis allocations and token seeding, the Bitcoin premine.

use chaintrail_core::Address;
use rand::Rng;

use super::blendery::Blendery;
use super::exchanges::Exchange;
use super::thorchain::pool_depth;
use super::{BTC_MIXER_NAME, EXCHANGES, MIXER_NAME, OTCS, START_TIMESTAMP, World};
use crate::SimError;
use crate::btc::{COIN, Change, Script, Select};
use crate::evm::{ETHER, Pair, Pool, STK, USDC, WETH};
use crate::fees::FeeStyle;
use crate::software::Software;
use crate::truth::{Category, Role};

impl World<'_> {
    /// A new entity. Its accounts share one wallet fee setting: a thief's scripts use exact
    /// values of their own, a service's wallet whatever its operators chose.
    pub(super) fn entity(&mut self, name: &str, category: Category) -> u32 {
        let fees = match category {
            Category::Thief => FeeStyle::unusual(&mut self.rng),
            _ => FeeStyle::for_user(&mut self.rng),
        };
        self.entity_fees.push(fees);
        self.entities.push((name.to_string(), category));
        self.evm_members.push(Vec::new());
        self.btc_members.push(Vec::new());
        (self.entities.len() - 1) as u32
    }

    /// A new account of entity `e` in role `role`.
    pub(super) fn member(&mut self, e: u32, role: Role) -> u32 {
        let fees = self.entity_fees[e as usize];
        self.member_with_fees(e, role, fees)
    }

    /// A new account of entity `e` in role `role` whose wallet sets fees its own way.
    pub(super) fn member_with_fees(&mut self, e: u32, role: Role, fees: FeeStyle) -> u32 {
        let a = self.evm.new_account(fees);
        let wallet = match self.entity_evm_wallet.get(&e) {
            Some(&w) => w,
            None => {
                let w = self.new_evm_wallet();
                self.entity_evm_wallet.insert(e, w);
                w
            }
        };
        self.evm_wallet.push(wallet);
        self.evm_owner.insert(a, e);
        self.evm_members[e as usize].push((a, role));
        a
    }

    /// A new account of an unattributed user, with a wallet of its own.
    pub(super) fn user_acct(&mut self) -> u32 {
        let fees = FeeStyle::for_user(&mut self.rng);
        let wallet = self.new_evm_wallet();
        self.evm_wallet.push(wallet);
        self.evm.new_account(fees)
    }

    /// Another account of the user who owns `acct`: same wallet, same fee settings.
    pub(super) fn own_acct(&mut self, acct: u32) -> u32 {
        let fees = self.evm.fees(acct);
        self.evm_wallet.push(self.evm_wallet[acct as usize]);
        self.evm.new_account(fees)
    }

    fn new_evm_wallet(&mut self) -> u32 {
        self.evm_wallets += 1;
        self.evm_wallets - 1
    }

    /// A new account of entity `e` that the day-one TagPack labels.
    pub(super) fn labelled_member(&mut self, e: u32, role: Role) -> u32 {
        let a = self.member(e, role);
        self.labelled_evm.insert(a);
        a
    }

    /// A new Bitcoin wallet receiving on `script`, of this entity (with the role its
    /// addresses play) or of a private user. Thieves run Bitcoin Core, services their own
    /// software (`software.rs`).
    pub(super) fn wallet(&mut self, script: Script, owner: Option<(u32, Role)>) -> usize {
        let software = match owner {
            None => Software::of_user(self.btc.seed(), self.btc.wallets.len()),
            Some((_, Role::Thief)) => Software::BitcoinCore,
            Some((entity, _)) => Software::of_service(entity),
        };
        let w = self.btc.new_wallet(script, software);
        self.wallet_entity.push(owner);
        w
    }

    /// A fresh address of wallet `w`, registered to the wallet's entity.
    pub(super) fn bfresh(&mut self, w: usize) -> Address {
        let a = self.btc.fresh(w);
        if let Some((e, role)) = self.wallet_entity[w] {
            self.btc_owner.insert(a.clone(), e);
            self.btc_members[e as usize].push((a.clone(), role));
        }
        a
    }

    /// A fresh address of wallet `w` that the day-one TagPack labels.
    fn bfresh_labelled(&mut self, w: usize) -> Address {
        let a = self.bfresh(w);
        self.labelled_btc.insert(a.clone());
        a
    }

    pub(super) fn setup_evm(&mut self) -> Result<(), SimError> {
        let issuer = self.entity("Token issuer", Category::User);
        let dex = self.entity("Unidex V2", Category::Dex);
        let mixer = self.entity(MIXER_NAME, Category::Mixer);
        let miners = self.entity("Builder pool", Category::Miner);
        self.evm.token_owner = self.member(issuer, Role::Issuer);
        for asset in [USDC, STK, WETH] {
            self.evm.chain_token[asset] = self.member(issuer, Role::Token);
        }
        self.evm.router = self.labelled_member(dex, Role::Router);
        for (token, reserve_token, reserve_weth) in [
            // Deep pools, so that even heist-sized swaps trade near the market price.
            (USDC, 3_000_000_000 * 1_000_000u128, 1_000_000 * ETHER),
            (STK, 6_000_000 * ETHER, 6_000_000 * ETHER),
        ] {
            let acct = self.labelled_member(dex, Role::Pair);
            let weth_is_token0 = self.evm.addr(self.evm.chain_token[WETH])
                < self.evm.addr(self.evm.chain_token[token]);
            self.evm.pairs.push(Pair {
                acct,
                token,
                weth_is_token0,
                reserve_weth,
                reserve_token,
            });
        }
        for denom in [ETHER / 10, ETHER, 10 * ETHER, 100 * ETHER] {
            let acct = self.labelled_member(mixer, Role::Pool);
            self.evm.pools.push(Pool {
                acct,
                denomination: denom,
                next_leaf: 0,
            });
        }
        self.setup_thor_evm();
        self.setup_btcb_evm();
        for _ in 0..3 {
            let b = self.labelled_member(miners, Role::Builder);
            self.builders.push(b);
        }
        for name in EXCHANGES {
            let e = self.entity(name, Category::Exchange);
            let hot = self.labelled_member(e, Role::HotWallet);
            self.exchanges.push(Exchange {
                entity: e,
                hot,
                unswept: Vec::new(),
                btc_hot: 0,
                btc_initial: Vec::new(),
                btc_deposits: 0,
            });
        }
        for name in OTCS {
            let e = self.entity(name, Category::Otc);
            let a = self.labelled_member(e, Role::Main);
            self.otc.push(a);
        }
        let relayer_entity = self.entity("Vortex relayers", Category::Mixer);
        for _ in 0..5 {
            // Each relayer runs its own software and settings.
            let fees = FeeStyle::for_user(&mut self.rng);
            let r = self.member_with_fees(relayer_entity, Role::Relayer, fees);
            self.relayers.push(r);
        }
        let n_users = (self.cfg.scale / 40).clamp(300, 250_000);
        for _ in 0..n_users {
            let u = self.user_acct();
            self.users.push(u);
        }
        self.setup_heists();
        // Genesis allocations.
        self.evm.block.number = 0;
        self.evm.block.timestamp = START_TIMESTAMP;
        self.evm.block.hash = [7; 32];
        let weth_backing = 700_000 * ETHER;
        let alloc: Vec<(u32, u128)> = [
            (self.evm.token_owner, 1_000 * ETHER),
            (self.evm.chain_token[WETH], weth_backing),
            (self.thor.evm_vaults[0], pool_depth(self.cfg.scale).wei),
            (self.btcb.warden, 100 * ETHER),
        ]
        .into_iter()
        .chain(self.exchanges.iter().map(|e| (e.hot, 50_000 * ETHER)))
        .chain(self.otc.iter().map(|&o| (o, 20_000 * ETHER)))
        .chain(self.relayers.iter().map(|&r| (r, 200 * ETHER)))
        .chain(self.heists.iter().map(|h| (h.victim, 500_000 * ETHER)))
        .collect();
        for (a, v) in alloc {
            self.evm.genesis_alloc(a, v);
        }
        for i in 0..self.users.len() {
            let milli: u128 =
                10u128.pow(self.rng.random_range(2..=6)) * self.rng.random_range(1..10);
            let u = self.users[i];
            self.evm.genesis_alloc(u, milli * ETHER / 1_000);
        }
        let block = self.evm.block.clone();
        self.emit_evm(block)?;
        self.evm.block.genesis = None;
        self.evm.block.txs.clear();
        Ok(())
    }

    /// Block 1: seed token balances (pairs, services, users) through the issuer's mints.
    pub(super) fn setup_tokens(&mut self) -> Result<(), SimError> {
        for i in 0..self.evm.pairs.len() {
            let pair = self.evm.pairs[i].clone();
            self.evm
                .token_mint(pair.token, pair.acct, pair.reserve_token)?;
            self.evm.token_mint(WETH, pair.acct, pair.reserve_weth)?;
        }
        for i in 0..self.exchanges.len() {
            let hot = self.exchanges[i].hot;
            self.evm.token_mint(USDC, hot, 50_000_000 * 1_000_000)?;
        }
        for i in 0..self.otc.len() {
            let o = self.otc[i];
            self.evm.token_mint(USDC, o, 20_000_000 * 1_000_000)?;
        }
        for i in 0..self.users.len() {
            let u = self.users[i];
            if self.rng.random_bool(0.4) {
                let v = self.rng.random_range(100..500_000u128) * 1_000_000;
                self.evm.token_mint(USDC, u, v)?;
            }
            if self.rng.random_bool(0.1) {
                let v = self.rng.random_range(1..200u128) * ETHER;
                self.evm.token_mint(STK, u, v)?;
            }
        }
        for hi in 0..self.heists.len() {
            let victim = self.heists[hi].victim;
            self.evm.token_mint(USDC, victim, 40_000_000 * 1_000_000)?;
            self.evm.token_mint(STK, victim, 100_000 * ETHER)?;
        }
        Ok(())
    }

    pub(super) fn setup_btc(&mut self) -> Result<(), SimError> {
        let miners = self.entity("Pool One", Category::Miner);
        let genesis = self.wallet(Script::P2wpkh, Some((miners, Role::Wallet)));
        self.b_miners.push(genesis);
        // Premine outputs: (wallet, address, value).
        let mut outs: Vec<(usize, Address, u64)> = Vec::new();
        for i in 0..self.exchanges.len() {
            let e = self.exchanges[i].entity;
            let hot = self.wallet(Script::P2wpkh, Some((e, Role::HotWallet)));
            self.exchanges[i].btc_hot = hot;
            self.exchanges[i].btc_deposits = self.wallet(Script::P2sh, Some((e, Role::Deposit)));
            for _ in 0..2 {
                let a = self.bfresh_labelled(hot);
                self.exchanges[i].btc_initial.push(a.clone());
                outs.push((hot, a, 10_000 * COIN));
            }
        }
        for i in 0..OTCS.len() {
            let e = self.evm_owner[&self.otc[i]];
            let w = self.wallet(Script::P2wpkh, Some((e, Role::Main)));
            let main = self.bfresh_labelled(w);
            self.b_otc.push((w, main.clone()));
            outs.push((w, main, 3_000 * COIN));
        }
        let mixer = self.entity(BTC_MIXER_NAME, Category::Mixer);
        let deposits = self.wallet(Script::P2pkh, Some((mixer, Role::Deposit)));
        let pool_w = self.wallet(Script::P2pkh, Some((mixer, Role::Pool)));
        let pool = self.bfresh_labelled(pool_w);
        outs.push((pool_w, pool.clone(), 5_000 * COIN));
        self.blendery = Blendery::new(deposits, pool_w, pool);
        outs.extend(self.setup_thor_btc());
        self.setup_btcb_btc();
        let whirl = self.entity("Whirlpool coordinator", Category::Mixer);
        self.whirl_coord = self.wallet(Script::P2wpkh, Some((whirl, Role::Coordinator)));
        self.premix = self.wallet(Script::P2wpkh, None);
        self.postmix = self.wallet(Script::P2wpkh, None);
        let wasabi = self.entity("Wasabi coordinator", Category::Mixer);
        self.wasabi_coord = self.wallet(Script::P2wpkh, Some((wasabi, Role::Coordinator)));
        let n_users = (self.cfg.scale / 100).clamp(200, 100_000);
        for _ in 0..n_users {
            let s = Script::random(&mut self.rng);
            let w = self.wallet(s, None);
            self.b_users.push(w);
        }
        self.choose_address_reusers();
        // Premine: block 0's coinbase pays the genesis wallet, block 1 distributes it.
        for i in 0..self.b_users.len() {
            let u = self.b_users[i];
            for _ in 0..self.rng.random_range(1..=3) {
                let v = 10u64.pow(self.rng.random_range(5..=9)) * self.rng.random_range(1..10);
                let a = self.breceive(u);
                outs.push((u, a, v));
            }
        }
        let total: u64 = outs.iter().map(|o| o.2).sum::<u64>() + 10 * COIN;
        let block0 = self
            .btc
            .finish_block(genesis, total, 1, START_TIMESTAMP + 600);
        self.emit_btc(block0)?;
        for chunk in outs.chunks(400) {
            let outputs = chunk.to_vec();
            let change = self.bfresh(genesis);
            self.btc
                .pay(
                    &mut self.rng,
                    genesis,
                    Select::All,
                    outputs,
                    None,
                    Change::To(change),
                )?
                .ok_or_else(|| SimError::Invariant("premine too small".into()))?;
        }
        Ok(())
    }
}
