//! The exposure model on a simulated world with ground truth: heist addresses, laundering
//! addresses before and after the mixer, Bitcoin laundering addresses after the bridge (with
//! the bridge's known links), clean users, and the exposure index.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::OnceLock;

use chaintrail_core::{Chain, ChainModel};
use chaintrail_labels::{Category, Date, LabelStore};
use chaintrail_screen::{
    Attributor, ChainExposure, Context, Direction, EntityMemo, ExposureIndex, ExposureType,
    KnownLinks, Origin, Params, Query, RiskLevel, RuleTable, Screener, Screening, chain_exposure,
    end_of_day,
};
use chaintrail_sim::SimConfig;
use chaintrail_store::Store;
use chaintrail_trace::{Cancel, Link, Prices};
use serde_json::Value;

struct World {
    dir: tempfile::TempDir,
    truth: Value,
    /// The bridges' joins as `chaintrail links build` derives them from the chains (memos and
    /// mints), kept with the store.
    bridge_links: Vec<Link>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::init(dir.path()).expect("init");
        let side = dir.path().join("sim");
        let summary =
            chaintrail_sim::write_dir(&SimConfig::new(1, 20_000), &side).expect("simulate");
        chaintrail_eval::import_world(&store, &side).expect("import");
        let mut labels = LabelStore::open(dir.path()).expect("labels");
        labels
            .import_tagpacks(&side.join("tagpacks"))
            .expect("tagpacks");
        labels.save().expect("save");
        // Bridge vaults and deposit addresses, exchange deposit addresses: derived from the
        // chains, as every import does.
        let built = chaintrail_links::refresh(&store).expect("links");
        // The simulator's tokens are priced by the pegs `chaintrail demo` keeps with the store.
        chaintrail_eval::world_prices(&summary.truth)
            .save_pegs(&dir.path().join(chaintrail_trace::PEGS_FILE))
            .expect("pegs");
        let truth =
            serde_json::from_slice(&std::fs::read(side.join("ground_truth.json")).expect("truth"))
                .expect("json");
        World {
            dir,
            truth,
            bridge_links: built.set.links().to_vec(),
        }
    })
}

