//! The unsolicited-dust rule (docs/exposure.md) on small hand-built stores: dust from a
//! sanctioned or hack-labelled address that the recipient never answers does not make it risky;
//! answering it, or receiving more than dust, does.

use std::path::Path;

use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, AssetKind, BitcoinAddress, BitcoinNetwork,
    BlockRef, Chain, OutPoint, TransferKind, TxHash, UtxoInput, UtxoOutput, UtxoTx,
};
use chaintrail_labels::{Category, Date, Label, LabelStore, Source};
use chaintrail_screen::{Direction, ExposureType, Query, RiskLevel, Screener, Screening};
use chaintrail_store::Store;

const ETH: Chain = Chain::Evm(31337);
const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);

/// 2022-04-15 (ETH closed at $3,045, BTC at $40,555): the transfers' day.
const T0: u64 = 1_650_000_000;

const HACKER: u8 = 1;
const SANCTIONED: u8 = 2;
/// Receives dust from both and never answers.
const QUIET: u8 = 10;
/// Receives dust from the hacker and sends some back.
const ANSWERS: u8 = 11;
/// Receives 1 ETH / 0.5 BTC from the hacker.
const PAID: u8 = 12;
/// Where `ANSWERS` spends its Bitcoin dust.
const ELSEWHERE: u8 = 13;
const VALIDATOR: u8 = 99;

fn evm(n: u8) -> Address {
    Address::Evm([n; 20])
}

fn btc(n: u8) -> Address {
    Address::Bitcoin {
        network: BitcoinNetwork::Regtest,
        kind: BitcoinAddress::P2wpkh([n; 20]),
    }
}

fn hash(n: u32) -> TxHash {
    let mut raw = [0u8; 32];
    raw[28..].copy_from_slice(&n.to_be_bytes());
    TxHash(raw)
}

fn eth(units: &str) -> Amount {
    Amount::from_units(units, 18).expect("amount")
}

fn native(from: Option<u8>, to: u8, amount: Amount, kind: TransferKind) -> AccountTransfer {
    AccountTransfer {
        from: from.map(evm),
        to: Some(evm(to)),
        asset: AssetKind::Native,
        amount,
        kind,
        success: true,
    }
}

/// A transaction of `from` sending `amount` to `to`, paying 0.0001 ETH of gas.
fn send(n: u32, from: u8, to: u8, amount: &str) -> AccountTx {
    AccountTx {
        hash: hash(n),
        block: BlockRef {
            height: u64::from(n),
            timestamp: T0 + u64::from(n) * 12,
        },
        transfers: vec![
            native(Some(from), to, eth(amount), TransferKind::Native),
            native(Some(from), VALIDATOR, eth("0.0001"), TransferKind::Fee),
        ],
    }
}

fn label(chain: Chain, address: &Address, name: &str, category: Category) -> Label {
    let address = address.to_string();
    Label::new(
        Source::Graphsense,
        "test:dust",
        chain,
        &address,
        name,
        vec![category],
    )
}

fn label_store(dir: &Path) {
    let mut labels = LabelStore::open(dir).expect("labels");
    labels.replace_labels(
        "test:dust",
        vec![
            label(ETH, &evm(HACKER), "Dusting Hacker", Category::Hack),
            label(
                ETH,
                &evm(SANCTIONED),
                "Sanctioned Duster",
                Category::Sanctioned,
            ),
            label(BTC, &btc(HACKER), "Dusting Hacker", Category::Hack),
        ],
    );
    labels.save().expect("save labels");
}

