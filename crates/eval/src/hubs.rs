//! Labels for the synthetic worlds of `chaintrail bench store` (`chaintrail bench label-hubs`):
//! their popular addresses (hubs) become services and illicit actors, so that traces and
//! exposure walks over such a world stop where they stop at real exchanges. Like real services,
//! each entity holds many addresses: hub `i` belongs to entity `i mod 20`.

use std::path::Path;

use chaintrail_core::{Address, BitcoinNetwork, Chain};
use chaintrail_ingest::synthetic;
use chaintrail_labels::{Category, Label, LabelError, LabelStore, Source};
use serde::Serialize;

/// The dataset the hub labels are stored under: a new run replaces the previous one's.
pub const HUB_DATASET: &str = "bench:hubs";
/// Entities the hubs belong to.
const ENTITIES: u64 = 20;

/// How many hubs of a chain were labelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelledHubs {
    /// The chain of `chaintrail bench store` (anvil or Bitcoin regtest).
    pub chain: Chain,
    /// Its hubs, each now labelled.
    pub hubs: u64,
}

/// What entity `e` is: a mixer, a sanctioned party, a hack, and 17 exchanges.
fn category(entity: u64) -> Category {
    match entity {
        0 => Category::Mixer,
        1 => Category::Sanctioned,
        2 => Category::Hack,
        _ => Category::Exchange,
    }
}

fn hub_label(chain: Chain, address: &Address, hub: u64) -> Label {
    let entity = hub % ENTITIES;
    let category = category(entity);
    let name = format!("Entity {entity} ({category})");
    Label {
        file: "bench".to_string(),
        ..Label::new(
            Source::Graphsense,
            HUB_DATASET,
            chain,
            &address.to_string(),
            &name,
            vec![category],
        )
    }
}

/// Label, in the label store of `store_dir`, the hubs of the worlds `chaintrail bench store`
/// generates with `transfers` account transfers and `utxo_records` UTXO inputs and outputs.
pub fn label_hubs(
    store_dir: &Path,
    transfers: u64,
    utxo_records: u64,
) -> Result<Vec<LabelledHubs>, LabelError> {
    let eth = Chain::Evm(31337);
    let btc = Chain::Bitcoin(BitcoinNetwork::Regtest);
    let account_hubs = synthetic::hubs(synthetic::account_population(transfers));
    let utxo_hubs = synthetic::hubs(synthetic::utxo_population(utxo_records));
    let mut labels = Vec::new();
    for hub in 0..account_hubs {
        labels.push(hub_label(eth, &synthetic::account_address(hub), hub));
    }
    for hub in 0..utxo_hubs {
        labels.push(hub_label(btc, &synthetic::utxo_address(hub), hub));
    }
    let mut store = LabelStore::open(store_dir)?;
    store.replace_labels(HUB_DATASET, labels);
    store.save()?;
    Ok(vec![
        LabelledHubs {
            chain: eth,
            hubs: account_hubs,
        },
        LabelledHubs {
            chain: btc,
            hubs: utxo_hubs,
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hubs_become_twenty_entities_of_four_kinds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let labelled = label_hubs(dir.path(), 60_000, 50_000).expect("label");
        let eth = Chain::Evm(31337);
        let btc = Chain::Bitcoin(BitcoinNetwork::Regtest);
        // 10,000 account addresses and 10,000 UTXO addresses: 10 hubs each.
        assert_eq!(
            labelled,
            vec![
                LabelledHubs {
                    chain: eth,
                    hubs: 10
                },
                LabelledHubs {
                    chain: btc,
                    hubs: 10
                },
            ]
        );
        let store = LabelStore::open(dir.path()).expect("reopen");
        assert_eq!(store.labels().len(), 20);
        let first = synthetic::account_address(1).to_string();
        let resolved = store.resolve(eth, &first, None).expect("labelled");
        assert_eq!(resolved.flags.len(), 1);
        assert_eq!(resolved.flags[0].flag, Category::Sanctioned);
        assert_eq!(resolved.flags[0].name, "Entity 1 (sanctioned)");
        let third = synthetic::utxo_address(3).to_string();
        let resolved = store.resolve(btc, &third, None).expect("labelled");
        assert_eq!(resolved.role.expect("role").role, Category::Exchange);
    }
}
