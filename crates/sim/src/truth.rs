//! Ground truth of a simulated world (serialized as `ground_truth.json`, format documented in
//! docs/sim.md) and the per-heist ledger that keeps it exact: every stolen base unit is always in
//! exactly one place, and moves between places only as transfers, conversions or fees.

use std::collections::{BTreeMap, VecDeque};

use chaintrail_core::{Address, Amount, AssetKind, Chain, Date, TxHash};
use serde::Serialize;

use crate::SimError;
use crate::wallets::WalletTruth;

/// An asset of the simulated world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SimAsset {
    Eth,
    Usdc,
    Stk,
    Weth,
    Btc,
    /// The BTC.b bridge token on the EVM chain (8 decimals).
    #[serde(rename = "BTC.b")]
    Btcb,
}

impl SimAsset {
    pub fn symbol(self) -> &'static str {
        match self {
            SimAsset::Eth => "ETH",
            SimAsset::Usdc => "USDC",
            SimAsset::Stk => "STK",
            SimAsset::Weth => "WETH",
            SimAsset::Btc => "BTC",
            SimAsset::Btcb => "BTC.b",
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

/// What an address does for its entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An exchange's hot wallet (EVM account; on Bitcoin its initial and later addresses).
    HotWallet,
    /// A customer deposit address (exchanges), a per-deposit address (custodial mixer), the
    /// bridge's Bitcoin deposit address (BTC.b).
    Deposit,
    /// An OTC desk's main address.
    Main,
    /// A DEX or bridge router contract.
    Router,
    /// A DEX pair contract.
    Pair,
    /// A mixer pool: Vortex instances, the custodial mixer's pool wallet.
    Pool,
    Relayer,
    /// A THORChain vault (EOA on the EVM chain, address on Bitcoin).
    Vault,
    /// A token contract.
    Token,
    /// The key that mints BTC.b (the bridge's warden).
    Operator,
    /// The address bridge fees are paid to.
    Fee,
    /// The token issuer's owner account.
    Issuer,
    /// An EVM block builder (fee recipient).
    Builder,
    /// A mining pool's coinbase output.
    Coinbase,
    /// Any other address of an entity's wallet (a miner's change).
    Wallet,
    /// A CoinJoin coordinator's fee address.
    Coordinator,
    /// The account a heist stole from.
    Victim,
    /// A thief-controlled address.
    Thief,
}

/// An address of an entity, its role, and whether the day-one TagPack labels it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityAddress {
    pub chain: Chain,
    pub address: String,
    pub role: Role,
    /// Labelled in `tagpacks/chaintrail-sim.yaml` (what an investigator knows on day one).
    pub day_one_labelled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntityTruth {
    pub id: u32,
    pub name: String,
    pub category: Category,
    pub addresses: Vec<EntityAddress>,
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
    pub date: Date,
    pub timestamp: u64,
    pub exploit_txs: Vec<TxHash>,
    pub first_addresses: Vec<ChainAddress>,
    pub stolen: Vec<AssetAmount>,
    pub conversions: Vec<Conversion>,
    pub fees: Vec<FeeTruth>,
    pub endpoints: Vec<Endpoint>,
    pub laundering_addresses: Vec<ChainAddress>,
    /// Unrelated clean value that reached thief addresses (gas top-ups, unsolicited dust,
    /// clean funds the thieves merged with stolen ones), in order.
    pub clean_inflows: Vec<CleanInflow>,
    /// Clean value still at thief addresses under the merge rule (status `unspent`/`frozen`);
    /// with `endpoints` it adds up to what the chain says a thief address holds.
    pub clean_held: Vec<Endpoint>,
}

/// Clean value received by a thief-controlled address.
#[derive(Debug, Clone, Serialize)]
pub struct CleanInflow {
    pub chain: Chain,
    pub address: String,
    pub tx: TxHash,
    pub asset: AssetKind,
    pub symbol: &'static str,
    pub amount: Amount,
    /// gas_topup, dust (unsolicited, never answered) or merge.
    pub kind: &'static str,
}

/// A Tornado-style deposit and the withdrawal that spent its note (none while the note is still
/// in the pool at the world's end).
#[derive(Debug, Clone, Serialize)]
pub struct MixerLink {
    pub pool: String,
    pub denomination: Amount,
    pub deposit_tx: TxHash,
    pub depositor: String,
    /// `withdrawn`, or `in_pool`: not withdrawn by the world's end (the withdrawal fields are
    /// null).
    pub status: &'static str,
    pub withdrawal_tx: Option<TxHash>,
    pub recipient: Option<String>,
    /// Who sent the withdrawal: the relayer, or the user's own address (self-relayed).
    pub sender: Option<String>,
    pub relayer: Option<String>,
    pub fee: Option<Amount>,
    /// What the note's owner did (docs/sim.md lists the behaviours and the linking heuristics
    /// each one triggers, rightly or wrongly): `heist` for the heists' notes.
    pub behaviour: &'static str,
    pub heist: Option<String>,
}

/// A custodial BTC mixer deposit and the payouts it became.
#[derive(Debug, Clone, Serialize)]
pub struct BtcMixerLink {
    pub mixer: String,
    pub deposit_tx: TxHash,
    pub deposit_address: String,
    pub deposited: u64,
    /// The mixer's cut (1–3% of the deposit).
    pub fee: u64,
    /// The payouts made, in order; a batched payout transaction may pay other deposits too.
    pub payout_txs: Vec<TxHash>,
    pub payout_addresses: Vec<String>,
    pub paid_out: u64,
    /// Sats still owed at the world's end (parts due after it): `deposited = fee + paid_out +
    /// pending`.
    pub pending: u64,
    pub heist: Option<String>,
}

/// A bridge inbound on one chain joined to one of its payouts (or marked pending).
///
/// THORChain: one row per outbound transaction (a streaming swap paid in parts has one row per
/// part, all with the same `in_tx` and `out_memo`); a refund pays back on the inbound's own
/// chain. BTC.b: one row per deposit, the mint on the EVM chain.
#[derive(Debug, Clone, Serialize)]
pub struct BridgeLink {
    /// `thorchain` or `btcb`.
    pub protocol: &'static str,
    pub bridge: String,
    /// `evm_to_btc` or `btc_to_evm` (the way the user meant the value to go).
    pub direction: &'static str,
    /// `swap`, `refund` (THORChain) or `mint` (BTC.b).
    pub kind: &'static str,
    /// `completed`, or `pending`: the payout would fall after the world's end.
    pub status: &'static str,
    pub in_chain: Chain,
    pub in_tx: TxHash,
    /// Block-wide log index of the router's `Deposit` (EVM) or the vout paying the vault or
    /// deposit address (Bitcoin).
    pub in_index: u64,
    /// Who sent the inbound: the transaction's sender (EVM) or its first input's address.
    pub in_from: String,
    /// The vault (THORChain) or deposit address (BTC.b) the inbound paid.
    pub vault: String,
    pub in_amount: Amount,
    /// The inbound memo (THORChain), as written in the `Deposit` log or the OP_RETURN.
    pub in_memo: Option<String>,
    pub out_chain: Chain,
    pub out_tx: Option<TxHash>,
    /// Block-wide log index of `TransferOut` / `Mint` (EVM) or the vout paying the recipient
    /// (Bitcoin).
    pub out_index: Option<u64>,
    pub out_amount: Option<Amount>,
    /// The recipient: the memo's destination, the refund address, or BTC.b's minted-to account.
    pub out_address: String,
    /// `OUT:<INBOUND HASH>` or `REFUND:<INBOUND HASH>` (THORChain), the exact join key.
    pub out_memo: Option<String>,
    pub heist: Option<String>,
}

/// A THORChain vault handing its funds to its successor after a churn (`MIGRATE:<height>`).
#[derive(Debug, Clone, Serialize)]
pub struct VaultMigration {
    pub protocol: &'static str,
    pub chain: Chain,
    pub tx: TxHash,
    pub from: String,
    pub to: String,
    pub amount: Amount,
    pub memo: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CoinJoinTruth {
    pub txid: TxHash,
    /// whirlpool, wasabi1 or wasabi2.
    pub kind: &'static str,
    /// The equal outputs' value (wasabi2: the most frequent output value).
    pub denomination: u64,
    /// How many outputs have that value.
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
    /// How stolen and clean value are told apart where they merge: `fifo` (see docs/sim.md).
    pub merge_rule: &'static str,
    pub assets: Vec<chaintrail_core::Asset>,
    pub heists: Vec<HeistTruth>,
    pub entities: Vec<EntityTruth>,
    pub mixer_links: Vec<MixerLink>,
    pub btc_mixer_links: Vec<BtcMixerLink>,
    pub bridge_links: Vec<BridgeLink>,
    pub vault_migrations: Vec<VaultMigration>,
    pub coinjoins: Vec<CoinJoinTruth>,
    pub peel_chains: Vec<PeelChainTruth>,
    pub stats: WorldStats,
    /// Who controls every address on chain: written beside this file as
    /// [`WalletTruth::FILE`], not into it.
    #[serde(skip)]
    pub wallets: WalletTruth,
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
    /// Inside a bridge, not yet paid out on the other chain.
    Bridge(BridgeProtocol),
    /// Inside the custodial BTC mixer, not yet paid out.
    BtcMixer,
}

/// The two bridges of the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum BridgeProtocol {
    Thorchain,
    Btcb,
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

/// A run of units in a holder: `(stolen, amount)`.
pub(crate) type Lot = (bool, u128);

/// Clean (non-heist) value that reached a thief-controlled place, as the ledger books it.
#[derive(Debug, Clone)]
pub(crate) struct CleanRow {
    pub place: Place,
    pub asset: SimAsset,
    pub amount: u128,
    pub tx: TxHash,
    pub kind: &'static str,
}

/// The exact book of one heist.
///
/// Every place the heist's value reaches is a holder of *runs* of stolen and clean units in
/// arrival order. Clean value enters only through [`Ledger::clean_in`] (gas top-ups, dust,
/// funds the thieves merged in). Merge rule (documented in docs/sim.md as `merge_rule: fifo`):
/// every outflow of a holder takes its oldest units first (first in, first out); a UTXO
/// transaction's inputs, in order, fill its outputs in order and the fee last; a conversion
/// (DEX swap, bridge) pays out the stolen fraction of what entered it (rounded down, stolen
/// units first); a Vortex note carries the units its deposit took.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// Stolen units per place (the endpoints).
    pub held: BTreeMap<(Place, SimAsset), u128>,
    /// Clean units per place.
    pub clean: BTreeMap<(Place, SimAsset), u128>,
    lots: BTreeMap<(Place, SimAsset), VecDeque<Lot>>,
    pub stolen: BTreeMap<SimAsset, u128>,
    pub fees: BTreeMap<(&'static str, SimAsset), u128>,
    pub conversions: Vec<ConversionRow>,
    pub clean_inflows: Vec<CleanRow>,
}

/// The stolen units of some runs.
pub(crate) fn stolen_of(lots: &[Lot]) -> u128 {
    lots.iter().filter(|l| l.0).map(|l| l.1).sum()
}

/// Split runs after their first `n` units.
pub(crate) fn split_lots(lots: Vec<Lot>, n: u128) -> (Vec<Lot>, Vec<Lot>) {
    let (mut head, mut tail) = (Vec::new(), Vec::new());
    let mut left = n;
    for (s, v) in lots {
        if left >= v {
            left -= v;
            head.push((s, v));
        } else {
            if left > 0 {
                head.push((s, left));
            }
            tail.push((s, v - left));
            left = 0;
        }
    }
    (head, tail)
}

impl Ledger {
    fn bump(&mut self, place: &Place, asset: SimAsset, stolen: bool, add: u128, sub: u128) {
        let map = if stolen {
            &mut self.held
        } else {
            &mut self.clean
        };
        let key = (place.clone(), asset);
        let e = map.entry(key.clone()).or_default();
        *e = *e + add - sub;
        if *e == 0 {
            map.remove(&key);
        }
    }

