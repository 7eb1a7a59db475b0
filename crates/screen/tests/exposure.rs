//! The exposure model on a simulated world with ground truth: heist addresses, laundering
//! addresses before and after the mixer, clean users, and the exposure index.

use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

use chaintrail_core::{BitcoinNetwork, Chain};
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_labels::{Category, Date, LabelStore};
use chaintrail_screen::{Origin, Query, RiskLevel, Screener};
use chaintrail_sim::SimConfig;
use chaintrail_store::Store;
use serde_json::Value;

struct World {
    dir: tempfile::TempDir,
    truth: Value,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::init(dir.path()).expect("init");
        let side = dir.path().join("sim");
        chaintrail_sim::write_dir(&SimConfig::new(1, 20_000), &side).expect("simulate");
        let options = ImportOptions::default();
        chaintrail_evm::EthereumEtl
            .import(&store, &side.join("ethereum"), &options)
            .expect("import ethereum");
        chaintrail_bitcoin::BitcoinEtl {
            network: BitcoinNetwork::Regtest,
        }
        .import(&store, &side.join("bitcoin"), &options)
        .expect("import bitcoin");
        let mut labels = LabelStore::open(dir.path()).expect("labels");
        labels
            .import_tagpacks(&side.join("tagpacks"))
            .expect("tagpacks");
        labels.save().expect("save");
        let truth =
            serde_json::from_slice(&std::fs::read(side.join("ground_truth.json")).expect("truth"))
                .expect("json");
        World { dir, truth }
    })
}

fn at() -> Date {
    "2026-11-23".parse().expect("date")
}

fn query(address: &str, chain: &str) -> Query {
    Query {
        address: address.to_string(),
        chain: Some(chain.parse::<Chain>().expect("chain")),
        at: Some(at()),
        paths: false,
    }
}

#[test]
fn laundering_addresses_show_exposure_to_their_heist_or_its_mixer() {
    let w = world();
    let screener = Screener::open(w.dir.path()).expect("open");
    let mixed: HashSet<String> = w.truth["mixer_links"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["recipient"].as_str().map(str::to_lowercase))
        .collect();
    let mut before_mixer = 0;
    for heist in w.truth["heists"].as_array().expect("heists") {
        let thief = heist["thief_entity"].as_str().expect("thief");
        let first = &heist["first_addresses"][0];
        let own = screener
            .screen(&query(
                first["address"].as_str().expect("a"),
                first["chain"].as_str().expect("c"),
            ))
            .expect("screen");
        assert_eq!(own.risk, RiskLevel::Severe, "{thief}: {own:?}");
        assert!(own.ownership.iter().any(|o| o.category == Category::Hack));
        for a in heist["laundering_addresses"].as_array().expect("addresses") {
            let (address, chain) = (
                a["address"].as_str().expect("a"),
                a["chain"].as_str().expect("c"),
            );
            if chain != w.truth["evm_chain"].as_str().expect("evm") {
                continue;
            }
            let s = screener.screen(&query(address, chain)).expect("screen");
            if mixed.contains(&address.to_lowercase()) {
                assert!(
                    s.exposures.iter().any(|e| e.category == Category::Mixer),
                    "{address} (withdrawn from the mixer) shows no mixer exposure: {s:?}"
                );
                assert!(s.risk >= RiskLevel::Medium);
            } else {
                before_mixer += 1;
                let own = s.ownership.iter().any(|o| o.name == thief);
                let exposed = s.exposures.iter().any(|e| e.entity == thief);
                assert!(
                    own || exposed,
                    "{address} shows no exposure to {thief}: {s:?}"
                );
                assert!(s.risk >= RiskLevel::High, "{address}: {:?}", s.risk);
            }
        }
    }
    assert!(before_mixer > 0);
}

