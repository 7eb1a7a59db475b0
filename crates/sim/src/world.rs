//! The world generator: sets up entities and balances, runs background activity block by
//! block on both chains, injects the heists and keeps the ground truth.

use std::collections::{BTreeMap, HashMap};

use chaintrail_core::{Address, Amount, AssetKind, TxHash};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::btc::{Btc, COIN, Change, Paid, SUBSIDY, Script, Select};
use crate::evm::{
    ETH, ETHER, Evm, GAS_BRIDGE, GAS_SWAP, GAS_TOKEN, GAS_TORNADO_DEPOSIT, GAS_TRANSFER, GWEI,
    Note, Pair, Pool, STK, USDC, WETH, evm_address,
};
use crate::model::WorldSink;
use crate::truth::*;
use crate::{BTC_CHAIN, EVM_CHAIN, SimConfig, SimError};

/// 2026-01-05 00:00:00 UTC, the first block of every simulated world.
pub const START_TIMESTAMP: u64 = 1_767_571_200;
const EVM_BLOCK_SECS: u64 = 12;
const EVM_BLOCKS_PER_BTC: u64 = 50;
const EVM_BLOCKS_PER_DAY: u64 = 7_200;
/// Sats per ETH at the bridge (0.03 BTC per ETH).
const SATS_PER_ETH: u128 = 3_000_000;
const BRIDGE_NAME: &str = "Thornet Bridge";
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
        _ => SimAsset::Eth,
    }
}