    /// Append runs to a place.
    pub(crate) fn put(&mut self, to: &Place, asset: SimAsset, lots: Vec<Lot>) {
        for (s, v) in lots {
            if v == 0 {
                continue;
            }
            self.bump(to, asset, s, v, 0);
            let q = self.lots.entry((to.clone(), asset)).or_default();
            match q.back_mut() {
                Some(last) if last.0 == s => last.1 += v,
                _ => q.push_back((s, v)),
            }
        }
    }

    pub(crate) fn steal(&mut self, to: Place, asset: SimAsset, amount: u128) {
        *self.stolen.entry(asset).or_default() += amount;
        self.put(&to, asset, vec![(true, amount)]);
    }

    /// Clean value arriving at a thief place (booked as a clean inflow of the heist).
    pub(crate) fn clean_in(
        &mut self,
        to: Place,
        asset: SimAsset,
        amount: u128,
        tx: TxHash,
        kind: &'static str,
    ) {
        if amount == 0 {
            return;
        }
        self.put(&to, asset, vec![(false, amount)]);
        self.clean_inflows.push(CleanRow {
            place: to,
            asset,
            amount,
            tx,
            kind,
        });
    }

    /// Take the oldest `amount` units of a place.
    pub(crate) fn take(
        &mut self,
        from: &Place,
        asset: SimAsset,
        amount: u128,
    ) -> Result<Vec<Lot>, SimError> {
        if amount == 0 {
            return Ok(Vec::new());
        }
        let key = (from.clone(), asset);
        if self.total(from, asset) < amount {
            return Err(SimError::Invariant(format!(
                "heist holds too little {asset:?} at {from:?}"
            )));
        }
        let q = self
            .lots
            .get_mut(&key)
            .ok_or_else(|| SimError::Invariant(format!("heist holds no {asset:?} at {from:?}")))?;
        let mut out = Vec::new();
        let mut left = amount;
        while left > 0 {
            let Some(front) = q.front_mut() else {
                return Err(SimError::Invariant(format!("runs of {from:?} short")));
            };
            let v = front.1.min(left);
            front.1 -= v;
            left -= v;
            out.push((front.0, v));
            if front.1 == 0 {
                q.pop_front();
            }
        }
        if q.is_empty() {
            self.lots.remove(&key);
        }
        for &(s, v) in &out {
            self.bump(from, asset, s, 0, v);
        }
        Ok(out)
    }

