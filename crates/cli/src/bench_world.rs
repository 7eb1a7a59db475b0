//! `chaintrail bench label-hubs`: label the popular addresses of a `bench store` world as
//! services and illicit actors, so that traces and exposure walks over it stop where they stop
//! at real exchanges (docs/benchmarks.md, *Cost curves*). Like real services, each entity holds
//! many addresses: hub `i` belongs to entity `i mod 20`.

use std::collections::BTreeMap;

use chaintrail_core::{Address, BitcoinNetwork, Chain};
use chaintrail_ingest::synthetic;
use chaintrail_labels::{Category, Label, LabelStore, Source};
use serde::Serialize;

use crate::commands::Global;
use crate::output::{Format, Table, emit};

const DATASET: &str = "bench:hubs";
/// Entities the hubs belong to.
const ENTITIES: u64 = 20;

/// What entity `e` is: a mixer, a sanctioned party, a hack, and 17 exchanges.
fn category(entity: u64) -> Category {
    match entity {
        0 => Category::Mixer,
        1 => Category::Sanctioned,
        2 => Category::Hack,
        _ => Category::Exchange,
    }
}

fn label(chain: Chain, address: &Address, i: u64) -> Label {
    let entity = i % ENTITIES;
    let category = category(entity);
    Label {
        address: address.to_string(),
        chain: Some(chain),
        currency: chain.native_symbol().to_string(),
        name: format!("Entity {entity} ({category})"),
        category,
        categories: vec![category],
        role: None,
        flags: Vec::new(),
        source: Source::Graphsense,
        dataset: DATASET.to_string(),
        file: "bench".to_string(),
        line: 0,
        confidence: 100,
        confidence_level: None,
        valid_from: None,
        valid_to: None,
        unknown_start: None,
        details: BTreeMap::new(),
    }
}

#[derive(Serialize)]
struct Labelled {
    chain: Chain,
    hubs: u64,
}

/// Label the hubs of worlds generated with `transfers` and `utxo_records` (the sizes given to
/// `bench store`).
pub fn label_hubs(global: &Global, transfers: u64, utxo_records: u64) -> anyhow::Result<()> {
    let eth = Chain::Evm(31337);
    let btc = Chain::Bitcoin(BitcoinNetwork::Regtest);
    let account_hubs = synthetic::hubs(synthetic::account_population(transfers));
    let utxo_hubs = synthetic::hubs(synthetic::utxo_population(utxo_records));
    let mut labels = Vec::new();
    for i in 0..account_hubs {
        labels.push(label(eth, &synthetic::account_address(i), i));
    }
    for i in 0..utxo_hubs {
        labels.push(label(btc, &synthetic::utxo_address(i), i));
    }
    let mut store = LabelStore::open(&global.data_dir)?;
    store.replace_labels(DATASET, labels);
    store.save()?;
    let result = [
        Labelled {
            chain: eth,
            hubs: account_hubs,
        },
        Labelled {
            chain: btc,
            hubs: utxo_hubs,
        },
    ];
    let mut table = Table::new(&["chain", "labelled hubs"]);
    for r in &result {
        table.row(vec![r.chain.to_string(), r.hubs.to_string()]);
    }
    emit(global.format.unwrap_or(Format::Table), &result, &[table])
}
