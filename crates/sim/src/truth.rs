//! Ground truth of a simulated world (serialized as `ground_truth.json`, format documented in
//! docs/sim.md) and the per-heist ledger that keeps it exact: every stolen base unit is always in
//! exactly one place, and moves between places only as transfers, conversions or fees.

use std::collections::BTreeMap;

use chaintrail_core::{Address, Amount, AssetKind, Chain, TxHash};
use serde::Serialize;

use crate::SimError;

/// An asset of the simulated world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SimAsset {
    Eth,
    Usdc,
    Stk,
    Weth,
    Btc,
}

impl SimAsset {
    pub fn symbol(self) -> &'static str {
        match self {
            SimAsset::Eth => "ETH",
            SimAsset::Usdc => "USDC",
            SimAsset::Stk => "STK",
            SimAsset::Weth => "WETH",
            SimAsset::Btc => "BTC",
        }
    }
}

/// An entity category of the simulated world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Exchange,
    Mixer,
    Bridge,
    Dex,
    Otc,
    User,
    Thief,
    Miner,
}

/// An address on one of the two chains.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ChainAddress {
    pub chain: Chain,
    pub address: String,
}

impl ChainAddress {
    pub fn new(chain: Chain, address: &Address) -> ChainAddress {
        ChainAddress {
            chain,
            address: address.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EntityTruth {
    pub id: u32,
    pub name: String,
    pub category: Category,
    pub addresses: Vec<ChainAddress>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssetAmount {
    pub chain: Chain,
    pub asset: AssetKind,
    pub symbol: &'static str,
    pub amount: Amount,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conversion {
    pub via: &'static str,
    pub chain: Chain,
    pub tx: TxHash,
    /// The transaction on the other chain that completed the conversion (bridges).
    pub counter_tx: Option<TxHash>,
    pub from: AssetAmount,
    pub to: AssetAmount,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeeTruth {
    /// gas, relayer, mixer or miner.
    pub kind: &'static str,
    pub paid: AssetAmount,
}

#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub chain: Chain,
    pub address: String,
    pub entity: String,
    pub category: Category,
    /// at_service, unspent, in_mixer, in_bridge or frozen.
    pub status: &'static str,
    pub asset: AssetKind,
    pub symbol: &'static str,
    pub amount: Amount,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeistTruth {
    pub name: String,
    pub variant: &'static str,
    pub victim: String,
    pub victim_address: ChainAddress,
    pub thief_entity: String,
    pub date: String,
    pub timestamp: u64,
    pub exploit_txs: Vec<TxHash>,
    pub first_addresses: Vec<ChainAddress>,
    pub stolen: Vec<AssetAmount>,
    pub conversions: Vec<Conversion>,
    pub fees: Vec<FeeTruth>,
    pub endpoints: Vec<Endpoint>,
    pub laundering_addresses: Vec<ChainAddress>,
}

/// A Tornado-style deposit and the withdrawal that spent its note.
#[derive(Debug, Clone, Serialize)]
pub struct MixerLink {
    pub pool: String,
    pub denomination: Amount,
    pub deposit_tx: TxHash,
    pub depositor: String,
    pub withdrawal_tx: TxHash,
    pub recipient: String,
    pub relayer: Option<String>,
    pub fee: Amount,
    pub heist: Option<String>,
}

/// A custodial BTC mixer deposit and the payouts it became.
#[derive(Debug, Clone, Serialize)]
pub struct BtcMixerLink {
    pub mixer: String,
    pub deposit_tx: TxHash,
    pub deposit_address: String,
    pub deposited: u64,
    pub payout_txs: Vec<TxHash>,
    pub payout_addresses: Vec<String>,
    pub paid_out: u64,
    pub heist: Option<String>,
}

/// A bridge lock on one chain joined to its release on the other.
#[derive(Debug, Clone, Serialize)]
pub struct BridgeLink {
    pub bridge: String,
    pub in_chain: Chain,
    pub in_tx: TxHash,
    pub in_amount: Amount,
    pub out_chain: Chain,
    pub out_tx: TxHash,
    pub out_amount: Amount,
    pub out_address: String,
    /// The inbound memo (`=:BTC.BTC:<address>` style).
    pub in_memo: String,
    /// The outbound memo: `OUT:<inbound hash>`, the exact join key.
    pub out_memo: String,
    pub heist: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CoinJoinTruth {
    pub txid: TxHash,
    /// whirlpool or wasabi1.
    pub kind: &'static str,
    pub denomination: u64,
    pub equal_outputs: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeelChainTruth {
    pub heist: Option<String>,
    pub txs: Vec<TxHash>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct WorldStats {
    pub evm_blocks: u64,
    pub evm_txs: u64,
    pub evm_transfers: u64,
    pub btc_blocks: u64,
    pub btc_txs: u64,
    pub btc_inputs: u64,
    pub btc_outputs: u64,
}

/// Everything known about a simulated world.
#[derive(Debug, Clone, Serialize)]
pub struct GroundTruth {
    pub format: &'static str,
    pub seed: u64,
    pub scale: u64,
    pub evm_chain: Chain,
    pub btc_chain: Chain,
    pub start_timestamp: u64,
    pub assets: Vec<chaintrail_core::Asset>,
    pub heists: Vec<HeistTruth>,
    pub entities: Vec<EntityTruth>,
    pub mixer_links: Vec<MixerLink>,
    pub btc_mixer_links: Vec<BtcMixerLink>,
    pub bridge_links: Vec<BridgeLink>,
    pub coinjoins: Vec<CoinJoinTruth>,
    pub peel_chains: Vec<PeelChainTruth>,
    pub stats: WorldStats,
}

/// Where a heist's value sits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Place {
    /// An EVM account (by index).
    Evm(u32),
    /// A Bitcoin address.
    Btc(Address),
    /// Inside an EVM mixer pool (by pool index).
    Pool(usize),
    /// Locked at the bridge, not yet released on the other chain.
    Bridge,
    /// Inside the custodial BTC mixer, not yet paid out.
    BtcMixer,
}

/// A conversion as the ledger books it: from asset and amount, to asset and amount, venue,
/// transaction and the counter-chain transaction.
pub(crate) type ConversionRow = (
    SimAsset,
    u128,
    SimAsset,
    u128,
    &'static str,
    TxHash,
    Option<TxHash>,
);

/// The exact book of one heist.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub held: BTreeMap<(Place, SimAsset), u128>,
    pub stolen: BTreeMap<SimAsset, u128>,
    pub fees: BTreeMap<(&'static str, SimAsset), u128>,
    pub conversions: Vec<ConversionRow>,
}

impl Ledger {
    pub(crate) fn steal(&mut self, to: Place, asset: SimAsset, amount: u128) {
        *self.stolen.entry(asset).or_default() += amount;
        *self.held.entry((to, asset)).or_default() += amount;
    }

    fn take(&mut self, from: &Place, asset: SimAsset, amount: u128) -> Result<(), SimError> {
        let key = (from.clone(), asset);
        let held = self
            .held
            .get_mut(&key)
            .ok_or_else(|| SimError::Invariant(format!("heist holds no {asset:?} at {from:?}")))?;
        *held = held.checked_sub(amount).ok_or_else(|| {
            SimError::Invariant(format!("heist holds too little {asset:?} at {from:?}"))
        })?;
        if *held == 0 {
            self.held.remove(&key);
        }
        Ok(())
    }

    pub(crate) fn held(&self, at: &Place, asset: SimAsset) -> u128 {
        self.held.get(&(at.clone(), asset)).copied().unwrap_or(0)
    }

    pub(crate) fn mv(
        &mut self,
        from: &Place,
        to: Place,
        asset: SimAsset,
        amount: u128,
    ) -> Result<(), SimError> {
        if amount == 0 {
            return Ok(());
        }
        self.take(from, asset, amount)?;
        *self.held.entry((to, asset)).or_default() += amount;
        Ok(())
    }

    pub(crate) fn fee(
        &mut self,
        from: &Place,
        kind: &'static str,
        asset: SimAsset,
        amount: u128,
    ) -> Result<(), SimError> {
        if amount == 0 {
            return Ok(());
        }
        self.take(from, asset, amount)?;
        *self.fees.entry((kind, asset)).or_default() += amount;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn convert(
        &mut self,
        from: &Place,
        from_asset: SimAsset,
        amount_in: u128,
        to: Place,
        to_asset: SimAsset,
        amount_out: u128,
        via: &'static str,
        tx: TxHash,
        counter_tx: Option<TxHash>,
    ) -> Result<(), SimError> {
        self.take(from, from_asset, amount_in)?;
        *self.held.entry((to, to_asset)).or_default() += amount_out;
        self.conversions.push((
            from_asset, amount_in, to_asset, amount_out, via, tx, counter_tx,
        ));
        Ok(())
    }
}
