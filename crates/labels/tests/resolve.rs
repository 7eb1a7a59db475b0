//! Resolution of roles and flags on the real data: a Tornado Cash pool tagged `mixing_service`
//! and `abuse: sanction` is a mixer always and sanctioned only while OFAC lists it; role claims
//! between sources keep their provenance; flags are the union over sources; stores written
//! before roles and flags still load.

mod common;

use chaintrail_core::Chain;
use chaintrail_labels::{Category, Date, Label, LabelStore, Source};
use common::data;

/// Tornado Cash's 100 ETH pool: in the 2025-03-04 SDN snapshot, not in the 2025-11-19 one.
const POOL_100: &str = "0xA160cdAB225685dA1d56aa342Ad8841c3b53f291";
/// The Ronin bridge exploiter (Lazarus Group), on the SDN list in every snapshot.
const RONIN: &str = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";

fn d(text: &str) -> Date {
    text.parse().expect("date")
}

/// GraphSense's real `tornado_cash.yaml` with `abuse: sanction` added to its header, as packs
/// that follow OFAC tag the pools (`category: mixing_service` stays).
fn sanctioned_tornado_pack(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(data("graphsense_tagpacks/packs/tornado_cash.yaml"))
        .expect("tornado pack");
    assert!(text.contains("\ncategory: mixing_service\n"));
    let text = text.replacen(
        "\ncategory: mixing_service\n",
        "\ncategory: mixing_service\nabuse: sanction\n",
        1,
    );
    let path = dir.join("tornado_cash_sanctioned.yaml");
    std::fs::write(&path, text).expect("write pack");
    path
}

fn ofac(store: &mut LabelStore) {
    for file in [
        "ofac_sdn/sdn_digital_currency_addresses_2025-03-04.csv",
        "ofac_sdn/sdn_digital_currency_addresses_2025-11-19.csv",
    ] {
        store.import_ofac(&data(file), None).expect(file);
    }
}

#[test]
fn a_sanctioned_tornado_pool_is_a_mixer_and_sanctioned_only_while_ofac_lists_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = LabelStore::in_memory();
    let report = store
        .import_tagpacks(&sanctioned_tornado_pack(dir.path()))
        .expect("pack");
    assert_eq!(report.imported, 39);
    store
        .import_explorer(
            &data("evm_labels/etherscan_labels/etherscan_account_labels.json"),
            None,
        )
        .expect("explorer");
    store
        .import_tornado(&data("tornado_cash/tornado_cash_contracts.csv"))
        .expect("tornado list");

    // Without OFAC data nothing dates the sanction: the TagPack's and Etherscan's undated claims
    // hold (and the pool is still a mixer).
    let undated = store
        .resolve(Chain::ETHEREUM, POOL_100, None)
        .expect("known");
    assert_eq!(undated.role_category(), Some(Category::Mixer));
    let sources: Vec<(Category, Source)> =
        undated.flags.iter().map(|f| (f.flag, f.source)).collect();
    assert_eq!(
        sources,
        vec![
            (Category::Sanctioned, Source::Graphsense),
            (Category::Sanctioned, Source::Explorer),
        ]
    );

    ofac(&mut store);
    // While listed: a mixer (GraphSense's claim, authority_data 60, beats Etherscan's and the
    // Tornado list's 50) and sanctioned on OFAC's word only, with OFAC's interval.
    let listed = store
        .resolve(Chain::ETHEREUM, POOL_100, Some(d("2025-06-01")))
        .expect("known");
    let role = listed.role.as_ref().expect("a role");
    assert_eq!(
        (role.role, role.source, role.name.as_str(), role.confidence),
        (Category::Mixer, Source::Graphsense, "tornado.cash", 60)
    );
    assert_eq!(role.dataset, "graphsense:tornado_cash_sanctioned.yaml");
    assert_eq!(listed.name, "tornado.cash");
    assert_eq!(listed.flags.len(), 1, "{:?}", listed.flags);
    let sanction = &listed.flags[0];
    assert_eq!(
        (sanction.flag, sanction.source, sanction.name.as_str()),
        (Category::Sanctioned, Source::Ofac, "TORNADO CASH")
    );
    // From the first snapshot holding it (its start unknown: OFAC dates no address) to the
    // first snapshot without it.
    assert_eq!(sanction.valid_from, Some(d("2025-03-04")));
    assert!(sanction.unknown_start.is_some());
    assert_eq!(sanction.valid_to, Some(d("2025-11-19")));

    // After the delisting: still a mixer, no flag — the undated TagPack and Etherscan sanction
    // claims do not keep it sanctioned.
    for at in [Some(d("2025-12-01")), None] {
        let delisted = store.resolve(Chain::ETHEREUM, POOL_100, at).expect("known");
        assert_eq!(delisted.role_category(), Some(Category::Mixer), "{at:?}");
        assert_eq!(delisted.flags, vec![], "{at:?}");
    }
    // Over time: the one dated claim, valid on the dates it covers.
    let history = store
        .resolve_over_time(Chain::ETHEREUM, POOL_100, Some(d("2025-12-01")))
        .expect("known");
    assert_eq!(history.flags.len(), 1);
    assert_eq!(
        history.flags_on(Some(d("2025-03-04"))),
        vec![Category::Sanctioned]
    );
    assert_eq!(history.flags_on(Some(d("2025-11-19"))), vec![]);
    assert_eq!(history.flags_on(Some(d("2022-11-07"))), vec![]);
    // Before the first snapshot: a mixer, and whether OFAC listed it is unknown — the
    // sanction is neither held nor dropped (the undated TagPack and Etherscan claims stay
    // overridden).
    let before = store
        .resolve(Chain::ETHEREUM, POOL_100, Some(d("2024-06-01")))
        .expect("known");
    assert_eq!(before.role_category(), Some(Category::Mixer));
    assert_eq!(before.flags, vec![]);
    assert_eq!(
        before
            .unknown
            .iter()
            .map(|f| (f.flag, f.source, f.name.as_str()))
            .collect::<Vec<_>>(),
        vec![(Category::Sanctioned, Source::Ofac, "TORNADO CASH")]
    );
    // The same key on a sibling EVM chain (no label for BSC itself) resolves the same way.
    let bsc = store
        .resolve(Chain::Evm(56), POOL_100, Some(d("2025-06-01")))
        .expect("sibling");
    assert_eq!(bsc.role_category(), Some(Category::Mixer));
    assert_eq!(bsc.flags_on(None), vec![Category::Sanctioned]);
    // `labels show` carries the resolution.
    let shown = store.show(POOL_100, Some(d("2025-06-01")));
    assert!(shown.sanctioned);
    assert_eq!(shown.resolved.as_ref(), Some(&listed));
}

