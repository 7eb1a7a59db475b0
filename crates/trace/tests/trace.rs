//! The tracer on small worlds whose every number is worked out by hand.

use std::collections::BTreeMap;

use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, Asset, AssetKind, BitcoinAddress, BitcoinNetwork,
    BlockRef, Chain, OutPoint, TransferKind, TxHash, UtxoInput, UtxoOutput, UtxoTx,
};
use chaintrail_labels::Category;
use chaintrail_store::{ChainReader, Store};
use chaintrail_trace::{
    EndpointKind, Entity, Link, LinkSet, Policy, Prices, Seed, SeedSpec, StaticAttribution,
    TraceReport, TraceRequest, trace, trace_with,
};

const ETH: Chain = Chain::Evm(31337);
const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);

fn addr(n: u8) -> Address {
    Address::Evm([n; 20])
}

const VICTIM: u8 = 1;
const THIEF: u8 = 2;
const USER: u8 = 3;
const MULE: u8 = 4;
const POOL: u8 = 5;
const DEPOSIT: u8 = 6;
const EXCHANGE2: u8 = 7;
const VALIDATOR: u8 = 9;
const USDC: u8 = 200;

fn eth(units: &str) -> Amount {
    Amount::from_units(units, 18).unwrap()
}

fn hash(n: u32) -> TxHash {
    let mut raw = [0u8; 32];
    raw[28..].copy_from_slice(&n.to_be_bytes());
    TxHash(raw)
}

fn native(from: u8, to: u8, amount: Amount) -> AccountTransfer {
    AccountTransfer {
        from: Some(addr(from)),
        to: Some(addr(to)),
        asset: AssetKind::Native,
        amount,
        kind: TransferKind::Native,
        success: true,
    }
}

fn gas(from: u8) -> [AccountTransfer; 2] {
    [
        AccountTransfer {
            kind: TransferKind::Fee,
            ..native(from, VALIDATOR, eth("1"))
        },
        AccountTransfer {
            to: None,
            kind: TransferKind::Burn,
            ..native(from, 0, eth("1"))
        },
    ]
}

fn tx(n: u32, height: u64, mut transfers: Vec<AccountTransfer>, payer: u8) -> AccountTx {
    transfers.extend(gas(payer));
    AccountTx {
        hash: hash(n),
        block: BlockRef {
            height,
            timestamp: 1_650_000_000 + height * 12,
        },
        transfers,
    }
}

/// V → T 100; U → T 50; T → M 60; T → D(exchange) 80; M swaps 30 ETH for 45,000 USDC on P and
/// sends the USDC to exchange 2. Every tx pays 1 ETH priority fee and burns 1 ETH.
fn account_world(dir: &std::path::Path) -> Store {
    let store = Store::init(dir).unwrap();
    let mut writer = store.writer(ETH).unwrap();
    writer
        .register_asset(&Asset::token(ETH, addr(USDC), "USDC", 6))
        .unwrap();
    let usdc = |from: u8, to: u8, units: &str| AccountTransfer {
        asset: AssetKind::Token(addr(USDC)),
        kind: TransferKind::Token,
        amount: Amount::from_units(units, 6).unwrap(),
        ..native(from, to, Amount::ZERO)
    };
    let txs = [
        AccountTx {
            hash: hash(100),
            block: BlockRef {
                height: 0,
                timestamp: 1_650_000_000,
            },
            transfers: vec![
                AccountTransfer {
                    from: None,
                    kind: TransferKind::Mint,
                    ..native(0, VICTIM, eth("1000"))
                },
                AccountTransfer {
                    from: None,
                    kind: TransferKind::Mint,
                    ..native(0, USER, eth("1000"))
                },
                AccountTransfer {
                    asset: AssetKind::Token(addr(USDC)),
                    from: None,
                    kind: TransferKind::Mint,
                    amount: Amount::from_units("1000000", 6).unwrap(),
                    ..native(0, POOL, Amount::ZERO)
                },
            ],
        },
        tx(1, 1, vec![native(VICTIM, THIEF, eth("100"))], VICTIM),
        tx(2, 2, vec![native(USER, THIEF, eth("50"))], USER),
        tx(3, 3, vec![native(THIEF, MULE, eth("60"))], THIEF),
        tx(4, 4, vec![native(THIEF, DEPOSIT, eth("80"))], THIEF),
        tx(
            5,
            5,
            vec![native(MULE, POOL, eth("30")), usdc(POOL, MULE, "45000")],
            MULE,
        ),
        tx(6, 6, vec![usdc(MULE, EXCHANGE2, "45000")], MULE),
    ];
    for t in &txs {
        writer.append_account_tx(t).unwrap();
    }
    writer.finish("test", serde_json::json!(null)).unwrap();
    store
}

