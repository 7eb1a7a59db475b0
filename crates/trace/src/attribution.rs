//! Who an address belongs to, and what that means for a trace: keep going, stop and record
//! exposure, or pass the value through a converter.

use std::collections::HashMap;

use chaintrail_core::{Address, Chain};
use chaintrail_labels::{Category, LabelStore};
use serde::Serialize;

/// The entity behind an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entity {
    pub name: String,
    pub category: Category,
}

/// What a trace does when taint reaches an address of this category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Follow the funds on (users, thieves, unknown, sanctioned actors' own wallets).
    Continue,
    /// A service that holds customers' funds and can freeze them: stop, record exposure.
    Stop,
    /// Value changes asset or chain here (DEX, bridge, mixer): pass it through a converter if one
    /// applies, otherwise stop and report that it entered.
    Convert,
}

pub fn role(category: Category) -> Role {
    match category {
        Category::Exchange
        | Category::WalletService
        | Category::Otc
        | Category::Market
        | Category::Gambling
        | Category::Service
        | Category::Miner
        | Category::Darknet => Role::Stop,
        Category::Dex | Category::Bridge | Category::Mixer => Role::Convert,
        _ => Role::Continue,
    }
}

/// A source of entity names for addresses.
pub trait Attribution {
    fn entity(&self, chain: Chain, address: &Address) -> Option<Entity>;
}

/// No labels: everything is traced through.
pub struct NoAttribution;

impl Attribution for NoAttribution {
    fn entity(&self, _: Chain, _: &Address) -> Option<Entity> {
        None
    }
}

fn same_family(a: Chain, b: Chain) -> bool {
    matches!(
        (a, b),
        (Chain::Evm(_), Chain::Evm(_)) | (Chain::Bitcoin(_), Chain::Bitcoin(_))
    )
}

/// The label store: the strongest label of the address names its entity. A label for the same
/// chain wins; otherwise a label for the same address on a sibling chain applies (a Bitcoin
/// address's text already names its network; an EVM key is the same account on every EVM
/// chain, which is how explorers' cross-chain labels are meant).
impl Attribution for LabelStore {
    fn entity(&self, chain: Chain, address: &Address) -> Option<Entity> {
        let text = address.to_string();
        let labels = self.lookup(&text);
        let label = labels
            .iter()
            .find(|l| l.chain.is_none_or(|c| c == chain))
            .or_else(|| {
                labels
                    .iter()
                    .find(|l| l.chain.is_some_and(|c| same_family(c, chain)))
            })?;
        Some(Entity {
            name: label.name.clone(),
            category: label.category,
        })
    }
}

/// A fixed map, for tests and for worlds whose attribution is known (the simulator's).
#[derive(Default)]
pub struct StaticAttribution {
    entities: HashMap<(Chain, Address), Entity>,
}

impl StaticAttribution {
    pub fn insert(&mut self, chain: Chain, address: Address, name: &str, category: Category) {
        self.entities.insert(
            (chain, address),
            Entity {
                name: name.to_string(),
                category,
            },
        );
    }
}

impl Attribution for StaticAttribution {
    fn entity(&self, chain: Chain, address: &Address) -> Option<Entity> {
        self.entities.get(&(chain, address.clone())).cloned()
    }
}

/// Entities of store addresses, looked up once per address.
pub(crate) struct Entities<'a> {
    attribution: &'a dyn Attribution,
    cache: HashMap<(Chain, u32), Option<Entity>>,
}

impl<'a> Entities<'a> {
    pub fn new(attribution: &'a dyn Attribution) -> Entities<'a> {
        Entities {
            attribution,
            cache: HashMap::new(),
        }
    }

    pub fn get(
        &mut self,
        chain: Chain,
        reader: &chaintrail_store::ChainReader,
        address: u32,
    ) -> Option<Entity> {
        if let Some(known) = self.cache.get(&(chain, address)) {
            return known.clone();
        }
        let entity = reader
            .address(address)
            .and_then(|a| self.attribution.entity(chain, &a));
        self.cache.insert((chain, address), entity.clone());
        entity
    }
}
