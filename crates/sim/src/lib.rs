//! The scenario simulator of chaintrail: a deterministic, seeded multi-chain world with known
//! ground truth, for tests, benchmarks and the demo.
//!
//! This crate owns
//! - the world generator ([`simulate`]): an EVM chain (`anvil`, chain id 31337) with users,
//!   ERC-20 tokens (a freezable USD stablecoin with 6 decimals, a staking token, WETH), a
//!   Uniswap-V2-style router and pairs, exchanges with per-customer deposit addresses swept to
//!   hot wallets, a Tornado-style mixer (0.1/1/10/100 ETH pools, relayers; innocent users whose
//!   behaviours trip the linking heuristics rightly and wrongly), a THORChain bridge (router v4)
//!   in both directions with the memos, refunds, streaming payouts and vault churn of the real
//!   protocol, an Avalanche-style BTC.b bridge, OTC brokers, and a fee fingerprint for every
//!   wallet; and a Bitcoin regtest chain with coinbases, users with change of mixed script
//!   types, exchanges and a custodial mixer whose hot wallets clustering can follow, Whirlpool
//!   and Wasabi 1.x CoinJoins and peel chains; plus three heists that follow the DPRK playbook
//!   (Ronin-, Harmony- and Bybit-like);
//! - the [`GroundTruth`] of that world, for scoring only: where every stolen unit ended,
//!   laundering addresses, mixer and bridge links, every entity address with its role;
//! - its outputs: value-flow records streamed block by block to a [`WorldSink`], the
//!   ethereum-etl CSV and bitcoin-etl JSON exports, the day-one GraphSense TagPack (what an
//!   investigator knows before tracing), a data directory ([`write_dir`]) or a chaintrail store
//!   ([`write_store`]); an exported world replicated at later heights for load
//!   ([`replicate_export`]).
//!
//! Same seed and settings ⇒ byte-identical outputs. Formats are documented in docs/sim.md.

mod abi;
mod btc;
mod error;
mod etl;
mod evm;
mod fees;
mod memo;
mod model;
mod output;
mod replicate;
mod seeded;
mod software;
mod tagpack;
mod truth;
mod wallets;
mod world;

use chaintrail_core::{BitcoinNetwork, Chain};

pub use error::SimError;
pub use etl::{BITCOIN_BLOCK_KEYS, BITCOIN_TRANSACTION_KEYS, EtlLayout, EtlWriter};
pub use model::{BtcBlock, BtcTx, EvmBlock, EvmLog, EvmTrace, EvmTx, WorldSink};
pub use output::{SimSummary, StoreSink, write_dir, write_dir_as, write_store};
pub use replicate::replicate_export;
pub use tagpack::tagpack_yaml;
pub use truth::*;
pub use wallets::{AddressOwner, TrueOwner, WalletTruth};
pub use world::START_TIMESTAMP;
pub(crate) use world::date_of as world_date;

/// The simulated EVM chain: anvil's dev chain id, so it is never mistaken for mainnet.
pub const EVM_CHAIN: Chain = Chain::Evm(31337);
/// The simulated Bitcoin chain (addresses print as `bcrt1…`).
pub const BTC_CHAIN: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);

/// Settings of a simulated world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    /// Seed of the ChaCha8 generator: same seed and settings ⇒ same world, byte for byte.
    pub seed: u64,
    /// Approximate number of background account-chain transfers (fees and burns included);
    /// the Bitcoin chain gets about a tenth as many transactions. Heists come on top.
    pub scale: u64,
    /// Length of the world in days (12-second EVM blocks, 10-minute Bitcoin blocks).
    pub days: u32,
}

impl SimConfig {
    /// The demo world: about 200,000 transfers over three days.
    pub const DEMO_SCALE: u64 = 200_000;

    pub fn new(seed: u64, scale: u64) -> SimConfig {
        SimConfig {
            seed,
            scale,
            days: 3,
        }
    }
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig::new(1, SimConfig::DEMO_SCALE)
    }
}

/// Generate the world, streaming its blocks to `sink` in ascending height per chain, and
/// return its ground truth.
pub fn simulate(config: &SimConfig, sink: &mut dyn WorldSink) -> Result<GroundTruth, SimError> {
    world::World::new(*config, sink).run()
}