fn labels() -> StaticAttribution {
    let mut labels = StaticAttribution::default();
    labels.insert(
        ETH,
        addr(DEPOSIT),
        Entity::with_role("Exchange One", Category::Exchange),
    );
    labels.insert(
        ETH,
        addr(EXCHANGE2),
        Entity::with_role("Exchange Two", Category::Exchange),
    );
    labels.insert(
        ETH,
        addr(POOL),
        Entity::with_role("Pool USDC/ETH", Category::Dex),
    );
    labels
}

fn run(
    store: &Store,
    chain: Chain,
    seed: &str,
    policy: Policy,
    max_hops: u32,
    attribution: &StaticAttribution,
) -> TraceReport {
    let readers: BTreeMap<Chain, ChainReader> = [(chain, store.reader(chain).unwrap())].into();
    let request = TraceRequest {
        seeds: vec![seed.parse().unwrap()],
        policy,
        max_hops,
        ..TraceRequest::default()
    };
    trace(&readers, attribution, &Prices::bundled(), &request).unwrap()
}

/// Sum of endpoint amounts (in whole units) for a kind and asset, optionally one entity.
fn units(report: &TraceReport, kind: EndpointKind, asset: &str, entity: Option<&str>) -> String {
    let total: u128 = report
        .endpoints
        .iter()
        .filter(|e| e.kind == kind && e.value.asset == asset)
        .filter(|e| entity.is_none_or(|name| e.entity.as_deref() == Some(name)))
        .map(|e| e.value.amount.parse::<u128>().unwrap())
        .sum();
    let decimals = match asset {
        "USDC" => 6,
        "BTC" => 8,
        _ => 18,
    };
    Amount::from_u128(total).format_units(decimals)
}

fn seed_tx1() -> String {
    format!("anvil:{}", hash(1).to_hex_prefixed())
}

#[test]
fn fifo_follows_the_oldest_coins_through_a_swap_to_the_exchanges() {
    let dir = tempfile::tempdir().unwrap();
    let store = account_world(dir.path());
    let report = run(&store, ETH, &seed_tx1(), Policy::Fifo, 10, &labels());
    assert_eq!(report.seeded[0].units, "100");
    // T holds [100 tainted][50 clean]: tx3 takes 60 + 1 fee + 1 burn tainted; tx4 takes the
    // remaining 38 tainted and 42 clean.
    assert_eq!(
        units(&report, EndpointKind::Service, "ETH", Some("Exchange One")),
        "38"
    );
    // Tainted gas: tx3 (T), tx5 and tx6 (M) each pay 1 priority fee and burn 1.
    assert_eq!(units(&report, EndpointKind::Fee, "ETH", None), "3");
    assert_eq!(units(&report, EndpointKind::Burnt, "ETH", None), "3");
    // M swapped 30 tainted ETH for 45,000 USDC (all tainted) and sent it to exchange two.
    assert_eq!(
        units(&report, EndpointKind::Service, "USDC", Some("Exchange Two")),
        "45000"
    );
    // M keeps 60 − 30 − 2×(1+1) gas = 26 tainted ETH.
    assert_eq!(units(&report, EndpointKind::Unspent, "ETH", None), "26");
    let usdc = report
        .endpoints
        .iter()
        .find(|e| e.value.asset == "USDC")
        .unwrap();
    let rules: Vec<&str> = usdc.path.iter().map(|s| s.rule.as_str()).collect();
    assert_eq!(
        rules,
        [
            "seed",
            "fifo",
            "fifo",
            "dex-swap (same tx, confidence 1)",
            "fifo"
        ]
    );
    assert_eq!(
        usdc.path.last().unwrap().to.as_deref(),
        Some(addr(EXCHANGE2).to_string().as_str())
    );
    assert_eq!(usdc.confidence, 1.0);
    assert_eq!(usdc.hops, 3);
    // 38 ETH at ~ $3,400 (2022-04-15 close) is priced.
    assert!(report.endpoints[0].value.usd.unwrap() > 10_000.0);
}