pub(crate) fn date_of(ts: u64) -> String {
    let days = (ts / 86_400) as i64;
    // Civil-from-days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

struct Exchange {
    entity: u32,
    hot: u32,
    unswept: Vec<u32>,
    btc_hot: usize,
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
}

/// What a heist does with BTC it receives from the bridge.
#[derive(Clone, Copy)]
enum Onward {
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
}

struct PendingBridge {
    in_tx: TxHash,
    wei: u128,
    w: usize,
    addr: Address,
    memo: String,
    h: Option<usize>,
    onward: Option<Onward>,
    /// Stolen wei in the lock (the rest is clean value the thieves merged in).
    stolen: u128,
}

pub(crate) struct World<'s> {
    cfg: SimConfig,
    rng: ChaCha8Rng,
    evm: Evm,
    btc: Btc,
    sink: &'s mut dyn WorldSink,
    entities: Vec<(String, Category)>,
    evm_members: Vec<Vec<u32>>,
    btc_members: Vec<Vec<Address>>,
    evm_owner: HashMap<u32, u32>,
    btc_owner: HashMap<Address, u32>,
    wallet_entity: Vec<Option<u32>>,
    users: Vec<u32>,
    builders: Vec<u32>,
    exchanges: Vec<Exchange>,
    otc: Vec<u32>,
    relayers: Vec<u32>,
    deposit_addr: HashMap<(u32, usize), u32>,
    btc_deposit_addr: HashMap<(usize, usize), Address>,
    b_users: Vec<usize>,
    b_miners: Vec<usize>,
    b_otc: Vec<usize>,
    mixer_deposits: usize,
    mixer_pool: usize,
    mixer_entity: u32,
    vault_w: usize,
    premix: usize,
    postmix: usize,
    whirl_coord: usize,
    wasabi_coord: usize,
    heists: Vec<Heist>,
    tasks: BTreeMap<u64, Vec<Task>>,
    btasks: BTreeMap<u64, Vec<BTask>>,
    pending_bridge: Vec<PendingBridge>,
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
            vault_w: 0,
            premix: 0,
            postmix: 0,
            whirl_coord: 0,
            wasabi_coord: 0,
            heists: Vec::new(),
            tasks: BTreeMap::new(),
            btasks: BTreeMap::new(),
            pending_bridge: Vec::new(),
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

    fn acct(&mut self, entity: Option<u32>) -> u32 {
        let a = self.evm.new_account();
        if let Some(e) = entity {
            self.evm_owner.insert(a, e);
            self.evm_members[e as usize].push(a);
        }
        a
    }

    fn wallet(&mut self, script: Script, entity: Option<u32>) -> usize {
        let w = self.btc.new_wallet(script);
        self.wallet_entity.push(entity);
        w
    }

    /// A fresh address of wallet `w`, registered to the wallet's entity.
    fn bfresh(&mut self, w: usize) -> Address {
        let a = self.btc.fresh(w);
        if let Some(e) = self.wallet_entity[w] {
            self.btc_owner.insert(a.clone(), e);
            self.btc_members[e as usize].push(a.clone());
        }
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
        if let Some(cb) = block.txs.first()
            && let Some(e) = self.wallet_entity[self.b_miners[0]]
        {
            for o in &cb.flow.outputs {
                self.btc_owner.insert(o.address.clone(), e);
                self.btc_members[e as usize].push(o.address.clone());
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
        let bridge = self.entity(BRIDGE_NAME, Category::Bridge);
        let miners = self.entity("Builder pool", Category::Miner);
        self.evm.token_owner = self.acct(Some(issuer));
        for asset in [USDC, STK, WETH] {
            self.evm.chain_token[asset] = self.acct(Some(issuer));
        }
        self.evm.router = self.acct(Some(dex));
        for (token, reserve_token, reserve_weth) in [
            // Deep pools, so that even heist-sized swaps trade near the market price.
            (USDC, 3_000_000_000 * 1_000_000u128, 1_000_000 * ETHER),
            (STK, 6_000_000 * ETHER, 6_000_000 * ETHER),
        ] {
            let acct = self.acct(Some(dex));
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
            let acct = self.acct(Some(mixer));
            self.evm.pools.push(Pool {
                acct,
                denomination: denom,
                next_leaf: 0,
            });
        }
        self.evm.bridge_router = self.acct(Some(bridge));
        self.evm.bridge_vault = self.acct(Some(bridge));
        for _ in 0..3 {
            let b = self.acct(Some(miners));
            self.builders.push(b);
        }
        for name in EXCHANGES {
            let e = self.entity(name, Category::Exchange);
            let hot = self.acct(Some(e));
            self.exchanges.push(Exchange {
                entity: e,
                hot,
                unswept: Vec::new(),
                btc_hot: 0,
                btc_deposits: 0,
            });
        }
        for name in OTCS {
            let e = self.entity(name, Category::Otc);
            let a = self.acct(Some(e));
            self.otc.push(a);
        }
        let relayer_entity = self.entity("Vortex relayers", Category::Mixer);
        for _ in 0..5 {
            let r = self.acct(Some(relayer_entity));
            self.relayers.push(r);
        }
        let n_users = (self.cfg.scale / 40).clamp(300, 250_000);
        for _ in 0..n_users {
            let u = self.acct(None);
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
            (self.evm.bridge_vault, 300_000 * ETHER),
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
        let genesis = self.wallet(Script::P2wpkh, Some(miners));
        self.b_miners.push(genesis);
        for i in 0..self.exchanges.len() {
            let e = self.exchanges[i].entity;
            self.exchanges[i].btc_hot = self.wallet(Script::P2wpkh, Some(e));
            self.exchanges[i].btc_deposits = self.wallet(Script::P2sh, Some(e));
        }
        for i in 0..OTCS.len() {
            let e = self.evm_owner[&self.otc[i]];
            let w = self.wallet(Script::P2wpkh, Some(e));
            self.b_otc.push(w);
        }
        self.mixer_entity = self.entity(BTC_MIXER_NAME, Category::Mixer);
        self.mixer_deposits = self.wallet(Script::P2pkh, Some(self.mixer_entity));
        self.mixer_pool = self.wallet(Script::P2pkh, Some(self.mixer_entity));
        let bridge = self.evm_owner[&self.evm.bridge_vault];
        self.vault_w = self.wallet(Script::P2wpkh, Some(bridge));
        let whirl = self.entity("Whirlpool coordinator", Category::Mixer);
        self.whirl_coord = self.wallet(Script::P2wpkh, Some(whirl));
        self.premix = self.wallet(Script::P2wpkh, None);
        self.postmix = self.wallet(Script::P2wpkh, None);
        let wasabi = self.entity("Wasabi coordinator", Category::Mixer);
        self.wasabi_coord = self.wallet(Script::P2wpkh, Some(wasabi));
        let n_users = (self.cfg.scale / 100).clamp(200, 100_000);
        for _ in 0..n_users {
            let s = Script::random(&mut self.rng);
            let w = self.wallet(s, None);
            self.b_users.push(w);
        }
        // Premine: block 0's coinbase pays the genesis wallet, block 1 distributes it.
        let mut outs: Vec<(usize, u64)> = Vec::new();
        for i in 0..self.exchanges.len() {
            outs.push((self.exchanges[i].btc_hot, 20_000 * COIN));
        }
        for &o in &self.b_otc {
            outs.push((o, 3_000 * COIN));
        }
        outs.push((self.mixer_pool, 5_000 * COIN));
        let vault_coins = 4 + self.cfg.scale / 1_000_000;
        for _ in 0..vault_coins {
            outs.push((self.vault_w, 20_000 * COIN));
        }
        for i in 0..self.b_users.len() {
            let u = self.b_users[i];
            for _ in 0..self.rng.random_range(1..=3) {
                let v = 10u64.pow(self.rng.random_range(5..=9)) * self.rng.random_range(1..10);
                outs.push((u, v));
            }
        }
        let total: u64 = outs.iter().map(|o| o.1).sum::<u64>() + 10 * COIN;
        let block0 = self
            .btc
            .finish_block(genesis, total, 1, START_TIMESTAMP + 600);
        self.emit_btc(block0)?;
        for chunk in outs.chunks(400) {
            let mut outputs = Vec::with_capacity(chunk.len());
            for &(w, v) in chunk {
                let a = self.bfresh(w);
                outputs.push((w, a, v));
            }
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
        let pending = std::mem::take(&mut self.pending_bridge);
        for p in pending {
            self.bridge_payout(p)?;
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
        if height.is_multiple_of(6) {
            self.btc_housekeeping()?;
        }
        self.whirlpool_mixes()?;
        let w = self.b_miners[0];
        let done = self.btc.finish_block(w, SUBSIDY, height + 1, ts + 600);
        self.emit_btc(done)
    }

    fn pick_user_w(&mut self) -> usize {
        self.b_users[self.rng.random_range(0..self.b_users.len())]
    }

    fn btc_background(&mut self, height: u64) -> Result<(), SimError> {
        let roll = self.rng.random_range(0..100);
        let u = self.pick_user_w();
        let bal = self.btc.balance(u);
        if bal < 200_000 {
            // A user short of coins buys some: an exchange withdrawal.
            let x = self.rng.random_range(0..self.exchanges.len());
            let hot = self.exchanges[x].btc_hot;
            let n = self.rng.random_range(1..=8);
            let mut outs = Vec::new();
            for i in 0..n {
                let w = if i == 0 { u } else { self.pick_user_w() };
                let a = self.bfresh(w);
                let v = self.rng.random_range(1..100u64) * 1_000_000;
                outs.push((w, a, v));
            }
            let change = self.bfresh(hot);
            self.btc.pay(
                &mut self.rng,
                hot,
                Select::Random,
                outs,
                None,
                Change::To(change),
            )?;
            return Ok(());
        }
        let amount = bal / 100 * self.rng.random_range(1..40);
        match roll {
            0..55 => {
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
            55..70 => {
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
                let ow = self.b_otc[o];
                let a = self.bfresh(ow);
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
        let e = h.map(|h| self.heists[h].thief_entity);
        self.wallet(Script::P2wpkh, e)
    }

    fn btc_housekeeping(&mut self) -> Result<(), SimError> {
        // Exchanges consolidate deposit addresses into the hot wallet.
        for x in 0..self.exchanges.len() {
            let (dw, hot) = (self.exchanges[x].btc_deposits, self.exchanges[x].btc_hot);
            let utxos = std::mem::take(&mut self.btc.wallets[dw].utxos);
            for chunk in utxos.chunks(200) {
                let addrs: Vec<&Address> = chunk.iter().map(|u| &u.addr).collect();
                let a = self.bfresh(hot);
                let fee = self.btc.fee_for(&addrs, &[&a], 0);
                let total: u64 = chunk.iter().map(|u| u.value).sum();
                if total > fee + 10_000 {
                    self.btc
                        .emit(chunk.to_vec(), vec![(hot, a, total - fee)], None)?;
                } else {
                    self.btc.wallets[dw].utxos.extend_from_slice(chunk);
                }
            }
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

    fn bridge_payout(&mut self, p: PendingBridge) -> Result<(), SimError> {
        let sats = (p.wei * SATS_PER_ETH / ETHER) as u64;
        let sats = sats - sats / 500 - 20_000;
        let out_memo = format!("OUT:{}", hex::encode_upper(p.in_tx.0));
        let vault = self.vault_w;
        let change = self.bfresh(vault);
        let paid = self
            .btc
            .pay(
                &mut self.rng,
                vault,
                Select::Random,
                vec![(p.w, p.addr.clone(), sats)],
                Some(out_memo.clone().into_bytes()),
                Change::To(change),
            )?
            .ok_or_else(|| SimError::Invariant("bridge vault out of BTC".into()))?;
        self.bridge_links.push(BridgeLink {
            bridge: BRIDGE_NAME.to_string(),
            in_chain: EVM_CHAIN,
            in_tx: p.in_tx,
            in_amount: Amount::from_u128(p.wei),
            out_chain: BTC_CHAIN,
            out_tx: paid.txid,
            out_amount: Amount::from_u64(sats),
            out_address: p.addr.to_string(),
            in_memo: p.memo,
            out_memo,
            heist: p.h.map(|h| self.heists[h].name.clone()),
        });
        if let Some(h) = p.h {
            let ledger = &mut self.heists[h].ledger;
            let lots =
                ledger.take_exact(&Place::Bridge, SimAsset::Eth, p.stolen, p.wei - p.stolen)?;
            ledger.convert_lots(
                &lots,
                p.wei,
                Place::Btc(p.addr.clone()),
                SimAsset::Btc,
                u128::from(sats),
                "bridge",
                p.in_tx,
                Some(paid.txid),
                SimAsset::Eth,
            );
            // Unsolicited dust to the receiving address; the first peel chain of a heist also
            // starts from a wallet that got an exchange withdrawal (clean coins) just before.
            if self.rng.random_bool(0.25) {
                let from = self.pick_user_w();
                let v = self.rng.random_range(546..=1_500);
                self.btc_clean(h, from, p.w, &p.addr, v, "dust")?;
            }
            if matches!(p.onward, Some(Onward::Peel)) && !self.heists[h].btc_merged {
                let x = self.rng.random_range(0..self.exchanges.len());
                let hot = self.exchanges[x].btc_hot;
                let v = self.rng.random_range(50..=300) * COIN / 100;
                if self.btc_clean(h, hot, p.w, &p.addr, v, "merge")? {
                    self.heists[h].btc_merged = true;
                }
            }
            let height = self.btc.block.height;
            match p.onward {
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
                            w: p.w,
                            at: p.addr,
                            steps,
                            chain,
                        });
                }
                Some(Onward::Mixer) => {
                    self.btasks
                        .entry(height + 1)
                        .or_default()
                        .push(BTask::MixerDeposit {
                            h,
                            w: p.w,
                            at: p.addr,
                        });
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Spend everything a single-address heist wallet holds (a sweep to `outputs[0]` when
    /// `keep` is `None`, else a payment with change to `keep`) and book it in the ledger.
    fn heist_spend(
        &mut self,
        h: usize,
        w: usize,
        at: &Address,
        outputs: Vec<(usize, Address, u64)>,
        keep: Option<Address>,
    ) -> Result<Option<Paid>, SimError> {
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
                let Some((dw, da, _)) = outputs.into_iter().next() else {
                    return Ok(None);
                };
                self.btc.sweep(w, dw, da.clone())?.map(|p| {
                    let v = p.spent - p.fee;
                    (p, vec![(da, v)])
                })
            }
            Some(keep) => {
                let dests: Vec<(Address, u64)> =
                    outputs.iter().map(|o| (o.1.clone(), o.2)).collect();
                self.btc
                    .pay(
                        &mut self.rng,
                        w,
                        Select::All,
                        outputs,
                        None,
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
        for (a, v) in dests {
            ledger.mv(&from, Place::Btc(a), SimAsset::Btc, u128::from(v))?;
        }
        if let Some((a, v)) = &paid.change {
            ledger.mv(&from, Place::Btc(a.clone()), SimAsset::Btc, u128::from(*v))?;
        }
        ledger.fee(&from, "miner", SimAsset::Btc, u128::from(paid.fee))?;
        Ok(Some(paid))
    }

    /// Clean coins from wallet `from` to a heist address `at` of wallet `w`; false when the
    /// payer cannot pay.
    fn btc_clean(
        &mut self,
        h: usize,
        from: usize,
        w: usize,
        at: &Address,
        v: u64,
        kind: &'static str,
    ) -> Result<bool, SimError> {
        let paid = self.btc.pay(
            &mut self.rng,
            from,
            Select::Random,
            vec![(w, at.clone(), v)],
            None,
            Change::Fresh,
        )?;
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
            let o = self.b_otc[self.rng.random_range(0..self.b_otc.len())];
            (o, self.bfresh(o))
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
                let paid = self.heist_spend(h, w, &at, vec![(dw, a.clone(), 0)], None)?;
                if let Some(paid) = paid {
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
                self.heist_spend(h, w, &at, vec![(dw, a, 0)], None)?;
            }
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
                let dest = if self.rng.random_bool(0.15) {
                    let tw = self.thief_wallet(Some(h));
                    let a = self.bfresh(tw);
                    self.heists[h].btc_addrs.push(a.clone());
                    (tw, a)
                } else {
                    self.btc_service_dest()
                };
                if steps == 0 || held < peel + 200_000 {
                    return Ok(());
                }
                if let Some(paid) =
                    self.heist_spend(h, w, &at, vec![(dest.0, dest.1, peel)], Some(next.clone()))?
                {
                    self.peel_chains[chain].txs.push(paid.txid);
                    if paid.change.is_some() && self.rng.random_bool(0.3) {
                        // Unsolicited dust to the chain's next address, swept by the next hop.
                        let from = self.pick_user_w();
                        let v = self.rng.random_range(546..=1_500);
                        self.btc_clean(h, from, w, &next, v, "dust")?;
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
        }
        Ok(())
    }
}

fn utxo_vbytes(a: &Address) -> u64 {
    crate::btc::input_vbytes(a)
}

impl World<'_> {
    // ---- EVM background -------------------------------------------------------------------

    fn pick_user(&mut self) -> u32 {
        self.users[self.rng.random_range(0..self.users.len())]
    }

    fn deposit_account(&mut self, user: u32, x: usize) -> u32 {
        if let Some(&d) = self.deposit_addr.get(&(user, x)) {
            return d;
        }
        let e = self.exchanges[x].entity;
        let d = self.acct(Some(e));
        self.deposit_addr.insert((user, x), d);
        d
    }

    fn evm_background(&mut self, b: u64) -> Result<(), SimError> {
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

    fn sweep_exchange(&mut self, x: usize) -> Result<(), SimError> {
        let hot = self.exchanges[x].hot;
        let pending = std::mem::take(&mut self.exchanges[x].unswept);
        for d in pending {
            let p = self.prio();
            let usdc = self.evm.bal(d, USDC);
            if usdc > 0 && !self.evm.is_frozen(d) {
                let gas = self.evm.fee(GAS_TOKEN, p);
                if self.evm.bal(d, ETH) < gas && self.evm.can_pay(hot, gas, GAS_TRANSFER, p) {
                    self.evm.eth_transfer(hot, d, gas, p)?;
                }
                if self.evm.can_pay(d, 0, GAS_TOKEN, p) {
                    self.evm.token_transfer(USDC, d, hot, usdc, p)?;
                }
            }
            let fee = self.evm.fee(GAS_TRANSFER, p);
            let eth = self.evm.bal(d, ETH);
            if eth > fee + ETHER / 1_000 {
                self.evm.eth_transfer(d, hot, eth - fee, p)?;
            }
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
                    let recipient = self.acct(None);
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
                    let w = self.pick_user_w();
                    let a = self.bfresh(w);
                    let v = amount.min(20 * ETHER);
                    self.lock_to_btc(u, v, w, a, None, None, p)?;
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
            _ => {
                let v = self.acct(None);
                self.users.push(v);
                self.evm.eth_transfer(u, v, amount, p)?;
            }
        }
        Ok(())
    }

    /// Lock ETH at the bridge for BTC to `addr` (paid out in the next Bitcoin block).
    #[allow(clippy::too_many_arguments)]
    fn lock_to_btc(
        &mut self,
        from: u32,
        wei: u128,
        w: usize,
        addr: Address,
        h: Option<usize>,
        onward: Option<Onward>,
        p: u64,
    ) -> Result<TxHash, SimError> {
        let memo = format!("=:BTC.BTC:{addr}");
        let expiry = self.evm.block.timestamp + 3_600;
        let in_tx = self.evm.bridge_lock(from, wei, &memo, expiry, p)?;
        self.pending_bridge.push(PendingBridge {
            in_tx,
            wei,
            w,
            addr,
            memo,
            h,
            onward,
            stolen: 0,
        });
        Ok(in_tx)
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
            let victim = self.acct(Some(victim_entity));
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
        let a = self.acct(Some(e));
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
        let mule = self.acct(None);
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
                self.lock_to_btc(acct, v, tw, a, Some(h), Some(onward), p)?;
                self.gas(h, acct, GAS_BRIDGE, p)?;
                let lots =
                    self.heists[h]
                        .ledger
                        .mv(&Place::Evm(acct), Place::Bridge, SimAsset::Eth, v)?;
                if let Some(pending) = self.pending_bridge.last_mut() {
                    pending.stolen = stolen_of(&lots);
                }
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

impl World<'_> {
    fn asset_amount(&self, asset: SimAsset, amount: u128) -> AssetAmount {
        let (chain, kind) = match asset {
            SimAsset::Btc => (BTC_CHAIN, AssetKind::Native),
            SimAsset::Eth => (EVM_CHAIN, AssetKind::Native),
            SimAsset::Usdc => (EVM_CHAIN, self.evm.asset_kind(USDC)),
            SimAsset::Stk => (EVM_CHAIN, self.evm.asset_kind(STK)),
            SimAsset::Weth => (EVM_CHAIN, self.evm.asset_kind(WETH)),
        };
        AssetAmount {
            chain,
            asset: kind,
            symbol: asset.symbol(),
            amount: Amount::from_u128(amount),
        }
    }

    fn entity_of(&self, e: Option<u32>) -> (String, Category) {
        match e {
            Some(e) => self.entities[e as usize].clone(),
            None => ("unattributed user".to_string(), Category::User),
        }
    }

    fn endpoint(&self, place: &Place, asset: SimAsset, amount: u128) -> Endpoint {
        let status_for = |cat: Category, frozen: bool| match cat {
            Category::Thief if frozen => "frozen",
            Category::Thief | Category::User => "unspent",
            _ => "at_service",
        };
        let (chain, address, (entity, category), status) = match place {
            Place::Evm(a) => {
                let ent = self.entity_of(self.evm_owner.get(a).copied());
                let frozen = asset == SimAsset::Usdc && self.evm.is_frozen(*a);
                let st = status_for(ent.1, frozen);
                (
                    EVM_CHAIN,
                    evm_address(self.evm.addr(*a)).to_string(),
                    ent,
                    st,
                )
            }
            Place::Btc(addr) => {
                let ent = self.entity_of(self.btc_owner.get(addr).copied());
                let st = status_for(ent.1, false);
                (BTC_CHAIN, addr.to_string(), ent, st)
            }
            Place::Pool(i) => (
                EVM_CHAIN,
                evm_address(self.evm.addr(self.evm.pools[*i].acct)).to_string(),
                (MIXER_NAME.to_string(), Category::Mixer),
                "in_mixer",
            ),
            Place::Bridge => (
                EVM_CHAIN,
                evm_address(self.evm.addr(self.evm.bridge_vault)).to_string(),
                (BRIDGE_NAME.to_string(), Category::Bridge),
                "in_bridge",
            ),
            Place::BtcMixer => (
                BTC_CHAIN,
                self.btc_members[self.mixer_entity as usize]
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                (BTC_MIXER_NAME.to_string(), Category::Mixer),
                "in_mixer",
            ),
        };
        let aa = self.asset_amount(asset, amount);
        Endpoint {
            chain,
            address,
            entity,
            category,
            status,
            asset: aa.asset,
            symbol: aa.symbol,
            amount: aa.amount,
        }
    }

    fn truth(self) -> Result<GroundTruth, SimError> {
        let mut heists = Vec::new();
        for h in &self.heists {
            let ts = START_TIMESTAMP + h.start_block * EVM_BLOCK_SECS;
            let mut laundering: Vec<ChainAddress> = h
                .evm_accts
                .iter()
                .map(|&a| ChainAddress::new(EVM_CHAIN, &evm_address(self.evm.addr(a))))
                .chain(h.btc_addrs.iter().map(|a| ChainAddress::new(BTC_CHAIN, a)))
                .collect();
            laundering.sort();
            laundering.dedup();
            heists.push(HeistTruth {
                name: h.name.clone(),
                variant: h.variant,
                victim: self.entities[h.victim_entity as usize].0.clone(),
                victim_address: ChainAddress::new(EVM_CHAIN, &evm_address(self.evm.addr(h.victim))),
                thief_entity: self.entities[h.thief_entity as usize].0.clone(),
                date: date_of(ts),
                timestamp: ts,
                exploit_txs: h.exploit_txs.clone(),
                first_addresses: h.first.clone(),
                stolen: h
                    .ledger
                    .stolen
                    .iter()
                    .map(|(&a, &v)| self.asset_amount(a, v))
                    .collect(),
                conversions: h
                    .ledger
                    .conversions
                    .iter()
                    .map(|&(fa, fv, ta, tv, via, tx, counter_tx)| Conversion {
                        via,
                        chain: EVM_CHAIN,
                        tx,
                        counter_tx,
                        from: self.asset_amount(fa, fv),
                        to: self.asset_amount(ta, tv),
                    })
                    .collect(),
                fees: h
                    .ledger
                    .fees
                    .iter()
                    .map(|(&(kind, a), &v)| FeeTruth {
                        kind,
                        paid: self.asset_amount(a, v),
                    })
                    .collect(),
                endpoints: h
                    .ledger
                    .held
                    .iter()
                    .map(|((place, a), &v)| self.endpoint(place, *a, v))
                    .collect(),
                laundering_addresses: laundering,
                clean_inflows: h
                    .ledger
                    .clean_inflows
                    .iter()
                    .map(|c| {
                        let e = self.endpoint(&c.place, c.asset, c.amount);
                        CleanInflow {
                            chain: e.chain,
                            address: e.address,
                            tx: c.tx,
                            asset: e.asset,
                            symbol: e.symbol,
                            amount: e.amount,
                            kind: c.kind,
                        }
                    })
                    .collect(),
                clean_held: h
                    .ledger
                    .clean
                    .iter()
                    .filter(|((place, _), _)| matches!(place, Place::Evm(_) | Place::Btc(_)))
                    .map(|((place, a), &v)| self.endpoint(place, *a, v))
                    .filter(|e| e.category == Category::Thief)
                    .collect(),
            });
        }
        let mut entities = Vec::new();
        for (i, (name, category)) in self.entities.iter().enumerate() {
            let mut addresses: Vec<ChainAddress> = self.evm_members[i]
                .iter()
                .map(|&a| ChainAddress::new(EVM_CHAIN, &evm_address(self.evm.addr(a))))
                .chain(
                    self.btc_members[i]
                        .iter()
                        .map(|a| ChainAddress::new(BTC_CHAIN, a)),
                )
                .collect();
            addresses.dedup();
            entities.push(EntityTruth {
                id: i as u32,
                name: name.clone(),
                category: *category,
                addresses,
            });
        }
        let token = |asset: usize, symbol: &str, decimals: u8| {
            chaintrail_core::Asset::token(
                EVM_CHAIN,
                evm_address(self.evm.addr(self.evm.chain_token[asset])),
                symbol,
                decimals,
            )
        };
        Ok(GroundTruth {
            format: "chaintrail-sim-truth/2",
            merge_rule: "fifo",
            seed: self.cfg.seed,
            scale: self.cfg.scale,
            evm_chain: EVM_CHAIN,
            btc_chain: BTC_CHAIN,
            start_timestamp: START_TIMESTAMP,
            assets: vec![
                chaintrail_core::Asset::native(EVM_CHAIN),
                token(USDC, "USDC", 6),
                token(STK, "STK", 18),
                token(WETH, "WETH", 18),
                chaintrail_core::Asset::native(BTC_CHAIN),
            ],
            heists,
            entities,
            mixer_links: self.mixer_links,
            btc_mixer_links: self.btc_mixer_links,
            bridge_links: self.bridge_links,
            coinjoins: self.coinjoins,
            peel_chains: self.peel_chains,
            stats: self.stats,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_civil() {
        assert_eq!(super::date_of(super::START_TIMESTAMP), "2026-01-05");
        assert_eq!(super::date_of(951_782_400), "2000-02-29");
    }
}