#[test]
fn role_claims_are_resolved_by_confidence_then_source_with_provenance() {
    let mut store = LabelStore::in_memory();
    store
        .import_explorer(
            &data("evm_labels/etherscan_labels/etherscan_account_labels.json"),
            None,
        )
        .expect("explorer");
    store
        .import_tornado(&data("tornado_cash/tornado_cash_contracts.csv"))
        .expect("tornado list");
    // Etherscan ("Tornado.Cash: 100 ETH") and the Tornado list ("Tornado Cash 100 ETH pool") both
    // say mixer at confidence 50: the protocol's own list wins the tie.
    let pool = store
        .resolve(Chain::ETHEREUM, POOL_100, None)
        .expect("known");
    let role = pool.role.as_ref().expect("role");
    assert_eq!(
        (role.source, role.name.as_str(), role.confidence),
        (Source::TornadoCash, "Tornado Cash 100 ETH pool", 50)
    );
    assert_eq!(role.dataset, "tornado_cash:tornado_cash_contracts.csv");
    assert_eq!(
        store.labels()[role.label].details.get("denomination"),
        Some(&"100".to_string())
    );
    assert_eq!(role.evidence, None);
    // Etherscan's own word on it is a flag claim (undated, no OFAC data to override it).
    assert_eq!(pool.flags.len(), 1);
    assert_eq!(pool.flags[0].name, "Tornado.Cash: 100 ETH");

    // A stronger claim chaintrail derived from chain data wins, with its evidence.
    let binance = "0x28C6c06298d514Db089934071355E5743bf21d60";
    let before = store
        .resolve(Chain::ETHEREUM, binance, None)
        .expect("known");
    assert_eq!(before.role_category(), Some(Category::Exchange));
    assert_eq!(
        before.role.as_ref().map(|r| r.source),
        Some(Source::Explorer)
    );
    store.replace_labels(
        "derived:test",
        vec![Label::derived(
            "derived:test",
            Chain::ETHEREUM,
            binance,
            "Binance deposit sweeper",
            Category::WalletService,
            70,
            "collects from 1,204 deposit addresses in 3 days",
        )],
    );
    let after = store
        .resolve(Chain::ETHEREUM, binance, None)
        .expect("known");
    let role = after.role.as_ref().expect("role");
    assert_eq!(
        (role.role, role.source, role.confidence),
        (Category::WalletService, Source::Derived, 70)
    );
    assert_eq!(
        role.evidence.as_deref(),
        Some("collects from 1,204 deposit addresses in 3 days")
    );
    assert_eq!(after.name, "Binance deposit sweeper");
    // Replacing the dataset replaces the claim.
    store.replace_labels("derived:test", Vec::new());
    assert_eq!(
        store
            .resolve(Chain::ETHEREUM, binance, None)
            .and_then(|r| r.role)
            .map(|r| r.source),
        Some(Source::Explorer)
    );
}

