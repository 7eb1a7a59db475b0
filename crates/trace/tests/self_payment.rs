//! An account that pays itself moves nothing: the units leave and come straight back. Seeding
//! such a transfer taints what the account holds (it used to vanish: `endpoints: []`), and an
//! account that already holds taint keeps it when it pays itself.

use std::collections::BTreeMap;

use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, AssetKind, BlockRef, Chain, TransferKind, TxHash,
};
use chaintrail_labels::Category;
use chaintrail_store::{ChainReader, Store};
use chaintrail_trace::{
    EndpointKind, Entity, Policy, Prices, StaticAttribution, TraceReport, TraceRequest, trace,
};

const ETH: Chain = Chain::Evm(31337);

const VICTIM: u8 = 1;
const HOLDER: u8 = 2;
const EXCHANGE: u8 = 3;
const VALIDATOR: u8 = 9;

fn addr(n: u8) -> Address {
    Address::Evm([n; 20])
}

fn eth(units: &str) -> u128 {
    Amount::from_units(units, 18)
        .expect("units")
        .to_u128()
        .expect("fits")
}

fn hash(n: u32) -> TxHash {
    let mut raw = [0u8; 32];
    raw[28..].copy_from_slice(&n.to_be_bytes());
    TxHash(raw)
}

fn transfer(from: Option<u8>, to: Option<u8>, units: &str, kind: TransferKind) -> AccountTransfer {
    AccountTransfer {
        from: from.map(addr),
        to: to.map(addr),
        asset: AssetKind::Native,
        amount: Amount::from_u128(eth(units)),
        kind,
        success: true,
    }
}

/// A transaction at `height` moving `units` from `from` to `to`; `from` pays 1 ETH priority fee
/// and burns 1 ETH.
fn tx(n: u32, height: u64, from: u8, to: u8, units: &str) -> AccountTx {
    AccountTx {
        hash: hash(n),
        block: BlockRef {
            height,
            timestamp: 1_650_000_000 + height * 12,
        },
        transfers: vec![
            transfer(Some(from), Some(to), units, TransferKind::Native),
            transfer(Some(from), Some(VALIDATOR), "1", TransferKind::Fee),
            transfer(Some(from), None, "1", TransferKind::Burn),
        ],
    }
}

/// Genesis mints 1,000 ETH to the victim; tx 1: victim → holder 100; tx 2: holder → holder
/// `self_paid`; tx 3: holder → exchange 70.
fn world(dir: &std::path::Path, self_paid: &str) -> Store {
    let store = Store::init(dir).expect("store");
    let mut writer = store.writer(ETH).expect("writer");
    let genesis = AccountTx {
        hash: hash(100),
        block: BlockRef {
            height: 0,
            timestamp: 1_650_000_000,
        },
        transfers: vec![transfer(None, Some(VICTIM), "1000", TransferKind::Mint)],
    };
    for t in [
        genesis,
        tx(1, 1, VICTIM, HOLDER, "100"),
        tx(2, 2, HOLDER, HOLDER, self_paid),
        tx(3, 3, HOLDER, EXCHANGE, "70"),
    ] {
        writer.append_account_tx(&t).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
    store
}

fn run(store: &Store, seed_tx: u32, policy: Policy) -> TraceReport {
    let readers: BTreeMap<Chain, ChainReader> = [(ETH, store.reader(ETH).expect("reader"))].into();
    let mut labels = StaticAttribution::default();
    labels.insert(
        ETH,
        addr(EXCHANGE),
        Entity::with_role("Exchange One", Category::Exchange),
    );
    let request = TraceRequest {
        seeds: vec![
            format!("anvil:{}", hash(seed_tx).to_hex_prefixed())
                .parse()
                .expect("seed"),
        ],
        policy,
        max_hops: 10,
        ..TraceRequest::default()
    };
    trace(&readers, &labels, &Prices::bundled(), &request).expect("trace")
}

/// Base units ending as `kind`, summed.
fn ended(report: &TraceReport, kind: EndpointKind) -> u128 {
    report
        .endpoints
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.value.amount.parse::<u128>().expect("amount"))
        .sum()
}

fn total(report: &TraceReport) -> u128 {
    report
        .endpoints
        .iter()
        .map(|e| e.value.amount.parse::<u128>().expect("amount"))
        .sum()
}

