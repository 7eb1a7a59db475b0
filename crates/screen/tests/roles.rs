//! Exposure from the role and the flags in force on the day of each transfer, on a hand-built
//! chain with the real Tornado Cash 100 ETH pool tagged `category: mixing_service` and
//! `abuse: sanction` (GraphSense's real pack with the abuse added) and the real OFAC snapshots
//! (listed in 2025-03-04, delisted in 2025-11-19): a deposit while OFAC listed the pool is mixer
//! and sanctioned exposure, a deposit after the delisting is mixer exposure only — whatever the
//! screening date. A deposit before the first snapshot (OFAC's own date for the pool's address
//! is in no OFAC file) counts as sanctioned out of caution, marked `listing_unknown`; the pool
//! itself is then of unknown sanction status, not sanctioned.

use std::path::{Path, PathBuf};

use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, AssetKind, BlockRef, Chain, TransferKind, TxHash,
};
use chaintrail_labels::{Category, Date, LabelStore, SanctionStatus};
use chaintrail_screen::{Direction, Exposure, ExposureType, Query, RiskLevel, Screener, Screening};
use chaintrail_store::Store;

const ETH: Chain = Chain::ETHEREUM;
const POOL: &str = "0xA160cdAB225685dA1d56aa342Ad8841c3b53f291";
/// 2024-06-01 00:00 UTC: before the first snapshot listing the pool — listed or not, unknown.
const UNKNOWN: u64 = 1_717_200_000;
/// 2025-06-01 00:00 UTC: the pool is on the SDN list (the 2025-03-04 snapshot holds it).
const LISTED: u64 = 1_748_736_000;
/// 2025-12-01 00:00 UTC: delisted (not in the 2025-11-19 snapshot).
const DELISTED: u64 = 1_764_547_200;

/// Deposits 100 ETH before the first snapshot listing the pool.
const EARLY: u8 = 0x21;
/// Deposits 100 ETH while the pool is listed.
const LISTED_DEPOSITOR: u8 = 0x24;
/// Deposits 100 ETH after the delisting.
const LATE: u8 = 0x22;
/// Withdraws 100 ETH while the pool is listed.
const WITHDRAWER: u8 = 0x23;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel)
}

fn evm(n: u8) -> Address {
    Address::Evm([n; 20])
}

fn pool() -> Address {
    Address::parse(ETH, POOL).expect("pool address")
}

fn hash(n: u32) -> TxHash {
    let mut raw = [0u8; 32];
    raw[28..].copy_from_slice(&n.to_be_bytes());
    TxHash(raw)
}

fn send(n: u32, time: u64, from: Option<Address>, to: Address) -> AccountTx {
    let kind = if from.is_some() {
        TransferKind::Native
    } else {
        TransferKind::Mint
    };
    AccountTx {
        hash: hash(n),
        block: BlockRef {
            height: u64::from(n),
            timestamp: time + u64::from(n) * 12,
        },
        transfers: vec![AccountTransfer {
            from,
            to: Some(to),
            asset: AssetKind::Native,
            amount: Amount::from_units("100", 18).expect("amount"),
            kind,
            success: true,
        }],
    }
}

fn d(text: &str) -> Date {
    text.parse().expect("date")
}

