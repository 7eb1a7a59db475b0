//! Multichain (Anyswap) between EVM chains: the router's `LogAnySwapOut` on the source chain,
//! and on the destination `LogAnySwapIn`, whose indexed `txhash` is the source transaction —
//! an exact join. The routers and the anyTokens they move are derived as the bridge.
//!
//! A swap-out whose destination chain is in the store but shows no swap-in naming it is
//! pending; one to a chain the store does not hold is pending too, saying where it went.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Log, U256};
use alloy_sol_types::{SolEvent, sol};
use chaintrail_core::{Address, Chain, ChainModel, TxHash};
use chaintrail_evm::events::KeptLog;
use chaintrail_labels::Category;
use chaintrail_store::ChainReader;

use crate::Services;
use crate::model::{Attribution, Findings, Link, Pending};

sol! {
    event LogAnySwapIn(bytes32 indexed txhash, address indexed token, address indexed to, uint256 amount, uint256 fromChainID, uint256 toChainID);
    event LogAnySwapOut(address indexed token, address indexed from, address indexed to, uint256 amount, uint256 fromChainID, uint256 toChainID);
}

mod to_text {
    alloy_sol_types::sol! {
        event LogAnySwapOut(address indexed token, address indexed from, string to, uint256 amount, uint256 fromChainID, uint256 toChainID);
    }
}

pub const NAME: &str = "Multichain";
const DECODER: &str = "multichain";

struct SwapIn {
    chain: Chain,
    tx: TxHash,
    router: Address,
    token: Address,
    source: TxHash,
    to: Address,
    from_chain: U256,
}

struct SwapOut {
    chain: Chain,
    tx: TxHash,
    time: u64,
    router: Address,
    token: Address,
    destination: String,
    to_chain: U256,
}

fn evm(raw: alloy_primitives::Address) -> Address {
    Address::Evm(raw.0.0)
}

fn as_log(log: &KeptLog) -> Option<Log> {
    let Address::Evm(emitter) = log.address else {
        return None;
    };
    Log::new(emitter.into(), log.topics.clone(), log.data.clone())
}

/// The store's EVM chain with this chain id, if it holds one.
fn chain_of(id: U256) -> Option<Chain> {
    u64::try_from(id).ok().map(Chain::Evm)
}

pub fn decode(
    readers: &BTreeMap<Chain, ChainReader>,
    evm_logs: &BTreeMap<Chain, Vec<KeptLog>>,
    services: &dyn Services,
) -> Findings {
    let mut findings = Findings::default();
    let (mut ins, mut outs) = (Vec::new(), Vec::new());
    for log in evm_logs.values().flatten() {
        let (Some(topic0), Some(raw)) = (log.topics.first(), as_log(log)) else {
            continue;
        };
        if *topic0 == LogAnySwapIn::SIGNATURE_HASH {
            match LogAnySwapIn::decode_log(&raw) {
                Ok(e) => ins.push(SwapIn {
                    chain: log.chain,
                    tx: log.tx,
                    router: log.address.clone(),
                    token: evm(e.data.token),
                    source: TxHash(e.data.txhash.0),
                    to: evm(e.data.to),
                    from_chain: e.data.fromChainID,
                }),
                Err(_) => findings.unmatched += 1,
            }
        } else if *topic0 == LogAnySwapOut::SIGNATURE_HASH {
            match LogAnySwapOut::decode_log(&raw) {
                Ok(e) => outs.push(SwapOut {
                    chain: log.chain,
                    tx: log.tx,
                    time: log.block.timestamp,
                    router: log.address.clone(),
                    token: evm(e.data.token),
                    destination: evm(e.data.to).to_string(),
                    to_chain: e.data.toChainID,
                }),
                Err(_) => findings.unmatched += 1,
            }
        } else if *topic0 == to_text::LogAnySwapOut::SIGNATURE_HASH {
            match to_text::LogAnySwapOut::decode_log(&raw) {
                Ok(e) => outs.push(SwapOut {
                    chain: log.chain,
                    tx: log.tx,
                    time: log.block.timestamp,
                    router: log.address.clone(),
                    token: evm(e.data.token),
                    destination: e.data.to.clone(),
                    to_chain: e.data.toChainID,
                }),
                Err(_) => findings.unmatched += 1,
            }
        }
    }
    findings.decoded = (ins.len() + outs.len()) as u64;
    let routers: BTreeSet<(Chain, Address)> = ins
        .iter()
        .map(|i| (i.chain, i.router.clone()))
        .chain(outs.iter().map(|o| (o.chain, o.router.clone())))
        .collect();
    let via = routers
        .iter()
        .find_map(|(chain, router)| match services.service(*chain, router) {
            Some((Category::Bridge, name)) => Some(name),
            _ => None,
        })
        .unwrap_or_else(|| NAME.to_string());
    let mut answered: BTreeSet<TxHash> = BTreeSet::new();
    for swap in &ins {
        // The source transaction, on the chain the event names first.
        let preferred = chain_of(swap.from_chain);
        let source = preferred
            .into_iter()
            .chain(readers.keys().copied())
            .filter(|c| c.model() == ChainModel::Account)
            .find(|c| {
                readers
                    .get(c)
                    .is_some_and(|r| r.tx_id(&swap.source).is_some())
            });
        let Some(source) = source else {
            findings.unmatched += 1;
            continue;
        };
        answered.insert(swap.source);
        findings.links.push(Link {
            share: 1.0,
            kind: "bridge".to_string(),
            via: via.clone(),
            decoder: DECODER.to_string(),
            from_chain: source,
            from_tx: swap.source,
            to_chain: swap.chain,
            to_tx: swap.tx,
            to_address: Some(swap.to.to_string()),
            confidence: 1.0,
            evidence: format!(
                "LogAnySwapIn txhash {} (from chain id {})",
                swap.source.to_hex_prefixed(),
                swap.from_chain
            ),
        });
    }
    for swap in outs.iter().filter(|o| !answered.contains(&o.tx)) {
        let held = match chain_of(swap.to_chain).filter(|c| readers.contains_key(c)) {
            Some(chain) => format!("no LogAnySwapIn naming it on {chain} in the store"),
            None => format!("chain id {} is not in the store", swap.to_chain),
        };
        findings.pending.push(Pending {
            kind: "bridge".to_string(),
            via: via.clone(),
            decoder: DECODER.to_string(),
            chain: swap.chain,
            tx: swap.tx,
            time: swap.time,
            remaining: 1.0,
            evidence: format!(
                "LogAnySwapOut to {} on chain id {}; {held}",
                swap.destination, swap.to_chain
            ),
        });
    }
    let mut derived: BTreeSet<(Chain, Address, &str)> = BTreeSet::new();
    for (chain, router) in &routers {
        derived.insert((
            *chain,
            router.clone(),
            "emits Multichain LogAnySwapIn/LogAnySwapOut events",
        ));
    }
    for (chain, token) in ins
        .iter()
        .map(|i| (i.chain, &i.token))
        .chain(outs.iter().map(|o| (o.chain, &o.token)))
    {
        derived.insert((
            chain,
            token.clone(),
            "anyToken a Multichain router swaps in and out",
        ));
    }
    for (chain, address, evidence) in derived {
        if services.service(chain, &address).is_some() {
            continue;
        }
        findings.attributions.push(Attribution {
            chain,
            address: address.to_string(),
            role: Category::Bridge,
            name: via.clone(),
            detector: DECODER.to_string(),
            confidence: 0.95,
            evidence: evidence.to_string(),
        });
    }
    findings
}