#[test]
fn lifo_and_haircut_give_their_own_exact_answers() {
    let dir = tempfile::tempdir().unwrap();
    let store = account_world(dir.path());
    // LIFO: tx3 spends the 50 clean first, then 10 + 2 gas tainted; tx4 takes 80 of the 88 left.
    let report = run(&store, ETH, &seed_tx1(), Policy::Lifo, 10, &labels());
    assert_eq!(
        units(&report, EndpointKind::Service, "ETH", Some("Exchange One")),
        "80"
    );
    // M: [50 clean][10 tainted]; the swap's 30 takes 10 tainted first: 15,000 USDC tainted.
    assert_eq!(
        units(&report, EndpointKind::Service, "USDC", Some("Exchange Two")),
        "15000"
    );

    // Haircut: T holds 100/150 tainted; tx3's 60 carries 40, its gas 2 × 2/3.
    let report = run(&store, ETH, &seed_tx1(), Policy::Haircut, 10, &labels());
    let seeded: u128 = eth("100").to_u128().unwrap();
    let ended: u128 = report
        .endpoints
        .iter()
        .filter(|e| e.value.asset == "ETH")
        .map(|e| e.value.amount.parse::<u128>().unwrap())
        .sum();
    let swapped: u128 = {
        // 30 ETH of M's 60 went into the pool; M's tainted fraction is 40/60.
        eth("20").to_u128().unwrap()
    };
    assert_eq!(
        ended + swapped,
        seeded,
        "haircut conserves the seeded value"
    );
    assert_eq!(
        units(&report, EndpointKind::Service, "USDC", Some("Exchange Two")),
        "30000"
    );
}

#[test]
fn limits_and_stops_are_reported_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let store = account_world(dir.path());
    let report = run(&store, ETH, &seed_tx1(), Policy::Fifo, 1, &labels());
    // The exchange is reached on hop 1 and stops there; M's 60 would need a second hop.
    assert_eq!(
        units(&report, EndpointKind::Service, "ETH", Some("Exchange One")),
        "38"
    );
    assert_eq!(units(&report, EndpointKind::HopLimit, "ETH", None), "60");

    // Without labels, nothing stops the funds: they sit at the deposit address and at M.
    let report = run(
        &store,
        ETH,
        &seed_tx1(),
        Policy::Fifo,
        10,
        &StaticAttribution::default(),
    );
    assert_eq!(units(&report, EndpointKind::Service, "ETH", None), "0");
    assert_eq!(units(&report, EndpointKind::Unspent, "ETH", None), "94");

    // Seeding the thief's address taints what it received: 150 ETH under poison spreads to all.
    let report = run(
        &store,
        ETH,
        &format!("anvil:{}", addr(THIEF)),
        Policy::Poison,
        10,
        &labels(),
    );
    assert_eq!(report.seeded[0].units, "150");
    assert_eq!(
        units(&report, EndpointKind::Service, "ETH", Some("Exchange One")),
        "80"
    );
}

#[test]
fn bad_seeds_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = account_world(dir.path());
    let readers: BTreeMap<Chain, ChainReader> = [(ETH, store.reader(ETH).unwrap())].into();
    let attempt = |seed: Seed| {
        let request = TraceRequest {
            seeds: vec![seed],
            ..TraceRequest::default()
        };
        trace(&readers, &labels(), &Prices::bundled(), &request)
            .unwrap_err()
            .to_string()
    };
    let unknown = Seed {
        chain: ETH,
        spec: SeedSpec::Tx(hash(77)),
        amount: None,
        asset: None,
    };
    assert!(attempt(unknown).contains("is not in the store"));
    let too_much = Seed {
        chain: ETH,
        spec: SeedSpec::Address(addr(THIEF)),
        amount: Some(eth("151")),
        asset: None,
    };
    let message = attempt(too_much);
    assert!(message.contains("more than the"), "{message}");
    let other_chain = Seed {
        chain: BTC,
        spec: SeedSpec::Tx(hash(1)),
        amount: None,
        asset: None,
    };
    assert!(attempt(other_chain).contains("no data for chain bitcoin-regtest"));
}

