//! Bitcoin block timestamps need not increase: a block may carry an earlier time than its
//! parent. The tracer orders a chain's events by height and position (effective block times,
//! docs/trace.md), so a transaction is never processed before the outputs it spends are tainted.

use std::collections::BTreeMap;

use chaintrail_core::{
    Address, BitcoinAddress, BitcoinNetwork, BlockRef, Chain, OutPoint, TxHash, UtxoInput,
    UtxoOutput, UtxoTx,
};
use chaintrail_store::{ChainReader, Store};
use chaintrail_trace::{
    EndpointKind, NoAttribution, Policy, Prices, TraceReport, TraceRequest, trace,
};

const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);

fn hash(n: u32) -> TxHash {
    let mut raw = [0u8; 32];
    raw[28..].copy_from_slice(&n.to_be_bytes());
    TxHash(raw)
}

fn btc(n: u8) -> Address {
    Address::Bitcoin {
        network: BitcoinNetwork::Regtest,
        kind: BitcoinAddress::P2wpkh([n; 20]),
    }
}

fn out(value: u64, n: u8) -> UtxoOutput {
    UtxoOutput {
        value,
        address: btc(n),
        data: None,
    }
}

fn spend(tx: u32, vout: u32) -> UtxoInput {
    UtxoInput {
        prevout: Some(OutPoint { tx: hash(tx), vout }),
        value: None,
        address: None,
    }
}

const A: u8 = 1;
const B: u8 = 2;
const D: u8 = 4;
const E: u8 = 5;

/// Height 1 (time 1,000): a coinbase pays 500 to A and 500 to D (the stolen coins).
/// Height 2 (time 2,000): A pays 490 to B (fee 10).
/// Height 3 (time 1,500, earlier than its parent): B's 490 and D's 500 go to E as 980 (fee 10).
fn store(dir: &std::path::Path) -> Store {
    let store = Store::init(dir).unwrap();
    let mut writer = store.writer(BTC).unwrap();
    let block = |height, timestamp| BlockRef { height, timestamp };
    let txs = [
        UtxoTx {
            fingerprint: None,
            hash: hash(1),
            block: block(1, 1_000),
            inputs: vec![UtxoInput {
                prevout: None,
                value: None,
                address: None,
            }],
            outputs: vec![out(500, A), out(500, D)],
        },
        UtxoTx {
            fingerprint: None,
            hash: hash(2),
            block: block(2, 2_000),
            inputs: vec![spend(1, 0)],
            outputs: vec![out(490, B)],
        },
        UtxoTx {
            fingerprint: None,
            hash: hash(3),
            block: block(3, 1_500),
            inputs: vec![spend(2, 0), spend(1, 1)],
            outputs: vec![out(980, E)],
        },
    ];
    for tx in &txs {
        writer.append_utxo_tx(tx).unwrap();
    }
    writer.finish("test", serde_json::json!(null)).unwrap();
    store
}

fn run(store: &Store, until: Option<u64>) -> TraceReport {
    let readers: BTreeMap<Chain, ChainReader> = [(BTC, store.reader(BTC).unwrap())].into();
    let request = TraceRequest {
        seeds: vec![
            format!("bitcoin-regtest:{}", hash(1).to_hex())
                .parse()
                .unwrap(),
        ],
        policy: Policy::Haircut,
        until,
        ..TraceRequest::default()
    };
    trace(&readers, &NoAttribution, &Prices::bundled(), &request).unwrap()
}

/// (address, satoshis) of the endpoints of `kind`, sorted.
fn held(report: &TraceReport, kind: EndpointKind) -> Vec<(String, u128)> {
    let mut out: Vec<(String, u128)> = report
        .endpoints
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| {
            (
                e.address.clone().unwrap_or_default(),
                e.value.amount.parse().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_spend_in_a_block_timed_before_its_parent_carries_the_parents_taint() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let report = run(&store, None);
    // All 1,000 stolen satoshis: 980 at E, 10 + 10 in fees; nothing left at B, which spent it.
    assert_eq!(
        held(&report, EndpointKind::Unspent),
        [(btc(E).to_string(), 980)]
    );
    let fees: u128 = held(&report, EndpointKind::Fee)
        .iter()
        .map(|(_, v)| v)
        .sum();
    assert_eq!(fees, 20);
    // The endpoint keeps the block's own timestamp.
    let at_e = report
        .endpoints
        .iter()
        .find(|e| e.kind == EndpointKind::Unspent)
        .unwrap();
    assert_eq!(at_e.time, 1_500);
}

#[test]
fn until_cuts_the_chain_at_an_effective_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    // Height 3's effective time is 2,000 (its parent's), so a cutoff of 1,800 keeps the chain
    // at height 1: the stolen coins are where the coinbase put them.
    let report = run(&store, Some(1_800));
    let mut at_height_1 = vec![(btc(A).to_string(), 500), (btc(D).to_string(), 500)];
    at_height_1.sort();
    assert_eq!(held(&report, EndpointKind::Unspent), at_height_1);
    let report = run(&store, Some(2_000));
    assert_eq!(
        held(&report, EndpointKind::Unspent),
        [(btc(E).to_string(), 980)]
    );
}