    /// Take exactly `stolen` stolen and `clean` clean units of a place (a Vortex note, a bridge
    /// lock: custody that keeps each deposit's own composition).
    pub(crate) fn take_exact(
        &mut self,
        from: &Place,
        asset: SimAsset,
        stolen: u128,
        clean: u128,
    ) -> Result<Vec<Lot>, SimError> {
        let key = (from.clone(), asset);
        let q = self.lots.entry(key.clone()).or_default();
        for (want_kind, want) in [(true, stolen), (false, clean)] {
            let mut left = want;
            for lot in q.iter_mut().filter(|l| l.0 == want_kind) {
                let v = lot.1.min(left);
                lot.1 -= v;
                left -= v;
            }
            if left > 0 {
                return Err(SimError::Invariant(format!(
                    "heist holds too little {asset:?} at {from:?}"
                )));
            }
        }
        q.retain(|l| l.1 > 0);
        if q.is_empty() {
            self.lots.remove(&key);
        }
        self.bump(from, asset, true, 0, stolen);
        self.bump(from, asset, false, 0, clean);
        Ok(vec![(true, stolen), (false, clean)])
    }

    /// Stolen units at a place.
    pub(crate) fn held(&self, at: &Place, asset: SimAsset) -> u128 {
        self.held.get(&(at.clone(), asset)).copied().unwrap_or(0)
    }

