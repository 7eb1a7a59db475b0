//! The world generator: sets up entities and balances, runs background activity block by
//! block on both chains, injects the heists and keeps the ground truth. The bridges live in
//! `world/thorchain.rs` and `world/btcb.rs`, the exchanges' wallet handling in
//! `world/exchanges.rs`.

mod btcb;
mod exchanges;
mod ground_truth;
mod thorchain;

use std::collections::{BTreeMap, HashMap, HashSet};

use chaintrail_core::{Address, Amount, Date, TxHash};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use self::btcb::{Btcb, BtcbDeposit};
use self::thorchain::{Party, Thor, ThorSwap};
use crate::btc::{Btc, COIN, Change, Paid, SUBSIDY, Script, Select};
use crate::evm::{
    BTCB, ETH, ETHER, Evm, GAS_BRIDGE, GAS_SWAP, GAS_TOKEN, GAS_TORNADO_DEPOSIT, GAS_TRANSFER,
    GWEI, Note, Pair, Pool, STK, USDC, WETH, evm_address,
};
use crate::memo::SwapMemo;
use crate::model::WorldSink;
use crate::truth::*;
use crate::{EVM_CHAIN, SimConfig, SimError};

/// 2026-01-05 00:00:00 UTC, the first block of every simulated world.
pub const START_TIMESTAMP: u64 = 1_767_571_200;
const EVM_BLOCK_SECS: u64 = 12;
const EVM_BLOCKS_PER_BTC: u64 = 50;
const EVM_BLOCKS_PER_DAY: u64 = 7_200;
const MIXER_NAME: &str = "Vortex Cash";
const BTC_MIXER_NAME: &str = "Blendery";
const EXCHANGES: [&str; 6] = [
    "Arcadia Exchange",
    "Borealis",
    "Cobalt Exchange",
    "Delta Markets",
    "Equinox",
    "Fjord Exchange",
];
const OTCS: [&str; 3] = ["Lotus OTC", "Jade Desk", "Kestrel OTC"];

fn sim_asset(asset: usize) -> SimAsset {
    match asset {
        USDC => SimAsset::Usdc,
        STK => SimAsset::Stk,
        WETH => SimAsset::Weth,
        BTCB => SimAsset::Btcb,
        _ => SimAsset::Eth,
    }
}

/// The UTC day of a simulated time (worlds start in 2026 and last weeks).
pub(crate) fn date_of(ts: u64) -> Date {
    Date::from_unix_seconds(ts).unwrap_or_else(|| unreachable!("a simulated time before 9999"))
}

struct Exchange {
    entity: u32,
    hot: u32,
    unswept: Vec<u32>,
    btc_hot: usize,
    /// The hot wallet's first addresses (the ones an investigator knows on day one); its
    /// withdrawals spend from them and send their change back to them.
    btc_initial: Vec<Address>,
    btc_deposits: usize,
}

struct Heist {
    name: String,
    variant: &'static str,
    victim_entity: u32,
    victim: u32,
    thief_entity: u32,
    start_block: u64,
    exploit_txs: Vec<TxHash>,
    first: Vec<ChainAddress>,
    evm_accts: Vec<u32>,
    btc_addrs: Vec<Address>,
    ledger: Ledger,
    /// A Bitcoin peel chain already started from a wallet holding clean coins too.
    btc_merged: bool,
}