/// The chain and the labels: the real pack with `abuse: sanction`, both OFAC snapshots.
fn store(dir: &Path) {
    let store = Store::init(dir).expect("init");
    let mut writer = store.writer(ETH).expect("writer");
    let txs = [
        send(1, UNKNOWN, None, evm(EARLY)),
        send(2, UNKNOWN, None, pool()),
        send(3, UNKNOWN, Some(evm(EARLY)), pool()),
        send(4, LISTED, Some(pool()), evm(WITHDRAWER)),
        send(5, LISTED, None, evm(LISTED_DEPOSITOR)),
        send(6, LISTED, Some(evm(LISTED_DEPOSITOR)), pool()),
        send(7, DELISTED, None, evm(LATE)),
        send(8, DELISTED, Some(evm(LATE)), pool()),
    ];
    for tx in &txs {
        writer.append_account_tx(tx).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");

    let pack = std::fs::read_to_string(data("graphsense_tagpacks/packs/tornado_cash.yaml"))
        .expect("tornado pack")
        .replacen(
            "\ncategory: mixing_service\n",
            "\ncategory: mixing_service\nabuse: sanction\n",
            1,
        );
    let file = dir.join("tornado_cash_sanctioned.yaml");
    std::fs::write(&file, pack).expect("write pack");
    let mut labels = LabelStore::open(dir).expect("labels");
    labels.import_tagpacks(&file).expect("pack");
    for snapshot in [
        "sdn_digital_currency_addresses_2025-03-04.csv",
        "sdn_digital_currency_addresses_2025-11-19.csv",
    ] {
        labels
            .import_ofac(&data(&format!("ofac_sdn/{snapshot}")), None)
            .expect(snapshot);
    }
    labels.save().expect("save labels");
}

fn screen(screener: &Screener, who: Address, at: &str) -> Screening {
    screener
        .screen(&Query {
            address: who.to_string(),
            chain: Some(ETH),
            at: Some(d(at)),
            paths: false,
        })
        .expect("screen")
}

/// (category, entity, direction, type, level) of every exposure, in the screening's order.
fn summary(s: &Screening) -> Vec<(Category, &str, Direction, ExposureType, RiskLevel)> {
    s.exposures
        .iter()
        .map(|e: &Exposure| {
            (
                e.category,
                e.entity.as_str(),
                e.direction,
                e.exposure_type,
                e.level,
            )
        })
        .collect()
}

/// `listing_unknown` of every exposure, in the screening's order.
fn unknown_marks(s: &Screening) -> Vec<bool> {
    s.exposures.iter().map(|e| e.listing_unknown).collect()
}

#[test]
fn a_tornado_pool_is_mixer_exposure_and_sanctioned_exposure_only_while_listed() {
    let dir = tempfile::tempdir().expect("tmp");
    store(dir.path());
    let screener = Screener::open(dir.path()).expect("open");
    use Category::{Mixer, Sanctioned};
    use Direction::{Incoming, Outgoing};
    use ExposureType::Direct;

    // A deposit while OFAC listed the pool: sanctioned (Severe, no de-minimis) and mixer
    // (100 ETH ≈ $250k: Medium), the same value under both — also when screened after the
    // delisting, because the flag is dated by the transfer. A deposit before the first snapshot
    // listing the pool: the same, out of caution, with the sanction marked `listing_unknown`.
    for (who, at, unknown) in [
        (LISTED_DEPOSITOR, "2025-06-30", false),
        (LISTED_DEPOSITOR, "2025-12-15", false),
        (EARLY, "2024-06-30", true),
        (EARLY, "2025-12-15", true),
    ] {
        let early = screen(&screener, evm(who), at);
        assert_eq!(
            summary(&early),
            vec![
                (
                    Sanctioned,
                    "tornado.cash",
                    Outgoing,
                    Direct,
                    RiskLevel::Severe
                ),
                (Mixer, "tornado.cash", Outgoing, Direct, RiskLevel::Medium),
            ],
            "{at}"
        );
        assert_eq!(unknown_marks(&early), vec![unknown, false], "{who} {at}");
        assert_eq!(early.exposures[0].usd, early.exposures[1].usd);
        assert!(
            early.exposures[0].usd > 200_000.0,
            "{}",
            early.exposures[0].usd
        );
        assert_eq!(early.risk, RiskLevel::Severe);
        assert_eq!(
            early.risk_reason.as_deref().map(|r| r.split(':').next()),
            Some(Some(
                "Direct outgoing exposure to tornado.cash (sanctioned)"
            ))
        );
    }
    // A withdrawal while listed: the same, as source of funds.
    let withdrawer = screen(&screener, evm(WITHDRAWER), "2025-12-15");
    assert_eq!(
        summary(&withdrawer),
        vec![
            (
                Sanctioned,
                "tornado.cash",
                Incoming,
                Direct,
                RiskLevel::Severe
            ),
            (Mixer, "tornado.cash", Incoming, Direct, RiskLevel::Medium),
        ]
    );
    // A deposit after the delisting: mixer only. The TagPack's undated `abuse: sanction` does
    // not make the delisted pool sanctioned.
    let late = screen(&screener, evm(LATE), "2025-12-15");
    assert_eq!(
        summary(&late),
        vec![(Mixer, "tornado.cash", Outgoing, Direct, RiskLevel::Medium)]
    );
    assert_eq!(late.risk, RiskLevel::Medium);

    // The pool itself: a mixer always (High), sanctioned on OFAC's word while listed (Severe).
    let listed = screen(&screener, pool(), "2025-06-30");
    let own: Vec<(Category, &str, &str)> = listed
        .ownership
        .iter()
        .map(|o| (o.category, o.name.as_str(), o.source.as_str()))
        .collect();
    assert_eq!(
        own,
        vec![
            (Mixer, "tornado.cash", "graphsense"),
            (Sanctioned, "TORNADO CASH", "ofac"),
        ]
    );
    assert!(listed.sanctioned());
    assert_eq!(listed.sanctions, SanctionStatus::Sanctioned);
    assert_eq!(listed.risk, RiskLevel::Severe);
    // Before the first snapshot holding it: a mixer (High), and whether it was sanctioned is
    // unknown — neither in the ownership nor scored, but said.
    let before = screen(&screener, pool(), "2024-06-30");
    let own: Vec<(Category, &str)> = before
        .ownership
        .iter()
        .map(|o| (o.category, o.name.as_str()))
        .collect();
    assert_eq!(own, vec![(Mixer, "tornado.cash")]);
    let unknown: Vec<(Category, &str, Option<Date>)> = before
        .ownership_unknown
        .iter()
        .map(|o| (o.category, o.name.as_str(), o.valid_from))
        .collect();
    assert_eq!(
        unknown,
        vec![(Sanctioned, "TORNADO CASH", Some(d("2025-03-04")))]
    );
    assert!(!before.sanctioned());
    assert_eq!(
        before.sanctions,
        SanctionStatus::Unknown {
            listed_from: d("2025-03-04")
        }
    );
    assert_eq!(before.risk, RiskLevel::High);
    let delisted = screen(&screener, pool(), "2025-12-15");
    let own: Vec<(Category, &str)> = delisted
        .ownership
        .iter()
        .map(|o| (o.category, o.name.as_str()))
        .collect();
    assert_eq!(own, vec![(Mixer, "tornado.cash")]);
    assert!(!delisted.sanctioned());
    assert_eq!(delisted.sanctions, SanctionStatus::NotSanctioned);
    assert_eq!(delisted.risk, RiskLevel::High);
}
