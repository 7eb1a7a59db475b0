//! The rule table on a hand-built chain with the real Tornado Cash 100 ETH pool: GraphSense's
//! `tornado_cash.yaml` with `abuse: sanction` added, the real OFAC snapshots (the pool listed in
//! 2025-03-04, delisted in 2025-11-19) and the pool's designation date, 2022-08-08, from the
//! dated SDN address list (`ultrasoundmoney_eth_2024-08-20.csv`, `labels import-ofac-dates`).
//!
//! - A deposit on 2023-07-09, while the pool was listed, is reported as such with its date, and
//!   stays Severe after the delisting unless the table says historical sanctions do not count.
//! - A sender whose recipient later deposited into the pool is not High: what the recipient did
//!   is the recipient's risk (the previous table made it Severe).
//! - Who received the pool's withdrawal through one intermediary is still Severe (source of
//!   funds).
//! - The exposure index goes stale when the rules change.

use std::path::{Path, PathBuf};

use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, AssetKind, BlockRef, Chain, TransferKind, TxHash,
};
use chaintrail_labels::{Category, Date, LabelStore};
use chaintrail_screen::{
    Direction, ExposureType, Origin, Query, RiskLevel, RuleTable, Screener, Screening,
};
use chaintrail_store::Store;

const ETH: Chain = Chain::ETHEREUM;
const POOL: &str = "0xA160cdAB225685dA1d56aa342Ad8841c3b53f291";
/// 2023-07-01, 2023-07-09, 2023-07-10 00:00 UTC.
const JULY_1: u64 = 1_688_169_600;
const JULY_9: u64 = 1_688_860_800;
const JULY_10: u64 = 1_688_947_200;

/// Pays `PAYEE` 10 ETH on 2023-07-01; never touches the pool.
const SENDER: u8 = 0x31;
/// Deposits 100 ETH into the pool on 2023-07-09.
const PAYEE: u8 = 0x32;
/// Withdraws 100 ETH from the pool on 2023-07-10 and pays `DOWNSTREAM` 50 ETH.
const WITHDRAWER: u8 = 0x33;
const DOWNSTREAM: u8 = 0x34;

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

fn d(text: &str) -> Date {
    text.parse().expect("date")
}

fn tx(n: u32, time: u64, from: Option<Address>, to: Address, eth: &str) -> AccountTx {
    let mut hash = [0u8; 32];
    hash[28..].copy_from_slice(&n.to_be_bytes());
    let kind = if from.is_some() {
        TransferKind::Native
    } else {
        TransferKind::Mint
    };
    AccountTx {
        hash: TxHash(hash),
        block: BlockRef {
            height: u64::from(n),
            timestamp: time + u64::from(n) * 12,
        },
        transfers: vec![AccountTransfer {
            from,
            to: Some(to),
            asset: AssetKind::Native,
            amount: Amount::from_units(eth, 18).expect("amount"),
            kind,
            success: true,
        }],
    }
}