enum Task {
    Exploit {
        h: usize,
        eth: u128,
        usdc: u128,
        stk: u128,
    },
    Swap {
        h: usize,
        acct: u32,
        token: usize,
    },
    FanOut {
        h: usize,
        from: u32,
        to: Vec<u32>,
    },
    Freeze {
        acct: u32,
    },
    Send {
        h: usize,
        acct: u32,
        to: u32,
        asset: usize,
    },
    Deposits {
        h: usize,
        acct: u32,
        recipients: Vec<u32>,
        then: Vec<Task>,
    },
    Withdraw {
        h: Option<usize>,
        note: Note,
        recipient: u32,
        relayer: Option<u32>,
    },
    Bridge {
        h: usize,
        acct: u32,
        chunks: u32,
        onward: Onward,
    },
    /// Unrelated clean value reaching a thief account: from `from`, or a random funded user.
    Clean {
        h: usize,
        acct: u32,
        asset: usize,
        amount: u128,
        kind: &'static str,
        from: Option<u32>,
    },
    /// A thief account pays another one's gas.
    Fund {
        h: usize,
        from: u32,
        to: u32,
        amount: u128,
    },
    /// A THORChain vault pays part `part` of swap `swap` (or its refund) on the EVM chain.
    ThorOut {
        swap: usize,
        part: usize,
    },
    /// The BTC.b bridge mints against deposit `deposit`.
    BtcbMint {
        deposit: usize,
    },
    /// THORChain churns: new vaults on both chains, the old EVM vault hands over its ETH.
    RotateVaults,
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
    fn to(w: usize, addr: Address, value: u64) -> HeistOut {
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

/// What a heist does with BTC it receives from the bridge.
#[derive(Clone, Copy)]
pub(super) enum Onward {
    Mixer,
    Peel,
}

enum BTask {
    MixerPayout {
        link: usize,
        w: usize,
        addr: Address,
        amount: u64,
        h: Option<usize>,
    },
    Peel {
        h: usize,
        w: usize,
        at: Address,
        steps: u32,
        chain: usize,
    },
    MixerDeposit {
        h: usize,
        w: usize,
        at: Address,
    },
    Service {
        h: usize,
        w: usize,
        at: Address,
    },
    /// A THORChain vault pays part `part` of swap `swap` (or its refund) on Bitcoin.
    ThorOut {
        swap: usize,
        part: usize,
    },
    /// The retired Bitcoin vault migrates its coins to the new one.
    MigrateBtcVault,
}

pub(crate) struct World<'s> {
    cfg: SimConfig,
    rng: ChaCha8Rng,
    evm: Evm,
    btc: Btc,
    sink: &'s mut dyn WorldSink,
    entities: Vec<(String, Category)>,
    evm_members: Vec<Vec<(u32, Role)>>,
    btc_members: Vec<Vec<(Address, Role)>>,
    evm_owner: HashMap<u32, u32>,
    btc_owner: HashMap<Address, u32>,
    /// The entity and role of each Bitcoin wallet's addresses.
    wallet_entity: Vec<Option<(u32, Role)>>,
    /// What the day-one TagPack labels (see docs/sim.md).
    labelled_evm: HashSet<u32>,
    labelled_btc: HashSet<Address>,
    users: Vec<u32>,
    builders: Vec<u32>,
    exchanges: Vec<Exchange>,
    otc: Vec<u32>,
    relayers: Vec<u32>,
    deposit_addr: HashMap<(u32, usize), u32>,
    btc_deposit_addr: HashMap<(usize, usize), Address>,
    b_users: Vec<usize>,
    b_miners: Vec<usize>,
    /// OTC desks' Bitcoin wallets and the main address each receives on.
    b_otc: Vec<(usize, Address)>,
    mixer_deposits: usize,
    mixer_pool: usize,
    mixer_entity: u32,
    thor: Thor,
    thor_swaps: Vec<ThorSwap>,
    vault_migrations: Vec<VaultMigration>,
    btcb: Btcb,
    btcb_deposits: Vec<BtcbDeposit>,
    /// EVM users who received BTC.b.
    btcb_holders: Vec<u32>,
    premix: usize,
    postmix: usize,
    whirl_coord: usize,
    wasabi_coord: usize,
    heists: Vec<Heist>,
    tasks: BTreeMap<u64, Vec<Task>>,
    btasks: BTreeMap<u64, Vec<BTask>>,
    /// Stolen wei in each heist Vortex note (by deposit transaction).
    note_stolen: HashMap<TxHash, u128>,
    mixer_links: Vec<MixerLink>,
    btc_mixer_links: Vec<BtcMixerLink>,
    bridge_links: Vec<BridgeLink>,
    coinjoins: Vec<CoinJoinTruth>,
    peel_chains: Vec<PeelChainTruth>,
    stats: WorldStats,
    bg_transfers: u64,
    bg_btc_txs: u64,
    n_blocks: u64,
}

impl<'s> World<'s> {
    pub(crate) fn new(cfg: SimConfig, sink: &'s mut dyn WorldSink) -> World<'s> {
        World {
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            evm: Evm::new(cfg.seed),
            btc: Btc::new(cfg.seed),
            n_blocks: u64::from(cfg.days) * EVM_BLOCKS_PER_DAY,
            cfg,
            sink,
            entities: Vec::new(),
            evm_members: Vec::new(),
            btc_members: Vec::new(),
            evm_owner: HashMap::new(),
            btc_owner: HashMap::new(),
            wallet_entity: Vec::new(),
            labelled_evm: HashSet::new(),
            labelled_btc: HashSet::new(),
            users: Vec::new(),
            builders: Vec::new(),
            exchanges: Vec::new(),
            otc: Vec::new(),
            relayers: Vec::new(),
            deposit_addr: HashMap::new(),
            btc_deposit_addr: HashMap::new(),
            b_users: Vec::new(),
            b_miners: Vec::new(),
            b_otc: Vec::new(),
            mixer_deposits: 0,
            mixer_pool: 0,
            mixer_entity: 0,
            thor: Thor::default(),
            thor_swaps: Vec::new(),
            vault_migrations: Vec::new(),
            btcb: Btcb::unset(),
            btcb_deposits: Vec::new(),
            btcb_holders: Vec::new(),
            premix: 0,
            postmix: 0,
            whirl_coord: 0,
            wasabi_coord: 0,
            heists: Vec::new(),
            tasks: BTreeMap::new(),
            btasks: BTreeMap::new(),
            note_stolen: HashMap::new(),
            mixer_links: Vec::new(),
            btc_mixer_links: Vec::new(),
            bridge_links: Vec::new(),
            coinjoins: Vec::new(),
            peel_chains: Vec::new(),
            stats: WorldStats::default(),
            bg_transfers: 0,
            bg_btc_txs: 0,
        }
    }

    // ---- entities -------------------------------------------------------------------------

    fn entity(&mut self, name: &str, category: Category) -> u32 {
        self.entities.push((name.to_string(), category));
        self.evm_members.push(Vec::new());
        self.btc_members.push(Vec::new());
        (self.entities.len() - 1) as u32
    }

    /// A new account of entity `e` in role `role`.
    fn member(&mut self, e: u32, role: Role) -> u32 {
        let a = self.evm.new_account();
        self.evm_owner.insert(a, e);
        self.evm_members[e as usize].push((a, role));
        a
    }

    /// A new account of an unattributed user.
    fn user_acct(&mut self) -> u32 {
        self.evm.new_account()
    }

    /// A new account of entity `e` that the day-one TagPack labels.
    fn labelled_member(&mut self, e: u32, role: Role) -> u32 {
        let a = self.member(e, role);
        self.labelled_evm.insert(a);
        a
    }

    fn wallet(&mut self, script: Script, owner: Option<(u32, Role)>) -> usize {
        let w = self.btc.new_wallet(script);
        self.wallet_entity.push(owner);
        w
    }

    /// A fresh address of wallet `w`, registered to the wallet's entity.
    fn bfresh(&mut self, w: usize) -> Address {
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

    fn prio(&mut self) -> u64 {
        self.rng.random_range(1..=3) * GWEI
    }

    // ---- main loop ------------------------------------------------------------------------

    pub(crate) fn run(mut self) -> Result<GroundTruth, SimError> {
        if self.cfg.days == 0 {
            return Err(SimError::Config("days must be at least 1".into()));
        }
        self.setup_evm()?;
        self.btc.open_genesis(START_TIMESTAMP);
        self.setup_btc()?;
        let mut base_fee = 12 * GWEI;
        for b in 1..self.n_blocks {
            let builder = self.builders[self.rng.random_range(0..self.builders.len())];
            let step: i64 = self.rng.random_range(-1..=1);
            base_fee = (base_fee as i64 + step * GWEI as i64 / 2)
                .clamp(5 * GWEI as i64, 40 * GWEI as i64) as u64;
            let ts = START_TIMESTAMP + b * EVM_BLOCK_SECS;
            let done = self.evm.start_block(b, ts, builder, base_fee);
            if b > 1 {
                // Block 0 (the genesis allocations) was emitted by the setup.
                self.emit_evm(done)?;
            }
            if b == 1 {
                self.setup_tokens()?;
            }
            if b.is_multiple_of(EVM_BLOCKS_PER_BTC) {
                self.btc_block(b / EVM_BLOCKS_PER_BTC, ts)?;
            }
            if let Some(tasks) = self.tasks.remove(&b) {
                for task in tasks {
                    self.run_task(b, task)?;
                }
            }
            self.evm_background(b)?;
        }
        let last = self.evm.start_block(self.n_blocks, 0, self.builders[0], 0);
        self.emit_evm(last)?;
        let w = self.b_miners[0];
        let btc_last = self.btc.finish_block(w, SUBSIDY, 0, 0);
        self.emit_btc(btc_last)?;
        self.truth()
    }

    fn emit_evm(&mut self, block: crate::model::EvmBlock) -> Result<(), SimError> {
        self.stats.evm_blocks += 1;
        self.stats.evm_txs += block.txs.len() as u64;
        self.stats.evm_transfers += block
            .account_txs()
            .map(|t| t.transfers.len() as u64)
            .sum::<u64>();
        self.sink.evm_block(&block)
    }

    fn emit_btc(&mut self, block: crate::model::BtcBlock) -> Result<(), SimError> {
        // The pool signs its coinbases: their addresses are known from the chain itself.
        if let Some(cb) = block.txs.first()
            && let Some((e, _)) = self.wallet_entity[self.b_miners[0]]
        {
            for o in &cb.flow.outputs {
                self.btc_owner.insert(o.address.clone(), e);
                self.btc_members[e as usize].push((o.address.clone(), Role::Coinbase));
                self.labelled_btc.insert(o.address.clone());
            }
        }
        self.stats.btc_blocks += 1;
        self.stats.btc_txs += block.txs.len() as u64;
        self.stats.btc_inputs += block
            .txs
            .iter()
            .map(|t| t.flow.inputs.len() as u64)
            .sum::<u64>();
        self.stats.btc_outputs += block
            .txs
            .iter()
            .map(|t| t.flow.outputs.len() as u64)
            .sum::<u64>();
        self.sink.btc_block(&block)
    }

    // ---- setup ----------------------------------------------------------------------------

    fn setup_evm(&mut self) -> Result<(), SimError> {
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
            let r = self.member(relayer_entity, Role::Relayer);
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
            (self.thor.evm_vaults[0], 300_000 * ETHER),
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
    fn setup_tokens(&mut self) -> Result<(), SimError> {
        let p = self.prio();
        for i in 0..self.evm.pairs.len() {
            let pair = self.evm.pairs[i].clone();
            self.evm
                .token_mint(pair.token, pair.acct, pair.reserve_token, p)?;
            self.evm.token_mint(WETH, pair.acct, pair.reserve_weth, p)?;
        }
        for i in 0..self.exchanges.len() {
            let hot = self.exchanges[i].hot;
            self.evm.token_mint(USDC, hot, 50_000_000 * 1_000_000, p)?;
        }
        for i in 0..self.otc.len() {
            let o = self.otc[i];
            self.evm.token_mint(USDC, o, 20_000_000 * 1_000_000, p)?;
        }
        for i in 0..self.users.len() {
            let u = self.users[i];
            if self.rng.random_bool(0.4) {
                let v = self.rng.random_range(100..500_000u128) * 1_000_000;
                self.evm.token_mint(USDC, u, v, p)?;
            }
            if self.rng.random_bool(0.1) {
                let v = self.rng.random_range(1..200u128) * ETHER;
                self.evm.token_mint(STK, u, v, p)?;
            }
        }
        for hi in 0..self.heists.len() {
            let victim = self.heists[hi].victim;
            self.evm
                .token_mint(USDC, victim, 40_000_000 * 1_000_000, p)?;
            self.evm.token_mint(STK, victim, 100_000 * ETHER, p)?;
        }
        Ok(())
    }

    fn setup_btc(&mut self) -> Result<(), SimError> {
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
        self.mixer_entity = self.entity(BTC_MIXER_NAME, Category::Mixer);
        self.mixer_deposits = self.wallet(Script::P2pkh, Some((self.mixer_entity, Role::Deposit)));
        self.mixer_pool = self.wallet(Script::P2pkh, Some((self.mixer_entity, Role::Pool)));
        let pool = self.bfresh_labelled(self.mixer_pool);
        outs.push((self.mixer_pool, pool, 5_000 * COIN));
        let (vault_w, vault) = self.setup_thor_btc();
        for _ in 0..4 + self.cfg.scale / 1_000_000 {
            outs.push((vault_w, vault.clone(), 20_000 * COIN));
        }
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
        // Premine: block 0's coinbase pays the genesis wallet, block 1 distributes it.
        for i in 0..self.b_users.len() {
            let u = self.b_users[i];
            for _ in 0..self.rng.random_range(1..=3) {
                let v = 10u64.pow(self.rng.random_range(5..=9)) * self.rng.random_range(1..10);
                let a = self.bfresh(u);
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

impl World<'_> {
    // ---- Bitcoin blocks -------------------------------------------------------------------

    fn btc_block(&mut self, height: u64, ts: u64) -> Result<(), SimError> {
        self.btc.feerate = self.rng.random_range(2..=25);
        if let Some(tasks) = self.btasks.remove(&height) {
            for t in tasks {
                self.run_btask(height, t)?;
            }
        }
        let n_btc_blocks = (self.n_blocks / EVM_BLOCKS_PER_BTC).max(1);
        let target = (self.cfg.scale / 10) * height / n_btc_blocks;
        let mut guard = 0;
        while self.bg_btc_txs < target && guard < 100_000 {
            guard += 1;
            let before = self.btc.block.txs.len();
            self.btc_background(height)?;
            self.bg_btc_txs += (self.btc.block.txs.len() - before) as u64;
        }
        if height == (self.n_blocks - 1) / EVM_BLOCKS_PER_BTC {
            self.late_btc_inbounds()?;
        }
        if height.is_multiple_of(6) {
            self.btc_housekeeping()?;
        }
        self.whirlpool_mixes()?;
        let w = self.b_miners[0];
        let done = self.btc.finish_block(w, SUBSIDY, height + 1, ts + 600);
        self.emit_btc(done)
    }

    /// The last Bitcoin block always carries a THORChain swap and a BTC.b deposit, whose payouts
    /// fall after the world's end (pending in the truth).
    fn late_btc_inbounds(&mut self) -> Result<(), SimError> {
        for bridge in 0..2 {
            let candidates: Vec<usize> = (0..50).map(|_| self.pick_user_w()).collect();
            let Some(u) = candidates
                .into_iter()
                .find(|&u| self.btc.balance(u) > 2_000_000)
            else {
                continue;
            };
            let sats = self.btc.balance(u) / 2;
            if bridge == 0 {
                self.thor_user_btc_inbound(u, sats)?;
            } else {
                self.btcb_user_deposit(u, sats)?;
            }
        }
        Ok(())
    }

    fn pick_user_w(&mut self) -> usize {
        self.b_users[self.rng.random_range(0..self.b_users.len())]
    }

    fn btc_background(&mut self, height: u64) -> Result<(), SimError> {
        let roll = self.rng.random_range(0..100);
        let u = self.pick_user_w();
        let bal = self.btc.balance(u);
        if bal < 200_000 || (55..60).contains(&roll) {
            // A user short of coins buys some, or withdraws what they hold at an exchange: a
            // batched exchange withdrawal.
            let x = self.rng.random_range(0..self.exchanges.len());
            let n = self.rng.random_range(1..=8);
            let mut outs = Vec::new();
            for i in 0..n {
                let w = if i == 0 { u } else { self.pick_user_w() };
                let a = self.bfresh(w);
                let v = self.rng.random_range(1..100u64) * 1_000_000;
                outs.push((w, a, v));
            }
            self.exchange_withdraw(x, outs)?;
            return Ok(());
        }
        let amount = bal / 100 * self.rng.random_range(1..40);
        match roll {
            49..52 => self.thor_user_btc_inbound(u, amount)?,
            52..55 => self.btcb_user_deposit(u, amount)?,
            0..49 => {
                let v = self.pick_user_w();
                let a = self.bfresh(v);
                let change = if self.rng.random_bool(0.2) {
                    let reuse = self.btc.wallets[u].utxos[0].addr.clone();
                    Change::To(reuse)
                } else {
                    Change::Fresh
                };
                self.btc.pay(
                    &mut self.rng,
                    u,
                    Select::Random,
                    vec![(v, a, amount)],
                    None,
                    change,
                )?;
            }
            60..70 => {
                let x = self.rng.random_range(0..self.exchanges.len());
                let dw = self.exchanges[x].btc_deposits;
                let a = match self.btc_deposit_addr.get(&(u, x)) {
                    Some(a) => a.clone(),
                    None => {
                        let a = self.bfresh(dw);
                        self.btc_deposit_addr.insert((u, x), a.clone());
                        a
                    }
                };
                self.btc.pay(
                    &mut self.rng,
                    u,
                    Select::Random,
                    vec![(dw, a, amount)],
                    None,
                    Change::Fresh,
                )?;
            }
            70..75 => {
                // Custodial mixer: deposit to a fresh deposit address, payouts later.
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
            }
            75..79 => {
                // Whirlpool Tx0: premix outputs, coordinator fee, toxic change, OP_RETURN.
                let denom = if amount > 6 * 5_000_000 {
                    5_000_000
                } else {
                    1_000_000
                };
                let n = (amount / (denom + 1_000)).min(5);
                if n >= 1 {
                    let mut outs = Vec::new();
                    for _ in 0..n {
                        let a = self.bfresh(self.premix);
                        outs.push((self.premix, a, denom + 1_000));
                    }
                    let c = self.bfresh(self.whirl_coord);
                    outs.push((self.whirl_coord, c, denom / 20));
                    let mut payload = vec![0u8; 46];
                    self.rng.fill(&mut payload[..]);
                    self.btc.pay(
                        &mut self.rng,
                        u,
                        Select::Random,
                        outs,
                        Some(payload),
                        Change::Fresh,
                    )?;
                }
            }
            79..84 => {
                let o = self.rng.random_range(0..self.b_otc.len());
                let (ow, a) = self.b_otc[o].clone();
                self.btc.pay(
                    &mut self.rng,
                    u,
                    Select::Random,
                    vec![(ow, a, amount)],
                    None,
                    Change::Fresh,
                )?;
            }
            84..90 => {
                // Postmix coins leave Whirlpool to a user.
                if let Some(utxo) = self.btc.wallets[self.postmix].utxos.pop() {
                    let a = self.bfresh(u);
                    let fee = self.btc.fee_for(&[&utxo.addr], &[&a], 0);
                    let v = utxo.value - fee;
                    self.btc.emit(vec![utxo], vec![(u, a, v)], None)?;
                }
            }
            _ => {
                // Miner payout batch.
                let m = self.b_miners[0];
                let n = self.rng.random_range(5..40);
                let mut outs = Vec::new();
                for _ in 0..n {
                    let w = self.pick_user_w();
                    let a = self.bfresh(w);
                    outs.push((w, a, self.rng.random_range(100_000..5_000_000)));
                }
                let change = self.bfresh(m);
                self.btc.pay(
                    &mut self.rng,
                    m,
                    Select::Random,
                    outs,
                    None,
                    Change::To(change),
                )?;
            }
        }
        Ok(())
    }

    /// Record a custodial-mixer deposit and schedule its payouts (2% fee).
    fn mixer_link(
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
                .push(BTask::MixerPayout {
                    link,
                    w,
                    addr: a,
                    amount: v,
                    h,
                });
        }
        Ok(link)
    }

    fn thief_wallet(&mut self, h: Option<usize>) -> usize {
        let e = h.map(|h| (self.heists[h].thief_entity, Role::Thief));
        self.wallet(Script::P2wpkh, e)
    }

    fn btc_housekeeping(&mut self) -> Result<(), SimError> {
        for x in 0..self.exchanges.len() {
            self.consolidate_deposits(x)?;
        }
        // The custodial mixer sweeps its deposit addresses into the pool.
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
        self.wasabi_round()
    }

    /// Whirlpool mixes: 5 in / 5 out of the pool denomination; 2 fresh premix entrants pay the
    /// miner fee, 3 remixers ride free.
    fn whirlpool_mixes(&mut self) -> Result<(), SimError> {
        for denom in [1_000_000u64, 5_000_000] {
            loop {
                let pre: Vec<usize> = self.btc.wallets[self.premix]
                    .utxos
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| u.value == denom + 1_000)
                    .map(|(i, _)| i)
                    .take(5)
                    .collect();
                let post: Vec<usize> = self.btc.wallets[self.postmix]
                    .utxos
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| u.value == denom)
                    .map(|(i, _)| i)
                    .take(3)
                    .collect();
                let (n_pre, n_post) = if post.len() >= 3 && pre.len() >= 2 {
                    (2, 3)
                } else if pre.len() >= 5 {
                    (5, 0)
                } else {
                    break;
                };
                let mut inputs = Vec::new();
                for &i in pre[..n_pre].iter().rev() {
                    inputs.push(self.btc.wallets[self.premix].utxos.swap_remove(i));
                }
                for &i in post[..n_post].iter().rev() {
                    inputs.push(self.btc.wallets[self.postmix].utxos.swap_remove(i));
                }
                let mut outs = Vec::new();
                for _ in 0..5 {
                    let a = self.bfresh(self.postmix);
                    outs.push((self.postmix, a, denom));
                }
                let txid = self.btc.emit(inputs, outs, None)?;
                self.coinjoins.push(CoinJoinTruth {
                    txid,
                    kind: "whirlpool",
                    denomination: denom,
                    equal_outputs: 5,
                });
            }
        }
        Ok(())
    }

    /// A Wasabi 1.x round: many equal ~0.1 BTC outputs, one change per participant, the
    /// coordinator fee output.
    fn wasabi_round(&mut self) -> Result<(), SimError> {
        let denom = 10_000_000 - self.rng.random_range(0..20_000u64);
        let want = self.rng.random_range(5..=15);
        let mut inputs = Vec::new();
        let mut outs = Vec::new();
        let mut coord_fee = 0;
        let mut seen = Vec::new();
        for _ in 0..want * 4 {
            if seen.len() == want {
                break;
            }
            let u = self.pick_user_w();
            if seen.contains(&u) {
                continue;
            }
            let Some(i) = self.btc.wallets[u]
                .utxos
                .iter()
                .position(|x| x.value > denom + 200_000)
            else {
                continue;
            };
            let utxo = self.btc.wallets[u].utxos.swap_remove(i);
            let fee_share = (utxo_vbytes(&utxo.addr) + 62) * self.btc.feerate;
            let cfee = denom * 3 / 1_000;
            let change = utxo.value - denom - cfee - fee_share;
            let a = self.bfresh(u);
            outs.push((u, a, denom));
            let c = self.bfresh(u);
            outs.push((u, c, change));
            coord_fee += cfee;
            inputs.push(utxo);
            seen.push(u);
        }
        if seen.len() < 5 {
            for (u, utxo) in seen.into_iter().zip(inputs) {
                self.btc.wallets[u].utxos.push(utxo);
            }
            // The fresh outputs were never created; nothing was emitted.
            return Ok(());
        }
        let a = self.bfresh(self.wasabi_coord);
        outs.push((self.wasabi_coord, a, coord_fee));
        let n = seen.len();
        let txid = self.btc.emit(inputs, outs, None)?;
        self.coinjoins.push(CoinJoinTruth {
            txid,
            kind: "wasabi1",
            denomination: denom,
            equal_outputs: n,
        });
        Ok(())
    }

    /// What a heist does with BTC the bridge paid to its address `addr` of wallet `w`.
    fn heist_btc_receipt(
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
                        .push(BTask::Peel {
                            h,
                            w,
                            at: addr,
                            steps,
                            chain,
                        });
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

    fn run_btask(&mut self, height: u64, t: BTask) -> Result<(), SimError> {
        match t {
            BTask::MixerPayout {
                link,
                w,
                addr,
                amount,
                h,
            } => {
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
            }
            BTask::MixerDeposit { h, w, at } => {
                let dw = self.mixer_deposits;
                let a = self.bfresh(dw);
                let out = HeistOut::to(dw, a.clone(), 0);
                let paid = self.heist_spend(h, w, &at, vec![out], None, None)?;
                if let Some((paid, _)) = paid {
                    let v = paid.spent - paid.fee;
                    let ledger = &mut self.heists[h].ledger;
                    ledger.mv(
                        &Place::Btc(a.clone()),
                        Place::BtcMixer,
                        SimAsset::Btc,
                        u128::from(v),
                    )?;
                    ledger.fee(&Place::BtcMixer, "mixer", SimAsset::Btc, u128::from(v / 50))?;
                    self.mixer_link(paid.txid, a, v, 0, Some(h), height)?;
                }
            }
            BTask::Service { h, w, at } => {
                let (dw, a) = self.btc_service_dest();
                self.heist_spend(h, w, &at, vec![HeistOut::to(dw, a, 0)], None, None)?;
            }
            BTask::ThorOut { swap, part } => self.thor_pay_btc(swap, part)?,
            BTask::MigrateBtcVault => self.thor_migrate_btc_vault()?,
            BTask::Peel {
                h,
                w,
                at,
                steps,
                chain,
            } => {
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
                    self.btasks.entry(due).or_default().push(BTask::Peel {
                        h,
                        w,
                        at: next,
                        steps: steps - 1,
                        chain,
                    });
                }
            }
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

fn utxo_vbytes(a: &Address) -> u64 {
    crate::btc::input_vbytes(a)
}

impl World<'_> {
    // ---- EVM background -------------------------------------------------------------------

    fn pick_user(&mut self) -> u32 {
        self.users[self.rng.random_range(0..self.users.len())]
    }

    fn evm_background(&mut self, b: u64) -> Result<(), SimError> {
        if b == self.n_blocks - 1 {
            // The last block always carries a swap to Bitcoin whose payout falls after the end.
            let p = self.prio();
            let candidates: Vec<u32> = (0..50).map(|_| self.pick_user()).collect();
            if let Some(u) = candidates
                .into_iter()
                .find(|&u| self.evm.can_pay(u, ETHER, GAS_TORNADO_DEPOSIT, p))
            {
                self.thor_user_eth_inbound(u, ETHER / 2, p)?;
            }
        }
        let target = self.cfg.scale * b / self.n_blocks;
        if b.is_multiple_of(25) {
            let x = (b / 25) as usize % self.exchanges.len();
            self.sweep_exchange(x)?;
        }
        let mut guard = 0;
        while self.bg_transfers < target && guard < 100_000 {
            guard += 1;
            let before = self.evm.block_transfers;
            self.evm_action(b)?;
            self.bg_transfers += self.evm.block_transfers - before;
        }
        Ok(())
    }

    fn evm_action(&mut self, b: u64) -> Result<(), SimError> {
        let p = self.prio();
        let u = self.pick_user();
        let eth = self.evm.bal(u, ETH);
        let gas_reserve = self.evm.fee(GAS_TORNADO_DEPOSIT, p);
        let deadline = self.evm.block.timestamp + 1_200;
        if eth < 2 * gas_reserve {
            // Short of ETH: buy some at an exchange.
            let x = self.rng.random_range(0..self.exchanges.len());
            let hot = self.exchanges[x].hot;
            let v = self.rng.random_range(1..50u128) * ETHER / 10;
            if self.evm.can_pay(hot, v, GAS_TRANSFER, p) {
                self.evm.eth_transfer(hot, u, v, p)?;
            }
            return Ok(());
        }
        let spendable = eth - 2 * gas_reserve;
        let amount = spendable / 100 * self.rng.random_range(1..30);
        match self.rng.random_range(0..100) {
            0..36 => {
                let v = self.pick_user();
                self.evm.eth_transfer(u, v, amount, p)?;
            }
            36..50 => {
                let usdc = self.evm.bal(u, USDC);
                if usdc > 0 && !self.evm.is_frozen(u) {
                    let v = self.pick_user();
                    let a = usdc / 100 * self.rng.random_range(1..50);
                    self.evm.token_transfer(USDC, u, v, a.max(1), p)?;
                } else {
                    self.evm.swap_eth_for_tokens(u, USDC, amount, deadline, p)?;
                }
            }
            50..62 => {
                let x = self.rng.random_range(0..self.exchanges.len());
                let d = self.deposit_account(u, x);
                let usdc = self.evm.bal(u, USDC);
                if usdc > 0 && self.rng.random_bool(0.4) && !self.evm.is_frozen(u) {
                    self.evm.token_transfer(USDC, u, d, usdc / 2 + 1, p)?;
                } else {
                    self.evm.eth_transfer(u, d, amount, p)?;
                }
                if !self.exchanges[x].unswept.contains(&d) {
                    self.exchanges[x].unswept.push(d);
                }
            }
            62..70 => {
                let x = self.rng.random_range(0..self.exchanges.len());
                let hot = self.exchanges[x].hot;
                if self.rng.random_bool(0.5) {
                    let v = self.rng.random_range(1..5_000u128) * 1_000_000;
                    if self.evm.bal(hot, USDC) > v && self.evm.can_pay(hot, 0, GAS_TOKEN, p) {
                        self.evm.token_transfer(USDC, hot, u, v, p)?;
                    }
                } else {
                    let v = self.rng.random_range(1..100u128) * ETHER / 10;
                    if self.evm.can_pay(hot, v, GAS_TRANSFER, p) {
                        self.evm.eth_transfer(hot, u, v, p)?;
                    }
                }
            }
            70..80 => {
                let token = if self.rng.random_bool(0.7) { USDC } else { STK };
                let have = self.evm.bal(u, token);
                if have > 0
                    && self.rng.random_bool(0.5)
                    && !(token == USDC && self.evm.is_frozen(u))
                {
                    self.evm
                        .swap_tokens_for_eth(u, token, have / 2 + 1, deadline, p)?;
                } else if amount > 0 {
                    self.evm
                        .swap_eth_for_tokens(u, token, amount, deadline, p)?;
                }
            }
            80..85 => {
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
            }
            85..89 => {
                if amount > ETHER / 10 {
                    self.thor_user_eth_inbound(u, amount.min(20 * ETHER), p)?;
                }
            }
            89..93 => {
                // OTC: sell ETH to a broker, receive USDC.
                let o = self.otc[self.rng.random_range(0..self.otc.len())];
                if amount > ETHER / 10 {
                    self.evm.eth_transfer(u, o, amount, p)?;
                    let usdc = amount / 1_000_000_000_000 * 2_950;
                    if self.evm.bal(o, USDC) > usdc && self.evm.can_pay(o, 0, GAS_TOKEN, p) {
                        self.evm.token_transfer(USDC, o, u, usdc, p)?;
                    }
                }
            }
            93..96 => {
                let stk = self.evm.bal(u, STK);
                if stk > 0 {
                    let v = self.pick_user();
                    self.evm.token_transfer(STK, u, v, stk / 3 + 1, p)?;
                } else {
                    let v = self.pick_user();
                    self.evm.eth_transfer(u, v, amount, p)?;
                }
            }
            96..98 if !self.btcb_holders.is_empty() => {
                // A BTC.b holder pays it on: to an exchange deposit address or another user.
                let holder = self.btcb_holders[self.rng.random_range(0..self.btcb_holders.len())];
                let units = self.evm.bal(holder, BTCB);
                if units > 0 && self.evm.can_pay(holder, 0, GAS_TOKEN, p) {
                    let to = if self.rng.random_bool(0.6) {
                        let x = self.rng.random_range(0..self.exchanges.len());
                        let d = self.deposit_account(holder, x);
                        if !self.exchanges[x].unswept.contains(&d) {
                            self.exchanges[x].unswept.push(d);
                        }
                        d
                    } else {
                        self.pick_user()
                    };
                    let v = if self.rng.random_bool(0.5) {
                        units
                    } else {
                        units / 2 + 1
                    };
                    self.evm.token_transfer(BTCB, holder, to, v, p)?;
                }
            }
            _ => {
                let v = self.user_acct();
                self.users.push(v);
                self.evm.eth_transfer(u, v, amount, p)?;
            }
        }
        Ok(())
    }
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
    fn setup_heists(&mut self) {
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

    fn thief_acct(&mut self, h: usize) -> u32 {
        let e = self.heists[h].thief_entity;
        let a = self.member(e, Role::Thief);
        self.heists[h].evm_accts.push(a);
        a
    }

    fn gas(&mut self, h: usize, acct: u32, gas: u64, p: u64) -> Result<(), SimError> {
        let fee = self.evm.fee(gas, p);
        self.heists[h]
            .ledger
            .fee(&Place::Evm(acct), "gas", SimAsset::Eth, fee)
    }

    /// A thief sends `amount` of `asset` to `to`.
    fn thief_send(
        &mut self,
        h: usize,
        from: u32,
        to: u32,
        asset: usize,
        amount: u128,
        p: u64,
    ) -> Result<TxHash, SimError> {
        let (tx, gas) = if asset == ETH {
            (self.evm.eth_transfer(from, to, amount, p)?, GAS_TRANSFER)
        } else {
            (
                self.evm.token_transfer(asset, from, to, amount, p)?,
                GAS_TOKEN,
            )
        };
        self.gas(h, from, gas, p)?;
        self.heists[h]
            .ledger
            .mv(&Place::Evm(from), Place::Evm(to), sim_asset(asset), amount)?;
        Ok(tx)
    }

    fn mule_deposit(&mut self) -> u32 {
        let x = self.rng.random_range(0..self.exchanges.len());
        let mule = self.user_acct();
        let d = self.deposit_account(mule, x);
        self.exchanges[x].unswept.push(d);
        d
    }

    fn run_task(&mut self, b: u64, task: Task) -> Result<(), SimError> {
        let p = self.prio();
        let deadline = self.evm.block.timestamp + 1_200;
        match task {
            Task::Exploit { h, eth, usdc, stk } => {
                let victim = self.heists[h].victim;
                let t0 = self.thief_acct(h);
                self.labelled_evm.insert(t0);
                let mut txs = vec![self.evm.eth_transfer(victim, t0, eth, p)?];
                self.heists[h]
                    .ledger
                    .steal(Place::Evm(t0), SimAsset::Eth, eth);
                for (asset, v) in [(USDC, usdc), (STK, stk)] {
                    if v > 0 {
                        txs.push(self.evm.token_transfer(asset, victim, t0, v, p)?);
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
            }
            Task::Swap { h, acct, token } => {
                let have = self.evm.bal(acct, token);
                let (tx, out) = self
                    .evm
                    .swap_tokens_for_eth(acct, token, have, deadline, p)?;
                self.gas(h, acct, GAS_SWAP, p)?;
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
            }
            Task::FanOut { h, from, to } => {
                let total_w: u128 = to.len() as u128;
                let keep = 2 * ETHER;
                let share = (self.evm.bal(from, ETH).saturating_sub(keep)) / total_w.max(1);
                for t in to {
                    self.thief_send(h, from, t, ETH, share, p)?;
                }
            }
            Task::Freeze { acct } => {
                self.evm.freeze(acct, p)?;
            }
            Task::Send { h, acct, to, asset } => {
                let v = if asset == ETH {
                    self.evm
                        .bal(acct, ETH)
                        .saturating_sub(self.evm.fee(GAS_TRANSFER, p))
                } else {
                    self.evm.bal(acct, asset)
                };
                let payable = asset == ETH || self.evm.can_pay(acct, 0, GAS_TOKEN, p);
                if v > 0 && payable {
                    self.thief_send(h, acct, to, asset, v, p)?;
                }
            }
            Task::Deposits {
                h,
                acct,
                recipients,
                then,
            } => {
                let pool = 3;
                let denom = self.evm.pools[pool].denomination;
                if self.evm.can_pay(acct, denom, GAS_TORNADO_DEPOSIT, p) {
                    let note = self.evm.tornado_deposit(acct, pool, p)?;
                    self.gas(h, acct, GAS_TORNADO_DEPOSIT, p)?;
                    let lots = self.heists[h].ledger.mv(
                        &Place::Evm(acct),
                        Place::Pool(pool),
                        SimAsset::Eth,
                        denom,
                    )?;
                    self.note_stolen.insert(note.deposit_tx, stolen_of(&lots));
                    let recipient = recipients[self.rng.random_range(0..recipients.len())];
                    let relayer =
                        Some(self.relayers[self.rng.random_range(0..self.relayers.len())]);
                    let due = b + self.rng.random_range(300..4_000);
                    self.tasks.entry(due).or_default().push(Task::Withdraw {
                        h: Some(h),
                        note,
                        recipient,
                        relayer,
                    });
                    let next = b + self.rng.random_range(1..=6);
                    self.tasks.entry(next).or_default().push(Task::Deposits {
                        h,
                        acct,
                        recipients,
                        then,
                    });
                } else {
                    for t in then {
                        self.tasks.entry(b + 5_000).or_default().push(t);
                    }
                }
            }
            Task::Withdraw {
                h,
                note,
                recipient,
                relayer,
            } => {
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
            }
            Task::Bridge {
                h,
                acct,
                chunks,
                onward,
            } => {
                let gas = self.evm.fee(GAS_BRIDGE, p);
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
                let swap = self.thor_eth_inbound(acct, v, Party::Btc(tw, a), p)?;
                self.gas(h, acct, GAS_BRIDGE, p)?;
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
            }
            Task::Fund {
                h,
                from,
                to,
                amount,
            } => {
                if self.evm.can_pay(from, amount, GAS_TRANSFER, p) {
                    self.thief_send(h, from, to, ETH, amount, p)?;
                }
            }
            Task::ThorOut { swap, part } => self.thor_pay_evm(swap, part, p)?,
            Task::BtcbMint { deposit } => self.btcb_mint(deposit, p)?,
            Task::RotateVaults => self.thor_rotate(p)?,
            Task::Clean {
                h,
                acct,
                asset,
                amount,
                kind,
                from,
            } => {
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
                    let frozen =
                        asset == USDC && (self.evm.is_frozen(s) || self.evm.is_frozen(acct));
                    if s != acct && funded && !frozen && self.evm.can_pay(s, value, gas, p) {
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
                    self.evm.eth_transfer(src, acct, amount, p)?
                } else {
                    self.evm.token_transfer(asset, src, acct, amount, p)?
                };
                self.heists[h].ledger.clean_in(
                    Place::Evm(acct),
                    sim_asset(asset),
                    amount,
                    tx,
                    kind,
                );
            }
        }
        Ok(())
    }

    /// Unrelated clean value for a heist's EVM accounts: gas top-ups from funded users and
    /// unsolicited ETH and USDC dust (never answered), spread over the laundering period, plus
    /// one substantial clean deposit the thieves merge with stolen value before spending
    /// (`merge`: an exchange withdrawal or OTC counterparty funds, before the fan-out).
    fn plan_clean(&mut self, h: usize, b: u64, merge: (u32, u32, u128, u64)) {
        let accts = self.heists[h].evm_accts.clone();
        let (topups, dust) = match self.heists[h].variant {
            "ronin" => (16, 24),
            "harmony" => (8, 12),
            _ => (30, 40),
        };
        for i in 0..topups + dust {
            let acct = accts[self.rng.random_range(0..accts.len())];
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
            self.tasks.entry(due).or_default().push(Task::Clean {
                h,
                acct,
                asset,
                amount,
                kind,
                from: None,
            });
        }
        let (acct, from, amount, d) = merge;
        self.tasks.entry(b + d).or_default().push(Task::Clean {
            h,
            acct,
            asset: ETH,
            amount,
            kind: "merge",
            from: Some(from),
        });
    }

    /// Every fan-out wallet of heist `h` deposits into the mixer at block `due`, withdrawing to
    /// `recipients`; the first one also schedules `then` once its deposits are done.
    fn deposit_rounds(
        &mut self,
        h: usize,
        due: u64,
        ws: Vec<u32>,
        recipients: &[u32],
        then: Vec<Task>,
    ) {
        let mut then = Some(then);
        for w in ws {
            self.tasks.entry(due).or_default().push(Task::Deposits {
                h,
                acct: w,
                recipients: recipients.to_vec(),
                then: then.take().unwrap_or_default(),
            });
        }
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
                let rs: Vec<u32> = (0..40).map(|_| self.thief_acct(h)).collect();
                let mut then = Vec::new();
                for (i, &r) in rs.iter().enumerate() {
                    match i % 4 {
                        0 | 1 => then.push(Task::Send {
                            h,
                            acct: r,
                            to: self.mule_deposit(),
                            asset: ETH,
                        }),
                        2 => then.push(Task::Bridge {
                            h,
                            acct: r,
                            chunks: 1,
                            onward: Onward::Mixer,
                        }),
                        _ => {}
                    }
                }
                self.deposit_rounds(h, b + 60, ws, &rs, then);
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
                let rs: Vec<u32> = (0..20).map(|_| self.thief_acct(h)).collect();
                let then: Vec<Task> = rs
                    .iter()
                    .map(|&r| Task::Bridge {
                        h,
                        acct: r,
                        chunks: 1,
                        onward: Onward::Mixer,
                    })
                    .collect();
                self.deposit_rounds(h, b + 60, ws, &rs, then);
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

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_civil() {
        assert_eq!(
            super::date_of(super::START_TIMESTAMP).to_string(),
            "2026-01-05"
        );
    }
}
