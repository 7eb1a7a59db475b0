//! Report building: the engine's edges and arrivals become a [`TraceReport`] — endpoints grouped
//! and totalled exactly, each with its largest path, amounts valued in USD where priced.

use std::collections::BTreeMap;

use alloy_primitives::U256;
use chaintrail_core::{Address, Amount, Chain, ChainModel};
use chaintrail_store::{ChainReader, TxId};

use crate::engine::{Arrival, Edge, Record};
use crate::{
    Endpoint, EndpointKind, EntityTotal, PathStep, Prices, TraceReport, TraceRequest, TraceStats,
    Value,
};

fn value(
    readers: &BTreeMap<Chain, ChainReader>,
    prices: &Prices,
    chain: Chain,
    asset: u32,
    exact: Amount,
    time: u64,
) -> Value {
    let known = readers.get(&chain).and_then(|r| r.asset(asset));
    let (symbol, decimals) = known.map_or_else(
        || (format!("asset#{asset}"), 0),
        |a| {
            let symbol = if a.symbol.is_empty() {
                a.contract()
                    .map_or_else(|| format!("asset#{asset}"), ToString::to_string)
            } else {
                a.symbol.clone()
            };
            (symbol, a.decimals)
        },
    );
    Value {
        chain,
        usd: known.and_then(|a| prices.usd(a, exact.to_f64_units(decimals), time)),
        asset: symbol,
        contract: known.and_then(|a| a.contract().cloned()),
        decimals,
        amount: exact.to_string(),
        units: exact.format_units(decimals),
    }
}

fn edge_step(
    edges: &[Edge],
    readers: &BTreeMap<Chain, ChainReader>,
    prices: &Prices,
    index: usize,
) -> PathStep {
    let edge = &edges[index];
    let reader = &readers[&edge.chain];
    let name = |id: u32| reader.address(id).map(|a| a.to_string());
    let hash_text = |tx: TxId| match edge.chain.model() {
        ChainModel::Account => reader.tx_hash(tx).to_hex_prefixed(),
        ChainModel::Utxo => reader.tx_hash(tx).to_hex(),
    };
    let (tx, block, time, from, to, vout, position) = match edge.record {
        Record::Transfer(row) => match reader.transfer(row) {
            Some(t) => (
                hash_text(t.tx),
                t.block.height,
                t.block.timestamp,
                name(t.from),
                name(t.to),
                None,
                Some(t.position),
            ),
            None => (String::new(), 0, 0, None, None, None, None),
        },
        Record::Output(row) => match reader.output(row) {
            Some(o) => {
                let block = reader.tx_block(o.tx);
                (
                    hash_text(o.tx),
                    block.height,
                    block.timestamp,
                    None,
                    name(o.address),
                    Some(o.vout),
                    None,
                )
            }
            None => (String::new(), 0, 0, None, None, None, None),
        },
        Record::Fee(tx) => {
            let block = reader.tx_block(tx);
            (
                hash_text(tx),
                block.height,
                block.timestamp,
                None,
                None,
                None,
                None,
            )
        }
        Record::Seed => (String::new(), 0, 0, None, None, None, None),
    };
    PathStep {
        hop: edge.hop,
        chain: edge.chain,
        tx,
        block,
        vout,
        position,
        time,
        from,
        to,
        value: value(
            readers,
            prices,
            edge.chain,
            edge.asset,
            Amount::from_u128(edge.taint),
            time,
        ),
        rule: edge.rule.clone(),
    }
}

/// The path from the seed to edge `index`, in time order: seed first when tracing forward,
/// origin first when tracing backward (there the parent of an edge is the later movement).
pub(crate) fn path(
    edges: &[Edge],
    readers: &BTreeMap<Chain, ChainReader>,
    prices: &Prices,
    mut index: usize,
    backward: bool,
) -> Vec<PathStep> {
    let mut steps = Vec::new();
    loop {
        steps.push(edge_step(edges, readers, prices, index));
        match edges[index].parent {
            Some(parent) if steps.len() < 10_000 => index = parent,
            _ => break,
        }
    }
    if !backward {
        steps.reverse();
    }
    steps
}

/// (entity or kind, category, kind) and (chain, symbol, decimals): the by-entity grouping.
type EntityKey = (String, String, EndpointKind);
type AssetKey = (Chain, String, Option<Address>, u8);

