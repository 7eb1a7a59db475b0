//! The day-one TagPack labels what an investigator knows and nothing more, and the exchanges
//! behave so that chain data reveals the rest: deposit addresses sweep to the hot wallet, and
//! every later Bitcoin hot-wallet address is tied to a labelled one by co-spending.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use chaintrail_core::{Address, TransferKind};
use chaintrail_sim::*;

mod common;

use common::{Collect, run, small};

fn world() -> &'static (Collect, GroundTruth) {
    static WORLD: OnceLock<(Collect, GroundTruth)> = OnceLock::new();
    WORLD.get_or_init(|| run(&small()))
}

fn addresses(
    truth: &GroundTruth,
    category: Category,
) -> impl Iterator<Item = (&EntityTruth, &EntityAddress)> {
    truth
        .entities
        .iter()
        .filter(move |e| e.category == category)
        .flat_map(|e| e.addresses.iter().map(move |a| (e, a)))
}

/// The exchanges that run wallets (the Bybit-like victim is an exchange with only its victim
/// account in this world).
fn exchanges(truth: &GroundTruth) -> impl Iterator<Item = &EntityTruth> {
    truth.entities.iter().filter(|e| {
        e.category == Category::Exchange && e.addresses.iter().any(|a| a.role == Role::HotWallet)
    })
}

#[test]
fn the_tagpack_labels_exactly_what_is_known_on_day_one() {
    let (_, truth) = world();
    let yaml = tagpack_yaml(truth);
    let tagged: Vec<&str> = yaml
        .lines()
        .filter_map(|l| l.strip_prefix("- address: '"))
        .map(|a| a.trim_end_matches('\''))
        .collect();
    let flagged: Vec<&str> = truth
        .entities
        .iter()
        .flat_map(|e| &e.addresses)
        .filter(|a| a.day_one_labelled)
        .map(|a| a.address.as_str())
        .collect();
    assert_eq!(tagged, flagged);
    let labelled = |role: Role, category: Category| {
        addresses(truth, category)
            .filter(|(_, a)| a.role == role)
            .map(|(_, a)| a.day_one_labelled)
            .collect::<Vec<bool>>()
    };
    // Labelled: hot wallets, public contracts, desks, miners, victims, first thief addresses.
    let all = |v: Vec<bool>| !v.is_empty() && v.iter().all(|&l| l);
    let none = |v: Vec<bool>| !v.is_empty() && v.iter().all(|&l| !l);
    assert!(all(labelled(Role::Router, Category::Dex)));
    assert!(all(labelled(Role::Pair, Category::Dex)));
    assert!(all(labelled(Role::Main, Category::Otc)));
    assert!(all(labelled(Role::Builder, Category::Miner)));
    assert!(all(labelled(Role::Coinbase, Category::Miner)));
    assert!(all(labelled(Role::Router, Category::Bridge)));
    assert!(all(labelled(Role::Token, Category::Bridge)));
    // Not labelled: deposit addresses, vaults, relayers, coordinators, laundering addresses.
    assert!(none(labelled(Role::Deposit, Category::Exchange)));
    assert!(none(labelled(Role::Deposit, Category::Mixer)));
    assert!(none(labelled(Role::Deposit, Category::Bridge)));
    assert!(none(labelled(Role::Vault, Category::Bridge)));
    assert!(none(labelled(Role::Relayer, Category::Mixer)));
    assert!(none(labelled(Role::Coordinator, Category::Mixer)));
    for e in exchanges(truth) {
        let hot = |chain| {
            e.addresses
                .iter()
                .filter(|a| a.chain == chain && a.role == Role::HotWallet)
                .map(|a| a.day_one_labelled)
                .collect::<Vec<bool>>()
        };
        assert_eq!(hot(EVM_CHAIN), vec![true], "{}", e.name);
        let btc = hot(BTC_CHAIN);
        assert_eq!(
            btc.iter().filter(|&&l| l).count(),
            2,
            "{}: two initial addresses",
            e.name
        );
        assert!(btc.len() > 2, "{}: later hot addresses exist", e.name);
    }
    // The custodial mixer: only its initial pool address; the Vortex pools all.
    let pool_labels: BTreeMap<&str, usize> = addresses(truth, Category::Mixer)
        .filter(|(_, a)| a.role == Role::Pool && a.day_one_labelled)
        .fold(BTreeMap::new(), |mut m, (e, _)| {
            *m.entry(e.name.as_str()).or_default() += 1;
            m
        });
    assert_eq!(pool_labels.get("Blendery"), Some(&1));
    assert_eq!(pool_labels.get("Vortex Cash"), Some(&4));
    // Thieves: their first addresses only, as perpetrators; victims as victims.
    for h in &truth.heists {
        let thief: Vec<&EntityAddress> = addresses(truth, Category::Thief)
            .filter(|(e, a)| e.name == h.thief_entity && a.day_one_labelled)
            .map(|(_, a)| a)
            .collect();
        let first: Vec<&str> = h
            .first_addresses
            .iter()
            .map(|a| a.address.as_str())
            .collect();
        assert_eq!(
            thief.iter().map(|a| a.address.as_str()).collect::<Vec<_>>(),
            first
        );
        let victim = &h.victim_address.address;
        let at = yaml
            .find(&format!("- address: '{victim}'"))
            .expect("victim tagged");
        let tag: String = yaml[at..].lines().take(6).collect::<Vec<_>>().join("\n");
        assert!(tag.contains("category: victim"), "{tag}");
        assert!(!tag.contains("abuse:"), "{tag}");
    }
    assert!(yaml.contains("category: perpetrator") && yaml.contains("abuse: service_hack"));
}