    /// Stolen and clean units at a place.
    pub(crate) fn total(&self, at: &Place, asset: SimAsset) -> u128 {
        self.held(at, asset) + self.clean.get(&(at.clone(), asset)).copied().unwrap_or(0)
    }

    /// Move the oldest `amount` units of `from` to `to`; returns the runs moved.
    pub(crate) fn mv(
        &mut self,
        from: &Place,
        to: Place,
        asset: SimAsset,
        amount: u128,
    ) -> Result<Vec<Lot>, SimError> {
        let lots = self.take(from, asset, amount)?;
        self.put(&to, asset, lots.clone());
        Ok(lots)
    }

    /// Book runs that left as a fee (only their stolen units count as the heist's fees).
    pub(crate) fn fee_lots(&mut self, kind: &'static str, asset: SimAsset, lots: &[Lot]) {
        let s = stolen_of(lots);
        if s > 0 {
            *self.fees.entry((kind, asset)).or_default() += s;
        }
    }

    /// The oldest `amount` units of `from` leave as a fee.
    pub(crate) fn fee(
        &mut self,
        from: &Place,
        kind: &'static str,
        asset: SimAsset,
        amount: u128,
    ) -> Result<(), SimError> {
        let lots = self.take(from, asset, amount)?;
        self.fee_lots(kind, asset, &lots);
        Ok(())
    }