fn store(dir: &Path) {
    let store = Store::init(dir).expect("init");
    let mut writer = store.writer(ETH).expect("writer");
    let txs = [
        tx(1, JULY_1, None, evm(SENDER), "10"),
        tx(2, JULY_1, None, evm(PAYEE), "90"),
        tx(3, JULY_1, Some(evm(SENDER)), evm(PAYEE), "10"),
        tx(4, JULY_9, Some(evm(PAYEE)), pool(), "100"),
        tx(5, JULY_10, Some(pool()), evm(WITHDRAWER), "100"),
        tx(6, JULY_10, Some(evm(WITHDRAWER)), evm(DOWNSTREAM), "50"),
    ];
    for t in &txs {
        writer.append_account_tx(t).expect("append");
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
    labels
        .import_ofac_dates(&data("ofac_sdn/ultrasoundmoney_eth_2024-08-20.csv"))
        .expect("designation dates");
    labels.save().expect("save labels");
}

fn screen(screener: &Screener, who: u8, at: &str) -> Screening {
    screener
        .screen(&Query {
            address: evm(who).to_string(),
            chain: Some(ETH),
            at: Some(d(at)),
            paths: false,
        })
        .expect("screen")
}

/// The exposure to the pool as `category`.
fn to_pool(s: &Screening, category: Category) -> &chaintrail_screen::Exposure {
    s.exposures
        .iter()
        .find(|e| e.category == category && e.entity == "tornado.cash")
        .unwrap_or_else(|| panic!("no {category} exposure to the pool: {s:?}"))
}

#[test]
fn a_deposit_while_listed_is_reported_with_its_date_and_stays_severe_after_the_delisting() {
    let dir = tempfile::tempdir().expect("tmp");
    store(dir.path());
    let screener = Screener::open(dir.path()).expect("open");

    let listed = screen(&screener, PAYEE, "2023-07-31");
    let e = to_pool(&listed, Category::Sanctioned);
    assert_eq!(
        (e.direction, e.exposure_type, e.level, e.rule.as_deref()),
        (
            Direction::Outgoing,
            ExposureType::Direct,
            RiskLevel::Severe,
            Some("prohibited-direct")
        )
    );
    assert_eq!(
        (e.first_day, e.last_day),
        (Some(d("2023-07-09")), Some(d("2023-07-09")))
    );
    assert!(!e.lapsed && !e.listing_unknown && e.alert);
    assert_eq!(listed.risk, RiskLevel::Severe);
    assert_eq!(listed.risk_rule.as_deref(), Some("prohibited-direct"));
    let reason = listed.risk_reason.as_deref().expect("reason");
    assert!(
        reason.starts_with("Direct outgoing exposure to tornado.cash (sanctioned): $")
            && reason.ends_with(
                "; sent to a then-sanctioned party on 2023-07-09 — rule `prohibited-direct`"
            ),
        "{reason}"
    );
    assert_eq!(listed.alerts, vec!["prohibited-direct".to_string()]);

    // After the delisting (the 2025-11-19 snapshot lacks the pool) the deposit was still made
    // while the pool was listed: Severe by default, and the reason says the listing lapsed.
    let later = screen(&screener, PAYEE, "2025-12-15");
    let e = to_pool(&later, Category::Sanctioned);
    assert!(e.lapsed);
    assert_eq!(later.risk, RiskLevel::Severe);
    let reason = later.risk_reason.as_deref().expect("reason");
    assert!(
        reason.ends_with(
            "; sent to a then-sanctioned party on 2023-07-09 (no longer sanctioned on \
             2025-12-15) — rule `prohibited-direct`"
        ),
        "{reason}"
    );

    // A table in which historical sanctions do not count: the deposit is mixer exposure only.
    let current_only = RuleTable::builtin_text().replacen(
        "name = \"prohibited-direct\"\n",
        "name = \"prohibited-direct\"\nhistorical = false\n",
        1,
    );
    let rules = RuleTable::parse(&current_only, Path::new("current-only.toml")).expect("rules");
    let strictly_now = Screener::open(dir.path())
        .expect("open")
        .with_rules(rules)
        .expect("rules");
    let later = screen(&strictly_now, PAYEE, "2025-12-15");
    assert_eq!(to_pool(&later, Category::Sanctioned).level, RiskLevel::Low);
    assert_eq!(
        (later.risk, later.risk_rule.as_deref()),
        (RiskLevel::Medium, Some("elevated-direct"))
    );
    let listed = screen(&strictly_now, PAYEE, "2023-07-31");
    assert_eq!(listed.risk, RiskLevel::Severe);
}

#[test]
fn a_sender_whose_recipient_later_used_the_mixer_is_not_high() {
    let dir = tempfile::tempdir().expect("tmp");
    store(dir.path());
    let screener = Screener::open(dir.path()).expect("open");
    let sender = screen(&screener, SENDER, "2023-07-31");
    let e = to_pool(&sender, Category::Sanctioned);
    assert_eq!(
        (e.direction, e.exposure_type, e.min_hops),
        (Direction::Outgoing, ExposureType::Indirect, 2)
    );
    assert_eq!(
        (e.level, e.rule.as_deref(), e.alert),
        (
            RiskLevel::Medium,
            Some("prohibited-indirect-outgoing-near"),
            false
        )
    );
    assert_eq!(sender.risk, RiskLevel::Medium);
    assert!(sender.alerts.is_empty(), "{:?}", sender.alerts);
    let reason = sender.risk_reason.as_deref().expect("reason");
    assert!(
        reason.starts_with("Indirect outgoing exposure to tornado.cash (sanctioned): $")
            && reason.ends_with(
                " from 2 hops; sent value that reached a then-sanctioned party on 2023-07-09 \
                 — rule `prohibited-indirect-outgoing-near`"
            ),
        "{reason}"
    );
    // The mixer role beyond the first hop is the recipient's business: Low.
    assert_eq!(to_pool(&sender, Category::Mixer).level, RiskLevel::Low);

    // The table that rated both directions alike made the sender Severe.
    let alike = RuleTable::builtin_text()
        .replace("direction = \"incoming\"\n", "")
        .replace("-incoming", "-indirect");
    let alike = RuleTable::parse(&alike, Path::new("alike.toml")).expect("rules");
    let before = Screener::open(dir.path())
        .expect("open")
        .with_rules(alike)
        .expect("rules");
    assert_eq!(
        screen(&before, SENDER, "2023-07-31").risk,
        RiskLevel::Severe
    );
}

#[test]
fn value_from_the_pool_one_intermediary_away_is_still_severe() {
    let dir = tempfile::tempdir().expect("tmp");
    store(dir.path());
    let screener = Screener::open(dir.path()).expect("open");
    let withdrawer = screen(&screener, WITHDRAWER, "2023-07-31");
    assert_eq!(
        withdrawer.risk_reason.as_deref().map(|r| r.ends_with(
            "; received from a then-sanctioned party on 2023-07-10 — rule `prohibited-direct`"
        )),
        Some(true),
        "{:?}",
        withdrawer.risk_reason
    );
    let downstream = screen(&screener, DOWNSTREAM, "2023-07-31");
    let e = to_pool(&downstream, Category::Sanctioned);
    assert_eq!(
        (e.direction, e.min_hops, e.level, e.rule.as_deref()),
        (
            Direction::Incoming,
            2,
            RiskLevel::Severe,
            Some("prohibited-indirect-incoming-near")
        )
    );
    let reason = downstream.risk_reason.as_deref().expect("reason");
    assert!(
        reason.ends_with(
            " from 2 hops; received value that left a then-sanctioned party on 2023-07-10 — rule \
             `prohibited-indirect-incoming-near`"
        ),
        "{reason}"
    );
}

#[test]
fn the_index_goes_stale_when_the_rules_change() {
    let dir = tempfile::tempdir().expect("tmp");
    store(dir.path());
    let mut screener = Screener::open(dir.path()).expect("open");
    screener
        .build_index(Some(d("2023-07-31")), 1, false, &|_, _| {})
        .expect("build");
    let indexed = Screener::open(dir.path()).expect("reopen");
    assert_eq!(screen(&indexed, PAYEE, "2023-07-31").origin, Origin::Index);
    let rules_file = dir.path().join("mine.toml");
    std::fs::write(
        &rules_file,
        RuleTable::builtin_text()
            .replace("min_usd = 100.0\n", "min_usd = 250.0\n")
            .replace("\"prohibited-direct\"", "\"my-prohibited-direct\""),
    )
    .expect("write rules");
    let mut other = Screener::open(dir.path())
        .expect("reopen")
        .with_rules(RuleTable::load(&rules_file).expect("rules"))
        .expect("rules");
    assert!(
        other.index_status().starts_with(&format!(
            "stale: the risk rules ({}) differ from those the index was built with",
            rules_file.display()
        )),
        "{}",
        other.index_status()
    );
    let computed = screen(&other, PAYEE, "2023-07-31");
    assert_eq!(computed.origin, Origin::Computed);
    // The same rules read from a file are the same table: the index answers.
    std::fs::write(&rules_file, RuleTable::builtin_text()).expect("write rules");
    let same = Screener::open(dir.path())
        .expect("reopen")
        .with_rules(RuleTable::load(&rules_file).expect("rules"))
        .expect("rules");
    let builtin = screen(&same, PAYEE, "2023-07-31");
    assert_eq!(builtin.origin, Origin::Index);
    let rule = |s: &Screening| s.exposures.first().and_then(|e| e.rule.clone());
    assert_eq!(rule(&builtin).as_deref(), Some("prohibited-direct"));
    assert_eq!(rule(&computed).as_deref(), Some("my-prohibited-direct"));

    // Stored exposures carry their rating: an update under other rules keeps none of them.
    let report = other
        .build_index(Some(d("2023-07-31")), 1, false, &|_, _| {})
        .expect("rebuild");
    assert_eq!(report.computed, report.addresses);
    let indexed = screen(&other, PAYEE, "2023-07-31");
    assert_eq!(indexed.origin, Origin::Index);
    assert_eq!(indexed.exposures, computed.exposures);
    assert_eq!(indexed.risk, computed.risk);
}
