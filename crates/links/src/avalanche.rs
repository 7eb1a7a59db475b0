//! The Avalanche Bridge: BTC sent to the bridge's Bitcoin address is minted as BTC.b on the EVM
//! side by a `Mint(to, amount, feeAddress, feeAmount, originTxId, originOutputIndex)` event
//! whose `originTxId` is the Bitcoin transaction: an exact join. Ethereum-side ".e" tokens use
//! the five-argument `Mint` without the output index, with the Ethereum transaction as origin.
//!
//! The bridge's deposit addresses are derived from the outputs the mints name; a later payment
//! to such an address with no mint in the store is reported as pending.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::Log;
use alloy_sol_types::{SolEvent, sol};
use chaintrail_core::{Address, Chain, ChainModel, TxHash};
use chaintrail_evm::events::KeptLog;
use chaintrail_labels::Category;
use chaintrail_store::{ChainReader, TxId};

use crate::Services;
use crate::model::{Attribution, Findings, Link, Pending};

mod btcb {
    alloy_sol_types::sol! {
        event Mint(address to, uint256 amount, address feeAddress, uint256 feeAmount, bytes32 originTxId, uint256 originOutputIndex);
    }
}

sol! {
    event Mint(address to, uint256 amount, address feeAddress, uint256 feeAmount, bytes32 originTxId);
}

pub const NAME: &str = "Avalanche Bridge";
const DECODER: &str = "avalanche-bridge";

/// A decoded mint: who got it, and the origin transaction (and output) it answers.
struct MintRecord {
    chain: Chain,
    tx: TxHash,
    /// The token contract that minted.
    token: Address,
    to: Address,
    origin: [u8; 32],
    /// The sixth word of the six-argument event: the origin output index in the bridge's ABI
    /// as published by indexers (some sources call it `originChainId`); only a hint.
    output: Option<u32>,
    /// What the origin deposited: the minted amount plus the bridge fee, in base units.
    deposited: Option<u64>,
}

fn decode_mint(log: &KeptLog) -> Option<MintRecord> {
    let Address::Evm(emitter) = log.address else {
        return None;
    };
    let topic0 = *log.topics.first()?;
    let raw = Log::new(emitter.into(), log.topics.clone(), log.data.clone())?;
    let total = |amount: alloy_primitives::U256, fee: alloy_primitives::U256| {
        amount.checked_add(fee).and_then(|t| u64::try_from(t).ok())
    };
    let (to, origin, output, deposited) = if topic0 == btcb::Mint::SIGNATURE_HASH {
        let e = btcb::Mint::decode_log(&raw).ok()?;
        (
            e.data.to,
            e.data.originTxId,
            u32::try_from(e.data.originOutputIndex).ok(),
            total(e.data.amount, e.data.feeAmount),
        )
    } else if topic0 == Mint::SIGNATURE_HASH {
        let e = Mint::decode_log(&raw).ok()?;
        (e.data.to, e.data.originTxId, None, None)
    } else {
        return None;
    };
    Some(MintRecord {
        chain: log.chain,
        tx: log.tx,
        token: log.address.clone(),
        to: Address::Evm(to.0.0),
        origin: origin.0,
        output,
        deposited,
    })
}

/// The output of a UTXO origin that paid the bridge: the one holding exactly what was minted
/// plus the fee, else the one the event's index names.
fn deposit_output(reader: &ChainReader, tx: TxId, mint: &MintRecord) -> Option<(u32, u64)> {
    let outputs: Vec<_> = reader
        .tx_outputs(tx)
        .filter_map(|row| reader.output(row))
        .collect();
    outputs
        .iter()
        .find(|o| Some(o.value) == mint.deposited)
        .or_else(|| outputs.iter().find(|o| Some(o.vout) == mint.output))
        .map(|o| (o.address, o.row))
}

