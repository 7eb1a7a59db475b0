//! Token amounts above 2^128 base units (spam tokens mint astronomic amounts) do not fit the
//! tracing path's u128: they are refused as seeds and reported as `too_large` endpoints where
//! tainted value meets them — never clamped, so no tainted value is made up or lost.

use std::collections::BTreeMap;

use alloy_primitives::U256;
use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, Asset, AssetKind, BlockRef, Chain, TransferKind,
    TxHash,
};
use chaintrail_labels::Category;
use chaintrail_store::{ChainReader, Store};
use chaintrail_trace::{
    EndpointKind, Entity, Policy, Prices, StaticAttribution, TraceError, TraceReport, TraceRequest,
    trace,
};

const ETH: Chain = Chain::Evm(31337);

const VICTIM: u8 = 1;
const THIEF: u8 = 2;
const MULE: u8 = 3;
const SPAMMER: u8 = 4;
const POOL: u8 = 5;
const SPAM: u8 = 200;
const USDC: u8 = 201;

fn addr(n: u8) -> Address {
    Address::Evm([n; 20])
}

fn hash(n: u32) -> TxHash {
    let mut raw = [0u8; 32];
    raw[28..].copy_from_slice(&n.to_be_bytes());
    TxHash(raw)
}

/// 2^k base units.
fn pow2(k: usize) -> Amount {
    Amount::from_u256(U256::from(1u8) << k)
}

fn token(contract: u8, from: u8, to: u8, amount: Amount) -> AccountTransfer {
    AccountTransfer {
        from: Some(addr(from)),
        to: Some(addr(to)),
        asset: AssetKind::Token(addr(contract)),
        amount,
        kind: TransferKind::Token,
        success: true,
    }
}

fn tx(n: u32, transfers: Vec<AccountTransfer>) -> AccountTx {
    AccountTx {
        hash: hash(n),
        block: BlockRef {
            height: u64::from(n),
            timestamp: 1_650_000_000 + u64::from(n) * 12,
        },
        transfers,
    }
}

fn store(dir: &std::path::Path, txs: &[AccountTx]) -> Store {
    let store = Store::init(dir).unwrap();
    let mut writer = store.writer(ETH).unwrap();
    writer
        .register_asset(&Asset::token(ETH, addr(SPAM), "SPAM", 18))
        .unwrap();
    writer
        .register_asset(&Asset::token(ETH, addr(USDC), "USDC", 6))
        .unwrap();
    for t in txs {
        writer.append_account_tx(t).unwrap();
    }
    writer.finish("test", serde_json::json!(null)).unwrap();
    store
}

fn request(seed: &str, asset: Option<&str>, policy: Policy) -> TraceRequest {
    let mut seed: chaintrail_trace::Seed = seed.parse().unwrap();
    seed.asset = asset.map(str::to_string);
    TraceRequest {
        seeds: vec![seed],
        policy,
        ..TraceRequest::default()
    }
}

fn run(store: &Store, request: &TraceRequest) -> Result<TraceReport, TraceError> {
    let readers: BTreeMap<Chain, ChainReader> = [(ETH, store.reader(ETH).unwrap())].into();
    let mut labels = StaticAttribution::default();
    labels.insert(ETH, addr(POOL), Entity::with_role("Pool", Category::Dex));
    trace(&readers, &labels, &Prices::bundled(), request)
}

fn seed_tx(n: u32) -> String {
    format!("anvil:{}", hash(n).to_hex_prefixed())
}

/// (kind, address, asset, base units, evidence) of every endpoint, sorted.
type Row = (EndpointKind, String, String, String, Option<String>);

fn endpoints(report: &TraceReport) -> Vec<Row> {
    let mut rows: Vec<Row> = report
        .endpoints
        .iter()
        .map(|e| {
            (
                e.kind,
                e.address.clone().unwrap_or_default(),
                e.value.asset.clone(),
                e.value.amount.clone(),
                e.evidence.clone(),
            )
        })
        .collect();
    rows.sort();
    rows
}

const EVIDENCE: &str = "amount above 2^128 base units (a spam token?); not traced";

fn too_large(n: u8, asset: &str, amount: &str) -> Row {
    (
        EndpointKind::TooLarge,
        addr(n).to_string(),
        asset.to_string(),
        amount.to_string(),
        Some(EVIDENCE.to_string()),
    )
}

#[test]
fn seeds_with_amounts_above_128_bits_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(
        dir.path(),
        &[tx(
            1,
            vec![
                token(USDC, VICTIM, THIEF, Amount::from_u64(100)),
                token(SPAM, SPAMMER, THIEF, pow2(200)),
            ],
        )],
    );
    let err = run(&store, &request(&seed_tx(1), None, Policy::Fifo)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("above 2^128") && text.contains("SPAM") && text.contains("--asset"),
        "{text}"
    );
    let thief = format!("anvil:{}", addr(THIEF));
    let err = run(&store, &request(&thief, Some("SPAM"), Policy::Fifo)).unwrap_err();
    assert!(err.to_string().contains("above 2^128"), "{err}");
    // The other asset of the same transaction is traced.
    let report = run(&store, &request(&seed_tx(1), Some("USDC"), Policy::Fifo)).unwrap();
    assert_eq!(
        endpoints(&report),
        [(
            EndpointKind::Unspent,
            addr(THIEF).to_string(),
            "USDC".to_string(),
            "100".to_string(),
            None
        )]
    );
}