fn btc(n: u8) -> Address {
    Address::Bitcoin {
        network: BitcoinNetwork::Regtest,
        kind: BitcoinAddress::P2wpkh([n; 20]),
    }
}

/// A Bitcoin block at `height`, ten minutes apart.
fn block(height: u64) -> BlockRef {
    BlockRef {
        height,
        timestamp: 1_650_000_000 + height * 600,
    }
}

/// `value` sat to `btc(n)`.
fn out(value: u64, n: u8) -> UtxoOutput {
    UtxoOutput {
        value,
        address: btc(n),
        data: None,
    }
}

#[test]
fn utxo_policies_follow_outputs_and_fees() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut writer = store.writer(BTC).unwrap();
    let spend = |tx: u32, vout| UtxoInput {
        prevout: Some(OutPoint { tx: hash(tx), vout }),
        value: None,
        address: None,
    };
    let coinbase = |n: u32, to: u8| UtxoTx {
        fingerprint: None,
        hash: hash(n),
        block: block(u64::from(n)),
        inputs: vec![UtxoInput {
            prevout: None,
            value: None,
            address: None,
        }],
        outputs: vec![out(1_000, to)],
    };
    let txs = [
        coinbase(1, 1), // stolen: 1,000 sat to the thief (1)
        coinbase(2, 1), // clean 1,000 to the thief
        UtxoTx {
            fingerprint: None,
            hash: hash(3),
            block: block(3),
            inputs: vec![spend(2, 0), spend(1, 0)],
            // 1,200 to the exchange (8), 700 change (1), fee 100.
            outputs: vec![out(1_200, 8), out(700, 1)],
        },
        UtxoTx {
            fingerprint: None,
            hash: hash(4),
            block: block(4),
            inputs: vec![spend(3, 1)],
            outputs: vec![out(650, 5)],
        },
    ];
    for t in &txs {
        writer.append_utxo_tx(t).unwrap();
    }
    writer.finish("t", serde_json::json!(null)).unwrap();
    let mut labels = StaticAttribution::default();
    labels.insert(
        BTC,
        btc(8),
        Entity::with_role("BTC Exchange", Category::Exchange),
    );
    let seed = format!("bitcoin-regtest:{}:0", hash(1).to_hex());
    // FIFO: inputs [1,000 clean][1,000 tainted]; the exchange output takes 1,000 clean + 200
    // tainted; the change takes 700 tainted; the fee 100 tainted.
    let report = run(&store, BTC, &seed, Policy::Fifo, 10, &labels);
    assert_eq!(
        units(&report, EndpointKind::Service, "BTC", None),
        "0.000002"
    );
    assert_eq!(units(&report, EndpointKind::Fee, "BTC", None), "0.0000015");
    assert_eq!(
        units(&report, EndpointKind::Unspent, "BTC", None),
        "0.0000065"
    );
    // Haircut: half of everything: 600 to the exchange, 50 + 25 in fees, 325 unspent.
    let report = run(&store, BTC, &seed, Policy::Haircut, 10, &labels);
    assert_eq!(
        units(&report, EndpointKind::Service, "BTC", None),
        "0.000006"
    );
    assert_eq!(units(&report, EndpointKind::Fee, "BTC", None), "0.00000075");
    assert_eq!(
        units(&report, EndpointKind::Unspent, "BTC", None),
        "0.00000325"
    );
    // TIHO pours the tainted 1,000 into the largest output first.
    let report = run(&store, BTC, &seed, Policy::Tiho, 10, &labels);
    assert_eq!(
        units(&report, EndpointKind::Service, "BTC", None),
        "0.00001"
    );
}