#[test]
fn clean_users_show_no_illicit_exposure() {
    let w = world();
    let screener = Screener::open(w.dir.path()).expect("open");
    let mut known: HashSet<String> = HashSet::new();
    for e in w.truth["entities"].as_array().expect("entities") {
        for a in e["addresses"].as_array().expect("addresses") {
            known.insert(a["address"].as_str().unwrap_or_default().to_string());
        }
    }
    for h in w.truth["heists"].as_array().expect("heists") {
        for a in h["laundering_addresses"].as_array().expect("addresses") {
            known.insert(a["address"].as_str().unwrap_or_default().to_string());
        }
    }
    let mut users = 0;
    for (chain, reader) in screener.readers() {
        for id in (1..reader.address_count() as u32).step_by(7) {
            let address = reader.address(id).expect("address").to_string();
            if known.contains(&address) {
                continue;
            }
            let s = screener
                .screen(&Query {
                    address: address.clone(),
                    chain: Some(*chain),
                    at: Some(at()),
                    paths: false,
                })
                .expect("screen");
            users += 1;
            assert!(
                !s.exposures.iter().any(|e| e.category == Category::Hack),
                "clean user {address} shows hack exposure: {s:?}"
            );
            assert!(s.ownership.is_empty());
        }
    }
    assert!(users > 100, "{users}");
}

#[test]
fn index_answers_like_the_computation_and_paths_explain_it() {
    let w = world();
    let copy = tempfile::tempdir().expect("tempdir");
    copy_dir(w.dir.path(), copy.path());
    let mut screener = Screener::open(copy.path()).expect("open");
    let report = screener
        .build_index(Some(at()), 2, &|_, _| {})
        .expect("build");
    assert!(report.path.exists());
    assert!(report.with_exposure > 0);
    let fresh = Screener::open(copy.path()).expect("reopen");
    let heist = &w.truth["heists"][0];
    let sample: Vec<(String, String)> = heist["laundering_addresses"]
        .as_array()
        .expect("addresses")
        .iter()
        .take(20)
        .map(|a| {
            (
                a["address"].as_str().unwrap_or_default().to_string(),
                a["chain"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for (address, chain) in &sample {
        let indexed = fresh.screen(&query(address, chain)).expect("screen");
        assert_eq!(indexed.origin, Origin::Index);
        let computed = screener_without_index(copy.path())
            .screen(&query(address, chain))
            .expect("screen");
        assert_eq!(computed.origin, Origin::Computed);
        // The index stores JSON: floats may differ in the last bit.
        let key = |s: &chaintrail_screen::Screening| {
            s.exposures
                .iter()
                .map(|e| {
                    (
                        e.category,
                        e.entity.clone(),
                        e.direction,
                        e.exposure_type,
                        e.min_hops,
                        e.level,
                        (e.usd * 100.0).round() as i64,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&indexed), key(&computed));
        let with_paths = fresh
            .screen(&Query {
                paths: true,
                ..query(address, chain)
            })
            .expect("paths");
        assert_eq!(with_paths.origin, Origin::Computed);
        for e in &with_paths.exposures {
            assert!(!e.paths.is_empty(), "{address}: exposure without a path");
            assert!(e.paths[0].steps.len() as u32 > e.min_hops.min(1) - 1);
            assert_eq!(e.paths[0].steps[0].hop, 1);
        }
    }
    // Changing the labels makes the index stale: screening falls back to computation.
    let mut labels = LabelStore::open(copy.path()).expect("labels");
    labels.replace_labels("test:extra", Vec::new());
    labels
        .import_ofac(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(
                "../../../shared/data/ofac_sdn/sdn_digital_currency_addresses_2025-03-04.csv",
            ),
            None,
        )
        .expect("ofac");
    labels.save().expect("save");
    let stale = Screener::open(copy.path()).expect("reopen");
    assert!(
        stale.index_status().starts_with("stale"),
        "{}",
        stale.index_status()
    );
    let (address, chain) = &sample[0];
    assert_eq!(
        stale.screen(&query(address, chain)).expect("screen").origin,
        Origin::Computed
    );
}

/// A screener that ignores the index (other walk parameters than the index's).
fn screener_without_index(dir: &Path) -> Screener {
    let params = chaintrail_screen::Params {
        budget: chaintrail_screen::Params::default().budget + 1,
        ..chaintrail_screen::Params::default()
    };
    Screener::open(dir).expect("open").with_params(params)
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