/// Write links as the store keeps them.
fn save_links(links: &[Link], path: &Path) {
    let mut text = String::new();
    for link in links {
        text.push_str(&serde_json::to_string(link).expect("json"));
        text.push('\n');
    }
    std::fs::write(path, text).expect("write links");
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
    // Addresses paid by a bridge from Bitcoin: their exposure comes across the bridge, through
    // the known links (the Bitcoin test below), not from the walk alone.
    let from_bitcoin: HashSet<String> = w.truth["bridge_links"]
        .as_array()
        .expect("bridge links")
        .iter()
        .filter(|b| !b["heist"].is_null() && b["in_chain"] == w.truth["btc_chain"])
        .filter_map(|b| b["out_address"].as_str().map(str::to_lowercase))
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
            if chain != w.truth["evm_chain"].as_str().expect("evm")
                || from_bitcoin.contains(&address.to_lowercase())
            {
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

/// Addresses that sent value to a heist's address of their own accord (the simulated gas
/// top-ups, dust and merges of `clean_inflows`): outgoing exposure to the thief is real for
/// them. Read from the store: the senders of those transactions.
fn thief_funders(w: &World, screener: &Screener) -> HashSet<String> {
    let mut funders = HashSet::new();
    for h in w.truth["heists"].as_array().expect("heists") {
        let Some(inflows) = h["clean_inflows"].as_array() else {
            continue;
        };
        for inflow in inflows {
            let (Some(chain), Some(tx)) = (inflow["chain"].as_str(), inflow["tx"].as_str()) else {
                continue;
            };
            let chain: Chain = chain.parse().expect("chain");
            let reader = &screener.readers()[&chain];
            let Some(id) = tx.parse().ok().and_then(|hash| reader.tx_id(&hash)) else {
                continue;
            };
            let senders: Vec<u32> = match reader.model() {
                ChainModel::Account => reader
                    .tx_transfers(id)
                    .filter_map(|row| reader.transfer(row))
                    .map(|t| t.from)
                    .collect(),
                ChainModel::Utxo => reader
                    .tx_inputs(id)
                    .filter_map(|row| reader.input(row))
                    .filter_map(|i| i.address)
                    .collect(),
            };
            funders.extend(
                senders
                    .into_iter()
                    .filter_map(|a| reader.address(a))
                    .map(|a| a.to_string()),
            );
        }
    }
    funders
}

#[test]
fn clean_users_show_no_illicit_exposure() {
    let w = world();
    let screener = Screener::open(w.dir.path()).expect("open");
    let linked = Screener::open(w.dir.path())
        .expect("open")
        .with_links(KnownLinks::new(w.bridge_links.clone()))
        .expect("links");
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
    let funders = thief_funders(w, &screener);
    let (mut users, mut funders_seen) = (0, 0);
    for (chain, reader) in screener.readers() {
        for id in (1..reader.address_count() as u32).step_by(7) {
            let address = reader.address(id).expect("address").to_string();
            if known.contains(&address) {
                continue;
            }
            let q = Query {
                address: address.clone(),
                chain: Some(*chain),
                at: Some(at()),
                paths: false,
            };
            let funder = funders.contains(&address);
            funders_seen += usize::from(funder);
            users += 1;
            for s in [
                screener.screen(&q).expect("screen"),
                linked.screen(&q).expect("screen"),
            ] {
                // No stolen value reached a clean user, with or without the bridge's links; a
                // user who paid a thief's gas (or dusted it) did send value to the thief.
                let hack = |e: &&chaintrail_screen::Exposure| {
                    e.category == Category::Hack && (e.direction == Direction::Incoming || !funder)
                };
                assert!(
                    !s.exposures.iter().any(|e| hack(&e)),
                    "clean user {address} shows hack exposure: {s:?}"
                );
                assert!(s.ownership.is_empty());
            }
        }
    }
    eprintln!("{users} clean users screened, {funders_seen} of them funded a thief address");
    assert!(users > 100, "{users}");
}

#[test]
fn index_answers_like_the_computation_and_paths_explain_it() {
    let w = world();
    let copy = tempfile::tempdir().expect("tempdir");
    copy_dir(w.dir.path(), copy.path());
    // The store's derived links are read and enter the index.
    let links_path = copy.path().join("links/links.jsonl");
    let mut screener = Screener::open(copy.path()).expect("open");
    assert_eq!(screener.links().len(), w.bridge_links.len());
    assert_eq!(screener.links().source(), None);
    let report = screener
        .build_index(Some(at()), 2, true, &|_, _| {})
        .expect("build");
    assert!(report.path.exists());
    assert!(report.with_exposure > 0);
    let fresh = Screener::open(copy.path()).expect("reopen");
    let heist = &w.truth["heists"][0];
    let mut sample: Vec<(String, String)> = heist["laundering_addresses"]
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
    // A Bitcoin address whose exposure to its heist comes across the bridge.
    let btc = w.truth["btc_chain"].as_str().expect("btc chain");
    let (thief, across) = bitcoin_laundering(w)
        .into_iter()
        .find(|(thief, address)| {
            indirect_incoming_to(
                &screener.screen(&query(address, btc)).expect("screen"),
                thief,
            )
        })
        .expect("a Bitcoin laundering address exposed across the bridge");
    let indexed = fresh.screen(&query(&across, btc)).expect("screen");
    assert_eq!(indexed.origin, Origin::Index);
    assert!(indirect_incoming_to(&indexed, &thief), "{indexed:?}");
    sample.push((across.clone(), btc.to_string()));
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
    // Changing the links makes the index stale: screening falls back to computation.
    save_links(&w.bridge_links[1..], &links_path);
    let stale = Screener::open(copy.path()).expect("reopen");
    assert!(
        stale.index_status().contains("links"),
        "{}",
        stale.index_status()
    );
    assert_eq!(
        stale.screen(&query(&across, btc)).expect("screen").origin,
        Origin::Computed
    );
    // A bad links file is an error naming its line.
    std::fs::write(&links_path, "{\"kind\": \"bridge\"}\n").expect("write");
    let err = Screener::open(copy.path()).err().expect("a bad links file");
    assert!(err.to_string().contains("links.jsonl:1:"), "{err}");
    save_links(&w.bridge_links, &links_path);
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

/// An index build resolves each address it meets once for all its walks, and so does a
/// screener for its live walks (`EntityMemo`); a walk alone resolves what it meets. For every
/// 5th address of the world, the indexed exposure and the live screening equal the walk alone.
#[test]
fn shared_resolutions_give_the_exposures_of_a_walk_alone() {
    let w = world();
    let copy = tempfile::tempdir().expect("tempdir");
    copy_dir(w.dir.path(), copy.path());
    let mut screener = Screener::open(copy.path()).expect("open");
    screener
        .build_index(Some(at()), 2, true, &|_, _| {})
        .expect("build");
    let index = ExposureIndex::load(copy.path())
        .expect("load")
        .expect("an index");
    let live = screener_without_index(copy.path());
    let labels = LabelStore::open(copy.path()).expect("labels");
    let prices = Prices::for_store(copy.path()).expect("prices");
    let (params, rules, never) = (Params::default(), RuleTable::builtin(), Cancel::new());
    // A walk alone: a memo of its own, as each walk had its own cache before memos were shared.
    let alone = |chain, id| {
        let memo = EntityMemo::new(screener.readers());
        let ctx = Context {
            readers: screener.readers(),
            links: screener.links(),
            attr: Attributor {
                labels: &labels,
                clusters: None,
                at: at(),
            },
            entity_memo: &memo,
            prices: &prices,
            params: &params,
            rules: &rules,
            cancel: &never,
            cutoff: end_of_day(at()),
        };
        chain_exposure(&ctx, chain, id)
    };
    // Exposures of equal level and value come in no particular order.
    let sorted = |mut e: ChainExposure| {
        e.exposures.sort_by_key(|x| format!("{x:?}"));
        e
    };
    let (mut compared, mut exposed) = (0, 0);
    for (&chain, reader) in screener.readers() {
        for id in (1..reader.address_count() as u32).step_by(5) {
            let walked = sorted(alone(chain, id));
            let address = reader.address(id).expect("address").to_string();
            // The index stores nothing for an address without exposure.
            let stored = if walked.exposures.is_empty()
                && walked.excluded_dust.is_empty()
                && !walked.truncated
            {
                ChainExposure::default()
            } else {
                walked.clone()
            };
            let indexed = index.get(chain, id).expect("readable").expect("covered");
            assert_eq!(sorted(indexed), stored, "{chain} {address}");
            let screened = live
                .screen(&query(&address, &chain.name()))
                .expect("screen");
            assert_eq!(screened.origin, Origin::Computed);
            let screened = sorted(ChainExposure {
                exposures: screened.exposures,
                volume: screened.volume,
                excluded_dust: screened.excluded_dust,
                truncated: screened.truncated,
            });
            assert_eq!(screened, walked, "{chain} {address}");
            compared += 1;
            exposed += usize::from(!walked.exposures.is_empty());
        }
    }
    eprintln!("{compared} addresses compared, {exposed} exposed");
    assert!(exposed > 3_000, "{exposed}");
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

/// Bitcoin addresses of heists whose value crossed the bridge: (thief entity, address).
fn bitcoin_laundering(w: &World) -> Vec<(String, String)> {
    let btc = w.truth["btc_chain"].as_str().expect("btc chain");
    let mut out = Vec::new();
    for heist in w.truth["heists"].as_array().expect("heists") {
        let thief = heist["thief_entity"].as_str().expect("thief");
        for a in heist["laundering_addresses"].as_array().expect("addresses") {
            if a["chain"].as_str() == Some(btc) {
                let address = a["address"].as_str().expect("address");
                out.push((thief.to_string(), address.to_string()));
            }
        }
    }
    out
}

fn indirect_incoming_to(s: &Screening, entity: &str) -> bool {
    s.exposures.iter().any(|e| {
        e.entity == entity
            && e.exposure_type == ExposureType::Indirect
            && e.direction == Direction::Incoming
    })
}

#[test]
fn bitcoin_laundering_after_the_bridge_shows_the_heist_through_the_known_links() {
    let w = world();
    let btc = w.truth["btc_chain"].as_str().expect("btc chain");
    let without = Screener::open(w.dir.path())
        .expect("open")
        .with_links(KnownLinks::default())
        .expect("no links");
    assert!(without.links().is_empty());
    let with = Screener::open(w.dir.path()).expect("open");
    assert_eq!(with.links().len(), w.bridge_links.len());
    // The bridge's payouts of heist value: their recipients are one link away from the EVM
    // deposit. Bybit-like value reaches the bridge straight from the thief's fan-out wallets;
    // Ronin- and Harmony-like value went through the EVM mixer first (whose links are unknown),
    // so across the bridge the walk finds the mixer, not the thief.
    let variant_of: HashMap<String, String> = w.truth["heists"]
        .as_array()
        .expect("heists")
        .iter()
        .filter_map(|h| {
            Some((
                h["name"].as_str()?.to_string(),
                h["variant"].as_str()?.to_string(),
            ))
        })
        .collect();
    let heist_payouts: HashMap<String, String> = w.truth["bridge_links"]
        .as_array()
        .expect("bridge links")
        .iter()
        .filter_map(|b| {
            let heist = b["heist"].as_str()?;
            Some((
                b["out_address"].as_str()?.to_string(),
                variant_of.get(heist)?.clone(),
            ))
        })
        .collect();
    assert!(
        heist_payouts.values().any(|v| v == "bybit"),
        "no Bybit-like value crossed the bridge"
    );
    let laundering = bitcoin_laundering(w);
    assert!(!laundering.is_empty());
    let (mut exposed_with, mut exposed_without) = (0, 0);
    let (mut bybit_checked, mut mixed_checked) = (0, 0);
    for (thief, address) in &laundering {
        let q = query(address, btc);
        let before = without.screen(&q).expect("screen");
        let after = with.screen(&q).expect("screen");
        let was = indirect_incoming_to(&before, thief);
        let is = indirect_incoming_to(&after, thief);
        exposed_without += usize::from(was);
        exposed_with += usize::from(is);
        // Crossing links only adds: what was found without them is still found.
        assert!(!was || is, "{address}: links lost exposure to {thief}");
        let Some(variant) = heist_payouts.get(address) else {
            continue;
        };
        if variant != "bybit" {
            // A mixer found only across the bridge: the EVM mixer the value went through.
            let mixers = |s: &Screening| -> HashSet<String> {
                s.exposures
                    .iter()
                    .filter(|e| {
                        e.category == Category::Mixer
                            && e.direction == Direction::Incoming
                            && e.exposure_type == ExposureType::Indirect
                    })
                    .map(|e| e.entity.clone())
                    .collect()
            };
            let across = mixers(&after).difference(&mixers(&before)).count() > 0;
            assert!(
                is || across,
                "{address} ({variant}-like payout) shows neither {thief} nor the EVM mixer \
                 across the bridge: {after:?}"
            );
            mixed_checked += 1;
            continue;
        }
        bybit_checked += 1;
        assert!(
            is,
            "{address} received the bridge's payout of {thief}'s value and shows no exposure to \
             it: {after:?}"
        );
        assert!(after.risk >= RiskLevel::High, "{address}: {:?}", after.risk);
        // The path explains it: it crosses the bridge by its memo join onto the EVM chain and
        // ends at the thief.
        let explained = with.screen(&Query { paths: true, ..q }).expect("paths");
        let exposure = explained
            .exposures
            .iter()
            .find(|e| e.entity == *thief && e.exposure_type == ExposureType::Indirect)
            .expect("exposure with paths");
        let crossing = exposure.paths.iter().any(|p| {
            p.steps.iter().any(|s| {
                s.rule.as_deref().is_some_and(|r| r.contains("memo OUT:"))
                    && s.chain.to_string() != btc
            })
        });
        assert!(
            crossing,
            "{address}: no path crosses the bridge: {exposure:?}"
        );
    }
    eprintln!(
        "{} Bitcoin laundering addresses: {exposed_without} exposed to their heist without links, \
         {exposed_with} with; {bybit_checked} Bybit-like and {mixed_checked} mixer-laundered \
         bridge payout recipients checked",
        laundering.len()
    );
    assert!(bybit_checked > 0);
    assert!(exposed_with > exposed_without);
    assert_eq!(
        exposed_without, 0,
        "without links the walk stops at the bridge"
    );
}

#[test]
fn links_below_the_confidence_floor_are_not_crossed_unless_the_floor_is_lowered() {
    let w = world();
    let btc = w.truth["btc_chain"].as_str().expect("btc chain");
    let weak: Vec<Link> = w
        .bridge_links
        .iter()
        .cloned()
        .map(|mut link| {
            link.confidence = 0.6;
            link
        })
        .collect();
    let by_default = Screener::open(w.dir.path())
        .expect("open")
        .with_links(KnownLinks::new(weak.clone()))
        .expect("links");
    assert_eq!(by_default.params().min_link_confidence, 0.7);
    let lowered = Screener::open(w.dir.path())
        .expect("open")
        .with_links(KnownLinks::new(weak))
        .expect("links")
        .with_params(chaintrail_screen::Params {
            min_link_confidence: 0.5,
            ..chaintrail_screen::Params::default()
        });
    let (mut crossed_by_default, mut crossed_lowered) = (0, 0);
    for (thief, address) in bitcoin_laundering(w) {
        let q = query(&address, btc);
        crossed_by_default += usize::from(indirect_incoming_to(
            &by_default.screen(&q).expect("screen"),
            &thief,
        ));
        let s = lowered.screen(&q).expect("screen");
        if let Some(e) = s
            .exposures
            .iter()
            .find(|e| e.entity == thief && e.exposure_type == ExposureType::Indirect)
        {
            crossed_lowered += 1;
            // The link's confidence scales what crosses it: at most 0.6 of the payout.
            assert!(e.share <= 0.6 + 1e-9, "{address}: share {}", e.share);
        }
    }
    assert_eq!(
        crossed_by_default, 0,
        "a 0.6 link was crossed under a 0.7 floor"
    );
    assert!(crossed_lowered > 0, "no 0.6 link crossed under a 0.5 floor");
}

#[test]
fn a_deposit_address_found_from_its_sweeps_is_screened_as_its_exchange() {
    let w = world();
    let attributions =
        chaintrail_links::store::load_attributions(w.dir.path()).expect("attributions");
    let screener = Screener::open(w.dir.path()).expect("open");
    for detector in ["deposit-account", "deposit-utxo"] {
        // An exchange's deposit address (the custodial mixer's are found the same way).
        let deposit = attributions
            .iter()
            .find(|a| a.detector == detector && a.role == Category::Exchange)
            .unwrap_or_else(|| panic!("no {detector} exchange attribution in the world"));
        let screened = screener
            .screen(&query(&deposit.address, &deposit.chain.to_string()))
            .expect("screen");
        let owner: Vec<(Category, &str)> = screened
            .ownership
            .iter()
            .map(|o| (o.category, o.name.as_str()))
            .collect();
        assert_eq!(
            owner,
            [(Category::Exchange, deposit.name.as_str())],
            "{detector} {}: {screened:?}",
            deposit.address
        );
    }
}
