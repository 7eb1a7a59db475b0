//! The world generator: sets up entities and balances, runs background activity block by
//! block on both chains, injects the heists and keeps the ground truth. One file per concern:
//! `setup.rs` (entities, genesis, premine), `bitcoin.rs` (the Bitcoin economy), `coinjoin.rs`
//! (Whirlpool, Wasabi), `blendery.rs` (the custodial mixer), `ethereum.rs` (the EVM economy),
//! `vortex.rs` (the Tornado-style pools) and `vortex_users.rs` (their innocent users),
//! `heists.rs`, `heist_vortex.rs` and `heist_btc.rs` (the heists: their plans and EVM steps,
//! their mixing, their Bitcoin steps), `tasks.rs` (work scheduled for later blocks),
//! `thorchain.rs` and `btcb.rs` (the bridges), `exchanges.rs` (the exchanges' wallets),
//! `ground_truth.rs` (the truth at the end).

mod bitcoin;
mod blendery;
mod btcb;
mod coinjoin;
mod ethereum;
mod exchanges;
mod ground_truth;
mod habits;
mod heist_btc;
mod heist_vortex;
mod heists;
mod setup;
mod tasks;
mod thorchain;
mod vortex;
mod vortex_users;

use std::collections::{BTreeMap, HashMap, HashSet};

use chaintrail_core::{Address, Date, TxHash};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use self::blendery::Blendery;
use self::btcb::{Btcb, BtcbDeposit};
use self::exchanges::Exchange;
use self::heists::Heist;
use self::tasks::{BTask, Task};
use self::thorchain::{Thor, ThorSwap};
use self::vortex_users::VortexUsers;
use crate::btc::{Btc, SUBSIDY};
use crate::evm::{BTCB, Evm, GWEI, STK, USDC, WETH};
use crate::fees::{FeeStyle, MAX_BASE_FEE, MIN_BASE_FEE};
use crate::model::WorldSink;
use crate::truth::*;
use crate::{SimConfig, SimError};

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

pub(crate) struct World<'s> {
    cfg: SimConfig,
    rng: ChaCha8Rng,
    evm: Evm,
    btc: Btc,
    sink: &'s mut dyn WorldSink,
    entities: Vec<(String, Category)>,
    /// Each entity's wallet fee setting, shared by its accounts.
    entity_fees: Vec<FeeStyle>,
    evm_members: Vec<Vec<(u32, Role)>>,
    btc_members: Vec<Vec<(Address, Role)>>,
    evm_owner: HashMap<u32, u32>,
    btc_owner: HashMap<Address, u32>,
    /// Thief addresses that have received an output.
    thief_btc_seen: HashSet<Address>,
    /// Every Bitcoin address that has received an output and every EVM address that has sent
    /// or received a transaction or transfer (the wallet truth lists these).
    btc_seen: HashSet<Address>,
    evm_seen: HashSet<[u8; 20]>,
    /// The wallet of each EVM account (by account index; see [`crate::WalletTruth`]).
    evm_wallet: Vec<u32>,
    /// How many EVM wallets there are.
    evm_wallets: u32,
    /// Each entity's one EVM wallet, made with its first account.
    entity_evm_wallet: HashMap<u32, u32>,
    /// The user habits of [`habits`]: a generator of their own, so that the rest of the world
    /// draws what it drew before they existed.
    habits: ChaCha8Rng,
    /// Bitcoin users who receive every payment at one address, and that address once made.
    btc_home: HashMap<usize, Option<Address>>,
    /// A user's second EOA and the first one, whose exchange deposit addresses it pays into.
    evm_primary: HashMap<u32, u32>,
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
    blendery: Blendery,
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
    /// The innocent users of Vortex Cash.
    vortex_users: VortexUsers,
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
            entity_fees: Vec::new(),
            evm_members: Vec::new(),
            btc_members: Vec::new(),
            evm_owner: HashMap::new(),
            btc_owner: HashMap::new(),
            thief_btc_seen: HashSet::new(),
            btc_seen: HashSet::new(),
            evm_seen: HashSet::new(),
            evm_wallet: Vec::new(),
            evm_wallets: 0,
            entity_evm_wallet: HashMap::new(),
            habits: ChaCha8Rng::from_seed(crate::seeded::derived(cfg.seed, "wallet-habits", 0)),
            btc_home: HashMap::new(),
            evm_primary: HashMap::new(),
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
            blendery: Blendery::new(0, 0, crate::btc::null_data()),
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
            vortex_users: VortexUsers::default(),
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

    // ---- main loop ------------------------------------------------------------------------

    pub(crate) fn run(mut self) -> Result<GroundTruth, SimError> {
        if self.cfg.days == 0 {
            return Err(SimError::Config("days must be at least 1".into()));
        }
        self.setup_evm()?;
        self.btc.open_genesis(START_TIMESTAMP);
        self.setup_btc()?;
        self.plan_vortex_users();
        let mut base_fee = 12 * GWEI;
        for b in 1..self.n_blocks {
            let builder = self.builders[self.rng.random_range(0..self.builders.len())];
            let step: i64 = self.rng.random_range(-1..=1);
            base_fee = (base_fee as i64 + step * GWEI as i64 / 2)
                .clamp(MIN_BASE_FEE as i64, MAX_BASE_FEE as i64) as u64;
            let ts = START_TIMESTAMP + b * EVM_BLOCK_SECS;
            let done = self.evm.start_block(b, ts, builder, base_fee);
            if b > 1 {
                // Block 0 (the genesis allocations) was emitted by the setup.
                self.emit_evm(done)?;
            }
            if b == 1 {
                self.setup_tokens()?;
                self.add_second_eoas();
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
        for tx in &block.txs {
            self.evm_seen.insert(tx.from);
            self.evm_seen.insert(tx.to);
        }
        for t in block.account_txs().flat_map(|t| &t.transfers) {
            for a in t.from.iter().chain(&t.to) {
                if let Address::Evm(raw) = a {
                    self.evm_seen.insert(*raw);
                }
            }
        }
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
        // Thief addresses that appear on chain (a thief's address paid after the world's end
        // never does).
        for o in block.txs.iter().flat_map(|t| &t.flow.outputs) {
            if o.data.is_none() && !self.btc_seen.contains(&o.address) {
                self.btc_seen.insert(o.address.clone());
            }
            if let Some(&e) = self.btc_owner.get(&o.address)
                && self.entities[e as usize].1 == Category::Thief
            {
                self.thief_btc_seen.insert(o.address.clone());
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