    /// Convert the oldest `amount_in` units of `from` into `amount_out` of `to_asset` at `to`.
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
        let lots = self.take(from, from_asset, amount_in)?;
        self.convert_lots(
            &lots, amount_in, to, to_asset, amount_out, via, tx, counter_tx, from_asset,
        );
        Ok(())
    }

    /// A bridge pays out an inbound it held: the inbound's own runs (`stolen` of `amount_in`
    /// units of `from_asset`) leave the bridge and `amount_out` of `to_asset` arrive at `to`.
    pub(crate) fn bridge_payout(
        &mut self,
        bridge: BridgeProtocol,
        (from_asset, amount_in, stolen): (SimAsset, u128, u128),
        (to, to_asset, amount_out): (Place, SimAsset, u128),
        (tx, counter_tx): (TxHash, TxHash),
    ) -> Result<(), SimError> {
        let held = Place::Bridge(bridge);
        let lots = self.take_exact(&held, from_asset, stolen, amount_in - stolen)?;
        self.convert_lots(
            &lots,
            amount_in,
            to,
            to_asset,
            amount_out,
            "bridge",
            tx,
            Some(counter_tx),
            from_asset,
        );
        Ok(())
    }

    /// Convert runs already taken: the output's stolen part is the input's stolen fraction,
    /// rounded down (stolen units first). Only stolen value is booked as a conversion.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn convert_lots(
        &mut self,
        lots: &[Lot],
        amount_in: u128,
        to: Place,
        to_asset: SimAsset,
        amount_out: u128,
        via: &'static str,
        tx: TxHash,
        counter_tx: Option<TxHash>,
        from_asset: SimAsset,
    ) {
        let s_in = stolen_of(lots);
        let s_out = if s_in == amount_in {
            amount_out
        } else {
            mul_div(amount_out, s_in, amount_in)
        };
        self.put(
            &to,
            to_asset,
            vec![(true, s_out), (false, amount_out - s_out)],
        );
        if s_in > 0 {
            self.conversions
                .push((from_asset, s_in, to_asset, s_out, via, tx, counter_tx));
        }
    }
}

/// ⌊a · b / c⌋ for b ≤ c, exactly (c below 2^127).
fn mul_div(a: u128, b: u128, c: u128) -> u128 {
    if c == 0 {
        return 0;
    }
    if let Some(p) = a.checked_mul(b) {
        return p / c;
    }
    let (q0, r) = (a / c, a % c);
    // r · b / c by shift-and-add, keeping the running remainder below c.
    let (mut q, mut rem) = (0u128, 0u128);
    for bit in (0..128).rev() {
        q <<= 1;
        rem <<= 1;
        if rem >= c {
            rem -= c;
            q += 1;
        }
        if (b >> bit) & 1 == 1 {
            rem += r;
            if rem >= c {
                rem -= c;
                q += 1;
            }
        }
    }
    q0 * b + q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_div_is_exact() {
        assert_eq!(mul_div(10, 3, 4), 7);
        let a = 401_000u128 * 10u128.pow(18);
        let b = 123_456_789u128 * 10u128.pow(15);
        let c = 987_654_321u128 * 10u128.pow(15);
        // a·b/c with a 256-bit product: a = 401000e18, b/c = 123456789/987654321.
        assert_eq!(mul_div(a, b, c), a * 123_456_789 / 987_654_321);
    }

    #[test]
    fn fifo_runs_and_exact_takes() {
        let mut l = Ledger::default();
        let p = Place::Evm(1);
        l.clean_in(p.clone(), SimAsset::Eth, 5, TxHash([0; 32]), "merge");
        l.steal(p.clone(), SimAsset::Eth, 10);
        let lots = l.mv(&p, Place::Evm(2), SimAsset::Eth, 7).expect("mv");
        assert_eq!(lots, vec![(false, 5), (true, 2)]);
        assert_eq!(
            (l.held(&p, SimAsset::Eth), l.total(&p, SimAsset::Eth)),
            (8, 8)
        );
        let got = l
            .take_exact(&Place::Evm(2), SimAsset::Eth, 2, 5)
            .expect("exact");
        assert_eq!(stolen_of(&got), 2);
        assert!(l.take(&p, SimAsset::Eth, 9).is_err());
    }
}