pub(crate) fn build_report(
    edges: &[Edge],
    arrivals: &[Arrival],
    readers: &BTreeMap<Chain, ChainReader>,
    prices: &Prices,
    request: &TraceRequest,
    stats: TraceStats,
) -> TraceReport {
    // Aggregate arrivals per endpoint; the largest delivery is the representative path.
    type Key = (EndpointKind, Option<String>, Chain, Option<u32>, u32);
    // Sums in 256 bits: fewer than 2^64 arrivals of less than 2^128 units each cannot overflow.
    let mut groups: BTreeMap<Key, (U256, u64, &Arrival)> = BTreeMap::new();
    for arrival in arrivals {
        let key = (
            arrival.kind,
            arrival.entity.as_ref().map(|e| e.name.clone()),
            arrival.chain,
            arrival.address,
            arrival.asset,
        );
        let entry = groups.entry(key).or_insert((U256::ZERO, 0, arrival));
        entry.0 += U256::from(arrival.taint);
        entry.1 += 1;
        if arrival.taint > entry.2.taint {
            entry.2 = arrival;
        }
    }
    let totalled: Vec<(U256, Endpoint)> = groups
        .into_iter()
        .map(
            |((kind, _, chain, address, asset), (total, deliveries, best))| {
                let steps = path(edges, readers, prices, best.edge, request.backward);
                // The endpoint is where the path ends in the trace's direction.
                let last = if request.backward {
                    steps.first()
                } else {
                    steps.last()
                };
                let time = last.map_or(0, |s| s.time);
                let reader = &readers[&chain];
                let endpoint = Endpoint {
                    kind,
                    entity: best.entity.as_ref().map(|e| e.name.clone()),
                    category: best
                        .entity
                        .as_ref()
                        .and_then(|e| e.category)
                        .map(|c| c.to_string()),
                    flags: best.entity.as_ref().map_or_else(Vec::new, |e| {
                        e.flags.iter().map(|f| f.to_string()).collect()
                    }),
                    chain,
                    address: address
                        .and_then(|a| reader.address(a))
                        .map(|a| a.to_string()),
                    value: value(
                        readers,
                        prices,
                        chain,
                        asset,
                        Amount::from_u256(total),
                        time,
                    ),
                    tx: last.map_or_else(String::new, |s| s.tx.clone()),
                    time,
                    hops: last.map_or(0, |s| s.hop),
                    // An attribution derived from chain data is only as sure as its detector.
                    confidence: edges[best.edge].confidence
                        * best
                            .entity
                            .as_ref()
                            .filter(|e| e.evidence.is_some())
                            .map_or(1.0, |e| f64::from(e.confidence) / 100.0),
                    evidence: best
                        .note
                        .clone()
                        .or_else(|| best.entity.as_ref().and_then(|e| e.evidence.clone())),
                    path: steps,
                    deliveries,
                };
                (total, endpoint)
            },
        )
        .collect();
    let by_entity = entity_totals(&totalled);
    let mut endpoints: Vec<Endpoint> = totalled.into_iter().map(|(_, e)| e).collect();
    endpoints.sort_by(|a, b| {
        let usd = |e: &Endpoint| e.value.usd.unwrap_or(0.0);
        usd(b)
            .total_cmp(&usd(a))
            .then_with(|| b.value.units.len().cmp(&a.value.units.len()))
            .then_with(|| b.value.amount.cmp(&a.value.amount))
    });
    let mut seeded: BTreeMap<(Chain, u32), (U256, u64)> = BTreeMap::new();
    for edge in edges.iter().filter(|e| e.rule == "seed") {
        let time = match edge.record {
            Record::Transfer(row) => readers[&edge.chain]
                .transfer(row)
                .map_or(0, |t| t.block.timestamp),
            Record::Output(row) => readers[&edge.chain]
                .output(row)
                .map_or(0, |o| readers[&edge.chain].tx_block(o.tx).timestamp),
            _ => 0,
        };
        let slot = seeded
            .entry((edge.chain, edge.asset))
            .or_insert((U256::ZERO, time));
        slot.0 += U256::from(edge.taint);
    }
    TraceReport {
        direction: if request.backward {
            "backward"
        } else {
            "forward"
        },
        policy: request.policy,
        max_hops: request.max_hops,
        min_value: request.min_value.clone(),
        until: request.until,
        seeded: seeded
            .into_iter()
            .map(|((chain, asset), (amount, time))| {
                value(
                    readers,
                    prices,
                    chain,
                    asset,
                    Amount::from_u256(amount),
                    time,
                )
            })
            .collect(),
        endpoints,
        by_entity,
        stats,
    }
}

/// The endpoints (with their exact totals) summed per entity (or kind) and asset, largest USD
/// first.
fn entity_totals(endpoints: &[(U256, Endpoint)]) -> Vec<EntityTotal> {
    let mut by_entity: BTreeMap<EntityKey, BTreeMap<AssetKey, (U256, Option<f64>)>> =
        BTreeMap::new();
    for (total, e) in endpoints {
        let name = e
            .entity
            .clone()
            .unwrap_or_else(|| e.kind.as_str().to_string());
        let category = e.category.clone().unwrap_or_else(|| "-".to_string());
        let per_asset = by_entity.entry((name, category, e.kind)).or_default();
        let slot = per_asset
            .entry((
                e.value.chain,
                e.value.asset.clone(),
                e.value.contract.clone(),
                e.value.decimals,
            ))
            .or_insert((U256::ZERO, None));
        slot.0 += *total;
        if let Some(usd) = e.value.usd {
            slot.1 = Some(slot.1.unwrap_or(0.0) + usd);
        }
    }
    let mut by_entity: Vec<EntityTotal> = by_entity
        .into_iter()
        .map(|((entity, category, kind), assets)| {
            let usd: Option<f64> = assets.values().filter_map(|(_, u)| *u).reduce(|a, b| a + b);
            EntityTotal {
                entity,
                category,
                kind,
                values: assets
                    .into_iter()
                    .map(|((chain, asset, contract, decimals), (amount, usd))| {
                        let exact = Amount::from_u256(amount);
                        Value {
                            chain,
                            asset,
                            contract,
                            decimals,
                            amount: exact.to_string(),
                            units: exact.format_units(decimals),
                            usd,
                        }
                    })
                    .collect(),
                usd,
            }
        })
        .collect();
    by_entity.sort_by(|a, b| b.usd.unwrap_or(0.0).total_cmp(&a.usd.unwrap_or(0.0)));
    by_entity
}

impl Value {
    /// `exact` base units of `asset` on `chain` as a report value: symbol, decimals, whole units
    /// and USD at `time` where priced.
    pub fn of(
        readers: &BTreeMap<Chain, ChainReader>,
        prices: &Prices,
        chain: Chain,
        asset: u32,
        exact: Amount,
        time: u64,
    ) -> Value {
        value(readers, prices, chain, asset, exact, time)
    }
}
