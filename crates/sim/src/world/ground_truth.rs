//! The world's ground truth, assembled at its end from the heists' ledgers and the entities'
//! addresses: endpoints, conversions, fees, laundering addresses, entities with their roles and
//! day-one labels, and the bridge rows still pending.

use chaintrail_core::{Amount, AssetKind};

use super::{BTC_MIXER_NAME, EVM_BLOCK_SECS, MIXER_NAME, World, btcb, date_of, thorchain};
use crate::evm::{BTCB, STK, USDC, WETH, evm_address};
use crate::truth::*;
use crate::wallets::{AddressOwner, WalletTruth};
use crate::{BTC_CHAIN, EVM_CHAIN, START_TIMESTAMP, SimError};

impl World<'_> {
    fn asset_amount(&self, asset: SimAsset, amount: u128) -> AssetAmount {
        let (chain, kind) = match asset {
            SimAsset::Btc => (BTC_CHAIN, AssetKind::Native),
            SimAsset::Eth => (EVM_CHAIN, AssetKind::Native),
            SimAsset::Usdc => (EVM_CHAIN, self.evm.asset_kind(USDC)),
            SimAsset::Stk => (EVM_CHAIN, self.evm.asset_kind(STK)),
            SimAsset::Weth => (EVM_CHAIN, self.evm.asset_kind(WETH)),
            SimAsset::Btcb => (EVM_CHAIN, self.evm.asset_kind(BTCB)),
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
            Place::Bridge(BridgeProtocol::Thorchain) => {
                let (chain, vault) = if asset == SimAsset::Btc {
                    (BTC_CHAIN, self.thor.btc_vault().1.to_string())
                } else {
                    (
                        EVM_CHAIN,
                        evm_address(self.evm.addr(self.thor.evm_vault())).to_string(),
                    )
                };
                let name = thorchain::BRIDGE_NAME.to_string();
                (chain, vault, (name, Category::Bridge), "in_bridge")
            }
            Place::Bridge(BridgeProtocol::Btcb) => (
                BTC_CHAIN,
                self.btcb.deposit.to_string(),
                (btcb::BRIDGE_NAME.to_string(), Category::Bridge),
                "in_bridge",
            ),
            Place::BtcMixer => (
                BTC_CHAIN,
                self.blendery.initial.to_string(),
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

    /// Who controls every address that appears on either chain.
    fn wallet_truth(&self) -> Result<WalletTruth, SimError> {
        if self.evm_wallet.len() != self.evm.accts.len() {
            return Err(SimError::Invariant(format!(
                "{} EVM accounts but {} with a wallet",
                self.evm.accts.len(),
                self.evm_wallet.len()
            )));
        }
        let mut addresses = Vec::with_capacity(self.evm_seen.len() + self.btc_seen.len());
        for (acct, &wallet) in (0u32..).zip(&self.evm_wallet) {
            if self.evm_seen.contains(&self.evm.addr(acct)) {
                addresses.push(AddressOwner {
                    chain: EVM_CHAIN,
                    address: evm_address(self.evm.addr(acct)).to_string(),
                    wallet,
                    entity: self.evm_owner.get(&acct).copied(),
                });
            }
        }
        for address in &self.btc_seen {
            let wallet = self.btc.owner(address).ok_or_else(|| {
                SimError::Invariant(format!("{address} appears on chain but no wallet made it"))
            })?;
            addresses.push(AddressOwner {
                chain: BTC_CHAIN,
                address: address.to_string(),
                wallet: wallet as u32,
                entity: self.wallet_entity[wallet].map(|(e, _)| e),
            });
        }
        addresses.sort_by(|a, b| (a.chain, &a.address).cmp(&(b.chain, &b.address)));
        Ok(WalletTruth { addresses })
    }

    pub(super) fn truth(mut self) -> Result<GroundTruth, SimError> {
        let wallets = self.wallet_truth()?;
        let mut pending = self.thor_pending_links();
        pending.extend(self.btcb_pending_links());
        self.bridge_links.extend(pending);
        let mut heists = Vec::new();
        for h in &self.heists {
            let ts = START_TIMESTAMP + h.start_block * EVM_BLOCK_SECS;
            // The thieves' addresses that appear on chain.
            let mut laundering: Vec<ChainAddress> = h
                .evm_accts
                .iter()
                .filter(|&&a| self.evm.appears(a))
                .map(|&a| ChainAddress::new(EVM_CHAIN, &evm_address(self.evm.addr(a))))
                .chain(
                    h.btc_addrs
                        .iter()
                        .filter(|a| self.thief_btc_seen.contains(*a))
                        .map(|a| ChainAddress::new(BTC_CHAIN, a)),
                )
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
                        chain: if fa == SimAsset::Btc {
                            BTC_CHAIN
                        } else {
                            EVM_CHAIN
                        },
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
            let evm = self.evm_members[i].iter().map(|&(a, role)| EntityAddress {
                chain: EVM_CHAIN,
                address: evm_address(self.evm.addr(a)).to_string(),
                role,
                day_one_labelled: self.labelled_evm.contains(&a),
            });
            let btc = self.btc_members[i].iter().map(|(a, role)| EntityAddress {
                chain: BTC_CHAIN,
                address: a.to_string(),
                role: *role,
                day_one_labelled: self.labelled_btc.contains(a),
            });
            let mut addresses: Vec<EntityAddress> = evm.chain(btc).collect();
            addresses.dedup_by(|a, b| a.chain == b.chain && a.address == b.address);
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
            format: "chaintrail-sim-truth/4",
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
                token(BTCB, "BTC.b", 8),
                chaintrail_core::Asset::native(BTC_CHAIN),
            ],
            heists,
            entities,
            mixer_links: self.mixer_links,
            btc_mixer_links: self.btc_mixer_links,
            bridge_links: self.bridge_links,
            vault_migrations: self.vault_migrations,
            wallets,
            coinjoins: self.coinjoins,
            peel_chains: self.peel_chains,
            stats: self.stats,
        })
    }
}