/// A CoinJoin of five equal 1,000-sat inputs, the first stolen, into five equal 980-sat outputs
/// (fee 100): no link and no special case, each policy does inside the transaction what it
/// does everywhere.
#[test]
fn an_equal_output_coinjoin_passes_taint_by_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut writer = store.writer(BTC).unwrap();
    let mut txs: Vec<UtxoTx> = (1..=5u8)
        .map(|n| UtxoTx {
            fingerprint: None,
            hash: hash(u32::from(n)),
            block: block(u64::from(n)),
            inputs: vec![UtxoInput {
                prevout: None,
                value: None,
                address: None,
            }],
            outputs: vec![out(1_000, n)],
        })
        .collect();
    txs.push(UtxoTx {
        fingerprint: None,
        hash: hash(6),
        block: block(6),
        inputs: (1..=5u32)
            .map(|n| UtxoInput {
                prevout: Some(OutPoint {
                    tx: hash(n),
                    vout: 0,
                }),
                value: None,
                address: None,
            })
            .collect(),
        outputs: (11..=15u8).map(|n| out(980, n)).collect(),
    });
    for t in &txs {
        writer.append_utxo_tx(t).unwrap();
    }
    writer.finish("t", serde_json::json!(null)).unwrap();
    let seed = format!("bitcoin-regtest:{}:0", hash(1).to_hex());
    let labels = StaticAttribution::default();
    let unspent_at = |report: &TraceReport| -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = report
            .endpoints
            .iter()
            .filter(|e| e.kind == EndpointKind::Unspent)
            .map(|e| {
                (
                    e.address.clone().unwrap_or_default(),
                    e.value.amount.clone(),
                )
            })
            .collect();
        found.sort();
        found
    };
    // FIFO: the stolen 1,000 come first, so the first output takes 980 and the second 20.
    let fifo = run(&store, BTC, &seed, Policy::Fifo, 10, &labels);
    let mut expected = vec![
        (btc(11).to_string(), "980".to_string()),
        (btc(12).to_string(), "20".to_string()),
    ];
    expected.sort();
    assert_eq!(unspent_at(&fifo), expected);
    assert_eq!(units(&fifo, EndpointKind::Fee, "BTC", None), "0");
    // Haircut: a fifth of everything: 196 in each output, 20 of the fee.
    let haircut = run(&store, BTC, &seed, Policy::Haircut, 10, &labels);
    let mut expected: Vec<(String, String)> = (11..=15u8)
        .map(|n| (btc(n).to_string(), "196".to_string()))
        .collect();
    expected.sort();
    assert_eq!(unspent_at(&haircut), expected);
    assert_eq!(units(&haircut, EndpointKind::Fee, "BTC", None), "0.0000002");
    // Poison: every output is tainted whole.
    let poison = run(&store, BTC, &seed, Policy::Poison, 10, &labels);
    assert_eq!(
        units(&poison, EndpointKind::Unspent, "BTC", None),
        "0.000049"
    );
}

