//! Roles decide a trace, flags do not: a Tornado Cash pool tagged `category: mixing_service`
//! and `abuse: sanction` in a GraphSense TagPack (real packs and OFAC snapshots from
//! ../shared/data) is a mixer whether or not OFAC lists it, so the value stops at it instead of
//! being haircut through its 30,000 ETH into hundreds of innocent withdrawals; a thief's wallet
//! with flags and no role is traced through.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chaintrail_core::{AccountTransfer, AccountTx, Address, Amount, AssetKind, BlockRef, Chain};
use chaintrail_core::{TransferKind, TxHash};
use chaintrail_labels::{Category, LabelStore};
use chaintrail_store::{ChainReader, Store};
use chaintrail_trace::{
    Attribution, EndpointKind, Entity, Policy, Prices, Role, StaticAttribution, TraceReport,
    TraceRequest, trace,
};

const ETH: Chain = Chain::ETHEREUM;
/// Tornado Cash's 100 ETH pool (OFAC SDN 2025-03-04, delisted in the 2025-11-19 snapshot).
const POOL: &str = "0xA160cdAB225685dA1d56aa342Ad8841c3b53f291";
/// The Ronin bridge exploiter: Lazarus Group on the SDN list, a hack in GraphSense's packs.
const THIEF: &str = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
/// 2024-06-01 00:00 UTC, while the pool was listed.
const T0: u64 = 1_717_200_000;
const WITHDRAWALS: u16 = 300;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel)
}

fn address(text: &str) -> Address {
    Address::parse(ETH, text).expect("address")
}

fn victim() -> Address {
    Address::Evm([0x11; 20])
}

fn withdrawer(i: u16) -> Address {
    let mut raw = [0x77; 20];
    raw[18..].copy_from_slice(&i.to_be_bytes());
    Address::Evm(raw)
}

fn eth(units: &str) -> Amount {
    Amount::from_units(units, 18).expect("amount")
}

fn hash(n: u32) -> TxHash {
    let mut raw = [0u8; 32];
    raw[28..].copy_from_slice(&n.to_be_bytes());
    TxHash(raw)
}

fn transfer(from: Option<Address>, to: Address, amount: Amount) -> AccountTransfer {
    let kind = if from.is_some() {
        TransferKind::Native
    } else {
        TransferKind::Mint
    };
    AccountTransfer {
        from,
        to: Some(to),
        asset: AssetKind::Native,
        amount,
        kind,
        success: true,
    }
}

fn tx(n: u32, transfers: Vec<AccountTransfer>) -> AccountTx {
    AccountTx {
        hash: hash(n),
        block: BlockRef {
            height: u64::from(n),
            timestamp: T0 + u64::from(n) * 12,
        },
        transfers,
    }
}

/// The pool holds 29,900 ETH of other users' deposits; the victim loses 100 ETH to the thief
/// (tx 2), who deposits it (tx 3); the pool then pays 300 withdrawals of 100 ETH.
fn world(dir: &Path) -> Store {
    let store = Store::init(dir).expect("init");
    let mut writer = store.writer(ETH).expect("writer");
    let (pool, thief) = (address(POOL), address(THIEF));
    let mut txs = vec![
        tx(
            1,
            vec![
                transfer(None, pool.clone(), eth("29900")),
                transfer(None, victim(), eth("100")),
            ],
        ),
        tx(2, vec![transfer(Some(victim()), thief.clone(), eth("100"))]),
        tx(3, vec![transfer(Some(thief), pool.clone(), eth("100"))]),
    ];
    for i in 0..WITHDRAWALS {
        txs.push(tx(
            4 + u32::from(i),
            vec![transfer(Some(pool.clone()), withdrawer(i), eth("100"))],
        ));
    }
    for t in &txs {
        writer.append_account_tx(t).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
    store
}

/// GraphSense's `tornado_cash.yaml` with `abuse: sanction` in its header (as packs that follow
/// OFAC tag the pools), its Lazarus and Ronin packs, and the given OFAC snapshots.
fn labels(dir: &Path, snapshots: &[&str]) -> LabelStore {
    let pack = std::fs::read_to_string(data("graphsense_tagpacks/packs/tornado_cash.yaml"))
        .expect("tornado pack")
        .replacen(
            "\ncategory: mixing_service\n",
            "\ncategory: mixing_service\nabuse: sanction\n",
            1,
        );
    assert!(pack.contains("abuse: sanction"));
    let file = dir.join("tornado_cash_sanctioned.yaml");
    std::fs::write(&file, pack).expect("write pack");
    let mut store = LabelStore::in_memory();
    store.import_tagpacks(&file).expect("tornado pack");
    for pack in ["lazarus.yaml", "ronin_bridge.yaml"] {
        store
            .import_tagpacks(&data(&format!("graphsense_tagpacks/packs/{pack}")))
            .expect(pack);
    }
    for snapshot in snapshots {
        store
            .import_ofac(&data(&format!("ofac_sdn/{snapshot}")), None)
            .expect(snapshot);
    }
    store
}

fn run(store: &Store, attribution: &dyn Attribution) -> TraceReport {
    let readers: BTreeMap<Chain, ChainReader> = [(ETH, store.reader(ETH).expect("reader"))].into();
    let request = TraceRequest {
        seeds: vec![
            format!("ethereum:{}", hash(2).to_hex_prefixed())
                .parse()
                .expect("seed"),
        ],
        policy: Policy::Haircut,
        max_hops: 10,
        ..TraceRequest::default()
    };
    trace(&readers, attribution, &Prices::bundled(), &request).expect("trace")
}

fn total_units(report: &TraceReport, kind: EndpointKind) -> (usize, String) {
    let matching: Vec<u128> = report
        .endpoints
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.value.amount.parse::<u128>().expect("amount"))
        .collect();
    (
        matching.len(),
        Amount::from_u128(matching.iter().sum()).format_units(18),
    )
}