#[test]
fn a_seeded_self_payment_taints_what_the_account_holds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = world(dir.path(), "40");

    // FIFO: the holder's 100 clean give 40 that come back tainted, at the back: [60][40 T].
    // Its own gas takes 2 clean ([58][40 T]); tx 3's 70 takes the 58 and 12 tainted, its gas
    // 2 tainted more, and 26 tainted stay.
    let fifo = run(&store, 2, Policy::Fifo);
    assert_eq!(fifo.seeded[0].amount, eth("40").to_string());
    assert_eq!(ended(&fifo, EndpointKind::Service), eth("12"));
    assert_eq!(ended(&fifo, EndpointKind::Fee), eth("1"));
    assert_eq!(ended(&fifo, EndpointKind::Burnt), eth("1"));
    assert_eq!(ended(&fifo, EndpointKind::Unspent), eth("26"));
    assert_eq!(total(&fifo), eth("40"));
    let service = fifo
        .endpoints
        .iter()
        .find(|e| e.kind == EndpointKind::Service)
        .expect("the exchange is reached");
    assert_eq!(service.entity.as_deref(), Some("Exchange One"));
    assert_eq!(service.hops, 1);
    assert_eq!(service.tx, hash(3).to_hex_prefixed());

    // Haircut: 40 of 100 tainted. tx 2's gas takes 0.4 + 0.4 (39.2 of 98 left); tx 3's 70
    // carries 28, its gas 0.4 + 0.4; 10.4 of the 26 left stay.
    let haircut = run(&store, 2, Policy::Haircut);
    assert_eq!(ended(&haircut, EndpointKind::Service), eth("28"));
    assert_eq!(ended(&haircut, EndpointKind::Fee), eth("0.8"));
    assert_eq!(ended(&haircut, EndpointKind::Burnt), eth("0.8"));
    assert_eq!(ended(&haircut, EndpointKind::Unspent), eth("10.4"));
    assert_eq!(total(&haircut), eth("40"));
}

#[test]
fn an_account_holding_taint_keeps_it_when_it_pays_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = world(dir.path(), "30");

    // The victim's 100 are all tainted at the holder. Paying itself 30 changes nothing; the
    // holder's gas (tx 2 and tx 3: 4) and the 70 to the exchange are tainted, 26 stay.
    for policy in [Policy::Fifo, Policy::Haircut, Policy::Lifo] {
        let report = run(&store, 1, policy);
        assert_eq!(ended(&report, EndpointKind::Service), eth("70"), "{policy}");
        assert_eq!(ended(&report, EndpointKind::Fee), eth("2"), "{policy}");
        assert_eq!(ended(&report, EndpointKind::Burnt), eth("2"), "{policy}");
        assert_eq!(ended(&report, EndpointKind::Unspent), eth("26"), "{policy}");
        assert_eq!(total(&report), eth("100"), "{policy}");
    }
}

/// The synthetic world where the bug was seen: its transactions 3, 11 and 39 pay their sender.
#[test]
fn synthetic_self_payments_seed_value_that_ends_somewhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(dir.path()).expect("store");
    let txs: Vec<AccountTx> = chaintrail_ingest::synthetic::account_txs(42, 300).collect();
    let mut writer = store.writer(ETH).expect("writer");
    for t in &txs {
        writer.append_account_tx(t).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
    let readers: BTreeMap<Chain, ChainReader> = [(ETH, store.reader(ETH).expect("reader"))].into();

    for n in [3, 11, 39] {
        let moved = &txs[n].transfers[0];
        assert_eq!(moved.from, moved.to, "tx {n} pays its sender");
        let request = TraceRequest {
            seeds: vec![
                format!("anvil:{}", txs[n].hash.to_hex_prefixed())
                    .parse()
                    .expect("seed"),
            ],
            policy: Policy::Fifo,
            max_hops: 10,
            ..TraceRequest::default()
        };
        let report = trace(
            &readers,
            &StaticAttribution::default(),
            &Prices::bundled(),
            &request,
        )
        .expect("trace");
        let seeded = moved.amount.to_u128().expect("fits");
        assert_eq!(report.seeded[0].amount, seeded.to_string(), "tx {n}");
        assert!(!report.endpoints.is_empty(), "tx {n}: no endpoints");
        // Everything seeded ends somewhere, to the base unit.
        assert_eq!(total(&report), seeded, "tx {n}: {:?}", report.endpoints);
    }
}