#[test]
fn flags_are_the_union_over_sources_and_flags_alone_give_no_role() {
    let mut store = LabelStore::in_memory();
    for pack in ["lazarus.yaml", "ronin_bridge.yaml", "ofac.yaml"] {
        store
            .import_tagpacks(&data(&format!("graphsense_tagpacks/packs/{pack}")))
            .expect(pack);
    }
    store
        .import_explorer(
            &data("evm_labels/etherscan_labels/etherscan_account_labels.json"),
            None,
        )
        .expect("explorer");
    let union = |store: &LabelStore, at: &str| -> Vec<(Category, Source, String)> {
        store
            .resolve(Chain::ETHEREUM, RONIN, Some(d(at)))
            .expect("known")
            .flags
            .into_iter()
            .map(|f| (f.flag, f.source, f.name))
            .collect()
    };
    assert_eq!(
        union(&store, "2024-01-01"),
        vec![
            (
                Category::Sanctioned,
                Source::Graphsense,
                "Lazarus group".to_string()
            ),
            (
                Category::Sanctioned,
                Source::Explorer,
                "Ronin Bridge Exploiter".to_string()
            ),
            (
                Category::Hack,
                Source::Graphsense,
                "Ronin bridge exploiter".to_string()
            ),
        ]
    );
    ofac(&mut store);
    // OFAC dates the sanction: its claim replaces the undated ones; the hack flag stays.
    assert_eq!(
        union(&store, "2025-06-01"),
        vec![
            (
                Category::Sanctioned,
                Source::Ofac,
                "Lazarus Group".to_string()
            ),
            (
                Category::Hack,
                Source::Graphsense,
                "Ronin bridge exploiter".to_string()
            ),
        ]
    );
    // Before the first snapshot holding it (2025-03-04; OFAC listed it on 2022-04-14, which no
    // OFAC file says) the sanction is unknown, not gone, and the undated claims stay replaced.
    assert_eq!(
        union(&store, "2024-01-01"),
        vec![(
            Category::Hack,
            Source::Graphsense,
            "Ronin bridge exploiter".to_string()
        )]
    );
    let before = store
        .resolve(Chain::ETHEREUM, RONIN, Some(d("2024-01-01")))
        .expect("known");
    assert_eq!(
        before
            .unknown
            .iter()
            .map(|f| (f.flag, f.source, f.name.as_str()))
            .collect::<Vec<_>>(),
        vec![(Category::Sanctioned, Source::Ofac, "Lazarus Group")]
    );
    // A thief's wallet: flags, no role; named after its strongest label.
    let resolved = store
        .resolve(Chain::ETHEREUM, RONIN, Some(d("2025-06-01")))
        .expect("known");
    assert_eq!(resolved.role, None);
    assert_eq!(resolved.name, "Lazarus Group");
    assert_eq!(
        resolved.flags_on(None),
        vec![Category::Sanctioned, Category::Hack]
    );
    // Unknown addresses resolve to nothing.
    assert_eq!(
        store.resolve(
            Chain::ETHEREUM,
            "0x00000000000000000000000000000000000000aa",
            None
        ),
        None
    );
}

#[test]
fn labels_stored_before_roles_and_flags_load_with_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = LabelStore::open(dir.path()).expect("open");
    store
        .import_tagpacks(&data("graphsense_tagpacks/packs/ronin_bridge.yaml"))
        .expect("pack");
    store
        .import_tornado(&data("tornado_cash/tornado_cash_contracts.csv"))
        .expect("tornado list");
    store.save().expect("save");
    // Rewrite the store as an older chaintrail wrote it: no `role`, no `flags`.
    let path = dir.path().join("labels/labels.jsonl");
    let text = std::fs::read_to_string(&path).expect("read");
    let mut old = String::new();
    let mut stripped = 0;
    for line in text.lines() {
        let mut value: serde_json::Value = serde_json::from_str(line).expect("json");
        let object = value.as_object_mut().expect("object");
        stripped += usize::from(object.remove("role").is_some());
        stripped += usize::from(object.remove("flags").is_some());
        old.push_str(&value.to_string());
        old.push('\n');
    }
    // 6 Ronin tags (a flag each) and the Tornado list's contracts (a role each).
    let lines = text.lines().count();
    assert_eq!(stripped, lines);
    std::fs::write(&path, old).expect("write old store");

    let again = LabelStore::open(dir.path()).expect("old store opens");
    assert_eq!(again.labels(), store.labels());
    let ronin = again.resolve(Chain::ETHEREUM, RONIN, None).expect("known");
    assert_eq!(ronin.role, None);
    assert_eq!(ronin.flags_on(None), vec![Category::Hack]);
    let pool = again
        .resolve(Chain::ETHEREUM, POOL_100, None)
        .expect("known");
    assert_eq!(pool.role_category(), Some(Category::Mixer));
}