#[test]
fn a_sanctioned_mixing_service_stops_the_trace_as_a_mixer_listed_or_delisted() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = world(&dir.path().join("store"));
    for (snapshots, flags) in [
        // OFAC lists the pool (its only snapshot): a mixer, flagged sanctioned.
        (
            &["sdn_digital_currency_addresses_2025-03-04.csv"][..],
            vec!["sanctioned".to_string()],
        ),
        // Delisted since 2025-11-19: a mixer, no flag (the TagPack's undated `abuse: sanction`
        // does not outlive OFAC's delisting).
        (
            &[
                "sdn_digital_currency_addresses_2025-03-04.csv",
                "sdn_digital_currency_addresses_2025-11-19.csv",
            ][..],
            vec![],
        ),
    ] {
        let labels = labels(dir.path(), snapshots);
        let pool = labels
            .entity(ETH, &address(POOL))
            .expect("the pool is attributed");
        assert_eq!(pool.category, Some(Category::Mixer));
        assert_eq!(pool.role(), Role::Convert);
        assert_eq!(pool.name, "tornado.cash");
        assert_eq!(pool.confidence, 60);
        // The thief: flags, no role — traced through.
        let thief = labels
            .entity(ETH, &address(THIEF))
            .expect("the thief is attributed");
        assert_eq!(thief.category, None);
        assert_eq!(thief.role(), Role::Continue);
        assert_eq!(thief.flags, vec![Category::Sanctioned, Category::Hack]);

        let report = run(&store, &labels);
        assert_eq!(report.endpoints.len(), 1, "{:?}", report.endpoints);
        let entered = &report.endpoints[0];
        assert_eq!(entered.kind, EndpointKind::Entered);
        assert_eq!(entered.entity.as_deref(), Some("tornado.cash"));
        assert_eq!(entered.category.as_deref(), Some("mixer"));
        assert_eq!(entered.flags, flags);
        assert_eq!(
            entered.address.as_deref(),
            Some(address(POOL).to_string().as_str())
        );
        assert_eq!(entered.value.units, "100");
        assert_eq!(entered.hops, 1);
        assert_eq!(total_units(&report, EndpointKind::Unspent), (0, "0".into()));
        let json = serde_json::to_value(entered).expect("json");
        assert_eq!(json["flags"], serde_json::json!(flags));
    }
}

#[test]
fn a_pool_with_a_flag_and_no_role_would_spread_the_taint_over_every_withdrawal() {
    // What "sanctioned outranks mixer" did: the pool seen as a sanctioned wallet is traced
    // through, and haircut hands each of the 300 withdrawals 1/300 of the 100 ETH.
    let dir = tempfile::tempdir().expect("tmp");
    let store = world(dir.path());
    let mut flagged_only = StaticAttribution::default();
    flagged_only.insert(
        ETH,
        address(POOL),
        Entity {
            flags: vec![Category::Sanctioned],
            category: None,
            ..Entity::with_role("TORNADO CASH", Category::Other)
        },
    );
    let report = run(&store, &flagged_only);
    assert_eq!(
        total_units(&report, EndpointKind::Unspent),
        (usize::from(WITHDRAWALS), "100".into())
    );
    assert_eq!(total_units(&report, EndpointKind::Entered), (0, "0".into()));
}
