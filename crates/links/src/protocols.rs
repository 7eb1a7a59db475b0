//! Contracts recognised by the events they emit, so that a trace treats them for what they do
//! even when no label names them: a contract emitting Uniswap V2/V3 `Swap` events is a DEX pool
//! (value converts through it instead of dissolving into its reserves), one emitting Tornado
//! Cash `Deposit`/`Withdrawal` events is a mixer pool. Anyone can emit events of these shapes,
//! so these attributions carry less confidence than a label, and a label always wins.

use std::collections::{BTreeMap, BTreeSet};

use chaintrail_core::{Address, Chain};
use chaintrail_evm::events::{MixerEvent, SwapEvent, SwapProtocol};
use chaintrail_labels::Category;

use crate::Services;
use crate::model::{Attribution, Findings};

/// The role, name and evidence of each emitter, with how many events it emitted.
type Emitters = BTreeMap<(Chain, Address), (Category, &'static str, &'static str, u64)>;

fn pools(swaps: &[SwapEvent], mixers: &[MixerEvent]) -> Emitters {
    let mut found = BTreeMap::new();
    for swap in swaps {
        let (name, evidence) = match swap.protocol {
            SwapProtocol::UniswapV2 => ("Uniswap V2-style pool", "emits Uniswap V2 Swap events"),
            SwapProtocol::UniswapV3 => ("Uniswap V3-style pool", "emits Uniswap V3 Swap events"),
            // A protocol decoded later is a DEX pool all the same.
            _ => ("DEX pool", "emits swap events"),
        };
        found
            .entry((swap.chain, swap.pool.clone()))
            .or_insert((Category::Dex, name, evidence, 0))
            .3 += 1;
    }
    for event in mixers {
        found
            .entry((event.chain, event.pool.clone()))
            .or_insert((
                Category::Mixer,
                "Tornado Cash-style pool",
                "emits Tornado Cash Deposit/Withdrawal events",
                0,
            ))
            .3 += 1;
    }
    found
}

pub fn detect(
    swaps: &BTreeMap<Chain, Vec<SwapEvent>>,
    mixers: &BTreeMap<Chain, Vec<MixerEvent>>,
    services: &dyn Services,
) -> Findings {
    let mut findings = Findings::default();
    let chains: BTreeSet<Chain> = swaps.keys().chain(mixers.keys()).copied().collect();
    for chain in chains {
        let found = pools(
            swaps.get(&chain).map_or(&[][..], |s| s.as_slice()),
            mixers.get(&chain).map_or(&[][..], |m| m.as_slice()),
        );
        for ((chain, address), (role, name, evidence, events)) in found {
            findings.decoded += events;
            if services.service(chain, &address).is_some() {
                continue;
            }
            findings.attributions.push(Attribution {
                chain,
                address: address.to_string(),
                role,
                name: name.to_string(),
                detector: "protocol-events".to_string(),
                confidence: 0.8,
                evidence: format!("{evidence} ({events} in the store)"),
            });
        }
    }
    findings
}