#[test]
fn a_holder_that_receives_more_than_128_bits_reports_its_taint_as_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(
        dir.path(),
        &[
            tx(1, vec![token(SPAM, VICTIM, THIEF, Amount::from_u64(100))]),
            tx(2, vec![token(SPAM, SPAMMER, THIEF, pow2(200))]),
            tx(3, vec![token(SPAM, THIEF, MULE, Amount::from_u64(60))]),
        ],
    );
    for policy in [Policy::Fifo, Policy::Haircut, Policy::Poison] {
        let report = run(&store, &request(&seed_tx(1), None, policy)).unwrap();
        assert_eq!(
            endpoints(&report),
            [too_large(THIEF, "SPAM", "100")],
            "{policy}"
        );
    }
}

#[test]
fn taint_adding_up_beyond_128_bits_is_reported_exactly() {
    // Poison: every outflow of a tainted holder is tainted, so 2^127 + 2^127 reach the mule,
    // whose balance would then be 2^128.
    let dir = tempfile::tempdir().unwrap();
    let store = store(
        dir.path(),
        &[
            tx(1, vec![token(SPAM, VICTIM, THIEF, Amount::from_u64(1))]),
            tx(2, vec![token(SPAM, SPAMMER, THIEF, pow2(127))]),
            tx(3, vec![token(SPAM, THIEF, MULE, pow2(127))]),
            tx(4, vec![token(SPAM, SPAMMER, THIEF, pow2(127))]),
            tx(5, vec![token(SPAM, THIEF, MULE, pow2(127))]),
        ],
    );
    let report = run(&store, &request(&seed_tx(1), None, Policy::Poison)).unwrap();
    let mut expected = vec![
        too_large(MULE, "SPAM", &pow2(128).to_string()),
        (
            EndpointKind::Unspent,
            addr(THIEF).to_string(),
            "SPAM".to_string(),
            "1".to_string(),
            None,
        ),
    ];
    expected.sort();
    assert_eq!(endpoints(&report), expected);
    let mule = report
        .by_entity
        .iter()
        .find(|e| e.kind == EndpointKind::TooLarge)
        .unwrap();
    assert_eq!(mule.entity, "too_large");
    assert_eq!(
        mule.values[0].amount,
        "340282366920938463463374607431768211456"
    );
}

#[test]
fn a_swap_into_more_than_128_bits_is_reported_at_the_pool() {
    // The thief swaps 100 tainted USDC for 2^200 SPAM: the tainted share of the output does
    // not fit 128 bits.
    let dir = tempfile::tempdir().unwrap();
    let store = store(
        dir.path(),
        &[
            tx(1, vec![token(USDC, VICTIM, THIEF, Amount::from_u64(100))]),
            tx(
                2,
                vec![
                    token(USDC, THIEF, POOL, Amount::from_u64(100)),
                    token(SPAM, POOL, THIEF, pow2(200)),
                ],
            ),
        ],
    );
    let report = run(&store, &request(&seed_tx(1), None, Policy::Fifo)).unwrap();
    assert_eq!(endpoints(&report), [too_large(POOL, "USDC", "100")]);
}

#[test]
fn a_dust_threshold_above_128_bits_cuts_everything() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(
        dir.path(),
        &[
            tx(1, vec![token(SPAM, VICTIM, THIEF, Amount::from_u64(100))]),
            tx(2, vec![token(SPAM, THIEF, MULE, Amount::from_u64(60))]),
        ],
    );
    // 4 · 10^20 SPAM = 4 · 10^38 base units > 2^128.
    let mut request = request(&seed_tx(1), None, Policy::Fifo);
    request.min_value = "400000000000000000000".to_string();
    let report = run(&store, &request).unwrap();
    let mut expected = vec![
        (
            EndpointKind::Dust,
            addr(MULE).to_string(),
            "SPAM".to_string(),
            "60".to_string(),
            None,
        ),
        (
            EndpointKind::Unspent,
            addr(THIEF).to_string(),
            "SPAM".to_string(),
            "40".to_string(),
            None,
        ),
    ];
    expected.sort();
    assert_eq!(endpoints(&report), expected);
}

#[test]
fn provenance_through_a_history_above_128_bits_is_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(
        dir.path(),
        &[
            tx(1, vec![token(SPAM, VICTIM, THIEF, Amount::from_u64(100))]),
            tx(2, vec![token(SPAM, SPAMMER, THIEF, pow2(200))]),
            tx(3, vec![token(SPAM, THIEF, MULE, Amount::from_u64(60))]),
        ],
    );
    let mut request = request(&seed_tx(3), None, Policy::Fifo);
    request.backward = true;
    let report = run(&store, &request).unwrap();
    assert_eq!(endpoints(&report), [too_large(THIEF, "SPAM", "60")]);
}
