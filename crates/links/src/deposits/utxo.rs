//! Service addresses on UTXO chains. Investigators know a service's hot wallet by a few labelled
//! addresses; the chain reveals the rest:
//!
//! - **co-spends** (the multi-input heuristic, restricted here to what touches labelled
//!   services): the inputs of a transaction that is not a CoinJoin belong to one owner, so every
//!   address co-spent with a labelled address, directly or through a chain of co-spends, is the
//!   service's — unless the merge would join two differently labelled services, which is refused
//!   and counted;
//! - **sweeps** (deposit addresses): a transaction whose every output pays the service's wallet
//!   and whose inputs are not yet the service's is a consolidation of customer deposit
//!   addresses: its input addresses are deposit addresses of the service. A deposit address is a
//!   leaf: what pays *it* is a customer, not the service. A transaction spending one address's
//!   coins whole into a *labelled* address is what a customer's own payment looks like (a
//!   wallet emptied into an OTC desk's published address), so a sweep of a single address counts
//!   only into the wallet addresses the service keeps to itself (found by co-spends).

use std::collections::{BTreeMap, HashMap};

use chaintrail_core::{Address, BitcoinAddress};
use chaintrail_store::{ChainReader, OutputView, TxId, schema};

use super::Service;
use super::coinjoin::{self, CoinJoin};
use crate::model::Attribution;
use crate::unionfind::{Union, UnionFind};

/// Who owns a transaction's inputs, by the multi-input heuristic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoSpend {
    /// Fewer than two inputs with a known address: nothing to merge.
    Single,
    /// A CoinJoin: its inputs belong to many people and must not be merged.
    CoinJoin(CoinJoin),
    /// One owner holds these input addresses (distinct, first input's address first).
    Owner(Vec<u32>),
}

/// The multi-input heuristic on one transaction's sides (see [`tx_sides`]): the one place that
/// decides whether inputs are co-spent.
pub fn co_spend(inputs: &[u32], outputs: &[(u32, u64)]) -> CoSpend {
    if inputs.len() < 2 {
        return CoSpend::Single;
    }
    if let Some(kind) = coinjoin::classify(inputs, outputs) {
        return CoSpend::CoinJoin(kind);
    }
    let mut owner = Vec::with_capacity(inputs.len());
    for &address in inputs {
        if !owner.contains(&address) {
            owner.push(address);
        }
    }
    if owner.len() < 2 {
        return CoSpend::Single;
    }
    CoSpend::Owner(owner)
}

/// The id of the chain's OP_RETURN pseudo-address, if the store has one: its outputs carry no
/// value anyone can spend.
pub fn null_data_id(reader: &ChainReader) -> Option<u32> {
    reader.address_id(&Address::Bitcoin {
        network: match reader.chain() {
            chaintrail_core::Chain::Bitcoin(network) => network,
            _ => chaintrail_core::BitcoinNetwork::Mainnet,
        },
        kind: BitcoinAddress::NullData,
    })
}

/// The value-carrying outputs of a transaction (OP_RETURN and zero-value outputs left out).
pub fn value_outputs(
    reader: &ChainReader,
    tx: TxId,
    null_data: Option<u32>,
) -> impl Iterator<Item = OutputView> + '_ {
    reader
        .tx_outputs(tx)
        .filter_map(|row| reader.output(row))
        .filter(move |o| Some(o.address) != null_data && o.value > 0)
}

/// Address ids of a transaction's inputs (one per input whose address is known) and its
/// value-carrying outputs. Read from the columns directly: every co-spend pass calls it for
/// every transaction.
pub fn tx_sides(
    reader: &ChainReader,
    tx: TxId,
    null_data: Option<u32>,
) -> (Vec<u32>, Vec<(u32, u64)>) {
    let columns = reader.utxo_columns();
    let inputs = reader
        .tx_inputs(tx)
        .filter_map(
            |row| match columns.input_spent.get(usize::try_from(row).ok()?)? {
                schema::INPUT_COINBASE => None,
                // The source named the spent output's address, or did not.
                schema::INPUT_UNLINKED => reader.input(row)?.address,
                spent => columns.output_address.get(usize::try_from(spent).ok()?),
            },
        )
        .filter(|&address| address != schema::NO_ADDRESS)
        .collect();
    let outputs = reader
        .tx_outputs(tx)
        .filter_map(|row| {
            let row = usize::try_from(row).ok()?;
            let value = columns.output_value.get(row)?;
            let address = columns.output_address.get(row)?;
            (Some(address) != null_data && value > 0).then_some((address, value))
        })
        .collect();
    (inputs, outputs)
}