#[test]
fn known_links_carry_taint_across_a_bridge_to_bitcoin() {
    let dir = tempfile::tempdir().unwrap();
    let store = account_world(dir.path());
    // M sends 20 ETH to a bridge in tx 7; the bridge pays 0.5 BTC to a BTC address in tx 50,
    // which forwards it to an exchange in tx 51.
    let mut writer = store.writer(ETH).unwrap();
    writer
        .append_account_tx(&tx(7, 7, vec![native(MULE, 8, eth("20"))], MULE))
        .unwrap();
    writer.finish("test", serde_json::json!(null)).unwrap();
    let mut btc_writer = store.writer(BTC).unwrap();
    let block = |height: u64| BlockRef {
        height,
        timestamp: 1_650_000_000 + 600 * height,
    };
    let coinbase = UtxoTx {
        fingerprint: None,
        hash: hash(49),
        block: block(1),
        inputs: vec![UtxoInput {
            prevout: None,
            value: None,
            address: None,
        }],
        outputs: vec![UtxoOutput {
            value: 100_000_000,
            address: btc(20),
            data: None,
        }],
    };
    let payout = UtxoTx {
        fingerprint: None,
        hash: hash(50),
        block: block(2),
        inputs: vec![UtxoInput {
            prevout: Some(OutPoint {
                tx: hash(49),
                vout: 0,
            }),
            value: None,
            address: None,
        }],
        outputs: vec![
            UtxoOutput {
                value: 50_000_000,
                address: btc(21),
                data: None,
            },
            UtxoOutput {
                value: 49_990_000,
                address: btc(20),
                data: None,
            },
        ],
    };
    let forward = UtxoTx {
        fingerprint: None,
        hash: hash(51),
        block: block(3),
        inputs: vec![UtxoInput {
            prevout: Some(OutPoint {
                tx: hash(50),
                vout: 0,
            }),
            value: None,
            address: None,
        }],
        outputs: vec![UtxoOutput {
            value: 49_995_000,
            address: btc(22),
            data: None,
        }],
    };
    for t in [&coinbase, &payout, &forward] {
        btc_writer.append_utxo_tx(t).unwrap();
    }
    btc_writer.finish("test", serde_json::json!(null)).unwrap();

    let mut attribution = labels();
    attribution.insert(ETH, addr(8), Entity::with_role("Bridge", Category::Bridge));
    attribution.insert(BTC, btc(20), Entity::with_role("Bridge", Category::Bridge));
    attribution.insert(
        BTC,
        btc(22),
        Entity::with_role("BTC Exchange", Category::Exchange),
    );
    let links = LinkSet::new(
        vec![Link {
            kind: "bridge".into(),
            via: "Bridge".into(),
            decoder: "thorchain".into(),
            from_chain: ETH,
            from_tx: hash(7),
            to_chain: BTC,
            to_tx: hash(50),
            to_address: Some(btc(21).to_string()),
            confidence: 1.0,
            evidence: "memo OUT:test".into(),
            share: 1.0,
        }],
        Vec::new(),
    );
    let readers: BTreeMap<Chain, ChainReader> = [
        (ETH, store.reader(ETH).unwrap()),
        (BTC, store.reader(BTC).unwrap()),
    ]
    .into();
    let request = TraceRequest {
        seeds: vec![seed_tx1().parse().unwrap()],
        policy: Policy::Fifo,
        ..TraceRequest::default()
    };
    let prices = Prices::bundled();
    let without = trace(&readers, &attribution, &prices, &request).unwrap();
    assert_eq!(
        units(&without, EndpointKind::Entered, "ETH", Some("Bridge")),
        "20"
    );
    let with = trace_with(&readers, &attribution, &prices, &[&links], &request).unwrap();
    assert_eq!(units(&with, EndpointKind::Entered, "ETH", None), "0");
    // All 20 ETH were tainted (FIFO at M: 26 tainted left before tx 7), so the whole payout is;
    // the forward pays 5,000 sat fee and reaches the exchange with 49,995,000.
    assert_eq!(
        units(&with, EndpointKind::Service, "BTC", Some("BTC Exchange")),
        "0.49995"
    );
    assert_eq!(units(&with, EndpointKind::Fee, "BTC", None), "0.00005");
    let endpoint = with
        .endpoints
        .iter()
        .find(|e| e.entity.as_deref() == Some("BTC Exchange"))
        .unwrap();
    assert!(
        endpoint
            .path
            .iter()
            .any(|s| s.rule.contains("bridge Bridge (memo OUT:test"))
    );
    assert_eq!(endpoint.path.last().unwrap().chain, BTC);
    // A link that draws a quarter of its inbound (a bulk mixer note shared among withdrawals)
    // carries a quarter (12,500,000 of the 50,000,000 sat payout; FIFO spends it first in the
    // forward, whose fee takes clean value); the rest stays in the converter.
    let mut quarter = links.links().to_vec();
    quarter[0].share = 0.25;
    let quarter = LinkSet::new(quarter, Vec::new());
    let drawn = trace_with(&readers, &attribution, &prices, &[&quarter], &request).unwrap();
    assert_eq!(units(&drawn, EndpointKind::Entered, "ETH", None), "15");
    assert_eq!(
        units(&drawn, EndpointKind::Service, "BTC", Some("BTC Exchange")),
        "0.125"
    );
    // Two halves landing in the same payout add up to the whole.
    let mut halves = links.links().to_vec();
    halves[0].share = 0.5;
    halves.push(halves[0].clone());
    halves[1].evidence = "memo OUT:test (second half)".into();
    let halves = LinkSet::new(halves, Vec::new());
    let both = trace_with(&readers, &attribution, &prices, &[&halves], &request).unwrap();
    assert_eq!(units(&both, EndpointKind::Entered, "ETH", None), "0");
    assert_eq!(
        units(&both, EndpointKind::Service, "BTC", Some("BTC Exchange")),
        "0.49995"
    );
    // Before the payout is in the store, the inbound is pending: the value is at the bridge,
    // with what it asked for, not merely "entered".
    let pending = LinkSet::new(
        Vec::new(),
        vec![chaintrail_trace::Pending {
            kind: "bridge".into(),
            via: "Bridge".into(),
            decoder: "thorchain".into(),
            chain: ETH,
            tx: hash(7),
            time: 0,
            remaining: 1.0,
            evidence: "inbound memo =:b:bcrt1test; no OUT: payout in the store".into(),
        }],
    );
    let waiting = trace_with(&readers, &attribution, &prices, &[&pending], &request).unwrap();
    assert_eq!(
        units(&waiting, EndpointKind::BridgePending, "ETH", Some("Bridge")),
        "20"
    );
    assert_eq!(units(&waiting, EndpointKind::Entered, "ETH", None), "0");
    let at_bridge = waiting
        .endpoints
        .iter()
        .find(|e| e.kind == EndpointKind::BridgePending)
        .unwrap();
    assert_eq!(at_bridge.tx, hash(7).to_hex_prefixed());
    assert_eq!(
        at_bridge.evidence.as_deref(),
        Some("bridge Bridge: inbound memo =:b:bcrt1test; no OUT: payout in the store")
    );
}