#[test]
fn evm_deposit_addresses_sweep_everything_to_their_hot_wallet() {
    let (c, truth) = world();
    let mut deposit_of: HashMap<String, &str> = HashMap::new();
    let mut hot_of: HashMap<&str, String> = HashMap::new();
    for (e, a) in addresses(truth, Category::Exchange).filter(|(_, a)| a.chain == EVM_CHAIN) {
        match a.role {
            Role::Deposit => {
                deposit_of.insert(a.address.clone(), e.name.as_str());
            }
            Role::HotWallet => {
                hot_of.insert(e.name.as_str(), a.address.clone());
            }
            _ => {}
        }
    }
    assert!(
        deposit_of.len() > 100,
        "{} deposit addresses",
        deposit_of.len()
    );
    let mut sweeps = 0;
    for tx in &c.evm {
        for t in tx
            .transfers
            .iter()
            .filter(|t| !matches!(t.kind, TransferKind::Fee | TransferKind::Burn))
        {
            let Some(from) = t.from.as_ref().map(Address::to_string) else {
                continue;
            };
            if let Some(exchange) = deposit_of.get(&from) {
                let to = t.to.as_ref().map(Address::to_string).unwrap_or_default();
                assert_eq!(to, hot_of[exchange], "deposit {from} paid someone else");
                sweeps += 1;
            }
        }
    }
    assert!(sweeps > 100, "{sweeps} sweeps");
}

/// Union-find over Bitcoin addresses.
struct Clusters {
    parent: HashMap<String, String>,
}

impl Clusters {
    fn root(&mut self, a: &str) -> String {
        let mut at = a.to_string();
        while let Some(p) = self.parent.get(&at).filter(|p| **p != at).cloned() {
            at = p;
        }
        at
    }

    fn join(&mut self, a: &str, b: &str) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent.insert(ra, rb);
        }
    }
}

#[test]
fn bitcoin_hot_wallets_cluster_onto_their_labelled_addresses() {
    let (c, truth) = world();
    let mut clusters = Clusters {
        parent: HashMap::new(),
    };
    let mut spent: HashSet<String> = HashSet::new();
    for tx in &c.btc {
        let inputs: Vec<String> = tx
            .flow
            .inputs
            .iter()
            .filter_map(|i| i.address.as_ref().map(Address::to_string))
            .collect();
        for pair in inputs.windows(2) {
            clusters.join(&pair[0], &pair[1]);
        }
        spent.extend(inputs);
    }
    let (mut linked, mut never_spent) = (0, 0);
    for e in exchanges(truth) {
        let hot: Vec<&EntityAddress> = e
            .addresses
            .iter()
            .filter(|a| a.chain == BTC_CHAIN && a.role == Role::HotWallet)
            .collect();
        let roots: HashSet<String> = hot
            .iter()
            .filter(|a| a.day_one_labelled)
            .map(|a| clusters.root(&a.address))
            .collect();
        for a in hot.iter().filter(|a| !a.day_one_labelled) {
            if roots.contains(&clusters.root(&a.address)) {
                linked += 1;
            } else {
                // Only a hot address the wallet has not spent from yet stays apart.
                assert!(
                    !spent.contains(&a.address),
                    "{}: {} spent but not linked",
                    e.name,
                    a.address
                );
                never_spent += 1;
            }
        }
    }
    eprintln!(
        "{linked} later hot-wallet addresses co-spent with a labelled one, {never_spent} not spent by the world's end"
    );
    assert!(
        linked > 10 * never_spent.max(1),
        "{linked} linked, {never_spent} apart"
    );
    // Deposit coins go only into their exchange's hot wallet.
    for e in truth
        .entities
        .iter()
        .filter(|e| e.category == Category::Exchange)
    {
        let deposits: HashSet<&str> = e
            .addresses
            .iter()
            .filter(|a| a.chain == BTC_CHAIN && a.role == Role::Deposit)
            .map(|a| a.address.as_str())
            .collect();
        let hot: HashSet<&str> = e
            .addresses
            .iter()
            .filter(|a| a.chain == BTC_CHAIN && a.role == Role::HotWallet)
            .map(|a| a.address.as_str())
            .collect();
        for tx in &c.btc {
            let from_deposit = tx.flow.inputs.iter().any(|i| {
                i.address
                    .as_ref()
                    .is_some_and(|a| deposits.contains(a.to_string().as_str()))
            });
            if from_deposit {
                assert_eq!(tx.flow.outputs.len(), 1, "a consolidation");
                assert!(hot.contains(tx.flow.outputs[0].address.to_string().as_str()));
            }
        }
    }
}