/// The origin transaction of a mint, on any chain of the store. Bitcoin txids may be written in
/// either byte order: display order is tried first.
fn find_origin(
    readers: &BTreeMap<Chain, ChainReader>,
    origin: [u8; 32],
) -> Option<(Chain, TxId, TxHash)> {
    let mut reversed = origin;
    reversed.reverse();
    for reader in readers.values() {
        let orders: &[[u8; 32]] = match reader.model() {
            ChainModel::Utxo => &[origin, reversed],
            ChainModel::Account => &[origin],
        };
        for candidate in orders {
            let hash = TxHash(*candidate);
            if let Some(id) = reader.tx_id(&hash) {
                return Some((reader.chain(), id, hash));
            }
        }
    }
    None
}

pub fn decode(
    readers: &BTreeMap<Chain, ChainReader>,
    evm_logs: &BTreeMap<Chain, Vec<KeptLog>>,
    services: &dyn Services,
) -> Findings {
    let mints: Vec<MintRecord> = evm_logs
        .values()
        .flatten()
        .filter_map(decode_mint)
        .collect();
    // Named as the labels name the token contract, when they do.
    let via = mints
        .iter()
        .find_map(|m| match services.service(m.chain, &m.token) {
            Some((Category::Bridge, name)) => Some(name),
            _ => None,
        })
        .unwrap_or_else(|| NAME.to_string());
    let mut findings = Findings::default();
    let mut deposit_addresses: BTreeMap<Chain, BTreeSet<u32>> = BTreeMap::new();
    let mut linked: BTreeSet<(Chain, TxHash)> = BTreeSet::new();
    for mint in &mints {
        findings.decoded += 1;
        let Some((origin_chain, origin_id, origin_tx)) = find_origin(readers, mint.origin) else {
            findings.unmatched += 1;
            continue;
        };
        let reader = &readers[&origin_chain];
        let evidence = match reader.model() {
            ChainModel::Utxo => match deposit_output(reader, origin_id, mint) {
                Some((address, row)) => {
                    deposit_addresses
                        .entry(origin_chain)
                        .or_default()
                        .insert(address);
                    let vout = row - reader.tx_outputs(origin_id).start;
                    format!("Mint originTxId {origin_tx} (output {vout})")
                }
                None => format!("Mint originTxId {origin_tx}"),
            },
            ChainModel::Account => format!("Mint originTxId {}", origin_tx.to_hex_prefixed()),
        };
        linked.insert((origin_chain, origin_tx));
        findings.links.push(Link {
            share: 1.0,
            kind: "bridge".to_string(),
            via: via.clone(),
            decoder: DECODER.to_string(),
            from_chain: origin_chain,
            from_tx: origin_tx,
            to_chain: mint.chain,
            to_tx: mint.tx,
            to_address: Some(mint.to.to_string()),
            confidence: 1.0,
            evidence,
        });
    }
    // Payments to a known deposit address that no mint answers (yet).
    for (chain, addresses) in &deposit_addresses {
        let reader = &readers[chain];
        let mut pending_txs = BTreeSet::new();
        for &address in addresses {
            for row in reader.incoming(address) {
                let Some(output) = reader.output(row) else {
                    continue;
                };
                let tx = reader.tx_hash(output.tx);
                if !linked.contains(&(*chain, tx)) && pending_txs.insert(output.tx) {
                    findings.pending.push(Pending {
                        kind: "bridge".to_string(),
                        via: via.clone(),
                        decoder: DECODER.to_string(),
                        chain: *chain,
                        tx,
                        time: reader.tx_block(output.tx).timestamp,
                        remaining: 1.0,
                        evidence: format!(
                            "payment to the bridge's deposit address {}; no Mint with originTxId {tx} in the store",
                            reader.address(address).map(|a| a.to_string()).unwrap_or_default()
                        ),
                    });
                }
            }
            let Some(text) = reader.address(address) else {
                continue;
            };
            if services.service(*chain, &text).is_some() {
                continue;
            }
            findings.attributions.push(Attribution {
                chain: *chain,
                address: text.to_string(),
                role: Category::Bridge,
                name: via.clone(),
                detector: DECODER.to_string(),
                confidence: 0.95,
                evidence: "deposit address named by Avalanche Bridge Mint events (originTxId, originOutputIndex)".to_string(),
            });
        }
    }
    findings
}