fn run_backward(store: &Store, chain: Chain, seed: &str, policy: Policy) -> TraceReport {
    let readers: BTreeMap<Chain, ChainReader> = [(chain, store.reader(chain).unwrap())].into();
    let request = TraceRequest {
        seeds: vec![seed.parse().unwrap()],
        policy,
        backward: true,
        ..TraceRequest::default()
    };
    trace(&readers, &labels(), &Prices::bundled(), &request).unwrap()
}

#[test]
fn backward_traces_explain_where_a_deposit_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let store = account_world(dir.path());
    let deposit = format!("anvil:{}", hash(4).to_hex_prefixed());
    // FIFO: T's 80 ETH to the exchange are the 38 left of the victim's 100 (after tx3's 60 and
    // its gas) and 42 of the user's 50; both were minted at genesis.
    let report = run_backward(&store, ETH, &deposit, Policy::Fifo);
    assert_eq!(report.direction, "backward");
    assert_eq!(units(&report, EndpointKind::Minted, "ETH", None), "80");
    let minted = report
        .endpoints
        .iter()
        .find(|e| e.kind == EndpointKind::Minted)
        .unwrap();
    // The representative path runs from the mint to the deposit, in time order.
    assert_eq!(minted.path.first().unwrap().from, None);
    assert_eq!(minted.path.last().unwrap().rule, "seed");
    assert_eq!(
        minted.path.last().unwrap().to.as_deref(),
        Some(addr(DEPOSIT).to_string().as_str())
    );
    let via_user = minted.path.iter().any(|s| {
        s.from.as_deref() == Some(addr(USER).to_string().as_str()) && s.value.units == "42"
    });
    assert!(via_user, "{:?}", minted.path);
    // Haircut explains the same 80 ETH, split by T's mix at the time.
    let report = run_backward(&store, ETH, &deposit, Policy::Haircut);
    assert_eq!(units(&report, EndpointKind::Minted, "ETH", None), "80");
    // Poison has no provenance.
    let readers: BTreeMap<Chain, ChainReader> = [(ETH, store.reader(ETH).unwrap())].into();
    let request = TraceRequest {
        seeds: vec![deposit.parse().unwrap()],
        policy: Policy::Poison,
        backward: true,
        ..TraceRequest::default()
    };
    let err = trace(&readers, &labels(), &Prices::bundled(), &request).unwrap_err();
    assert!(
        err.to_string().contains("poison has no provenance"),
        "{err}"
    );
}