/// Where a co-spend or sweep attribution comes from, per address.
enum Evidence {
    CoSpent { tx: TxId },
    Swept { tx: TxId, inputs: usize },
}

pub(crate) struct UtxoServices {
    pub attributions: Vec<Attribution>,
    /// Co-spends refused because they would have merged two labelled services.
    pub conflicts: u64,
    pub coinjoins: u64,
}

/// Co-spend members and deposit addresses of `services` on one UTXO chain.
pub(crate) fn detect(reader: &ChainReader, services: &[Service]) -> UtxoServices {
    let n = reader.address_count();
    let mut clusters = UnionFind::new(n);
    let mut labelled = vec![false; n];
    for (i, service) in services.iter().enumerate() {
        for address in &service.addresses {
            if let Some(id) = reader.address_id(address) {
                // Two labels on one address: the first service keeps it.
                let _ = clusters.set_label(id, i as u32);
                labelled[id as usize] = true;
            }
        }
    }
    let null_data = null_data_id(reader);
    let (mut conflicts, mut coinjoins) = (0u64, 0u64);
    let mut first_cospend: HashMap<u32, TxId> = HashMap::new();
    let tx_count = reader.tx_count();
    for tx in 0..tx_count {
        let (inputs, outputs) = tx_sides(reader, tx, null_data);
        let owner = match co_spend(&inputs, &outputs) {
            CoSpend::Single => continue,
            CoSpend::CoinJoin(_) => {
                coinjoins += 1;
                continue;
            }
            CoSpend::Owner(owner) => owner,
        };
        let first = owner[0];
        for &other in &owner[1..] {
            match clusters.union(first, other) {
                Union::Same(_) => {}
                Union::Merged { .. } => {
                    first_cospend.entry(first).or_insert(tx);
                    first_cospend.entry(other).or_insert(tx);
                }
                Union::Refused(..) => conflicts += 1,
            }
        }
    }
    // Sweeps into a service's wallet.
    let mut deposits: BTreeMap<u32, (u32, Evidence)> = BTreeMap::new();
    for tx in 0..tx_count {
        let (inputs, outputs) = tx_sides(reader, tx, null_data);
        if inputs.is_empty() || outputs.is_empty() {
            continue;
        }
        let mut payees = outputs.iter().map(|(a, _)| clusters.label(*a));
        let Some(Some(service)) = payees.next() else {
            continue;
        };
        if !payees.all(|s| s == Some(service)) || !services[service as usize].custodial {
            continue;
        }
        let spenders_unowned = inputs.iter().all(|&a| clusters.label(a).is_none());
        if !spenders_unowned {
            continue;
        }
        let mut spenders = inputs.clone();
        spenders.sort_unstable();
        spenders.dedup();
        if spenders.len() == 1 && outputs.iter().any(|(a, _)| labelled[*a as usize]) {
            continue;
        }
        for &address in &inputs {
            deposits.entry(address).or_insert((
                service,
                Evidence::Swept {
                    tx,
                    inputs: inputs.len(),
                },
            ));
        }
    }
    let mut attributions = Vec::new();
    let mut push = |id: u32, service: u32, evidence: Evidence| {
        let Some(address) = reader.address(id) else {
            return;
        };
        let service = &services[service as usize];
        let (detector, confidence, text) = match evidence {
            Evidence::CoSpent { tx } => (
                "cospend-utxo",
                0.95,
                format!(
                    "co-spent with {}'s labelled wallet (multi-input, tx {})",
                    service.name,
                    reader.tx_hash(tx)
                ),
            ),
            Evidence::Swept { tx, inputs } => (
                "deposit-utxo",
                if inputs > 1 { 0.9 } else { 0.85 },
                format!(
                    "deposit address of {}: swept into its wallet in tx {} ({inputs} input(s), every output to {})",
                    service.name,
                    reader.tx_hash(tx),
                    service.name
                ),
            ),
        };
        attributions.push(Attribution {
            chain: reader.chain(),
            address: address.to_string(),
            role: service.role,
            name: service.name.clone(),
            detector: detector.to_string(),
            confidence,
            evidence: text,
        });
    };
    // By address id, so that every build writes the same file.
    let mut cospent: Vec<(u32, TxId)> = first_cospend.into_iter().collect();
    cospent.sort_unstable();
    for (id, tx) in cospent {
        if labelled[id as usize] {
            continue;
        }
        if let Some(service) = clusters.label(id) {
            push(id, service, Evidence::CoSpent { tx });
        }
    }
    for (id, (service, evidence)) in deposits {
        push(id, service, evidence);
    }
    UtxoServices {
        attributions,
        conflicts,
        coinjoins,
    }
}