/// H and S hold 100 ETH. H and S dust QUIET (0.001 ETH ≈ $3, and a zero-value transfer);
/// H dusts ANSWERS, which sends 0.0005 ETH back; H pays PAID 1 ETH.
fn account_store(dir: &Path) {
    let store = Store::init(dir).expect("init");
    let mut writer = store.writer(ETH).expect("writer");
    let mint = AccountTx {
        hash: hash(1),
        block: BlockRef {
            height: 1,
            timestamp: T0,
        },
        transfers: vec![
            native(None, HACKER, eth("100"), TransferKind::Mint),
            native(None, SANCTIONED, eth("100"), TransferKind::Mint),
            native(None, ANSWERS, eth("1"), TransferKind::Mint),
        ],
    };
    let txs = [
        mint,
        send(2, HACKER, QUIET, "0.001"),
        send(3, SANCTIONED, QUIET, "0.001"),
        send(4, SANCTIONED, QUIET, "0"),
        send(5, HACKER, ANSWERS, "0.001"),
        send(6, ANSWERS, HACKER, "0.0005"),
        send(7, HACKER, PAID, "1"),
    ];
    for tx in &txs {
        writer.append_account_tx(tx).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
}

/// H mines 50 BTC, then pays 1,000 sat (≈ $0.41) to QUIET, 1,000 sat to ANSWERS and 0.5 BTC to
/// PAID; ANSWERS spends its dust to ELSEWHERE. QUIET never spends.
fn utxo_store(dir: &Path) {
    let store = Store::init(dir).expect("init");
    let mut writer = store.writer(BTC).expect("writer");
    let block = |height: u64| BlockRef {
        height,
        timestamp: T0 + height * 600,
    };
    let out = |value, n| UtxoOutput {
        value,
        address: btc(n),
        data: None,
    };
    let spend = |tx: u32, vout| UtxoInput {
        prevout: Some(OutPoint { tx: hash(tx), vout }),
        value: None,
        address: None,
    };
    let txs = [
        UtxoTx {
            fingerprint: None,
            hash: hash(1),
            block: block(1),
            inputs: vec![UtxoInput {
                prevout: None,
                value: None,
                address: None,
            }],
            outputs: vec![out(5_000_000_000, HACKER)],
        },
        UtxoTx {
            fingerprint: None,
            hash: hash(2),
            block: block(2),
            inputs: vec![spend(1, 0)],
            outputs: vec![
                out(1_000, QUIET),
                out(1_000, ANSWERS),
                out(50_000_000, PAID),
                out(4_949_990_000, HACKER),
            ],
        },
        UtxoTx {
            fingerprint: None,
            hash: hash(3),
            block: block(3),
            inputs: vec![spend(2, 1)],
            outputs: vec![out(900, ELSEWHERE)],
        },
    ];
    for tx in &txs {
        writer.append_utxo_tx(tx).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
}

fn screen(screener: &Screener, chain: Chain, address: &Address) -> Screening {
    screener
        .screen(&Query {
            address: address.to_string(),
            chain: Some(chain),
            at: Some("2026-11-23".parse::<Date>().expect("date")),
            paths: false,
        })
        .expect("screen")
}

fn direct_incoming(s: &Screening, entity: &str) -> bool {
    s.exposures.iter().any(|e| {
        e.entity == entity
            && e.direction == Direction::Incoming
            && e.exposure_type == ExposureType::Direct
    })
}

#[test]
fn unanswered_dust_from_sanctioned_and_hack_addresses_is_not_risk_on_account_chains() {
    let dir = tempfile::tempdir().expect("tempdir");
    account_store(dir.path());
    label_store(dir.path());
    let screener = Screener::open(dir.path()).expect("open");

    let quiet = screen(&screener, ETH, &evm(QUIET));
    assert_eq!(quiet.risk, RiskLevel::Low, "{quiet:?}");
    assert!(quiet.exposures.is_empty(), "{quiet:?}");
    assert_eq!(quiet.volume.incoming_usd, 0.0);
    assert_eq!(quiet.excluded_dust.len(), 3, "{quiet:?}");
    let mut categories: Vec<Category> = quiet
        .excluded_dust
        .iter()
        .flat_map(|d| d.categories.clone())
        .collect();
    categories.sort();
    categories.dedup();
    assert_eq!(categories, vec![Category::Sanctioned, Category::Hack]);
    assert!(
        quiet
            .excluded_dust
            .iter()
            .all(|d| d.usd.is_some_and(|usd| usd < 50.0) && d.reason.contains("unsolicited"))
    );

    // The same dust, answered: the recipient dealt with the hacker. It counts.
    let answers = screen(&screener, ETH, &evm(ANSWERS));
    assert!(answers.excluded_dust.is_empty(), "{answers:?}");
    assert!(direct_incoming(&answers, "Dusting Hacker"), "{answers:?}");
    assert!(answers.risk >= RiskLevel::Medium, "{answers:?}");

    // More than dust from the hacker: exposure, High (direct illicit ≥ $100).
    let paid = screen(&screener, ETH, &evm(PAID));
    assert!(paid.excluded_dust.is_empty());
    assert!(direct_incoming(&paid, "Dusting Hacker"), "{paid:?}");
    assert_eq!(paid.risk, RiskLevel::High, "{paid:?}");
}

#[test]
fn an_unspent_dust_output_is_not_risk_on_bitcoin() {
    let dir = tempfile::tempdir().expect("tempdir");
    utxo_store(dir.path());
    label_store(dir.path());
    let screener = Screener::open(dir.path()).expect("open");

    let quiet = screen(&screener, BTC, &btc(QUIET));
    assert_eq!(quiet.risk, RiskLevel::Low, "{quiet:?}");
    assert!(quiet.exposures.is_empty(), "{quiet:?}");
    assert_eq!(quiet.excluded_dust.len(), 1, "{quiet:?}");
    assert_eq!(quiet.excluded_dust[0].categories, vec![Category::Hack]);
    assert_eq!(quiet.excluded_dust[0].tx, hash(2).to_string());

    // The dust output spent: the recipient used the hacker's coins.
    let answers = screen(&screener, BTC, &btc(ANSWERS));
    assert!(answers.excluded_dust.is_empty(), "{answers:?}");
    assert!(direct_incoming(&answers, "Dusting Hacker"), "{answers:?}");
    assert!(answers.risk >= RiskLevel::Medium, "{answers:?}");

    // 0.5 BTC, never spent: not dust, so it counts.
    let paid = screen(&screener, BTC, &btc(PAID));
    assert!(paid.excluded_dust.is_empty());
    assert!(direct_incoming(&paid, "Dusting Hacker"), "{paid:?}");
    assert_eq!(paid.risk, RiskLevel::High, "{paid:?}");
}