/// A thief on Ethereum mainnet holds the real USDC (registry contract) and a scam token that
/// calls itself USDT, and sends both to an exchange: the report shows both by symbol in whole
/// units, prices the USDC at $1 and leaves the fake USDT unpriced.
#[test]
fn tokens_are_priced_by_contract_not_by_symbol() {
    let mainnet = Chain::ETHEREUM;
    let usdc = Address::parse(mainnet, "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48").unwrap();
    let fake_usdt = addr(0x66);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let mut writer = store.writer(mainnet).unwrap();
    writer
        .register_asset(&Asset::token(mainnet, usdc.clone(), "USDC", 6))
        .unwrap();
    writer
        .register_asset(&Asset::token(mainnet, fake_usdt.clone(), "USDT", 6))
        .unwrap();
    let token = |contract: &Address, from: u8, to: u8, base_units: u64| AccountTransfer {
        asset: AssetKind::Token(contract.clone()),
        kind: TransferKind::Token,
        amount: Amount::from_u64(base_units),
        ..native(from, to, Amount::ZERO)
    };
    let at = |n: u32, height: u64, transfers| AccountTx {
        hash: hash(n),
        block: BlockRef {
            height,
            timestamp: 1_650_000_000 + height * 12,
        },
        transfers,
    };
    let txs = [
        at(
            1,
            1,
            vec![
                token(&usdc, VICTIM, THIEF, 31_303_137_169_336),
                token(&fake_usdt, VICTIM, THIEF, 5_000_000_000_000),
            ],
        ),
        at(
            2,
            2,
            vec![
                token(&usdc, THIEF, DEPOSIT, 31_303_137_169_336),
                token(&fake_usdt, THIEF, DEPOSIT, 5_000_000_000_000),
            ],
        ),
    ];
    for t in &txs {
        writer.append_account_tx(t).unwrap();
    }
    writer.finish("test", serde_json::json!(null)).unwrap();
    let mut attribution = StaticAttribution::default();
    attribution.insert(
        mainnet,
        addr(DEPOSIT),
        Entity::with_role("Exchange One", Category::Exchange),
    );
    let seed = format!("ethereum:{}", hash(1).to_hex_prefixed());
    let report = run(&store, mainnet, &seed, Policy::Fifo, 10, &attribution);
    let shown: Vec<(String, String, Option<f64>, Option<Address>)> = report
        .endpoints
        .iter()
        .map(|e| {
            (
                format!("{} {}", e.value.units, e.value.asset),
                e.entity.clone().unwrap_or_default(),
                e.value.usd,
                e.value.contract.clone(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "31303137.169336 USDC".to_string(),
                "Exchange One".to_string(),
                Some(31_303_137.169_336),
                Some(usdc)
            ),
            (
                "5000000 USDT".to_string(),
                "Exchange One".to_string(),
                None,
                Some(fake_usdt)
            ),
        ]
    );
    let json = serde_json::to_value(&report.endpoints[1].value).unwrap();
    assert_eq!(json["usd"], serde_json::Value::Null);
}

#[test]
fn a_cancelled_trace_stops_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = account_world(dir.path());
    let readers: BTreeMap<Chain, ChainReader> = [(ETH, store.reader(ETH).unwrap())].into();
    let request = TraceRequest {
        seeds: vec![seed_tx1().parse().unwrap()],
        ..TraceRequest::default()
    };
    request.cancel.cancel();
    let err = trace(&readers, &labels(), &Prices::bundled(), &request).unwrap_err();
    assert!(
        matches!(err, chaintrail_trace::TraceError::Cancelled { events: 0 }),
        "{err}"
    );
    let backward = TraceRequest {
        backward: true,
        ..request
    };
    let err = trace(&readers, &labels(), &Prices::bundled(), &backward).unwrap_err();
    assert!(
        matches!(err, chaintrail_trace::TraceError::Cancelled { events: 0 }),
        "{err}"
    );
}
